package web

import (
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
	"github.com/perdura/perdura/internal/synth"
)

// demoToday is the day the dashboard tests look at the demo organisation: late enough that
// the crisis communication plan (last reviewed 2025-09-15, every 365d) is 71 days overdue.
var demoToday = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

// newDashboardEnv is the demo organisation with the clock moved on to demoToday before
// anyone signs in.
func newDashboardEnv(t *testing.T) *env {
	t.Helper()
	e := newDemoEnv(t)
	e.clock.Advance(demoToday.Sub(e.clock.Now()))
	return e
}

// section is the HTML of the element with the given id, up to the next </section>.
func section(t *testing.T, page, id string) string {
	t.Helper()
	s := between(page, `id="`+id+`"`, "</section>")
	if s == "" {
		t.Fatalf("no section with id %q", id)
	}
	return s
}

func TestDashboardPage(t *testing.T) {
	e := newDashboardEnv(t)
	r := e.browse("viewer").get("/")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d; body %.500s", r.StatusCode, r.body)
	}
	page := string(r.body)
	if n := strings.Count(page, "<h1"); n != 1 {
		t.Errorf("the dashboard has %d h1, want 1", n)
	}
	for _, want := range []string{
		"Are we recoverable right now?",
		"No: 4 of 6 business functions would be down longer than their MTPD after a single failure.",
		"Losing site/dc-frankfurt alone would do it to 3 of them.",
		`<a class="figure" href="#functions">4`,
		`href="/findings?severity=warning"`,
		`aria-current="page"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}

	fns := section(t, page, "functions")
	// Functions at risk come first, the costliest first: online sales loses 32,000 an hour.
	if i, j := strings.Index(fns, "/functions/online-sales"), strings.Index(fns, "/functions/marketing"); i < 0 || j < 0 || i > j {
		t.Errorf("functions: online-sales (at risk) should come before marketing (safe); indexes %d, %d", i, j)
	}
	for _, want := range []string{`href="/functions/payments"`, `href="/whatif?fail=provider/payvia"`, "32,000", "misses MTPD", "within MTPD", `class="dash-bar dash-bar-miss"`} {
		if !strings.Contains(fns, want) {
			t.Errorf("functions section lacks %q", want)
		}
	}

	misses := section(t, page, "misses")
	for _, want := range []string{`href="/services/checkout"`, `href="/services/orders-db"`, `href="/services/payments-gateway"`, `href="/services/order-management"`, "plan-too-slow", `href="/plans/ransomware-recovery"`} {
		if !strings.Contains(misses, want) {
			t.Errorf("misses section lacks %q", want)
		}
	}

	spofs := section(t, page, "spofs")
	if !regexp.MustCompile(`storage-san-fra</a>\s*is a single point of failure of\s*<strong>\d+ critical services</strong> and <strong>\d+ business functions`).MatchString(spofs) {
		t.Errorf("spofs section does not say what storage-san-fra takes down:\n%s", spofs)
	}

	overdue := section(t, page, "overdue")
	if !strings.Contains(overdue, `href="/plans/crisis-communication"`) || !strings.Contains(overdue, "71 days") {
		t.Errorf("overdue section lacks the crisis communication plan, 71 days overdue:\n%s", overdue)
	}
	if strings.Contains(overdue, "ransomware-recovery") {
		t.Errorf("overdue section lists ransomware-recovery, reviewed 2026-09-08 every 180d")
	}

	findings := section(t, page, "findings")
	for _, sev := range []string{"error", "warning", "info"} {
		if !strings.Contains(findings, `href="/findings?severity=`+sev+`"`) {
			t.Errorf("findings section has no tile for %s", sev)
		}
	}
	if !strings.Contains(findings, `href="/findings?rule=mtpd-unmet"`) {
		t.Errorf("findings section does not count the mtpd-unmet rule")
	}
}

func TestBIAPage(t *testing.T) {
	e := newDashboardEnv(t)
	b := e.browse("viewer")
	order := func(page string) []string {
		table := between(page, `id="bia-table"`, "</table>")
		var names []string
		for _, m := range regexp.MustCompile(`<th scope="row"><a href="/functions/([a-z-]+)"`).FindAllStringSubmatch(table, -1) {
			names = append(names, m[1])
		}
		return names
	}
	tests := []struct {
		path string
		want string
	}{
		{"/bia", "online-sales payments order-fulfilment customer-service finance-payroll marketing"},
		{"/bia?sort=loss", "online-sales payments order-fulfilment customer-service finance-payroll marketing"},
		{"/bia?sort=name", "customer-service finance-payroll marketing online-sales order-fulfilment payments"},
		{"/bia?sort=mtpd", "payments online-sales customer-service order-fulfilment finance-payroll marketing"},
	}
	for _, tt := range tests {
		r := b.get(tt.path)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d; body %.500s", tt.path, r.StatusCode, r.body)
		}
		if got := strings.Join(order(string(r.body)), " "); got != tt.want {
			t.Errorf("GET %s: order\n got %s\nwant %s", tt.path, got, tt.want)
		}
	}
	page := string(b.get("/bia").body)
	for _, want := range []string{"Business impact analysis", `aria-sort="descending"`, "128,000", `<span class="lvl lvl-3">major</span>`, "cannot meet it"} {
		if !strings.Contains(page, want) {
			t.Errorf("/bia lacks %q", want)
		}
	}
	r := b.get("/bia?sort=cost")
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), "sort=loss") {
		t.Errorf("GET /bia?sort=cost: status %d, want 400 saying what sorts there are; body %.500s", r.StatusCode, r.body)
	}
}

func TestFunctionPage(t *testing.T) {
	e := newDashboardEnv(t)
	viewer, editor := e.browse("viewer"), e.browse("editor")
	r := viewer.get("/functions/online-sales")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /functions/online-sales: status %d; body %.500s", r.StatusCode, r.body)
	}
	page := string(r.body)
	for _, want := range []string{
		"<h1>Online sales",
		"Shop and checkout open in all four countries",
		`href="/people/olivia-brandt"`,
		"<strong>4h</strong>",
		"128,000", // loss at the MTPD: 32,000 × 4h
		`<canvas id="impact-chart" role="img" aria-label="Step chart of the impact of an outage of Online sales over time: minor after 30m, moderate after 2h, major after 4h, severe after 1d. The MTPD is 4h`,
		`<script type="application/json" id="impact-data">`,
		`"mtpd":14400`,
		`src="/static/vendor/chart.umd.min.js`,
		`src="/static/js/bia.js`,
		`href="/functions/online-sales/history"`,
		`href="/whatif?fail=site/dc-frankfurt"`,
		"edited in Perdura",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the function page lacks %q", want)
		}
	}
	if strings.Contains(page, "Edit impact analysis") {
		t.Errorf("a viewer is offered the edit form")
	}
	if !strings.Contains(string(editor.get("/functions/online-sales").body), `href="/functions/online-sales/edit"`) {
		t.Errorf("an editor is not offered the edit form")
	}

	table := between(page, `id="impact-table"`, "</table>")
	var afters []string
	for _, m := range regexp.MustCompile(`<td class="num">([^<]+)</td>`).FindAllStringSubmatch(table, -1) {
		afters = append(afters, m[1])
	}
	if got := strings.Join(afters, " "); got != "30m 2h 4h 1d" {
		t.Errorf("impact table rows: got %q, want 30m 2h 4h 1d", got)
	}

	services := between(page, `id="function-services"`, "</table>")
	for _, s := range []string{"storefront", "checkout", "catalog-service", "pricing", "customer-accounts"} {
		if !strings.Contains(services, `href="/services/`+s+`"`) {
			t.Errorf("services table lacks %s", s)
		}
	}
	if !strings.Contains(between(page, `id="function-spofs"`, "</ul>"), `href="/sites/dc-frankfurt"`) {
		t.Errorf("the function's SPOFs lack site/dc-frankfurt")
	}

	if r := viewer.get("/functions/no-such-function"); r.StatusCode != http.StatusNotFound || !strings.Contains(string(r.body), "no-such-function") {
		t.Errorf("GET /functions/no-such-function: status %d, want 404 naming it", r.StatusCode)
	}
}

func TestDashOverdueReviews(t *testing.T) {
	d := func(s string) *model.Date {
		v, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return &model.Date{Time: v}
	}
	every := func(days int) *model.Duration { v := model.Duration(time.Duration(days) * 24 * time.Hour); return &v }
	plan := func(name string, r *model.Review) *model.Plan {
		p := &model.Plan{Spec: model.PlanSpec{Review: r}}
		p.Metadata.Name = name
		return p
	}
	m := &model.Model{Plans: []*model.Plan{
		plan("due-today", &model.Review{Every: every(30), Last: d("2026-10-26")}),
		plan("a-day-late", &model.Review{Every: every(30), Last: d("2026-10-25")}),
		plan("long-late", &model.Review{Every: every(365), Last: d("2025-01-01")}),
		plan("no-cycle", nil),
		plan("no-last", &model.Review{Every: every(30)}),
	}}
	overdue, none := dashOverdueReviews(m, dashDate(demoToday))
	var got []string
	for _, p := range overdue {
		got = append(got, fmt.Sprintf("%s:%d", p.Name, p.DaysOverdue))
	}
	if g := strings.Join(got, " "); g != "long-late:328 a-day-late:1" {
		t.Errorf("overdue: got %s, want long-late 328 days then a-day-late 1 day", g)
	}
	if g := strings.Join(none, " "); g != "no-cycle no-last" {
		t.Errorf("without a cycle: got %s", g)
	}
}

func TestDashSPOFCauses(t *testing.T) {
	got, objects := dashSPOFCauses([]analysis.SPOF{
		{Object: "function/a", Causes: []string{"service/db", "site/x"}},
		{Object: "service/app", Causes: []string{"service/db"}},
		{Object: "service/web", Causes: []string{"service/db", "site/y"}},
		{Object: "service/safe"},
	})
	if objects != 3 {
		t.Errorf("objects with a SPOF: got %d, want 3", objects)
	}
	var line []string
	for _, c := range got {
		line = append(line, fmt.Sprintf("%s=%d+%d:%s", c.Cause, c.Functions, c.Services, strings.Join(c.Shown, ",")))
	}
	want := "service/db=1+2:function/a,service/app,service/web site/x=1+0:function/a site/y=0+1:service/web"
	if g := strings.Join(line, " "); g != want {
		t.Errorf("SPOF causes:\n got %s\nwant %s", g, want)
	}

	// A SPOF under a great many objects names the first few, functions first.
	many := []analysis.SPOF{{Object: "function/f", Causes: []string{"site/core"}}}
	for i := range 20 {
		many = append(many, analysis.SPOF{Object: fmt.Sprintf("service/s%02d", i), Causes: []string{"site/core"}})
	}
	got, _ = dashSPOFCauses(many)
	if len(got) != 1 || len(got[0].Shown) != dashRefsMax || got[0].Shown[0] != "function/f" || got[0].More != 21-dashRefsMax {
		t.Errorf("a SPOF of 21 objects: got %+v, want %d shown, the function first, %d more", got, dashRefsMax, 21-dashRefsMax)
	}
}

// BenchmarkDashboard10k renders the dashboard, the BIA overview and one business function's
// page for a synthetic estate of 10,000 services, after the first request has swept the
// stored generation; each reads the sweep and must stay well under the demo's 100 ms.
//
//	go test ./internal/web -run '^$' -bench BenchmarkDashboard10k -benchtime 20x
func BenchmarkDashboard10k(b *testing.B) {
	m := synth.Generate(synth.Config{Seed: 1, Services: 10000})
	lintClean(b, m)
	e := newEnvWith(b, func(t testing.TB, cat *catalog.Catalog) { storeModel(t, cat, m) })
	secret := e.tokens[auth.RoleViewer]
	for _, path := range []string{"/", "/bia", "/functions/" + m.Functions[0].Metadata.Name} {
		get := func() *httptest.ResponseRecorder {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			e.srv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("GET %s: status %d: %.500s", path, w.Code, w.Body)
			}
			return w
		}
		w := get()
		b.Run(cmp.Or(strings.Trim(strings.ReplaceAll(path, "/", "-"), "-"), "dashboard"), func(b *testing.B) {
			for b.Loop() {
				get()
			}
			b.ReportMetric(float64(w.Body.Len())/1024, "KiB")
		})
	}
	// The first dashboard after a change: a new site is stored (not timed), then the request
	// loads, compiles, lints and sweeps the new generation before it renders.
	ed := e.as(auth.RoleEditor)
	b.Run("dashboard-after-change", func(b *testing.B) {
		n := 0
		for b.Loop() {
			b.StopTimer()
			n++
			if r := ed.do("POST", "/api/v1/sites", site(fmt.Sprintf("bench-%d", n), "1d"), nil); r.StatusCode != http.StatusCreated {
				b.Fatalf("create a site: status %d: %s", r.StatusCode, r.body)
			}
			b.StartTimer()
			req := httptest.NewRequest("GET", "/", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			e.srv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("GET /: status %d", w.Code)
			}
		}
	})
}

// TestDashboardSmallModel renders the pages for the small test model, whose function has no
// title and whose source is a model folder: nothing may assume the demo's richness.
func TestDashboardSmallModel(t *testing.T) {
	e := newEnv(t)
	editor := e.browse("editor")
	for _, path := range []string{"/", "/bia", "/bia?sort=risk", "/functions/sales"} {
		r := editor.get(path)
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d; body %.500s", path, r.StatusCode, r.body)
		}
	}
	page := string(editor.get("/functions/sales").body)
	if strings.Contains(page, "Edit impact analysis") || !strings.Contains(page, "managed by the model folder <code>base</code>") {
		t.Errorf("a function managed by a model folder should say so and offer no edit form")
	}
}
