package binder

import (
	"bytes"
	stdhtml "html"
	"html/template"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/perdura/perdura/examples"
	"github.com/perdura/perdura/internal/model"
)

var generated = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func demo(t *testing.T) *model.Model {
	t.Helper()
	m, problems, err := model.LoadFS(examples.FS, ".")
	if err != nil || len(problems) > 0 {
		t.Fatalf("load the demo: %v %v", err, problems)
	}
	return m
}

func render(t *testing.T, m *model.Model) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, m, Options{Generated: generated, Title: "Northwind Retail", Origin: "examples/"}); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("BINDER_OUT") != "" {
		os.WriteFile(os.Getenv("BINDER_OUT"), buf.Bytes(), 0o644)
	}
	return buf.String()
}

// TestBinderHoldsEverything: every plan, person, team and provider of the demo is in the
// binder, with the cover's date and the stale warning.
func TestBinderHoldsEverything(t *testing.T) {
	m := demo(t)
	html := stdhtml.UnescapeString(render(t, m))
	for _, want := range []string{"2026-03-01 09:00 UTC", "Printed copies go stale", `id="contents"`, `href="#contacts"`, `id="call-trees"`, `id="providers"`} {
		if !strings.Contains(html, want) {
			t.Errorf("binder lacks %q", want)
		}
	}
	for _, p := range m.Plans {
		if !strings.Contains(html, `id="plan-`+p.Metadata.Name+`"`) || !strings.Contains(html, `href="#plan-`+p.Metadata.Name+`"`) {
			t.Errorf("plan %s missing or not in the contents", p.Metadata.Name)
		}
	}
	for _, p := range m.People {
		if !strings.Contains(html, `id="person-`+p.Metadata.Name+`"`) {
			t.Errorf("person %s missing from the contact list", p.Metadata.Name)
		}
		if p.Spec.Phone != "" && !strings.Contains(html, p.Spec.Phone) {
			t.Errorf("phone of %s missing", p.Metadata.Name)
		}
	}
	for _, tm := range m.Teams {
		if !strings.Contains(html, `id="team-`+tm.Metadata.Name+`"`) {
			t.Errorf("team %s missing from the call trees", tm.Metadata.Name)
		}
	}
	for _, p := range m.Providers {
		if !strings.Contains(html, `id="provider-`+p.Metadata.Name+`"`) {
			t.Errorf("provider %s missing", p.Metadata.Name)
		}
		if c := p.Spec.Contract; c != nil && c.ID != "" && !strings.Contains(html, c.ID) {
			t.Errorf("contract id %s of %s missing", c.ID, p.Metadata.Name)
		}
	}
	if n := strings.Count(html, `class="step critical"`); n == 0 {
		t.Error("no step is marked on the critical path")
	}
}

// TestBinderPhonesCall: wherever the binder shows a phone number (contact list, plans, call
// trees, providers), it is a tel: link, so a responder reading it on a phone calls with a tap.
func TestBinderPhonesCall(t *testing.T) {
	html := stdhtml.UnescapeString(render(t, demo(t)))
	linked := regexp.MustCompile(`<a [^>]*href="tel:[^"]*"[^>]*>[^<]*</a>`)
	links := len(linked.FindAllString(html, -1))
	rest := linked.ReplaceAllString(html, "")
	phone := regexp.MustCompile(`\+\d{1,3}(?: \d+){2,}`)
	if left := phone.FindAllString(rest, 5); len(left) > 0 {
		t.Errorf("phone numbers shown without a tel: link: %q", left)
	}
	if links < 100 {
		t.Errorf("%d tel: links; the demo's binder shows hundreds of phone numbers", links)
	}
}

func TestLinkPhones(t *testing.T) {
	for in, want := range map[string]string{
		"Telnord NOC +49 800 555 0400, contract TN-7": `Telnord NOC <a class="nowrap" href="tel:+498005550400">+49 800 555 0400</a>, contract TN-7`,
		"call +1 (555) 010-2000 or +44 20 7946 0958.": `call <a class="nowrap" href="tel:+15550102000">+1 (555) 010-2000</a> or <a class="nowrap" href="tel:+442079460958">+44 20 7946 0958</a>.`,
		"<b>no number</b> & 24/7, 2026-03-01":         `&lt;b&gt;no number&lt;/b&gt; &amp; 24/7, 2026-03-01`,
		`"+49 1" is too short <script>`:               `&#34;+49 1&#34; is too short &lt;script&gt;`,
		// What follows a number is not part of it.
		"Telnord NOC +49 800 555 0400 (24/7)":    `Telnord NOC <a class="nowrap" href="tel:+498005550400">+49 800 555 0400</a> (24/7)`,
		"call +49 800 555 0400 - 24/7":           `call <a class="nowrap" href="tel:+498005550400">+49 800 555 0400</a> - 24/7`,
		"+44 20 7946 0958 2026-03-01":            `<a class="nowrap" href="tel:+442079460958">+44 20 7946 0958</a> 2026-03-01`,
		"+44 20 7946 0958 / +44 20 7946 0959":    `<a class="nowrap" href="tel:+442079460958">+44 20 7946 0958</a> / <a class="nowrap" href="tel:+442079460959">+44 20 7946 0959</a>`,
		"version +1.2.3 and +12 are not numbers": `version +1.2.3 and +12 are not numbers`,
	} {
		if got := string(LinkPhones(in)); got != want {
			t.Errorf("LinkPhones(%q)\n got %s\nwant %s", in, got, want)
		}
	}
}

// TestBinderSelfContained: no script, nothing loaded or linked outside the file.
func TestBinderSelfContained(t *testing.T) {
	html := strings.ToLower(render(t, demo(t)))
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "url(", " src="} {
		if strings.Contains(html, bad) {
			t.Errorf("binder contains %q", bad)
		}
	}
	// And says so to the browser: a binder edited or saved along with other files still loads
	// nothing and runs nothing.
	if !strings.Contains(html, `<meta http-equiv="content-security-policy" content="default-src 'none'; style-src 'unsafe-inline'`) {
		t.Error("the binder has no Content-Security-Policy that forbids loading and running anything")
	}
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(html, -1) {
		h := m[1]
		if !strings.HasPrefix(h, "#") && !strings.HasPrefix(h, "tel:") && !strings.HasPrefix(h, "mailto:") {
			t.Errorf("binder links outside itself: href=%q", h)
		}
		if strings.HasPrefix(h, "#") {
			if id := h[1:]; !strings.Contains(html, `id="`+id+`"`) {
				t.Errorf("in-page link %s has no target", h)
			}
		}
	}
}

// TestBinderDeterministic: the same model and time give the same bytes.
func TestBinderDeterministic(t *testing.T) {
	m := demo(t)
	a, b := render(t, m), render(t, m)
	if a != b {
		t.Fatal("two renders of the same model differ")
	}
	if c := render(t, demo(t)); c != a {
		t.Fatal("renders of two loads of the same model differ")
	}
}

// TestBinderWellFormed checks balanced basics without an HTML parser: every element that
// must be closed is closed as often as opened, and the document has one h1.
func TestBinderWellFormed(t *testing.T) {
	html := render(t, demo(t))
	for _, tag := range []string{"html", "head", "body", "section", "table", "thead", "tbody", "tr", "th", "td", "ol", "ul", "li", "dl", "p", "div", "span", "a", "h2", "h3", "h4", "nav", "header", "footer", "main", "blockquote", "style"} {
		open := len(regexp.MustCompile(`<`+tag+`[\s>]`).FindAllStringIndex(html, -1))
		closed := strings.Count(html, "</"+tag+">")
		if open != closed {
			t.Errorf("<%s>: %d opened, %d closed", tag, open, closed)
		}
	}
	if n := strings.Count(html, "<h1"); n != 1 {
		t.Errorf("%d h1, want 1", n)
	}
	if !strings.HasPrefix(html, "<!doctype html>") {
		t.Errorf("binder does not start with a doctype: %.40q", html)
	}
}

// TestPlanTimeline: earliest starts follow the longest chain of `after`, the critical path is
// PlanPath's, and the verdict compares it with the tightest inherited RTO.
func TestPlanTimeline(t *testing.T) {
	m := demo(t)
	p := m.Plan("backoffice-recovery")
	if p == nil {
		t.Fatal("no plan backoffice-recovery in the demo")
	}
	v := NewPlan(m, NewTargets(m, nil), p, generated)
	got := map[string][2]int64{}
	for _, s := range v.Steps {
		got[s.ID] = [2]int64{s.Start, s.Duration}
	}
	want := map[string][2]int64{
		"assess": {0, 900}, "open-standby": {900, 7200}, "start-wms": {8100, 3600},
		"oms-crm": {900, 1800}, "verify": {11700, 1800},
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("step %s: start, duration = %v, want %v", id, got[id], w)
		}
	}
	if v.Verdict.Total != 13500 {
		t.Errorf("critical path %d s, want 13500 (3h 45m)", v.Verdict.Total)
	}
	for _, s := range v.Steps {
		if wantCrit := s.ID != "oms-crm"; s.Critical != wantCrit {
			t.Errorf("step %s critical = %v, want %v", s.ID, s.Critical, wantCrit)
		}
	}
	if v.Tightest == nil {
		t.Fatal("no tightest RTO for backoffice-recovery")
	}
	text := v.VerdictText()
	if !strings.HasPrefix(text, "The critical path takes 3h 45m; the tightest RTO of what it covers is ") {
		t.Errorf("verdict %q", text)
	}
	if v.Scale < v.Verdict.Total || (v.Verdict.HasRTO && v.Scale < v.Verdict.RTO) {
		t.Errorf("timeline scale %d does not span the path and the RTO", v.Scale)
	}
}

// TestPlanWithoutDurations: a plan with no steps, or steps that give no duration, is unknown
// unless the steps that give one already miss the RTO; it says which.
func TestPlanWithoutDurations(t *testing.T) {
	m := demo(t)
	p := *m.Plan("backoffice-recovery") // tightest RTO 4h
	d := func(s string) *model.Duration { x := model.MustDuration(s); return &x }
	for _, c := range []struct {
		name                  string
		steps                 []model.Step
		fits, misses, unknown bool
		path                  string
	}{
		{"no steps", nil, false, false, true, "unknown: no steps"},
		{"no durations", []model.Step{{ID: "a"}, {ID: "b", After: []string{"a"}}}, false, false, true, "unknown: no step gives a duration"},
		{"some durations", []model.Step{{ID: "a", Duration: d("1m")}, {ID: "b", After: []string{"a"}}}, false, false, true, "at least 1m (1 of 2 steps give no duration)"},
		{"a miss all the same", []model.Step{{ID: "a", Duration: d("5h")}, {ID: "b", After: []string{"a"}}}, false, true, false, "at least 5h (1 of 2 steps give no duration)"},
		{"every duration", []model.Step{{ID: "a", Duration: d("1h")}, {ID: "b", After: []string{"a"}, Duration: d("1h")}}, true, false, false, "2h"},
	} {
		p.Spec.Steps = c.steps
		v := NewPlan(m, NewTargets(m, nil), &p, generated).Verdict
		if v.Fits != c.fits || v.Misses() != c.misses || v.Unknown != c.unknown || v.PathText() != c.path {
			t.Errorf("%s: fits %v misses %v unknown %v path %q, want %v %v %v %q", c.name, v.Fits, v.Misses(), v.Unknown, v.PathText(), c.fits, c.misses, c.unknown, c.path)
		}
		if c.unknown && v.By != 0 {
			t.Errorf("%s: unknown, but By = %d", c.name, v.By)
		}
	}
}

// TestReviewStatus: due is last + every; overdue once the day has passed.
func TestReviewStatus(t *testing.T) {
	every := model.MustDuration("30d")
	last := model.Date{Time: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := &model.Review{Every: &every, Last: &last}
	pp := &people{m: &model.Model{}, cache: map[string]Contact{}}
	for _, tc := range []struct {
		now     time.Time
		overdue bool
		days    int
	}{
		{time.Date(2026, 1, 31, 23, 0, 0, 0, time.UTC), false, 0},
		{time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), true, -1},
		{time.Date(2026, 1, 21, 12, 0, 0, 0, time.UTC), false, 10},
	} {
		got := review(pp, r, tc.now)
		if got.Due != "2026-01-31" || got.Overdue != tc.overdue || got.DaysLeft != tc.days {
			t.Errorf("at %s: due %s overdue %v days %d, want 2026-01-31 %v %d", tc.now, got.Due, got.Overdue, got.DaysLeft, tc.overdue, tc.days)
		}
	}
}

func TestDur(t *testing.T) {
	for secs, want := range map[int64]string{0: "0", 45: "45s", 900: "15m", 16200: "4h 30m", 19800: "5h 30m", 86400 * 2: "2d", -5400: "-1h 30m",
		// Nothing is rounded away: 1d 20m is not 1d, and 7d 23h is not 1w.
		86400 + 1200: "1d 20m", 7*86400 - 3600: "6d 23h", 8*86400 - 3600: "7d 23h", 90061: "1d 1h 1m 1s",
		// Weeks only for whole weeks, as the format writes them.
		7 * 86400: "1w", 14 * 86400: "2w", 10 * 86400: "10d"} {
		if got := Dur(secs); got != want {
			t.Errorf("Dur(%d) = %q, want %q", secs, got, want)
		}
	}
}

// TestImports keeps the binder a domain package: it renders a model, it does not serve or
// store one.
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "net/http" || dep == "database/sql" || strings.HasPrefix(dep, "github.com/perdura/perdura/internal/web") || strings.HasPrefix(dep, "github.com/perdura/perdura/internal/sqlstore") {
			t.Errorf("the binder depends on %s", dep)
		}
	}
}

// FuzzLinkPhones: whatever the text, the links LinkPhones adds change nothing a reader sees
// (the text without the tags, unescaped, is the input), and every link is a tel: link.
func FuzzLinkPhones(f *testing.F) {
	for _, s := range []string{"Telnord NOC +49 800 555 0400 (24/7)", "+1 (555) 010-2000", "<b>&amp;</b>", "++49 (((1)))", "+44 20 7946 0958 2026-03-01"} {
		f.Add(s)
	}
	tag := regexp.MustCompile(`</?a[^>]*>`)
	href := regexp.MustCompile(`href="([^"]*)"`)
	f.Fuzz(func(t *testing.T, text string) {
		out := string(LinkPhones(text))
		if got := stdhtml.UnescapeString(tag.ReplaceAllString(out, "")); got != stdhtml.UnescapeString(template.HTMLEscapeString(text)) {
			t.Fatalf("LinkPhones(%q) reads %q", text, got)
		}
		for _, m := range href.FindAllStringSubmatch(out, -1) {
			if !regexp.MustCompile(`^tel:\+\d{7,15}$`).MatchString(m[1]) {
				t.Fatalf("LinkPhones(%q): link %q", text, m[1])
			}
		}
	})
}

// BenchmarkWrite renders the demo's binder: every plan, contact and call tree.
//
//	go test ./internal/binder -run '^$' -bench Write -benchtime 50x
func BenchmarkWrite(b *testing.B) {
	m, problems, err := model.LoadFS(examples.FS, ".")
	if err != nil || len(problems) > 0 {
		b.Fatalf("load the demo: %v %v", err, problems)
	}
	for b.Loop() {
		if err := Write(io.Discard, m, Options{Generated: generated, Title: "Northwind Retail"}); err != nil {
			b.Fatal(err)
		}
	}
}
