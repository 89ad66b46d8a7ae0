package web

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/lint"
	"github.com/perdura/perdura/internal/model"
)

// The business impact analysis: every business function with its MTPD, its impact over time
// and whether the services it needs can recover within it (GET /bia), and one function's
// analysis with its impact chart (GET /functions/{name}). Pages of dashboardArea.

// biaRow is one business function on the BIA overview.
type biaRow struct {
	dashFunction
	Tolerance model.Level
	Impact    []model.ImpactStep
	// Services is how many services the function needs; Short how many of them a single
	// failure keeps down past the function's MTPD.
	Services, Short int
	LossAtMTPD      *float64
}

// biaOverview is the data of GET /bia.
type biaOverview struct {
	Broken bool
	Rows   []biaRow
	Sort   string
	Sorts  []biaSort
	// Totals across every function.
	LossPerHour float64
	AtRisk      int
}

// biaSort is one order the overview offers.
type biaSort struct {
	Key, Label string
	// Order is what aria-sort says of the column when this order is chosen.
	Order string
}

var biaSorts = []biaSort{
	{"loss", "loss per hour, highest first", "descending"},
	{"mtpd", "MTPD, shortest first", "ascending"},
	{"risk", "worst failure against MTPD, worst first", "descending"},
	{"name", "name", "ascending"},
}

func (s *server) biaPage(q *request) error {
	key := q.r.URL.Query().Get("sort")
	if key == "" {
		key = "loss"
	}
	if !slices.ContainsFunc(biaSorts, func(b biaSort) bool { return b.Key == key }) {
		return badRequest{fmt.Sprintf("The sort order %q is not known: use sort=loss, sort=mtpd, sort=risk or sort=name.", key)}
	}
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	d := biaOverview{Sort: key, Sorts: biaSorts}
	if snap.Estate == nil {
		d.Broken = true
		return q.render(http.StatusOK, "bia", "Business impact analysis", "bia", d)
	}
	worst := dashWorstIndex(snap.Estate)
	for _, f := range snap.Model.Functions {
		r := biaRow{dashFunction: dashPosture(f, worst("function/"+f.Metadata.Name)),
			Tolerance: f.Spec.Tolerance, Impact: f.Spec.Impact, Services: len(f.Spec.Services)}
		for _, name := range f.Spec.Services {
			if !biaMeetsWithin(worst("service/"+name), r.MTPD) {
				r.Short++
			}
		}
		if r.MTPD != nil && r.LossPerHour > 0 {
			l := r.LossPerHour * float64(*r.MTPD) / 3600
			r.LossAtMTPD = &l
		}
		d.LossPerHour += r.LossPerHour
		if r.Misses {
			d.AtRisk++
		}
		d.Rows = append(d.Rows, r)
	}
	slices.SortStableFunc(d.Rows, biaOrder(key))
	return q.render(http.StatusOK, "bia", "Business impact analysis", "bia", d)
}

// biaOrder compares rows for a sort key; names break ties.
func biaOrder(key string) func(a, b biaRow) int {
	byName := func(a, b biaRow) int { return cmp.Compare(a.Name, b.Name) }
	switch key {
	case "loss":
		return func(a, b biaRow) int { return cmp.Or(cmp.Compare(b.LossPerHour, a.LossPerHour), byName(a, b)) }
	case "mtpd":
		return func(a, b biaRow) int {
			return cmp.Or(cmp.Compare(biaSecondsOrMax(a.MTPD), biaSecondsOrMax(b.MTPD)), byName(a, b))
		}
	case "risk":
		// How many times its MTPD the worst failure keeps a function down; never is worst.
		ratio := func(r biaRow) float64 {
			switch {
			case r.Worst.Cause == nil || r.MTPD == nil || *r.MTPD == 0:
				return 0
			case !r.Worst.Recoverable || r.Worst.UpSeconds == nil:
				return 1e18
			}
			return float64(*r.Worst.UpSeconds) / float64(*r.MTPD)
		}
		return func(a, b biaRow) int { return cmp.Or(cmp.Compare(ratio(b), ratio(a)), byName(a, b)) }
	}
	return byName
}

func biaSecondsOrMax(p *int64) int64 {
	if p == nil {
		return 1<<63 - 1
	}
	return *p
}

// biaMeetsWithin reports whether an object's worst single failure leaves it down no longer than
// limit seconds; with no limit, or no single failure that takes it down, it does.
func biaMeetsWithin(w analysis.Worst, limit *int64) bool {
	if limit == nil || w.Cause == nil {
		return true
	}
	return w.Recoverable && w.UpSeconds != nil && *w.UpSeconds <= *limit
}

// functionBIA is the data of GET /functions/{name}.
type functionBIA struct {
	F       *model.BusinessFunction
	Title   string
	Owner   string // the owner's ref (person/x or team/x) when the model knows them, else ""
	Posture dashFunction
	// MTPDFrom says where the MTPD comes from: "stated" (spec.mtpd) or "impact" (the first
	// impact level at or above the tolerance); "" when there is none.
	MTPDFrom   string
	LossAtMTPD *float64
	WorstPath  []string
	Steps      []biaImpactRow
	Chart      biaChart
	ChartLabel string
	Services   []biaService
	// Short is how many of Services a single failure keeps down past the MTPD.
	Short    int
	SPOFs    []string
	Findings []lint.Finding
	Object   *catalog.Object
	Broken   bool
}

// biaImpactRow is a row of the impact table.
type biaImpactRow struct {
	model.ImpactStep
	Rank int
	// Intolerable marks the rows at or above the tolerance.
	Intolerable bool
}

// biaChart is what static/js/bia.js draws, as JSON.
type biaChart struct {
	Levels    []model.Level  `json:"levels"`
	Steps     []biaChartStep `json:"steps"`
	Tolerance int            `json:"tolerance"` // rank of the tolerance level, -1 when none
	MTPD      *int64         `json:"mtpd"`      // seconds
	Worst     *biaChartWorst `json:"worst"`
	Title     string         `json:"title"`
}

type biaChartStep struct {
	After int64  `json:"after"` // seconds
	Level int    `json:"level"`
	Label string `json:"label"`
	Note  string `json:"note,omitempty"`
}

type biaChartWorst struct {
	Up    *int64 `json:"up"` // seconds; nil when it never comes back
	Cause string `json:"cause"`
}

// biaService is one service a business function needs, against the function's MTPD and
// its own RTO.
type biaService struct {
	Name      string
	Service   *model.Service // nil when the model has no such service
	Inherited *analysis.InheritedTarget
	Worst     analysis.Worst
	MeetsMTPD bool
	Plans     []string
}

func (s *server) functionPage(q *request) error {
	name := q.r.PathValue("name")
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	f := snap.Model.Function(name)
	if f == nil {
		return pageNotFound("business function %q", name)
	}
	d := functionBIA{F: f, Title: cmp.Or(f.Metadata.Title, f.Metadata.Name)}
	ref := "function/" + name
	m := snap.Model
	if o := f.Metadata.Owner; o != "" {
		switch {
		case m.Person(o) != nil:
			d.Owner = "person/" + o
		case m.Team(o) != nil:
			d.Owner = "team/" + o
		}
	}
	for i := range snap.Objects {
		if o := &snap.Objects[i]; o.Kind == model.KindBusinessFunction && o.Name == name {
			d.Object = o
			break
		}
	}
	for _, fd := range snap.Findings {
		if fd.Object == ref {
			d.Findings = append(d.Findings, fd)
		}
	}
	switch {
	case f.Spec.MTPD != nil:
		d.MTPDFrom = "stated"
	default:
		if _, ok := f.ImpactMTPD(); ok {
			d.MTPDFrom = "impact"
		}
	}
	var worst func(ref string) analysis.Worst
	if snap.Estate == nil {
		d.Broken = true
		d.Posture = dashPosture(f, analysis.Worst{Object: ref})
	} else {
		worst = dashWorstIndex(snap.Estate)
		d.Posture = dashPosture(f, worst(ref))
		if c := d.Posture.Worst.Cause; c != nil {
			var fl analysis.Failure
			if fl.Add(*c) == nil {
				d.WorstPath, _ = snap.Graph.CriticalPath(fl, ref)
			}
		}
		for _, sp := range snap.Estate.SPOFs {
			if sp.Object == ref {
				d.SPOFs = sp.Causes
				break
			}
		}
	}
	if d.Posture.MTPD != nil && f.Spec.LossPerHour > 0 {
		l := f.Spec.LossPerHour * float64(*d.Posture.MTPD) / 3600
		d.LossAtMTPD = &l
	}
	d.Steps, d.Chart, d.ChartLabel = biaImpact(f, d.Title, d.Posture)
	d.Services, d.Short = biaServices(snap, f, worst, d.Posture.MTPD)
	return q.render(http.StatusOK, "bia-function", d.Title+" · impact analysis", "bia", d)
}

// biaImpact is a function's impact table as rows, as chart data, and as one sentence for the
// chart's text alternative.
func biaImpact(f *model.BusinessFunction, title string, p dashFunction) ([]biaImpactRow, biaChart, string) {
	tol := f.Spec.Tolerance.Rank()
	ch := biaChart{Levels: model.Levels, Tolerance: tol, MTPD: p.MTPD, Title: title}
	var rows []biaImpactRow
	var words []string
	for _, st := range f.Spec.Impact {
		r := st.Level.Rank()
		rows = append(rows, biaImpactRow{ImpactStep: st, Rank: r, Intolerable: tol >= 0 && r >= tol})
		ch.Steps = append(ch.Steps, biaChartStep{After: st.After.Seconds(), Level: r, Label: string(st.Level), Note: st.Note})
		words = append(words, fmt.Sprintf("%s after %s", st.Level, humanDuration(st.After)))
	}
	if c := p.Worst.Cause; c != nil {
		ch.Worst = &biaChartWorst{Cause: *c}
		if p.Worst.Recoverable {
			ch.Worst.Up = p.Worst.UpSeconds
		}
	}
	label := fmt.Sprintf("Step chart of the impact of an outage of %s over time", title)
	if len(words) > 0 {
		label += ": " + strings.Join(words, ", ")
	} else {
		label += ": no impact levels are recorded"
	}
	if p.MTPD != nil {
		label += fmt.Sprintf(". The MTPD is %s", humanDuration(*p.MTPD))
	}
	if ch.Worst != nil {
		if ch.Worst.Up != nil {
			label += fmt.Sprintf("; the worst single failure (%s) keeps it down %s", ch.Worst.Cause, humanDuration(*ch.Worst.Up))
		} else {
			label += fmt.Sprintf("; the worst single failure (%s) keeps it down for good", ch.Worst.Cause)
		}
	}
	return rows, ch, label + ". The same data is in the table below."
}

// biaServices lists the services a function needs with their targets and worst single
// failures. The inherited targets come from one pass over the graph, linear in its size.
func biaServices(snap *catalog.Snapshot, f *model.BusinessFunction, worst func(ref string) analysis.Worst, mtpd *int64) ([]biaService, int) {
	want := map[string]bool{}
	for _, n := range f.Spec.Services {
		want["service/"+n] = true
	}
	inherited := map[string]*analysis.InheritedTarget{}
	if snap.Graph != nil {
		its := snap.Graph.Inherited()
		for i := range its {
			if want[its[i].Service] {
				inherited[its[i].Service] = &its[i]
			}
		}
	}
	plans := map[string][]string{}
	for _, p := range snap.Model.Plans {
		for _, c := range p.Spec.Covers {
			if want["service/"+c] {
				plans[c] = append(plans[c], p.Metadata.Name)
			}
		}
	}
	var out []biaService
	short := 0
	for _, n := range f.Spec.Services {
		ns := biaService{Name: n, Service: snap.Model.Service(n), Inherited: inherited["service/"+n], Plans: plans[n]}
		if worst != nil {
			ns.Worst = worst("service/" + n)
		}
		if ns.Service != nil && ns.Service.Spec.Plan != "" && !slices.Contains(ns.Plans, ns.Service.Spec.Plan) {
			ns.Plans = append(ns.Plans, ns.Service.Spec.Plan)
		}
		ns.MeetsMTPD = worst == nil || biaMeetsWithin(ns.Worst, mtpd)
		if !ns.MeetsMTPD {
			short++
		}
		out = append(out, ns)
	}
	return out, short
}
