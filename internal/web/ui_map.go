package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/model"
)

// The dependency map: the estate's graph drawn by Cytoscape with a layered (dagre) layout.
// The server decides what the browser draws. It builds the whole graph from the model (every
// function, service, site and provider, and a small node for each redundancy group), cuts it
// to the selection the query asks for (a focus and a depth, filters), and when the selection
// is still larger than a browser lays out comfortably it clusters it: one node per site, team,
// tier or service type, with the links between clusters counted. So a 2,000-service estate
// never reaches the browser as 2,000 nodes, and every clustered view says why and how to
// drill in. The page renders the same selection as a table, for keyboard and screen-reader
// users and for print.

// mapMaxNodes is the most nodes /map/data sends the browser to lay out; a larger selection is
// clustered. dagre lays out a few hundred nodes in well under a second on a laptop.
const mapMaxNodes = 300

// mapMaxDepth bounds the focus depth: beyond it a focus is the whole estate anyway.
const mapMaxDepth = 10

// mapNamesMax bounds the focus datalist: past it the page would weigh more than the map.
const mapNamesMax = 5000

// Cluster modes, in the order a drill-in falls back through them when one cluster is still
// too large.
var mapClusterModes = []string{"site", "team", "tier", "type"}

// Edge kinds of the map; docs/web.md explains each.
const (
	mapEdgeHard      = "hard"      // a service needs another (or a group) to run
	mapEdgeSoft      = "soft"      // a service is only degraded without it
	mapEdgeRunsAt    = "runsAt"    // a service to its site, or to the group of its sites
	mapEdgeProvider  = "provider"  // a service or site to a provider
	mapEdgeFunction  = "function"  // a business function to a service it needs
	mapEdgeMember    = "member"    // a redundancy group to a member
	mapEdgeAggregate = "aggregate" // links between two clusters, counted
)

func (s *server) mapArea() area {
	c := &mapCache{}
	return area{
		pages: []page{
			{method: http.MethodGet, path: "/map", perm: auth.PermRead,
				sample: "/map?focus=service/orders-db&depth=2&fail=site/dc-frankfurt", handle: func(q *request) error { return s.mapPage(q, c) }},
			{method: http.MethodGet, path: "/map/data", perm: auth.PermRead,
				sample: "/map/data?fail=site/dc-frankfurt", handle: func(q *request) error { return s.mapData(q, c) }},
		},
		funcs: template.FuncMap{
			// mapHas reports whether a repeated query value is set: {{if mapHas .Kinds "site"}}.
			"mapHas": func(set []string, v string) bool {
				for _, x := range set {
					if x == v {
						return true
					}
				}
				return false
			},
			// mapDepths are the depths the form offers.
			"mapDepths": func() []int { return []int{1, 2, 3, 4, 5, 6, 8, 10} },
			// mapClientMax is the script's own cap on nodes to lay out, should a server
			// ever send more.
			"mapClientMax": func() int { return mapClientMax },
			// mapFailQuery is the what-if page's query for the overlay's failure.
			"mapWhatIfURL": func(refs []string) string { return "/whatif?" + url.Values{"fail": refs}.Encode() },
		},
	}
}

// mapClientMax is the most nodes map.js lays out, whatever it receives: a guard against a
// tab that hangs, above what the server sends.
const mapClientMax = 600

// mapQuery is what the map shows, read from the page's query string; the form, /map/data and
// every link the map makes (drill in, focus here) use the same names.
type mapQuery struct {
	Focus   string   // kind/name; "" = the whole estate
	Depth   int      // how many links from the focus
	Dir     string   // needs, needed-by, both
	Tier    int      // services of tier ≤ Tier; -1 = every tier
	Site    string   // services running at this site
	Kinds   []string // the kinds shown: function, service, site, provider
	Fail    []string // kind/name refs failed for the overlay
	Cluster string   // site, team, tier, type: how a large selection is grouped
	In      []string // mode:key: only the members of these clusters (a drill-in)
	Rank    string   // LR or TB: the layout's direction; "" = by the map's size (rankDir)
}

var mapKinds = []string{"function", "service", "site", "provider"}

// parseMapQuery reads and checks a map query against the model; what it cannot use is a
// badRequest naming the parameter and what was expected.
func parseMapQuery(v url.Values, m *model.Model) (mapQuery, error) {
	q := mapQuery{Depth: 2, Dir: "both", Tier: -1, Cluster: "site"}
	if f := strings.TrimSpace(v.Get("focus")); f != "" {
		if !strings.Contains(f, "/") {
			// A bare name from the datalist: the first kind that has it.
			for _, k := range []string{"service", "site", "provider", "function"} {
				if _, ok := m.Lookup(k + "/" + f); ok {
					f = k + "/" + f
					break
				}
			}
		}
		kind, _, _ := strings.Cut(f, "/")
		if !mapHasKind(kind) {
			return q, badRequest{fmt.Sprintf("focus: %q is not a service, site, provider or business function; expected kind/name, like service/orders-db.", f)}
		}
		if _, ok := m.Lookup(f); !ok {
			return q, badRequest{fmt.Sprintf("focus: there is no %s in the model.", f)}
		}
		q.Focus = f
	}
	if d := v.Get("depth"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > mapMaxDepth {
			return q, badRequest{fmt.Sprintf("depth: %q is not a number of links from 1 to %d.", d, mapMaxDepth)}
		}
		q.Depth = n
	}
	switch d := v.Get("dir"); d {
	case "":
	case "needs", "needed-by", "both":
		q.Dir = d
	default:
		return q, badRequest{fmt.Sprintf("dir: %q is not a direction; expected needs, needed-by or both.", d)}
	}
	if t := v.Get("tier"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > 9 {
			return q, badRequest{fmt.Sprintf("tier: %q is not a tier; expected a number from 0 to 9, or nothing for every tier.", t)}
		}
		q.Tier = n
	}
	if st := v.Get("site"); st != "" {
		if m.Site(st) == nil {
			return q, badRequest{fmt.Sprintf("site: there is no site named %q in the model.", st)}
		}
		q.Site = st
	}
	for _, k := range v["kind"] {
		if !mapHasKind(k) {
			return q, badRequest{fmt.Sprintf("kind: %q is not a kind the map shows; expected function, service, site or provider.", k)}
		}
		if !mapContains(q.Kinds, k) {
			q.Kinds = append(q.Kinds, k)
		}
	}
	if len(q.Kinds) == 0 {
		q.Kinds = append([]string(nil), mapKinds...)
	}
	for _, raw := range v["fail"] {
		for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == ' ' }) {
			var probe analysis.Failure
			if err := probe.Add(f); err != nil {
				return q, badRequest{fmt.Sprintf("fail: %q is not something that fails; expected service/NAME, site/NAME or provider/NAME.", f)}
			}
			if _, ok := m.Lookup(f); !ok {
				return q, badRequest{fmt.Sprintf("fail: there is no %s in the model.", f)}
			}
			if !mapContains(q.Fail, f) {
				q.Fail = append(q.Fail, f)
			}
		}
	}
	switch c := v.Get("cluster"); c {
	case "":
	case "site", "team", "tier", "type":
		q.Cluster = c
	default:
		return q, badRequest{fmt.Sprintf("cluster: %q is not a grouping; expected site, team, tier or type.", c)}
	}
	for _, in := range v["in"] {
		mode, key, ok := strings.Cut(in, ":")
		if !ok || !mapContains(mapClusterModes, mode) || key == "" {
			return q, badRequest{fmt.Sprintf("in: %q is not a cluster; expected site:NAME, team:NAME, tier:N or type:NAME.", in)}
		}
		if !mapContains(q.In, in) {
			q.In = append(q.In, in)
		}
	}
	switch r := v.Get("rank"); r {
	case "":
	case "LR", "TB":
		q.Rank = r
	default:
		return q, badRequest{fmt.Sprintf("rank: %q is not a layout direction; expected LR (left to right) or TB (top to bottom).", r)}
	}
	return q, nil
}

func mapHasKind(k string) bool { return mapContains(mapKinds, k) }

func mapContains(set []string, v string) bool {
	for _, x := range set {
		if x == v {
			return true
		}
	}
	return false
}

// values writes the query back as URL values, leaving out defaults, so links stay short.
func (q mapQuery) values() url.Values {
	v := url.Values{}
	if q.Focus != "" {
		v.Set("focus", q.Focus)
		if q.Depth != 2 {
			v.Set("depth", strconv.Itoa(q.Depth))
		}
		if q.Dir != "both" {
			v.Set("dir", q.Dir)
		}
	}
	if q.Tier >= 0 {
		v.Set("tier", strconv.Itoa(q.Tier))
	}
	if q.Site != "" {
		v.Set("site", q.Site)
	}
	if len(q.Kinds) != len(mapKinds) {
		v["kind"] = append([]string(nil), q.Kinds...)
	}
	if len(q.Fail) > 0 {
		v["fail"] = append([]string(nil), q.Fail...)
	}
	if q.Cluster != "site" {
		v.Set("cluster", q.Cluster)
	}
	if len(q.In) > 0 {
		v["in"] = append([]string(nil), q.In...)
	}
	if q.Rank != "" {
		v.Set("rank", q.Rank)
	}
	return v
}

// url is the map page for the query.
func (q mapQuery) url() string {
	if e := q.values().Encode(); e != "" {
		return "/map?" + e
	}
	return "/map"
}

// RankDir is the layout's direction: the query's, or left to right for a small map (it
// reads like a sentence: what needs → what is needed) and top to bottom for a large one,
// whose many nodes per rank would otherwise make a tall thin strip on a wide screen.
func (v *mapView) RankDir() string {
	switch {
	case v.Query.Rank != "":
		return v.Query.Rank
	case v.Shown > 40:
		return "TB"
	}
	return "LR"
}

// mapJSON is /map/data's answer: Cytoscape's elements and what the page says about them.
type mapJSON struct {
	Elements struct {
		Nodes []mapElement[mapNode] `json:"nodes"`
		Edges []mapElement[mapEdge] `json:"edges"`
	} `json:"elements"`
	Meta mapMeta `json:"meta"`
}

type mapElement[T any] struct {
	Data T `json:"data"`
}

type mapMeta struct {
	Selected  int    `json:"selected"`
	Shown     int    `json:"shown"`
	Max       int    `json:"max"`
	Clustered string `json:"clustered,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	Notice    string `json:"notice,omitempty"`
	Rank      string `json:"rankDir"`
	Focus     string `json:"focus,omitempty"`
}

func (v *mapView) json() *mapJSON {
	out := &mapJSON{Meta: mapMeta{Selected: v.Selected, Shown: v.Shown, Max: v.Max, Clustered: v.Clustered,
		Truncated: v.Truncated, Notice: v.Notice, Rank: v.RankDir(), Focus: v.Query.Focus}}
	out.Elements.Nodes = make([]mapElement[mapNode], len(v.Nodes))
	for i, n := range v.Nodes {
		out.Elements.Nodes[i].Data = n
	}
	out.Elements.Edges = make([]mapElement[mapEdge], len(v.Edges))
	for i, e := range v.Edges {
		out.Elements.Edges[i].Data = e
	}
	return out
}

// mapData answers /map/data: the selection as Cytoscape elements.
func (s *server) mapData(q *request, c *mapCache) error {
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	if snap.Model == nil || snap.Graph == nil {
		return badRequest{"The stored model does not load, so there is no map: see the findings."}
	}
	mq, err := parseMapQuery(q.r.URL.Query(), snap.Model)
	if err != nil {
		return err
	}
	v, err := buildMap(c, snap, mq)
	if err != nil {
		return err
	}
	b, err := json.Marshal(v.json())
	if err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "private, no-cache")
	q.w.Write(b)
	return nil
}

// mapRow is one row of the map's table: a node and what it needs.
type mapRow struct {
	Node  mapNode
	Needs []mapEdge // edges out, with the target's label in label
}

// mapPageData is the map page's data.
type mapPageData struct {
	View      *mapView
	Q         mapQuery
	Rows      []mapRow
	Names     []string // the focus datalist: kind/name refs
	Sites     []string
	Providers []string
	// FailOther are failed refs the select does not list (services), kept as hidden fields.
	FailOther []string
	DataURL   string
	Label     string // the graph's text alternative
	ClearURL  string
	UpURL     string // the drill-in one step up; "" when not drilled in
	Tiers     []int
}

// mapPage renders /map: the form, the graph's frame, the legend and the table.
func (s *server) mapPage(q *request, c *mapCache) error {
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	if snap.Model == nil || snap.Graph == nil {
		return badRequest{"The stored model does not load, so there is no map: see the findings."}
	}
	mq, err := parseMapQuery(q.r.URL.Query(), snap.Model)
	if err != nil {
		return err
	}
	v, err := buildMap(c, snap, mq)
	if err != nil {
		return err
	}
	m := snap.Model
	d := mapPageData{View: v, Q: mq, DataURL: "/map/data", ClearURL: "/map", Tiers: []int{0, 1, 2, 3, 4}}
	if len(mq.In) > 0 {
		up := mq
		up.In = mq.In[:len(mq.In)-1]
		d.UpURL = up.url()
	}
	if e := mq.values().Encode(); e != "" {
		d.DataURL += "?" + e
	}
	label := map[string]string{}
	for _, n := range v.Nodes {
		label[n.ID] = n.Label
		if n.Kind == "group" {
			label[n.ID] = n.Label + " (" + mapRefName(n.For) + ")"
		}
	}
	// A service's redundancy groups follow its row, so the table reads service, its groups,
	// the next service.
	groupsOf := map[string][]mapNode{}
	for _, n := range v.Nodes {
		if n.Kind == "group" {
			groupsOf[n.For] = append(groupsOf[n.For], n)
		}
	}
	rows := map[string]int{}
	add := func(n mapNode) {
		rows[n.ID] = len(d.Rows)
		d.Rows = append(d.Rows, mapRow{Node: n})
	}
	for _, n := range v.Nodes {
		if n.Kind == "group" {
			continue
		}
		add(n)
		for _, gn := range groupsOf[n.ID] {
			add(gn)
		}
	}
	for _, e := range v.Edges {
		e.label = label[e.Target]
		r := &d.Rows[rows[e.Source]]
		r.Needs = append(r.Needs, e)
	}
	if n := len(m.Functions) + len(m.Services) + len(m.Sites) + len(m.Providers); n <= mapNamesMax {
		d.Names = make([]string, 0, n)
		for _, f := range m.Functions {
			d.Names = append(d.Names, "function/"+f.Metadata.Name)
		}
		for _, sv := range m.Services {
			d.Names = append(d.Names, "service/"+sv.Metadata.Name)
		}
		for _, st := range m.Sites {
			d.Names = append(d.Names, "site/"+st.Metadata.Name)
		}
		for _, p := range m.Providers {
			d.Names = append(d.Names, "provider/"+p.Metadata.Name)
		}
	}
	for _, st := range m.Sites {
		d.Sites = append(d.Sites, st.Metadata.Name)
	}
	for _, p := range m.Providers {
		d.Providers = append(d.Providers, p.Metadata.Name)
	}
	for _, f := range mq.Fail {
		if strings.HasPrefix(f, "service/") {
			d.FailOther = append(d.FailOther, f)
		}
	}
	var what string
	switch {
	case mq.Focus != "":
		what = fmt.Sprintf("around %s, %d %s deep", mq.Focus, mq.Depth, mapPlural(mq.Depth, "link", "links"))
	default:
		what = "of the whole estate"
	}
	d.Label = fmt.Sprintf("Dependency map %s: %d nodes and %d links", what, v.Shown, len(v.Edges))
	if v.Clustered != "" {
		d.Label += fmt.Sprintf(", %d objects grouped by %s", v.Selected, mapClusterModeName(v.Clustered))
	}
	if len(mq.Fail) > 0 {
		d.Label += fmt.Sprintf("; with %s failed, %d down and %d degraded", strings.Join(mq.Fail, ", "), v.Down, v.DegradedN)
	}
	d.Label += ". The same nodes and links are listed in the table below."
	return q.render(http.StatusOK, "map", "Dependency map", "map", d)
}

func mapRefName(ref string) string { _, n, _ := strings.Cut(ref, "/"); return n }

func mapPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Label is the edge's target as the table shows it.
func (e mapEdge) Label() string { return e.label }

// Word is the edge's kind as the table shows it.
func (e mapEdge) Word() string {
	switch e.Kind {
	case mapEdgeHard:
		return "hard"
	case mapEdgeSoft:
		return "soft: degraded without it"
	case mapEdgeRunsAt:
		return "runs at"
	case mapEdgeProvider:
		return "provider"
	case mapEdgeFunction:
		return "service of the function"
	case mapEdgeMember:
		return "member"
	case mapEdgeAggregate:
		if e.Outside {
			return fmt.Sprintf("%d %s, outside", e.Count, mapPlural(e.Count, "link", "links"))
		}
		return fmt.Sprintf("%d %s", e.Count, mapPlural(e.Count, "link", "links"))
	}
	return e.Kind
}

// mapOr joins refs as a person lists alternatives: "a, b or c".
func mapOr(refs []string) string {
	if len(refs) < 2 {
		return strings.Join(refs, "")
	}
	return strings.Join(refs[:len(refs)-1], ", ") + " or " + refs[len(refs)-1]
}
