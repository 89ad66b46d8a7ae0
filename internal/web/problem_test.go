package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/perdura/perdura/internal/auth"
)

func TestBadRequestsNameTheField(t *testing.T) {
	e := newEnv(t)
	admin := e.as(auth.RoleAdmin)
	tests := []struct {
		name, method, path string
		body               string
		status             int
		want               ProblemDetail // the first error
	}{
		{"malformed JSON", "POST", "/api/v1/login", `{"user": "x",`, 400, ProblemDetail{Pointer: ""}},
		{"wrong type", "POST", "/api/v1/login", `{"user": 5, "password": "x"}`, 400, ProblemDetail{Pointer: "/user"}},
		{"unknown field", "POST", "/api/v1/login", `{"user": "x", "password": "y", "remember": true}`, 400, ProblemDetail{Pointer: "/remember"}},
		{"missing field", "POST", "/api/v1/login", `{"user": "x"}`, 400, ProblemDetail{Pointer: "/password"}},
		{"nested pointer", "POST", "/api/v1/apply", `{"source": "s", "files": [{"path": "a.yaml", "content": 7}]}`, 400, ProblemDetail{Pointer: "/files/0/content"}},
		{"bad enum", "POST", "/api/v1/users", `{"name": "zed", "role": "root", "password": "long enough password"}`, 400, ProblemDetail{Pointer: "/role"}},
		{"bad query parameter", "GET", "/api/v1/services?limit=many", "", 400, ProblemDetail{Parameter: "limit"}},
		{"query parameter out of range", "GET", "/api/v1/services?limit=5000", "", 400, ProblemDetail{Parameter: "limit"}},
		{"bad If-Match", "PUT", "/api/v1/services/web", `{"apiVersion": "perdura/v1", "kind": "Service", "metadata": {"name": "web"}}`, 400, ProblemDetail{Header: "If-Match"}},
		{"kind not the route's", "POST", "/api/v1/sites", `{"apiVersion": "perdura/v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {}}`, 400, ProblemDetail{Pointer: "/kind"}},
		{"unknown failure", "POST", "/api/v1/analyze", `{"failed": ["site/dc-a", "site/dc-z"]}`, 422, ProblemDetail{Pointer: "/failed/1"}},
		{"bad failure ref", "POST", "/api/v1/analyze", `{"failed": ["dc-a"]}`, 422, ProblemDetail{Pointer: "/failed/0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tt.name == "bad If-Match" {
				hdr["If-Match"] = "yesterday"
			}
			var body any
			if tt.body != "" {
				body = tt.body
			}
			r := admin.do(tt.method, tt.path, body, hdr)
			if r.StatusCode != tt.status {
				t.Fatalf("status %d, want %d; body %s", r.StatusCode, tt.status, r.body)
			}
			p := r.problem(t)
			if len(p.Errors) == 0 {
				t.Fatalf("no errors in %s", r.body)
			}
			got := p.Errors[0]
			if got.Pointer != tt.want.Pointer || got.Parameter != tt.want.Parameter || got.Header != tt.want.Header {
				t.Errorf("first error at pointer %q parameter %q header %q, want %q %q %q; body %s",
					got.Pointer, got.Parameter, got.Header, tt.want.Pointer, tt.want.Parameter, tt.want.Header, r.body)
			}
			if got.Message == "" {
				t.Errorf("error without a message: %s", r.body)
			}
		})
	}
}

// TestNoSecretsEchoed: a malformed login body must not come back (huma's own error would
// carry it as the offending value).
func TestNoSecretsEchoed(t *testing.T) {
	e := newEnv(t)
	r := e.anonymous().do("POST", "/api/v1/login", `{"user": "admin", "password": "hunter2-secret", "x": 1}`, nil)
	if r.StatusCode != 400 || strings.Contains(string(r.body), "hunter2-secret") {
		t.Errorf("status %d body %s; want 400 without the password", r.StatusCode, r.body)
	}
}

// TestOnlyJSONBodies: a cross-site HTML form can post text/plain, urlencoded or multipart
// bodies, and a no-cors fetch a body with no Content-Type at all, without a CORS preflight;
// refusing every /api/ body that is not declared JSON keeps them away from login (which
// needs no credentials, so a forged login would sign a visitor in as the attacker) and from
// every other route.
func TestOnlyJSONBodies(t *testing.T) {
	e := newEnv(t)
	login := `{"user":"viewer","password":"password-of-viewer"}`
	// bare sends a body with exactly the headers given: no Content-Type unless named.
	bare := func(method, path, body string, header map[string]string) response {
		t.Helper()
		req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return response{res, b}
	}
	refused := func(what string, r response, want string) {
		t.Helper()
		if r.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("%s: status %d, want 415; body %s", what, r.StatusCode, r.body)
			return
		}
		p := r.problem(t)
		if !strings.Contains(p.Detail, "application/json") || len(p.Errors) != 1 || p.Errors[0].Header != "Content-Type" || !strings.Contains(p.Errors[0].Message, want) {
			t.Errorf("%s: problem %+v, want one naming the Content-Type header and %q", what, p, want)
		}
		if r.Header.Get("Set-Cookie") != "" {
			t.Errorf("%s: a refused login set a cookie", what)
		}
	}
	refused("login without a Content-Type", bare("POST", "/api/v1/login", login, nil), "missing; expected application/json")
	refused("login with an empty Content-Type", bare("POST", "/api/v1/login", login, map[string]string{"Content-Type": ""}), "missing")
	refused("chunked login without a Content-Type", bare("POST", "/api/v1/login", login, map[string]string{"Transfer-Encoding": "chunked"}), "missing")
	for _, ct := range []string{"text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
		"text/plain+json", "application/problem+json", "application/merge-patch+json", "application/jsonx", "json", "application/json;;"} {
		refused("login as "+ct, e.anonymous().do("POST", "/api/v1/login", login, map[string]string{"Content-Type": ct}), "expected application/json")
	}
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8", "Application/JSON", "APPLICATION/JSON; Charset=UTF-8"} {
		if r := bare("POST", "/api/v1/login", login, map[string]string{"Content-Type": ct}); r.StatusCode != http.StatusOK {
			t.Errorf("login as %s: status %d, want 200", ct, r.StatusCode)
		}
	}

	// Every route with a body, whoever calls.
	token := map[string]string{"Authorization": "Bearer " + e.tokens["admin"]}
	for _, rt := range e.srv.routes {
		if rt.method == "GET" {
			continue
		}
		path := fill(rt.method, rt.path)
		refused(rt.method+" "+path+" without a Content-Type", bare(rt.method, path, "{}", token), "missing")
	}
	// PATCH takes a JSON merge patch as what it is; no other route does.
	patch := `{"displayName":"Vera"}`
	token["Content-Type"] = "application/merge-patch+json"
	if r := bare("PATCH", "/api/v1/users/viewer", patch, token); r.StatusCode != http.StatusOK {
		t.Errorf("PATCH as application/merge-patch+json: status %d, want 200; body %s", r.StatusCode, r.body)
	}
	token["Content-Type"] = "Application/Merge-Patch+JSON" // media types are case-insensitive
	if r := bare("PATCH", "/api/v1/users/viewer", patch, token); r.StatusCode != http.StatusOK {
		t.Errorf("PATCH as Application/Merge-Patch+JSON: status %d, want 200; body %s", r.StatusCode, r.body)
	}
	token["Content-Type"] = "application/merge-patch+json"
	refused("POST /api/v1/users as application/merge-patch+json", bare("POST", "/api/v1/users", `{}`, token), "expected application/json")
	delete(token, "Content-Type")
	refused("PATCH without a Content-Type", bare("PATCH", "/api/v1/users/viewer", patch, token), "application/merge-patch+json")
	// Requests without a body need no Content-Type.
	if r := bare("GET", "/api/v1/me", "", token); r.StatusCode != http.StatusOK {
		t.Errorf("GET without a body or Content-Type: status %d, want 200", r.StatusCode)
	}
	if r := bare("DELETE", "/api/v1/tokens/000000000000", "", token); r.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE without a body or Content-Type: status %d, want 404", r.StatusCode)
	}
	s := e.login("editor")
	if r := bare("POST", "/api/v1/logout", "", map[string]string{csrfHeader: s.csrf, "Cookie": sessionCookieOf(t, s)}); r.StatusCode != http.StatusNoContent {
		t.Errorf("logout without a body or Content-Type: status %d, want 204; body %s", r.StatusCode, r.body)
	}
	// The OpenAPI document says the same.
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody *struct {
				Content map[string]json.RawMessage `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	e.anonymous().do("GET", "/api/v1/openapi.json", nil, nil).json(t, &doc)
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if op.RequestBody == nil {
				continue
			}
			got := slices.Sorted(maps.Keys(op.RequestBody.Content))
			want := []string{"application/json"}
			if method == "patch" {
				want = []string{"application/json", "application/merge-patch+json"}
			}
			if !slices.Equal(got, want) {
				t.Errorf("OpenAPI %s %s takes %v, want %v", method, path, got, want)
			}
		}
	}
}

// sessionCookieOf is the session cookie of a signed-in client, as a Cookie header.
func sessionCookieOf(t *testing.T, c *client) string {
	t.Helper()
	u, _ := url.Parse(c.e.ts.URL)
	for _, k := range c.hc.Jar.Cookies(u) {
		if k.Name == sessionCookie {
			return k.Name + "=" + k.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.BodyLimit = 1000 })
	big := `{"failed": ["site/` + strings.Repeat("x", 2000) + `"]}`
	r := e.as(auth.RoleViewer).do("POST", "/api/v1/analyze", big, nil)
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413; body %s", r.StatusCode, r.body)
	}
	r.problem(t)
	// Exactly the limit passes the size check (and fails on content instead).
	exact := `{"failed": ["site/` + strings.Repeat("x", 1000-len(`{"failed": ["site/"]}`)) + `"]}`
	if len(exact) != 1000 {
		t.Fatalf("test body is %d bytes, want 1000", len(exact))
	}
	if r := e.as(auth.RoleViewer).do("POST", "/api/v1/analyze", exact, nil); r.StatusCode == http.StatusRequestEntityTooLarge {
		t.Errorf("a body of exactly the limit: status 413, want it accepted")
	}
}

func TestUnknownRoutesAnswerProblems(t *testing.T) {
	e := newEnv(t)
	for _, tt := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/api/v1/nothing", 404},
		{"DELETE", "/api/v1/login", 405},
		{"GET", "/no-such-page", 404},
	} {
		r := e.anonymous().do(tt.method, tt.path, nil, nil)
		if r.StatusCode != tt.status {
			t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, r.StatusCode, tt.status)
		}
		r.problem(t)
	}
	// A browser asking for a page that does not exist gets a page saying so.
	r := e.visitor().get("/no-such-page")
	if r.StatusCode != 404 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "There is no such page") {
		t.Errorf("GET /no-such-page from a browser: status %d, Content-Type %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	// The API stays JSON even for a browser.
	if r := e.visitor().get("/api/v1/nothing"); r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("GET /api/v1/nothing from a browser: Content-Type %q", r.Header.Get("Content-Type"))
	}
}

// TestInternalErrorsStayInside: a failing dependency answers 500 (or 503) with a request id,
// never the cause's text, which goes to the log.
func TestInternalErrorsStayInside(t *testing.T) {
	logged := &logBuffer{}
	e := newEnv(t, func(d *Deps) {
		d.Logger = logged.logger()
		d.Ready = func(context.Context) error { return errors.New("dial tcp 10.1.2.3:5432: secret-host refused") }
	})
	r := e.anonymous().do("GET", "/readyz", nil, nil)
	if r.StatusCode != http.StatusServiceUnavailable || strings.Contains(string(r.body), "secret-host") {
		t.Errorf("readyz: status %d body %s; want 503 without the cause", r.StatusCode, r.body)
	}
	r.problem(t)

	// Close the database under the server: every authenticated request fails inside.
	e.store.Close()
	r = e.as(auth.RoleViewer).do("GET", "/api/v1/services", nil, nil)
	if r.StatusCode != http.StatusInternalServerError {
		t.Fatalf("with the database closed: status %d, want 500; body %s", r.StatusCode, r.body)
	}
	p := r.problem(t)
	if p.RequestID == "" || p.RequestID != r.Header.Get("X-Request-Id") {
		t.Errorf("requestId %q, X-Request-Id %q; want both, equal", p.RequestID, r.Header.Get("X-Request-Id"))
	}
	if strings.Contains(strings.ToLower(string(r.body)), "sql") || strings.Contains(string(r.body), "closed") {
		t.Errorf("500 body leaks the cause: %s", r.body)
	}
	if !strings.Contains(logged.String(), p.RequestID) || !strings.Contains(logged.String(), "closed") {
		t.Errorf("the log does not have the cause under request id %s:\n%s", p.RequestID, logged.String())
	}
}
