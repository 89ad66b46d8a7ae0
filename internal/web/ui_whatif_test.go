package web

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestWhatIfPage runs the what-if of the demo organisation as a viewer: the bare form, a
// site loss through the URL, the htmx fragment, a scenario, and the refusals.
func TestWhatIfPage(t *testing.T) {
	e := newDemoEnv(t)
	b := e.browse("viewer")

	t.Run("form", func(t *testing.T) {
		r := b.get("/whatif")
		body := string(r.body)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET /whatif: status %d: %.500s", r.StatusCode, body)
		}
		for _, want := range []string{
			`<form id="whatif-form"`, `method="get" action="/whatif"`,
			`<input type="checkbox" id="fail-site/dc-frankfurt" name="fail" value="site/dc-frankfurt">`,
			`<label for="fail-site/dc-frankfurt">dc-frankfurt</label>`,
			`value="provider/payvia"`, `<option value="service/orders-db">`,
			`<option value="site-loss-frankfurt">`, `id="whatif-run"`, `name="for"`,
			`<section id="whatif-results"`, `aria-current="page">What-if`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("GET /whatif lacks %s", want)
			}
		}
		if strings.Contains(body, `id="impacted"`) {
			t.Error("the bare form shows results")
		}
	})

	t.Run("site loss", func(t *testing.T) {
		r := b.get("/whatif?fail=site/dc-frankfurt")
		body := string(r.body)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %.500s", r.StatusCode, body)
		}
		if !strings.Contains(body, `value="site/dc-frankfurt" checked`) {
			t.Error("the failed site is not ticked in the form")
		}
		for _, want := range []string{`<table id="impacted"`, `<canvas id="whatif-chart" role="img" aria-label="`,
			`<script type="application/json" id="whatif-chart-data">`, `href="/map?fail=site/dc-frankfurt"`, `href="/whatif?fail=site/dc-frankfurt"`,
			`id="whatif-functions"`, `id="whatif-misses"`, `js/whatif.js`, `vendor/chart.umd.min.js`} {
			if !strings.Contains(body, want) {
				t.Errorf("site loss page lacks %s", want)
			}
		}
		refs := dataRefs(between(body, `<table id="impacted"`, `</table>`))
		if len(refs) < 5 {
			t.Fatalf("impacted rows %v, want the services of dc-frankfurt", refs)
		}
		if !slicesContains(refs, "service/orders-db") {
			t.Errorf("impacted %v lacks service/orders-db, which runs only in Frankfurt", refs)
		}
		// Rows are sorted by up time, longest first: the chart's data is in the same order.
		var c whatIfChart
		if err := json.Unmarshal([]byte(between(body, `id="whatif-chart-data">`, `</script>`)), &c); err != nil {
			t.Fatalf("chart data: %v", err)
		}
		if len(c.Labels) == 0 || len(c.Labels) != len(c.Up) || len(c.Up) != len(c.RTO) || len(c.Up) != len(c.Status) {
			t.Fatalf("chart data lengths: %d labels, %d up, %d rto, %d status", len(c.Labels), len(c.Up), len(c.RTO), len(c.Status))
		}
		for i := 1; i < len(c.Up); i++ {
			if c.Up[i] > c.Up[i-1] {
				t.Errorf("chart not sorted by up time: %s %d after %s %d", c.Labels[i], c.Up[i], c.Labels[i-1], c.Up[i-1])
			}
		}
		if "service/"+c.Labels[0] != refs[0] {
			t.Errorf("chart starts with %s, table with %s", c.Labels[0], refs[0])
		}
		if os.Getenv("WHATIF_DUMP") != "" {
			os.WriteFile(os.Getenv("WHATIF_DUMP"), r.body, 0o644)
		}
	})

	t.Run("htmx fragment", func(t *testing.T) {
		r := b.send("GET", "/whatif?fail=provider/payvia&for=4h", nil, map[string]string{"HX-Request": "true"})
		body := string(r.body)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %.500s", r.StatusCode, body)
		}
		if !strings.HasPrefix(strings.TrimSpace(body), `<section id="whatif-results"`) || strings.Contains(body, "<html") {
			t.Errorf("htmx answer is not the results fragment: %.300s", body)
		}
		if !strings.Contains(body, "stay down for 4h") {
			t.Error("the duration override is not shown")
		}
		// A history restore wants the whole page.
		r = b.send("GET", "/whatif?fail=provider/payvia", nil, map[string]string{"HX-Request": "true", "HX-History-Restore-Request": "true"})
		if !strings.Contains(string(r.body), "<html") {
			t.Error("history restore did not get the whole page")
		}
	})

	t.Run("scenario", func(t *testing.T) {
		r := b.get("/whatif?scenario=ransomware")
		body := string(r.body)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %.500s", r.StatusCode, body)
		}
		for _, want := range []string{`<option value="ransomware" selected>`, "Scenario: Ransomware", `data-ref="service/erp-db"`, "Its duration, 10d, holds sites and providers down; it fails only services"} {
			if !strings.Contains(body, want) {
				t.Errorf("ransomware page lacks %s", want)
			}
		}
	})

	t.Run("a scenario that holds a site down", func(t *testing.T) {
		body := string(b.get("/whatif?scenario=site-loss-frankfurt").body)
		if !strings.Contains(body, "The sites and providers listed here stay down for 3d, the scenario’s duration") {
			t.Errorf("the page does not say that the scenario holds the site down for its duration: %.600s", between(body, `class="whatif-failed"`, "</div>"))
		}
		body = string(b.get("/whatif?scenario=site-loss-frankfurt&for=1h").body)
		if strings.Contains(body, "the scenario’s duration") || !strings.Contains(body, "stay down for 1h") {
			t.Errorf("with for=1h the page still speaks of the scenario's duration: %.600s", between(body, `class="whatif-failed"`, "</div>"))
		}
	})

	t.Run("a service by bare name", func(t *testing.T) {
		// A plain form submit sends the empty fields too: it is sent to the short URL.
		r := b.get("/whatif?fail=orders-db&fail=&scenario=&for=")
		if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/whatif?fail=orders-db" {
			t.Errorf("form with empty fields: status %d Location %q, want 303 to /whatif?fail=orders-db", r.StatusCode, loc)
		}
		if r := b.get("/whatif?fail=&scenario="); r.Header.Get("Location") != "/whatif" {
			t.Errorf("empty form: Location %q, want /whatif", r.Header.Get("Location"))
		}
		r = b.get("/whatif?fail=orders-db")
		if r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), `data-ref="service/orders-db"`) {
			t.Errorf("bare service name: status %d", r.StatusCode)
		}
		if !strings.Contains(string(r.body), `value="service/orders-db" checked`) {
			t.Error("the chosen service is not listed as ticked")
		}
	})

	bad := []struct {
		query string
		want  []string
	}{
		{"fail=site/dc-frankfrt", []string{`no site named &#34;dc-frankfrt&#34;`, `did you mean &#34;dc-frankfurt&#34;?</li>`}},
		{"fail=service/orders-dbb", []string{`did you mean &#34;orders-db&#34;?`}},
		{"scenario=ransomwar", []string{`no scenario named &#34;ransomwar&#34;`, `did you mean &#34;ransomware&#34;?`}},
		{"fail=function/online-sales", []string{`cannot fail`}},
		{"fail=site/dc-frankfurt&for=4hours", []string{`is not a duration`, `expected a duration such as`}},
		{"fail=site/dc-frankfurt&for=0", []string{`longer than 0`}},
	}
	for _, c := range bad {
		t.Run("400 "+c.query, func(t *testing.T) {
			for _, hx := range []bool{false, true} {
				h := map[string]string{}
				if hx {
					h["HX-Request"] = "true"
				}
				r := b.send("GET", "/whatif?"+c.query, nil, h)
				body := string(r.body)
				if r.StatusCode != http.StatusBadRequest {
					t.Errorf("htmx %v: status %d, want 400", hx, r.StatusCode)
				}
				for _, w := range c.want {
					if !strings.Contains(body, w) {
						t.Errorf("htmx %v: answer lacks %s: %.2000s", hx, w, between(body, `<section id="whatif-results"`, `</section>`))
					}
				}
				if !strings.Contains(body, `role="alert"`) {
					t.Errorf("htmx %v: no alert", hx)
				}
			}
		})
	}

	t.Run("service search", func(t *testing.T) {
		r := b.get("/whatif/services?fail=orders")
		if r.StatusCode != http.StatusOK || !strings.Contains(string(r.body), `<option value="service/orders-db">orders-db</option>`) {
			t.Errorf("service search: status %d, body %.300s", r.StatusCode, r.body)
		}
		if strings.Contains(string(r.body), "<html") {
			t.Error("service search is not a fragment")
		}
	})

	t.Run("signed out", func(t *testing.T) {
		r := e.visitor().get("/whatif?fail=site/dc-frankfurt")
		if r.StatusCode != http.StatusSeeOther {
			t.Errorf("visitor: status %d, want a redirect to the login page", r.StatusCode)
		}
	})
}

var dataRefRE = regexp.MustCompile(`<tr data-ref="([^"]+)"`)

// dataRefs lists the data-ref of each table row, in order.
func dataRefs(html string) []string {
	var out []string
	for _, m := range dataRefRE.FindAllStringSubmatch(html, -1) {
		out = append(out, m[1])
	}
	return out
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
