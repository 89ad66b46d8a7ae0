package web

import (
	"html"
	"net/http"
	"os"
	"strings"
	"testing"
)

// dumpPage writes a page to $PLANS_DUMP_DIR for a look in a browser.
func dumpPage(t *testing.T, name string, body []byte) {
	if dir := os.Getenv("PLANS_DUMP_DIR"); dir != "" {
		os.WriteFile(dir+"/"+name, body, 0o644)
	}
}

// TestPlansPage: every demo plan is listed with its verdict and review, the binder download
// link is there, and the filters work.
func TestPlansPage(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	r := b.get("/plans")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /plans: status %d; body %.500s", r.StatusCode, r.body)
	}
	dumpPage(t, "plans.html", r.body)
	body := html.UnescapeString(string(r.body))
	for _, want := range []string{
		`<a id="binder-download" class="button primary" href="/binder" download>`,
		`href="/plans/backoffice-recovery"`, "Fulfilment and customer service recovery",
		`href="/plans/orders-db-recovery"`, `href="/services/order-management"`,
		`href="/scenarios/site-loss-frankfurt"`, "3h 45m", "Approved by", "Marta Keller",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/plans lacks %q", want)
		}
	}
	if n := strings.Count(body, `<a href="/plans/`); n < 11 {
		t.Errorf("/plans links %d plans, want the demo's 11", n)
	}
	misses := b.get("/plans?show=misses")
	if misses.StatusCode != http.StatusOK || !strings.Contains(string(misses.body), "misses by") {
		t.Errorf("/plans?show=misses: status %d, want 200 listing a plan that misses; body %.300s", misses.StatusCode, misses.body)
	}
	if strings.Contains(string(misses.body), "<span class=\"ok\">fits</span>") {
		t.Error("/plans?show=misses lists a plan that fits")
	}
	if r := b.get("/plans?show=overdue"); r.StatusCode != http.StatusOK {
		t.Errorf("/plans?show=overdue: status %d", r.StatusCode)
	}
	bad := b.get("/plans?show=everything")
	if bad.StatusCode != http.StatusBadRequest || !strings.Contains(html.UnescapeString(string(bad.body)), "show=misses") {
		t.Errorf("/plans?show=everything: status %d, want 400 naming the filters; body %.300s", bad.StatusCode, bad.body)
	}
}

// TestPlanPage: a plan's page has its timeline with the critical path, the verdict against
// the tightest RTO, the people with ways to reach them, and the links out.
func TestPlanPage(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	r := b.get("/plans/backoffice-recovery")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /plans/backoffice-recovery: status %d; body %.500s", r.StatusCode, r.body)
	}
	dumpPage(t, "plan.html", r.body)
	body := html.UnescapeString(string(r.body))
	tl := between(body, `<section id="timeline"`, `</section>`)
	if got := strings.Count(tl, `<tr class="step`); got != 5 {
		t.Errorf("timeline has %d steps, want 5", got)
	}
	if got := strings.Count(tl, `<tr class="step critical"`); got != 4 {
		t.Errorf("timeline has %d critical steps, want 4 (all but oms-crm)", got)
	}
	if strings.Contains(tl, `class="step critical" id="step-oms-crm"`) {
		t.Error("oms-crm is marked critical; it is not on the longest chain")
	}
	for _, want := range []string{
		"The critical path takes <strong>3h 45m</strong>", "the tightest RTO of what it covers is",
		`href="tel:+496955510`, `href="mailto:marta.keller@northwind-retail.example"`, "@marta.keller",
		"deputy", `href="/people/marta-keller"`, `href="/teams/team-data"`,
		"Invoke this plan when:", "no orders released to the warehouse", "distribution centre shift leads",
		"WMS down: switch to paper pick lists", `href="/plans/backoffice-recovery/history"`,
		`href="/services/warehouse-db"`, `href="/scenarios/cloud-region-outage"`, "2027-01-19",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("plan page lacks %q", want)
		}
	}
	// Managed by the demo folder: no edit link, even for an editor.
	ed := e.browse("editor").get("/plans/backoffice-recovery")
	if strings.Contains(string(ed.body), "/plans/backoffice-recovery/edit") {
		t.Error("a folder-managed plan offers an edit link")
	}
	// Findings about the plan include those that name it; a person with one way to be
	// reached is flagged where they are listed.
	fin := html.UnescapeString(string(b.get("/plans/finance-systems-recovery").body))
	if !strings.Contains(between(fin, `id="findings-h"`, "</section>"), "contact-unreachable") {
		t.Error("finance-systems-recovery does not show the contact-unreachable finding that names it")
	}
	if !strings.Contains(fin, "only one way to reach") {
		t.Error("finance-systems-recovery does not flag claire-martin's single way to be reached")
	}
	if r := b.get("/plans/no-such-plan"); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET /plans/no-such-plan: status %d, want 404", r.StatusCode)
	}
}

// TestPlanPageMisses: a plan whose critical path is longer than the RTO it covers says so.
func TestPlanPageMisses(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	list := string(b.get("/plans?show=misses").body)
	name := between(list, `<th scope="row"><a href="/plans/`, `"`)
	if name == "" {
		t.Skip("the demo has no plan that misses its RTO")
	}
	r := b.get("/plans/" + name)
	dumpPage(t, "plan-miss.html", r.body)
	body := html.UnescapeString(string(r.body))
	if !strings.Contains(body, `class="plans-verdict miss"`) || !strings.Contains(body, "misses by") || !strings.Contains(body, `class="tl-rto"`) {
		t.Errorf("plan %s: no miss verdict or RTO mark; verdict %q", name, between(body, `id="verdict"`, "</p>"))
	}
}

// TestBinderDownload: /binder sends the binder as a file to keep, for every role that reads.
func TestBinderDownload(t *testing.T) {
	e := newDemoEnv(t)
	r := e.browse("viewer").get("/binder")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /binder: status %d; body %.300s", r.StatusCode, r.body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="perdura-binder-2026-03-01.html"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	body := string(r.body)
	for _, want := range []string{"<!doctype html>", `id="plan-backoffice-recovery"`, `id="person-marta-keller"`, "Printed copies go stale", "2026-03-01 09:00 UTC"} {
		if !strings.Contains(body, want) {
			t.Errorf("binder lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(body), "<script") {
		t.Error("the binder has a script")
	}
	if r := e.visitor().get("/binder"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /binder signed out: status %d, want 303 to the login", r.StatusCode)
	}
}

// BenchmarkPlanPages measures the plan pages and the binder on the demo, end to end over
// HTTP: each must render well under 100 ms.
func BenchmarkPlanPages(b *testing.B) {
	e := newDemoEnv(b)
	br := e.browse("viewer")
	for _, path := range []string{"/plans", "/plans/ransomware-recovery", "/binder"} {
		b.Run(strings.ReplaceAll(path, "/", "_"), func(b *testing.B) {
			for b.Loop() {
				if r := br.get(path); r.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %d", path, r.StatusCode)
				}
			}
		})
	}
}

// TestPlanPageWebPlan: a plan made through the API (no source) offers its edit form to an
// editor but not to a viewer; a step without a duration counts 0, so the critical path is a
// lower bound and whether the plan fits is unknown; a plan covering nothing with an RTO says so.
func TestPlanPageWebPlan(t *testing.T) {
	e := newDemoEnv(t)
	doc := map[string]any{
		"apiVersion": "perdura/v1", "kind": "Plan",
		"metadata": map[string]any{"name": "tabletop", "owner": "team-crisis"},
		"spec": map[string]any{
			"covers": []string{"payroll"},
			"steps": []map[string]any{
				{"id": "gather", "title": "Gather the team"},
				{"id": "walk", "title": "Walk through the scenario", "after": []string{"gather"}, "duration": "2h"},
			},
		},
	}
	if r := e.as("editor").do("POST", "/api/v1/plans", doc, nil); r.StatusCode != http.StatusCreated {
		t.Fatalf("create a plan: status %d; body %s", r.StatusCode, r.body)
	}
	ed := string(e.browse("editor").get("/plans/tabletop").body)
	if !strings.Contains(ed, `href="/plans/tabletop/edit"`) {
		t.Error("an editor is not offered the edit form of a web-made plan")
	}
	if v := between(ed, `id="verdict">`, "</p>"); !strings.Contains(v, "The critical path takes <strong>at least 2h (1 of 2 steps give no duration)</strong>") || !strings.Contains(v, "whether it fits is unknown") {
		t.Errorf("verdict %q, want at least 2h, unknown whether it fits", v)
	}
	if !strings.Contains(ed, `id="step-gather"`) || !strings.Contains(ed, `title="no duration given"`) {
		t.Error("the step without a duration is not shown as such")
	}
	if v := string(e.browse("viewer").get("/plans/tabletop").body); strings.Contains(v, "/plans/tabletop/edit") {
		t.Error("a viewer is offered the edit form")
	}
}
