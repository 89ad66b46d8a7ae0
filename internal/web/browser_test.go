package web

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	stdhtml "html"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/model"
)

// The browser tests drive the real UI in headless Chromium (Debian's chromium package, which
// .ci/run installs): sign in, the dashboard, a what-if of a site loss checked against the
// engine, editing a business function's impact table, downloading the binder, the map. Every
// main page is checked with axe-core (no serious or critical violations), must run without a
// JavaScript error or a Content-Security-Policy refusal, and is saved as a screenshot in
// $PERDURA_ARTIFACTS/screenshots (default: a folder under the system's temp dir).

//go:embed testdata/axe.min.js
var axeSource string

// chromium finds the browser: $PERDURA_CHROMIUM, or chromium / chromium-browser / google-chrome
// on the PATH. Without one the test is skipped, unless CI is set: then it fails, so that a
// CI machine without a browser cannot pass by skipping.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("PERDURA_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no Chromium found (CI is set, so the browser tests may not be skipped): install Debian's chromium package or set PERDURA_CHROMIUM")
	}
	t.Skip("no Chromium found: install Debian's chromium package or set PERDURA_CHROMIUM to run the browser tests")
	return ""
}

// tab is one browser tab on a test server, collecting the page errors it sees.
type tab struct {
	t     *testing.T
	ctx   context.Context
	e     *env
	shots string

	mu     sync.Mutex
	errors []string
}

func newTab(t *testing.T, e *env) *tab {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancel)

	shots := os.Getenv("PERDURA_ARTIFACTS")
	if shots == "" {
		shots = filepath.Join(os.TempDir(), "perdura-artifacts")
	}
	shots = filepath.Join(shots, "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &tab{t: t, ctx: ctx, e: e, shots: shots}
	// Uncaught exceptions and error-level console entries (a CSP refusal is one) fail the
	// test at the next check.
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.addError((&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *log.EventEntryAdded:
			// A form refused with 422 is the page working as it should; the browser logs the
			// status as an error all the same.
			if ev.Entry.Level == log.EntryLevelError && !(ev.Entry.Source == log.EntrySourceNetwork && strings.Contains(ev.Entry.Text, "status of 4")) {
				b.addError(fmt.Sprintf("console %s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	})
	if err != nil {
		t.Fatalf("start Chromium (%s): %v", path, err)
	}
	return b
}

func (b *tab) addError(s string) {
	b.mu.Lock()
	b.errors = append(b.errors, s)
	b.mu.Unlock()
}

// checkErrors fails the test for every page error seen since the last check.
func (b *tab) checkErrors(where string) {
	b.t.Helper()
	b.mu.Lock()
	errs := b.errors
	b.errors = nil
	b.mu.Unlock()
	for _, e := range errs {
		b.t.Errorf("%s: page error: %s", where, e)
	}
}

// do runs browser actions, failing the test with what it was doing. Each call has 30 s: a
// selector that never appears fails the step rather than the whole run's deadline.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to a path of the test server and waits for the selector.
func (b *tab) open(path, waitFor string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.e.ts.URL+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

// eval runs JavaScript in the page and decodes its result.
func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %.80s: %v", expr, err)
	}
	return v
}

// shot saves a screenshot of the whole page as NAME.png.
func (b *tab) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	p := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
}

// axeViolation is what the accessibility check reports.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// accessible runs axe-core on the page and fails on serious or critical violations.
func (b *tab) accessible(where string) {
	b.t.Helper()
	if !eval[bool](b, `typeof axe !== "undefined"`) {
		if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			b.t.Fatalf("inject axe-core: %v", err)
		}
	}
	res := eval[string](b, `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(
		r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))))`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(res), &vs); err != nil {
		b.t.Fatalf("axe result: %v: %s", err, res)
	}
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			b.t.Errorf("%s: accessibility (%s) %s: %s; at %v", where, v.Impact, v.ID, v.Help, v.Nodes)
		} else {
			b.t.Logf("%s: accessibility (%s) %s: %s", where, v.Impact, v.ID, v.Help)
		}
	}
}

// signIn signs in as the test user of a role through the login form the tab shows, and
// waits for the selector on the page it lands on.
func (b *tab) signIn(role, waitFor string) {
	b.t.Helper()
	b.do("sign in as "+role,
		chromedp.SendKeys(chromedp.ID("user"), role),
		chromedp.SendKeys(chromedp.ID("password"), password(role)),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.CSS(waitFor)),
	)
}

// page checks a page the usual way: no page errors, accessible, and a screenshot.
func (b *tab) page(name string) {
	b.t.Helper()
	b.accessible(name)
	b.shot(name)
	b.checkErrors(name)
}

// TestBrowser walks through the UI as a continuity manager (an editor) would.
func TestBrowser(t *testing.T) {
	e := newDemoEnv(t)
	b := newTab(t, e)

	// Signing in: the dashboard sends a visitor to the login page and back.
	b.open("/", "#user")
	b.page("login")
	b.signIn("editor", "#functions")
	if role := eval[string](b, `document.querySelector(".who .role").textContent`); role != "editor" {
		t.Errorf("the role shown is %q, want editor", role)
	}
	b.page("dashboard")

	snap, err := e.srv.deps.Catalog.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	t.Run("what-if of a site loss", func(t *testing.T) {
		b.t = t
		b.open("/whatif", "#whatif-form")
		b.do("fail dc-frankfurt",
			chromedp.Click(chromedp.CSS(`input[name=fail][value="site/dc-frankfurt"]`)),
			chromedp.Click(chromedp.ID("whatif-run")),
			chromedp.WaitVisible(chromedp.CSS(`#impacted tbody tr[data-ref]`)),
			chromedp.WaitReady(chromedp.CSS(`#whatif-chart[data-ready=true]`)),
		)
		got := eval[[]string](b, `[...document.querySelectorAll("#impacted tbody tr[data-ref]")].map(r => r.dataset.ref)`)
		imp, err := snap.Graph.Impact(analysis.Failure{Sites: []string{"dc-frankfurt"}})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, s := range imp.Services {
			want = append(want, "service/"+s.Name)
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("impacted services listed:\n got %v\nwant %v (the engine's answer)", got, want)
		}
		if loc := eval[string](b, `location.search`); !strings.Contains(loc, "dc-frankfurt") {
			t.Errorf("the what-if's URL %q does not hold the failure: it cannot be shared", loc)
		}
		b.page("whatif")
	})

	t.Run("edit a business function's impact table", func(t *testing.T) {
		b.t = t
		fn := snap.Model.Functions[0]
		name := fn.Metadata.Name
		rows := len(fn.Spec.Impact)
		b.open("/functions/"+name+"/edit", "#edit-form")
		// A duration the loader refuses is shown next to its field, and nothing is stored.
		b.do("add a row with a bad duration",
			chromedp.Click(chromedp.CSS(`button[name=op][value=add-row]`)),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`input[name=impact-after-%d]`, rows))),
			chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`input[name=impact-after-%d]`, rows)), "3 weeks"),
			chromedp.Click(chromedp.ID("save")),
			chromedp.WaitVisible(chromedp.CSS(`.field-error`)),
		)
		if inv := eval[bool](b, fmt.Sprintf(`document.querySelector("input[name=impact-after-%d]").getAttribute("aria-invalid") === "true"`, rows)); !inv {
			t.Errorf("the bad duration's field is not marked aria-invalid")
		}
		b.page("edit-error")
		b.do("correct it and save",
			chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`input[name=impact-after-%d]`, rows)), "3w"),
			chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`select[name=impact-level-%d]`, rows)), "severe"),
			chromedp.SendKeys(chromedp.CSS(fmt.Sprintf(`input[name=impact-note-%d]`, rows)), "customers leave for good"),
			chromedp.Click(chromedp.ID("save")),
			chromedp.WaitVisible(chromedp.ID("impact-table")),
		)
		obj, err := e.srv.deps.Catalog.Get(context.Background(), model.KindBusinessFunction, name)
		if err != nil {
			t.Fatal(err)
		}
		if obj.Door != "web" || obj.UpdatedBy != "editor" || !strings.Contains(string(obj.Document), "customers leave for good") {
			t.Errorf("stored function after the edit: door %q by %q, document %s", obj.Door, obj.UpdatedBy, obj.Document)
		}
		if n := eval[int](b, `document.querySelectorAll("#impact-table tbody tr").length`); n != rows+1 {
			t.Errorf("the function's page shows %d impact rows, want %d", n, rows+1)
		}
		b.do("wait for the chart", chromedp.WaitReady(chromedp.CSS(`#impact-chart[data-ready=true]`)))
		b.page("function")
	})

	binderFile := filepath.Join(t.TempDir(), "binder.html") // where the downloaded binder is kept
	t.Run("download the binder", func(t *testing.T) {
		b.t = t
		dir := t.TempDir()
		if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: new(true),
		}); err != nil {
			t.Fatal(err)
		}
		progress := chromedp.BrowserEvents(b.ctx, cdpbrowser.DownloadProgress)
		b.open("/plans", "#binder-download")
		b.page("plans")
		b.do("click the binder link", chromedp.Click(chromedp.ID("binder-download")))
		var file string
		for ev, err := range progress {
			if err != nil {
				t.Fatal(err)
			}
			if ev.State == cdpbrowser.DownloadProgressStateCompleted {
				file = filepath.Join(dir, ev.GUID)
				break
			}
			if ev.State == cdpbrowser.DownloadProgressStateCanceled {
				t.Fatal("the binder download was cancelled")
			}
		}
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		// Saved under its download name, as a responder's browser would keep it.
		saved := binderFile
		if err := os.WriteFile(saved, body, 0o644); err != nil {
			t.Fatal(err)
		}
		html := stdhtml.UnescapeString(string(body))
		if strings.Contains(strings.ToLower(html), "<script") {
			t.Error("the binder holds a script: it must work with scripts off")
		}
		for _, p := range snap.Model.Plans {
			if !strings.Contains(html, p.Metadata.Name) {
				t.Errorf("the binder lacks plan %s", p.Metadata.Name)
			}
		}
		for _, p := range snap.Model.People {
			if p.Spec.Phone != "" && !strings.Contains(html, p.Spec.Phone) {
				t.Errorf("the binder lacks %s's phone %s", p.Metadata.Name, p.Spec.Phone)
			}
		}
		// The binder opened from disk, as a responder would when Perdura is down.
		b.do("open the binder offline", chromedp.Navigate("file://"+saved), chromedp.WaitVisible(chromedp.CSS("h1")))
		b.page("binder")
	})

	t.Run("main pages", func(t *testing.T) {
		b.t = t
		plan := snap.Model.Plans[0].Metadata.Name
		for _, p := range []struct{ name, path, wait string }{
			{"services", "/services", "#catalog-list"},
			{"service", "/services/orders-db", "h1"},
			{"bia", "/bia", "h1"},
			{"plan", "/plans/" + plan, "#timeline"},
			{"findings", "/findings", "h1"},
		} {
			b.open(p.path, p.wait)
			b.page(p.name)
		}
		b.open("/map", "#map")
		b.do("lay out the map", chromedp.WaitReady(chromedp.CSS(`#map[data-ready=true]`)))
		if n := eval[string](b, `document.getElementById("map").dataset.nodes`); n == "" || n == "0" {
			t.Errorf("the map drew %q nodes", n)
		}
		b.page("map")
	})

	t.Run("print", func(t *testing.T) {
		b.t = t
		// What a printed page leaves out (navigation, forms, buttons) and keeps, with the
		// browser in print mode; the PDF is kept with the screenshots to look at.
		plan := snap.Model.Plans[0].Metadata.Name
		for _, p := range []struct{ name, path, keep string }{
			{"dashboard-print", "/", "#functions"},
			{"plan-print", "/plans/" + plan, "#timeline"},
			{"whatif-print", "/whatif?fail=site/dc-frankfurt", "#whatif-chart[data-ready=true]"},
			{"function-print", "/functions/online-sales", "#impact-chart[data-ready=true]"},
		} {
			b.open(p.path, p.keep)
			if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
				t.Fatal(err)
			}
			// As the browser does before it prints: the page's handlers fit charts to the page.
			b.do("before print", chromedp.Evaluate[chromedp.Void](`window.dispatchEvent(new Event("beforeprint"))`))
			shown := func(sel string) bool {
				return eval[bool](b, fmt.Sprintf(`(function () { var e = document.querySelector(%q); return !!e && getComputedStyle(e).display !== "none"; })()`, sel))
			}
			for _, gone := range []string{"header.top", "footer.foot", "main form"} {
				if shown(gone) {
					t.Errorf("%s printed: %s is printed", p.path, gone)
				}
			}
			if !shown(p.keep) {
				t.Errorf("%s printed: %s is not", p.path, p.keep)
			}
			pdf, err := chromedp.Call(b.ctx, cdppage.PrintToPDF, cdppage.PrintToPDFParams{
				PrintBackground: new(true), PaperWidth: 8.27, PaperHeight: 11.69, // A4
			})
			if err != nil {
				t.Fatalf("print %s: %v", p.path, err)
			}
			if !bytes.HasPrefix(pdf.Data, []byte("%PDF-")) {
				t.Fatalf("print %s: not a PDF", p.path)
			}
			if err := os.WriteFile(filepath.Join(b.shots, p.name+".pdf"), pdf.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""}); err != nil {
				t.Fatal(err)
			}
			b.checkErrors(p.name)
		}
	})

	t.Run("phone", func(t *testing.T) {
		b.t = t
		b.do("a phone's screen", chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2)))
		// No page scrolls sideways (wide tables scroll in their own box), and every page of
		// the navigation is in sight without scrolling it.
		plan := snap.Model.Plans[0].Metadata.Name
		for _, p := range []struct{ path, wait string }{
			{"/", "#functions"}, {"/whatif?fail=site/dc-frankfurt", "#impacted"}, {"/services", "#catalog-list"},
			{"/services/orders-db", "h1"}, {"/people", "#catalog-list"}, {"/bia", "h1"}, {"/plans", "h1"},
			{"/plans/" + plan, "#timeline"}, {"/functions/online-sales/history", "#revisions"}, {"/findings", "h1"},
			{"file://" + binderFile, "h1"}, // the binder as a responder keeps it
		} {
			if strings.HasPrefix(p.path, "file://") {
				b.do("open "+p.path, chromedp.Navigate(p.path), chromedp.WaitVisible(chromedp.CSS(p.wait)))
			} else {
				b.open(p.path, p.wait)
			}
			if w := eval[int](b, `document.documentElement.scrollWidth`); w > 360 {
				t.Errorf("%s is %d px wide on a 360 px phone: it scrolls sideways", p.path, w)
			}
			hidden := eval[[]string](b, `[...document.querySelectorAll("nav.menu a")].filter(a => {
				const r = a.getBoundingClientRect(); return r.right > window.innerWidth || r.left < 0 || r.height === 0;
			}).map(a => a.textContent)`)
			if len(hidden) > 0 {
				t.Errorf("%s on a phone: the navigation hides %v", p.path, hidden)
			}
		}
		b.open("/", "#functions")
		b.page("dashboard-phone")
		b.open("/whatif?fail=site/dc-frankfurt", "#impacted")
		// A what-if opened from a link opens at its results, not at the top of the long form.
		if top := eval[float64](b, `document.getElementById("whatif-results-h").getBoundingClientRect().top`); top < 0 || top > 200 {
			t.Errorf("a what-if opened on a phone shows its results %v px down the screen, want them at the top", top)
		}
		b.page("whatif-phone")
		b.open("/plans/"+plan, "#timeline")
		b.page("plan-phone")
	})
}
