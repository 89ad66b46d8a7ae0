package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/sqlstore/pgtest"
)

// hostileYAML is issue 18's field: 20 KB of block sequences nested 9,990 deep. Before the
// fix a form holding it cost 4.4 s and 700 MB; four such fields 22 s and 2.9 GB.
var hostileYAML = strings.Repeat("- ", 9990) + "x"

// hostileForm is a new service's form with n of its YAML fields set to hostileYAML.
func hostileForm(n int) url.Values {
	form := url.Values{"op": {"save"}, "name": {"svc-hostile"}, "owner": {"team-backoffice"}}
	for _, f := range []string{"depends-on", "runs-at", "backups", "replication"}[:n] {
		form.Set(f, hostileYAML)
	}
	return form
}

// TestHostileFormFields posts the deeply nested YAML to the service form, in one
// field and in four: the form comes back 422 saying where and what, in bounded time and
// memory. The memory bound is what the old path broke by far (700 MB for one field).
func TestHostileFormFields(t *testing.T) {
	e := newDemoEnv(t)
	br := e.browse("editor")
	for _, n := range []int{1, 4} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		r := br.post("/services/new", hostileForm(n))
		d := time.Since(start)
		runtime.ReadMemStats(&after)
		if r.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("%d fields: status %d, want 422: %.300s", n, r.StatusCode, r.body)
		}
		if !strings.Contains(string(r.body), "Nested too deep: at most 100 levels.") {
			t.Errorf("%d fields: the page does not say the field nests too deep: %.2000s", n, r.body)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
			t.Errorf("%d fields: the request allocated %d MB, want under 64", n, alloc>>20)
		}
		if d > 10*time.Second { // far above the benchmark's figure: a slow shared machine must not fail it
			t.Errorf("%d fields: took %v", n, d)
		}
	}
}

// BenchmarkHostileInput posts issue 18's hostile YAML field to the new-service form as an
// editor, in one field and in four, through the whole handler (session, CSRF, form, refusal,
// page), on both engines; the PostgreSQL half runs when PERDURA_TEST_POSTGRES names a server.
//
//	go test -run '^$' -bench HostileInput -benchmem ./internal/web/
func BenchmarkHostileInput(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := filepath.Join(b.TempDir(), "perdura.db")
			if engine == "postgres" {
				dsn = pgtest.Database(b, "perdura_web_")
			}
			benchHostile(b, newEnvOn(b, dsn, seedDemo))
		})
	}
}

func benchHostile(b *testing.B, e *env) {
	br := e.browse("editor")
	var cookie string
	for _, c := range br.hc.Jar.Cookies(mustURL(b, e.ts.URL)) {
		if c.Name == sessionCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	for _, n := range []int{1, 4} {
		form := hostileForm(n)
		form.Set("csrf", br.csrf)
		body := form.Encode()
		name := "one-field"
		if n == 4 {
			name = "four-fields"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("POST", "/services/new", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Cookie", cookie)
				w := httptest.NewRecorder()
				e.srv.ServeHTTP(w, req)
				if w.Code != http.StatusUnprocessableEntity {
					b.Fatalf("status %d: %.300s", w.Code, w.Body)
				}
			}
		})
	}
}

// FuzzFormYAMLField puts arbitrary text (grown from nesting seeds by repetition) in the YAML
// fields of the new-service form, as an editor: the answer is never a 500, and each input
// costs bounded time and memory however it nests.
//
//	go test -run '^$' -fuzz FuzzFormYAMLField -fuzztime 2m ./internal/web/
func FuzzFormYAMLField(f *testing.F) {
	e := newDemoEnv(f)
	br := e.browse("editor")
	var cookie string
	for _, c := range br.hc.Jar.Cookies(mustURL(f, e.ts.URL)) {
		if c.Name == sessionCookie {
			cookie = c.Name + "=" + c.Value
		}
	}
	for _, s := range []string{"- ", "[", "{a: ", "- a:\n  ", "a:\n ", "- [", "? ", "&a [*a, ", "\"", "|\n  - "} {
		f.Add(s, uint16(5000), uint8(0))
		f.Add(s, uint16(60), uint8(3))
	}
	fields := []string{"depends-on", "runs-at", "backups", "replication"}
	f.Fuzz(func(t *testing.T, unit string, times uint16, which uint8) {
		text := strings.Repeat(unit, int(times)%20000)
		if len(text) > 512<<10 {
			text = text[:512<<10] // the form's body limit is 1 MiB, encoded
		}
		form := url.Values{"op": {"save"}, "name": {"svc-fuzz"}, "owner": {"team-backoffice"}, "csrf": {br.csrf}}
		form.Set(fields[int(which)%len(fields)], text)
		req := httptest.NewRequest("POST", "/services/new", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", cookie)
		w := httptest.NewRecorder()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		e.srv.ServeHTTP(w, req)
		d := time.Since(start)
		runtime.ReadMemStats(&after)
		switch w.Code {
		case http.StatusSeeOther, http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("%d × %q: status %d: %.500s", times, unit, w.Code, w.Body)
		}
		if d > 2*time.Second {
			t.Errorf("%d × %q: took %v", times, unit, d)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 256<<20 {
			t.Errorf("%d × %q: allocated %d MB", times, unit, alloc>>20)
		}
		if w.Code == http.StatusSeeOther {
			// Saved: take it away again, so that the next input starts from the same model.
			del := httptest.NewRequest("POST", "/services/svc-fuzz/delete", strings.NewReader(url.Values{"csrf": {br.csrf}}.Encode()))
			del.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			del.Header.Set("Cookie", cookie)
			e.srv.ServeHTTP(httptest.NewRecorder(), del)
		}
	})
}

// TestHostileDocuments sends deep nesting through the other doors, the JSON API and apply:
// each refuses it quickly, saying that it nests too deep.
func TestHostileDocuments(t *testing.T) {
	e := newEnv(t)
	c := e.as("editor")
	deepJSON := `{"apiVersion":"perdura/v1","kind":"Service","metadata":{"name":"deep","owner":"ops"},"spec":{"dependsOn":` +
		strings.Repeat("[", 9990) + strings.Repeat("]", 9990) + `}}`
	deepYAML := "apiVersion: perdura/v1\nkind: Service\nmetadata: {name: deep, owner: ops}\nspec:\n  dependsOn:\n" +
		strings.Repeat("  "+strings.Repeat("- ", 9990)+"x\n", 200)
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"create", "POST", "/api/v1/services", deepJSON, http.StatusBadRequest},
		{"replace", "PUT", "/api/v1/services/web", deepJSON, http.StatusBadRequest},
		{"apply", "POST", "/api/v1/apply", map[string]any{"source": "deep", "files": []map[string]string{{"path": "deep.yaml", "content": deepYAML}}}, http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := c.do(tc.method, tc.path, tc.body, map[string]string{"If-Match": "*"})
			d := time.Since(start)
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.300s", r.StatusCode, tc.status, r.body)
			}
			if !strings.Contains(string(r.body), "nested deeper than 100 levels") {
				t.Errorf("the answer does not say it nests too deep: %.500s", r.body)
			}
			if d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
