package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/model"
)

// today is the date every fixture is written against.
var today = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

// lintDir loads and lints a folder, failing the test if it does not load.
func lintDir(t *testing.T, dir string) []Finding {
	t.Helper()
	m, problems, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("fixture does not load:\n%v", problems)
	}
	g, err := analysis.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	return Run(m, g, Options{Today: today})
}

// TestBaseIsClean: the base model triggers no rule, so it is every rule's "does not fire" case.
func TestBaseIsClean(t *testing.T) {
	for _, f := range lintDir(t, "testdata/base") {
		t.Errorf("unexpected finding: %s:%d: %s [%s]", f.File, f.Line, f.Message, f.Rule)
	}
}

var (
	wantRe = regexp.MustCompile(`#\s*want:\s*(.+)$`)
	kindRe = regexp.MustCompile(`(?m)^kind:\s*(\w+)`)
	nameRe = regexp.MustCompile(`name:\s*([a-z0-9-]+)`)
)

// docKey identifies a YAML document by kind and name, for overlays that replace base objects.
func docKey(doc string) string {
	k, n := kindRe.FindStringSubmatch(doc), nameRe.FindStringSubmatch(doc)
	if k == nil || n == nil {
		return ""
	}
	return k[1] + "/" + n[1]
}

// overlayDir writes the base model with an overlay's documents replacing those of the same kind
// and name into a new folder, as base.yaml and overlay.yaml, and returns the folder and the
// overlay's text.
func overlayDir(t *testing.T, overlay string) (dir, text string) {
	t.Helper()
	base, err := os.ReadFile("testdata/base/model.yaml")
	if err != nil {
		t.Fatal(err)
	}
	over, err := os.ReadFile(overlay)
	if err != nil {
		t.Fatal(err)
	}
	replaced := map[string]bool{}
	for _, doc := range strings.Split(string(over), "\n---\n") {
		replaced[docKey(doc)] = true
	}
	var kept []string
	for _, doc := range strings.Split(string(base), "\n---\n") {
		if !replaced[docKey(doc)] {
			kept = append(kept, doc)
		}
	}
	dir = t.TempDir()
	write(t, filepath.Join(dir, "base.yaml"), strings.Join(kept, "\n---\n"))
	write(t, filepath.Join(dir, "overlay.yaml"), string(over))
	return dir, string(over)
}

// TestRules applies each overlay in testdata/rules to the base model and checks that the
// findings are exactly the `# want: rule ...` annotations of the overlay, line by line.
func TestRules(t *testing.T) {
	overlays, _ := filepath.Glob("testdata/rules/*.yaml")
	if len(overlays) == 0 {
		t.Fatal("no overlays")
	}
	covered := map[string]bool{}
	for _, path := range overlays {
		t.Run(filepath.Base(path), func(t *testing.T) {
			dir, over := overlayDir(t, path)
			var want []string
			for i, line := range strings.Split(over, "\n") {
				if m := wantRe.FindStringSubmatch(line); m != nil {
					for _, rule := range strings.Fields(m[1]) {
						want = append(want, fmt.Sprintf("overlay.yaml:%d [%s]", i+1, rule))
						covered[rule] = true
					}
				}
			}
			var got []string
			for _, f := range lintDir(t, dir) {
				got = append(got, fmt.Sprintf("%s:%d [%s]", filepath.Base(f.File), f.Line, f.Rule))
				if f.Message == "" || f.Object == "" {
					t.Errorf("finding without message or object: %+v", f)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("findings differ\n got: %s\nwant: %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
			}
		})
	}
	for _, r := range Rules() {
		if !covered[r.Name] {
			t.Errorf("rule %s has no fixture in testdata/rules", r.Name)
		}
	}
}

// TestRulesDocumented keeps docs/lint.md in step with the rules, the linter's and the loader's.
func TestRulesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/lint.md")
	if err != nil {
		t.Fatal(err)
	}
	names := []string{model.RuleFile, model.RuleSyntax, model.RuleEnvelope, model.RuleUnknown, model.RuleType,
		model.RuleValue, model.RuleRequired, model.RuleDuplicate, model.RuleReference, model.RuleCycle, model.RuleNameInvalid}
	for _, r := range Rules() {
		names = append(names, r.Name)
	}
	for _, n := range names {
		if !strings.Contains(string(doc), "`"+n+"`") {
			t.Errorf("docs/lint.md does not document rule `%s`", n)
		}
	}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestErrorsOnly: the write-path subset gives exactly the errors of a full run.
func TestErrorsOnly(t *testing.T) {
	for _, name := range []string{"rto-inherited", "rpo-unachievable", "mtpd-mismatch", "plan-quality"} {
		dir, _ := overlayDir(t, "testdata/rules/"+name+".yaml")
		m, problems, err := model.Load(dir)
		if err != nil || len(problems) > 0 {
			t.Fatal(err, problems)
		}
		g, _ := analysis.Compile(m)
		var want []Finding
		for _, f := range Run(m, g, Options{Today: today}) {
			if f.Severity == Error {
				want = append(want, f)
			}
		}
		got := Run(m, g, Options{Today: today, ErrorsOnly: true})
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: ErrorsOnly gives %v, the full run's errors are %v", name, got, want)
		}
	}
}
