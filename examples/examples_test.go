package examples

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/lint"
	"github.com/perdura/perdura/internal/model"
)

// load reads the embedded demo organisation, as `perdura demo` does.
func load(t *testing.T) (*model.Model, *analysis.Graph) {
	t.Helper()
	m, problems, err := model.LoadFS(FS, ".")
	if err != nil || len(problems) > 0 {
		t.Fatalf("the demo organisation does not load: %v %v", err, problems)
	}
	g, err := analysis.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	return m, g
}

// TestDemoIsReal: the demo holds what issue 2 promises a continuity manager.
func TestDemoIsReal(t *testing.T) {
	m, _ := load(t)
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"services", len(m.Services), 40}, {"sites", len(m.Sites), 3}, {"providers", len(m.Providers), 4},
		{"business functions", len(m.Functions), 6}, {"people", len(m.People), 15}, {"teams", len(m.Teams), 5},
		{"scenarios", len(m.Scenarios), 4},
	} {
		if c.got < c.want {
			t.Errorf("%d %s, want at least %d", c.got, c.what, c.want)
		}
	}
	for _, f := range m.Functions {
		if len(f.Spec.Impact) == 0 {
			t.Errorf("%s has no impact table", model.Ref(f))
		}
	}
}

// TestDemoLintsClean: no errors, a few honest warnings, on the day the demo was written.
func TestDemoLintsClean(t *testing.T) {
	m, g := load(t)
	fs := lint.Run(m, g, lint.Options{Today: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)})
	errs, warns, _ := lint.Count(fs)
	if errs > 0 {
		for _, f := range fs {
			if f.Severity == lint.Error {
				t.Errorf("%s:%d: %s [%s]", f.File, f.Line, f.Message, f.Rule)
			}
		}
	}
	if warns == 0 {
		t.Error("the demo has no warnings; it should show a few honest ones")
	}
	rules := map[string]bool{}
	for _, f := range fs {
		rules[f.Rule] = true
	}
	for _, r := range []string{"false-redundancy", "contract-expiring", "review-overdue", "contact-unreachable", "plan-too-slow"} {
		if !rules[r] {
			t.Errorf("the planted %s warning is gone", r)
		}
	}
}

// TestDemoHiddenRedundancy: both orders-db replicas sit on one SAN in one site; the estate
// report must name that as a single point of failure of online sales.
func TestDemoHiddenRedundancy(t *testing.T) {
	_, g := load(t)
	est := g.Estate(context.Background())
	var causes []string
	for _, s := range est.SPOFs {
		if s.Object == "function/online-sales" {
			causes = s.Causes
		}
	}
	for _, want := range []string{"service/storage-san-fra", "site/dc-frankfurt"} {
		if !slices.Contains(causes, want) {
			t.Errorf("online sales' single points of failure %v lack %s", causes, want)
		}
	}
	// And the redundancy looks real: neither replica alone is a single point of failure.
	for _, c := range causes {
		if strings.HasPrefix(c, "service/orders-db-") {
			t.Errorf("%s is listed: the group should survive the loss of one replica", c)
		}
	}
}

// TestDemoSiteLoss: the site-loss scenario's impact, in CONTRACT.md's shape.
func TestDemoSiteLoss(t *testing.T) {
	m, g := load(t)
	var sc *model.Scenario
	for _, s := range m.Scenarios {
		if len(s.Spec.Fails.Sites) > 0 {
			sc = s
			break
		}
	}
	if sc == nil {
		t.Fatal("no site-loss scenario")
	}
	im, err := g.Impact(analysis.ScenarioFailure(sc))
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Services) == 0 || len(im.Functions) == 0 {
		t.Fatalf("losing %v impacts nothing", sc.Spec.Fails.Sites)
	}
	for _, o := range append(im.Services, im.Functions...) {
		if o.State == "down" && (len(o.CriticalPath) == 0 || !strings.HasPrefix(o.CriticalPath[0], "site/")) {
			t.Errorf("%s: critical path %v does not start at the failed site", o.Name, o.CriticalPath)
		}
	}
}
