package analysis

// sweepGraph is the estate sweep's own copy of the hard graph, renumbered so that ids grow
// with rank. A failure propagates rank by rank; with nodes of one rank side by side, the state
// it reads and writes while working through a rank sits in a small stretch of memory instead of
// all over the estate, which is what bounds the sweep on large estates (cache misses, not
// arithmetic). Only what the sweep needs is copied: reverse hard links with their ranks, group
// members, needs and failovers, own recovery times.
type sweepGraph struct {
	old      []int32 // new id -> Graph id
	isGroup  []bool
	parStart []int32
	par      []int32
	parRank  []int32
	memStart []int32 // members of groups (for a real node, an empty range)
	mem      []int32
	need     []int32
	failover []int64
	recovery []int64
	rank     []int32
	nRanks   int
}

func (g *Graph) newSweepGraph() *sweepGraph {
	n := g.n
	// Counting sort by rank, stable: within a rank, Graph order.
	count := make([]int32, g.nRanks+1)
	for _, r := range g.rank {
		count[r+1]++
	}
	for r := 0; r < g.nRanks; r++ {
		count[r+1] += count[r]
	}
	old := make([]int32, n)
	for v, r := range g.rank {
		old[count[r]] = int32(v)
		count[r]++
	}
	renum := make([]int32, n)
	for nw, o := range old {
		renum[o] = int32(nw)
	}
	s := &sweepGraph{
		old:      old,
		isGroup:  make([]bool, n),
		parStart: make([]int32, n+1),
		par:      make([]int32, 0, len(g.hardPar)),
		parRank:  make([]int32, 0, len(g.hardPar)),
		memStart: make([]int32, n+1),
		need:     make([]int32, n),
		failover: make([]int64, n),
		recovery: make([]int64, n),
		rank:     make([]int32, n),
		nRanks:   g.nRanks,
	}
	for nw, o := range old {
		s.parStart[nw] = int32(len(s.par))
		for e := g.hardStart[o]; e < g.hardStart[o+1]; e++ {
			s.par = append(s.par, renum[g.hardPar[e]])
			s.parRank = append(s.parRank, g.hardRank[e])
		}
		s.memStart[nw] = int32(len(s.mem))
		s.rank[nw] = g.rank[o]
		if int(o) >= g.nReal {
			gi := int(o) - g.nReal
			s.isGroup[nw] = true
			s.need[nw] = g.need[gi]
			s.failover[nw] = g.failover[gi]
			for e := g.childStart[o]; e < g.childStart[o+1]; e++ {
				s.mem = append(s.mem, renum[g.child[e]])
			}
		} else {
			s.recovery[nw] = g.recovery[o]
		}
	}
	s.parStart[n] = int32(len(s.par))
	s.memStart[n] = int32(len(s.mem))
	return s
}

// sweepScratch is one sweep worker's state, by new id.
type sweepScratch struct {
	up      []int64
	flag    []uint8
	touched []int32
	buckets [][]int32
	ups     []int64
}

func (s *sweepGraph) newScratch() *sweepScratch {
	n := len(s.old)
	return &sweepScratch{up: make([]int64, n), flag: make([]uint8, n), buckets: make([][]int32, s.nRanks)}
}

// propagate is Graph.propagate on the renumbered arrays, for one failed node and no scenario
// duration: the same rules, checked against the reference by the estate property test.
func (s *sweepGraph) propagate(sc *sweepScratch, x int32) {
	lo, hi := s.rank[x], s.rank[x]
	sc.flag[x] = fInF | fQueued
	sc.touched = append(sc.touched, x)
	sc.buckets[lo] = append(sc.buckets[lo], x)
	for r := lo; r <= hi; r++ {
		b := sc.buckets[r]
		for _, v := range b {
			if !s.eval(sc, v) {
				continue
			}
			up, bd := sc.up[v], sc.flag[v]&fBDown
			for e := s.parStart[v]; e < s.parStart[v+1]; e++ {
				p := s.par[e]
				f := sc.flag[p]
				if f == 0 {
					sc.touched = append(sc.touched, p)
				}
				if !s.isGroup[p] {
					f |= fDown | bd
					if up > sc.up[p] {
						sc.up[p] = up
					}
				}
				if f&fQueued == 0 {
					f |= fQueued
					pr := s.parRank[e]
					sc.buckets[pr] = append(sc.buckets[pr], p)
					if pr > hi {
						hi = pr
					}
				}
				sc.flag[p] = f
			}
		}
		sc.buckets[r] = b[:0]
	}
}

func (s *sweepGraph) eval(sc *sweepScratch, v int32) bool {
	if !s.isGroup[v] {
		if sc.flag[v]&fInF != 0 {
			sc.flag[v] |= fDown | fBDown
			if own := s.recovery[v]; own > sc.up[v] {
				sc.up[v] = own
			}
		}
		return sc.flag[v]&fDown != 0
	}
	lo, hi := s.memStart[v], s.memStart[v+1]
	k := int(s.need[v])
	lost := false
	notDown, notBDown := 0, 0
	ups := sc.ups[:0]
	for e := lo; e < hi; e++ {
		f := sc.flag[s.mem[e]]
		if f&fDown != 0 {
			if int(e-lo) < k {
				lost = true
			}
			ups = append(ups, sc.up[s.mem[e]])
		} else {
			notDown++
		}
		if f&fBDown == 0 {
			notBDown++
		}
	}
	sc.ups = ups
	down, up, bdown := groupDown(k, lost, notDown, notBDown, ups, s.failover[v])
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

func (sc *sweepScratch) reset() {
	for _, v := range sc.touched {
		sc.flag[v] = 0
		sc.up[v] = 0
	}
	sc.touched = sc.touched[:0]
}
