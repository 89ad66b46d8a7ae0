package analysis

import (
	"slices"
	"testing"
)

func TestFalseRedundancy(t *testing.T) {
	g := compile(t,
		site("dc-a", "1h", "colo"), site("dc-b", "1h", "colo"), site("dc-c", "1h"),
		prov("colo", "4h"),
		svc("san", rec("1h"), runs("single", "", "dc-a")),
		svc("db-1", rec("1h"), deps(hard("san"))),
		svc("db-2", rec("1h"), deps(hard("san"))),
		svc("db-3", rec("1h")),
		// Two replicas on one SAN: the SAN (and what it needs) defeats the group.
		svc("app", rec("1h"), runs("active-active", "", "dc-a", "dc-b"),
			deps(anyOf("1m", hard("db-1"), hard("db-2")), atLeast(2, "", hard("db-1"), hard("db-3"), hard("db-2")))),
		// Truly redundant: different sites, different providers.
		svc("web", rec("1h"), runs("active-passive", "5m", "dc-a", "dc-c")),
		// Needs all its members: promises nothing, so nothing to report.
		svc("batch", rec("1h"), deps(atLeast(2, "", hard("db-1"), hard("db-3")))),
	)
	got := g.FalseRedundancy()
	want := []Redundancy{
		{Service: "service/app", Path: "spec.runsAt.sites", Members: []string{"site/dc-a", "site/dc-b"}, Need: 1, Defeats: []string{"provider/colo"}},
		{Service: "service/app", Path: "spec.dependsOn[0]", Members: []string{"service/db-1", "service/db-2"}, Need: 1,
			Defeats: []string{"provider/colo", "service/san", "site/dc-a"}},
		{Service: "service/app", Path: "spec.dependsOn[1]", Members: []string{"service/db-1", "service/db-3", "service/db-2"}, Need: 2,
			Defeats: []string{"provider/colo", "service/san", "site/dc-a"}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d groups: %v, want %d", len(got), got, len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.Service != w.Service || g.Path != w.Path || g.Need != w.Need || !slices.Equal(g.Members, w.Members) || !slices.Equal(g.Defeats, w.Defeats) {
			t.Errorf("group %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

// TestCriticalPathMatchesImpact: the one-path query gives what the whole report gives.
func TestCriticalPathMatchesImpact(t *testing.T) {
	g := compile(t,
		site("dc-a", "2h"), site("dc-b", "3h"),
		svc("dns", rec("10m"), runs("active-active", "", "dc-a", "dc-b")),
		svc("db", rec("1h"), runs("active-passive", "15m", "dc-a", "dc-b"), deps(hard("dns"))),
		svc("web", rec("30m"), runs("single", "", "dc-a"), deps(hard("db"), soft("dns"))),
		fn("sales", "4h", "web"),
	)
	for _, f := range []Failure{{Sites: []string{"dc-a"}}, {Sites: []string{"dc-a", "dc-b"}}, {Services: []string{"dns"}}} {
		im, err := g.Impact(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range [][]ObjectImpact{im.Services, im.Functions} {
			for _, o := range l {
				ref := "service/" + o.Name
				if o.Function {
					ref = "function/" + o.Name
				}
				p, err := g.CriticalPath(f, ref)
				if err != nil || !slices.Equal(p, o.CriticalPath) {
					t.Errorf("%v %s: CriticalPath %v, Impact %v (%v)", f, ref, p, o.CriticalPath, err)
				}
			}
		}
		if p, _ := g.CriticalPath(f, "site/nowhere"); p != nil {
			t.Errorf("unknown object: %v", p)
		}
	}
}
