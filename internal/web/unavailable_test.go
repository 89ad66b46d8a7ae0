package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perdura/perdura/internal/sqlstore"
	"github.com/perdura/perdura/internal/sqlstore/pgtest"
)

// TestDatabaseUnavailable: when the database goes away mid-run (the SQLite handle closed;
// PostgreSQL ending the server's connections and refusing new ones), the API answers 503
// problem documents with Retry-After, not 500, and a signed-in browser gets a "database
// unavailable" page with the layout's security headers, not a redirect to the login page.
// Both with the session and token cache (a known caller, whose page then fails) and without
// it (the caller cannot even be looked up).
func TestDatabaseUnavailable(t *testing.T) {
	engines := []struct {
		name string
		dsn  func(t *testing.T) string
		stop func(t *testing.T, e *env, dsn string)
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "perdura.db") },
			func(t *testing.T, e *env, _ string) { e.store.Close() }},
		{"postgres", func(t *testing.T) string { return pgtest.Database(t, "perdura_web_") }, refuseConnections},
	}
	for _, eng := range engines {
		for _, cached := range []bool{true, false} {
			name := eng.name + "/cached"
			if !cached {
				name = eng.name + "/uncached"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				dsn := eng.dsn(t)
				e := newEnvOn(t, dsn, seed, func(d *Deps) {
					d.Unavailable = sqlstore.Unavailable
					if !cached {
						d.AuthOptions.CacheTTL = -1
					}
				})
				admin := e.as("admin")
				browser := e.login("admin")
				browser.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
				if r := admin.do("GET", "/api/v1/audit", nil, nil); r.StatusCode != http.StatusOK {
					t.Fatalf("GET /api/v1/audit before the database stops: %d %s", r.StatusCode, r.body)
				}
				eng.stop(t, e, dsn)

				for _, tc := range []struct {
					c            *client
					method, path string
					body         any
				}{
					{e.anonymous(), "GET", "/readyz", nil},
					{admin, "GET", "/api/v1/audit", nil},
					{admin, "GET", "/api/v1/users", nil},
					{browser, "GET", "/api/v1/audit", nil},
					{e.anonymous(), "POST", "/api/v1/login", map[string]string{"user": "viewer", "password": password("viewer")}},
				} {
					r := tc.c.do(tc.method, tc.path, tc.body, nil)
					if r.StatusCode != http.StatusServiceUnavailable {
						t.Errorf("%s %s with the database gone: status %d, want 503; body %s", tc.method, tc.path, r.StatusCode, r.body)
						continue
					}
					r.problem(t)
					if r.Header.Get("Retry-After") == "" {
						t.Errorf("%s %s: 503 without Retry-After", tc.method, tc.path)
					}
				}

				for _, path := range []string{"/services", "/audit"} {
					r := browser.do("GET", path, nil, map[string]string{"Accept": "text/html"})
					if r.StatusCode != http.StatusServiceUnavailable {
						t.Errorf("GET %s signed in, with the database gone: status %d (Location %q), want 503", path, r.StatusCode, r.Header.Get("Location"))
						continue
					}
					if !strings.Contains(string(r.body), "database is unavailable") || !strings.Contains(string(r.body), "Try again") || strings.Contains(string(r.body), `href="/login"`) {
						t.Errorf("GET %s: the page does not say the database is unavailable with a link to try again (and none to sign in):\n%s", path, r.body)
					}
					for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "Retry-After"} {
						if r.Header.Get(h) == "" {
							t.Errorf("GET %s: the database unavailable page has no %s header", path, h)
						}
					}
				}
				// The login form itself still shows; signing in answers the same page.
				page := e.anonymous()
				page.hc.Jar = nil
				r := page.do("POST", "/login", "user=viewer&password=x&token=t", map[string]string{
					"Content-Type": "application/x-www-form-urlencoded", "Cookie": loginCookie + "=t", "Accept": "text/html"})
				if r.StatusCode != http.StatusServiceUnavailable {
					t.Errorf("POST /login with the database gone: status %d, want 503", r.StatusCode)
				}
			})
		}
	}
}

// refuseConnections makes the test's PostgreSQL database end the server's connections and
// refuse new ones, as a restart or failover does to a server that stays up.
func refuseConnections(t *testing.T, _ *env, dsn string) {
	t.Helper()
	admin, err := sql.Open("pgx", pgtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	for _, q := range []string{
		`ALTER DATABASE ` + db + ` ALLOW_CONNECTIONS false`,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + db + `'`,
	} {
		if _, err := admin.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestAuditBrokenBanner: when the audit tail did not verify at start, the users who may read
// the trail see it on every page and the metric says 0; the others see nothing of it.
func TestAuditBrokenBanner(t *testing.T) {
	t.Parallel()
	const why = "audit entry 7 (login user/alice by mallory at 2026-03-01T09:00:00Z) was changed after it was written"
	e := newEnv(t, func(d *Deps) { d.AuditBroken = why })
	for role, want := range map[string]bool{"admin": true, "auditor": true, "editor": false, "viewer": false} {
		r := e.login(role).do("GET", "/services", nil, map[string]string{"Accept": "text/html"})
		if got := strings.Contains(string(r.body), "The audit trail does not verify") && strings.Contains(string(r.body), "audit entry 7"); got != want {
			t.Errorf("%s: banner shown = %v, want %v", role, got, want)
		}
	}
	if m := e.anonymous().do("GET", "/metrics", nil, nil); !strings.Contains(string(m.body), "perdura_audit_tail_intact 0") {
		t.Error("the metric does not say 0")
	}
	ok := newEnv(t)
	if m := ok.anonymous().do("GET", "/metrics", nil, nil); !strings.Contains(string(m.body), "perdura_audit_tail_intact 1") {
		t.Error("an intact tail: the metric does not say 1")
	}
	if r := ok.login("admin").do("GET", "/services", nil, map[string]string{"Accept": "text/html"}); strings.Contains(string(r.body), "The audit trail does not verify") {
		t.Error("an intact tail: the admin sees the banner")
	}
}
