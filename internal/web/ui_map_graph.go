package web

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

// The dependency map's graph (see ui_map.go for the pages): every function, service, site and
// provider of the model and a node for each redundancy group, built once per model
// generation; and what a request does with it: select a focus's neighbourhood and the
// filters, lay the failure overlay on, and cluster what is too large to draw.

// mapNode is one node as Cytoscape reads it (the data of an element) and as the table lists it.
type mapNode struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Kind is function, service, site, provider, group (a redundancy group) or cluster.
	Kind  string `json:"kind"`
	Tier  *int   `json:"tier,omitempty"`
	Title string `json:"title,omitempty"`
	Type  string `json:"type,omitempty"`
	Owner string `json:"owner,omitempty"`
	URL   string `json:"url,omitempty"`
	// State is the failure overlay: failed (in the failure set), down or degraded; "" = up
	// or no overlay.
	State string `json:"state,omitempty"`
	// SPOF marks a single point of failure of a business function or a tier 0-1 service.
	SPOF bool `json:"spof,omitempty"`
	// Misses marks an object whose worst single failure keeps it down past its target.
	Misses bool `json:"misses,omitempty"`
	Focus  bool `json:"focus,omitempty"`
	// Outside marks a cluster of what lies outside a drilled-into cluster and links to it.
	Outside bool `json:"outside,omitempty"`
	// A group: Need of Of members; For is the service whose group it is, Warn says which
	// single failure defeats it (false redundancy).
	Need int    `json:"need,omitempty"`
	Of   int    `json:"of,omitempty"`
	For  string `json:"for,omitempty"`
	Warn string `json:"warn,omitempty"`
	// A cluster: how many objects it holds, how many of them are down and degraded, and the
	// map that drills into it.
	Count    int    `json:"count,omitempty"`
	Down     int    `json:"down,omitempty"`
	Degraded int    `json:"degraded,omitempty"`
	Drill    string `json:"drill,omitempty"`
	// FocusURL is the map around this node.
	FocusURL string `json:"focusUrl,omitempty"`

	site string // a service's first site: its cluster by site
}

// mapEdge is one link: Source needs Target.
type mapEdge struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Target string `json:"target"`
	Kind   string `json:"kind"`
	Count  int    `json:"count,omitempty"`
	Warn   bool   `json:"warn,omitempty"`
	// Outside marks a link to a cluster outside a drilled-into one.
	Outside bool `json:"outside,omitempty"`
	label   string
}

type mapLink struct {
	to   int
	kind string
}

// mapGraph is the whole estate as the map sees it: real nodes first, then groups.
type mapGraph struct {
	nodes []mapNode
	index map[string]int            // by kind/name
	names map[string]map[string]int // by kind, then name
	out   [][]mapLink
	in    [][]mapLink
	group []bool
}

func (g *mapGraph) add(n mapNode) int {
	g.nodes = append(g.nodes, n)
	g.out = append(g.out, nil)
	g.in = append(g.in, nil)
	g.group = append(g.group, n.Kind == "group")
	if n.Kind != "group" {
		g.index[n.ID] = len(g.nodes) - 1
		byName := g.names[n.Kind]
		if byName == nil {
			byName = map[string]int{}
			g.names[n.Kind] = byName
		}
		byName[n.Label] = len(g.nodes) - 1
	}
	return len(g.nodes) - 1
}

func (g *mapGraph) link(from, to int, kind string) {
	if from < 0 || to < 0 {
		return
	}
	g.out[from] = append(g.out[from], mapLink{to, kind})
	g.in[to] = append(g.in[to], mapLink{from, kind})
}

func (g *mapGraph) ref(kind, name string) int {
	if i, ok := g.names[kind][name]; ok {
		return i
	}
	return -1
}

// buildMapGraph builds the map's graph of a model, with the estate's warnings on it: single
// points of failure, missed targets, defeated redundancy groups.
func buildMapGraph(m *model.Model, est *analysis.Estate) *mapGraph {
	n := len(m.Services) + len(m.Sites) + len(m.Providers) + len(m.Functions)
	groups := 0
	var count func(ds []model.Dependency)
	count = func(ds []model.Dependency) {
		for i := range ds {
			if ds[i].IsGroup() {
				groups++
				count(ds[i].Members())
			}
		}
	}
	for _, s := range m.Services {
		if r := s.Spec.RunsAt; r != nil && len(r.Sites) > 0 && r.EffectiveMode() != model.ModeSingle {
			groups++
		}
		count(s.Spec.DependsOn)
	}
	g := &mapGraph{index: make(map[string]int, n), names: map[string]map[string]int{},
		nodes: make([]mapNode, 0, n+groups), out: make([][]mapLink, 0, n+groups), in: make([][]mapLink, 0, n+groups),
		group: make([]bool, 0, n+groups)}
	for _, f := range m.Functions {
		g.add(mapNode{ID: "function/" + f.Metadata.Name, Label: f.Metadata.Name, Kind: "function",
			Title: f.Metadata.Title, Owner: f.Metadata.Owner})
	}
	for _, s := range m.Services {
		n := mapNode{ID: "service/" + s.Metadata.Name, Label: s.Metadata.Name, Kind: "service",
			Title: s.Metadata.Title, Owner: s.Metadata.Owner, Type: s.Spec.Type, Tier: s.Spec.Tier}
		if r := s.Spec.RunsAt; r != nil && len(r.Sites) > 0 {
			n.site = r.Sites[0]
		}
		g.add(n)
	}
	for _, s := range m.Sites {
		g.add(mapNode{ID: "site/" + s.Metadata.Name, Label: s.Metadata.Name, Kind: "site",
			Title: s.Metadata.Title, Owner: s.Metadata.Owner, Type: s.Spec.Type, site: s.Metadata.Name})
	}
	for _, p := range m.Providers {
		g.add(mapNode{ID: "provider/" + p.Metadata.Name, Label: p.Metadata.Name, Kind: "provider",
			Title: p.Metadata.Title, Owner: p.Metadata.Owner, Type: p.Spec.Type})
	}

	defeated := map[string]analysis.Redundancy{}
	if est != nil {
		for _, r := range est.FalseRedundancy {
			defeated[r.Service+" "+r.Path] = r
		}
	}
	for _, f := range m.Functions {
		from := g.ref("function", f.Metadata.Name)
		for _, s := range f.Spec.Services {
			g.link(from, g.ref("service", s), mapEdgeFunction)
		}
	}
	for _, s := range m.Services {
		ref := "service/" + s.Metadata.Name
		from := g.index[ref]
		newGroup := func(path string, need, of int, mode string) int {
			n := mapNode{ID: "group:" + ref + ":" + path, Kind: "group", Need: need, Of: of, For: ref, Type: mode}
			if need == 1 {
				n.Label = "any of " + strconv.Itoa(of)
			} else {
				n.Label = strconv.Itoa(need) + " of " + strconv.Itoa(of)
			}
			if r, ok := defeated[ref+" "+path]; len(defeated) > 0 && ok {
				n.Warn = "False redundancy: the failure of " + mapOr(r.Defeats) + " alone defeats this group."
			}
			n.site = g.nodes[from].site
			return g.add(n)
		}
		if r := s.Spec.RunsAt; r != nil && len(r.Sites) > 0 {
			if mode := r.EffectiveMode(); mode != model.ModeSingle {
				grp := newGroup("spec.runsAt.sites", 1, len(r.Sites), mode)
				g.link(from, grp, mapEdgeRunsAt)
				for _, site := range r.Sites {
					g.link(grp, g.ref("site", site), mapEdgeMember)
				}
			} else {
				for _, site := range r.Sites {
					g.link(from, g.ref("site", site), mapEdgeRunsAt)
				}
			}
		}
		for _, p := range s.Spec.Providers {
			g.link(from, g.ref("provider", p), mapEdgeProvider)
		}
		var dep func(d *model.Dependency, path string) int
		dep = func(d *model.Dependency, path string) int {
			if !d.IsGroup() {
				return g.ref("service", d.Service)
			}
			ms := d.Members()
			key := "anyOf"
			if d.AnyOf == nil {
				key = "of"
			}
			grp := newGroup(path, d.Need(), len(ms), key)
			for i := range ms {
				g.link(grp, dep(&ms[i], path+"."+key+"["+strconv.Itoa(i)+"]"), mapEdgeMember)
			}
			return grp
		}
		for i := range s.Spec.DependsOn {
			d := &s.Spec.DependsOn[i]
			kind := mapEdgeHard
			if d.Soft() {
				kind = mapEdgeSoft
			}
			g.link(from, dep(d, "spec.dependsOn["+strconv.Itoa(i)+"]"), kind)
		}
	}
	for _, s := range m.Sites {
		from := g.ref("site", s.Metadata.Name)
		for _, p := range s.Spec.Providers {
			g.link(from, g.ref("provider", p), mapEdgeProvider)
		}
	}
	if est != nil {
		for _, sp := range est.SPOFs {
			for _, c := range sp.Causes {
				if i, ok := g.index[c]; ok {
					g.nodes[i].SPOF = true
				}
			}
		}
		for _, w := range est.Worst {
			if w.Meets != nil && !*w.Meets {
				if i, ok := g.index[w.Object]; ok {
					g.nodes[i].Misses = true
				}
			}
		}
	}
	return g
}

// mapView is what the map shows for one query: the nodes and edges sent to the browser and
// listed in the table, and how they were chosen.
type mapView struct {
	Query mapQuery
	Nodes []mapNode
	Edges []mapEdge
	// Selected is how many objects (functions, services, sites, providers) the query selects;
	// Shown how many nodes are drawn.
	Selected int
	Shown    int
	// Clustered is the mode the selection was grouped by, "" when not clustered; Notice says
	// why, for the page and the script.
	Clustered string
	Truncated bool
	Notice    string
	// Failed are the failure overlay's refs; Down and DegradedN count what it takes down and
	// degrades among the selection.
	Down      int
	DegradedN int
	Max       int
	// state is each graph node's state under the overlay; focus the focus's index, -1 for
	// none. The cached graph is shared, so what is particular to a request is kept here.
	state []string
	focus int
}

// mapCache keeps the map's graph of the latest snapshot: building it is most of the cost of
// a map (allocation-bound, about 10 ms per 1,000 services), and it only changes with the
// model. A view never writes to it: what a request adds (the overlay's states, the focus)
// lives in its mapView.
type mapCache struct {
	mu   sync.Mutex
	snap *catalog.Snapshot
	g    *mapGraph
}

func (c *mapCache) graph(snap *catalog.Snapshot) *mapGraph {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != snap {
		c.g, c.snap = buildMapGraph(snap.Model, snap.Estate), snap
	}
	return c.g
}

// buildMap selects, overlays and if need be clusters the map for a query.
func buildMap(c *mapCache, snap *catalog.Snapshot, q mapQuery) (*mapView, error) {
	return c.graph(snap).view(snap.Graph, q)
}

func (g *mapGraph) view(ag *analysis.Graph, q mapQuery) (*mapView, error) {
	return g.viewMax(ag, q, mapMaxNodes)
}

// viewMax is view with max nodes drawn at most: tests try the clustering on a small estate.
func (g *mapGraph) viewMax(ag *analysis.Graph, q mapQuery, max int) (*mapView, error) {
	v := &mapView{Query: q, Max: max, state: make([]string, len(g.nodes)), focus: -1}
	if len(q.Fail) > 0 && ag != nil {
		var f analysis.Failure
		for _, r := range q.Fail {
			if err := f.Add(r); err != nil {
				return nil, badRequest{err.Error()}
			}
		}
		imp, err := ag.Impact(f)
		if err != nil {
			return nil, badRequest{"fail: " + err.Error()}
		}
		for _, r := range imp.Failed {
			if i, ok := g.index[r]; ok {
				v.state[i] = "failed"
			}
		}
		for _, o := range imp.Services {
			if i, ok := g.index["service/"+o.Name]; ok && v.state[i] == "" {
				v.state[i] = o.State
			}
		}
		for _, o := range imp.Functions {
			if i, ok := g.index["function/"+o.Name]; ok {
				v.state[i] = o.State
			}
		}
	}

	keep := g.selectNodes(q)
	focus := -1
	if q.Focus != "" {
		focus = g.index[q.Focus]
		v.focus = focus
	}
	var sel []int
	for i, k := range keep {
		if !k {
			continue
		}
		if !g.group[i] {
			v.Selected++
		}
		switch v.state[i] {
		case "down", "failed":
			v.Down++
		case "degraded":
			v.DegradedN++
		}
		sel = append(sel, i)
	}
	if len(sel) <= v.Max {
		for _, i := range sel {
			v.Nodes = append(v.Nodes, g.emit(v, i))
		}
		for _, i := range sel {
			for _, l := range g.out[i] {
				if keep[l.to] {
					v.Edges = append(v.Edges, g.edge(i, l))
				}
			}
		}
		if len(q.In) > 0 {
			g.context(v, q, keep, sel)
		}
		v.Shown = len(v.Nodes)
		return v, nil
	}
	g.cluster(v, q, keep, sel, focus)
	v.Shown = len(v.Nodes)
	return v, nil
}

// emit is node i as the answer sends it, with the links that only drawn nodes need: its page
// and the map around it.
func (g *mapGraph) emit(v *mapView, i int) mapNode {
	n := g.nodes[i]
	n.State, n.Focus = v.state[i], i == v.focus
	q := v.Query
	if !g.group[i] {
		n.URL = refURL(n.ID)
		fq := q
		fq.In = nil
		fq.Focus = n.ID
		n.FocusURL = fq.url()
	}
	return n
}

func (g *mapGraph) edge(from int, l mapLink) mapEdge {
	e := mapEdge{ID: g.nodes[from].ID + ">" + g.nodes[l.to].ID, Source: g.nodes[from].ID, Target: g.nodes[l.to].ID, Kind: l.kind}
	e.Warn = g.nodes[l.to].Warn != "" && l.kind != mapEdgeMember || g.nodes[from].Warn != ""
	return e
}

// selectNodes marks the nodes the query selects: the focus's neighbourhood (or everything), then
// the filters; a group stays when its service and one of its members do.
func (g *mapGraph) selectNodes(q mapQuery) []bool {
	n := len(g.nodes)
	keep := make([]bool, n)
	if q.Focus == "" {
		for i := range keep {
			keep[i] = true
		}
	} else {
		f := g.index[q.Focus]
		if q.Dir != "needed-by" {
			g.reach(f, q.Depth, g.out, keep)
		}
		if q.Dir != "needs" {
			g.reach(f, q.Depth, g.in, keep)
		}
	}
	var in map[string][]string
	if len(q.In) > 0 {
		in = map[string][]string{}
		for _, x := range q.In {
			mode, key, _ := strings.Cut(x, ":")
			in[mode] = append(in[mode], key)
		}
	}
	focus := -1
	if q.Focus != "" {
		focus = g.index[q.Focus]
	}
	filtered := q.Tier >= 0 || q.Site != "" || in != nil
	for i := range keep {
		if !keep[i] || g.group[i] || i == focus {
			continue
		}
		nd := &g.nodes[i]
		switch {
		case !mapContains(q.Kinds, nd.Kind):
			keep[i] = false
		case nd.Kind == "service" && q.Tier >= 0 && nd.Tier != nil && *nd.Tier > q.Tier:
			keep[i] = false
		case q.Site != "" && (nd.Kind == "service" && !g.runsAt(i, q.Site) || nd.Kind == "site" && nd.Label != q.Site):
			keep[i] = false
		}
		for mode, keys := range in {
			if keep[i] && !mapContains(keys, g.clusterKey(i, mode)) {
				keep[i] = false
			}
		}
	}
	// Groups: from the last (innermost) back, so a nested group is settled before the group
	// that holds it.
	for i := n - 1; i >= 0; i-- {
		if !g.group[i] {
			continue
		}
		if !keep[i] || !keep[g.index[g.nodes[i].For]] {
			keep[i] = false
			continue
		}
		any := false
		for _, l := range g.out[i] {
			any = any || keep[l.to]
		}
		keep[i] = any
	}
	// With a filter on services, functions, sites and providers nothing selected links to
	// are noise.
	if filtered {
		for i := range keep {
			if !keep[i] || g.group[i] || i == focus || g.nodes[i].Kind == "service" {
				continue
			}
			linked := false
			for _, l := range g.out[i] {
				linked = linked || keep[l.to]
			}
			for _, l := range g.in[i] {
				linked = linked || keep[l.to]
			}
			keep[i] = linked
		}
	}
	return keep
}

// runsAt reports whether service i runs at the named site.
func (g *mapGraph) runsAt(i int, site string) bool {
	for _, l := range g.out[i] {
		if l.kind != mapEdgeRunsAt {
			continue
		}
		t := l.to
		if g.group[t] {
			for _, m := range g.out[t] {
				if g.nodes[m.to].Label == site && g.nodes[m.to].Kind == "site" {
					return true
				}
			}
		} else if g.nodes[t].Label == site {
			return true
		}
	}
	return false
}

// reach marks what lies within depth links of from along adj. A redundancy group costs no
// step (it is part of the link from its service to its members), so a group reached at one
// level is expanded in that level.
func (g *mapGraph) reach(from, depth int, adj [][]mapLink, keep []bool) {
	seen := make([]bool, len(g.nodes))
	seen[from], keep[from] = true, true
	level := []int{from}
	var next, stack []int
	for d := 0; d < depth && len(level) > 0; d++ {
		next = next[:0]
		stack = append(stack[:0], level...)
		for len(stack) > 0 {
			u := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, l := range adj[u] {
				if seen[l.to] {
					continue
				}
				seen[l.to], keep[l.to] = true, true
				if g.group[l.to] {
					stack = append(stack, l.to)
				} else {
					next = append(next, l.to)
				}
			}
		}
		level, next = next, level
	}
}

// mapContextMax bounds the clusters of outside neighbours a drill-in shows.
const mapContextMax = 12

// context adds, around a drilled-into cluster, what it links to outside: one cluster node per
// outside cluster (by the first drill-in step the neighbour falls outside of), with the links
// counted, so a drill-in does not show its members cut off from the rest of the estate.
func (g *mapGraph) context(v *mapView, q mapQuery, keep []bool, sel []int) {
	type ctx struct {
		node  *mapNode
		order int
	}
	byID := map[string]*ctx{}
	counted := map[int]string{} // outside node → its context cluster id
	type pair struct{ a, b string }
	links := map[pair]int{}
	var pairs []pair
	outside := func(w int) string {
		if id, ok := counted[w]; ok {
			return id
		}
		id := ""
		if nd := &g.nodes[w]; !g.group[w] && mapContains(q.Kinds, nd.Kind) {
			for k, x := range q.In {
				mode, key, _ := strings.Cut(x, ":")
				if ck := g.clusterKey(w, mode); ck != key {
					id = "outside:" + mode + ":" + ck
					c := byID[id]
					if c == nil {
						dq := q
						dq.In = append(append([]string(nil), q.In[:k]...), mode+":"+ck)
						c = &ctx{node: &mapNode{ID: id, Kind: "cluster", Outside: true, Type: mode,
							Label: mapClusterLabel(mode, ck), Drill: dq.url()}, order: len(byID)}
						byID[id] = c
					}
					c.node.Count++
					switch v.state[w] {
					case "down", "failed":
						c.node.Down++
					case "degraded":
						c.node.Degraded++
					}
					break
				}
			}
		}
		counted[w] = id
		return id
	}
	for _, i := range sel {
		for _, l := range g.out[i] {
			if !keep[l.to] {
				if id := outside(l.to); id != "" {
					p := pair{g.nodes[i].ID, id}
					if links[p] == 0 {
						pairs = append(pairs, p)
					}
					links[p]++
				}
			}
		}
		for _, l := range g.in[i] {
			if !keep[l.to] {
				if id := outside(l.to); id != "" {
					p := pair{id, g.nodes[i].ID}
					if links[p] == 0 {
						pairs = append(pairs, p)
					}
					links[p]++
				}
			}
		}
	}
	cs := make([]*ctx, 0, len(byID))
	for _, c := range byID {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(a, b int) bool {
		if cs[a].node.Count != cs[b].node.Count {
			return cs[a].node.Count > cs[b].node.Count
		}
		return cs[a].order < cs[b].order
	})
	shown := map[string]bool{}
	for n, c := range cs {
		if n == mapContextMax {
			break
		}
		nd := *c.node
		nd.Label = fmt.Sprintf("outside: %s\n%d linked", nd.Label, nd.Count)
		v.Nodes = append(v.Nodes, nd)
		shown[nd.ID] = true
	}
	for _, p := range pairs {
		if shown[p.a] || shown[p.b] {
			v.Edges = append(v.Edges, mapEdge{ID: p.a + ">" + p.b, Source: p.a, Target: p.b, Kind: mapEdgeAggregate, Count: links[p], Outside: true})
		}
	}
}

// clusterKey is the cluster of node i in a mode. Keys that are not names start with "~" so
// they cannot clash with one.
func (g *mapGraph) clusterKey(i int, mode string) string {
	nd := &g.nodes[i]
	if g.group[i] {
		return g.clusterKey(g.index[nd.For], mode)
	}
	switch mode {
	case "site":
		switch nd.Kind {
		case "service", "site":
			if nd.site == "" {
				return "~none"
			}
			return nd.site
		case "provider":
			return "~providers"
		case "function":
			return "~functions"
		}
	case "team":
		if nd.Owner == "" {
			return "~none"
		}
		return nd.Owner
	case "tier":
		switch nd.Kind {
		case "service":
			if nd.Tier == nil {
				return "~none"
			}
			return strconv.Itoa(*nd.Tier)
		default:
			return "~" + nd.Kind + "s"
		}
	case "type":
		if nd.Kind != "service" {
			return "~" + nd.Kind + "s"
		}
		if nd.Type == "" {
			return "~none"
		}
		return nd.Type
	}
	return "~none"
}

// mapClusterLabel is how a cluster key reads.
func mapClusterLabel(mode, key string) string {
	switch key {
	case "~none":
		switch mode {
		case "site":
			return "no site"
		case "team":
			return "no owner"
		case "tier":
			return "no tier"
		}
		return "no type"
	case "~providers":
		return "providers"
	case "~functions":
		return "business functions"
	case "~sites":
		return "sites"
	}
	if mode == "tier" {
		return "tier " + key
	}
	return key
}

// cluster groups a selection too large to draw: one node per cluster of the query's mode (or,
// when a drill-in already narrowed to one cluster of it, the next mode), with the links
// between clusters counted. The focus stays a node of its own.
func (g *mapGraph) cluster(v *mapView, q mapQuery, keep []bool, sel []int, focus int) {
	mode := q.Cluster
	used := map[string]bool{}
	for _, x := range q.In {
		m, _, _ := strings.Cut(x, ":")
		used[m] = true
	}
	if used[mode] {
		for _, m := range mapClusterModes {
			if !used[m] {
				mode = m
				break
			}
		}
	}
	if used[mode] {
		g.truncate(v, keep, sel, focus)
		return
	}
	v.Clustered = mode
	v.Notice = fmt.Sprintf("This selection has %d objects, more than the %d a map can lay out quickly, so it is grouped by %s: each box is a cluster, with the number of objects in it. Open a cluster to see its members, or narrow the selection with a focus or filters.",
		v.Selected, v.Max, mapClusterModeName(mode))
	of := make([]string, len(g.nodes)) // node → cluster id
	byID := map[string]*mapNode{}
	var order []string
	for _, i := range sel {
		if i == focus || g.group[i] && focus >= 0 && g.index[g.nodes[i].For] == focus {
			of[i] = g.nodes[focus].ID
			continue
		}
		key := g.clusterKey(i, mode)
		id := "cluster:" + mode + ":" + key
		of[i] = id
		c := byID[id]
		if c == nil {
			dq := q
			dq.In = append(append([]string(nil), q.In...), mode+":"+key)
			c = &mapNode{ID: id, Kind: "cluster", Label: mapClusterLabel(mode, key), Drill: dq.url(), Type: mode}
			byID[id] = c
			order = append(order, id)
		}
		if g.group[i] {
			continue
		}
		c.Count++
		switch v.state[i] {
		case "down", "failed":
			c.Down++
		case "degraded":
			c.Degraded++
		}
		c.SPOF = c.SPOF || g.nodes[i].SPOF
		c.Misses = c.Misses || g.nodes[i].Misses
		if w := g.nodes[i].Warn; w != "" {
			c.Warn = "Holds a redundancy group that one failure defeats."
		}
	}
	for _, i := range sel {
		if g.group[i] && g.nodes[i].Warn != "" && of[i] != "" {
			if c := byID[of[i]]; c != nil {
				c.Warn = "Holds a redundancy group that one failure defeats."
			}
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return byID[order[a]].Count > byID[order[b]].Count })
	if focus >= 0 {
		v.Nodes = append(v.Nodes, g.emit(v, focus))
	}
	limit := v.Max - len(v.Nodes) - 1
	other := ""
	for n, id := range order {
		if n >= limit {
			// More clusters than a map can draw: the smallest are folded into one.
			if other == "" {
				other = "cluster:" + mode + ":~other"
				byID[other] = &mapNode{ID: other, Kind: "cluster", Label: "other " + mapClusterModeName(mode) + "s", Type: mode}
				v.Truncated = true
			}
			o := byID[other]
			c := byID[id]
			o.Count += c.Count
			o.Down += c.Down
			o.Degraded += c.Degraded
			byID[id] = o
			continue
		}
		v.Nodes = append(v.Nodes, *byID[id])
	}
	if other != "" {
		v.Nodes = append(v.Nodes, *byID[other])
		for _, i := range sel {
			if c := byID[of[i]]; c != nil && c.ID == other {
				of[i] = other
			}
		}
	}
	for i := range v.Nodes {
		n := &v.Nodes[i]
		if n.Kind == "cluster" {
			n.Label = fmt.Sprintf("%s\n%d %s", n.Label, n.Count, mapPlural(n.Count, "object", "objects"))
			if n.Down > 0 || n.Degraded > 0 {
				n.Label += fmt.Sprintf("\n%d down, %d degraded", n.Down, n.Degraded)
			}
		}
	}
	// Links between clusters, counted; links inside one are left out.
	type pair struct{ a, b string }
	counts := map[pair]int{}
	var pairs []pair
	for _, i := range sel {
		for _, l := range g.out[i] {
			if !keep[l.to] {
				continue
			}
			a, b := of[i], of[l.to]
			if a == b {
				continue
			}
			p := pair{a, b}
			if counts[p] == 0 {
				pairs = append(pairs, p)
			}
			counts[p]++
		}
	}
	for _, p := range pairs {
		v.Edges = append(v.Edges, mapEdge{ID: p.a + ">" + p.b, Source: p.a, Target: p.b, Kind: mapEdgeAggregate, Count: counts[p]})
	}
}

func mapClusterModeName(mode string) string {
	switch mode {
	case "team":
		return "owning team"
	case "type":
		return "service type"
	}
	return mode
}

// truncate is the last resort when every grouping has been drilled through and the selection
// is still too large: the best-connected nodes, the focus among them.
func (g *mapGraph) truncate(v *mapView, keep []bool, sel []int, focus int) {
	v.Truncated = true
	deg := make([]int, len(g.nodes))
	for _, i := range sel {
		for _, l := range g.out[i] {
			if keep[l.to] {
				deg[i]++
				deg[l.to]++
			}
		}
	}
	idx := append([]int(nil), sel...)
	sort.SliceStable(idx, func(a, b int) bool {
		if (idx[a] == focus) != (idx[b] == focus) {
			return idx[a] == focus
		}
		return deg[idx[a]] > deg[idx[b]]
	})
	shown := make([]bool, len(g.nodes))
	for _, i := range idx[:v.Max] {
		shown[i] = true
	}
	for _, i := range sel {
		if shown[i] {
			v.Nodes = append(v.Nodes, g.emit(v, i))
		}
	}
	for _, i := range sel {
		if !shown[i] {
			continue
		}
		for _, l := range g.out[i] {
			if shown[l.to] {
				v.Edges = append(v.Edges, g.edge(i, l))
			}
		}
	}
	v.Notice = fmt.Sprintf("This selection has %d objects and cannot be grouped further, so the map shows the %d best connected. Narrow it with a focus or filters to see the rest.", v.Selected, v.Max)
}
