package analysis

import (
	"slices"

	"github.com/perdura/perdura/internal/model"
)

// InheritedTarget is the recovery target a service inherits from what depends on it.
type InheritedTarget struct {
	Service string // the service's ref
	// Seconds is the effective RTO: the least of its own rto and the RTO or MTPD of
	// everything that depends on it through hard links.
	Seconds int64
	From    string   // the ref whose target sets Seconds: the service itself when its own rto is tightest
	Chain   []string // refs from the service up to From
	Stated  *int64   // the service's own rto, nil when it states none
}

// Inherited lists every service on which something that depends on it through hard links
// (a function's services, a hard dependsOn; not a soft one, and not a redundancy group,
// whose members stand in for each other) sets a target, sorted by ref. A linter finds a
// contradiction where Stated > Seconds, and names Chain.
//
// Ties: a service's own rto wins over an equal inherited one; among dependents with equal
// targets, the first in declaration order (functions before services).
func (g *Graph) Inherited() []InheritedTarget {
	eff := make([]int64, g.nReal)
	from := make([]int32, g.nReal)
	via := make([]int32, g.nReal) // the next node up the chain, or itself at the chain's end
	inherited := make([]bool, g.nReal)

	order := make([]int32, 0, g.nReal)
	for v := 0; v < g.nReal; v++ {
		if k := g.kind[v]; k == kindService || k == kindFunction {
			order = append(order, int32(v))
		}
	}
	// Dependents rank above what they need, so walking ranks downwards settles every
	// dependent before the services it needs.
	slices.SortStableFunc(order, func(a, b int32) int { return int(g.rank[b] - g.rank[a]) })
	for _, v := range order {
		eff[v], from[v], via[v] = g.target[v], v, v
		if g.kind[v] == kindFunction {
			continue
		}
		for e := g.hardStart[v]; e < g.hardStart[v+1]; e++ {
			p := g.hardPar[e]
			if int(p) >= g.nReal || eff[p] < 0 {
				continue
			}
			if k := g.kind[p]; k != kindService && k != kindFunction {
				continue
			}
			inherited[v] = true
			if eff[v] < 0 || eff[p] < eff[v] {
				eff[v], from[v], via[v] = eff[p], from[p], p
			}
		}
	}
	var out []InheritedTarget
	for _, v := range g.sortedByRef() {
		if g.kind[v] != kindService || !inherited[v] {
			continue
		}
		it := InheritedTarget{Service: g.Ref(NodeID(v)), Seconds: eff[v], From: g.Ref(NodeID(from[v]))}
		if t := g.target[v]; t >= 0 {
			it.Stated = &t
		}
		for c := v; ; c = via[c] {
			it.Chain = append(it.Chain, g.Ref(NodeID(c)))
			if via[c] == c {
				break
			}
		}
		out = append(out, it)
	}
	return out
}

// AchievableRPO is the data a service can lose: the least of its replication lag and, over
// its backups, interval plus the time the copy takes where given. source says which:
// "replication" or "backup NAME". Ties go to replication, then backups as listed. ok is false
// when the service has neither.
func AchievableRPO(s *model.Service) (d model.Duration, source string, ok bool) {
	if r := s.Spec.Replication; r != nil {
		d, source, ok = r.Lag, "replication", true
	}
	for _, b := range s.Spec.Backups {
		w := b.Interval
		if b.Duration != nil {
			w += *b.Duration
		}
		if !ok || w < d {
			d, source, ok = w, "backup "+b.Name, true
		}
	}
	return d, source, ok
}

// PlanPath is a plan's critical path: the longest chain of steps by `after`, summing their
// durations (a step without one counts 0). path lists step ids from first to last. Ties go
// to the step listed first, both for the chain's end and for each step's predecessor. An
// `after` naming no step, or closing a cycle, is ignored: the linter reports those.
func PlanPath(p *model.Plan) (total model.Duration, path []string) {
	steps := p.Spec.Steps
	index := make(map[string]int, len(steps))
	for i, s := range steps {
		if _, dup := index[s.ID]; !dup {
			index[s.ID] = i
		}
	}
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, len(steps))
	finish := make([]model.Duration, len(steps))
	prev := make([]int, len(steps))
	var visit func(i int)
	visit = func(i int) {
		state[i] = active
		prev[i] = -1
		var start model.Duration
		for _, a := range steps[i].After {
			j, ok := index[a]
			if !ok || state[j] == active {
				continue
			}
			if state[j] == unseen {
				visit(j)
			}
			if prev[i] < 0 || finish[j] > start {
				start, prev[i] = finish[j], j
			}
		}
		finish[i] = start
		if d := steps[i].Duration; d != nil {
			finish[i] += *d
		}
		state[i] = done
	}
	end := -1
	for i := range steps {
		if state[i] == unseen {
			visit(i)
		}
		if end < 0 || finish[i] > finish[end] {
			end = i
		}
	}
	if end < 0 {
		return 0, nil
	}
	for i := end; i >= 0; i = prev[i] {
		path = append(path, steps[i].ID)
	}
	slices.Reverse(path)
	return finish[end], path
}
