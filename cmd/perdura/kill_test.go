package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/perdura/perdura/internal/sqlstore/pgtest"
)

// buildBinary builds perdura once per test run, as users get it (CGO_ENABLED=0).
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "perdura")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is not on PATH: %v", err)
	}
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// postgresDSN makes a fresh PostgreSQL database for one test and drops it afterwards.
func postgresDSN(t *testing.T) string { return pgtest.Database(t, "perdura_cli_") }

// server is a running perdura serve process.
type server struct {
	cmd *exec.Cmd
	url string
}

func startServer(t *testing.T, bin, dsn string, extra ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--log-level", "warn"}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	found := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if u, ok := strings.CutPrefix(lines.Text(), "perdura: serving "); ok {
				found <- u
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			cmd.Wait()
			t.Fatalf("the server stopped before serving:\n%s", stderr.String())
		}
		s := &server{cmd: cmd, url: u}
		t.Cleanup(func() { s.cmd.Process.Kill(); s.cmd.Wait() })
		return s
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the server did not start within a minute:\n%s", stderr.String())
	}
	return nil
}

// call sends a JSON request and decodes a JSON answer into out (when not nil).
func call(c *http.Client, method, url, token string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %v: %s", method, url, err, data)
		}
	}
	if resp.StatusCode >= 300 && out != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, data)
	}
	return resp.StatusCode, nil
}

// adminToken logs the admin in and returns an API token created with that session.
func adminToken(t *testing.T, s *server) string {
	t.Helper()
	jar := &http.Client{Timeout: 30 * time.Second}
	var login struct {
		CSRF string `json:"csrf"`
	}
	req, _ := http.NewRequest("POST", s.url+"/api/v1/login", strings.NewReader(`{"user":"admin","password":"correct horse battery staple"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := jar.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login: %s: %s", resp.Status, data)
	}
	json.Unmarshal(data, &login)
	req, _ = http.NewRequest("POST", s.url+"/api/v1/tokens", strings.NewReader(`{"name":"kill-test"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", login.CSRF)
	for _, c := range resp.Cookies() {
		req.AddCookie(c)
	}
	resp, err = jar.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	var tok struct {
		Secret string `json:"secret"`
		Token  string `json:"token"`
	}
	json.Unmarshal(data, &tok)
	if resp.StatusCode != 201 || (tok.Secret == "" && tok.Token == "") {
		t.Fatalf("create token: %s: %s", resp.Status, data)
	}
	if tok.Secret != "" {
		return tok.Secret
	}
	return tok.Token
}

// TestKillRestart: many clients write concurrently, the server is killed with SIGKILL in the
// middle, restarted on the same database, and every write it acknowledged is there, and the
// audit chain verifies. On SQLite and on PostgreSQL.
func TestKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	engines := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return filepath.Join(t.TempDir(), "kill.db") },
		"postgres": postgresDSN,
	}
	for name, dsnFor := range engines {
		t.Run(name, func(t *testing.T) {
			dsn := dsnFor(t)
			add := exec.Command(bin, "user", "add", "admin", "--role", "admin", "--password-stdin", "--db", dsn)
			add.Stdin = strings.NewReader("correct horse battery staple\n")
			if out, err := add.CombinedOutput(); err != nil {
				t.Fatalf("user add: %v\n%s", err, out)
			}
			s := startServer(t, bin, dsn)
			token := adminToken(t, s)

			const writers = 16
			var mu sync.Mutex
			var acked []string
			stop := make(chan struct{})
			var wg sync.WaitGroup
			client := &http.Client{Timeout: 10 * time.Second}
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						name := fmt.Sprintf("p-%d-%d", w, i)
						doc := map[string]any{"apiVersion": "perdura/v1", "kind": "Person",
							"metadata": map[string]any{"name": name}, "spec": map[string]any{"email": name + "@example.com"}}
						code, err := call(client, "POST", s.url+"/api/v1/people", token, doc, nil)
						if err != nil {
							return // the server is gone
						}
						if code == 201 {
							mu.Lock()
							acked = append(acked, name)
							mu.Unlock()
						}
					}
				}()
			}
			// Kill once a good number of writes went through, with writers still going.
			deadline := time.Now().Add(30 * time.Second)
			for {
				mu.Lock()
				n := len(acked)
				mu.Unlock()
				if n >= 300 || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			s.cmd.Wait()
			close(stop)
			wg.Wait()
			if len(acked) < 50 {
				t.Fatalf("only %d writes acknowledged before the kill", len(acked))
			}

			s2 := startServer(t, bin, dsn)
			var missing []string
			for _, name := range acked {
				code, err := call(client, "GET", s2.url+"/api/v1/people/"+name, token, nil, nil)
				if err != nil || code != 200 {
					missing = append(missing, fmt.Sprintf("%s (%d %v)", name, code, err))
				}
			}
			if len(missing) > 0 {
				t.Errorf("%d of %d acknowledged writes are lost after SIGKILL: %v", len(missing), len(acked), missing[:min(10, len(missing))])
			}
			verify := exec.Command(bin, "audit", "verify", "--db", dsn)
			out, err := verify.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "audit trail intact") {
				t.Errorf("audit verify after the kill: %v\n%s", err, out)
			}
			t.Logf("%s: %d writes acknowledged before SIGKILL, all present after restart; %s", name, len(acked), strings.TrimSpace(string(out)))
		})
	}
}
