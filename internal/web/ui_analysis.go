package web

import (
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/model"
)

// analysisArea is the what-if page: choose what fails, see what goes down, when each is back
// against its target, and why. (The business impact analysis pages are in ui_bia.go.)
func (s *server) analysisArea() area {
	return area{
		pages: []page{
			{method: http.MethodGet, path: "/whatif", perm: auth.PermRead, sample: "/whatif?fail=site/dc-frankfurt", handle: s.whatIf},
			{method: http.MethodGet, path: "/whatif/services", perm: auth.PermRead, sample: "/whatif/services?fail=pay", handle: s.whatIfServices},
		},
		funcs: template.FuncMap{
			// whatifNum writes a count with thousands separators: 10,000.
			"whatifNum": func(n int) string { return money(float64(n)) },
		},
	}
}

// What-if limits: what one page shows of a very large failure. The full lists are one click
// away (?all=1, ?paths=all); the chart stays readable at a few dozen bars.
const (
	whatIfRowCap     = 500  // impacted services shown before "show all"
	whatIfPathCap    = 100  // critical paths of misses shown before "show all"
	whatIfChartBars  = 40   // bars in the timeline chart: the longest outages
	whatIfInlineList = 1000 // services whose names come with the page; above, the search fetches them
	whatIfMaxFails   = 500  // failed objects one request may name
	whatIfSuggest    = 30   // service names one search answers
)

// whatIfPage is the data of the what-if page: the form and, once something is chosen, its
// results.
type whatIfPage struct {
	Sites     []whatIfChoice
	Providers []whatIfChoice
	// Chosen are the services picked so far, shown as ticked boxes.
	Chosen []whatIfChoice
	// ServiceNames fill the search list when the estate is small enough to send them all;
	// otherwise the list is filled as the user types (/whatif/services).
	ServiceNames []string
	Lazy         bool
	Services     float64 // how many, for the search box's hint
	Scenarios    []whatIfScenario
	Scenario     string
	For          string
	// Errors are the problems with the query: names the model does not have, a bad duration.
	Errors  []string
	Results *whatIfResults
}

// whatIfChoice is one checkbox of the form.
type whatIfChoice struct {
	Ref, Name, Title string
	Checked          bool
}

// whatIfScenario is a scenario as the form describes it.
type whatIfScenario struct {
	Name, Title, Description, Duration string
	Fails                              []string
}

// whatIfResults is what the failure does.
type whatIfResults struct {
	Failed   []string
	Scenario *whatIfScenario
	For      string
	// HoldsSites: a site or provider fails, which a scenario's duration or For keeps down.
	HoldsSites bool
	// ShareURL is this what-if's short URL; AllRowsURL and AllPathsURL lift the caps.
	ShareURL, AllRowsURL, AllPathsURL string
	MapURL                            string

	Down, Degraded                int
	FunctionsHit, FunctionsMissed int
	ServicesMissed                int
	// Latest is when everything is back, in seconds; Unrecoverable counts what is not back
	// within the analysis horizon (the latest is then "not within the horizon").
	Latest        int64
	Unrecoverable int

	Functions  []analysis.ObjectImpact
	Rows       []whatIfRow
	RowsTotal  int
	RowsCapped bool

	Chart       whatIfChart
	ChartLabel  string
	ChartCapped bool
	ChartHeight int

	Misses       []whatIfMiss
	MissesTotal  int
	MissesCapped bool
	// All lifts the cap on the table (?all=1), AllPaths the one on the critical paths
	// (?paths=all): each is a long page on a large estate, so they go separately.
	All, AllPaths bool
}

// whatIfRow is one impacted service.
type whatIfRow struct {
	analysis.ObjectImpact
	Ref  string
	Tier *int
}

// whatIfMiss is one object that misses its target, with the chain that makes it miss.
type whatIfMiss struct {
	Ref      string
	Function bool
	Up       *int64
	Target   *int64
	Path     []string
}

// whatIfChart is the timeline chart's data, read by static/js/whatif.js. Times are seconds.
type whatIfChart struct {
	Labels []string `json:"labels"`
	Up     []int64  `json:"up"`     // when each is back; for an unrecoverable one, Horizon
	RTO    []*int64 `json:"rto"`    // its RTO, null when it has none
	Status []string `json:"status"` // meets, misses, none (no target), never (not back)
	// Horizon is where the axis ends: a little past the latest up time or RTO drawn.
	Horizon int64 `json:"horizon"`
}

// whatIf is GET /whatif: the form, and with ?fail=... or ?scenario=... what that failure
// takes down. htmx asks for the results alone (hx-get on the form); a history restore or a
// plain GET gets the whole page, so the URL can be bookmarked and shared.
func (s *server) whatIf(q *request) error {
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	if snap.Model == nil || snap.Graph == nil {
		return badRequest{"The stored model does not load, so there is nothing to analyse: see the findings."}
	}
	m := snap.Model
	qs := q.r.URL.Query()
	if clean, dropped := whatIfClean(qs); dropped && !q.htmx() {
		// A plain form submit sends its empty fields too; answer with the short URL, the
		// one worth bookmarking and sending.
		to := "/whatif"
		if clean != "" {
			to += "?" + clean
		}
		http.Redirect(q.w, q.r, to, http.StatusSeeOther)
		return nil
	}
	pg := whatIfForm(m, qs)
	f, chosen, errs := whatIfFailure(m, qs)
	pg.Errors = errs
	status := http.StatusOK
	if len(errs) > 0 {
		status = http.StatusBadRequest
	} else if chosen {
		im, err := snap.Graph.Impact(f)
		if err != nil {
			return err
		}
		pg.Results = whatIfResultsOf(m, im, qs)
	}
	if q.htmx() && q.r.Header.Get("HX-History-Restore-Request") == "" {
		q.w.WriteHeader(status)
		return q.fragment("whatif", "whatif-results", pg)
	}
	return q.render(status, "whatif", "What-if", "whatif", pg)
}

// whatIfClean is the query without its empty values; dropped says whether it had any.
func whatIfClean(qs url.Values) (string, bool) {
	clean := url.Values{}
	dropped := false
	for k, vs := range qs {
		for _, v := range vs {
			if strings.TrimSpace(v) == "" {
				dropped = true
				continue
			}
			clean.Add(k, v)
		}
	}
	return whatIfEncode(clean), dropped
}

// whatIfEncode writes a query with its slashes as they are (fail=site/dc-frankfurt), which
// is valid in a query and reads better in a URL someone sends.
func whatIfEncode(v url.Values) string { return strings.ReplaceAll(v.Encode(), "%2F", "/") }

// whatIfForm fills the form from the model and the query.
func whatIfForm(m *model.Model, qs url.Values) *whatIfPage {
	picked := map[string]bool{}
	for _, v := range qs["fail"] {
		picked[whatIfRef(v)] = true
	}
	pg := &whatIfPage{Scenario: qs.Get("scenario"), For: qs.Get("for"), Services: float64(len(m.Services))}
	for _, st := range m.Sites {
		ref := "site/" + st.Metadata.Name
		c := whatIfChoice{Ref: ref, Name: st.Metadata.Name, Title: st.Metadata.Title, Checked: picked[ref]}
		pg.Sites = append(pg.Sites, c)
	}
	for _, p := range m.Providers {
		ref := "provider/" + p.Metadata.Name
		pg.Providers = append(pg.Providers, whatIfChoice{Ref: ref, Name: p.Metadata.Name, Title: p.Metadata.Title, Checked: picked[ref]})
	}
	seen := map[string]bool{}
	for _, v := range qs["fail"] {
		ref := whatIfRef(v)
		if !strings.HasPrefix(ref, "service/") || seen[ref] {
			continue
		}
		seen[ref] = true
		name := strings.TrimPrefix(ref, "service/")
		if sv := m.Service(name); sv != nil {
			pg.Chosen = append(pg.Chosen, whatIfChoice{Ref: ref, Name: name, Title: sv.Metadata.Title, Checked: true})
		}
	}
	if len(m.Services) <= whatIfInlineList {
		for _, sv := range m.Services {
			pg.ServiceNames = append(pg.ServiceNames, sv.Metadata.Name)
		}
	} else {
		pg.Lazy = true
	}
	for _, sc := range m.Scenarios {
		pg.Scenarios = append(pg.Scenarios, whatIfScenarioOf(sc))
	}
	return pg
}

func whatIfScenarioOf(sc *model.Scenario) whatIfScenario {
	w := whatIfScenario{Name: sc.Metadata.Name, Title: sc.Metadata.Title, Description: sc.Spec.Description}
	if sc.Spec.Duration != nil {
		w.Duration = humanDuration(*sc.Spec.Duration)
	}
	for _, n := range sc.Spec.Fails.Sites {
		w.Fails = append(w.Fails, "site/"+n)
	}
	for _, n := range sc.Spec.Fails.Providers {
		w.Fails = append(w.Fails, "provider/"+n)
	}
	for _, n := range sc.Spec.Fails.Services {
		w.Fails = append(w.Fails, "service/"+n)
	}
	return w
}

// whatIfRef reads one fail value: kind/name, or a bare name, which is a service's (what
// the service search box sends when the user types a name without picking it).
func whatIfRef(v string) string {
	v = strings.TrimSpace(v)
	if v != "" && !strings.Contains(v, "/") {
		return "service/" + v
	}
	return v
}

// whatIfFailure builds the failure set of the query, checking every name against the
// model; chosen is false when the query names nothing (the bare form). errs says what is
// wrong, one message per bad value, with the nearest name the model has.
func whatIfFailure(m *model.Model, qs url.Values) (f analysis.Failure, chosen bool, errs []string) {
	if sc := qs.Get("scenario"); sc != "" {
		chosen = true
		if s := m.Scenario(sc); s != nil {
			f = analysis.ScenarioFailure(s)
		} else {
			errs = append(errs, fmt.Sprintf("There is no scenario named %q%s", sc, whatIfSuggestion(m, model.KindScenario, sc)))
		}
	}
	fails := qs["fail"]
	if len(fails) > whatIfMaxFails {
		return f, true, []string{fmt.Sprintf("Choose at most %d things to fail at once (the query names %d).", whatIfMaxFails, len(fails))}
	}
	seen := map[string]bool{}
	for _, v := range fails {
		ref := whatIfRef(v)
		if ref == "" || seen[ref] {
			continue
		}
		seen[ref] = true
		chosen = true
		kind, name, _ := strings.Cut(ref, "/")
		if err := f.Add(ref); err != nil {
			errs = append(errs, fmt.Sprintf("%q cannot fail: %v. Choose a site/NAME, provider/NAME or service/NAME.", v, err))
			continue
		}
		k, _ := model.KindForPrefix(kind)
		if _, ok := m.Get(k, name); !ok {
			errs = append(errs, fmt.Sprintf("There is no %s named %q%s", kind, name, whatIfSuggestion(m, k, name)))
		}
	}
	if d := strings.TrimSpace(qs.Get("for")); d != "" {
		dur, err := model.ParseDuration(d)
		switch {
		case err != nil:
			errs = append(errs, fmt.Sprintf("“Down for” %q is not a duration: %v.", d, err))
		case dur <= 0:
			errs = append(errs, "“Down for” must be longer than 0: leave it empty for each site's and provider's own recovery time.")
		default:
			f.Duration = &dur
		}
	}
	return f, chosen, errs
}

// whatIfSuggestion ends a sentence about an unknown name: `; did you mean "x"?` when a name
// is close to one of its kind, a full stop otherwise.
func whatIfSuggestion(m *model.Model, k model.Kind, name string) string {
	var names []string
	switch k {
	case model.KindService:
		names = make([]string, 0, len(m.Services))
		for _, s := range m.Services {
			names = append(names, s.Metadata.Name)
		}
	default:
		for _, o := range m.Objects() {
			if o.Kind() == k {
				names = append(names, o.Meta().Name)
			}
		}
	}
	if s, ok := model.Nearest(name, names); ok {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return "."
}

// whatIfResultsOf arranges an impact for the page.
func whatIfResultsOf(m *model.Model, im *analysis.Impact, qs url.Values) *whatIfResults {
	r := &whatIfResults{Failed: im.Failed, For: qs.Get("for"), All: qs.Get("all") != "", AllPaths: qs.Get("paths") == "all"}
	if sc := m.Scenario(qs.Get("scenario")); sc != nil {
		w := whatIfScenarioOf(sc)
		r.Scenario = &w
	}
	share := url.Values{}
	for _, k := range []string{"scenario", "for"} {
		if v := qs.Get(k); v != "" {
			share.Set(k, v)
		}
	}
	for _, v := range qs["fail"] {
		if ref := whatIfRef(v); ref != "" {
			share.Add("fail", ref)
		}
	}
	query := whatIfEncode(share)
	r.ShareURL = "/whatif?" + query
	r.AllRowsURL = r.ShareURL + "&all=1#impacted"
	r.AllPathsURL = r.ShareURL + "&paths=all#whatif-misses"
	mapq := url.Values{}
	for _, ref := range im.Failed {
		mapq.Add("fail", ref)
		r.HoldsSites = r.HoldsSites || strings.HasPrefix(ref, "site/") || strings.HasPrefix(ref, "provider/")
	}
	r.MapURL = "/map?" + whatIfEncode(mapq)

	rows := make([]whatIfRow, 0, len(im.Services))
	for _, o := range im.Services {
		row := whatIfRow{ObjectImpact: o, Ref: "service/" + o.Name}
		if sv := m.Service(o.Name); sv != nil {
			row.Tier = sv.Spec.Tier
		}
		rows = append(rows, row)
		if o.State == "down" {
			r.Down++
		} else {
			r.Degraded++
		}
		if o.Meets != nil && !*o.Meets {
			r.ServicesMissed++
		}
		r.noteUp(o)
	}
	r.FunctionsHit = len(im.Functions)
	r.Functions = slices.Clone(im.Functions)
	slices.SortStableFunc(r.Functions, func(a, b analysis.ObjectImpact) int { return whatIfByUp(a, b, a.Name, b.Name) })
	for _, o := range im.Functions {
		if o.Meets != nil && !*o.Meets {
			r.FunctionsMissed++
		}
		r.noteUp(o)
	}
	slices.SortStableFunc(rows, func(a, b whatIfRow) int { return whatIfByUp(a.ObjectImpact, b.ObjectImpact, a.Name, b.Name) })
	r.RowsTotal = len(rows)
	r.Rows = rows
	if !r.All && len(rows) > whatIfRowCap {
		r.Rows, r.RowsCapped = rows[:whatIfRowCap], true
	}
	r.chart(rows)
	r.misses(rows)
	return r
}

// noteUp keeps the latest up time and counts what never comes back.
func (r *whatIfResults) noteUp(o analysis.ObjectImpact) {
	if !o.Recoverable || o.UpSeconds == nil {
		r.Unrecoverable++
		return
	}
	r.Latest = max(r.Latest, *o.UpSeconds)
}

// whatIfByUp orders impacts by up time, longest first (never back before all), then name.
func whatIfByUp(a, b analysis.ObjectImpact, an, bn string) int {
	ua, ub := whatIfUp(a), whatIfUp(b)
	if c := cmp.Compare(ub, ua); c != 0 {
		return c
	}
	return strings.Compare(an, bn)
}

func whatIfUp(o analysis.ObjectImpact) int64 {
	if !o.Recoverable || o.UpSeconds == nil {
		return 1<<62 - 1
	}
	return *o.UpSeconds
}

// chart takes the longest outages among the services that are down (a degraded service is
// up at once: it has no bar) for the timeline.
func (r *whatIfResults) chart(rows []whatIfRow) {
	c := whatIfChart{Labels: []string{}, Up: []int64{}, RTO: []*int64{}, Status: []string{}}
	var horizon int64
	down := 0
	for _, row := range rows {
		if row.State != "down" {
			continue
		}
		down++
		if len(c.Labels) == whatIfChartBars {
			continue
		}
		c.Labels = append(c.Labels, row.Name)
		c.RTO = append(c.RTO, row.TargetSeconds)
		if row.TargetSeconds != nil {
			horizon = max(horizon, *row.TargetSeconds)
		}
		switch {
		case !row.Recoverable || row.UpSeconds == nil:
			c.Up = append(c.Up, -1) // filled with the horizon below
			c.Status = append(c.Status, "never")
			continue
		case row.Meets == nil:
			c.Status = append(c.Status, "none")
		case *row.Meets:
			c.Status = append(c.Status, "meets")
		default:
			c.Status = append(c.Status, "misses")
		}
		c.Up = append(c.Up, *row.UpSeconds)
		horizon = max(horizon, *row.UpSeconds)
	}
	if horizon == 0 {
		horizon = 3600
	}
	c.Horizon = horizon + horizon/10
	for i, u := range c.Up {
		if u < 0 {
			c.Up[i] = c.Horizon
		}
	}
	r.Chart = c
	r.ChartCapped = down > len(c.Labels)
	r.ChartHeight = 60 + 26*len(c.Labels)
	missed := 0
	for _, s := range c.Status {
		if s == "misses" || s == "never" {
			missed++
		}
	}
	r.ChartLabel = fmt.Sprintf("Timeline of the %d longest outages: a bar per service from the failure to when it is back, and a mark at its RTO; %d of them miss their RTO or are not back. The impacted services table has the same data.", len(c.Labels), missed)
	if !r.ChartCapped {
		r.ChartLabel = fmt.Sprintf("Timeline of the %d services that go down: a bar per service from the failure to when it is back, and a mark at its RTO; %d of them miss their RTO or are not back. The impacted services table has the same data.", len(c.Labels), missed)
	}
}

// misses lists what misses its target with the critical path that sets its up time:
// functions first (their MTPD is what the business agreed to), then services, each
// longest outage first.
func (r *whatIfResults) misses(rows []whatIfRow) {
	var ms []whatIfMiss
	for _, o := range r.Functions {
		if o.Meets != nil && !*o.Meets {
			ms = append(ms, whatIfMiss{Ref: "function/" + o.Name, Function: true, Up: o.UpSeconds, Target: o.TargetSeconds, Path: o.CriticalPath})
		}
	}
	for _, row := range rows {
		if row.Meets != nil && !*row.Meets {
			ms = append(ms, whatIfMiss{Ref: row.Ref, Up: row.UpSeconds, Target: row.TargetSeconds, Path: row.CriticalPath})
		}
	}
	r.MissesTotal = len(ms)
	if !r.AllPaths && len(ms) > whatIfPathCap {
		ms, r.MissesCapped = ms[:whatIfPathCap], true
	}
	r.Misses = ms
}

// whatIfServices is GET /whatif/services?fail=TEXT: the service names containing TEXT, as
// <option>s for the search box's datalist on an estate too large to send whole.
func (s *server) whatIfServices(q *request) error {
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	var names []string
	if snap.Model != nil {
		text := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(q.r.URL.Query().Get("fail")), "service/"))
		if text != "" {
			for _, sv := range snap.Model.Services {
				if strings.Contains(strings.ToLower(sv.Metadata.Name), text) {
					names = append(names, sv.Metadata.Name)
					if len(names) == whatIfSuggest {
						break
					}
				}
			}
		}
	}
	return q.fragment("whatif", "whatif-options", names)
}
