package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/perdura/perdura/internal/auth"
)

// BenchmarkMapData2k is /map/data for a generated estate of 2,000 services through the whole
// handler (token, snapshot, map graph, selection, clustering, JSON) but no network: the whole
// estate (clustered by site), one cluster drilled into, and everything that needs the
// estate's largest hub. docs/benchmarks.md has the figures.
//
//	go test ./internal/web -run '^$' -bench BenchmarkMapData2k -benchtime 50x
func BenchmarkMapData2k(b *testing.B) {
	e, m := newSynthEnv(b, 2000)
	secret := e.tokens[auth.RoleViewer]
	for _, c := range []struct{ name, query string }{
		{"estate", ""},
		{"drill", url.Values{"in": {"site:" + m.Sites[0].Metadata.Name, "team:" + m.Teams[0].Metadata.Name}}.Encode()},
		{"hub", url.Values{"focus": {"service/" + largestHub(m)}, "dir": {"needed-by"}, "depth": {"3"}}.Encode()},
	} {
		path := "/map/data?" + c.query
		get := func() *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			e.srv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("GET %s: status %d: %.500s", path, w.Code, w.Body)
			}
			return w
		}
		w := get() // the first request compiles and sweeps the stored generation
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				get()
			}
			b.ReportMetric(float64(w.Body.Len()), "bytes")
		})
	}
}
