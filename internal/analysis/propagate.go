package analysis

import (
	"slices"
	"strings"
)

// Per-node flags of a query's scratch state.
const (
	fInF      uint8 = 1 << iota // in the failure set
	fQueued                     // waiting in (or done with) its rank's bucket
	fDown                       // down: up(n) > 0, or in F, or needs something down
	fBDown                      // down even with every failover instant (the SPOF sense)
	fImpacted                   // down or degraded: reaches F through any link
)

// scratch is one query's working memory, sized to the graph and reused through the pool.
// Only touched entries are dirty; reset cleans exactly those, so a small failure costs little
// however large the estate.
type scratch struct {
	up      []int64
	flag    []uint8
	dist    []int32 // BFS distance from F, for degraded critical paths
	touched []int32
	buckets [][]int32
	queue   []int32
	ups     []int64 // a group's members' up times, for the k-th smallest

	durSet bool  // the failure gives a duration for sites and providers
	dur    int64 // that duration, seconds
	limit  []bool
}

func newScratch(g *Graph) *scratch {
	return &scratch{
		up:      make([]int64, g.n),
		flag:    make([]uint8, g.n),
		dist:    make([]int32, g.n),
		buckets: make([][]int32, g.nRanks),
	}
}

func (g *Graph) getScratch() *scratch { return g.pool.Get().(*scratch) }

func (g *Graph) putScratch(sc *scratch) {
	sc.reset()
	g.pool.Put(sc)
}

func (sc *scratch) mark(v int32, bit uint8) {
	if sc.flag[v] == 0 {
		sc.touched = append(sc.touched, v)
	}
	sc.flag[v] |= bit
}

func (sc *scratch) reset() {
	for _, v := range sc.touched {
		sc.flag[v] = 0
		sc.up[v] = 0
		sc.dist[v] = 0
	}
	sc.touched = sc.touched[:0]
	sc.durSet = false
	sc.limit = nil
}

// own is the recovery time of a node in F: a service's own recovery.time; a site's or
// provider's the failure's duration where given, else its own recovery.time.
func (g *Graph) own(sc *scratch, v int32) int64 {
	if sc.durSet && (g.kind[v] == kindSite || g.kind[v] == kindProvider) {
		return sc.dur
	}
	if int(v) >= g.nReal {
		return 0
	}
	return g.recovery[v]
}

// propagate computes down, up and the SPOF-sense down for everything the seeds reach through
// hard links, visiting nodes in rank order so each is evaluated once, after all it needs.
// It stops wherever a node stays up: beyond it nothing changes.
func (g *Graph) propagate(sc *scratch, seeds []int32) {
	lo, hi := int32(g.nRanks), int32(-1)
	push := func(v, r int32) {
		if sc.flag[v]&fQueued != 0 {
			return
		}
		if sc.limit != nil && !sc.limit[v] {
			return
		}
		sc.mark(v, fQueued)
		sc.buckets[r] = append(sc.buckets[r], v)
		if r < lo {
			lo = r
		}
		if r > hi {
			hi = r
		}
	}
	for _, s := range seeds {
		sc.mark(s, fInF)
		push(s, g.rank[s])
	}
	nReal := int32(g.nReal)
	for r := lo; r <= hi; r++ {
		b := sc.buckets[r]
		for _, v := range b {
			if !g.eval(sc, v) {
				continue
			}
			// A real parent is down as soon as one hard child is, and back with the last of
			// them: fold this child in now, so evaluating the parent needs no scan of its
			// children. Groups count their members when evaluated.
			up, bd := sc.up[v], sc.flag[v]&fBDown
			for e := g.hardStart[v]; e < g.hardStart[v+1]; e++ {
				p := g.hardPar[e]
				if p < nReal {
					if sc.flag[p] == 0 {
						sc.touched = append(sc.touched, p)
					}
					sc.flag[p] |= fDown | bd
					if up > sc.up[p] {
						sc.up[p] = up
					}
				}
				push(p, g.hardRank[e])
			}
		}
		sc.buckets[r] = b[:0]
	}
}

// eval applies MODEL.md's up(n) to one node once everything it needs is settled, reporting
// whether the node is down.
func (g *Graph) eval(sc *scratch, v int32) bool {
	if int(v) < g.nReal {
		// Real node: its hard children already folded their state in (see propagate).
		if sc.flag[v]&fInF != 0 {
			sc.flag[v] |= fDown | fBDown
			if own := g.own(sc, v); own > sc.up[v] {
				sc.up[v] = own
			}
		}
		return sc.flag[v]&fDown != 0
	}

	lo, hi := g.childStart[v], g.childStart[v+1]
	gi := int(v) - g.nReal
	k := int(g.need[gi])
	lost := false
	notDown, notBDown := 0, 0
	ups := sc.ups[:0]
	for e := lo; e < hi; e++ {
		c := g.child[e]
		f := sc.flag[c]
		if f&fDown != 0 {
			if int(e-lo) < k {
				lost = true
			}
			ups = append(ups, sc.up[c])
		} else {
			notDown++
		}
		if f&fBDown == 0 {
			notBDown++
		}
	}
	sc.ups = ups
	down, up, bdown := groupDown(k, lost, notDown, notBDown, ups, g.failover[gi])
	if !down {
		return false
	}
	sc.up[v] = up
	sc.flag[v] |= fDown
	if bdown {
		sc.flag[v] |= fBDown
	}
	return true
}

// groupDown is MODEL.md's rule for a redundancy group, once its members are tallied: k
// members needed, of which the first k are in use; lost says a member in use is down;
// notDown and notBDown count members not down (with failover as written, and instant);
// ups holds the down members' up times (reordered); fo is the failover delay. The group
// is down when a member in use is lost, unless an instant failover finds enough members up;
// it is back at the failover delay or when k members are, whichever is later; it is down
// in the boolean sense (what single points of failure count) when fewer than k members are
// up even with instant failover. Propagate and the estate sweep both apply it.
func groupDown(k int, lost bool, notDown, notBDown int, ups []int64, fo int64) (down bool, up int64, bdown bool) {
	if !lost || fo == 0 && notDown >= k {
		return false, 0, false // instant failover onto standbys that are up: degraded, not down
	}
	up = fo
	if notDown < k {
		// k-th smallest up time, the members that are not down counting as 0.
		slices.Sort(ups)
		if x := ups[k-notDown-1]; x > up {
			up = x
		}
	}
	return true, up, notBDown < k
}

// spread marks everything that reaches F through any link (the down and the degraded) and
// its BFS distance from F, which orders degraded critical paths. Soft links may form cycles;
// a BFS does not mind.
func (g *Graph) spread(sc *scratch, seeds []int32) {
	q := sc.queue[:0]
	for _, s := range seeds {
		if sc.flag[s]&fImpacted == 0 {
			sc.mark(s, fImpacted)
			sc.dist[s] = 0
			q = append(q, s)
		}
	}
	for i := 0; i < len(q); i++ {
		v := q[i]
		d := sc.dist[v] + 1
		for e := g.hardStart[v]; e < g.hardStart[v+1]; e++ {
			if p := g.hardPar[e]; sc.flag[p]&fImpacted == 0 {
				sc.mark(p, fImpacted)
				sc.dist[p] = d
				q = append(q, p)
			}
		}
		for e := g.softStart[v]; e < g.softStart[v+1]; e++ {
			if p := g.softPar[e]; sc.flag[p]&fImpacted == 0 {
				sc.mark(p, fImpacted)
				sc.dist[p] = d
				q = append(q, p)
			}
		}
	}
	sc.queue = q
}

// choose is the next node down a critical path: the node itself when its own recovery sets
// its up time (ties go to it), else the first child in declaration order that does. For a
// group held up by its failover delay, it is the first member in use that was lost.
func (g *Graph) choose(sc *scratch, v int32) int32 {
	lo, hi := g.childStart[v], g.childStart[v+1]
	up := sc.up[v]
	if g.kind[v] == kindGroup {
		gi := int(v) - g.nReal
		if up == g.failover[gi] {
			k := int32(g.need[gi])
			for e := lo; e < hi && e-lo < k; e++ {
				if sc.flag[g.child[e]]&fDown != 0 {
					return g.child[e]
				}
			}
		}
		for e := lo; e < hi; e++ {
			if c := g.child[e]; sc.flag[c]&fDown != 0 && sc.up[c] == up {
				return c
			}
		}
		return v // unreachable in a consistent state
	}
	if sc.flag[v]&fInF != 0 && g.own(sc, v) == up {
		return v
	}
	for e := lo; e < hi; e++ {
		if c := g.child[e]; !g.childSoft[e] && sc.flag[c]&fDown != 0 && sc.up[c] == up {
			return c
		}
	}
	return v
}

// path is the critical path of an impacted node, from the failed node to the node itself,
// groups left out. A down node follows choose; a degraded one follows its first child in
// declaration order that is one BFS step closer to the failure. The path is appended to
// arena, so that a report's paths share a few large allocations; it returns both.
func (g *Graph) path(sc *scratch, v int32, arena []string) ([]string, []string) {
	start := len(arena)
	for {
		if int(v) < g.nReal {
			arena = append(arena, g.refs[v])
		}
		var next int32
		if sc.flag[v]&fDown != 0 {
			next = g.choose(sc, v)
		} else {
			next = v
			want := sc.dist[v] - 1
			for e := g.childStart[v]; e < g.childStart[v+1]; e++ {
				if c := g.child[e]; sc.flag[c]&fImpacted != 0 && sc.dist[c] == want {
					next = c
					break
				}
			}
		}
		if next == v {
			break
		}
		v = next
	}
	p := arena[start:len(arena):len(arena)]
	slices.Reverse(p)
	return arena, p
}

// Spread runs a failure of the given nodes through the engine and counts what is down and
// what is degraded, without building a report: the engine's cost alone, for benchmarks.
func (g *Graph) Spread(ids ...NodeID) (down, degraded int) {
	sc := g.getScratch()
	defer g.putScratch(sc)
	seeds := make([]int32, len(ids))
	for i, id := range ids {
		seeds[i] = int32(id)
	}
	g.propagate(sc, seeds)
	g.spread(sc, seeds)
	for _, v := range sc.touched {
		if int(v) >= g.nReal {
			continue
		}
		switch f := sc.flag[v]; {
		case f&fDown != 0:
			down++
		case f&fImpacted != 0:
			degraded++
		}
	}
	return down, degraded
}

// ReachBFS is the ceiling the engine is measured against: a plain breadth-first search over
// the same reverse arrays (hard and soft), counting every node that reaches id. seen must be
// Len() long and all false; it is all false again on return.
func (g *Graph) ReachBFS(id NodeID, seen []bool) int {
	sc := g.getScratch()
	defer g.putScratch(sc)
	q := append(sc.queue[:0], int32(id))
	seen[id] = true
	for i := 0; i < len(q); i++ {
		v := q[i]
		for e := g.hardStart[v]; e < g.hardStart[v+1]; e++ {
			if p := g.hardPar[e]; !seen[p] {
				seen[p] = true
				q = append(q, p)
			}
		}
		for e := g.softStart[v]; e < g.softStart[v+1]; e++ {
			if p := g.softPar[e]; !seen[p] {
				seen[p] = true
				q = append(q, p)
			}
		}
	}
	for _, v := range q {
		seen[v] = false
	}
	sc.queue = q
	return len(q)
}

func sortByName(g *Graph, ids []int32) {
	slices.SortFunc(ids, func(a, b int32) int { return strings.Compare(g.name[a], g.name[b]) })
}
