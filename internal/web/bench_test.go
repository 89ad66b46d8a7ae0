package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/perdura/perdura/internal/auth"
)

// BenchmarkGetObject is the hot path, reading one object with an API token,
// through the whole handler (auth, catalog, store, metrics, log) but no network.
func BenchmarkGetObject(b *testing.B) {
	e := newEnv(b)
	secret := e.tokens[auth.RoleViewer]
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/api/v1/services/web", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			e.srv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}
