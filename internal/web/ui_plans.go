package web

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"

	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/binder"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/lint"
	"github.com/perdura/perdura/internal/model"
)

// planArea is the plan pages and the binder download. A plan is worked out by the binder
// package (its steps on a timeline, its critical path against the tightest RTO of what it
// covers, its people with their deputies), so the page and the offline binder say the same.
func (s *server) planArea() area {
	funcs := binder.Funcs()
	// plansPerson is the page of a person: /people/NAME.
	funcs["plansPerson"] = func(name string) string { return refURL("person/" + name) }
	// plansService is the ref of a covered service: "service/NAME".
	funcs["plansService"] = func(name string) string { return "service/" + name }
	// plansDays writes a number of days, sign dropped: "1 day", "12 days".
	funcs["plansDays"] = func(n int) string {
		if n < 0 {
			n = -n
		}
		if n == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return area{
		pages: []page{
			{method: "GET", path: "/plans", perm: auth.PermRead, sample: "/plans?show=misses", handle: s.plansPage},
			{method: "GET", path: "/plans/{name}", perm: auth.PermRead, sample: "/plans/backoffice-recovery", handle: s.planPage},
			{method: "GET", path: "/binder", perm: auth.PermRead, handle: s.binderDownload},
		},
		funcs: funcs,
	}
}

// plansList is the data of the plan list.
type plansList struct {
	Plans []*binder.Plan // those shown, in declaration order
	All   int
	// Misses counts plans whose critical path is longer than the tightest RTO they cover;
	// Overdue those past their review date; NoRTO those covering nothing with an RTO.
	Misses, Overdue, NoRTO int
	Show                   string // the filter: "", "misses", "overdue"
	ShowText               string // the filter in words
	Today                  string
}

// planShows are the filters of the plan list.
var planShows = map[string]string{"": "all plans", "misses": "plans that miss their RTO", "overdue": "plans overdue for review"}

func (s *server) plansPage(q *request) error {
	show := q.r.URL.Query().Get("show")
	if _, ok := planShows[show]; !ok {
		return badRequest{fmt.Sprintf("show=%q is not a filter of the plan list: use show=misses, show=overdue or leave it out.", show)}
	}
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	now := s.now()
	all := binder.Plans(snap.Model, binder.NewTargets(snap.Model, snap.Graph), now)
	d := plansList{All: len(all), Show: show, ShowText: planShows[show], Today: now.UTC().Format("2006-01-02")}
	for _, p := range all {
		miss := p.Verdict.Misses()
		if miss {
			d.Misses++
		}
		if !p.Verdict.HasRTO {
			d.NoRTO++
		}
		if p.Review.Overdue {
			d.Overdue++
		}
		if show == "" || (show == "misses" && miss) || (show == "overdue" && p.Review.Overdue) {
			d.Plans = append(d.Plans, p)
		}
	}
	return q.render(http.StatusOK, "plans-list", "Plans", "plans", d)
}

// planView is the data of a plan's page.
type planView struct {
	*binder.Plan
	Findings []lint.Finding // about the plan
	Source   string         // the model folder that manages the plan; "" = edited here
	Revision int64
	Today    string
	OwnerRef string // the owner as a team/ or person/ ref; "" when the model has neither
}

func (s *server) planPage(q *request) error {
	name := q.r.PathValue("name")
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	p := snap.Model.Plan(name)
	if p == nil {
		return pageNotFound("plan %q", name)
	}
	now := s.now()
	v := planView{Plan: binder.NewPlan(snap.Model, binder.NewTargets(snap.Model, snap.Graph), p, now),
		Today: now.UTC().Format("2006-01-02")}
	if o := p.Metadata.Owner; snap.Model.Team(o) != nil {
		v.OwnerRef = "team/" + o
	} else if snap.Model.Person(o) != nil {
		v.OwnerRef = "person/" + o
	}
	ref := "plan/" + name
	for _, f := range snap.Findings {
		if f.Object == ref || planMentions(f.Message, ref) {
			v.Findings = append(v.Findings, f)
		}
	}
	if o, ok := planObject(snap, model.KindPlan, name); ok {
		v.Source, v.Revision = o.Source, o.Revision
	}
	return q.render(http.StatusOK, "plans-plan", v.Title, "plans", v)
}

// planMentions reports whether a message names ref as a whole word: "plan/a" is not in "plan/ab".
func planMentions(msg, ref string) bool {
	for i := 0; ; {
		j := strings.Index(msg[i:], ref)
		if j < 0 {
			return false
		}
		end := i + j + len(ref)
		if end == len(msg) || !planNameByte(msg[end]) {
			return true
		}
		i = end
	}
}

// planNameByte reports whether b may be part of an object name.
func planNameByte(b byte) bool {
	return b == '-' || b == '_' || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
}

// planObject finds the stored object of a kind and name in a snapshot (for its source and
// revision).
func planObject(snap *catalog.Snapshot, k model.Kind, name string) (catalog.Object, bool) {
	for _, o := range snap.Objects {
		if o.Kind == k && o.Name == name {
			return o, true
		}
	}
	return catalog.Object{}, false
}

// binderDownload sends the plan binder as a file to keep: every plan, the contact list, the
// call trees and the providers' contacts in one HTML file that needs nothing but a browser.
func (s *server) binderDownload(q *request) error {
	snap, err := q.snapshot()
	if err != nil {
		return err
	}
	now := s.now()
	var buf bytes.Buffer
	err = binder.Write(&buf, snap.Model, binder.Options{Generated: now, Generation: snap.Generation,
		Graph: snap.Graph, Origin: "exported from the Perdura server " + q.r.Host})
	if err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="perdura-binder-`+now.UTC().Format("2006-01-02")+`.html"`)
	h.Set("Cache-Control", "no-store")
	q.w.Write(buf.Bytes())
	return nil
}
