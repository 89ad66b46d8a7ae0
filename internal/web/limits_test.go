package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestHeaderLimit: a request line or headers over MaxHeaderBytes are 431 with a problem
// document, not Go's plain text.
func TestHeaderLimit(t *testing.T) {
	e := newEnv(t)
	c := e.as("viewer")
	r := c.do("GET", "/api/v1/services?prefix="+strings.Repeat("a", 100<<10), nil, nil)
	if r.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("long query: status %d, want 431: %.300s", r.StatusCode, r.body)
	}
	if p := r.problem(t); !strings.Contains(p.Detail, "at most 65536") {
		t.Errorf("detail %q does not say the limit", p.Detail)
	}
	r = c.do("GET", "/api/v1/services", nil, map[string]string{"X-Big": strings.Repeat("b", 200<<10)})
	if r.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("big header: status %d, want 431: %.300s", r.StatusCode, r.body)
	}
	r.problem(t)
}

// TestFormBodyLimit: a form over the body limit is 413 with a page saying so, not 403 "the
// form has expired" (the CSRF token could not be read past the limit).
func TestFormBodyLimit(t *testing.T) {
	e := newDemoEnv(t)
	br := e.browse("editor")
	form := url.Values{"op": {"save"}, "name": {"big"}, "description": {strings.Repeat("x", 1<<20)}}
	r := br.post("/services/new", form)
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413: %.300s", r.StatusCode, r.body)
	}
	if !strings.Contains(string(r.body), "larger than this server takes") {
		t.Errorf("the page does not say the form is too large: %.1000s", r.body)
	}
}

// TestApplyLimit: apply takes up to its limit (8 MiB by default, as the documents say) and
// refuses more with 413.
func TestApplyLimit(t *testing.T) {
	e := newEnv(t)
	big := map[string]any{"source": "big", "files": []map[string]string{{"path": "big.yaml", "content": "# " + strings.Repeat("x", 9<<20)}}}
	r := e.as("editor").do("POST", "/api/v1/apply", big, nil)
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("9 MiB apply: status %d, want 413: %.300s", r.StatusCode, r.body)
	}
	r.problem(t)
	small := map[string]any{"source": "small", "files": []map[string]string{{"path": "small.yaml", "content": "# " + strings.Repeat("x", 7<<20)}}}
	if r := e.as("editor").do("POST", "/api/v1/apply", small, nil); r.StatusCode != http.StatusOK {
		t.Errorf("7 MiB apply: status %d, want 200: %.300s", r.StatusCode, r.body)
	}
}

// TestSecurityHeaders: HSTS over TLS only, and the page security headers on HTML error
// pages (404) as on other pages.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	tlsSrv := httptest.NewTLSServer(e.srv)
	defer tlsSrv.Close()
	res, err := tlsSrv.Client().Get(tlsSrv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if got := res.Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
		t.Errorf("over TLS: Strict-Transport-Security %q, want max-age=31536000", got)
	}
	if r := e.anonymous().do("GET", "/healthz", nil, nil); r.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("over plain HTTP: Strict-Transport-Security %q, want none", r.Header.Get("Strict-Transport-Security"))
	}
	for _, path := range []string{"/no-such-page", "/static/no-such-file.css"} {
		r := e.anonymous().do("GET", path, nil, map[string]string{"Accept": "text/html"})
		if r.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: status %d, want 404", path, r.StatusCode)
		}
		for k, want := range map[string]string{"Content-Security-Policy": contentSecurityPolicy, "X-Frame-Options": "DENY",
			"Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff"} {
			if got := r.Header.Get(k); got != want {
				t.Errorf("GET %s: %s %q, want %q", path, k, got, want)
			}
		}
	}
}

// TestListener431: headers past what the http.Server reads at all get net/http's own 431,
// which Listener turns into a problem document.
func TestListener431(t *testing.T) {
	e := newEnv(t)
	ts := httptest.NewUnstartedServer(e.srv)
	ts.Listener = Listener(ts.Listener)
	ts.Config.MaxHeaderBytes = HeaderReadLimit
	ts.Start()
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/api/v1/services", nil)
	req.Header.Set("X-Huge", strings.Repeat("h", 2<<20))
	res, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d, Content-Type %q, want 431 and a problem document: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	if !strings.Contains(string(body), `"status":431`) {
		t.Errorf("body %s is not the problem document", body)
	}
}
