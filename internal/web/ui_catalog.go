package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/binder"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/lint"
	"github.com/perdura/perdura/internal/model"
)

// The catalog: a searchable, filterable list of every kind, a page per object that shows
// what the engine knows about it (what it needs, what needs it, what its loss does), its
// revisions with their diffs, and the linter's findings.
//
// What the pages look up across objects (who depends on a service, what runs at a site, the
// findings of an object) is indexed once per stored generation, so a page costs a few map
// look-ups even on a 10,000-service estate.

// catalogPageSize is how many rows a list shows per page.
const catalogPageSize = 100

// catalogPages holds the catalog's per-generation index; it lives as long as the server.
type catalogPages struct {
	s   *server
	mu  sync.Mutex
	idx *catalogIndex
}

// catalogArea is the catalog's lists and object pages.
func (s *server) catalogArea() area {
	c := &catalogPages{s: s}
	pages := []page{
		{method: "GET", path: "/services", perm: auth.PermRead, sample: "/services?q=orders&tier=0", handle: c.serviceList},
		{method: "GET", path: "/sites", perm: auth.PermRead, handle: c.siteList},
		{method: "GET", path: "/providers", perm: auth.PermRead, handle: c.providerList},
		{method: "GET", path: "/people", perm: auth.PermRead, handle: c.personList},
		{method: "GET", path: "/teams", perm: auth.PermRead, handle: c.teamList},
		{method: "GET", path: "/scenarios", perm: auth.PermRead, handle: c.scenarioList},
		{method: "GET", path: "/services/{name}", perm: auth.PermRead, sample: "/services/orders-db", handle: c.catalogServicePage},
		{method: "GET", path: "/sites/{name}", perm: auth.PermRead, sample: "/sites/dc-frankfurt", handle: c.catalogSitePage},
		{method: "GET", path: "/providers/{name}", perm: auth.PermRead, sample: "/providers/nimbus-cloud", handle: c.catalogProviderPage},
		{method: "GET", path: "/people/{name}", perm: auth.PermRead, sample: "/people/marta-keller", handle: c.catalogPersonPage},
		{method: "GET", path: "/teams/{name}", perm: auth.PermRead, sample: "/teams/team-data", handle: c.catalogTeamPage},
		{method: "GET", path: "/scenarios/{name}", perm: auth.PermRead, sample: "/scenarios/site-loss-frankfurt", handle: c.catalogScenarioPage},
		{method: "GET", path: "/findings", perm: auth.PermRead, sample: "/findings?severity=warning", handle: c.catalogFindingsPage},
	}
	samples := map[model.Kind]string{
		model.KindService: "orders-db", model.KindSite: "dc-frankfurt", model.KindProvider: "nimbus-cloud",
		model.KindPerson: "marta-keller", model.KindTeam: "team-data", model.KindBusinessFunction: "online-sales",
		model.KindPlan: "orders-db-recovery", model.KindScenario: "ransomware",
	}
	for _, k := range model.Kinds {
		k := k
		pl := refPlural(k.RefPrefix())
		pages = append(pages, page{method: "GET", path: "/" + pl + "/{name}/history", perm: auth.PermRead,
			sample: "/" + pl + "/" + samples[k] + "/history",
			handle: func(q *request) error { return c.catalogHistoryPage(q, k) }})
	}
	for i := range pages {
		pages[i].handle = catalogUnloadable(pages[i].handle)
	}
	return area{pages: pages, funcs: template.FuncMap{
		// catalogDiffClass is the CSS class of a line of a unified diff.
		"catalogDiffClass": func(line string) string {
			switch {
			case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
				return "diff-file"
			case strings.HasPrefix(line, "@@"):
				return "diff-hunk"
			case strings.HasPrefix(line, "+"):
				return "diff-add"
			case strings.HasPrefix(line, "-"):
				return "diff-del"
			}
			return "diff-ctx"
		},
		// catalogRef is a kind and a name as a reference: {{catalogRef "service" .Name}}.
		"catalogRef": func(kind, name string) string { return kind + "/" + name },
		// catalogRefs is names of one kind as references.
		"catalogRefs": func(kind string, names []string) []string {
			out := make([]string, len(names))
			for i, n := range names {
				out[i] = kind + "/" + n
			}
			return out
		},
		// catalogTel is a phone number as a tel: URL.
		"catalogTel":  binder.Tel,
		"catalogMail": func(e string) template.URL { return template.URL("mailto:" + url.PathEscape(e)) },
		// No query escaping here: html/template escapes a value in a URL's query itself, and
		// escaping it first made "service/x" arrive as "service%2Fx" (TestLinks).
	}}
}

// catalogIndex is what the catalog pages look up across objects, built once per snapshot.
type catalogIndex struct {
	snap      *catalog.Snapshot
	worst     map[string]*analysis.Worst
	findings  map[string][]lint.Finding // by object ref
	object    map[string]*catalog.Object
	inherited map[string]*analysis.InheritedTarget // by service ref
	// by service name
	dependents map[string][]string // refs of services whose dependsOn names it
	functions  map[string][]string // function names that need it
	plans      map[string][]string // plan names that cover it or that it names
	atSite     map[string][]string // site name -> service names
	provSvc    map[string][]string // provider name -> service names
	provSite   map[string][]string // provider name -> site names
	teamsOf    map[string][]string // person -> team names
	deputyFor  map[string][]string // person -> people whose deputy they are
	owned      map[string][]string // owner -> service names
	roles      map[string][]catalogPersonRole
	teamPlans  map[string][]string // team -> plan names
	sources    []string            // source folders, sorted
	services   []*model.Service    // sorted by name
}

// catalogPersonRole is a role someone holds in a plan, in person or through a team.
type catalogPersonRole struct {
	Plan, Role string
	Deputy     bool   // a deputy rather than the primary
	Team       string // held through this team
}

// index is the catalog index of the request's snapshot.
func (c *catalogPages) index(q *request) (*catalogIndex, error) {
	snap, err := q.snapshot()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.idx != nil && c.idx.snap == snap {
		return c.idx, nil
	}
	c.idx = buildCatalogIndex(snap)
	return c.idx, nil
}

func buildCatalogIndex(snap *catalog.Snapshot) *catalogIndex {
	x := &catalogIndex{snap: snap,
		worst: map[string]*analysis.Worst{}, findings: map[string][]lint.Finding{}, object: map[string]*catalog.Object{},
		inherited: map[string]*analysis.InheritedTarget{}, dependents: map[string][]string{}, functions: map[string][]string{},
		plans: map[string][]string{}, atSite: map[string][]string{}, provSvc: map[string][]string{}, provSite: map[string][]string{},
		teamsOf: map[string][]string{}, deputyFor: map[string][]string{}, owned: map[string][]string{},
		roles: map[string][]catalogPersonRole{}, teamPlans: map[string][]string{},
	}
	srcs := map[string]bool{}
	for i := range snap.Objects {
		o := &snap.Objects[i]
		x.object[o.Kind.RefPrefix()+"/"+o.Name] = o
		if o.Source != "" {
			srcs[o.Source] = true
		}
	}
	x.sources = sortedKeys(srcs)
	for _, f := range snap.Findings {
		x.findings[f.Object] = append(x.findings[f.Object], f)
	}
	if snap.Estate != nil {
		for i := range snap.Estate.Worst {
			x.worst[snap.Estate.Worst[i].Object] = &snap.Estate.Worst[i]
		}
	}
	if snap.Graph != nil {
		inh := snap.Graph.Inherited()
		for i := range inh {
			x.inherited[inh[i].Service] = &inh[i]
		}
	}
	m := snap.Model
	if m == nil {
		return x
	}
	x.services = slices.Clone(m.Services)
	sort.Slice(x.services, func(i, j int) bool { return x.services[i].Metadata.Name < x.services[j].Metadata.Name })
	for _, s := range m.Services {
		name := s.Metadata.Name
		seen := map[string]bool{}
		var walk func(ds []model.Dependency)
		walk = func(ds []model.Dependency) {
			for i := range ds {
				d := &ds[i]
				if d.IsGroup() {
					walk(d.Members())
				} else if !seen[d.Service] {
					seen[d.Service] = true
					x.dependents[d.Service] = append(x.dependents[d.Service], "service/"+name)
				}
			}
		}
		walk(s.Spec.DependsOn)
		if s.Spec.RunsAt != nil {
			for _, site := range s.Spec.RunsAt.Sites {
				x.atSite[site] = append(x.atSite[site], name)
			}
		}
		for _, p := range s.Spec.Providers {
			x.provSvc[p] = append(x.provSvc[p], name)
		}
		if s.Spec.Plan != "" {
			x.plans[name] = append(x.plans[name], s.Spec.Plan)
		}
		if s.Metadata.Owner != "" {
			x.owned[s.Metadata.Owner] = append(x.owned[s.Metadata.Owner], name)
		}
	}
	for _, f := range m.Functions {
		for _, s := range f.Spec.Services {
			x.functions[s] = append(x.functions[s], f.Metadata.Name)
		}
	}
	for _, site := range m.Sites {
		for _, p := range site.Spec.Providers {
			x.provSite[p] = append(x.provSite[p], site.Metadata.Name)
		}
	}
	for _, p := range m.People {
		if p.Spec.Deputy != "" {
			x.deputyFor[p.Spec.Deputy] = append(x.deputyFor[p.Spec.Deputy], p.Metadata.Name)
		}
	}
	for _, t := range m.Teams {
		for _, p := range t.Spec.Members {
			x.teamsOf[p] = append(x.teamsOf[p], t.Metadata.Name)
		}
	}
	for _, p := range m.Plans {
		pn := p.Metadata.Name
		for _, s := range p.Spec.Covers {
			if !slices.Contains(x.plans[s], pn) {
				x.plans[s] = append(x.plans[s], pn)
			}
		}
		teams := map[string]bool{}
		for _, r := range p.Spec.Roles {
			for i, person := range r.People {
				x.roles[person] = append(x.roles[person], catalogPersonRole{Plan: pn, Role: r.Role, Deputy: i > 0})
			}
			if r.Team != "" {
				teams[r.Team] = true
				if t := m.Team(r.Team); t != nil {
					for _, person := range t.Spec.Members {
						x.roles[person] = append(x.roles[person], catalogPersonRole{Plan: pn, Role: r.Role, Team: r.Team})
					}
				}
			}
		}
		for _, cm := range p.Spec.Communication {
			if cm.Team != "" {
				teams[cm.Team] = true
			}
		}
		for t := range teams {
			x.teamPlans[t] = append(x.teamPlans[t], pn)
		}
	}
	for t := range x.teamPlans {
		sort.Strings(x.teamPlans[t])
	}
	return x
}

// source says who manages an object: a source folder, or "" for edited in Perdura.
func (x *catalogIndex) source(ref string) (string, int64) {
	if o := x.object[ref]; o != nil {
		return o.Source, o.Revision
	}
	return "", 0
}

// errCatalogUnloadable is the answer of a page that needs the analysed model when the stored
// model does not load (only a model stored by an older Perdura with other rules can fail so).
var errCatalogUnloadable = errors.New("the stored model does not load")

// catalogUnloadable turns errCatalogUnloadable into a page that says what to do.
func catalogUnloadable(h func(*request) error) func(*request) error {
	return func(q *request) error {
		err := h(q)
		if errors.Is(err, errCatalogUnloadable) {
			q.s.pageError(q.w, q.r, q.p, http.StatusServiceUnavailable,
				"The stored model has problems, so Perdura cannot analyse it. The Findings page lists them with the file and line to fix.")
			return nil
		}
		return err
	}
}

// model is the snapshot's model, or an error page when the stored model does not load.
func (x *catalogIndex) model() (*model.Model, error) {
	if x.snap.Model == nil || x.snap.Graph == nil {
		return nil, errCatalogUnloadable
	}
	return x.snap.Model, nil
}

// --- Lists ---

// catalogListPage is the data of a catalog list.
type catalogListPage struct {
	Kind, Plural, Heading, Intro string
	Path                         string // the list's own path
	Q                            string
	Filters                      []catalogListFilter
	Columns                      []catalogListColumn
	Rows                         []catalogListRow
	Total, From, To, Page, Pages int
	Prev, Next                   string
	Tabs                         []catalogListTab
	Filtered                     bool
}

type catalogListTab struct {
	Label, Href string
	Current     bool
}

type catalogListColumn struct {
	Label string
	Num   bool
}

// catalogListFilter is one control of a list's filter form.
type catalogListFilter struct {
	Name, Label string
	Check       bool // a checkbox; Value is "1" when ticked
	Hidden      bool // kept from a link, shown as a note
	Value       string
	Options     []catalogListOption
}

type catalogListOption struct{ Value, Label string }

type catalogListRow struct {
	Ref   string
	Cells []catalogListCell
}

// catalogListCell is one cell of a list; the template shows the first of Ref, Refs, Tier, Text.
type catalogListCell struct {
	Ref    string
	Title  string // under Ref
	Refs   []string
	Tier   *int
	Text   string
	Class  string
	Num    bool
	Href   string
	Tip    string // said after Text: shown on hover, read by screen readers
	IsTier bool
	Tel    string // a phone number, to call with a tap
	Mail   string // an email address, to write to
}

var catalogTabs = []struct{ label, path, kind string }{
	{"Services", "/services", "service"}, {"Sites", "/sites", "site"}, {"Providers", "/providers", "provider"},
	{"People", "/people", "person"}, {"Teams", "/teams", "team"}, {"Functions", "/bia", "function"},
	{"Scenarios", "/scenarios", "scenario"},
}

func catalogNewListPage(kind, heading, path string) *catalogListPage {
	l := &catalogListPage{Kind: kind, Plural: refPlural(kind), Heading: heading, Path: path}
	for _, t := range catalogTabs {
		l.Tabs = append(l.Tabs, catalogListTab{Label: t.label, Href: t.path, Current: t.kind == kind})
	}
	return l
}

// filter adds a select filter, validating its value: a value not among the catalogOptions is a 400.
func (l *catalogListPage) filter(q *request, name, label string, opts []catalogListOption) (string, error) {
	v := strings.TrimSpace(q.r.URL.Query().Get(name))
	if v != "" && !slices.ContainsFunc(opts, func(o catalogListOption) bool { return o.Value == v }) {
		var vals []string
		for _, o := range opts {
			vals = append(vals, o.Value)
		}
		if len(vals) > 12 {
			vals = append(vals[:12], "…")
		}
		return "", badRequest{fmt.Sprintf("The %s filter %q is not one of: %s.", label, v, strings.Join(vals, ", "))}
	}
	l.Filters = append(l.Filters, catalogListFilter{Name: name, Label: label, Value: v, Options: opts})
	if v != "" {
		l.Filtered = true
	}
	return v, nil
}

// filterAny adds a select filter whose options are the values the model has now; any
// other plain value is accepted too (a link made before an edit, an owner with no services
// left) and simply matches nothing.
func (l *catalogListPage) filterAny(q *request, name, label string, opts []catalogListOption) (string, error) {
	v := strings.TrimSpace(q.r.URL.Query().Get(name))
	if v != "" && !slices.ContainsFunc(opts, func(o catalogListOption) bool { return o.Value == v }) {
		if len(v) > 100 || strings.ContainsAny(v, " /\\\t\n") {
			return "", badRequest{fmt.Sprintf("The %s filter %q is not a name: expected lower-case letters, digits and dashes.", label, v)}
		}
		opts = append(opts, catalogListOption{Value: v, Label: v})
	}
	return l.filter(q, name, label, opts)
}

// check adds a checkbox filter; any value but "", "0", "1", "on", "true" is a 400.
func (l *catalogListPage) check(q *request, name, label string) (bool, error) {
	v := q.r.URL.Query().Get(name)
	on := false
	switch v {
	case "", "0", "false":
	case "1", "on", "true":
		on = true
	default:
		return false, badRequest{fmt.Sprintf("The %q filter takes 1 or nothing, not %q.", name, v)}
	}
	l.Filters = append(l.Filters, catalogListFilter{Name: name, Label: label, Check: true, Value: map[bool]string{true: "1"}[on]})
	l.Filtered = l.Filtered || on
	return on, nil
}

// search reads q and reports whether any of the texts contains it, ignoring case.
func (l *catalogListPage) search(q *request) func(texts ...string) bool {
	l.Q = strings.TrimSpace(q.r.URL.Query().Get("q"))
	needle := strings.ToLower(l.Q)
	if needle != "" {
		l.Filtered = true
	}
	return func(texts ...string) bool {
		if needle == "" {
			return true
		}
		for _, t := range texts {
			if strings.Contains(strings.ToLower(t), needle) {
				return true
			}
		}
		return false
	}
}

// paginate reads ?page= and returns the range of n rows to show.
func (l *catalogListPage) paginate(q *request, n int) (from, to int, err error) {
	p := 1
	if v := q.r.URL.Query().Get("page"); v != "" {
		p, err = strconv.Atoi(v)
		if err != nil || p < 1 {
			return 0, 0, badRequest{fmt.Sprintf("The page number must be a whole number from 1, not %q.", v)}
		}
	}
	l.Total = n
	l.Pages = max(1, (n+catalogPageSize-1)/catalogPageSize)
	if p > l.Pages {
		return 0, 0, badRequest{fmt.Sprintf("There are only %d pages of results; page %d does not exist.", l.Pages, p)}
	}
	l.Page = p
	from = (p - 1) * catalogPageSize
	to = min(n, from+catalogPageSize)
	l.From, l.To = from+1, to
	withPage := func(pg int) string {
		v := q.r.URL.Query()
		v.Del("page")
		if pg > 1 {
			v.Set("page", strconv.Itoa(pg))
		}
		if e := v.Encode(); e != "" {
			return l.Path + "?" + e
		}
		return l.Path
	}
	if p > 1 {
		l.Prev = withPage(p - 1)
	}
	if p < l.Pages {
		l.Next = withPage(p + 1)
	}
	return from, to, nil
}

// show renders a list, or only its results for an htmx request from the filter form.
func (l *catalogListPage) show(q *request) error {
	if q.htmx() && q.r.Header.Get("HX-Target") == "catalog-results" {
		return q.fragment("catalog-list", "catalog-results", l)
	}
	return q.render(http.StatusOK, "catalog-list", l.Heading, "catalog", l)
}

func catalogOptions(vals ...string) []catalogListOption {
	out := make([]catalogListOption, len(vals))
	for i, v := range vals {
		out[i] = catalogListOption{Value: v, Label: v}
	}
	return out
}

func catalogNameOptions[T model.Object](objs []T) []catalogListOption {
	out := make([]catalogListOption, 0, len(objs))
	for _, o := range objs {
		label := o.Meta().Name
		if t := o.Meta().Title; t != "" {
			label = t
		}
		out = append(out, catalogListOption{Value: o.Meta().Name, Label: label})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
}

func catalogMetaMatch(match func(...string) bool, m *model.Metadata) bool {
	return match(m.Name, m.Title, m.Description)
}

func (c *catalogPages) serviceList(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	l := catalogNewListPage("service", "Services", "/services")
	l.Intro = "Every IT service and component, with its targets and whether its worst single failure keeps it within them."
	match := l.search(q)
	tier, err := l.filter(q, "tier", "Tier", append(catalogOptions("0", "1", "2", "3", "4"), catalogListOption{"none", "no tier"}))
	if err != nil {
		return err
	}
	site, err := l.filter(q, "site", "Site", catalogNameOptions(m.Sites))
	if err != nil {
		return err
	}
	prov, err := l.filter(q, "provider", "Provider", catalogNameOptions(m.Providers))
	if err != nil {
		return err
	}
	types, owners := map[string]bool{}, map[string]bool{}
	for _, s := range m.Services {
		if s.Spec.Type != "" {
			types[s.Spec.Type] = true
		}
		if s.Metadata.Owner != "" {
			owners[s.Metadata.Owner] = true
		}
	}
	typ, err := l.filterAny(q, "type", "Type", catalogOptions(sortedKeys(types)...))
	if err != nil {
		return err
	}
	owner, err := l.filterAny(q, "owner", "Owner", catalogOptions(sortedKeys(owners)...))
	if err != nil {
		return err
	}
	managed := []catalogListOption{{"perdura", "edited in Perdura"}}
	for _, s := range x.sources {
		managed = append(managed, catalogListOption{"folder:" + s, "folder " + s})
	}
	src, err := l.filter(q, "managed", "Managed by", managed)
	if err != nil {
		return err
	}
	needs := strings.TrimSpace(q.r.URL.Query().Get("needs"))
	if needs != "" {
		if m.Service(needs) == nil {
			return badRequest{fmt.Sprintf("The needs filter names a service; there is no service %q.", needs)}
		}
		l.Filters = append(l.Filters, catalogListFilter{Name: "needs", Label: "Depends on", Value: needs, Hidden: true})
		l.Filtered = true
	}
	misses, err := l.check(q, "misses", "Misses its target")
	if err != nil {
		return err
	}
	withFindings, err := l.check(q, "findings", "Has findings")
	if err != nil {
		return err
	}
	order, err := l.filter(q, "sort", "Sort by", []catalogListOption{{"tier", "tier, most critical first"},
		{"rto", "RTO, tightest first"}, {"worst", "worst failure, longest first"}, {"findings", "most findings first"}})
	if err != nil {
		return err
	}
	var rows []*model.Service
	for _, s := range x.services {
		ref := "service/" + s.Metadata.Name
		switch {
		case !catalogMetaMatch(match, &s.Metadata):
			continue
		case needs != "" && !slices.Contains(x.dependents[needs], ref):
			continue
		case tier == "none" && s.Spec.Tier != nil, tier != "" && tier != "none" && (s.Spec.Tier == nil || strconv.Itoa(*s.Spec.Tier) != tier):
			continue
		case site != "" && (s.Spec.RunsAt == nil || !slices.Contains(s.Spec.RunsAt.Sites, site)):
			continue
		case prov != "" && !slices.Contains(s.Spec.Providers, prov):
			continue
		case typ != "" && s.Spec.Type != typ, owner != "" && s.Metadata.Owner != owner:
			continue
		case misses && !(x.worst[ref] != nil && x.worst[ref].Meets != nil && !*x.worst[ref].Meets):
			continue
		case withFindings && len(x.findings[ref]) == 0:
			continue
		}
		if src != "" {
			s, _ := x.source(ref)
			if (src == "perdura") != (s == "") || (s != "" && src != "folder:"+s) {
				continue
			}
		}
		rows = append(rows, s)
	}
	if order != "" {
		catalogSortServices(rows, order, x)
	}
	from, to, err := l.paginate(q, len(rows))
	if err != nil {
		return err
	}
	l.Columns = []catalogListColumn{{Label: "Service"}, {Label: "Tier"}, {Label: "RTO", Num: true}, {Label: "RPO", Num: true},
		{Label: "Worst single failure"}, {Label: "Sites"}, {Label: "Plan"}, {Label: "Findings", Num: true}}
	for _, s := range rows[from:to] {
		ref := "service/" + s.Metadata.Name
		worst := catalogListCell{Text: "—", Class: "muted"}
		if w := x.worst[ref]; w != nil && w.Cause != nil {
			up := "never"
			if w.Recoverable {
				up = humanDuration(w.UpSeconds)
			}
			worst = catalogListCell{Text: up, Href: "/whatif?fail=" + url.QueryEscape(*w.Cause), Tip: "when " + *w.Cause + " fails"}
			switch {
			case w.Meets == nil:
				worst.Text += " · no target"
			case *w.Meets:
				worst.Text += " · meets"
				worst.Class = "ok"
			default:
				worst.Text += " · misses"
				worst.Class = "bad"
			}
		}
		var sites []string
		if s.Spec.RunsAt != nil {
			for _, n := range s.Spec.RunsAt.Sites {
				sites = append(sites, "site/"+n)
			}
		}
		var plans []string
		for _, p := range x.plans[s.Metadata.Name] {
			plans = append(plans, "plan/"+p)
		}
		nf := len(x.findings[ref])
		fc := catalogListCell{Text: strconv.Itoa(nf), Num: true}
		if nf > 0 {
			fc.Href = "/findings?object=" + url.QueryEscape(ref)
		}
		l.Rows = append(l.Rows, catalogListRow{Ref: ref, Cells: []catalogListCell{
			{Ref: ref, Title: s.Metadata.Title},
			{IsTier: true, Tier: s.Spec.Tier},
			{Text: humanDuration(s.Spec.Targets.RTO), Num: true},
			{Text: humanDuration(s.Spec.Targets.RPO), Num: true},
			worst, {Refs: sites}, {Refs: plans}, fc,
		}})
	}
	return l.show(q)
}

// catalogSortServices orders the services list; ties keep the order by name. Services
// without the value sort last.
func catalogSortServices(rows []*model.Service, order string, x *catalogIndex) {
	const none = int64(1) << 62
	key := func(s *model.Service) int64 {
		switch order {
		case "tier":
			if s.Spec.Tier != nil {
				return int64(*s.Spec.Tier)
			}
		case "rto":
			if s.Spec.Targets.RTO != nil {
				return s.Spec.Targets.RTO.Seconds()
			}
		case "worst":
			if w := x.worst["service/"+s.Metadata.Name]; w != nil && w.Cause != nil {
				if !w.Recoverable {
					return -none
				}
				return -*w.UpSeconds
			}
		case "findings":
			return -int64(len(x.findings["service/"+s.Metadata.Name]))
		}
		return none
	}
	keys := make(map[*model.Service]int64, len(rows))
	for _, s := range rows {
		keys[s] = key(s)
	}
	sort.SliceStable(rows, func(i, j int) bool { return keys[rows[i]] < keys[rows[j]] })
}

func (c *catalogPages) siteList(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	l := catalogNewListPage("site", "Sites", "/sites")
	l.Intro = "Data centres, cloud regions and offices, with what runs there and how long their loss takes."
	match := l.search(q)
	types := map[string]bool{}
	for _, s := range m.Sites {
		if s.Spec.Type != "" {
			types[s.Spec.Type] = true
		}
	}
	typ, err := l.filterAny(q, "type", "Type", catalogOptions(sortedKeys(types)...))
	if err != nil {
		return err
	}
	prov, err := l.filter(q, "provider", "Provider", catalogNameOptions(m.Providers))
	if err != nil {
		return err
	}
	var rows []*model.Site
	for _, s := range m.Sites {
		if !catalogMetaMatch(match, &s.Metadata) && !match(s.Spec.Location) || typ != "" && s.Spec.Type != typ ||
			prov != "" && !slices.Contains(s.Spec.Providers, prov) {
			continue
		}
		rows = append(rows, s)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Metadata.Name < rows[j].Metadata.Name })
	from, to, err := l.paginate(q, len(rows))
	if err != nil {
		return err
	}
	l.Columns = []catalogListColumn{{Label: "Site"}, {Label: "Type"}, {Label: "Location"}, {Label: "Providers"},
		{Label: "Services", Num: true}, {Label: "Recovery", Num: true}}
	for _, s := range rows[from:to] {
		ref := "site/" + s.Metadata.Name
		var rec *model.Duration
		if s.Spec.Recovery != nil {
			rec = s.Spec.Recovery.Time
		}
		l.Rows = append(l.Rows, catalogListRow{Ref: ref, Cells: []catalogListCell{
			{Ref: ref, Title: s.Metadata.Title}, {Text: s.Spec.Type}, {Text: s.Spec.Location},
			{Refs: catalogPrefixed("provider", s.Spec.Providers)},
			{Text: strconv.Itoa(len(x.atSite[s.Metadata.Name])), Num: true, Href: "/services?site=" + url.QueryEscape(s.Metadata.Name)},
			{Text: humanDuration(rec), Num: true},
		}})
	}
	return l.show(q)
}

func catalogPrefixed(kind string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = kind + "/" + n
	}
	return out
}

func (c *catalogPages) providerList(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	l := catalogNewListPage("provider", "Providers", "/providers")
	l.Intro = "External ICT providers, how critical they are and when their contracts end."
	match := l.search(q)
	crit, err := l.filter(q, "criticality", "Criticality", catalogOptions(model.Criticalities...))
	if err != nil {
		return err
	}
	expiry, err := l.filter(q, "expires", "Contract expires", []catalogListOption{{"90d", "within 90 days"}, {"1y", "within a year"}, {"none", "no expiry date"}})
	if err != nil {
		return err
	}
	now := q.s.now()
	var rows []*model.Provider
	for _, p := range m.Providers {
		if !catalogMetaMatch(match, &p.Metadata) || crit != "" && p.Spec.Criticality != crit {
			continue
		}
		var exp *model.Date
		if p.Spec.Contract != nil {
			exp = p.Spec.Contract.Expires
		}
		switch expiry {
		case "none":
			if exp != nil {
				continue
			}
		case "90d", "1y":
			limit := now.AddDate(0, 0, 90)
			if expiry == "1y" {
				limit = now.AddDate(1, 0, 0)
			}
			if exp == nil || exp.After(limit) {
				continue
			}
		}
		rows = append(rows, p)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Metadata.Name < rows[j].Metadata.Name })
	from, to, err := l.paginate(q, len(rows))
	if err != nil {
		return err
	}
	l.Columns = []catalogListColumn{{Label: "Provider"}, {Label: "Type"}, {Label: "Criticality"}, {Label: "Contract expires"},
		{Label: "Sites"}, {Label: "Services", Num: true}}
	for _, p := range rows[from:to] {
		ref := "provider/" + p.Metadata.Name
		exp := catalogListCell{Text: "—", Class: "muted"}
		if p.Spec.Contract != nil && p.Spec.Contract.Expires != nil {
			e := p.Spec.Contract.Expires
			exp = catalogListCell{Text: e.Format("2006-01-02")}
			if e.Before(now) {
				exp.Class, exp.Text = "bad", exp.Text+" (expired)"
			} else if e.Before(now.AddDate(0, 0, 90)) {
				exp.Class = "warn"
			}
		}
		critCell := catalogListCell{Text: p.Spec.Criticality}
		if p.Spec.Criticality == "critical" || p.Spec.Criticality == "high" {
			critCell.Class = "warn"
		}
		l.Rows = append(l.Rows, catalogListRow{Ref: ref, Cells: []catalogListCell{
			{Ref: ref, Title: p.Metadata.Title}, {Text: p.Spec.Type}, critCell, exp,
			{Refs: catalogPrefixed("site", x.provSite[p.Metadata.Name])},
			{Text: strconv.Itoa(len(x.provSvc[p.Metadata.Name])), Num: true, Href: "/services?provider=" + url.QueryEscape(p.Metadata.Name)},
		}})
	}
	return l.show(q)
}

func (c *catalogPages) personList(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	l := catalogNewListPage("person", "People", "/people")
	l.Intro = "Everyone who acts or is told in an incident, with how to reach them and who stands in."
	match := l.search(q)
	team, err := l.filter(q, "team", "Team", catalogNameOptions(m.Teams))
	if err != nil {
		return err
	}
	reach, err := l.filter(q, "reach", "Reachable", []catalogListOption{{"phone", "by phone"}, {"no-phone", "not by phone"}, {"none", "no way at all"}})
	if err != nil {
		return err
	}
	var rows []*model.Person
	for _, p := range m.People {
		if !catalogMetaMatch(match, &p.Metadata) && !match(p.Spec.DisplayName, p.Spec.Email) ||
			team != "" && !slices.Contains(x.teamsOf[p.Metadata.Name], team) ||
			reach == "phone" && p.Spec.Phone == "" || reach == "no-phone" && p.Spec.Phone != "" || reach == "none" && p.Channels() > 0 {
			continue
		}
		rows = append(rows, p)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Metadata.Name < rows[j].Metadata.Name })
	from, to, err := l.paginate(q, len(rows))
	if err != nil {
		return err
	}
	l.Columns = []catalogListColumn{{Label: "Person"}, {Label: "Phone"}, {Label: "Email"}, {Label: "Deputy"}, {Label: "Teams"}, {Label: "Plan roles", Num: true}}
	for _, p := range rows[from:to] {
		ref := "person/" + p.Metadata.Name
		phone := catalogListCell{Tel: p.Spec.Phone}
		if p.Spec.Phone == "" {
			phone = catalogListCell{Text: "no phone", Class: "warn"}
		}
		var dep []string
		if p.Spec.Deputy != "" {
			dep = []string{"person/" + p.Spec.Deputy}
		}
		l.Rows = append(l.Rows, catalogListRow{Ref: ref, Cells: []catalogListCell{
			// The ref reads as the display name; the name under it is what the model uses.
			{Ref: ref, Title: p.Metadata.Name}, phone, {Mail: p.Spec.Email},
			{Refs: dep}, {Refs: catalogPrefixed("team", x.teamsOf[p.Metadata.Name])},
			{Text: strconv.Itoa(len(x.roles[p.Metadata.Name])), Num: true},
		}})
	}
	return l.show(q)
}

func catalogFirstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func (c *catalogPages) teamList(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	l := catalogNewListPage("team", "Teams", "/teams")
	l.Intro = "Teams in call order, how fast a member must acknowledge, and the plans they act in."
	match := l.search(q)
	member, err := l.filter(q, "member", "Member", catalogNameOptions(m.People))
	if err != nil {
		return err
	}
	var rows []*model.Team
	for _, t := range m.Teams {
		if !catalogMetaMatch(match, &t.Metadata) || member != "" && !slices.Contains(t.Spec.Members, member) {
			continue
		}
		rows = append(rows, t)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Metadata.Name < rows[j].Metadata.Name })
	from, to, err := l.paginate(q, len(rows))
	if err != nil {
		return err
	}
	l.Columns = []catalogListColumn{{Label: "Team"}, {Label: "Members", Num: true}, {Label: "Acknowledge within", Num: true}, {Label: "Plans"}, {Label: "Services owned", Num: true}}
	for _, t := range rows[from:to] {
		ref := "team/" + t.Metadata.Name
		ack := "—"
		if t.Spec.Escalation != nil {
			ack = humanDuration(t.Spec.Escalation.AckWithin)
		}
		l.Rows = append(l.Rows, catalogListRow{Ref: ref, Cells: []catalogListCell{
			{Ref: ref, Title: t.Metadata.Title}, {Text: strconv.Itoa(len(t.Spec.Members)), Num: true}, {Text: ack, Num: true},
			{Refs: catalogPrefixed("plan", x.teamPlans[t.Metadata.Name])},
			{Text: strconv.Itoa(len(x.owned[t.Metadata.Name])), Num: true, Href: "/services?owner=" + url.QueryEscape(t.Metadata.Name)},
		}})
	}
	return l.show(q)
}

func (c *catalogPages) scenarioList(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	l := catalogNewListPage("scenario", "Scenarios", "/scenarios")
	l.Intro = "The disruptions the organisation plans and exercises for."
	match := l.search(q)
	var rows []*model.Scenario
	for _, s := range m.Scenarios {
		if !catalogMetaMatch(match, &s.Metadata) && !match(s.Spec.Description) {
			continue
		}
		rows = append(rows, s)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Metadata.Name < rows[j].Metadata.Name })
	from, to, err := l.paginate(q, len(rows))
	if err != nil {
		return err
	}
	l.Columns = []catalogListColumn{{Label: "Scenario"}, {Label: "Fails"}, {Label: "Duration", Num: true}, {Label: "Frequency per year", Num: true}, {Label: "What-if"}}
	for _, s := range rows[from:to] {
		ref := "scenario/" + s.Metadata.Name
		fails := append(append(catalogPrefixed("site", s.Spec.Fails.Sites), catalogPrefixed("provider", s.Spec.Fails.Providers)...), catalogPrefixed("service", s.Spec.Fails.Services)...)
		freq := "—"
		if s.Spec.Frequency > 0 {
			freq = strconv.FormatFloat(s.Spec.Frequency, 'g', 3, 64)
		}
		l.Rows = append(l.Rows, catalogListRow{Ref: ref, Cells: []catalogListCell{
			{Ref: ref, Title: s.Metadata.Title}, {Refs: fails}, {Text: humanDuration(s.Spec.Duration), Num: true},
			{Text: freq, Num: true}, {Text: "Run what-if", Href: "/whatif?scenario=" + url.QueryEscape(s.Metadata.Name)},
		}})
	}
	return l.show(q)
}

// --- Object pages ---

// catalogRefList is a list of references an object page shows, cut short on a large estate.
type catalogRefList struct {
	Refs  []string
	Total int
	All   string // the list page with every one
}

// catalogRefMax is how many references an object page lists before it links to the rest.
const catalogRefMax = 100

func catalogCap(refs []string, all string) catalogRefList {
	return catalogRefList{Refs: refs[:min(len(refs), catalogRefMax)], Total: len(refs), All: all}
}

// catalogObjectHeader is what every object page shows about the object's origin.
type catalogObjectHeader struct {
	Ref, Kind, Name, Title, Description, Owner string
	Source                                     string // "" = edited in Perdura
	Revision                                   int64
	Findings                                   []lint.Finding
	EditURL, HistoryURL                        string
}

func (x *catalogIndex) header(o model.Object) catalogObjectHeader {
	ref := model.Ref(o)
	src, rev := x.source(ref)
	h := catalogObjectHeader{Ref: ref, Kind: o.Kind().RefPrefix(), Name: o.Meta().Name, Title: o.Meta().Title,
		Description: o.Meta().Description, Owner: o.Meta().Owner, Source: src, Revision: rev,
		Findings: x.findings[ref], HistoryURL: refURL(ref) + "/history"}
	if p, ok := o.(*model.Person); ok && h.Title == "" {
		h.Title = p.Spec.DisplayName
	}
	if src == "" {
		h.EditURL = refURL(ref) + "/edit"
	}
	return h
}

// OwnerRef is the owner as a reference: a team or a person of the model.
func (h catalogObjectHeader) OwnerRef(m *model.Model) string {
	if h.Owner == "" {
		return ""
	}
	if m.Team(h.Owner) != nil {
		return "team/" + h.Owner
	}
	if m.Person(h.Owner) != nil {
		return "person/" + h.Owner
	}
	return ""
}

// catalogImpactView is a failure's impact as the object pages summarise it.
type catalogImpactView struct {
	WhatIf                 string
	Services, Functions    []analysis.ObjectImpact
	Down, Degraded, Misses int
	More                   int // services left out of the list
	FunctionsDown          int
	Unrecoverable          int
}

const catalogImpactListMax = 50

// catalogImpactOf runs a failure and keeps what the page shows: the failed object itself is left
// out of the list when self is set.
func catalogImpactOf(g *analysis.Graph, f analysis.Failure, whatif, self string) (*catalogImpactView, error) {
	im, err := g.Impact(f)
	if err != nil {
		return nil, err
	}
	v := &catalogImpactView{WhatIf: whatif, Functions: im.Functions}
	// The worst first: down before degraded, missed targets, then the longest outage.
	svcs := slices.Clone(im.Services)
	sort.SliceStable(svcs, func(i, j int) bool { return catalogImpactRank(svcs[i]) > catalogImpactRank(svcs[j]) })
	for _, o := range svcs {
		if "service/"+o.Name == self {
			continue
		}
		if o.State == "down" {
			v.Down++
		} else {
			v.Degraded++
		}
		if o.Meets != nil && !*o.Meets {
			v.Misses++
		}
		if !o.Recoverable {
			v.Unrecoverable++
		}
		if len(v.Services) < catalogImpactListMax {
			v.Services = append(v.Services, o)
		} else {
			v.More++
		}
	}
	for _, o := range im.Functions {
		if o.State == "down" {
			v.FunctionsDown++
		}
	}
	return v, nil
}

// catalogImpactRank orders impacted objects by how bad they are.
func catalogImpactRank(o analysis.ObjectImpact) int64 {
	var r int64
	if o.State == "down" {
		r += 1 << 50
	}
	if o.Meets != nil && !*o.Meets {
		r += 1 << 49
	}
	switch {
	case !o.Recoverable && o.State == "down":
		r += 1 << 48
	case o.UpSeconds != nil:
		r += min(*o.UpSeconds, 1<<47)
	}
	return r
}

// catalogDepView is one entry of what a service needs: a service or a redundancy group.
type catalogDepView struct {
	Ref      string
	Soft     bool
	Group    string // "any of", "at least 2 of"
	Failover model.Duration
	Members  []catalogDepView
}

func catalogDepViews(ds []model.Dependency) []catalogDepView {
	out := make([]catalogDepView, 0, len(ds))
	for i := range ds {
		d := &ds[i]
		v := catalogDepView{Soft: d.Soft(), Failover: d.Failover}
		if d.IsGroup() {
			if d.AnyOf != nil {
				v.Group = "any of"
			} else {
				v.Group = fmt.Sprintf("at least %d of", d.AtLeast)
			}
			v.Members = catalogDepViews(d.Members())
		} else {
			v.Ref = "service/" + d.Service
		}
		out = append(out, v)
	}
	return out
}

type catalogServicePage struct {
	catalogObjectHeader
	S                *model.Service
	OwnerLink        string
	Inherited        *analysis.InheritedTarget
	InheritedTighter bool
	AchRPO           model.Duration
	AchRPOSource     string
	AchRPOOK         bool
	RPOMeets         *bool
	Needs            []catalogDepView
	SPOFs            []string
	NeededBy         catalogRefList
	Functions        []string
	Plans            []string
	Impact           *catalogImpactView
	Worst            *analysis.Worst
}

func (c *catalogPages) catalogServicePage(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	name := q.r.PathValue("name")
	s := m.Service(name)
	if s == nil {
		return pageNotFound("service %q", name)
	}
	ref := "service/" + name
	p := &catalogServicePage{catalogObjectHeader: x.header(s), S: s, Needs: catalogDepViews(s.Spec.DependsOn), Worst: x.worst[ref],
		NeededBy: catalogCap(x.dependents[name], "/services?needs="+url.QueryEscape(name)), Functions: catalogPrefixed("function", x.functions[name]), Plans: catalogPrefixed("plan", x.plans[name])}
	p.OwnerLink = p.OwnerRef(m)
	if it := x.inherited[ref]; it != nil {
		p.Inherited = it
		p.InheritedTighter = it.Stated != nil && *it.Stated > it.Seconds
	}
	p.AchRPO, p.AchRPOSource, p.AchRPOOK = analysis.AchievableRPO(s)
	if p.AchRPOOK && s.Spec.Targets.RPO != nil {
		ok := p.AchRPO <= *s.Spec.Targets.RPO
		p.RPOMeets = &ok
	}
	p.SPOFs = x.snap.Graph.SPOFs(ref)
	p.Impact, err = catalogImpactOf(x.snap.Graph, analysis.Failure{Services: []string{name}}, "/whatif?fail="+url.QueryEscape(ref), ref)
	if err != nil {
		return err
	}
	return q.render(http.StatusOK, "catalog-service", catalogFirstNonEmpty(s.Metadata.Title, name), "catalog", p)
}

type catalogSitePage struct {
	catalogObjectHeader
	S         *model.Site
	Services  catalogRefList
	Impact    *catalogImpactView
	Scenarios []string
}

func (c *catalogPages) catalogSitePage(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	name := q.r.PathValue("name")
	s := m.Site(name)
	if s == nil {
		return pageNotFound("site %q", name)
	}
	ref := "site/" + name
	p := &catalogSitePage{catalogObjectHeader: x.header(s), S: s, Services: catalogCap(catalogPrefixed("service", x.atSite[name]), "/services?site="+url.QueryEscape(name)),
		Scenarios: catalogScenariosFailing(m, func(f model.Fails) bool { return slices.Contains(f.Sites, name) })}
	p.Impact, err = catalogImpactOf(x.snap.Graph, analysis.Failure{Sites: []string{name}}, "/whatif?fail="+url.QueryEscape(ref), "")
	if err != nil {
		return err
	}
	return q.render(http.StatusOK, "catalog-site", catalogFirstNonEmpty(s.Metadata.Title, name), "catalog", p)
}

func catalogScenariosFailing(m *model.Model, hit func(model.Fails) bool) []string {
	var out []string
	for _, sc := range m.Scenarios {
		if hit(sc.Spec.Fails) {
			out = append(out, "scenario/"+sc.Metadata.Name)
		}
	}
	return out
}

type catalogProviderPage struct {
	catalogObjectHeader
	P         *model.Provider
	Sites     []string
	Services  catalogRefList
	Impact    *catalogImpactView
	Scenarios []string
	Expired   bool
}

func (c *catalogPages) catalogProviderPage(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	name := q.r.PathValue("name")
	pr := m.Provider(name)
	if pr == nil {
		return pageNotFound("provider %q", name)
	}
	ref := "provider/" + name
	p := &catalogProviderPage{catalogObjectHeader: x.header(pr), P: pr, Sites: catalogPrefixed("site", x.provSite[name]),
		Services:  catalogCap(catalogPrefixed("service", x.provSvc[name]), "/services?provider="+url.QueryEscape(name)),
		Scenarios: catalogScenariosFailing(m, func(f model.Fails) bool { return slices.Contains(f.Providers, name) })}
	if c := pr.Spec.Contract; c != nil && c.Expires != nil {
		p.Expired = c.Expires.Before(q.s.now())
	}
	p.Impact, err = catalogImpactOf(x.snap.Graph, analysis.Failure{Providers: []string{name}}, "/whatif?fail="+url.QueryEscape(ref), "")
	if err != nil {
		return err
	}
	return q.render(http.StatusOK, "catalog-provider", catalogFirstNonEmpty(pr.Metadata.Title, name), "catalog", p)
}

type catalogPersonPage struct {
	catalogObjectHeader
	P         *model.Person
	Deputy    *model.Person
	DeputyFor []string
	Teams     []string
	Roles     []catalogPersonRole
	Owned     catalogRefList
}

func (c *catalogPages) catalogPersonPage(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	name := q.r.PathValue("name")
	pe := m.Person(name)
	if pe == nil {
		return pageNotFound("person %q", name)
	}
	p := &catalogPersonPage{catalogObjectHeader: x.header(pe), P: pe, DeputyFor: catalogPrefixed("person", x.deputyFor[name]),
		Teams: catalogPrefixed("team", x.teamsOf[name]), Roles: x.roles[name], Owned: catalogCap(catalogPrefixed("service", x.owned[name]), "/services?owner="+url.QueryEscape(name))}
	if pe.Spec.Deputy != "" {
		p.Deputy = m.Person(pe.Spec.Deputy)
	}
	return q.render(http.StatusOK, "catalog-person", catalogFirstNonEmpty(pe.Spec.DisplayName, name), "catalog", p)
}

type catalogTeamPage struct {
	catalogObjectHeader
	T       *model.Team
	Members []*model.Person
	Plans   []string
	Owned   catalogRefList
}

func (c *catalogPages) catalogTeamPage(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	name := q.r.PathValue("name")
	t := m.Team(name)
	if t == nil {
		return pageNotFound("team %q", name)
	}
	p := &catalogTeamPage{catalogObjectHeader: x.header(t), T: t, Plans: catalogPrefixed("plan", x.teamPlans[name]), Owned: catalogCap(catalogPrefixed("service", x.owned[name]), "/services?owner="+url.QueryEscape(name))}
	for _, n := range t.Spec.Members {
		if pe := m.Person(n); pe != nil {
			p.Members = append(p.Members, pe)
		}
	}
	return q.render(http.StatusOK, "catalog-team", catalogFirstNonEmpty(t.Metadata.Title, name), "catalog", p)
}

type catalogScenarioPage struct {
	catalogObjectHeader
	S      *model.Scenario
	Fails  []string
	Impact *catalogImpactView
	Plans  []string
}

func (c *catalogPages) catalogScenarioPage(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	m, err := x.model()
	if err != nil {
		return err
	}
	name := q.r.PathValue("name")
	sc := m.Scenario(name)
	if sc == nil {
		return pageNotFound("scenario %q", name)
	}
	p := &catalogScenarioPage{catalogObjectHeader: x.header(sc), S: sc,
		Fails: append(append(catalogPrefixed("site", sc.Spec.Fails.Sites), catalogPrefixed("provider", sc.Spec.Fails.Providers)...), catalogPrefixed("service", sc.Spec.Fails.Services)...)}
	for _, pl := range m.Plans {
		if slices.Contains(pl.Spec.Scenarios, name) {
			p.Plans = append(p.Plans, "plan/"+pl.Metadata.Name)
		}
	}
	p.Impact, err = catalogImpactOf(x.snap.Graph, analysis.ScenarioFailure(sc), "/whatif?scenario="+url.QueryEscape(name), "")
	if err != nil {
		return err
	}
	return q.render(http.StatusOK, "catalog-scenario", catalogFirstNonEmpty(sc.Metadata.Title, name), "catalog", p)
}

// --- History ---

type catalogHistoryPage struct {
	Ref, Kind, Name string
	Revisions       []catalog.Revision // newest first
	From, To        int64
	Lines           []string // the unified diff, one line each
	First           []string // the document of the only revision, as YAML
	Deleted         bool
}

func (c *catalogPages) catalogHistoryPage(q *request, k model.Kind) error {
	name := q.r.PathValue("name")
	revs, err := q.s.deps.Catalog.Revisions(q.ctx(), k, name)
	if err != nil {
		return err
	}
	if len(revs) == 0 {
		return pageNotFound("%s %q", strings.ToLower(string(k.RefPrefix())), name)
	}
	p := &catalogHistoryPage{Ref: k.RefPrefix() + "/" + name, Kind: k.RefPrefix(), Name: name, Deleted: revs[len(revs)-1].Deleted}
	known := map[int64]bool{}
	for i := len(revs) - 1; i >= 0; i-- {
		p.Revisions = append(p.Revisions, revs[i])
		known[revs[i].Revision] = true
	}
	parse := func(key string, def int64) (int64, error) {
		v := q.r.URL.Query().Get(key)
		if v == "" {
			return def, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || !known[n] {
			return 0, badRequest{fmt.Sprintf("?%s= must be one of the revisions of %s (%d to %d), not %q.",
				key, p.Ref, revs[0].Revision, revs[len(revs)-1].Revision, v)}
		}
		return n, nil
	}
	last := revs[len(revs)-1].Revision
	prev := last
	if len(revs) > 1 {
		prev = revs[len(revs)-2].Revision
	}
	if p.To, err = parse("to", last); err != nil {
		return err
	}
	if p.From, err = parse("from", prev); err != nil {
		return err
	}
	if p.From > p.To {
		return badRequest{fmt.Sprintf("?from= (%d) must be an earlier revision than ?to= (%d).", p.From, p.To)}
	}
	if p.From == p.To {
		for _, r := range revs {
			if r.Revision == p.To && r.Document != nil {
				p.First = catalogDocumentYAML(r.Document)
			}
		}
	} else {
		d, err := q.s.deps.Catalog.Diff(q.ctx(), k, name, p.From, p.To)
		if err != nil {
			return err
		}
		p.Lines = strings.Split(strings.TrimRight(d, "\n"), "\n")
		if d == "" {
			p.Lines = nil
		}
	}
	return q.render(http.StatusOK, "catalog-history", "History of "+p.Ref, "catalog", p)
}

// catalogDocumentYAML renders a stored JSON document as YAML lines.
func catalogDocumentYAML(doc []byte) []string {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return []string{string(doc)}
	}
	for _, c := range n.Content {
		catalogStyleBlock(c)
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return []string{string(doc)}
	}
	return strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
}

// catalogStyleBlock turns JSON's flow style into YAML's block style.
func catalogStyleBlock(n *yaml.Node) {
	n.Style &^= yaml.FlowStyle
	if n.Kind == yaml.ScalarNode && n.Style&yaml.DoubleQuotedStyle != 0 && n.Tag == "!!str" {
		n.Style = 0
	}
	for _, c := range n.Content {
		catalogStyleBlock(c)
	}
}

// --- Findings ---

type catalogFindingsPage struct {
	Filters        []catalogListFilter
	Counts         []catalogSeverityCount
	Findings       []lint.Finding
	Object         string
	Total, All     int
	From, To, Page int
	Pages          int
	Prev, Next     string
	Filtered       bool
}

type catalogSeverityCount struct {
	Severity string
	N        int
	Href     string
}

func (c *catalogPages) catalogFindingsPage(q *request) error {
	x, err := c.index(q)
	if err != nil {
		return err
	}
	l := &catalogListPage{Path: "/findings"}
	sev, err := l.filter(q, "severity", "Severity", catalogOptions(string(lint.Error), string(lint.Warning), string(lint.Info)))
	if err != nil {
		return err
	}
	rules := map[string]bool{}
	for _, f := range x.snap.Findings {
		rules[f.Rule] = true
	}
	rule, err := l.filterAny(q, "rule", "Rule", catalogOptions(sortedKeys(rules)...))
	if err != nil {
		return err
	}
	var allKinds []string
	for _, k := range model.Kinds {
		allKinds = append(allKinds, k.RefPrefix())
	}
	kind, err := l.filter(q, "kind", "Kind", catalogOptions(allKinds...))
	if err != nil {
		return err
	}
	p := &catalogFindingsPage{Object: strings.TrimSpace(q.r.URL.Query().Get("object")), All: len(x.snap.Findings)}
	counts := map[string]int{}
	var rows []lint.Finding
	for _, f := range x.snap.Findings {
		if rule != "" && f.Rule != rule || kind != "" && !strings.HasPrefix(f.Object, kind+"/") || p.Object != "" && f.Object != p.Object {
			continue
		}
		counts[string(f.Severity)]++
		if sev != "" && string(f.Severity) != sev {
			continue
		}
		rows = append(rows, f)
	}
	rank := map[lint.Severity]int{lint.Error: 0, lint.Warning: 1, lint.Info: 2}
	sort.SliceStable(rows, func(i, j int) bool { return rank[rows[i].Severity] < rank[rows[j].Severity] })
	for _, s := range []lint.Severity{lint.Error, lint.Warning, lint.Info} {
		v := q.r.URL.Query()
		v.Del("page")
		v.Set("severity", string(s))
		p.Counts = append(p.Counts, catalogSeverityCount{Severity: string(s), N: counts[string(s)], Href: "/findings?" + v.Encode()})
	}
	from, to, err := l.paginate(q, len(rows))
	if err != nil {
		return err
	}
	p.Filters, p.Findings, p.Filtered = l.Filters, rows[from:to], l.Filtered || p.Object != ""
	p.Total, p.From, p.To, p.Page, p.Pages, p.Prev, p.Next = l.Total, l.From, l.To, l.Page, l.Pages, l.Prev, l.Next
	return q.render(http.StatusOK, "catalog-findings", "Findings", "findings", p)
}
