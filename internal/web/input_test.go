package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestBadInputRefusedAtTheDoor sends a NUL byte or invalid UTF-8 through every kind of door
// (JSON bodies, forms, query parameters, names in paths), signed in and not: each is 400, a
// problem document for the API and a page for a browser, on both engines (PostgreSQL answered
// 500, "invalid byte sequence for encoding UTF8: 0x00"). Text that only looks like a NUL
// (an escaped backslash before u0000) passes.
func TestBadInputRefusedAtTheDoor(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		e := newEnvOn(t, dsn, seed)
		admin := e.login("admin")
		br := e.browse("admin")
		cases := []struct {
			name         string
			c            *client
			method, path string
			body         any
		}{
			{"login user", e.anonymous(), "POST", "/api/v1/login", `{"user":"ad\u0000min","password":"password-of-admin"}`},
			{"login password", e.anonymous(), "POST", "/api/v1/login", `{"user":"admin","password":"pass\u0000word"}`},
			{"login invalid UTF-8", e.anonymous(), "POST", "/api/v1/login", "{\"user\":\"ad\xffmin\",\"password\":\"x\"}"},
			{"prefix", e.as("viewer"), "GET", "/api/v1/services?prefix=w%00", nil},
			{"prefix invalid UTF-8", e.as("viewer"), "GET", "/api/v1/services?prefix=w%FF", nil},
			{"name in path", e.as("viewer"), "GET", "/api/v1/services/we%00b", nil},
			{"name in path invalid UTF-8", e.as("viewer"), "GET", "/api/v1/services/we%C3b", nil},
			{"name in path, not signed in", e.anonymous(), "GET", "/api/v1/services/we%00b", nil},
			{"actor", e.as("auditor"), "GET", "/api/v1/audit?actor=ad%00min", nil},
			{"user", admin, "GET", "/api/v1/tokens?user=ad%00min", nil},
			{"display name", admin, "POST", "/api/v1/users", `{"name":"nul","displayName":"N\u0000L","role":"viewer","password":"a long enough password"}`},
			{"display name update", admin, "PATCH", "/api/v1/users/viewer", `{"displayName":"V\u0000"}`},
			{"token name", admin, "POST", "/api/v1/tokens", `{"name":"t\u0000"}`},
			{"object document", e.as("editor"), "POST", "/api/v1/sites", `{"apiVersion":"perdura/v1","kind":"Site","metadata":{"name":"s","title":"a\u0000"},"spec":{}}`},
			{"query parameter name", e.as("viewer"), "GET", "/api/v1/services?a%00=1", nil},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := c.c.do(c.method, c.path, c.body, nil)
				if r.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %.300s", r.StatusCode, r.body)
				}
				if p := r.problem(t); !strings.Contains(p.Detail, "NUL") && !strings.Contains(p.Detail, "UTF-8") {
					t.Errorf("detail %q does not say what is wrong", p.Detail)
				}
			})
		}
		pages := []struct {
			name, method, path string
			form               url.Values
		}{
			{"login form", "POST", "/login", url.Values{"user": {"ad\x00min"}, "password": {"x"}}},
			{"login form invalid UTF-8", "POST", "/login", url.Values{"user": {"ad\xffmin"}, "password": {"x"}}},
			{"page query", "GET", "/services?prefix=a%00", nil},
			{"page path", "GET", "/services/we%00b", nil},
			{"display name form", "POST", "/admin/users", url.Values{"name": {"nul"}, "displayName": {"N\x00L"}, "role": {"viewer"}}},
			{"token name form", "POST", "/account/tokens", url.Values{"name": {"t\x00"}}},
		}
		for _, pg := range pages {
			t.Run(pg.name, func(t *testing.T) {
				var r response
				if pg.method == "GET" {
					r = br.get(pg.path)
				} else {
					r = br.post(pg.path, pg.form)
				}
				if r.StatusCode != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %.300s", r.StatusCode, r.body)
				}
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
					t.Errorf("Content-Type %q, want a page", ct)
				}
				if !strings.Contains(string(r.body), "cannot be read") {
					t.Errorf("the page does not say what is wrong: %.500s", r.body)
				}
				if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("Content-Security-Policy") == "" {
					t.Errorf("the error page lacks the security headers: %v", r.Header)
				}
			})
		}
		// An escaped backslash followed by u0000 is text, and is stored.
		r := admin.do("POST", "/api/v1/users", `{"name":"backslash","displayName":"C:\\u0000","role":"viewer","password":"a long enough password"}`, nil)
		if r.StatusCode != http.StatusCreated {
			t.Errorf(`display name C:\u0000 (escaped backslash): status %d, want 201: %s`, r.StatusCode, r.body)
		}
	})
}
