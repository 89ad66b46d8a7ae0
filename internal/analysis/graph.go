// Package analysis is Perdura's engine: it compiles a continuity model into compact, immutable
// arrays once and answers questions of it — the impact of a failure, single points of failure,
// inherited targets, the worst single failure of every object — as MODEL.md's "Analysis
// semantics" defines them. A compiled Graph is safe for concurrent queries.
//
// docs/analysis.md says what is computed and how ties are broken.
package analysis

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/perdura/perdura/internal/model"
)

// NodeID identifies a node of a compiled Graph. Real nodes (functions, services, sites,
// providers, in that order, each in declaration order) come first; redundancy groups follow.
type NodeID int32

// never is the up time of something that does not come back within the horizon. Up times are
// only ever combined with max, so the sentinel cannot overflow.
const never = math.MaxInt64

// Node kinds. Groups are internal: they never appear in a report.
const (
	kindFunction uint8 = iota
	kindService
	kindSite
	kindProvider
	kindGroup
)

var kindPrefix = [...]string{"function", "service", "site", "provider", "group"}

// Graph is a compiled model. Every slice is written once by Compile and only read afterwards,
// which is what makes concurrent queries safe; per-query memory comes from a pool.
type Graph struct {
	n     int // all nodes, groups included
	nReal int

	kind []uint8
	name []string // real nodes only
	refs []string // kind/name of real nodes, built once so reports do not allocate them

	// Forward CSR: what a node needs, in tie-break order (hosting, providers, dependsOn as
	// written; a group's members as listed; a function's services; a site's providers).
	childStart []int32
	child      []int32
	childSoft  []bool

	// Reverse CSRs: who needs a node. Hard parents (hard links and group membership) drive
	// down-propagation; soft parents only spread degradation.
	hardStart []int32
	hardPar   []int32
	hardRank  []int32 // rank of hardPar[e], beside it so propagation reads it sequentially
	softStart []int32
	softPar   []int32

	rank    []int32 // 0 for nodes with no hard children; parents rank above every hard child
	nRanks  int
	refRank []int32 // position of the node's ref in sorted order: deterministic ties as integers

	// Own recovery of real nodes, in seconds (never when absent).
	recovery []int64
	// Targets: a service's stated RTO, a function's effective MTPD; -1 when not set.
	target []int64
	tier01 []bool

	// Groups, indexed by id-nReal.
	need     []int32
	failover []int64
	// Where each group was written: its service and the field path ("spec.runsAt.sites",
	// "spec.dependsOn[2]", "spec.dependsOn[2].anyOf[0]"), for findings about it.
	groupOwner []int32
	groupPath  []string

	byName [4]map[string]NodeID

	pool sync.Pool // *scratch
}

// Compile builds the graph of a valid model. It reports a dangling reference or a hard
// dependency cycle as an error rather than panicking, so a caller that skipped validation
// still gets an answer it can show.
func Compile(m *model.Model) (*Graph, error) {
	b := &builder{g: &Graph{}}
	g := b.g
	g.byName[kindFunction] = make(map[string]NodeID, len(m.Functions))
	g.byName[kindService] = make(map[string]NodeID, len(m.Services))
	g.byName[kindSite] = make(map[string]NodeID, len(m.Sites))
	g.byName[kindProvider] = make(map[string]NodeID, len(m.Providers))
	nReal := len(m.Functions) + len(m.Services) + len(m.Sites) + len(m.Providers)
	g.kind = make([]uint8, 0, nReal)
	g.name = make([]string, 0, nReal)
	add := func(k uint8, name string) error {
		if _, dup := g.byName[k][name]; dup {
			return fmt.Errorf("%s/%s: declared twice", kindPrefix[k], name)
		}
		g.byName[k][name] = NodeID(len(g.kind))
		g.kind = append(g.kind, k)
		g.name = append(g.name, name)
		return nil
	}
	for _, f := range m.Functions {
		if err := add(kindFunction, f.Metadata.Name); err != nil {
			return nil, err
		}
	}
	for _, s := range m.Services {
		if err := add(kindService, s.Metadata.Name); err != nil {
			return nil, err
		}
	}
	for _, s := range m.Sites {
		if err := add(kindSite, s.Metadata.Name); err != nil {
			return nil, err
		}
	}
	for _, p := range m.Providers {
		if err := add(kindProvider, p.Metadata.Name); err != nil {
			return nil, err
		}
	}
	g.nReal = len(g.kind)
	g.refs = make([]string, g.nReal)
	for v := range g.refs {
		g.refs[v] = kindPrefix[g.kind[v]] + "/" + g.name[v]
	}
	g.recovery = make([]int64, g.nReal)
	g.target = make([]int64, g.nReal)
	g.tier01 = make([]bool, g.nReal)

	// Edges are gathered per node as (parent, child, soft) triples in tie-break order and
	// turned into CSR afterwards; groups get their ids as they are met.
	b.starts = make([]int32, 0, g.nReal+1)
	id := 0
	for _, f := range m.Functions {
		b.open(id)
		for _, s := range f.Spec.Services {
			if err := b.edge(id, kindService, s, false, "services"); err != nil {
				return nil, err
			}
		}
		g.recovery[id] = 0
		g.target[id] = -1
		if d, ok := f.EffectiveMTPD(); ok {
			g.target[id] = d.Seconds()
		}
		id++
	}
	for _, s := range m.Services {
		if err := b.service(id, s); err != nil {
			return nil, err
		}
		g.recovery[id] = recoverySeconds(s.Spec.Recovery)
		g.target[id] = -1
		if s.Spec.Targets.RTO != nil {
			g.target[id] = s.Spec.Targets.RTO.Seconds()
		}
		g.tier01[id] = s.Spec.Tier != nil && *s.Spec.Tier <= 1
		id++
	}
	for _, s := range m.Sites {
		b.open(id)
		for _, p := range s.Spec.Providers {
			if err := b.edge(id, kindProvider, p, false, "providers"); err != nil {
				return nil, err
			}
		}
		g.recovery[id] = recoverySeconds(s.Spec.Recovery)
		g.target[id] = -1
		id++
	}
	for _, p := range m.Providers {
		b.open(id)
		g.recovery[id] = recoverySeconds(p.Spec.Recovery)
		g.target[id] = -1
		id++
	}
	if err := b.finish(); err != nil {
		return nil, err
	}
	g.pool.New = func() any { return newScratch(g) }
	return g, nil
}

func recoverySeconds(r *model.Recovery) int64 {
	if r == nil || r.Time == nil {
		return never
	}
	return r.Time.Seconds()
}

// builder holds the edge lists while Compile runs. Real nodes are opened in id order; group
// nodes are appended after them, so their edges are kept apart until every real node is done.
type builder struct {
	g      *Graph
	starts []int32 // start of each real node's edges in kids
	kids   []int32
	soft   []bool

	// Groups' members, flat, group after group (groupStart[i] is where group i's begin):
	// groups are created while a real node's edges are written, so they are kept apart.
	// stack holds the members of groups still being read, which nest.
	groupKids  []int32
	groupStart []int32
	stack      []int32
	cur        int // the real node being built, for error messages
}

func (b *builder) open(id int) {
	b.cur = id
	b.starts = append(b.starts, int32(len(b.kids)))
}

func (b *builder) where() string {
	return kindPrefix[b.g.kind[b.cur]] + "/" + b.g.name[b.cur]
}

func (b *builder) resolve(k uint8, name, field string) (int32, error) {
	id, ok := b.g.byName[k][name]
	if !ok {
		return 0, fmt.Errorf("%s: %s: no %s named %q", b.where(), field, kindPrefix[k], name)
	}
	return int32(id), nil
}

func (b *builder) edge(parent int, k uint8, name string, soft bool, field string) error {
	c, err := b.resolve(k, name, field)
	if err != nil {
		return err
	}
	b.kids = append(b.kids, c)
	b.soft = append(b.soft, soft)
	return nil
}

// newGroup creates a group node needing k of members and returns its id.
func (b *builder) newGroup(k int, failover model.Duration, members []int32, path string) int32 {
	g := b.g
	id := int32(g.nReal + len(g.need))
	g.groupOwner = append(g.groupOwner, int32(b.cur))
	g.groupPath = append(g.groupPath, path)
	if k > len(members) {
		k = len(members) // the linter reports it; needing all is the closest reading
	}
	g.need = append(g.need, int32(k))
	g.failover = append(g.failover, failover.Seconds())
	b.groupStart = append(b.groupStart, int32(len(b.groupKids)))
	b.groupKids = append(b.groupKids, members...)
	return id
}

func (b *builder) service(id int, s *model.Service) error {
	b.open(id)
	if r := s.Spec.RunsAt; r != nil && len(r.Sites) > 0 {
		base := len(b.stack)
		for _, name := range r.Sites {
			c, err := b.resolve(kindSite, name, "runsAt.sites")
			if err != nil {
				return err
			}
			b.stack = append(b.stack, c)
		}
		sites := b.stack[base:]
		b.stack = b.stack[:base]
		switch r.EffectiveMode() {
		case model.ModeActiveActive:
			b.kids = append(b.kids, b.newGroup(1, 0, sites, "spec.runsAt.sites"))
			b.soft = append(b.soft, false)
		case model.ModeActivePassive:
			b.kids = append(b.kids, b.newGroup(1, r.Failover, sites, "spec.runsAt.sites"))
			b.soft = append(b.soft, false)
		default:
			// single: one site, a hard link. A valid model names one; if it names more, the
			// service needs them all, which is the only reading that keeps no redundancy
			// the user did not ask for.
			for _, c := range sites {
				b.kids = append(b.kids, c)
				b.soft = append(b.soft, false)
			}
		}
	}
	for _, p := range s.Spec.Providers {
		if err := b.edge(id, kindProvider, p, false, "providers"); err != nil {
			return err
		}
	}
	for i := range s.Spec.DependsOn {
		c, err := b.dependency(&s.Spec.DependsOn[i], 0, fmt.Sprintf("spec.dependsOn[%d]", i))
		if err != nil {
			return err
		}
		b.kids = append(b.kids, c)
		b.soft = append(b.soft, s.Spec.DependsOn[i].Soft())
	}
	return nil
}

// dependency resolves one dependsOn entry to a service id or a (possibly nested) group id.
// Inside a group, a member's impact is ignored: a redundancy group needs its members by
// definition, so only the group's own impact makes the link soft.
func (b *builder) dependency(d *model.Dependency, depth int, path string) (int32, error) {
	if !d.IsGroup() {
		return b.resolve(kindService, d.Service, "dependsOn")
	}
	if depth > 64 {
		return 0, fmt.Errorf("%s: dependsOn: groups nested too deep", b.where())
	}
	ms := d.Members()
	key := "anyOf"
	if d.AnyOf == nil {
		key = "of"
	}
	base := len(b.stack)
	for i := range ms {
		c, err := b.dependency(&ms[i], depth+1, fmt.Sprintf("%s.%s[%d]", path, key, i))
		if err != nil {
			return 0, err
		}
		b.stack = append(b.stack, c)
	}
	k := d.Need()
	if k < 0 {
		k = 0
	}
	id := b.newGroup(k, d.Failover, b.stack[base:], path)
	b.stack = b.stack[:base]
	return id, nil
}

// finish lays the edges out as CSR, builds the reverse CSRs, and ranks the hard graph.
func (b *builder) finish() error {
	g := b.g
	nGroups := len(g.need)
	g.n = g.nReal + nGroups
	for i := 0; i < nGroups; i++ {
		g.kind = append(g.kind, kindGroup)
	}
	total := len(b.kids) + len(b.groupKids)
	g.childStart = make([]int32, g.n+1)
	g.child = make([]int32, total)
	g.childSoft = make([]bool, total) // group members are never soft
	copy(g.childStart, b.starts[:g.nReal])
	copy(g.child, b.kids)
	copy(g.childSoft, b.soft)
	off := int32(len(b.kids))
	for i, st := range b.groupStart {
		g.childStart[g.nReal+i] = off + st
	}
	copy(g.child[off:], b.groupKids)
	g.childStart[g.n] = int32(total)
	b.kids, b.soft, b.groupKids, b.groupStart = nil, nil, nil, nil

	// Reverse CSRs by counting sort: parents end up in increasing id order, which is
	// declaration order and so a deterministic order for everything that walks them.
	hardCount := make([]int32, g.n+1)
	softCount := make([]int32, g.n+1)
	for p := 0; p < g.n; p++ {
		for e := g.childStart[p]; e < g.childStart[p+1]; e++ {
			if g.childSoft[e] {
				softCount[g.child[e]+1]++
			} else {
				hardCount[g.child[e]+1]++
			}
		}
	}
	for i := 0; i < g.n; i++ {
		hardCount[i+1] += hardCount[i]
		softCount[i+1] += softCount[i]
	}
	g.hardStart, g.softStart = hardCount, softCount
	g.hardPar = make([]int32, hardCount[g.n])
	g.softPar = make([]int32, softCount[g.n])
	hp := make([]int32, g.n)
	sp := make([]int32, g.n)
	copy(hp, hardCount[:g.n])
	copy(sp, softCount[:g.n])
	for p := 0; p < g.n; p++ {
		for e := g.childStart[p]; e < g.childStart[p+1]; e++ {
			c := g.child[e]
			if g.childSoft[e] {
				g.softPar[sp[c]] = int32(p)
				sp[c]++
			} else {
				g.hardPar[hp[c]] = int32(p)
				hp[c]++
			}
		}
	}
	if err := g.computeRanks(); err != nil {
		return err
	}
	g.hardRank = make([]int32, len(g.hardPar))
	for e, p := range g.hardPar {
		g.hardRank[e] = g.rank[p]
	}
	g.computeRefRanks()
	return nil
}

// computeRanks orders the hard graph (Kahn's algorithm from the leaves) so propagation can
// visit a failure's reach in one pass; a node left unranked sits on a hard cycle.
func (g *Graph) computeRanks() error {
	g.rank = make([]int32, g.n)
	pending := make([]int32, g.n) // hard children not yet ranked
	queue := make([]int32, 0, g.n)
	for v := 0; v < g.n; v++ {
		for e := g.childStart[v]; e < g.childStart[v+1]; e++ {
			if !g.childSoft[e] {
				pending[v]++
			}
		}
		if pending[v] == 0 {
			queue = append(queue, int32(v))
		}
	}
	maxRank := int32(0)
	for i := 0; i < len(queue); i++ {
		v := queue[i]
		r := g.rank[v]
		if r > maxRank {
			maxRank = r
		}
		for e := g.hardStart[v]; e < g.hardStart[v+1]; e++ {
			p := g.hardPar[e]
			if g.rank[p] < r+1 {
				g.rank[p] = r + 1
			}
			pending[p]--
			if pending[p] == 0 {
				queue = append(queue, p)
			}
		}
	}
	if len(queue) < g.n {
		for v := 0; v < g.nReal; v++ {
			if pending[v] > 0 {
				return fmt.Errorf("%s: on a hard dependency cycle", g.Ref(NodeID(v)))
			}
		}
		return errors.New("hard dependency cycle")
	}
	g.nRanks = int(maxRank) + 1
	return nil
}

// computeRefRanks numbers real nodes in the sorted order of their refs, so that "the cause
// whose ref sorts first" is an integer comparison in the hot loop.
func (g *Graph) computeRefRanks() {
	g.refRank = make([]int32, g.nReal)
	// Kinds sort as function < provider < service < site; within a kind, by name.
	order := [4]uint8{kindFunction, kindProvider, kindService, kindSite}
	next := int32(0)
	for _, k := range order {
		ids := make([]int32, 0, len(g.byName[k]))
		for _, id := range g.byName[k] {
			ids = append(ids, int32(id))
		}
		sortByName(g, ids)
		for _, id := range ids {
			g.refRank[id] = next
			next++
		}
	}
}

// Lookup resolves a `kind/name` reference: service/x, site/x, provider/x, function/x.
func (g *Graph) Lookup(ref string) (NodeID, bool) {
	prefix, name, ok := strings.Cut(ref, "/")
	if !ok {
		return 0, false
	}
	for k := kindFunction; k <= kindProvider; k++ {
		if kindPrefix[k] == prefix {
			id, ok := g.byName[k][name]
			return id, ok
		}
	}
	return 0, false
}

// Ref is the `kind/name` reference of a node; groups, which have no name, read "group/#n".
func (g *Graph) Ref(id NodeID) string {
	if int(id) >= g.nReal {
		return fmt.Sprintf("group/#%d", int(id)-g.nReal)
	}
	return g.refs[id]
}

// Len is the number of nodes, redundancy groups included; NodeIDs run from 0 to Len()-1.
func (g *Graph) Len() int { return g.n }

// Edges is the number of links, group memberships included.
func (g *Graph) Edges() int { return len(g.child) }

// Nodes lists the ids of every service, site and provider: the single failures the estate
// report sweeps, and a convenient population for benchmarks.
func (g *Graph) Nodes() []NodeID {
	out := make([]NodeID, 0, g.nReal)
	for v := 0; v < g.nReal; v++ {
		if g.kind[v] != kindFunction {
			out = append(out, NodeID(v))
		}
	}
	return out
}
