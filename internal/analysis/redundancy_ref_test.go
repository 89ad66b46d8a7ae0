package analysis

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestFalseRedundancyAgainstReference: on random models, the groups the estate sweep says one
// failure defeats are exactly those the reference finds by failing every candidate alone,
// failovers instant, and evaluating each group (nested ones too) the plainest way.
func TestFalseRedundancyAgainstReference(t *testing.T) {
	models := max(*numModels/5, 50)
	compared := 0
	for seed := int64(1); seed <= int64(models); seed++ {
		m := randomModel(seed)
		g, err := Compile(m)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		links := refLinks(m)
		candidates := refCandidates(links)
		states := map[string]map[string]refVal{} // failure -> node -> value, failovers instant
		for _, x := range candidates {
			st := refRun(m, links, refSingle(x), true)
			vals := map[string]refVal{}
			for ref, down := range st.down {
				vals[ref] = refVal{down: down, up: st.up[ref]}
			}
			states[x] = vals
		}
		var want []string
		var visit func(service string, d refDep)
		visit = func(service string, d refDep) {
			if !d.group {
				return
			}
			var members []string
			for _, mem := range d.members {
				visit(service, mem)
				if mem.group {
					members = append(members, "group")
				} else {
					members = append(members, mem.ref)
				}
			}
			need := min(d.need, len(d.members))
			if len(d.members)-need < 1 {
				return
			}
			var defeats []string
			for _, x := range candidates {
				if refEvalDep(d, states[x], true).down {
					defeats = append(defeats, x)
				}
			}
			if len(defeats) > 0 {
				want = append(want, fmt.Sprintf("%s (%s) need %d: %s", service, strings.Join(members, ","), need, strings.Join(defeats, ",")))
			}
		}
		for _, s := range m.Services {
			for _, d := range links["service/"+s.Metadata.Name] {
				visit("service/"+s.Metadata.Name, d)
			}
		}
		var got []string
		for _, r := range g.Estate(context.Background()).FalseRedundancy {
			got = append(got, fmt.Sprintf("%s (%s) need %d: %s", r.Service, strings.Join(r.Members, ","), r.Need, strings.Join(r.Defeats, ",")))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("seed %d:\nengine:    %q\nreference: %q", seed, got, want)
		}
		compared += len(want)
	}
	if compared < models/4 {
		t.Errorf("only %d defeated groups in %d models: the test proves little", compared, models)
	}
	t.Logf("%d models, %d defeated groups agreed with the reference", models, compared)
}
