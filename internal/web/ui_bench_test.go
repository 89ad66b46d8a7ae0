package web

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perdura/perdura/internal/sqlstore/pgtest"
)

// BenchmarkPages renders every page of the UI for the demo organisation, server side, through
// the whole handler (session check, snapshot, analysis, template) but no network: the issue
// asks for under 100 ms each. One sub-benchmark per engine and page, the page named by its
// sample path; the PostgreSQL half runs when PERDURA_TEST_POSTGRES names a server.
//
//	go test -run '^$' -bench Pages -benchtime 20x ./internal/web/
func BenchmarkPages(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "perdura.db")
			if engine == "postgres" {
				dsn = pgtest.Database(b, "perdura_web_")
			}
			benchPages(b, newEnvOn(b, dsn, seedDemo))
		})
	}
}

func benchPages(b *testing.B, e *env) {
	br := e.browse("admin")
	var cookie string
	for _, c := range br.hc.Jar.Cookies(mustURL(b, e.ts.URL)) {
		if c.Name == sessionCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	for _, pg := range e.srv.ui.pageTable {
		if pg.method != "GET" || pg.perm == public {
			continue
		}
		sample := pg.sample
		if sample == "" {
			sample = pg.path
		}
		name := strings.ReplaceAll(strings.TrimPrefix(sample, "/"), "/", "_")
		if name == "" {
			name = "dashboard"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", sample, nil)
				req.Header.Set("Cookie", cookie)
				w := httptest.NewRecorder()
				e.srv.ServeHTTP(w, req)
				if w.Code != http.StatusOK && w.Code != http.StatusConflict {
					b.Fatalf("GET %s: status %d: %.300s", sample, w.Code, w.Body)
				}
			}
		})
	}
}
