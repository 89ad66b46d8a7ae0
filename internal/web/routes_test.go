package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/perdura/perdura/internal/auth"
)

// TestOpenAPIMatchesRoutes: every pattern the server registers is an operation of the
// OpenAPI document, every operation there is served, and the route table is both.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := newEnv(t)
	r := e.anonymous().do("GET", "/api/v1/openapi.json", nil, nil)
	if r.StatusCode != 200 {
		t.Fatalf("GET /api/v1/openapi.json: status %d", r.StatusCode)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.json(t, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if m := strings.ToUpper(method); slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, m) {
				documented = append(documented, m+" "+path)
			}
		}
	}
	var table []string
	for _, rt := range e.srv.routes {
		table = append(table, rt.method+" "+rt.path)
	}
	served := slices.Clone(e.srv.served)
	for _, l := range [][]string{documented, table, served} {
		slices.Sort(l)
	}
	if !slices.Equal(served, documented) {
		t.Errorf("served patterns and OpenAPI operations differ:\nserved:     %v\ndocumented: %v", served, documented)
	}
	if !slices.Equal(table, documented) {
		t.Errorf("route table and OpenAPI operations differ:\ntable:      %v\ndocumented: %v", table, documented)
	}
	// And each documented operation reaches a handler: the router does not answer it
	// with its own 404 or 405.
	admin := e.as(auth.RoleAdmin)
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		res := admin.do(method, fill(method, path), nil, nil)
		if res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed {
			var p Problem
			json.Unmarshal(res.body, &p)
			if strings.HasPrefix(p.Detail, "no such route") {
				t.Errorf("%s is documented but not served: %d %s", op, res.StatusCode, res.body)
			}
		}
	}
}

// fill puts values into a path's parameters: for reads, things the test env has; for
// writes, names that do not exist, so that a permitted write changes nothing the rest of a
// test relies on.
func fill(method, path string) string {
	path = strings.NewReplacer("{rev}", "1", "{id}", "000000000000").Replace(path)
	read := method == "GET"
	if strings.HasPrefix(path, "/api/v1/users/") {
		if read {
			return strings.Replace(path, "{name}", "viewer", 1)
		}
		return strings.Replace(path, "{name}", "nobody", 1)
	}
	for _, k := range kinds() {
		if strings.HasPrefix(path, "/api/v1/"+k.plural+"/") {
			name := "no-such-object"
			if read {
				name = sample(k.plural)
			}
			path = strings.Replace(path, "{name}", name, 1)
		}
	}
	if strings.HasSuffix(path, "/diff") {
		path += "?from=1&to=1"
	}
	return path
}

// sample is an object of each kind in testdata/model.yaml.
func sample(plural string) string {
	return map[string]string{
		"functions": "sales", "services": "web", "sites": "dc-a", "providers": "colo",
		"people": "alice", "teams": "team-app", "plans": "web-recovery", "scenarios": "site-loss",
	}[plural]
}

// TestRoleMatrix walks every route of the route table with no credentials, with every
// role's API token, and with every role's session with and without its CSRF token, and
// checks each answer against the permission table: a route's permission (and, for the routes
// that manage tokens, whether a token may call it: only an admin's) is the only thing that
// decides, so a new route is covered the moment it is added.
func TestRoleMatrix(t *testing.T) {
	e := newEnv(t)
	sessions := map[string]*client{}
	for _, role := range auth.Roles() {
		sessions[role] = e.login(role)
	}
	// permitted: the caller got past authentication and authorisation. Reads must succeed;
	// writes (sent with an empty body or to names that do not exist) must fail for what
	// they are, not for who sent them, and never with a server error.
	permitted := func(method string, status int) bool {
		if method == "GET" {
			return status >= 200 && status < 300
		}
		return status != 401 && status != 403 && status < 500
	}
	n := 0
	for _, rt := range e.srv.routes {
		path := fill(rt.method, rt.path)
		var body any
		if rt.method != "GET" && rt.method != "DELETE" && rt.id != "logout" {
			body = "{}"
		}
		check := func(who string, c *client, want func(int) bool, wantText string) {
			t.Helper()
			res := c.do(rt.method, path, body, nil)
			n++
			if !want(res.StatusCode) {
				t.Errorf("%s %s as %s: status %d, want %s; body %s", rt.method, path, who, res.StatusCode, wantText, res.body)
			}
			if res.StatusCode >= 400 && res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s as %s: error with Content-Type %q, want application/problem+json", rt.method, path, who, res.Header.Get("Content-Type"))
			}
		}
		is := func(code int) func(int) bool { return func(s int) bool { return s == code } }
		ok := func(s int) bool { return permitted(rt.method, s) }

		if rt.perm == public {
			check("nobody", e.anonymous(), ok, "an answer past authentication")
		} else {
			check("nobody", e.anonymous(), is(401), "401")
		}
		for _, role := range auth.Roles() {
			want, wantText := is(403), "403"
			if rt.perm == public || auth.Allowed(role, rt.perm) {
				want, wantText = ok, "an answer past authorisation"
			}
			if rt.sessionOnly && !auth.Allowed(role, auth.PermAdmin) {
				// Only a session, or a token acting as an admin, manages tokens.
				check(role+" token", e.as(role), is(403), "403 (a token, not a session)")
			} else {
				check(role+" token", e.as(role), want, wantText)
			}

			sess := sessions[role]
			if rt.id == "logout" {
				sess = e.login(role) // logging out ends the session; keep the shared one
			}
			check(role+" session", sess, want, wantText)

			noCSRF := &client{e: e, hc: sess.hc}
			if rt.id == "logout" {
				noCSRF = &client{e: e, hc: e.login(role).hc}
			}
			if rt.perm != public && !safeMethod(rt.method) {
				want, wantText = is(403), "403 (no CSRF token)"
			}
			check(role+" session without CSRF token", noCSRF, want, wantText)
		}
	}
	t.Logf("%d routes, %d requests", len(e.srv.routes), n)
}
