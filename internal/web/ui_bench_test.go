package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkPages renders every page of the UI for the demo organisation, server side, through
// the whole handler (session check, snapshot, analysis, template) but no network: the issue
// asks for under 100 ms each. One sub-benchmark per page, named by its sample path.
//
//	go test -run '^$' -bench Pages -benchtime 20x ./internal/web/
func BenchmarkPages(b *testing.B) {
	e := newDemoEnv(b)
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
