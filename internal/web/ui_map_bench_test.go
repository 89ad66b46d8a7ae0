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
// estate (clustered by site), one cluster drilled into, everything that needs the estate's
// largest hub, a site's failure overlaid; and the whole /map page (with its table) for the
// estate and the drill-in. docs/benchmarks.md has the figures.
//
//	go test ./internal/web -run '^$' -bench BenchmarkMapData2k -benchtime 50x
func BenchmarkMapData2k(b *testing.B) { benchMapData(b, 2000) }

// BenchmarkMapData10k is BenchmarkMapData2k for 10,000 services: how the map scales.
//
//	go test ./internal/web -run '^$' -bench BenchmarkMapData10k -benchtime 10x
func BenchmarkMapData10k(b *testing.B) { benchMapData(b, 10000) }

func benchMapData(b *testing.B, services int) {
	e, m := newSynthEnv(b, services)
	secret := e.tokens[auth.RoleViewer]
	drill := url.Values{"in": {"site:" + m.Sites[0].Metadata.Name, "team:" + m.Teams[0].Metadata.Name}}.Encode()
	for _, c := range []struct{ name, path string }{
		{"estate", "/map/data"},
		{"drill", "/map/data?" + drill},
		{"hub", "/map/data?" + url.Values{"focus": {"service/" + largestHub(m)}, "dir": {"needed-by"}, "depth": {"3"}}.Encode()},
		{"fail", "/map/data?fail=site/" + m.Sites[0].Metadata.Name},
		{"page-estate", "/map"},
		{"page-drill", "/map?" + drill},
	} {
		path := c.path
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

// BenchmarkMapDemo is the map page and its data for the demo organisation, drawn whole.
//
//	go test ./internal/web -run '^$' -bench BenchmarkMapDemo -benchtime 200x
func BenchmarkMapDemo(b *testing.B) {
	e := newDemoEnv(b)
	secret := e.tokens[auth.RoleViewer]
	for _, path := range []string{"/map", "/map/data", "/map/data?fail=site/dc-frankfurt"} {
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
		w := get()
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				get()
			}
			b.ReportMetric(float64(w.Body.Len()), "bytes")
		})
	}
}
