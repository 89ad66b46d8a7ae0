package analysis

import (
	"context"
	"slices"
	"strings"
)

// Redundancy is a redundancy group that one failure defeats: its members (sites a service
// runs at, or a dependsOn group) share something whose failure alone leaves fewer than the
// group needs, even with instant failover. Two database replicas on one SAN, two sites
// behind one provider.
type Redundancy struct {
	Service string   // the service whose group it is, kind/name
	Path    string   // where the group is written: "spec.runsAt.sites", "spec.dependsOn[2]", ...
	Members []string // the members, kind/name, as listed (a nested group shows as "group")
	Need    int      // how many members the group needs
	Defeats []string // every object whose failure alone defeats the group, sorted
	order   int      // the group's place in the model, for a stable report
}

// FalseRedundancy lists every group that promises redundancy (it can lose a member) and that
// a single failure defeats, in the order the groups were written. It sweeps the estate; a
// caller with an Estate at hand reads its FalseRedundancy instead.
func (g *Graph) FalseRedundancy() []Redundancy {
	return g.Estate(context.Background()).FalseRedundancy
}

// promisesRedundancy reports whether v is a group that can lose a member.
func (g *Graph) promisesRedundancy(v int32) bool {
	if int(v) < g.nReal {
		return false
	}
	members := g.childStart[v+1] - g.childStart[v]
	return int(members)-int(g.need[int(v)-g.nReal]) >= 1
}

// redundancy describes group v and the failures that defeat it.
func (g *Graph) redundancy(v int32, defeats []int32) Redundancy {
	i := int(v) - g.nReal
	r := Redundancy{Service: g.refs[g.groupOwner[i]], Path: g.groupPath[i], Need: int(g.need[i]),
		Defeats: g.refsSorted(defeats), order: i}
	for _, m := range g.child[g.childStart[v]:g.childStart[v+1]] {
		if int(m) < g.nReal {
			r.Members = append(r.Members, g.refs[m])
		} else {
			r.Members = append(r.Members, "group")
		}
	}
	return r
}

// CriticalPath is the critical path of one object (kind/name) under a failure, from the failed
// node to the object; nil when the failure does not impact it.
func (g *Graph) CriticalPath(f Failure, ref string) ([]string, error) {
	ps, err := g.CriticalPaths(f, []string{ref})
	if err != nil {
		return nil, err
	}
	return ps[0], nil
}

// CriticalPaths is CriticalPath for several objects under one failure: it propagates the
// failure once and builds only the paths asked for, where Impact builds every impacted
// object's. An object the failure does not impact, or that is not in the model, gets nil.
func (g *Graph) CriticalPaths(f Failure, refs []string) ([][]string, error) {
	sc, seeds, err := g.fail(f)
	if err != nil {
		return nil, err
	}
	defer g.putScratch(sc)
	spread := false
	out := make([][]string, len(refs))
	for i, ref := range refs {
		id, ok := g.Lookup(ref)
		if !ok {
			continue
		}
		v := int32(id)
		if sc.flag[v]&fDown == 0 {
			if !spread { // degraded objects' paths follow breadth-first distances
				g.spread(sc, seeds)
				spread = true
			}
			if sc.flag[v]&fImpacted == 0 {
				continue
			}
		}
		_, p := g.path(sc, v, nil)
		out[i] = slices.Clone(p)
	}
	return out, nil
}

// String is the redundancy as a person reads it.
func (r Redundancy) String() string {
	return r.Service + " " + r.Path + " (" + strings.Join(r.Members, ", ") + ")"
}
