package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perdura/perdura/examples"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/sqlstore"
	"github.com/perdura/perdura/internal/sqlstore/pgtest"
)

// clock is a settable clock shared by the store, the catalog and the handler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is a server over real SQLite storage holding the demo organisation, with one user of
// every role, each with an API token.
type env struct {
	t      testing.TB
	srv    *server
	ts     *httptest.Server
	store  *sqlstore.Store
	clock  *clock
	tokens map[string]string // role -> bearer secret
}

// password is the password of the test user of a role (the user is named after the role).
func password(role string) string { return "password-of-" + role }

// fastHasher keeps logins quick in tests; the parameters travel in each hash.
func fastHasher() *auth.Hasher {
	return auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
}

func newEnv(t testing.TB, mod ...func(*Deps)) *env {
	t.Helper()
	return newEnvWith(t, seed, mod...)
}

// newDemoEnv is newEnv holding the demo organisation, as `perdura demo` serves it: what the
// web pages are tested and measured on.
func newDemoEnv(t testing.TB, mod ...func(*Deps)) *env {
	t.Helper()
	return newEnvWith(t, seedDemo, mod...)
}

// seedDemo stores the demo organisation as `perdura demo` does.
func seedDemo(t testing.TB, cat *catalog.Catalog) {
	t.Helper()
	if err := examples.Seed(context.Background(), cat, "test"); err != nil {
		t.Fatal(err)
	}
}

func newEnvWith(t testing.TB, seed func(testing.TB, *catalog.Catalog), mod ...func(*Deps)) *env {
	t.Helper()
	return newEnvOn(t, filepath.Join(t.TempDir(), "perdura.db"), seed, mod...)
}

// engines runs fn on each engine: a fresh SQLite file, then a fresh PostgreSQL database
// (skipped without PERDURA_TEST_POSTGRES, a failure when CI is set; see pgtest).
func engines(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, filepath.Join(t.TempDir(), "perdura.db")) })
	t.Run("postgres", func(t *testing.T) { fn(t, pgtest.Database(t, "perdura_web_")) })
}

// newEnvOn is newEnvWith on the database dsn names: a SQLite file or a postgres:// URL.
func newEnvOn(t testing.TB, dsn string, seed func(testing.TB, *catalog.Catalog), mod ...func(*Deps)) *env {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	st, err := sqlstore.Open(ctx, dsn, sqlstore.WithClock(clk.Now))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	cat := catalog.New(st)
	seed(t, cat)
	deps := Deps{Catalog: cat, Auth: st, Audit: st, Now: clk.Now, Ready: st.Ping,
		AuthOptions: auth.Options{Hasher: fastHasher()}}
	for _, m := range mod {
		m(&deps)
	}
	srv := newServer(deps)
	e := &env{t: t, srv: srv, store: st, clock: clk, tokens: map[string]string{}}
	e.ts = httptest.NewServer(srv)
	t.Cleanup(e.ts.Close)
	h := fastHasher()
	for _, role := range auth.Roles() {
		hash, err := h.Hash(ctx, password(role))
		if err != nil {
			t.Fatal(err)
		}
		u := auth.User{Name: role, DisplayName: "The " + role, Role: role, PasswordHash: hash}
		if err := st.CreateUser(ctx, auth.Actor{User: "test", Door: catalog.DoorCLI}, u); err != nil {
			t.Fatalf("create user %s: %v", role, err)
		}
		secret, _, err := srv.authn.NewToken(ctx, auth.Actor{User: "test", Door: catalog.DoorCLI}, u, "test", role, nil)
		if err != nil {
			t.Fatalf("token for %s: %v", role, err)
		}
		e.tokens[role] = secret
	}
	return e
}

// seed applies testdata/model.yaml (a small model with one object of every kind) as
// source "base". The demo organisation would be more realistic, but its dates do not yet
// survive the catalog's round trip; the small model also keeps each test fast.
func seed(t testing.TB, cat *catalog.Catalog) {
	t.Helper()
	b, err := os.ReadFile("testdata/model.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files := []catalog.File{{Path: "model.yaml", Content: b}}
	if _, err := cat.Apply(context.Background(), catalog.Actor{User: "test", Door: catalog.DoorFile}, "base", files, false); err != nil {
		if ve, ok := catalog.IsValidation(err); ok {
			for _, p := range ve.Problems {
				t.Logf("%+v", p)
			}
		}
		t.Fatalf("apply testdata/model.yaml: %v", err)
	}
}

// response is an answer with its body read.
type response struct {
	*http.Response
	body []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s %s: body is not JSON (%v): %s", r.Request.Method, r.Request.URL.Path, err, r.body)
	}
}

func (r response) problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s %s: Content-Type = %q, want application/problem+json; body %s", r.Request.Method, r.Request.URL.Path, ct, r.body)
	}
	var p Problem
	r.json(t, &p)
	if p.Status != r.StatusCode {
		t.Errorf("%s %s: problem status %d, HTTP status %d", r.Request.Method, r.Request.URL.Path, p.Status, r.StatusCode)
	}
	return p
}

// client sends requests as one caller.
type client struct {
	e      *env
	hc     *http.Client
	bearer string
	csrf   string
}

// as is a client with a role's API token.
func (e *env) as(role string) *client {
	return &client{e: e, hc: e.ts.Client(), bearer: e.tokens[role]}
}

// anonymous is a client without credentials.
func (e *env) anonymous() *client { return &client{e: e, hc: e.ts.Client()} }

// login signs a role's user in and returns a client holding the session cookie and CSRF token.
func (e *env) login(role string) *client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{e: e, hc: &http.Client{Jar: jar}}
	r := c.do("POST", "/api/v1/login", map[string]string{"user": role, "password": password(role)}, nil)
	if r.StatusCode != http.StatusOK {
		e.t.Fatalf("login %s: status %d: %s", role, r.StatusCode, r.body)
	}
	var me Me
	r.json(e.t, &me)
	c.csrf = me.CSRF
	return c
}

// do sends a request; body is JSON-encoded unless it is []byte or a string.
func (c *client) do(method, path string, body any, header map[string]string) response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.ts.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.csrf != "" && method != "GET" {
		req.Header.Set(csrfHeader, c.csrf)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	return response{res, b}
}

// logBuffer collects JSON log lines; the server logs from its own goroutines, possibly
// after the client has its answer, so reads and writes are locked.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(l, nil)) }
