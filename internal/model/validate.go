package model

import (
	"fmt"
	"strings"
)

// validator checks what decoding one document at a time cannot: references between objects,
// rules across fields, and cycles.
type validator struct {
	l     *loader
	names map[Kind][]string // names of each kind in declaration order, for suggestions
	// suggestBudget bounds the names compared for "did you mean" over the whole load: a
	// half-written estate can hold tens of thousands of dangling references, each compared
	// with tens of thousands of names, and the problems matter more than the suggestions.
	suggestBudget int
}

// suggestionWork is the number of name comparisons a load may spend on suggestions.
const suggestionWork = 2_000_000

// suggest is didYouMean within the budget.
func (v *validator) suggest(word string, candidates []string) string {
	if v.suggestBudget < len(candidates) {
		return ""
	}
	v.suggestBudget -= len(candidates)
	return didYouMean(word, candidates)
}

func (l *loader) validate() {
	v := &validator{l: l, names: make(map[Kind][]string), suggestBudget: suggestionWork}
	// The search for dependency cycles reads the model only: it runs beside the other checks
	// (on a large estate it is a third of validation), and its problems come last as before.
	var cyc serviceCycles
	done := make(chan struct{})
	go func() {
		defer close(done)
		cyc = findServiceCycles(l.m.Services)
	}()
	for _, o := range l.m.Objects() {
		v.names[o.Kind()] = append(v.names[o.Kind()], o.Meta().Name)
	}
	for _, o := range l.m.Objects() {
		v.owner(o)
	}
	for _, f := range l.m.Functions {
		v.function(f)
	}
	for _, s := range l.m.Services {
		v.service(s)
	}
	for _, s := range l.m.Sites {
		v.refs(s, "spec.providers", KindProvider, s.Spec.Providers)
	}
	for _, p := range l.m.People {
		v.ref(p, "spec.deputy", KindPerson, p.Spec.Deputy)
		if p.Spec.Deputy == p.Metadata.Name {
			v.problem(p, "spec.deputy", RuleValue, "a person cannot be their own deputy")
		}
	}
	for _, t := range l.m.Teams {
		v.refs(t, "spec.members", KindPerson, t.Spec.Members)
	}
	for _, p := range l.m.Plans {
		v.plan(p)
	}
	for _, s := range l.m.Scenarios {
		v.scenario(s)
	}
	<-done
	v.reportServiceCycles(cyc)
}

// at is where the value at path was written, falling back to its key or parent.
func (v *validator) at(o Object, path string) Pos { return o.Src().valueAt(path) }

func (v *validator) problem(o Object, path, rule, format string, args ...any) {
	v.l.add(Problem{Pos: v.at(o, path), Object: Ref(o), Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// ref checks that name (when set) names an object of kind k.
func (v *validator) ref(o Object, path string, k Kind, name string) {
	if name == "" {
		return
	}
	if _, ok := v.l.m.Get(k, name); ok {
		return
	}
	v.problem(o, path, RuleReference, "unknown %s `%s`%s", strings.ToLower(string(k)), truncate(name), v.suggest(name, v.names[k]))
}

func (v *validator) refs(o Object, path string, k Kind, names []string) {
	if v.resolved(k, names) {
		return // the common case, without building a path per name
	}
	for i, n := range names {
		v.ref(o, fmt.Sprintf("%s[%d]", path, i), k, n)
	}
}

// resolved reports whether every name (when set) names an object of kind k.
func (v *validator) resolved(k Kind, names []string) bool {
	byName := v.l.m.index[k]
	for _, n := range names {
		if _, ok := byName[n]; !ok && n != "" {
			return false
		}
	}
	return true
}

func (v *validator) owner(o Object) {
	owner := o.Meta().Owner
	if owner == "" {
		return
	}
	if _, ok := v.l.m.Get(KindTeam, owner); ok {
		return
	}
	if _, ok := v.l.m.Get(KindPerson, owner); ok {
		return
	}
	both := append(append([]string(nil), v.names[KindTeam]...), v.names[KindPerson]...)
	v.problem(o, "metadata.owner", RuleReference, "unknown owner `%s`: expected a Team or Person%s", truncate(owner), v.suggest(owner, both))
}

func (v *validator) function(f *BusinessFunction) {
	v.refs(f, "spec.services", KindService, f.Spec.Services)
	for i := 1; i < len(f.Spec.Impact); i++ {
		prev, cur := f.Spec.Impact[i-1], f.Spec.Impact[i]
		if cur.After <= prev.After {
			v.problem(f, fmt.Sprintf("spec.impact[%d].after", i), RuleValue,
				"impact `after` must increase from row to row: %s comes after %s", cur.After, prev.After)
		}
		if r := cur.Level.Rank(); r >= 0 && r < prev.Level.Rank() {
			v.problem(f, fmt.Sprintf("spec.impact[%d].level", i), RuleValue,
				"impact levels must not decrease over time: %s after %s", cur.Level, prev.Level)
		}
	}
	if f.Spec.LossPerHour < 0 {
		v.problem(f, "spec.lossPerHour", RuleValue, "`lossPerHour` must not be negative")
	}
}

func (v *validator) service(s *Service) {
	sp := &s.Spec
	if sp.Tier != nil && (*sp.Tier < 0 || *sp.Tier > 4) {
		v.problem(s, "spec.tier", RuleValue, "`tier` is %d but must be between 0 (most critical) and 4", *sp.Tier)
	}
	if r := sp.RunsAt; r != nil {
		v.refs(s, "spec.runsAt.sites", KindSite, r.Sites)
		if len(r.Sites) == 0 {
			if _, written := s.Source.Lookup("spec.runsAt.sites"); written {
				v.problem(s, "spec.runsAt.sites", RuleValue, "`runsAt.sites` must name at least one site")
			}
		}
		mode := r.EffectiveMode()
		if mode == ModeSingle && len(r.Sites) > 1 {
			v.problem(s, "spec.runsAt.mode", RuleValue, "mode `single` runs at one site, but %d sites are listed: use `active-active` or `active-passive`", len(r.Sites))
		}
		if r.Failover != 0 && mode != ModeActivePassive {
			v.problem(s, "spec.runsAt.failover", RuleValue, "`failover` applies only to mode `active-passive`, but the mode is `%s`", mode)
		}
	}
	v.refs(s, "spec.providers", KindProvider, sp.Providers)
	v.deps(s, "spec.dependsOn", sp.DependsOn)
	v.ref(s, "spec.plan", KindPlan, sp.Plan)
}

// deps checks every service a dependency list names, through nested groups.
func (v *validator) deps(s *Service, path string, deps []Dependency) {
	if v.depsResolved(deps) {
		return // the common case, without building a path per dependency
	}
	for i := range deps {
		d := &deps[i]
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case d.Service != "":
			v.ref(s, p, KindService, d.Service)
		case d.AnyOf != nil:
			v.deps(s, p+".anyOf", d.AnyOf)
		default:
			v.deps(s, p+".of", d.Of)
		}
	}
}

// depsResolved reports whether every service a dependency list names, through nested
// groups, exists.
func (v *validator) depsResolved(deps []Dependency) bool {
	services := v.l.m.index[KindService]
	for i := range deps {
		d := &deps[i]
		switch {
		case d.Service != "":
			if _, ok := services[d.Service]; !ok {
				return false
			}
		case d.AnyOf != nil:
			if !v.depsResolved(d.AnyOf) {
				return false
			}
		default:
			if !v.depsResolved(d.Of) {
				return false
			}
		}
	}
	return true
}

func (v *validator) plan(p *Plan) {
	sp := &p.Spec
	v.refs(p, "spec.covers", KindService, sp.Covers)
	v.refs(p, "spec.scenarios", KindScenario, sp.Scenarios)
	if a := sp.Activation; a != nil {
		v.refs(p, "spec.activation.authority", KindPerson, a.Authority)
	}
	for i, r := range sp.Roles {
		path := fmt.Sprintf("spec.roles[%d]", i)
		v.refs(p, path+".people", KindPerson, r.People)
		v.ref(p, path+".team", KindTeam, r.Team)
	}
	for i, c := range sp.Communication {
		path := fmt.Sprintf("spec.communication[%d]", i)
		v.refs(p, path+".people", KindPerson, c.People)
		v.ref(p, path+".team", KindTeam, c.Team)
	}
	if r := sp.Review; r != nil {
		v.ref(p, "spec.review.approvedBy", KindPerson, r.ApprovedBy)
	}
	var roles []string
	for _, r := range sp.Roles {
		roles = append(roles, r.Role)
	}
	for i, st := range sp.Steps {
		if st.Role != "" && len(roles) > 0 && !contains(roles, st.Role) {
			hint := v.suggest(st.Role, roles)
			if hint == "" {
				hint = ": the plan's roles are " + quoteList(roles)
			}
			v.problem(p, fmt.Sprintf("spec.steps[%d].role", i), RuleReference, "unknown role `%s` in this plan%s", truncate(st.Role), hint)
		}
	}
	ids := make(map[string]int)
	var order []string
	for i, st := range sp.Steps {
		if st.ID == "" {
			continue
		}
		if first, dup := ids[st.ID]; dup {
			v.problem(p, fmt.Sprintf("spec.steps[%d].id", i), RuleDuplicate, "step id `%s` is used twice in this plan: first at %s",
				st.ID, posString(v.at(p, fmt.Sprintf("spec.steps[%d].id", first))))
			continue
		}
		ids[st.ID] = i
		order = append(order, st.ID)
	}
	edges := make([][]edge, len(sp.Steps))
	for i, st := range sp.Steps {
		for j, a := range st.After {
			path := fmt.Sprintf("spec.steps[%d].after[%d]", i, j)
			k, ok := ids[a]
			if !ok {
				v.problem(p, path, RuleReference, "unknown step `%s` in this plan%s", truncate(a), v.suggest(a, order))
				continue
			}
			edges[i] = append(edges[i], edge{to: k, path: path})
		}
	}
	for _, cyc := range cycles(edges) {
		var names []string
		for _, e := range cyc {
			names = append(names, sp.Steps[e.from].ID)
		}
		names = append(names, names[0])
		v.problem(p, cyc[0].path, RuleCycle, "step cycle in %s: %s", Ref(p), strings.Join(names, " -> "))
	}
}

func (v *validator) scenario(s *Scenario) {
	f := &s.Spec.Fails
	v.refs(s, "spec.fails.services", KindService, f.Services)
	v.refs(s, "spec.fails.sites", KindSite, f.Sites)
	v.refs(s, "spec.fails.providers", KindProvider, f.Providers)
	if _, written := s.Source.Lookup("spec.fails"); written && len(f.Services)+len(f.Sites)+len(f.Providers) == 0 {
		v.problem(s, "spec.fails", RuleValue, "`fails` names nothing: list the services, sites or providers the scenario takes down")
	}
	if s.Spec.Frequency < 0 {
		v.problem(s, "spec.frequency", RuleValue, "`frequency` must not be negative")
	}
}

// findServiceCycles finds the hard-dependency cycles among services, which validation
// refuses (reportServiceCycles): the analysis' recovery times are a fixpoint over the hard
// links, and a cycle has none. Soft dependencies are left out (a degraded loop is fine);
// every group member counts, since a group is a hard link.
func findServiceCycles(svcs []*Service) serviceCycles {
	idx := make(map[string]int, len(svcs))
	for i, s := range svcs {
		idx[s.Metadata.Name] = i
	}
	edges := make([][]edge, len(svcs))
	for i, s := range svcs {
		edges[i] = serviceEdges(idx, s, false)
	}
	return serviceCycles{svcs: svcs, idx: idx, cycles: cycles(edges)}
}

// serviceCycles are the hard-dependency cycles found among svcs, idx their index by name.
type serviceCycles struct {
	svcs   []*Service
	idx    map[string]int
	cycles [][]edge
}

func (v *validator) reportServiceCycles(c serviceCycles) {
	svcs := c.svcs
	for _, cyc := range c.cycles {
		var names []string
		for _, e := range cyc {
			names = append(names, Ref(svcs[e.from]))
		}
		names = append(names, names[0])
		// Paths are built for the one edge reported, not for every dependency of the estate.
		path := serviceEdges(c.idx, svcs[cyc[0].from], true)[cyc[0].n].path
		v.problem(svcs[cyc[0].from], path, RuleCycle, "dependency cycle: %s", strings.Join(names, " -> "))
	}
}

// serviceEdges lists the hard links of s to the services in idx, in the order its
// dependencies are written; with paths, each edge names where it is written.
func serviceEdges(idx map[string]int, s *Service, paths bool) []edge {
	w := edgeWalk{idx: idx, paths: paths, out: make([]edge, 0, len(s.Spec.DependsOn))}
	w.walk("spec.dependsOn", s.Spec.DependsOn, false)
	return w.out
}

type edgeWalk struct {
	idx   map[string]int
	paths bool
	out   []edge
}

func (w *edgeWalk) walk(path string, deps []Dependency, inGroup bool) {
	for j := range deps {
		d := &deps[j]
		var p string
		if w.paths {
			p = fmt.Sprintf("%s[%d]", path, j)
		}
		switch {
		case d.Service != "":
			if k, ok := w.idx[d.Service]; ok && (inGroup || !d.Soft()) {
				w.out = append(w.out, edge{to: k, n: len(w.out), path: p})
			}
		case d.AnyOf != nil:
			w.walk(w.join(p, ".anyOf"), d.AnyOf, true)
		default:
			w.walk(w.join(p, ".of"), d.Of, true)
		}
	}
}

func (w *edgeWalk) join(p, field string) string {
	if !w.paths {
		return ""
	}
	return p + field
}

// edge is a link from one node to another, written at path in the source node.
type edge struct {
	from, to int
	n        int    // the edge's index among its node's edges
	path     string // where it is written, when known
}

// cycles finds one cycle in each strongly connected component that has one, as the list of
// edges around it, starting at the component's first node in declaration order and taking
// the shortest way back to it, so each cycle is reported once and the same way every run.
// Tarjan's algorithm runs iteratively: a 100,000-service chain must not exhaust the stack.
func cycles(adj [][]edge) [][]edge {
	n := len(adj)
	for i := range adj {
		for j := range adj[i] {
			adj[i][j].from = i
		}
	}
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	comp := make([]int, n)
	for i := range index {
		index[i], comp[i] = -1, -1
	}
	var stack []int
	next, ncomp := 0, 0
	type frame struct{ v, e int }
	for s := range n {
		if index[s] >= 0 {
			continue
		}
		call := []frame{{s, 0}}
		index[s], low[s] = next, next
		next++
		stack = append(stack, s)
		onStack[s] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.e < len(adj[f.v]) {
				w := adj[f.v][f.e].to
				f.e++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			vtx := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].v
				low[p] = min(low[p], low[vtx])
			}
			if low[vtx] == index[vtx] {
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp[w] = ncomp
					if w == vtx {
						break
					}
				}
				ncomp++
			}
		}
	}
	// The first node of each component, in declaration order, and whether it has a cycle.
	first := make([]int, ncomp)
	size := make([]int, ncomp)
	for i := range first {
		first[i] = -1
	}
	for v := range n {
		c := comp[v]
		size[c]++
		if first[c] < 0 {
			first[c] = v
		}
	}
	var out [][]edge
	for v := range n {
		c := comp[v]
		if first[c] != v {
			continue
		}
		selfLoop := false
		for _, e := range adj[v] {
			if e.to == v {
				selfLoop = true
			}
		}
		if size[c] == 1 && !selfLoop {
			continue
		}
		out = append(out, shortestCycle(adj, comp, v))
	}
	return out
}

// shortestCycle finds the shortest way from start back to itself within start's component,
// by breadth-first search in edge order.
func shortestCycle(adj [][]edge, comp []int, start int) []edge {
	via := make(map[int]edge)
	queue := []int{start}
	for len(queue) > 0 {
		u := queue[0]
		queue = queue[1:]
		for _, e := range adj[u] {
			if comp[e.to] != comp[start] {
				continue
			}
			if e.to == start {
				path := []edge{e}
				for x := u; x != start; x = via[x].from {
					path = append(path, via[x])
				}
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return path
			}
			if _, seen := via[e.to]; !seen {
				via[e.to] = e
				queue = append(queue, e.to)
			}
		}
	}
	return nil // unreachable: start is on a cycle of its component
}
