package analysis

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// Estate is the estate report: CONTRACT.md's JSON of `perdura analyze` without a failure.
// The lint findings the command adds sit beside it: embed *Estate in a struct with a
// `findings` field and encoding/json writes one object.
type Estate struct {
	SPOFs []SPOF  `json:"spofs"`
	Worst []Worst `json:"worst"`
	// FalseRedundancy lists the redundancy groups a single failure defeats, found by the
	// same sweep (a group is down in the boolean sense exactly when a failure defeats it).
	// Not part of CONTRACT.md's JSON: the findings carry it.
	FalseRedundancy []Redundancy `json:"-"`
}

// SPOF lists the single points of failure of one object.
type SPOF struct {
	Object string   `json:"object"`
	Causes []string `json:"causes"`
}

// Worst is one object's worst single failure.
type Worst struct {
	Object string `json:"object"`
	// Cause is the single failure that keeps the object down longest; nil when no single
	// failure takes it down (a function with no services).
	Cause       *string `json:"cause"`
	Recoverable bool    `json:"recoverable"`
	// UpSeconds is when the object is back after Cause; nil when unrecoverable.
	UpSeconds *int64 `json:"upSeconds"`
	// TargetSeconds is a service's stated RTO or a function's effective MTPD.
	TargetSeconds *int64 `json:"targetSeconds"`
	Meets         *bool  `json:"meets"`
}

// sweep is one worker's share of the estate: the worst failure seen so far of every node and
// the SPOFs found for the objects the report lists, by the sweep graph's ids. Workers never
// share writable memory; the results are merged once at the end, in an order that does not
// depend on scheduling.
type sweep struct {
	sc         *sweepScratch
	worstUp    []int64   // -1: no failure seen takes the node down
	worstCause []int32   // Graph id of the cause
	worstRank  []int32   // refRank of the cause, for ties
	spofs      [][]int32 // by spofIndex, Graph ids
}

// Estate answers every single failure of every service, site and provider at once: each
// object's worst single failure, and the single points of failure of every business function
// and every tier 0-1 service. Failures are spread over GOMAXPROCS workers; each failure is
// propagated only as far as it takes things down, and the SPOF (instant-failover) state rides
// along the same pass, since whatever is down in that sense is down in the timed one.
// It returns nil when ctx ends first.
//
// Ties: the worst cause is the one with the longest up time (unrecoverable is longest); among
// equal up times, the cause whose ref sorts first. Objects and causes are sorted by ref.
func (g *Graph) Estate(ctx context.Context) *Estate {
	sg := g.newSweepGraph()
	n := len(sg.old)
	spofIndex := make([]int32, n) // by sweep id
	var spofObjects []int32       // Graph ids
	for nw, v := range sg.old {
		spofIndex[nw] = -1
		if int(v) < g.nReal && (g.kind[v] == kindFunction || g.kind[v] == kindService && g.tier01[v]) || g.promisesRedundancy(v) {
			spofIndex[nw] = int32(len(spofObjects))
			spofObjects = append(spofObjects, v)
		}
	}
	var failures []int32 // sweep ids of every service, site and provider, in Graph id order
	renum := make([]int32, n)
	for nw, v := range sg.old {
		renum[v] = int32(nw)
	}
	for _, id := range g.Nodes() {
		failures = append(failures, renum[id])
	}

	workers := runtime.GOMAXPROCS(0)
	if workers > len(failures)/64+1 {
		workers = len(failures)/64 + 1
	}
	sweeps := make([]*sweep, workers)
	var next atomic.Int64
	const chunk = 128
	var wg sync.WaitGroup
	for w := range sweeps {
		s := &sweep{
			sc:         sg.newScratch(),
			worstUp:    make([]int64, n),
			worstCause: make([]int32, n),
			worstRank:  make([]int32, n),
			spofs:      make([][]int32, len(spofObjects)),
		}
		for i := range s.worstUp {
			s.worstUp[i] = -1
		}
		sweeps[w] = s
		wg.Go(func() {
			for ctx.Err() == nil {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(failures) {
					return
				}
				for _, x := range failures[lo:min(lo+chunk, len(failures))] {
					g.sweepOne(sg, s, x, spofIndex)
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return g.mergeSweeps(sg, sweeps, spofObjects)
}

// sweepOne propagates the failure of one node (a sweep id) and folds what it takes down into s.
func (g *Graph) sweepOne(sg *sweepGraph, s *sweep, x int32, spofIndex []int32) {
	sc := s.sc
	sg.propagate(sc, x)
	cause := sg.old[x]
	rank := g.refRank[cause]
	for _, v := range sc.touched {
		f := sc.flag[v]
		if f&fDown == 0 {
			continue
		}
		if sg.isGroup[v] {
			if f&fBDown != 0 { // the failure defeats the group, failover or not
				if i := spofIndex[v]; i >= 0 {
					s.spofs[i] = append(s.spofs[i], cause)
				}
			}
			continue
		}
		up := sc.up[v]
		if w := s.worstUp[v]; up > w || up == w && rank < s.worstRank[v] {
			s.worstUp[v], s.worstCause[v], s.worstRank[v] = up, cause, rank
		}
		if f&fBDown != 0 && v != x {
			if i := spofIndex[v]; i >= 0 {
				s.spofs[i] = append(s.spofs[i], cause)
			}
		}
	}
	sc.reset()
}

func (g *Graph) mergeSweeps(sg *sweepGraph, sweeps []*sweep, spofObjects []int32) *Estate {
	first := sweeps[0]
	for _, s := range sweeps[1:] {
		for v, up := range s.worstUp {
			if w := first.worstUp[v]; up > w || up == w && up >= 0 && s.worstRank[v] < first.worstRank[v] {
				first.worstUp[v], first.worstCause[v], first.worstRank[v] = up, s.worstCause[v], s.worstRank[v]
			}
		}
	}
	worstUp := make([]int64, g.nReal)
	worstCause := make([]int32, g.nReal)
	for nw, v := range sg.old {
		if int(v) < g.nReal {
			worstUp[v], worstCause[v] = first.worstUp[nw], first.worstCause[nw]
		}
	}
	byRef := g.sortedByRef()
	est := &Estate{SPOFs: []SPOF{}, Worst: []Worst{}}
	for _, v := range byRef {
		if k := g.kind[v]; k != kindService && k != kindFunction {
			continue
		}
		w := Worst{Object: g.Ref(NodeID(v)), Recoverable: true}
		up := worstUp[v]
		if up < 0 {
			up = 0
		} else {
			c := g.Ref(NodeID(worstCause[v]))
			w.Cause = &c
		}
		if up == never {
			w.Recoverable = false
		} else {
			w.UpSeconds = &up
		}
		w.TargetSeconds, w.Meets = g.meets(v, up)
		est.Worst = append(est.Worst, w)
	}

	spofIndex := make(map[int32]int, len(spofObjects))
	for i, v := range spofObjects {
		spofIndex[v] = i
	}
	for _, v := range byRef {
		i, ok := spofIndex[v]
		if !ok {
			continue
		}
		var causes []int32
		for _, s := range sweeps {
			causes = append(causes, s.spofs[i]...)
		}
		if len(causes) == 0 {
			continue
		}
		est.SPOFs = append(est.SPOFs, SPOF{Object: g.Ref(NodeID(v)), Causes: g.refsSorted(causes)})
	}
	for i, v := range spofObjects { // groups, in the order they were written
		if int(v) < g.nReal {
			continue
		}
		var causes []int32
		for _, s := range sweeps {
			causes = append(causes, s.spofs[i]...)
		}
		if len(causes) > 0 {
			est.FalseRedundancy = append(est.FalseRedundancy, g.redundancy(v, causes))
		}
	}
	slices.SortFunc(est.FalseRedundancy, func(a, b Redundancy) int { return a.order - b.order })
	return est
}

// sortedByRef lists the real nodes in the sorted order of their refs.
func (g *Graph) sortedByRef() []int32 {
	out := make([]int32, g.nReal)
	for v, r := range g.refRank {
		out[r] = int32(v)
	}
	return out
}

func (g *Graph) refsSorted(ids []int32) []string {
	slices.SortFunc(ids, func(a, b int32) int { return int(g.refRank[a] - g.refRank[b]) })
	ids = slices.Compact(ids)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = g.Ref(NodeID(id))
	}
	return out
}

// SPOFs lists the single points of failure of one object (a kind/name ref), sorted, the object
// itself left out: every service, site and provider whose failure alone leaves it down even
// with instant failover. Only what the object needs through hard links and group membership
// can be one, so only that cone is tried, and each trial is kept inside it.
func (g *Graph) SPOFs(ref string) []string {
	id, ok := g.Lookup(ref)
	if !ok {
		return nil
	}
	return g.refsSorted(g.spofsOf(int32(id)))
}

// spofsOf is SPOFs by id, for real nodes and groups alike.
func (g *Graph) spofsOf(s int32) []int32 {
	cone := make([]bool, g.n)
	stack := []int32{s}
	cone[s] = true
	var candidates []int32
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if v != s && int(v) < g.nReal && g.kind[v] != kindFunction {
			candidates = append(candidates, v)
		}
		for e := g.childStart[v]; e < g.childStart[v+1]; e++ {
			if c := g.child[e]; !g.childSoft[e] && !cone[c] {
				cone[c] = true
				stack = append(stack, c)
			}
		}
	}
	sc := g.getScratch()
	defer g.putScratch(sc)
	var out []int32
	seed := make([]int32, 1)
	for _, x := range candidates {
		seed[0] = x
		sc.limit = cone
		g.propagate(sc, seed)
		if sc.flag[s]&fBDown != 0 {
			out = append(out, x)
		}
		sc.reset()
	}
	return out
}
