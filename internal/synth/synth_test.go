package synth

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/perdura/perdura/internal/model"
)

func TestGenerateIsDeterministic(t *testing.T) {
	cfg := ForNodes(42, 3000)
	a, b := Generate(cfg), Generate(cfg)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two estates generated from one Config differ")
	}
	if csv(t, a) != csv(t, b) {
		t.Fatal("two estates generated from one Config write different CSV")
	}
	cfg.Seed = 43
	if csv(t, Generate(cfg)) == csv(t, a) {
		t.Fatal("seeds 42 and 43 gave the same estate")
	}
}

func TestGenerateIsValid(t *testing.T) {
	for _, nodes := range []int{1, 10, 100, 5000} {
		m := Generate(ForNodes(7, nodes))
		for _, p := range danglingRefs(m) {
			t.Errorf("%d nodes: %s", nodes, p)
		}
		if cyc := cycle(m); cyc != nil {
			t.Errorf("%d nodes: dependency cycle %s", nodes, strings.Join(cyc, " -> "))
		}
		if err := uniqueValidNames(m); err != nil {
			t.Errorf("%d nodes: %v", nodes, err)
		}
	}
}

func TestGenerateSizes(t *testing.T) {
	for _, nodes := range []int{2000, 20000} {
		m := Generate(ForNodes(1, nodes))
		n := 0
		for range Nodes(m) {
			n++
		}
		kinds := map[string]int{}
		edges := 0
		incident := map[string]bool{}
		for e := range Edges(m) {
			edges++
			kinds[e.Kind]++
			incident[e.From], incident[e.To] = true, true
		}
		if n < nodes*98/100 || n > nodes*102/100 {
			t.Errorf("ForNodes(%d): got %d nodes", nodes, n)
		}
		if per := float64(edges) / float64(n); per < 9 || per > 11 {
			t.Errorf("ForNodes(%d): got %.2f edges per node, want about 10", nodes, per)
		}
		for _, k := range []string{EdgeHard, EdgeSoft, EdgeGroupMember, EdgeHosting, EdgeProvider} {
			if kinds[k] == 0 {
				t.Errorf("ForNodes(%d): no %s edge", nodes, k)
			}
		}
		if len(incident) != n {
			t.Errorf("ForNodes(%d): %d of %d nodes have an edge, want all", nodes, len(incident), n)
		}
	}
}

// TestFanInIsSkewed checks the shape the benchmarks rely on: a few hubs, a long tail, and a
// core that almost everything reaches.
func TestFanInIsSkewed(t *testing.T) {
	m := Generate(ForNodes(3, 20000))
	in := map[string]int{}
	for e := range Edges(m) {
		in[e.To]++
	}
	var top, ones int
	for _, c := range in {
		top = max(top, c)
		if c <= 2 {
			ones++
		}
	}
	if top < 1000 {
		t.Errorf("largest fan-in is %d, want a hub of at least 1000", top)
	}
	if ones < len(in)/4 {
		t.Errorf("%d of %d depended-on nodes have a fan-in of at most 2, want a long tail", ones, len(in))
	}
	// The first core service (the core network) is reached by most services.
	core := "service/" + m.Services[0].Metadata.Name
	if got, want := len(reach(m, core)), len(m.Services)/2; got < want {
		t.Errorf("%s reaches %d nodes, want at least %d", core, got, want)
	}
}

func TestEveryModeAndGroupAppears(t *testing.T) {
	m := Generate(ForNodes(5, 5000))
	seen := map[string]bool{}
	var walk func(ds []model.Dependency, nested bool)
	walk = func(ds []model.Dependency, nested bool) {
		for i := range ds {
			d := &ds[i]
			switch {
			case d.AnyOf != nil:
				seen["anyOf"] = true
			case d.AtLeast > 0:
				seen["atLeast"] = true
			case d.Soft():
				seen["soft"] = true
			}
			if d.IsGroup() && d.Failover > 0 {
				seen["failover"] = true
			}
			walk(d.Members(), true)
		}
	}
	for _, s := range m.Services {
		seen[s.Spec.RunsAt.EffectiveMode()] = true
		walk(s.Spec.DependsOn, false)
		if s.Spec.Replication != nil {
			seen["replication"] = true
		}
		if *s.Spec.Recovery.Time > *s.Spec.Targets.RTO {
			seen["recovery beyond rto"] = true
		}
	}
	for _, want := range []string{"anyOf", "atLeast", "soft", "failover", model.ModeSingle, model.ModeActiveActive, model.ModeActivePassive, "replication", "recovery beyond rto"} {
		if !seen[want] {
			t.Errorf("no %s in a 5000-node estate", want)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	m := Generate(ForNodes(9, 500))
	lines := strings.Split(strings.TrimSuffix(csv(t, m), "\n"), "\n")
	if lines[0] != "from,to,kind" {
		t.Errorf("header: got %q, want from,to,kind", lines[0])
	}
	n := 0
	for e := range Edges(m) {
		n++
		if got, want := lines[n], e.From+","+e.To+","+e.Kind; got != want {
			t.Fatalf("line %d: got %q, want %q", n+1, got, want)
		}
	}
	if got := len(lines) - 1; got != n {
		t.Errorf("got %d edge lines, want %d", got, n)
	}
	if err := WriteCSV(failingWriter{}, m); err == nil {
		t.Error("WriteCSV to a failing writer: got no error")
	}
}

func TestWriteYAML(t *testing.T) {
	m := Generate(ForNodes(11, 1200))
	dir := t.TempDir()
	if err := WriteYAML(dir, m); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	var deps []any
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc struct {
				APIVersion string `yaml:"apiVersion"`
				Kind       string
				Metadata   struct{ Name string }
				Spec       map[string]any
			}
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if doc.APIVersion != model.APIVersion || doc.Metadata.Name == "" {
				t.Fatalf("%s: bad envelope %+v", f, doc)
			}
			counts[doc.Kind]++
			if d, ok := doc.Spec["dependsOn"].([]any); ok {
				deps = append(deps, d...)
			}
		}
	}
	want := map[string]int{
		"BusinessFunction": len(m.Functions), "Service": len(m.Services), "Site": len(m.Sites),
		"Provider": len(m.Providers), "Person": len(m.People), "Team": len(m.Teams), "Scenario": len(m.Scenarios),
	}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("documents by kind: got %v, want %v", counts, want)
	}
	var short, long bool
	for _, d := range deps {
		switch d.(type) {
		case string:
			short = true
		case map[string]any:
			long = true
		}
	}
	if !short || !long {
		t.Errorf("dependsOn forms: bare names %v, mappings %v; want both", short, long)
	}
}

func csv(t *testing.T, m *model.Model) string {
	t.Helper()
	var b strings.Builder
	if err := WriteCSV(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// danglingRefs lists every reference of the model that names no object of the expected kind.
func danglingRefs(m *model.Model) []string {
	var out []string
	check := func(from string, k model.Kind, name string) {
		if _, ok := m.Get(k, name); !ok {
			out = append(out, from+" names missing "+k.RefPrefix()+"/"+name)
		}
	}
	owner := func(o model.Object) {
		_, team := m.Get(model.KindTeam, o.Meta().Owner)
		_, person := m.Get(model.KindPerson, o.Meta().Owner)
		if !team && !person {
			out = append(out, model.Ref(o)+" has unknown owner "+o.Meta().Owner)
		}
	}
	var deps func(from string, ds []model.Dependency)
	deps = func(from string, ds []model.Dependency) {
		for i := range ds {
			if d := &ds[i]; d.IsGroup() {
				if n := len(d.Members()); d.Need() < 1 || d.Need() > n {
					out = append(out, from+": group needs "+string(rune('0'+d.Need()))+" of its members")
				}
				deps(from, d.Members())
			} else {
				check(from, model.KindService, d.Service)
			}
		}
	}
	for _, f := range m.Functions {
		owner(f)
		for _, s := range f.Spec.Services {
			check(model.Ref(f), model.KindService, s)
		}
	}
	for _, s := range m.Services {
		from := model.Ref(s)
		owner(s)
		for _, site := range s.Spec.RunsAt.Sites {
			check(from, model.KindSite, site)
		}
		for _, p := range s.Spec.Providers {
			check(from, model.KindProvider, p)
		}
		deps(from, s.Spec.DependsOn)
		if r := s.Spec.Replication; r != nil && r.Target != "" {
			check(from, model.KindService, r.Target)
		}
	}
	for _, s := range m.Sites {
		for _, p := range s.Spec.Providers {
			check(model.Ref(s), model.KindProvider, p)
		}
	}
	for _, tm := range m.Teams {
		for _, p := range tm.Spec.Members {
			check(model.Ref(tm), model.KindPerson, p)
		}
	}
	for _, sc := range m.Scenarios {
		for _, s := range sc.Spec.Fails.Sites {
			check(model.Ref(sc), model.KindSite, s)
		}
		for _, p := range sc.Spec.Fails.Providers {
			check(model.Ref(sc), model.KindProvider, p)
		}
	}
	return out
}

// cycle finds a cycle of the dependency graph by depth-first search, or returns nil.
func cycle(m *model.Model) []string {
	out := map[string][]string{}
	for e := range Edges(m) {
		out[e.From] = append(out[e.From], e.To)
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(n string) []string
	visit = func(n string) []string {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range out[n] {
			switch color[d] {
			case grey:
				for i, s := range stack {
					if s == d {
						return append(append([]string{}, stack[i:]...), d)
					}
				}
			case white:
				if c := visit(d); c != nil {
					return c
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		return nil
	}
	for n := range Nodes(m) {
		if color[n] == white {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

// uniqueValidNames checks every generated name against the format's name syntax.
func uniqueValidNames(m *model.Model) error {
	for _, o := range m.Objects() {
		name := o.Meta().Name
		ok := len(name) >= 1 && len(name) <= 63 && name[0] != '-' && name[len(name)-1] != '-'
		for _, c := range name {
			ok = ok && (c == '-' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9')
		}
		if !ok {
			return errors.New("invalid name " + model.Ref(o))
		}
	}
	return nil
}

// reach is every node that depends on ref, directly or not, with ref itself.
func reach(m *model.Model, ref string) map[string]bool {
	in := map[string][]string{}
	for e := range Edges(m) {
		in[e.To] = append(in[e.To], e.From)
	}
	seen := map[string]bool{ref: true}
	queue := []string{ref}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, d := range in[n] {
			if !seen[d] {
				seen[d] = true
				queue = append(queue, d)
			}
		}
	}
	return seen
}
