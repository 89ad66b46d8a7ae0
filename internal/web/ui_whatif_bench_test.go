package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
	"github.com/perdura/perdura/internal/synth"
)

// BenchmarkWhatIf10k renders the whole what-if page through the handler (session by API
// token, snapshot, impact, template) for a synthetic estate of 10,000 services, failing its
// largest hub (the service most others depend on) and one of its sites; in this estate
// either takes down nearly every service, so the table shows its first 500 rows (and
// site-all measures "show all": every row). The issue asks for
// under a second; docs/benchmarks.md has the figure.
//
//	go test ./internal/web -run '^$' -bench BenchmarkWhatIf10k -benchtime 20x
func BenchmarkWhatIf10k(b *testing.B) {
	m := synth.Generate(synth.Config{Seed: 1, Services: 10000})
	lintClean(b, m)
	e := newEnvWith(b, func(t testing.TB, cat *catalog.Catalog) { storeModel(t, cat, m) })
	secret := e.tokens[auth.RoleViewer]
	for _, c := range []struct{ name, fail, all string }{
		{"hub", "service/" + largestHub(m), ""},
		{"site", "site/" + m.Sites[0].Metadata.Name, ""},
		// "Show all": every impacted service in the table, no cap.
		{"site-all", "site/" + m.Sites[0].Metadata.Name, "1"},
	} {
		v := url.Values{"fail": {c.fail}}
		if c.all != "" {
			v.Set("all", c.all)
		}
		path := "/whatif?" + v.Encode()
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
		body := w.Body.String()
		rows := strings.Count(body, "<tr data-ref=\"service/")
		impacted, _ := strconv.Atoi(strings.ReplaceAll(between(between(body, `id="impacted"`, "</caption>"), "<caption>", " impacted"), ",", ""))
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				get()
			}
			b.ReportMetric(float64(impacted), "impacted")
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(w.Body.Len())/1024, "KiB")
		})
	}
}

// lintClean makes a generated estate acceptable to the catalog, which refuses a model with
// lint errors: the generator states RPOs without the backups to meet them, and RTOs looser
// than what depends on them requires. It drops or loosens those RPOs and tightens those RTOs to what
// they inherit, which changes no dependency: the impact of a failure is the generator's.
func lintClean(t testing.TB, m *model.Model) {
	t.Helper()
	for _, s := range m.Services {
		d, _, ok := analysis.AchievableRPO(s)
		switch {
		case !ok:
			s.Spec.Targets.RPO = nil
		case s.Spec.Targets.RPO != nil && *s.Spec.Targets.RPO < d:
			s.Spec.Targets.RPO = &d
		}
	}
	g, err := analysis.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range g.Inherited() {
		if it.Stated != nil && *it.Stated > it.Seconds {
			d := model.Duration(time.Duration(it.Seconds) * time.Second)
			m.Service(strings.TrimPrefix(it.Service, "service/")).Spec.Targets.RTO = &d
		}
	}
}

// storeModel stores a generated model in the catalog as the source "synth", the way a
// model folder is applied.
func storeModel(t testing.TB, cat *catalog.Catalog, m *model.Model) {
	t.Helper()
	dir := t.TempDir()
	if err := synth.WriteYAML(dir, m); err != nil {
		t.Fatal(err)
	}
	var files []catalog.File
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files = append(files, catalog.File{Path: rel, Content: b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Apply(context.Background(), catalog.Actor{User: "test", Door: catalog.DoorFile}, "synth", files, false); err != nil {
		if ve, ok := catalog.IsValidation(err); ok {
			for i, p := range ve.Problems {
				if i == 10 {
					break
				}
				t.Logf("%+v", p)
			}
		}
		t.Fatalf("apply the synthetic estate: %v", err)
	}
}

// largestHub is the service with the most services depending on it directly.
func largestHub(m *model.Model) string {
	in := map[string]int{}
	for ed := range synth.Edges(m) {
		if strings.HasPrefix(ed.From, "service/") && strings.HasPrefix(ed.To, "service/") {
			in[ed.To]++
		}
	}
	best, n := "", -1
	for ref, c := range in {
		if c > n || c == n && ref < best {
			best, n = ref, c
		}
	}
	return strings.TrimPrefix(best, "service/")
}

// BenchmarkWhatIfDemo renders the what-if of the Frankfurt site loss of the demo
// organisation, the page the browser test runs.
func BenchmarkWhatIfDemo(b *testing.B) {
	e := newDemoEnv(b)
	secret := e.tokens[auth.RoleViewer]
	for b.Loop() {
		req := httptest.NewRequest("GET", "/whatif?fail=site/dc-frankfurt", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %.500s", w.Code, w.Body)
		}
	}
}
