package web

import (
	"cmp"
	"fmt"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/lint"
	"github.com/perdura/perdura/internal/model"
)

// dashboardArea is the posture dashboard (GET /), which answers "are we recoverable right
// now?", and the business impact analysis pages (ui_bia.go). Everything here reads the
// snapshot's estate sweep, made once per stored generation: a page walks its lists once and
// never re-runs the whole-estate analysis.
func (s *server) dashboardArea() area {
	return area{
		pages: []page{
			{method: "GET", path: "/{$}", perm: auth.PermRead, sample: "/", handle: s.dashboardPage},
			{method: "GET", path: "/bia", perm: auth.PermRead, sample: "/bia?sort=mtpd", handle: s.biaPage},
			{method: "GET", path: "/functions/{name}", perm: auth.PermRead, sample: "/functions/online-sales", handle: s.functionPage},
		},
		funcs: template.FuncMap{
			// dashPct writes a share as a CSS percentage with one decimal: "37.5%".
			"dashPct": func(f float64) template.CSS { return template.CSS(fmt.Sprintf("%.1f%%", f*100)) },
			// dashWhatIf is the what-if page failing one object: /whatif?fail=site/dc-frankfurt.
			"dashWhatIf": func(ref string) string { return "/whatif?fail=" + strings.ReplaceAll(url.QueryEscape(ref), "%2F", "/") },
			// biaLevelRank is an impact level's place from 0 (negligible) to 4 (severe).
			"biaLevelRank": func(l model.Level) int { return l.Rank() },
		},
	}
}

// dashboard is the data of the dashboard page.
type dashboard struct {
	// Broken is set when the stored model has problems, so nothing could be analysed.
	Broken bool
	// Verdict is the headline answer; Good says whether it is all green.
	Verdict, VerdictDetail string
	Good                   bool

	Functions       []dashFunction
	FunctionsAtRisk int
	FunctionsNoMTPD int

	Misses         []dashServiceMiss
	MissesTotal    int            // Misses is cut to dashListMax rows; this is how many there are
	TargetFindings []lint.Finding // lint findings that say a stated target cannot be met
	// TargetFindingsTotal is how many there are; TargetFindings is cut to dashListMax.
	TargetFindingsTotal int
	// TargetRules counts them by rule, for links to each rule's findings.
	TargetRules []dashRuleCount

	SPOFs       []dashSPOF // single failures under critical objects, most shared first
	SPOFObjects int        // how many critical objects have at least one
	SPOFShown   int        // how many of SPOFs are listed open; the rest are folded
	SPOFTotal   int        // SPOFs is cut to dashListMax causes; this is how many there are

	Overdue  []dashPlanReview // plans past their review date, most overdue first
	NoReview []string         // plans with no review cycle
	Today    time.Time

	Severities []dashSeverityCount
	TopRules   []dashRuleCount
}

// dashFunction is a business function against its worst single failure.
type dashFunction struct {
	Name, Title string
	MTPD        *int64 // effective MTPD in seconds; nil when it has none
	LossPerHour float64
	Worst       analysis.Worst
	// Misses is true when the worst single failure keeps it down past its MTPD (or for good).
	Misses bool
	// Bar draws up time against MTPD on one scale: MTPD at MTPDAt, the outage to UpAt (0-1).
	MTPDAt, UpAt float64
	// LossAtWorst is the estimated loss over the worst outage; nil when unrecoverable or free.
	LossAtWorst *float64
}

// dashServiceMiss is a service whose worst single failure keeps it down past its RTO.
type dashServiceMiss struct {
	Ref         string
	Tier        *int
	Worst       analysis.Worst
	OverSeconds *int64 // how far past the RTO; nil when it never comes back
}

// dashSPOF is one object whose failure alone takes down critical services or functions.
type dashSPOF struct {
	Cause     string
	Services  int // how many tier 0-1 services it takes down
	Functions int // how many business functions it takes down
	// Shown is what the dashboard names (functions first), at most dashRefsMax; More is
	// how many it leaves out.
	Shown []string
	More  int
}

// dashPlanReview is a plan whose review is overdue.
type dashPlanReview struct {
	Name, Title string
	Last, Due   time.Time
	Every       model.Duration
	DaysOverdue int
	ApprovedBy  string
}

type dashSeverityCount struct {
	Severity lint.Severity
	Count    int
}

type dashRuleCount struct {
	Rule     string
	Severity lint.Severity
	Count    int
}

// dashTargetRules are the lint rules whose findings say that a stated target cannot be met as
// the model stands, beyond the single-failure misses the estate sweep lists itself.
var dashTargetRules = map[string]bool{
	"rto-inherited":    true,
	"rpo-unachievable": true,
	"mtpd-mismatch":    true,
	"plan-too-slow":    true,
}

// Limits that keep the dashboard readable, and small, on an estate of thousands of services:
// the complete lists are on the findings page and the what-if page.
const (
	dashSPOFOpen = 8  // SPOF causes listed before folding the rest away
	dashListMax  = 50 // rows of a list on the dashboard
	dashRefsMax  = 12 // objects named under one SPOF
)

func (s *server) dashboardPage(q *request) error {
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	d := buildDashboard(snap, s.now())
	return q.render(http.StatusOK, "dashboard", "Dashboard", "dashboard", d)
}

// buildDashboard reads the whole posture off one snapshot; today is the server's date.
func buildDashboard(snap *catalog.Snapshot, now time.Time) dashboard {
	d := dashboard{Today: dashDate(now)}
	m := snap.Model
	d.Severities, d.TopRules = dashCountFindings(snap.Findings)
	d.Overdue, d.NoReview = dashOverdueReviews(m, d.Today)
	if snap.Estate == nil {
		d.Broken = true
		d.Verdict = "We cannot tell: the stored model has problems, so it cannot be analysed."
		d.VerdictDetail = "Fix the errors listed under the findings; the analysis runs again on the next change."
		return d
	}
	worst := dashWorstIndex(snap.Estate)
	for _, f := range m.Functions {
		p := dashPosture(f, worst("function/"+f.Metadata.Name))
		if p.Misses {
			d.FunctionsAtRisk++
		}
		if p.MTPD == nil {
			d.FunctionsNoMTPD++
		}
		d.Functions = append(d.Functions, p)
	}
	// Functions at risk first, the costliest first within each group.
	slices.SortStableFunc(d.Functions, func(a, b dashFunction) int {
		if a.Misses != b.Misses {
			if a.Misses {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.LossPerHour, a.LossPerHour)
	})
	d.Verdict, d.VerdictDetail, d.Good = dashVerdict(d.Functions, d.FunctionsAtRisk, d.FunctionsNoMTPD)

	for _, w := range snap.Estate.Worst {
		if !strings.HasPrefix(w.Object, "service/") || w.Meets == nil || *w.Meets {
			continue
		}
		sm := dashServiceMiss{Ref: w.Object, Worst: w}
		if svc := m.Service(strings.TrimPrefix(w.Object, "service/")); svc != nil {
			sm.Tier = svc.Spec.Tier
		}
		if w.UpSeconds != nil && w.TargetSeconds != nil {
			over := *w.UpSeconds - *w.TargetSeconds
			sm.OverSeconds = &over
		}
		d.Misses = append(d.Misses, sm)
	}
	slices.SortFunc(d.Misses, func(a, b dashServiceMiss) int {
		return cmp.Or(cmp.Compare(dashTierOrder(a.Tier), dashTierOrder(b.Tier)), cmp.Compare(a.Ref, b.Ref))
	})
	d.MissesTotal = len(d.Misses)
	d.Misses = d.Misses[:min(len(d.Misses), dashListMax)]
	for _, f := range snap.Findings {
		if dashTargetRules[f.Rule] {
			d.TargetFindings = append(d.TargetFindings, f)
		}
	}
	d.TargetFindingsTotal = len(d.TargetFindings)
	byRule := map[string]int{}
	for _, f := range d.TargetFindings {
		byRule[f.Rule]++
	}
	for _, r := range slices.Sorted(maps.Keys(byRule)) {
		d.TargetRules = append(d.TargetRules, dashRuleCount{Rule: r, Count: byRule[r]})
	}
	d.TargetFindings = d.TargetFindings[:min(len(d.TargetFindings), dashListMax)]
	d.SPOFs, d.SPOFObjects = dashSPOFCauses(snap.Estate.SPOFs)
	d.SPOFTotal = len(d.SPOFs)
	d.SPOFs = d.SPOFs[:min(len(d.SPOFs), dashListMax)]
	d.SPOFShown = min(len(d.SPOFs), dashSPOFOpen)
	return d
}

// dashPosture is a function against its worst single failure.
func dashPosture(f *model.BusinessFunction, w analysis.Worst) dashFunction {
	p := dashFunction{Name: f.Metadata.Name, Title: f.Metadata.Title, LossPerHour: f.Spec.LossPerHour, Worst: w}
	if mtpd, ok := f.EffectiveMTPD(); ok {
		v := mtpd.Seconds()
		p.MTPD = &v
	}
	p.Misses = w.Meets != nil && !*w.Meets
	if w.Cause != nil && w.UpSeconds != nil && p.LossPerHour > 0 {
		loss := p.LossPerHour * float64(*w.UpSeconds) / 3600
		p.LossAtWorst = &loss
	}
	// One scale per row, at least twice the MTPD, so a recovery within it reads as a bar
	// short of the mark and a miss as a bar that runs past it.
	if p.MTPD != nil && *p.MTPD > 0 {
		scale := float64(2 * *p.MTPD)
		up := 0.0
		switch {
		case w.Cause != nil && !w.Recoverable:
			up = scale
		case w.UpSeconds != nil:
			up = float64(*w.UpSeconds)
		}
		scale = max(scale, up)
		p.MTPDAt, p.UpAt = float64(*p.MTPD)/scale, up/scale
	}
	return p
}

// dashVerdict is the dashboard's headline: how many functions a single failure takes past their
// MTPD, and the failure behind most of them.
func dashVerdict(fs []dashFunction, atRisk, noMTPD int) (headline, detail string, good bool) {
	n := len(fs)
	var extra string
	if noMTPD > 0 {
		extra = fmt.Sprintf(" %d %s no MTPD, so %s cannot be judged.", noMTPD, dashPlural(noMTPD, "function has", "functions have"), dashPlural(noMTPD, "it", "they"))
	}
	switch {
	case n == 0:
		return "No business functions are described yet.", "Add business functions with their impact analysis to see whether they are recoverable.", false
	case atRisk == 0:
		return fmt.Sprintf("Yes: all %d business functions recover within their MTPD from any single failure.", n),
			strings.TrimSpace("No single site, provider or service failure keeps any of them down longer than it can tolerate." + extra), noMTPD == 0
	}
	causes := map[string]int{}
	best := ""
	for _, f := range fs {
		if f.Misses && f.Worst.Cause != nil {
			c := *f.Worst.Cause
			causes[c]++
			if best == "" || causes[c] > causes[best] || causes[c] == causes[best] && c < best {
				best = c
			}
		}
	}
	headline = fmt.Sprintf("No: %d of %d business functions would be down longer than their MTPD after a single failure.", atRisk, n)
	if best != "" && causes[best] > 1 {
		detail = fmt.Sprintf("Losing %s alone would do it to %d of them.", best, causes[best])
	}
	return headline, strings.TrimSpace(detail + extra), false
}

func dashPlural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// dashSPOFCauses turns "object → its SPOFs" around into "SPOF → the critical objects it takes
// down", the most shared first: fixing one of those helps the most. The estate lists objects
// by ref, so functions come before services and each cause names its functions first.
func dashSPOFCauses(spofs []analysis.SPOF) (causes []dashSPOF, objects int) {
	by := map[string]int{} // index in causes
	for _, sp := range spofs {
		if len(sp.Causes) == 0 {
			continue
		}
		objects++
		fn := strings.HasPrefix(sp.Object, "function/")
		for _, c := range sp.Causes {
			i, ok := by[c]
			if !ok {
				i = len(causes)
				by[c] = i
				causes = append(causes, dashSPOF{Cause: c})
			}
			sc := &causes[i]
			if fn {
				sc.Functions++
			} else {
				sc.Services++
			}
			if len(sc.Shown) < dashRefsMax {
				sc.Shown = append(sc.Shown, sp.Object)
			} else {
				sc.More++
			}
		}
	}
	slices.SortFunc(causes, func(a, b dashSPOF) int {
		return cmp.Or(
			cmp.Compare(b.Functions+b.Services, a.Functions+a.Services),
			cmp.Compare(b.Functions, a.Functions),
			cmp.Compare(a.Cause, b.Cause))
	})
	return causes, objects
}

// dashOverdueReviews lists plans whose last review plus their review period is before today, the
// most overdue first, and the plans that have no review cycle at all.
func dashOverdueReviews(m *model.Model, today time.Time) (overdue []dashPlanReview, none []string) {
	for _, p := range m.Plans {
		r := p.Spec.Review
		if r == nil || r.Every == nil || r.Last == nil {
			none = append(none, p.Metadata.Name)
			continue
		}
		last := dashDate(r.Last.Time)
		due := last.Add(time.Duration(*r.Every))
		if !due.Before(today) {
			continue
		}
		overdue = append(overdue, dashPlanReview{
			Name: p.Metadata.Name, Title: p.Metadata.Title, Last: last, Due: due, Every: *r.Every,
			DaysOverdue: int(today.Sub(due).Hours() / 24), ApprovedBy: r.ApprovedBy,
		})
	}
	slices.SortStableFunc(overdue, func(a, b dashPlanReview) int { return cmp.Compare(b.DaysOverdue, a.DaysOverdue) })
	return overdue, none
}

// dashCountFindings counts findings by severity (every severity, even at zero) and by rule, the
// most frequent rule first.
func dashCountFindings(fs []lint.Finding) ([]dashSeverityCount, []dashRuleCount) {
	sev := []dashSeverityCount{{Severity: lint.Error}, {Severity: lint.Warning}, {Severity: lint.Info}}
	rules := map[string]*dashRuleCount{}
	for _, f := range fs {
		for i := range sev {
			if sev[i].Severity == f.Severity {
				sev[i].Count++
			}
		}
		rc := rules[f.Rule]
		if rc == nil {
			rc = &dashRuleCount{Rule: f.Rule, Severity: f.Severity}
			rules[f.Rule] = rc
		}
		rc.Count++
	}
	var out []dashRuleCount
	for _, rc := range rules {
		out = append(out, *rc)
	}
	slices.SortFunc(out, func(a, b dashRuleCount) int {
		return cmp.Or(cmp.Compare(dashSeverityOrder(a.Severity), dashSeverityOrder(b.Severity)), cmp.Compare(b.Count, a.Count), cmp.Compare(a.Rule, b.Rule))
	})
	return sev, out
}

func dashSeverityOrder(s lint.Severity) int {
	switch s {
	case lint.Error:
		return 0
	case lint.Warning:
		return 1
	}
	return 2
}

// dashTierOrder sorts services without a tier last.
func dashTierOrder(t *int) int {
	if t == nil {
		return 99
	}
	return *t
}

// dashWorstIndex finds an object's worst single failure by ref (the zero Worst when the sweep
// has none), by binary search: the estate lists them sorted by ref.
func dashWorstIndex(e *analysis.Estate) func(ref string) analysis.Worst {
	return func(ref string) analysis.Worst {
		i, ok := slices.BinarySearchFunc(e.Worst, ref, func(w analysis.Worst, ref string) int { return cmp.Compare(w.Object, ref) })
		if !ok {
			return analysis.Worst{Object: ref}
		}
		return e.Worst[i]
	}
}

// dashDate is the calendar day of t, in UTC.
func dashDate(t time.Time) time.Time {
	y, mo, d := t.UTC().Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
}
