package web

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
)

// The web UI: server-rendered pages from Go templates, a little htmx for what changes in
// place, and the embedded browser libraries (static/vendor, fetched by
// scripts/fetch-assets.sh). Nothing is loaded from anywhere but this server, so the UI works
// when the internet does not. Every page names the permission it needs in its page entry;
// the page role test walks them all, as the API's role matrix walks the routes.

//go:embed templates static
var assetsFS embed.FS

// page is one web page or form action.
type page struct {
	method string // GET or POST
	path   string // a ServeMux pattern without the method: "/services/{name}"
	perm   auth.Permission
	// sample is a path (with query) that exercises the page on the demo organisation, for the
	// page role test and the render benchmark; "" = path itself.
	sample string
	handle func(*request) error
}

// area is one part of the UI: its pages and the template functions its templates use.
type area struct {
	pages []page
	funcs template.FuncMap
}

// areas lists the parts of the UI, each in its own file.
func (s *server) areas() []area {
	return []area{
		s.sessionArea(),
		s.dashboardArea(),
		s.catalogArea(),
		s.mapArea(),
		s.analysisArea(),
		s.planArea(),
		s.editArea(),
		s.auditArea(),
		s.usersArea(),
	}
}

// request is one page request as a page handler sees it.
type request struct {
	s *server
	w http.ResponseWriter
	r *http.Request
	p *principal // nil on public pages
	// snap is the snapshot this request reads, taken once.
	snap *catalog.Snapshot
}

// ctx is the request's context, carrying the principal for catalogActor and authActor.
func (q *request) ctx() context.Context { return q.r.Context() }

// snapshot is the stored model at the current generation, loaded, analysed and linted.
func (q *request) snapshot() (*catalog.Snapshot, error) {
	if q.snap == nil {
		snap, err := q.s.deps.Catalog.Snapshot(q.ctx())
		if err != nil {
			return nil, err
		}
		q.snap = snap
		q.s.ui.notePeople(snap)
	}
	return q.snap, nil
}

// errPageNotFound answers 404 with the page's message.
type errPageNotFound struct{ what string }

func (e errPageNotFound) Error() string { return e.what + " not found" }

// pageNotFound is the error a page returns for a missing object or revision.
func pageNotFound(format string, args ...any) error {
	return errPageNotFound{fmt.Sprintf(format, args...)}
}

// badRequest is an error a page returns for a query or form it cannot use; the message is
// shown to the user as it is.
type badRequest struct{ msg string }

func (e badRequest) Error() string { return e.msg }

// layout is what the page frame shows around a page's own content.
type layout struct {
	Title string
	// Section is the navigation entry to highlight: dashboard, catalog, map, bia, whatif,
	// plans, findings.
	Section     string
	User        string
	DisplayName string
	Role        string
	CSRF        string
	Generation  int64
	// AuditBroken is why the audit chain's newest entries did not verify at start, for the
	// users who may read the trail; "" otherwise.
	AuditBroken string
	perms       map[auth.Permission]bool
	// Body is the page's own data, for its "content" template.
	Body any
}

// Can reports whether the signed-in user may do perm ("read", "edit", "respond", "audit",
// "admin"): templates hide links and buttons with it.
func (l layout) Can(perm string) bool { return l.perms[auth.Permission(perm)] }

// ui holds the parsed templates and the static files with their fingerprints.
type ui struct {
	pages     map[string]*template.Template // by page template name: layout + that page
	static    map[string]staticFile         // by path under /static/
	pageTable []page
	// people names the people of the latest snapshot a page read, for references: a person
	// reads as "Marta Keller", not "marta-keller".
	people atomic.Pointer[uiPeople]
}

type uiPeople struct {
	snap  *catalog.Snapshot
	names map[string]string // person name -> display name
}

// notePeople keeps the display names of snap's people, once per snapshot.
func (u *ui) notePeople(snap *catalog.Snapshot) {
	if cur := u.people.Load(); (cur != nil && cur.snap == snap) || snap.Model == nil {
		return
	}
	names := make(map[string]string, len(snap.Model.People))
	for _, p := range snap.Model.People {
		if n := cmp.Or(p.Spec.DisplayName, p.Metadata.Title); n != "" {
			names[p.Metadata.Name] = n
		}
	}
	u.people.Store(&uiPeople{snap: snap, names: names})
}

// refLabel is how a kind/name reference reads: its name, or a person's display name.
func (u *ui) refLabel(ref string) string {
	kind, name, _ := strings.Cut(ref, "/")
	if kind == "person" {
		if p := u.people.Load(); p != nil && p.names[name] != "" {
			return p.names[name]
		}
	}
	return name
}

type staticFile struct {
	body        []byte
	contentType string
	hash        string // fingerprint for cache busting: ?v=hash
}

// newUI parses every template and prepares the static files. A template that does not parse
// is a programmer error, caught by any test that builds a server.
func (s *server) newUI() *ui {
	u := &ui{pages: map[string]*template.Template{}, static: map[string]staticFile{}}
	u.loadStatic()
	funcs := s.baseFuncs(u)
	for _, a := range s.areas() {
		u.pageTable = append(u.pageTable, a.pages...)
		for k, f := range a.funcs {
			if _, dup := funcs[k]; dup {
				panic("web: template function " + k + " defined twice")
			}
			funcs[k] = f
		}
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(assetsFS, "templates/layout.html", "templates/partials/*.html"))
	names, err := fs.Glob(assetsFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		t := template.Must(base.Clone())
		u.pages[name] = template.Must(t.ParseFS(assetsFS, n))
	}
	return u
}

// loadStatic reads static/ and joins static/css/*.css into one app.css, in name order, so a
// page loads one stylesheet and each part of the UI keeps its styles in its own file.
func (u *ui) loadStatic() {
	var css bytes.Buffer
	err := fs.WalkDir(assetsFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assetsFS.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "static/")
		if strings.HasPrefix(rel, "css/") {
			fmt.Fprintf(&css, "/* %s */\n", rel)
			css.Write(b)
			css.WriteByte('\n')
			return nil
		}
		u.addStatic(rel, b)
		return nil
	})
	if err != nil {
		panic(err)
	}
	u.addStatic("app.css", css.Bytes())
}

func (u *ui) addStatic(rel string, b []byte) {
	sum := sha256.Sum256(b)
	ct := "application/octet-stream"
	switch path.Ext(rel) {
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	case ".png":
		ct = "image/png"
	case ".ico":
		ct = "image/x-icon"
	case ".txt", "":
		ct = "text/plain; charset=utf-8"
	}
	u.static[rel] = staticFile{body: b, contentType: ct, hash: hex.EncodeToString(sum[:6])}
}

// asset is the URL of a static file with its fingerprint, so it can be cached for a year.
func (u *ui) asset(rel string) (string, error) {
	f, ok := u.static[rel]
	if !ok {
		return "", fmt.Errorf("no static file %q", rel)
	}
	return "/static/" + rel + "?v=" + f.hash, nil
}

// serveStatic serves an embedded file. Fingerprinted URLs never change content, so they may
// be cached for good; the rest (a hand-typed URL) revalidate.
func (s *server) serveStatic(w http.ResponseWriter, r *http.Request) {
	rel := r.PathValue("path")
	f, ok := s.ui.static[rel]
	if !ok {
		s.pageError(w, r, nil, http.StatusNotFound, "There is no such file.")
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h.Set("ETag", `"`+f.hash+`"`)
	if match := r.Header.Get("If-None-Match"); match == `"`+f.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(f.body)
}

// registerPages adds the static files and every page to the mux.
func (s *server) registerPages() {
	s.mux.HandleFunc("GET /static/{path...}", s.serveStatic)
	for _, pg := range s.ui.pageTable {
		s.mux.HandleFunc(pg.method+" "+pg.path, s.pageHandler(pg))
	}
}

// pageHandler wraps a page: it finds the caller from the session cookie, sends a visitor who
// is not signed in to the login page, refuses a role the page is not for, checks the CSRF
// token of a form post, and turns the page's errors into error pages.
func (s *server) pageHandler(pg page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pageHeaders(w)
		info := infoFrom(r.Context())
		info.route = pg.method + " " + pg.path
		q := &request{s: s, w: w, r: r}
		if pg.method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, s.deps.BodyLimit)
			// Read the form now: a body over the limit is 413, not a CSRF token missing.
			if err := r.ParseForm(); err != nil {
				var tooLarge *http.MaxBytesError
				if errors.As(err, &tooLarge) {
					s.pageError(w, r, nil, http.StatusRequestEntityTooLarge,
						fmt.Sprintf("The form is larger than this server takes (%d bytes): shorten what you typed.", s.deps.BodyLimit))
					return
				}
				s.pageError(w, r, nil, http.StatusBadRequest, "The form could not be read: "+err.Error())
				return
			}
		}
		if pg.perm != public {
			p, status := s.pagePrincipal(r)
			switch {
			case status == http.StatusServiceUnavailable:
				// Who is calling is unknown, not absent: sending a signed-in user to the login
				// page would only fail there too.
				s.unavailablePage(w, r, nil)
				return
			case status == http.StatusUnauthorized && r.Method == http.MethodGet && r.Header.Get("HX-Request") == "":
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			case status == http.StatusUnauthorized:
				s.pageError(w, r, nil, status, "Your session has ended. Sign in again.")
				return
			case status == http.StatusForbidden:
				s.pageError(w, r, p, status, "This form has expired or did not come from Perdura: reload the page and try again.")
				return
			case !p.allowed(pg.perm):
				s.pageError(w, r, p, http.StatusForbidden,
					fmt.Sprintf("Your role (%s) may not do this: it needs the %q permission.", p.role(), pg.perm))
				return
			}
			q.p = p
			info.user = p.user.Name
			q.r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
		}
		if err := pg.handle(q); err != nil {
			s.pageFailed(q, err)
		}
	}
}

// pageHeaders are the security headers of every page, error pages included.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// contentSecurityPolicy allows only this server's own scripts: no inline script can run, so
// a name that slipped past escaping could not execute. Styles may be inline for the
// libraries that position elements with style attributes.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// pagePrincipal finds the signed-in user of a page request: the session cookie (or a bearer
// token, for scripts fetching a page), and on a form post the session's CSRF token in the
// csrf form field or the X-CSRF-Token header (htmx sends it so). It answers 401 when no one
// is signed in and 403 when the CSRF token is missing or wrong.
func (s *server) pagePrincipal(r *http.Request) (*principal, int) {
	if r.Header.Get("Authorization") != "" {
		p, prob := s.identify(r.Context(), r)
		if prob != nil {
			return nil, prob.Status
		}
		return p, 0
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, http.StatusUnauthorized
	}
	sess, u, err := s.authn.Session(r.Context(), c.Value)
	if err != nil {
		if s.deps.Unavailable(err) {
			s.noteUnavailable(r.Context(), err)
			return nil, http.StatusServiceUnavailable
		}
		return nil, http.StatusUnauthorized
	}
	p := &principal{user: u, session: &sess, sessionSecret: c.Value}
	if !safeMethod(r.Method) {
		got := r.Header.Get(csrfHeader)
		if got == "" {
			got = r.PostFormValue("csrf")
		}
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
			return p, http.StatusForbidden
		}
	}
	return p, 0
}

// render writes a whole page: the layout around the page template's "content".
func (q *request) render(status int, name, title, section string, body any) error {
	t, ok := q.s.ui.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	l := q.layout(title, section, body)
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", l); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.WriteHeader(status)
	q.w.Write(buf.Bytes())
	return nil
}

// fragment writes one named template of a page without the layout: what htmx swaps in.
// The data is wrapped in the layout struct as for a whole page, so the same template serves
// both.
func (q *request) fragment(name, block string, body any) error {
	t, ok := q.s.ui.pages[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, q.layout("", "", body)); err != nil {
		return fmt.Errorf("render %s/%s: %w", name, block, err)
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.Write(buf.Bytes())
	return nil
}

func (q *request) layout(title, section string, body any) layout {
	l := layout{Title: title, Section: section, Body: body, perms: map[auth.Permission]bool{}}
	if q.p != nil {
		l.User, l.DisplayName, l.Role = q.p.user.Name, q.p.user.DisplayName, q.p.role()
		if q.p.session != nil {
			l.CSRF = q.p.session.CSRF
		}
		for _, perm := range auth.Permissions() {
			l.perms[perm] = q.p.allowed(perm)
		}
	}
	if q.snap != nil {
		l.Generation = q.snap.Generation
	}
	if l.perms[auth.PermAudit] {
		l.AuditBroken = q.s.deps.AuditBroken
	}
	return l
}

// htmx reports whether the request came from htmx, which wants a fragment.
func (q *request) htmx() bool { return q.r.Header.Get("HX-Request") == "true" }

// pageFailed answers a page's error with an error page; unexpected errors are logged with
// the request id and shown without their cause.
func (s *server) pageFailed(q *request, err error) {
	var nf errPageNotFound
	var br badRequest
	switch {
	case errors.As(err, &nf):
		s.pageError(q.w, q.r, q.p, http.StatusNotFound, strings.ToUpper(nf.what[:1])+nf.what[1:]+" was not found.")
	case errors.Is(err, catalog.ErrNotFound):
		s.pageError(q.w, q.r, q.p, http.StatusNotFound, "That object was not found; it may have been deleted.")
	case errors.As(err, &br):
		s.pageError(q.w, q.r, q.p, http.StatusBadRequest, br.msg)
	case errors.Is(err, context.Canceled):
	case s.deps.Unavailable(err):
		s.noteUnavailable(q.r.Context(), err)
		s.unavailablePage(q.w, q.r, q.p)
	default:
		info := infoFrom(q.r.Context())
		s.log.ErrorContext(q.r.Context(), "page failed", "request_id", info.id, "route", info.route, "error", err.Error())
		s.pageError(q.w, q.r, q.p, http.StatusInternalServerError,
			"Something went wrong on the server. The log has the cause under request id "+info.id+".")
	}
}

// errorPage is the data of the error template.
type errorPage struct {
	Status  int
	Message string
}

// pageError writes an error page with the layout (and the navigation, when someone is signed
// in).
func (s *server) pageError(w http.ResponseWriter, r *http.Request, p *principal, status int, msg string) {
	pageHeaders(w)
	q := &request{s: s, w: w, r: r, p: p}
	if err := q.render(status, "error", http.StatusText(status), "", errorPage{Status: status, Message: msg}); err != nil {
		s.log.Error("render error page", "error", err.Error())
		http.Error(w, msg, status)
	}
}

// unavailablePage says that the database is unavailable, with 503 and Retry-After: the
// server is fine and so is the user's session, and reloading in a moment may well work.
func (s *server) unavailablePage(w http.ResponseWriter, r *http.Request, p *principal) {
	w.Header().Set("Retry-After", retryAfter)
	s.pageError(w, r, p, http.StatusServiceUnavailable,
		"The database is unavailable or did not answer in time, so this page could not be served, and a change you sent may not have been saved. Try again in a moment; if this lasts, tell the people who run Perdura.")
}

// wantsHTML reports whether an unknown path should get an HTML page rather than a problem
// document: anything outside the API asked for by a browser.
func wantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// refPlural is the path segment of the pages of a reference's kind ("service" → "services");
// "" for a kind without pages (redundancy groups).
func refPlural(kind string) string {
	switch kind {
	case "service", "site", "provider", "function", "team", "plan", "scenario":
		return kind + "s"
	case "person":
		return "people"
	}
	return ""
}

// refURL is the page of a kind/name reference ("service/orders-db" → /services/orders-db);
// "" for a reference without a page (redundancy groups).
func refURL(ref string) string {
	kind, name, ok := strings.Cut(ref, "/")
	pl := refPlural(kind)
	if !ok || pl == "" {
		return ""
	}
	return "/" + pl + "/" + url.PathEscape(name)
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
