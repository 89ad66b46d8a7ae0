package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/sqlstore/pgtest"
)

// TestServeUnreachablePostgres: perdura serve pointed at a PostgreSQL that accepts
// connections and never answers, or closes them, exits 2 within its connect timeout with a
// message that says so, instead of hanging without a word and never listening.
func TestServeUnreachablePostgres(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dsn := postgresDSN(t)
	for _, tc := range []struct {
		name string
		addr string
		env  []string
		args []string
	}{
		{"silent", pgtest.NewSilentProxy(t, "").Addr(), nil, []string{"--db-connect-timeout", "1s"}},
		{"silent, timeout from the environment", pgtest.NewSilentProxy(t, "").Addr(), []string{"PERDURA_DB_CONNECT_TIMEOUT=1s"}, nil},
		{"closing", pgtest.ClosingListener(t), nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", pgtest.Through(t, dsn, tc.addr)}, tc.args...)...)
			cmd.Env = append(os.Environ(), tc.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("serve still ran after %s (killed); stderr:\n%s", time.Since(start).Round(time.Second), stderr.String())
			}
			var xe *exec.ExitError
			if !errors.As(err, &xe) || xe.ExitCode() != exitCannot {
				t.Errorf("serve: %v, want exit %d", err, exitCannot)
			}
			if !strings.Contains(stderr.String(), "is unavailable") || !strings.Contains(stderr.String(), "--db-connect-timeout") {
				t.Errorf("serve's message does not say the database is unavailable and what bounds the wait:\n%s", stderr.String())
			}
			if strings.Contains(stdout.String(), "serving") {
				t.Errorf("serve served without a database:\n%s", stdout.String())
			}
		})
	}
}

// TestServePostgresGoesSilent: when the PostgreSQL a running server uses stops answering,
// /readyz answers 503 within seconds and API requests 503 problem documents with
// Retry-After, instead of hanging for minutes.
func TestServePostgresGoesSilent(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dsn := postgresDSN(t)
	addAdmin(t, dsn)
	p := pgtest.NewSilentProxy(t, pgtest.Host(t, dsn))
	s := startServer(t, bin, p.URL(t, dsn), "--db-statement-timeout", "1s", "--db-connect-timeout", "1s")
	token := adminToken(t, s)
	c := &http.Client{Timeout: time.Minute}
	if code, err := call(c, "GET", s.url+"/api/v1/audit", token, nil, nil); err != nil || code != 200 {
		t.Fatalf("GET /api/v1/audit before the database goes silent: %d %v", code, err)
	}
	p.Silence()
	// Each answer is bounded by a timeout of a second or two; the limit leaves room for a
	// slow machine and is far below the minutes an unbounded wait takes.
	const limit = 15 * time.Second
	for _, path := range []string{"/readyz", "/api/v1/audit", "/api/v1/users"} {
		req, _ := http.NewRequest("GET", s.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Content-Type") != "application/problem+json" ||
			resp.Header.Get("Retry-After") == "" {
			t.Errorf("GET %s with the database silent: %s %q Retry-After %q, want 503 application/problem+json with Retry-After; %s",
				path, resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Retry-After"), body)
		}
		t.Logf("GET %s with the database silent: %s in %s", path, resp.Status, took.Round(time.Millisecond))
		if took > limit {
			t.Errorf("GET %s with the database silent took %s, want at most %s", path, took.Round(time.Millisecond), limit)
		}
	}
}

// damageFile overwrites the page header of the objects table's root page.
func damageFile(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var root, size int64
	if err := db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'objects'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xff}, 16), (root-1)*size); err != nil {
		t.Fatal(err)
	}
}

// TestServeDamagedSQLite: serve refuses a damaged SQLite file at start with exit 2 and a
// message pointing to a backup, and perdura db check lists the damage with exit 1.
func TestServeDamagedSQLite(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "p.db")
	addAdmin(t, dsn)
	if code, _, errs := cli(t, nil, "apply", base, "--db", dsn); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	code, out, errs := cli(t, nil, "db", "check", "--db", dsn)
	if code != 0 || !strings.Contains(out, "integrity") || !strings.Contains(out, "audit chain") || strings.Contains(out, "FAILED") {
		t.Fatalf("db check of a sound file: exit %d\n%s%s", code, out, errs)
	}
	damageFile(t, dsn)

	code, _, errs = cli(t, nil, "serve", "--addr", "127.0.0.1:0", "--db", dsn)
	if code != exitCannot || !strings.Contains(errs, "is damaged") || !strings.Contains(errs, "restore the latest backup") {
		t.Errorf("serve on a damaged file: exit %d, want %d with a message pointing to a backup:\n%s", code, exitCannot, errs)
	}
	code, out, errs = cli(t, map[string]string{"PERDURA_DATA_DIR": filepath.Dir(dsn)}, "db", "check", "--db", dsn)
	if code != exitFound || !strings.Contains(out, "integrity     FAILED") || !strings.Contains(out, "page") {
		t.Errorf("db check of a damaged file: exit %d, want %d listing the damage:\n%s%s", code, exitFound, out, errs)
	}
	code, _, errs = cli(t, nil, "db", "check", "--db", filepath.Join(t.TempDir(), "missing.db"))
	if code != exitCannot || !strings.Contains(errs, "missing.db") {
		t.Errorf("db check of a missing file: exit %d, want %d naming it:\n%s", code, exitCannot, errs)
	}
}

// syncBuffer is a buffer the server's goroutines write to while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveLogged runs perdura serve in this process, keeping its log, until the test ends.
func serveLogged(t *testing.T, dsn string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	log := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--log-level", "warn"}, func(string) string { return "" }, strings.NewReader(""), w, log)
		w.Close()
	}()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "perdura: serving "); ok {
				urls <- u
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	select {
	case u := <-urls:
		return u, log
	case code := <-done:
		t.Fatalf("serve exited %d before serving:\n%s", code, log.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return "", nil
}

// get fetches a page or document, with the client's cookies.
func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// signIn signs the admin in through the login form and returns a client with the session.
func signIn(t *testing.T, base string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	page := get(t, c, base+"/login")
	_, rest, _ := strings.Cut(page, `name="token" value="`)
	token, _, _ := strings.Cut(rest, `"`)
	resp, err := c.PostForm(base+"/login", url.Values{"user": {"admin"}, "password": {"correct horse battery staple"}, "token": {token}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign in: %s", resp.Status)
	}
	return c
}

// TestServeWarnsOfBrokenAuditTail: serve verifies the newest entries of the audit chain at
// start; when they do not verify it serves, but says so in its log, in the metric
// perdura_audit_tail_intact, and in a banner the admin sees on every page. On both engines.
func TestServeWarnsOfBrokenAuditTail(t *testing.T) {
	t.Parallel()
	for _, eng := range []struct {
		name string
		dsn  func(t *testing.T) string
		drv  string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "p.db") }, "sqlite"},
		{"postgres", postgresDSN, "pgx"},
	} {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel()
			dsn := eng.dsn(t)
			addAdmin(t, dsn)
			if code, _, errs := cli(t, nil, "apply", base, "--db", dsn); code != 0 {
				t.Fatalf("apply: %s", errs)
			}
			u, log := serveLogged(t, dsn)
			if m := get(t, http.DefaultClient, u+"/metrics"); !strings.Contains(m, "perdura_audit_tail_intact 1") {
				t.Errorf("an intact trail: the metric does not say 1")
			}
			if page := get(t, signIn(t, u), u+"/"); strings.Contains(page, "audit trail does not verify") {
				t.Errorf("an intact trail: the admin sees the broken-trail banner")
			}
			if strings.Contains(log.String(), "do not verify") {
				t.Errorf("an intact trail: the log warns:\n%s", log.String())
			}

			db, err := sql.Open(eng.drv, dsn)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE audit SET actor = 'mallory' WHERE seq = 2`); err != nil {
				t.Fatal(err)
			}
			db.Close()
			u, log = serveLogged(t, dsn)
			if !strings.Contains(log.String(), "do not verify") || !strings.Contains(log.String(), "entry 2") {
				t.Errorf("a changed entry: the log does not warn about entry 2:\n%s", log.String())
			}
			if m := get(t, http.DefaultClient, u+"/metrics"); !strings.Contains(m, "perdura_audit_tail_intact 0") {
				t.Errorf("a changed entry: the metric does not say 0")
			}
			if page := get(t, signIn(t, u), u+"/"); !strings.Contains(page, "audit trail does not verify") || !strings.Contains(page, "entry 2") {
				t.Errorf("a changed entry: the admin's page has no banner naming entry 2")
			}
		})
	}
}

// TestServeTimeoutFlags: a timeout serve cannot take is refused before anything is opened,
// naming the flag or variable it came from.
func TestServeTimeoutFlags(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "p.db")
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--db-statement-timeout", "-1s"}, "--db-statement-timeout -1s: expected a duration of 0"},
		{map[string]string{"PERDURA_DB_TRANSACTION_TIMEOUT": "-5s"}, nil, "PERDURA_DB_TRANSACTION_TIMEOUT -5s: expected"},
		{nil, []string{"--db-connect-timeout", "soon"}, "invalid argument \"soon\" for \"--db-connect-timeout\""},
	} {
		code, _, errs := cli(t, tc.env, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, tc.args...)...)
		if code != exitCannot || !strings.Contains(errs, tc.want) {
			t.Errorf("serve %v %v: exit %d, want %d with %q:\n%s", tc.env, tc.args, code, exitCannot, tc.want, errs)
		}
	}
	if _, err := os.Stat(dsn); err == nil {
		t.Error("serve created the database before refusing its flags")
	}
}
