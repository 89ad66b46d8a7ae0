package synth_test

import (
	"testing"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/model"
	"github.com/perdura/perdura/internal/synth"
)

// TestWriteYAMLLoads writes an estate as a model folder and reads it back with the real
// loader, which validates references, names, values and cycles: the folder is what the lint
// and load benchmarks read, so it must load without a single problem and compile.
func TestWriteYAMLLoads(t *testing.T) {
	m := synth.Generate(synth.ForNodes(13, 2000))
	dir := t.TempDir()
	if err := synth.WriteYAML(dir, m); err != nil {
		t.Fatal(err)
	}
	got, problems, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range problems {
		if i == 10 {
			t.Fatalf("... and %d more problems", len(problems)-10)
		}
		t.Errorf("problem: %v", p)
	}
	if len(got.Services) != len(m.Services) || len(got.Functions) != len(m.Functions) || len(got.Sites) != len(m.Sites) {
		t.Errorf("loaded %d services, %d functions, %d sites; wrote %d, %d, %d",
			len(got.Services), len(got.Functions), len(got.Sites), len(m.Services), len(m.Functions), len(m.Sites))
	}
	if _, err := analysis.Compile(got); err != nil {
		t.Errorf("compile the loaded estate: %v", err)
	}
}

// TestCompiles checks that the analysis compiles a generated estate as it is, and that its
// graph has every node and edge Edges yields (groups add nodes of their own).
func TestCompiles(t *testing.T) {
	m := synth.Generate(synth.ForNodes(17, 5000))
	g, err := analysis.Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	edges := 0
	for e := range synth.Edges(m) {
		edges++
		for _, ref := range []string{e.From, e.To} {
			if _, ok := g.Lookup(ref); !ok {
				t.Fatalf("%s is not in the compiled graph", ref)
			}
		}
	}
	if g.Edges() < edges {
		t.Errorf("compiled graph has %d edges, Edges yields %d", g.Edges(), edges)
	}
}
