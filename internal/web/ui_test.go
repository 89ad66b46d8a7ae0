package web

import (
	stdhtml "html"
	"io"
	"maps"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/perdura/perdura/internal/auth"
)

// browser is a client that acts as a web browser does: it signs in through the login form,
// keeps cookies, does not follow redirects (tests look at them), and posts forms with the
// session's CSRF token.
type browser struct {
	e    *env
	hc   *http.Client
	csrf string
}

// browse signs a role's test user in through the login page.
func (e *env) browse(role string) *browser {
	e.t.Helper()
	b := e.visitor()
	r := b.get("/login")
	tok := between(string(r.body), `name="token" value="`, `"`)
	r = b.post("/login", url.Values{"token": {tok}, "user": {role}, "password": {password(role)}, "next": {"/"}})
	if r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign in as %s: status %d, want 303; body %.500s", role, r.StatusCode, r.body)
	}
	// The CSRF token is on every page for forms; the API tells it too.
	me := b.get("/api/v1/me")
	var m Me
	me.json(e.t, &m)
	b.csrf = m.CSRF
	return b
}

// visitor is a browser that has not signed in.
func (e *env) visitor() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(path string) response {
	b.e.t.Helper()
	return b.send("GET", path, nil, nil)
}

// post sends a form; the session's CSRF token is added unless form already has one.
func (b *browser) post(path string, form url.Values) response {
	b.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if b.csrf != "" && !form.Has("csrf") {
		form.Set("csrf", b.csrf)
	}
	return b.send("POST", path, strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
}

func (b *browser) send(method, path string, body io.Reader, header map[string]string) response {
	b.e.t.Helper()
	req, err := http.NewRequest(method, b.e.ts.URL+path, body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := b.hc.Do(req)
	if err != nil {
		b.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return response{res, data}
}

// between returns the text of s between the first from and the next to; "" when absent.
func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, to)
	return v
}

// TestLoginPage signs in and out through the pages, and checks the refusals.
func TestLoginPage(t *testing.T) {
	e := newEnv(t)
	v := e.visitor()
	if r := v.get("/login?next=/services"); r.StatusCode != 200 || !strings.Contains(string(r.body), `name="password"`) {
		t.Fatalf("GET /login: status %d, body %.300s", r.StatusCode, r.body)
	}
	r := v.post("/login", url.Values{"token": {"forged"}, "user": {"admin"}, "password": {password("admin")}})
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("login with a forged form token: status %d, want 403", r.StatusCode)
	}
	tok := between(string(v.get("/login").body), `name="token" value="`, `"`)
	r = v.post("/login", url.Values{"token": {tok}, "user": {"admin"}, "password": {"wrong"}})
	if r.StatusCode != http.StatusUnauthorized || !strings.Contains(string(r.body), "do not match") {
		t.Errorf("wrong password: status %d, want 401 with a message; body %.300s", r.StatusCode, r.body)
	}
	tok = between(string(v.get("/login").body), `name="token" value="`, `"`)
	r = v.post("/login", url.Values{"token": {tok}, "user": {"viewer"}, "password": {password("viewer")}, "next": {"//evil.example/x"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/" {
		t.Errorf("login with an off-site next: status %d Location %q, want 303 to /", r.StatusCode, r.Header.Get("Location"))
	}
	// Signed in, the role is shown on every page, and logging out needs the CSRF token.
	b := e.browse("viewer")
	if r := b.get("/login"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("GET /login when signed in: status %d, want a redirect", r.StatusCode)
	}
	r = b.post("/logout", url.Values{"csrf": {"wrong"}})
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("logout with a wrong CSRF token: status %d, want 403", r.StatusCode)
	}
	if r := b.post("/logout", nil); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Errorf("logout: status %d Location %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := b.get("/api/v1/me"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("after logout the session still answers: %d", r.StatusCode)
	}
}

// TestLoginTwoTabs: a visitor with the login page open in two tabs (a session that ended
// while several pages were open) can sign in from either, and a form sent after the other
// tab signed in goes where it was going.
func TestLoginTwoTabs(t *testing.T) {
	e := newEnv(t)
	v := e.visitor()
	tab1 := between(string(v.get("/login?next=/services").body), `name="token" value="`, `"`)
	tab2 := between(string(v.get("/login?next=/plans").body), `name="token" value="`, `"`)
	if tab1 == "" || tab1 != tab2 {
		t.Fatalf("two login pages in one browser carry tokens %q and %q: the first form could not be sent", tab1, tab2)
	}
	r := v.post("/login", url.Values{"token": {tab1}, "user": {"viewer"}, "password": {password("viewer")}, "next": {"/services"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/services" {
		t.Fatalf("sign in from the first tab: status %d Location %q", r.StatusCode, r.Header.Get("Location"))
	}
	// The second tab's form, sent now: its token is spent, but its browser is signed in.
	r = v.post("/login", url.Values{"token": {tab2}, "user": {"viewer"}, "password": {password("viewer")}, "next": {"/plans"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/plans" {
		t.Errorf("the second tab's form after signing in: status %d Location %q, want 303 to /plans", r.StatusCode, r.Header.Get("Location"))
	}
	// A stale form for another user is not waved through on this session.
	if r := v.post("/login", url.Values{"token": {tab2}, "user": {"admin"}, "password": {password("admin")}, "next": {"/admin/users"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a stale form for another user: status %d Location %q, want 403 with the form again", r.StatusCode, r.Header.Get("Location"))
	}
	// A stale form without a session is still refused.
	w := e.visitor()
	if r := w.post("/login", url.Values{"token": {tab2}, "user": {"viewer"}, "password": {password("viewer")}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a login form token from another browser: status %d, want 403", r.StatusCode)
	}
}

// TestLoginNext: the page to go to after signing in stays on this server, however the
// destination is dressed up; browsers drop tabs and newlines and read a backslash as a slash,
// so "/<tab>/evil.example" is another host to them. Each destination is tried through the
// login form and through the login page of a visitor already signed in.
func TestLoginNext(t *testing.T) {
	e := newEnv(t)
	evil := []string{
		"//evil.example", "///evil.example", "////evil.example/x",
		"/\\evil.example", "/\\/evil.example", "\\\\evil.example", "\\/evil.example", "/x\\..\\..\\evil.example",
		"/\t/evil.example", "/\t\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\r\n/evil.example",
		"/\x0b/evil.example", "/\x1f/evil.example", "/\x7f/evil.example",
		"/services\r\nSet-Cookie: x=1", "\t//evil.example", " //evil.example", "\n/services",
		"https://evil.example", "http:evil.example", "https:/evil.example", "//user@evil.example",
		"javascript:alert(1)", "JavaScript://%0aalert(1)", "data:text/html,<script>alert(1)</script>",
		"evil.example", "services", "./services", "../evil.example", "?next=//evil.example", "#x",
		"/%zz", "", "/", "/login", "/login?next=//evil.example",
	}
	kept := []string{"/services", "/services/web?tab=history#revisions", "/whatif?fail=site%2Fdc-a", "/%09/escaped-tab-is-a-path"}
	b := e.browse("viewer")
	check := func(next, want string) {
		t.Helper()
		if r := b.get("/login?next=" + url.QueryEscape(next)); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("signed in, GET /login?next=%q: status %d Location %q, want 303 to %q", next, r.StatusCode, r.Header.Get("Location"), want)
		}
		v := e.visitor()
		tok := between(string(v.get("/login").body), `name="token" value="`, `"`)
		r := v.post("/login", url.Values{"token": {tok}, "user": {"viewer"}, "password": {password("viewer")}, "next": {next}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != want {
			t.Errorf("sign in with next %q: status %d Location %q, want 303 to %q", next, r.StatusCode, r.Header.Get("Location"), want)
		}
	}
	for _, next := range evil {
		check(next, "/")
	}
	for _, next := range kept {
		check(next, next)
	}
	// A NUL byte goes nowhere: it is refused at the door (TestBadInputRefusedAtTheDoor).
	if r := b.get("/login?next=" + url.QueryEscape("/\x00/evil.example")); r.StatusCode != http.StatusBadRequest || r.Header.Get("Location") != "" {
		t.Errorf("GET /login?next=/NUL/evil.example: status %d Location %q, want 400 and no redirect", r.StatusCode, r.Header.Get("Location"))
	}
}

// TestPageRoles requests every page as every role and without signing in: a visitor is sent
// to the login page (or refused, for a form post), a role without the page's permission gets
// 403, and a role with it gets neither.
func TestPageRoles(t *testing.T) {
	e := newDemoEnv(t)
	browsers := map[string]*browser{}
	for _, role := range auth.Roles() {
		browsers[role] = e.browse(role)
	}
	for _, pg := range e.srv.ui.pageTable {
		if pg.perm == public || pg.path == "/logout" {
			continue
		}
		sample := pg.sample
		if sample == "" {
			sample = pg.path
		}
		if strings.Contains(sample, "{") {
			t.Errorf("%s %s: no sample path to test it with", pg.method, pg.path)
			continue
		}
		send := func(b *browser) response {
			if pg.method == "POST" {
				return b.post(sample, url.Values{})
			}
			return b.get(sample)
		}
		r := send(e.visitor())
		if pg.method == "GET" && (r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=")) {
			t.Errorf("GET %s as a visitor: status %d Location %q, want 303 to the login page", sample, r.StatusCode, r.Header.Get("Location"))
		}
		if pg.method == "POST" && r.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s as a visitor: status %d, want 401", sample, r.StatusCode)
		}
		for _, role := range auth.Roles() {
			r := send(browsers[role])
			allowed := auth.Allowed(role, pg.perm)
			switch {
			case !allowed && r.StatusCode != http.StatusForbidden:
				t.Errorf("%s %s as %s: status %d, want 403", pg.method, sample, role, r.StatusCode)
			case allowed && (r.StatusCode == http.StatusForbidden || r.StatusCode == http.StatusUnauthorized || r.StatusCode >= 500):
				t.Errorf("%s %s as %s: status %d; body %.300s", pg.method, sample, role, r.StatusCode, r.body)
			}
		}
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestAuditPage shows the trail to auditors, with the chain verified on demand, and keeps its
// link out of other roles' navigation.
func TestAuditPage(t *testing.T) {
	e := newEnv(t)
	a := e.browse("auditor")
	r := a.get("/audit?action=login")
	if r.StatusCode != 200 || !strings.Contains(string(r.body), "<code>login</code>") || !strings.Contains(string(r.body), `href="/audit"`) {
		t.Errorf("GET /audit?action=login as auditor: status %d, body %.500s", r.StatusCode, r.body)
	}
	r = a.get("/audit/verify")
	if r.StatusCode != 200 || !strings.Contains(string(r.body), "The chain verifies") {
		t.Errorf("GET /audit/verify: status %d, body %.500s", r.StatusCode, between(string(r.body), "<main", "</main>"))
	}
	if r := a.get("/audit?before=x"); r.StatusCode != 400 {
		t.Errorf("GET /audit?before=x: status %d, want 400", r.StatusCode)
	}
	v := e.browse("viewer")
	r = v.get("/audit")
	if r.StatusCode != 403 || !strings.Contains(string(r.body), `href="/plans"`) || strings.Contains(string(r.body), `href="/audit"`) {
		t.Errorf("GET /audit as viewer: status %d (want 403, with the navigation but no link to the trail)", r.StatusCode)
	}
}

// TestNewLinks offers "New ..." on the lists to roles that may edit, and only to them.
func TestNewLinks(t *testing.T) {
	e := newDemoEnv(t)
	ed, v := e.browse("editor"), e.browse("viewer")
	for _, path := range []string{"/services", "/people", "/bia"} {
		if r := ed.get(path); !strings.Contains(string(r.body), `id="new-object"`) {
			t.Errorf("GET %s as editor: no New link (status %d)", path, r.StatusCode)
		}
		if r := v.get(path); r.StatusCode != 200 || strings.Contains(string(r.body), `id="new-object"`) {
			t.Errorf("GET %s as viewer: status %d, or a New link shown", path, r.StatusCode)
		}
	}
}

// TestLinks follows every link on every page of the demo, as an admin, from the dashboard:
// no page a link leads to may answer with an error. A link that escapes its query twice, or
// names an object that is not there, shows up here.
func TestLinks(t *testing.T) {
	if n := crawl(t, newDemoEnv(t).browse("admin"), 100); n < 200 {
		t.Errorf("followed only %d links: the crawl does not reach the pages", n)
	}
}

// TestLinksLarge does the same on a 2,000-service estate, where lists are cut short and link
// to the rest, sampling a few links of each kind.
func TestLinksLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("stores a 2,000-service estate")
	}
	e, _ := newSynthEnv(t, 2000)
	if n := crawl(t, e.browse("admin"), 4); n < 100 {
		t.Errorf("followed only %d links", n)
	}
}

// crawl follows the links of the pages b reaches from the dashboard and reports every link
// that answers with an error; it returns how many pages it fetched. Links of one shape (the
// path with the object's name left out, and the query's names: "services/*/history?") are
// sampled, perShape of each: every what-if links a map for each object it lists, and so on.
func crawl(t *testing.T, b *browser, perShape int) int {
	t.Helper()
	href := regexp.MustCompile(`href="([^"]*)"`)
	seen := map[string]string{"/": "the start"} // target -> the page that links to it
	queue := []string{"/"}
	const most = 5000 // pages, so that a link generator gone wild ends the test
	shapes := map[string]int{}
	visited := 0
	for len(queue) > 0 {
		if visited++; visited > most {
			t.Fatalf("more than %d pages: do links multiply?", most)
		}
		page := queue[0]
		queue = queue[1:]
		r := b.get(page)
		if r.StatusCode != http.StatusOK {
			t.Errorf("GET %s (linked from %s): status %d", page, seen[page], r.StatusCode)
			continue
		}
		if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || page == "/binder" {
			continue
		}
		for _, m := range href.FindAllStringSubmatch(string(r.body), -1) {
			link := stdhtml.UnescapeString(m[1])
			u, err := url.Parse(link)
			if err != nil {
				t.Errorf("%s: a link that is not a URL: %q", page, link)
				continue
			}
			if u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "/static/") {
				continue // tel:, mailto:, in-page anchors, assets
			}
			u.Fragment = ""
			target := u.String()
			if _, ok := seen[target]; ok {
				continue
			}
			parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
			if len(parts) > 1 {
				parts[1] = "*"
			}
			shape := strings.Join(parts, "/") + "?" + strings.Join(slices.Sorted(maps.Keys(u.Query())), "&")
			if shapes[shape] >= perShape {
				continue
			}
			shapes[shape]++
			seen[target] = page
			queue = append(queue, target)
		}
	}
	t.Logf("followed %d links", visited)
	return visited
}
