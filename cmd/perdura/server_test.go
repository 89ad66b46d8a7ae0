package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/perdura/perdura/internal/auth"
)

// serveInProcess runs `perdura serve` in this process until the test ends, and returns its URL.
func serveInProcess(t *testing.T, dsn string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--log-level", "error"}, func(string) string { return "" }, strings.NewReader(""), w, io.Discard)
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
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d after a graceful shutdown", code)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop within 30 s of its context ending")
		}
	})
	select {
	case u := <-urls:
		return u
	case code := <-done:
		t.Fatalf("serve exited %d before serving", code)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not start")
	}
	return ""
}

func addAdmin(t *testing.T, dsn string) {
	t.Helper()
	var out, errb strings.Builder
	code := run(context.Background(), []string{"user", "add", "admin", "--role", "admin", "--password-stdin", "--db", dsn},
		func(string) string { return "" }, strings.NewReader("correct horse battery staple\n"), &out, &errb)
	if code != 0 {
		t.Fatalf("user add: exit %d: %s", code, errb.String())
	}
}

func TestApplyToServer(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "p.db")
	addAdmin(t, dsn)
	url := serveInProcess(t, dsn)
	token := adminToken(t, &server{url: url})

	code, out, errs := cli(t, nil, "apply", "../../examples", "--server", url, "--token", token, "--source", "northwind")
	if code != 0 || !strings.Contains(out, "created service/orders-db") {
		t.Fatalf("apply to the server: exit %d\n%s\n%s", code, out, errs)
	}
	// A folder with a lint error is refused, with the user's file and line, and nothing is stored.
	code, out, _ = cli(t, nil, "apply", "../../internal/lint/testdata/rules/rto-inherited.yaml", "--server", url, "--token", token, "--source", "northwind")
	if code == 0 || !strings.Contains(out, "rto-inherited.yaml") {
		t.Errorf("a broken model was not refused with its file: exit %d\n%s", code, out)
	}
	// A wrong token is told apart from a broken model.
	code, _, errs = cli(t, nil, "apply", "../../examples", "--server", url, "--token", "pdr_nope", "--source", "northwind")
	if code != 2 || !strings.Contains(errs, "401") {
		t.Errorf("a bad token: exit %d, stderr %s", code, errs)
	}
	code, _, errs = cli(t, nil, "apply", "../../examples", "--server", url)
	if code != 2 || !strings.Contains(errs, "--token") {
		t.Errorf("no token: exit %d, stderr %s", code, errs)
	}
}

func TestUserAdd(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "u.db")
	code, out, _ := cli(t, nil, "user", "add", "bob", "--role", "viewer", "--db", dsn)
	if code != 0 || !strings.Contains(out, "password (shown once): ") {
		t.Errorf("user add with a generated password: exit %d\n%s", code, out)
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"user", "add", "bob", "--role", "viewer", "--db", dsn}, `user "bob" already exists`},
		{[]string{"user", "add", "carol", "--role", "king", "--db", dsn}, "expected one of admin, editor, responder, viewer, auditor"},
		{[]string{"user", "add", "Carol!", "--role", "viewer", "--db", dsn}, "expected 1 to 64 lower case letters"},
		// The rule's one message, as the API and the web pages give it.
		{[]string{"user", "add", "Carol!", "--role", "viewer", "--db", dsn}, auth.CheckUserName("Carol!").Error()},
		{[]string{"user", "add", "carol", "--db", dsn}, `"role" not set`},
	} {
		if code, _, errs := cli(t, nil, tc.args...); code != 2 || !strings.Contains(errs, tc.err) {
			t.Errorf("perdura %s: exit %d, stderr %q, want %q", strings.Join(tc.args, " "), code, errs, tc.err)
		}
	}
}

// TestAuditVerifyDetectsTampering changes a row behind Perdura's back, as an attacker with
// access to the database file would, and expects perdura audit verify to say which.
func TestAuditVerifyDetectsTampering(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "a.db")
	addAdmin(t, dsn)
	if code, _, errs := cli(t, nil, "apply", base, "--db", dsn); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	code, out, _ := cli(t, nil, "audit", "verify", "--db", dsn)
	if code != 0 || !strings.Contains(out, "audit trail intact: 2 entries") {
		t.Fatalf("verify of an intact trail: exit %d\n%s", code, out)
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit SET actor = 'mallory' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ = cli(t, nil, "audit", "verify", "--db", dsn)
	if code != 1 || !strings.Contains(out, "BROKEN") || !strings.Contains(out, "entry 2") {
		t.Errorf("verify of a changed trail: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(dsn); err != nil {
		t.Fatal(err)
	}
}

// TestDemo: perdura demo serves the demo organisation, and the login it prints works.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--log-level", "error"}, func(string) string { return "" }, strings.NewReader(""), w, io.Discard)
		w.Close()
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("demo exited %d", code)
		}
	}()
	// Read every line the demo prints (it waits on its output), noting the URL and password.
	found := make(chan [2]string, 1)
	go func() {
		var url, password string
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			line := sc.Text()
			if u, ok := strings.CutPrefix(line, "perdura: serving "); ok {
				url = u
			}
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "password" {
				password = f[1]
				found <- [2]string{url, password}
			}
		}
	}()
	var url, password string
	select {
	case v := <-found:
		url, password = v[0], v[1]
	case <-time.After(60 * time.Second):
		t.Fatal("demo printed no URL and password within a minute")
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Post(url+"/api/v1/login", "application/json", strings.NewReader(`{"user":"admin","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login with the printed password: %s", resp.Status)
	}
	req, _ := http.NewRequest("GET", url+"/api/v1/services?limit=1", nil)
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(data), `"source":"demo"`) {
		t.Errorf("services of the demo: %s: %.300s", resp.Status, data)
	}
	// The URL it prints opens the web UI's sign-in page in a browser.
	req, _ = http.NewRequest("GET", url+"/", nil)
	req.Header.Set("Accept", "text/html")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/login" || !strings.Contains(string(data), `name="password"`) {
		t.Errorf("the printed URL in a browser: %s at %s: %.300s", resp.Status, resp.Request.URL, data)
	}
}
