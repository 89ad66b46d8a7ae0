package web

import (
	"github.com/chromedp/chromedp"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/synth"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestCatalogLists opens every list of the catalog for the demo and checks its rows, search,
// filters and refusals.
func TestCatalogLists(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	for _, c := range []struct {
		path      string
		want      []string // substrings of the page
		wantNot   []string
		wantCount int // rows; -1 = any
	}{
		{"/services", []string{`id="catalog-list"`, `<tr data-ref="service/orders-db">`, `name="q" id="q"`, `aria-current="page">Services`}, nil, 63},
		{"/services?q=orders", []string{`data-ref="service/orders-db"`, `data-ref="service/orders-db-replica"`}, []string{`data-ref="service/dns"`}, -1},
		{"/services?q=ORDERS+database", []string{`data-ref="service/orders-db"`}, nil, -1},
		{"/services?tier=0", []string{`data-ref="service/orders-db"`}, []string{`data-ref="service/orders-db-primary"`}, -1},
		{"/services?site=dc-frankfurt", []string{`data-ref="service/orders-db-primary"`}, nil, -1},
		{"/services?owner=team-data&type=database", []string{`data-ref="service/orders-db"`}, nil, -1},
		{"/services?managed=folder%3Ademo", []string{`data-ref="service/orders-db"`}, nil, 63},
		{"/services?managed=perdura", []string{"No services match"}, nil, 0},
		{"/services?misses=1", []string{`data-ref="service/checkout"`}, []string{`data-ref="service/dns"`}, -1},
		{"/services?sort=worst&tier=0", []string{`data-ref="service/checkout"`}, nil, -1},
		{"/services?needs=orders-db", []string{`data-ref="service/checkout"`, `data-ref="service/order-management"`}, nil, 2},
		{"/services?findings=1", nil, nil, -1},
		{"/sites", []string{`data-ref="site/dc-frankfurt"`, `data-ref="site/dc-amsterdam"`}, nil, -1},
		{"/providers", []string{`data-ref="provider/nimbus-cloud"`, `data-ref="provider/payvia"`}, nil, 4},
		{"/providers?criticality=critical", nil, nil, -1},
		{"/people", []string{`data-ref="person/marta-keller"`, "Marta Keller", `href="tel:&#43;49695551001"`, `href="mailto:marta.keller@northwind-retail.example"`}, nil, 15},
		{"/people?team=team-crisis", []string{`data-ref="person/marta-keller"`}, []string{`data-ref="person/lena-fischer"`}, 5},
		{"/people?reach=phone", []string{`data-ref="person/marta-keller"`}, nil, -1},
		{"/services?owner=team-nobody", []string{"No services match"}, nil, 0},
		{"/teams", []string{`data-ref="team/team-crisis"`, `data-ref="team/team-data"`}, nil, 5},
		{"/scenarios", []string{`data-ref="scenario/site-loss-frankfurt"`, `/whatif?scenario=site-loss-frankfurt`}, nil, 4},
	} {
		r := b.get(c.path)
		body := string(r.body)
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d; body %.300s", c.path, r.StatusCode, body)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q", c.path, w)
			}
		}
		for _, w := range c.wantNot {
			if strings.Contains(body, w) {
				t.Errorf("GET %s: has %q, want it filtered out", c.path, w)
			}
		}
		if n := strings.Count(body, "<tr data-ref="); c.wantCount >= 0 && n != c.wantCount {
			t.Errorf("GET %s: %d rows, want %d", c.path, n, c.wantCount)
		}
	}
	// Sorted by the worst single failure, the service that is down longest comes first.
	r0 := string(b.get("/services?sort=worst&tier=0").body)
	if first := between(r0, `<tr data-ref="`, `"`); first != "service/checkout" && first != "service/orders-db" {
		t.Errorf("sort=worst: the first row is %s, want a service down 5d", first)
	}
	// The filter form swaps only the results for htmx.
	r := b.send("GET", "/services?q=orders", nil, map[string]string{"HX-Request": "true", "HX-Target": "catalog-results"})
	if body := string(r.body); r.StatusCode != 200 || strings.Contains(body, "<html") || !strings.Contains(body, `id="catalog-results"`) {
		t.Errorf("htmx GET /services: status %d, want the results fragment; body %.300s", r.StatusCode, body)
	}
	for _, bad := range []string{"/services?tier=9", "/services?site=nowhere", "/services?page=0", "/services?page=x", "/services?page=5",
		"/services?misses=maybe", "/services?needs=nothing", "/services?sort=colour", "/providers?expires=soon", "/people?reach=pigeon", "/findings?severity=fatal"} {
		r := b.get(bad)
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 400", bad, r.StatusCode)
		}
	}
}

// TestCatalogServicePage checks what the service page shows of the engine's analysis.
func TestCatalogServicePage(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	r := b.get("/services/orders-db")
	body := string(r.body)
	if r.StatusCode != 200 {
		t.Fatalf("status %d: %.300s", r.StatusCode, body)
	}
	for _, w := range []string{
		"<h1>", "Orders database", `href="/teams/team-data"`, "Inherited RTO", "Achievable RPO", "replication",
		"nightly-full", "any of", `href="/services/orders-db-primary"`, // a redundancy group with its members
		"What needs it", "If it fails", `/whatif?fail=service%2Forders-db`,
		`href="/plans/orders-db-recovery"`, "Managed by the folder", "demo",
		`href="/services/orders-db/history"`,
	} {
		if !strings.Contains(body, w) {
			t.Errorf("service page: no %q", w)
		}
	}
	if strings.Contains(body, "/services/orders-db/edit") {
		t.Error("service page: an edit link on a service the demo folder manages")
	}
	if n := strings.Count(body, "<h1"); n != 1 {
		t.Errorf("service page: %d h1, want 1", n)
	}
	if r := b.get("/services/no-such-service"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown service: status %d, want 404", r.StatusCode)
	}
}

// TestCatalogObjectPages opens the page of one object of every other kind.
func TestCatalogObjectPages(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	for path, want := range map[string][]string{
		"/sites/dc-frankfurt":            {"Data centre Frankfurt", "What runs here", `href="/services/orders-db-primary"`, "If the site is lost", `/whatif?fail=site%2Fdc-frankfurt`},
		"/sites/dc-amsterdam":            {"What takes it down", "its own loss, or the failure of", `href="/providers/eurocolo"`, `/whatif?fail=provider%2feurocolo`},
		"/providers/nimbus-cloud":        {"Contract", "Fiona Walsh", "tel:&#43;35387", "If the provider fails", `/whatif?fail=provider%2Fnimbus-cloud`},
		"/people/marta-keller":           {"Marta Keller", "tel:&#43;49695551001", `href="/people/jonas-weber"`, "Deputy for", `href="/teams/team-crisis"`, "Roles in plans"},
		"/teams/team-crisis":             {"Crisis management team", "Members, in call order", `href="/people/marta-keller"`, "15m", `person</span>&#8239;Marta Keller</a>`},
		"/scenarios/site-loss-frankfurt": {"Loss of the Frankfurt data centre", `href="/sites/dc-frankfurt"`, "3d", "/whatif?scenario=site-loss-frankfurt", "Its impact"},
	} {
		r := b.get(path)
		body := string(r.body)
		if r.StatusCode != 200 {
			t.Errorf("GET %s: status %d: %.300s", path, r.StatusCode, body)
			continue
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: no %q", path, w)
			}
		}
	}
	for _, p := range []string{"/sites/nowhere", "/providers/nobody", "/people/nobody", "/teams/none", "/scenarios/none"} {
		if r := b.get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, r.StatusCode)
		}
	}
	// A business function is edited in Perdura: its history says so; an editor sees the
	// edit link on a web-managed object, a viewer does not.
	r := b.get("/functions/online-sales/history")
	if r.StatusCode != 200 || !strings.Contains(string(r.body), "Revision 1") && !strings.Contains(string(r.body), "revision 1") {
		t.Errorf("function history: status %d; body %.300s", r.StatusCode, r.body)
	}
}

// setLossPerHour changes a business function's loss per hour through the API, as an editor,
// which makes a new revision of it.
func setLossPerHour(t testing.TB, e *env, function string, loss int) {
	t.Helper()
	ed := e.as("editor")
	var doc struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Metadata   map[string]any `json:"metadata"`
		Spec       map[string]any `json:"spec"`
	}
	g := ed.do("GET", "/api/v1/functions/"+function, nil, nil)
	g.json(t, &doc)
	doc.Spec["lossPerHour"] = loss
	if r := ed.do("PUT", "/api/v1/functions/"+function, doc, map[string]string{"If-Match": g.Header.Get("ETag")}); r.StatusCode != 200 {
		t.Fatalf("update the function: status %d; body %s", r.StatusCode, r.body)
	}
}

// TestCatalogHistory changes an object and looks at the diff between its revisions.
func TestCatalogHistory(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	r := b.get("/services/orders-db/history")
	if r.StatusCode != 200 || !strings.Contains(string(r.body), `id="revisions"`) {
		t.Fatalf("history: status %d; body %.300s", r.StatusCode, r.body)
	}
	// One revision: the document as it was created.
	if !strings.Contains(string(r.body), "orders-db") {
		t.Errorf("history of a new object: no document shown")
	}
	for _, bad := range []string{"?from=x", "?to=99", "?from=-1"} {
		if r := b.get("/services/orders-db/history" + bad); r.StatusCode != http.StatusBadRequest {
			t.Errorf("history%s: status %d, want 400", bad, r.StatusCode)
		}
	}
	if r := b.get("/services/no-such/history"); r.StatusCode != http.StatusNotFound {
		t.Errorf("history of nothing: status %d, want 404", r.StatusCode)
	}
	// Change a web-managed business function through the API: the history diffs the two.
	setLossPerHour(t, e, "online-sales", 99999)
	r = b.get("/functions/online-sales/history")
	body := string(r.body)
	for _, w := range []string{`<span class="diff-add">&#43;  lossPerHour: 99999</span>`, `<span class="diff-del">-  lossPerHour: 32000</span>`, "Changes from revision 1 to 2"} {
		if !strings.Contains(body, w) {
			t.Errorf("history after a change: no %q; body %s", w, between(body, "<pre", "</pre>"))
		}
	}
	if r := b.get("/functions/online-sales/history?from=2&to=1"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("from after to: status %d, want 400", r.StatusCode)
	}
	if r := b.get("/functions/online-sales/history?from=1&to=1"); r.StatusCode != 200 {
		t.Errorf("one revision on both sides: status %d", r.StatusCode)
	}
}

// TestCatalogFindings checks the findings page counts and filters.
func TestCatalogFindings(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	r := b.get("/findings")
	body := string(r.body)
	if r.StatusCode != 200 || !strings.Contains(body, "/findings?severity=error") || !strings.Contains(body, `id="findings-list"`) {
		t.Fatalf("findings: status %d; body %.500s", r.StatusCode, body)
	}
	r = b.get("/findings?severity=warning")
	if strings.Contains(string(r.body), `<span class="sev sev-info">info</span></td>`) {
		t.Error("findings?severity=warning lists an info finding")
	}
	// A rule with no findings now (a dashboard link made before an edit) lists nothing.
	if r := b.get("/findings?rule=no-such-rule"); r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), "No findings match") {
		t.Errorf("a rule without findings: status %d, want 200 and an empty list", r.StatusCode)
	}
	for _, bad := range []string{"/findings?rule=a%20b", "/findings?kind=thing", "/findings?page=2"} {
		if r := b.get(bad); r.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 400", bad, r.StatusCode)
		}
	}
	r = b.get("/findings?kind=service&rule=rto-unmet")
	if body := string(r.body); r.StatusCode != 200 || !strings.Contains(body, `data-ref="service/checkout" data-rule="rto-unmet"`) || strings.Contains(body, `data-rule="single-point-of-failure"`) {
		t.Errorf("findings of one rule and kind: status %d; body %.300s", r.StatusCode, between(body, `id="findings-list"`, "</table>"))
	}
}

// BenchmarkCatalog10k renders the catalog's pages for a synthetic estate of 10,000 services:
// the lists page by 100 rows, and the object pages read the per-generation index.
//
//	go test ./internal/web -run '^$' -bench BenchmarkCatalog10k -benchtime 10x
func BenchmarkCatalog10k(b *testing.B) {
	m := synth.Generate(synth.Config{Seed: 1, Services: 10000})
	lintClean(b, m)
	e := newEnvWith(b, func(t testing.TB, cat *catalog.Catalog) { storeModel(t, cat, m) })
	secret := e.tokens[auth.RoleViewer]
	hub := largestHub(m)
	for _, c := range []struct{ name, path string }{
		{"services", "/services"},
		{"services-search", "/services?q=" + url.QueryEscape(hub[:3]) + "&misses=1"},
		{"services-page-50", "/services?page=50"},
		{"service-hub", "/services/" + hub},
		{"site", "/sites/" + m.Sites[0].Metadata.Name},
		{"findings", "/findings"},
	} {
		get := func() {
			req := httptest.NewRequest("GET", c.path, nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			w := httptest.NewRecorder()
			e.srv.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("GET %s: status %d: %.500s", c.path, w.Code, w.Body)
			}
		}
		get() // the first request compiles, sweeps and indexes the stored generation
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				get()
			}
		})
	}
}

// TestCatalogBrowser opens every catalog page in Chromium, checks it with axe-core, and
// filters the services list live as a user types (htmx swaps the results).
func TestCatalogBrowser(t *testing.T) {
	e := newDemoEnv(t)
	setLossPerHour(t, e, "online-sales", 35000) // the history page then shows a diff
	b := newTab(t, e)
	b.open("/", "#user")
	b.signIn("editor", ".who .role")
	for _, p := range []struct{ name, path, wait string }{
		{"catalog-services", "/services", "#catalog-list"},
		{"catalog-sites", "/sites", "#catalog-list"},
		{"catalog-providers", "/providers", "#catalog-list"},
		{"catalog-people", "/people", "#catalog-list"},
		{"catalog-teams", "/teams", "#catalog-list"},
		{"catalog-scenarios", "/scenarios", "#catalog-list"},
		{"catalog-service", "/services/orders-db", "h1"},
		{"catalog-service-web", "/services/checkout", "h1"},
		{"catalog-site", "/sites/dc-frankfurt", "h1"},
		{"catalog-provider", "/providers/nimbus-cloud", "h1"},
		{"catalog-person", "/people/marta-keller", "h1"},
		{"catalog-team", "/teams/team-crisis", "h1"},
		{"catalog-scenario", "/scenarios/site-loss-frankfurt", "h1"},
		{"catalog-history", "/functions/online-sales/history", "#revisions"},
		{"catalog-findings", "/findings", "#findings-list"},
	} {
		b.open(p.path, p.wait)
		b.page(p.name)
	}
	// Typing in the search box filters the list in place, and the address follows.
	b.open("/services", "#catalog-list")
	b.do("search for orders", chromedp.SendKeys(chromedp.ID("q"), "orders-db"),
		chromedp.WaitNotPresent(chromedp.CSS(`tr[data-ref="service/dns"]`)))
	if n := eval[int](b, `document.querySelectorAll("#catalog-list tbody tr").length`); n != 3 {
		t.Errorf("after typing orders-db: %d rows, want 3", n)
	}
	if u := eval[string](b, `location.search`); !strings.Contains(u, "q=orders-db") {
		t.Errorf("after typing, the address is %q, want q=orders-db in it", u)
	}
	b.checkErrors("live search")
}

// TestCatalogEditLink shows the Edit link on an object edited in Perdura to a role that may
// edit, and to no one on an object a source folder manages.
func TestCatalogEditLink(t *testing.T) {
	e := newDemoEnv(t)
	if r := e.as(auth.RoleEditor).do("POST", "/api/v1/sites", site("dc-berlin", "1d"), nil); r.StatusCode != http.StatusCreated {
		t.Fatalf("create a site: status %d; body %s", r.StatusCode, r.body)
	}
	for role, want := range map[string]bool{"viewer": false, "editor": true} {
		b := e.browse(role)
		body := string(b.get("/sites/dc-berlin").body)
		if !strings.Contains(body, "Edited in Perdura") {
			t.Errorf("%s: a site made through the API does not say it is edited in Perdura", role)
		}
		if got := strings.Contains(body, `href="/sites/dc-berlin/edit"`); got != want {
			t.Errorf("%s: edit link shown %v, want %v", role, got, want)
		}
		if strings.Contains(string(b.get("/sites/dc-frankfurt").body), "/edit\"") {
			t.Errorf("%s: an edit link on a site the demo folder manages", role)
		}
	}
	// A site without services: nothing runs there and its loss harms nothing.
	body := string(e.browse("viewer").get("/sites/dc-berlin").body)
	if !strings.Contains(body, "Nothing else goes down") {
		t.Errorf("an empty site's impact: %s", between(body, `id="impact-h"`, "</section>"))
	}
}

// TestCatalogPages pages through a list longer than one page.
func TestCatalogPages(t *testing.T) {
	m := synth.Generate(synth.Config{Seed: 1, Services: 250})
	lintClean(t, m)
	e := newEnvWith(t, func(t testing.TB, cat *catalog.Catalog) { storeModel(t, cat, m) })
	b := e.browse("viewer")
	r := b.get("/services")
	body := string(r.body)
	if n := strings.Count(body, "<tr data-ref="); r.StatusCode != 200 || n != 100 {
		t.Fatalf("page 1: status %d, %d rows, want 100", r.StatusCode, n)
	}
	if !strings.Contains(body, `href="/services?page=2" rel="next"`) || strings.Contains(body, `rel="prev"`) {
		t.Errorf("page 1: want a next link and no previous; got %s", between(body, `class="pager"`, "</nav>"))
	}
	r = b.get("/services?page=3")
	body = string(r.body)
	if n := strings.Count(body, "<tr data-ref="); n != 50 || !strings.Contains(body, "Showing 201–250 of 250") || !strings.Contains(body, `href="/services?page=2" rel="prev"`) {
		t.Errorf("page 3: %d rows, want 50, with a previous link; %s", n, between(body, `class="count"`, "</p>"))
	}
	if r := b.get("/services?page=4"); r.StatusCode != http.StatusBadRequest {
		t.Errorf("page 4 of 3: status %d, want 400", r.StatusCode)
	}
}
