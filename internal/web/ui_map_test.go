package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
	"github.com/perdura/perdura/internal/synth"
)

// mapAnswer is /map/data's JSON as a test reads it.
type mapAnswer struct {
	Elements struct {
		Nodes []struct{ Data mapNode } `json:"nodes"`
		Edges []struct{ Data mapEdge } `json:"edges"`
	} `json:"elements"`
	Meta mapMeta `json:"meta"`
}

func (a mapAnswer) node(id string) *mapNode {
	for i := range a.Elements.Nodes {
		if a.Elements.Nodes[i].Data.ID == id {
			return &a.Elements.Nodes[i].Data
		}
	}
	return nil
}

func getMapData(t *testing.T, b *browser, path string) mapAnswer {
	t.Helper()
	r := b.get(path)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %.500s", path, r.StatusCode, r.body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: Content-Type %q, want application/json", path, ct)
	}
	var a mapAnswer
	r.json(t, &a)
	// Every edge joins two nodes of the answer: Cytoscape refuses anything else.
	ids := map[string]bool{}
	for _, n := range a.Elements.Nodes {
		if ids[n.Data.ID] {
			t.Errorf("GET %s: node %s twice", path, n.Data.ID)
		}
		ids[n.Data.ID] = true
	}
	for _, e := range a.Elements.Edges {
		if !ids[e.Data.Source] || !ids[e.Data.Target] {
			t.Errorf("GET %s: edge %s joins a node not in the answer", path, e.Data.ID)
		}
	}
	return a
}

func TestMapPage(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	r := b.get("/map")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /map: status %d: %.500s", r.StatusCode, r.body)
	}
	body := string(r.body)
	for _, want := range []string{
		`<h1>Dependency map</h1>`,
		`id="map-form"`,
		`id="map" class="map-canvas" role="img" aria-label="Dependency map of the whole estate:`,
		`data-src="/map/data"`,
		`<details id="map-table"`,
		`<option value="service/orders-db">`,
		`href="/services/orders-db">orders-db</a>`,
		`service/storage-san-fra`, `class="warn">False redundancy`,
		`js/map.js`, `vendor/cytoscape-dagre.min.js`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /map: no %q", want)
		}
	}
	if strings.Count(body, "<h1") != 1 {
		t.Errorf("GET /map: %d h1, want 1", strings.Count(body, "<h1"))
	}
}

func TestMapPageFocusAndFailure(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	r := b.get("/map?focus=service/orders-db&depth=2&dir=needs&fail=site/dc-frankfurt")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %.500s", r.StatusCode, r.body)
	}
	body := string(r.body)
	for _, want := range []string{
		`value="service/orders-db"`, // the focus stays in the form
		`data-src="/map/data?dir=needs&amp;fail=site%2Fdc-frankfurt&amp;focus=service%2Forders-db"`,
		`<option value="site/dc-frankfurt" selected>`,              // and the failure
		`href="/services/orders-db-primary">orders-db-primary</a>`, // one link down, through the group
		`href="/services/storage-san-fra">storage-san-fra</a>`,     // two links down
		`with site/dc-frankfurt failed`,                            // the text alternative tells the overlay
		`<span class="bad">failed</span>`,
		`href="/whatif?fail=site%2Fdc-frankfurt"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("no %q", want)
		}
	}
	if strings.Contains(body, `href="/services/storefront">storefront</a>`) {
		t.Error("storefront needs orders-db; with dir=needs it should not be on the map")
	}
}

func TestMapData(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	a := getMapData(t, b, "/map/data")
	if a.Meta.Clustered != "" || a.Meta.Shown != len(a.Elements.Nodes) || a.Meta.Shown > mapMaxNodes {
		t.Errorf("meta %+v for %d nodes: the demo should be drawn whole", a.Meta, len(a.Elements.Nodes))
	}
	db := a.node("service/orders-db")
	if db == nil || db.URL != "/services/orders-db" || db.Tier == nil || *db.Tier != 0 || db.Kind != "service" {
		t.Fatalf("service/orders-db = %+v", db)
	}
	// orders-db's anyOf is a group node between it and its members, flagged: both members
	// need storage-san-fra.
	g := a.node("group:service/orders-db:spec.dependsOn[0]")
	if g == nil || g.Label != "any of 2" || g.Kind != "group" || !strings.Contains(g.Warn, "storage-san-fra") {
		t.Fatalf("orders-db's group = %+v", g)
	}
	kinds := map[string]bool{}
	var toGroup, toPrimary bool
	for _, ed := range a.Elements.Edges {
		kinds[ed.Data.Kind] = true
		toGroup = toGroup || ed.Data.Source == "service/orders-db" && ed.Data.Target == g.ID && ed.Data.Warn
		toPrimary = toPrimary || ed.Data.Source == g.ID && ed.Data.Target == "service/orders-db-primary" && ed.Data.Kind == mapEdgeMember
	}
	if !toGroup || !toPrimary {
		t.Errorf("orders-db → group (warned) %v, group → orders-db-primary (member) %v", toGroup, toPrimary)
	}
	for _, k := range []string{mapEdgeHard, mapEdgeSoft, mapEdgeRunsAt, mapEdgeProvider, mapEdgeFunction, mapEdgeMember} {
		if !kinds[k] {
			t.Errorf("no %s edge on the demo's map", k)
		}
	}
	// A multi-site service runs at a group of its sites.
	if rg := a.node("group:service/redis-cache:spec.runsAt.sites"); rg == nil || rg.Of != 2 || rg.Type != "active-active" {
		t.Errorf("redis-cache's sites = %+v", rg)
	}
}

func TestMapDataFailure(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	a := getMapData(t, b, "/map/data?fail=site/dc-frankfurt")
	if n := a.node("site/dc-frankfurt"); n == nil || n.State != "failed" {
		t.Errorf("site/dc-frankfurt = %+v, want failed", n)
	}
	if n := a.node("service/orders-db-primary"); n == nil || n.State != "down" {
		t.Errorf("service/orders-db-primary = %+v, want down", n)
	}
	states := map[string]int{}
	for _, n := range a.Elements.Nodes {
		states[n.Data.State]++
	}
	if states["down"] == 0 || states["degraded"] == 0 {
		t.Errorf("states %v: a Frankfurt loss takes things down and degrades others", states)
	}
	// Without the overlay nothing has a state.
	a = getMapData(t, b, "/map/data?focus=site/dc-frankfurt&dir=needed-by&depth=1")
	for _, n := range a.Elements.Nodes {
		if n.Data.State != "" {
			t.Errorf("%s: state %q without a failure", n.Data.ID, n.Data.State)
		}
		if n.Data.Kind == "provider" {
			t.Errorf("%s: needed-by from a site reaches no provider", n.Data.ID)
		}
	}
	if n := a.node("site/dc-frankfurt"); n == nil || !n.Focus {
		t.Errorf("the focus = %+v", n)
	}
}

// TestMapDataNewGeneration: the map's graph is kept per model generation; a change to the
// model shows on the next map.
func TestMapDataNewGeneration(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	if a := getMapData(t, b, "/map/data"); a.node("service/order-export") != nil {
		t.Fatal("service/order-export before it is stored")
	}
	doc := []byte(`{"apiVersion": "perdura/v1", "kind": "Service", "metadata": {"name": "order-export", "owner": "team-data"},
		"spec": {"tier": 3, "runsAt": {"sites": ["cloud-eu-west"]}, "dependsOn": [{"service": "orders-db", "impact": "degraded"}]}}`)
	if _, err := e.srv.deps.Catalog.Put(context.Background(), catalog.Actor{User: "test", Door: catalog.DoorAPI}, doc, nil); err != nil {
		t.Fatal(err)
	}
	a := getMapData(t, b, "/map/data?focus=service/order-export&depth=1")
	if n := a.node("service/order-export"); n == nil || n.Tier == nil || *n.Tier != 3 {
		t.Fatalf("service/order-export = %+v after it is stored", n)
	}
	soft := false
	for _, ed := range a.Elements.Edges {
		soft = soft || ed.Data.Source == "service/order-export" && ed.Data.Target == "service/orders-db" && ed.Data.Kind == mapEdgeSoft
	}
	if !soft {
		t.Error("no soft link from order-export to orders-db")
	}
}

func TestMapDataFilters(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	a := getMapData(t, b, "/map/data?tier=0&kind=service")
	for _, n := range a.Elements.Nodes {
		d := n.Data
		if d.Kind != "service" && d.Kind != "group" {
			t.Errorf("%s: kind %s with kind=service", d.ID, d.Kind)
		}
		if d.Tier != nil && *d.Tier > 0 {
			t.Errorf("%s: tier %d with tier=0", d.ID, *d.Tier)
		}
	}
	a = getMapData(t, b, "/map/data?site=dc-amsterdam")
	if a.node("site/dc-frankfurt") != nil {
		t.Error("site=dc-amsterdam still shows dc-frankfurt")
	}
}

func TestMapBadQuery(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")
	for _, tc := range []struct{ query, want string }{
		{"focus=service/nope", "there is no service/nope"},
		{"focus=person/alice", "is not a service, site, provider or business function"},
		{"focus=service/orders-db&depth=0", "depth: &#34;0&#34; is not a number of links from 1 to 10"},
		{"depth=x", "is not a number of links"},
		{"dir=sideways", "expected needs, needed-by or both"},
		{"tier=high", "expected a number from 0 to 9"},
		{"site=mars", "there is no site named &#34;mars&#34;"},
		{"kind=person", "expected function, service, site or provider"},
		{"fail=function/online-sales", "expected service/NAME, site/NAME or provider/NAME"},
		{"fail=site/atlantis", "there is no site/atlantis"},
		{"cluster=colour", "expected site, team, tier or type"},
		{"in=nothing", "expected site:NAME"},
		{"rank=diagonal", "expected LR"},
	} {
		for _, path := range []string{"/map?", "/map/data?"} {
			r := b.get(path + tc.query)
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.body), tc.want) {
				t.Errorf("GET %s%s: status %d, want 400 saying %q; body %.300s", path, tc.query, r.StatusCode, tc.want, between(string(r.body), "<main", "</main>"))
			}
		}
	}
}

// newSynthEnv is a server holding a generated estate of about n services, made acceptable to
// the catalog (lintClean and storeModel are the what-if benchmark's).
func newSynthEnv(t testing.TB, services int) (*env, *model.Model) {
	m := synth.Generate(synth.Config{Seed: 1, Services: services})
	lintClean(t, m)
	return newEnvWith(t, func(t testing.TB, cat *catalog.Catalog) { storeModel(t, cat, m) }), m
}

// TestMapData2k: a 2,000-service estate reaches the browser clustered, and every way into it
// (a cluster's drill-in, a hub's neighbourhood) stays under the limit.
func TestMapData2k(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a 2,000-service estate")
	}
	e, m := newSynthEnv(t, 2000)
	b := e.browse("viewer")
	a := getMapData(t, b, "/map/data")
	if a.Meta.Selected < 2000 || a.Meta.Clustered != "site" || len(a.Elements.Nodes) > mapMaxNodes || a.Meta.Notice == "" {
		t.Fatalf("whole estate: meta %+v, %d nodes: want it clustered by site under %d", a.Meta, len(a.Elements.Nodes), mapMaxNodes)
	}
	// Drill into the largest cluster, then again: each answer stays under the limit.
	path := ""
	for depth := 0; depth < 4; depth++ {
		biggest := 0
		for _, n := range a.Elements.Nodes {
			if n.Data.Kind == "cluster" && !n.Data.Outside && n.Data.Count > biggest && n.Data.Drill != "" {
				biggest, path = n.Data.Count, n.Data.Drill
			}
		}
		if biggest == 0 {
			break
		}
		if !strings.HasPrefix(path, "/map?") {
			t.Fatalf("drill %q is not a map", path)
		}
		a = getMapData(t, b, "/map/data?"+strings.TrimPrefix(path, "/map?"))
		t.Logf("%s: %d selected, %d nodes, clustered by %q", path, a.Meta.Selected, len(a.Elements.Nodes), a.Meta.Clustered)
		if len(a.Elements.Nodes) > mapMaxNodes || a.Meta.Selected > biggest+1 {
			t.Fatalf("%s: %d nodes of %d selected (cluster held %d)", path, len(a.Elements.Nodes), a.Meta.Selected, biggest)
		}
	}
	// A drill-in that is drawn whole shows what its members link to outside it.
	outside := 0
	for _, n := range a.Elements.Nodes {
		if n.Data.Outside {
			outside++
		}
	}
	if a.Meta.Clustered == "" && outside == 0 {
		t.Errorf("%s: no outside clusters", path)
	}
	// The page of a drill-in renders too, with the table of what is drawn.
	if r := b.get(path); r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), `id="map-table"`) || !strings.Contains(string(r.body), `id="map-up"`) {
		t.Fatalf("GET %s: status %d", path, r.StatusCode)
	}
	// The whole estate's page says that it is grouped, and why.
	r := b.get("/map")
	if body := string(r.body); !strings.Contains(body, `id="map-notice"`) || !strings.Contains(body, "grouped by site") {
		t.Errorf("GET /map of 2,000 services: no notice that it is grouped: %.300s", between(body, `class="map-status"`, "</div>"))
	}
	// The most needed service, everything that needs it: clustered, focus kept apart.
	hub := "service/" + largestHub(m)
	a = getMapData(t, b, "/map/data?dir=needed-by&depth=10&focus="+url.QueryEscape(hub))
	if len(a.Elements.Nodes) > mapMaxNodes {
		t.Fatalf("around %s: %d nodes", hub, len(a.Elements.Nodes))
	}
	if n := a.node(hub); n == nil || !n.Focus {
		t.Errorf("around %s: the focus is not a node of its own (meta %+v)", hub, a.Meta)
	}
}

// TestMapClusterSmall runs the clustering on the demo with a small limit: grouped by each
// mode, drilled in through every mode, and, when no mode is left, cut to the best connected.
func TestMapClusterSmall(t *testing.T) {
	e := newDemoEnv(t)
	snap, err := e.srv.deps.Catalog.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	g := buildMapGraph(snap.Model, snap.Estate)
	base, err := parseMapQuery(url.Values{}, snap.Model)
	if err != nil {
		t.Fatal(err)
	}
	const max = 12
	for _, mode := range mapClusterModes {
		q := base
		q.Cluster = mode
		v, err := g.viewMax(snap.Graph, q, max)
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, n := range v.Nodes {
			if n.Kind != "cluster" {
				t.Errorf("cluster=%s: node %s is not a cluster", mode, n.ID)
			}
			total += n.Count
		}
		if v.Clustered != mode || len(v.Nodes) > max || total != v.Selected || v.Notice == "" {
			t.Errorf("cluster=%s: clustered %q, %d nodes, %d objects in clusters of %d selected", mode, v.Clustered, len(v.Nodes), total, v.Selected)
		}
	}
	// Every mode drilled through: what is left (orders-db-primary's cluster in each mode:
	// untiered databases of team-data at Frankfurt) is cut to the best connected, with a
	// notice.
	q := base
	i := g.index["service/orders-db-primary"]
	for _, mode := range mapClusterModes {
		q.In = append(q.In, mode+":"+g.clusterKey(i, mode))
	}
	v, err := g.viewMax(snap.Graph, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v.Selected <= 1 {
		t.Fatalf("in=%v selects %d objects: too few to test", q.In, v.Selected)
	}
	if !v.Truncated || len(v.Nodes) != 1 || !strings.Contains(v.Notice, "best connected") {
		t.Errorf("all modes used: %d of %d shown, truncated %v, notice %q", len(v.Nodes), v.Selected, v.Truncated, v.Notice)
	}
	// A focus with a large neighbourhood keeps the focus as a node of its own.
	q = base
	q.Focus, q.Depth, q.Dir = "site/dc-frankfurt", 10, "needed-by"
	v, err = g.viewMax(snap.Graph, q, max)
	if err != nil {
		t.Fatal(err)
	}
	if v.Clustered == "" || len(v.Nodes) > max || v.Nodes[0].ID != "site/dc-frankfurt" || !v.Nodes[0].Focus {
		t.Errorf("focus dc-frankfurt: clustered %q, %d nodes, first %+v", v.Clustered, len(v.Nodes), v.Nodes[0])
	}
}

// TestMapDataConcurrent: requests share the cached graph; each keeps its own overlay and focus.
// Run with -race.
func TestMapDataConcurrent(t *testing.T) {
	e := newDemoEnv(t)
	secret := e.tokens[auth.RoleViewer]
	paths := []string{"/map/data?fail=site/dc-frankfurt", "/map/data?focus=service/orders-db", "/map/data", "/map/data?fail=site/dc-amsterdam&cluster=team"}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				path := paths[(w+i)%len(paths)]
				req := httptest.NewRequest("GET", path, nil)
				req.Header.Set("Authorization", "Bearer "+secret)
				rec := httptest.NewRecorder()
				e.srv.ServeHTTP(rec, req)
				var a mapAnswer
				if err := json.Unmarshal(rec.Body.Bytes(), &a); rec.Code != http.StatusOK || err != nil {
					errs <- fmt.Sprintf("%s: status %d, %v", path, rec.Code, err)
					continue
				}
				failed := a.node("site/dc-frankfurt").State == "failed"
				if want := strings.Contains(path, "dc-frankfurt"); failed != want {
					errs <- fmt.Sprintf("%s: dc-frankfurt failed = %v, want %v: another request's overlay", path, failed, want)
				}
				if focus := a.node("service/orders-db").Focus; focus != strings.Contains(path, "focus=") {
					errs <- fmt.Sprintf("%s: orders-db focus = %v", path, focus)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

// TestMapBrowser2k draws the map of a 2,000-service estate in Chromium: the whole estate
// (grouped), the largest group's drill-in and everything that needs the most needed service.
// Each must be laid out without a page error and with no more than the page's limit of
// nodes, and the tab must still answer afterwards; the time each drawing took is logged.
func TestMapBrowser2k(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a 2,000-service estate")
	}
	e, m := newSynthEnv(t, 2000)
	// Into the largest group until a map is drawn whole: the most nodes a page lays out.
	drill, a := "", getMapData(t, e.browse("viewer"), "/map/data")
	for a.Meta.Clustered != "" {
		biggest := 0
		for _, n := range a.Elements.Nodes {
			if n.Data.Kind == "cluster" && !n.Data.Outside && n.Data.Count > biggest && n.Data.Drill != "" {
				drill, biggest = n.Data.Drill, n.Data.Count
			}
		}
		if biggest == 0 {
			t.Fatalf("a grouped map with no group to open: %+v", a.Meta)
		}
		a = getMapData(t, e.browse("viewer"), "/map/data?"+strings.TrimPrefix(drill, "/map?"))
	}
	b := newTab(t, e)
	b.open("/map", "#user")
	b.signIn("viewer", "#map")
	for _, p := range []struct{ name, path string }{
		{"map-2k", "/map"},
		{"map-2k-drill", drill},
		{"map-2k-hub", "/map?dir=needed-by&depth=10&focus=" + url.QueryEscape("service/"+largestHub(m))},
	} {
		start := time.Now()
		b.do("draw "+p.path,
			chromedp.Navigate(e.ts.URL+p.path),
			chromedp.WaitReady(chromedp.CSS(`#map[data-ready=true]`)),
		)
		took := time.Since(start)
		if msg := eval[string](b, `document.getElementById("map").dataset.error || ""`); msg != "" {
			t.Errorf("%s: the map was not drawn: %s", p.path, msg)
		}
		n := eval[int](b, `parseInt(document.getElementById("map").dataset.nodes, 10)`)
		if n == 0 || n > mapMaxNodes {
			t.Errorf("%s: %d nodes drawn, want 1 to %d", p.path, n, mapMaxNodes)
		}
		t.Logf("%s: %d nodes drawn in %v (page load and layout)", p.path, n, took.Round(time.Millisecond))
		b.page(p.name)
		// The tab answers, and a keyboard user can pick a node and read about it.
		b.do("pick a node from the list",
			chromedp.WaitEnabled(chromedp.ID("map-pick")),
			chromedp.SetValue(chromedp.ID("map-pick"), eval[string](b, `document.querySelector("#map-pick option[value]:not([value=''])").value`)),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("map-pick").dispatchEvent(new Event("change"))`),
			chromedp.WaitVisible(chromedp.CSS(`#map-panel h2`)),
		)
		b.checkErrors(p.path)
	}
}
