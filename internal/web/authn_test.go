package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/audit"
	"github.com/perdura/perdura/internal/auth"
)

func TestLoginSession(t *testing.T) {
	e := newEnv(t)
	r := e.anonymous().do("POST", "/api/v1/login", map[string]string{"user": "editor", "password": password("editor")}, nil)
	if r.StatusCode != 200 {
		t.Fatalf("login: status %d body %s", r.StatusCode, r.body)
	}
	var c *http.Cookie
	for _, k := range r.Cookies() {
		if k.Name == sessionCookie {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || c.MaxAge != 12*3600 {
		t.Fatalf("session cookie %+v; want HttpOnly, SameSite=Lax, not Secure over plain HTTP, Max-Age 12h", c)
	}
	var me Me
	r.json(t, &me)
	if me.User != "editor" || me.Role != "editor" || me.Via != "session" || len(me.CSRF) < 32 {
		t.Errorf("login answered %s; want editor's session with a CSRF token", r.body)
	}

	s := e.login("editor")
	if r := s.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 200 || !strings.Contains(string(r.body), s.csrf) {
		t.Errorf("me: status %d body %s; want 200 with the CSRF token", r.StatusCode, r.body)
	}
	// A wrong CSRF token is as bad as none.
	first := "x" // change the first character; a token may already begin with x (1 in 64)
	if s.csrf[0] == 'x' {
		first = "y"
	}
	wrong := &client{e: e, hc: s.hc, csrf: first + s.csrf[1:]}
	if r := wrong.do("POST", "/api/v1/sites", site("dc-z", "1d"), nil); r.StatusCode != 403 {
		t.Errorf("wrong CSRF token: status %d, want 403", r.StatusCode)
	}
	if r := s.do("POST", "/api/v1/logout", nil, nil); r.StatusCode != 204 {
		t.Fatalf("logout: status %d body %s", r.StatusCode, r.body)
	}
	if r := s.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 401 {
		t.Errorf("me after logout: status %d, want 401", r.StatusCode)
	}

	// Sessions end after 12 hours.
	s = e.login("viewer")
	e.clock.Advance(12*time.Hour - time.Minute)
	if r := s.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 200 {
		t.Errorf("me after 11h59m: status %d, want 200", r.StatusCode)
	}
	e.clock.Advance(time.Minute)
	if r := s.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 401 {
		t.Errorf("me after 12h: status %d, want 401", r.StatusCode)
	}
}

func TestSecureCookie(t *testing.T) {
	e := newEnv(t, func(d *Deps) { d.SecureCookies = true })
	r := e.anonymous().do("POST", "/api/v1/login", map[string]string{"user": "viewer", "password": password("viewer")}, nil)
	for _, k := range r.Cookies() {
		if k.Name == sessionCookie && !k.Secure {
			t.Errorf("with SecureCookies the session cookie is not Secure: %+v", k)
		}
	}
}

// TestLoginRateLimit: five failures for a name lock it out for the window, whatever the
// password; unknown users and wrong passwords get the same answer.
func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	anon := e.anonymous()
	unknown := anon.do("POST", "/api/v1/login", map[string]string{"user": "mallory", "password": "whatever"}, nil)
	var bodies []string
	for i := range 5 {
		r := anon.do("POST", "/api/v1/login", map[string]string{"user": "editor", "password": "wrong"}, nil)
		if r.StatusCode != 401 {
			t.Fatalf("failure %d: status %d, want 401", i+1, r.StatusCode)
		}
		bodies = append(bodies, r.problem(t).Detail)
	}
	if unknown.StatusCode != 401 || unknown.problem(t).Detail != bodies[0] {
		t.Errorf("unknown user: %d %s; want the same 401 as a wrong password (%q)", unknown.StatusCode, unknown.body, bodies[0])
	}
	r := anon.do("POST", "/api/v1/login", map[string]string{"user": "editor", "password": password("editor")}, nil)
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth login with the right password: status %d Retry-After %q, want 429 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	r.problem(t)
	// The address has 6 failures, under its own limit (20): other users from it log in.
	if r := anon.do("POST", "/api/v1/login", map[string]string{"user": "viewer", "password": password("viewer")}, nil); r.StatusCode != 200 {
		t.Errorf("another user from the same address: status %d, want 200", r.StatusCode)
	}
	// Sessions and tokens are not affected: the limit is on logins.
	if r := e.as("editor").do("GET", "/api/v1/me", nil, nil); r.StatusCode != 200 {
		t.Errorf("token during lockout: status %d, want 200", r.StatusCode)
	}
	e.clock.Advance(15*time.Minute + time.Second)
	if r := anon.do("POST", "/api/v1/login", map[string]string{"user": "editor", "password": password("editor")}, nil); r.StatusCode != 200 {
		t.Errorf("login after the window: status %d, want 200; body %s", r.StatusCode, r.body)
	}
}

// TestDisabledUsersStopWorking: disabling a user ends their sessions and revokes their
// tokens in the same transaction, so that the old cookie and the old token stay dead when the
// user is enabled again; the user signs in anew and makes new tokens.
func TestDisabledUsersStopWorking(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		e := newEnvOn(t, dsn, seed)
		s := e.login("editor")
		tok := e.as("editor")
		admin := e.as("admin")
		if r := admin.do("PATCH", "/api/v1/users/editor", map[string]any{"disabled": true}, nil); r.StatusCode != 200 {
			t.Fatalf("disable: status %d body %s", r.StatusCode, r.body)
		}
		for name, c := range map[string]*client{"session": s, "token": tok} {
			if r := c.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 401 {
				t.Errorf("%s of a disabled user: status %d, want 401", name, r.StatusCode)
			}
		}
		if r := e.anonymous().do("POST", "/api/v1/login", map[string]string{"user": "editor", "password": password("editor")}, nil); r.StatusCode != 401 {
			t.Errorf("login of a disabled user: status %d, want 401", r.StatusCode)
		}
		if r := admin.do("PATCH", "/api/v1/users/editor", map[string]any{"disabled": false}, nil); r.StatusCode != 200 {
			t.Fatalf("enable again: status %d body %s", r.StatusCode, r.body)
		}
		e.clock.Advance(time.Minute) // past any cache of the old credentials
		for name, c := range map[string]*client{"session": s, "token": tok} {
			if r := c.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 401 {
				t.Errorf("the old %s after enabling the user again: status %d, want 401", name, r.StatusCode)
			}
		}
		var toks TokenList
		admin.do("GET", "/api/v1/tokens?user=editor", nil, nil).json(t, &toks)
		if len(toks.Items) != 1 || !toks.Items[0].Revoked {
			t.Errorf("the editor's tokens after the disable: %+v, want their one token revoked", toks.Items)
		}
		var trail struct {
			Items []struct{ Detail json.RawMessage }
		}
		r := admin.do("GET", "/api/v1/audit?action=user.update&limit=2", nil, nil)
		r.json(t, &trail)
		if len(trail.Items) != 2 || !strings.Contains(string(trail.Items[1].Detail), `"sessionsEnded":1,"tokensRevoked":1`) {
			t.Errorf("audit of the disable: %s, want the session ended and the token revoked", r.body)
		}

		// Signed in anew, with a new token: they work, and demoting the user demotes the token.
		s = e.login("editor")
		var nt NewToken
		if r := s.do("POST", "/api/v1/tokens", map[string]any{"name": "again", "role": "editor"}, nil); r.StatusCode != 201 {
			t.Fatalf("new token after enabling: status %d body %s", r.StatusCode, r.body)
		} else {
			r.json(t, &nt)
		}
		tok = &client{e: e, hc: e.ts.Client(), bearer: nt.Secret}
		if r := tok.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 200 {
			t.Errorf("a new token after enabling: status %d, want 200", r.StatusCode)
		}
		admin.do("PATCH", "/api/v1/users/editor", map[string]any{"role": "viewer"}, nil)
		if r := tok.do("POST", "/api/v1/sites", site("dc-z", "1d"), nil); r.StatusCode != 403 {
			t.Errorf("editor token of a demoted user: status %d, want 403", r.StatusCode)
		}
		if r := s.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 200 {
			t.Errorf("a demotion ended the session: status %d, want 200", r.StatusCode)
		}
	})
}

func TestUsers(t *testing.T) {
	e := newEnv(t)
	admin := e.as("admin")
	r := admin.do("POST", "/api/v1/users", map[string]any{"name": "zoe", "role": "editor", "password": "zoe's long password"}, nil)
	if r.StatusCode != 201 || strings.Contains(string(r.body), "argon2") {
		t.Fatalf("create user: status %d body %s; want 201 without the hash", r.StatusCode, r.body)
	}
	if r := e.anonymous().do("POST", "/api/v1/login", map[string]string{"user": "zoe", "password": "zoe's long password"}, nil); r.StatusCode != 200 {
		t.Errorf("login of the new user: status %d", r.StatusCode)
	}
	if r := admin.do("POST", "/api/v1/users", map[string]any{"name": "zoe", "role": "viewer", "password": "another long password"}, nil); r.StatusCode != 409 {
		t.Errorf("create again: status %d, want 409", r.StatusCode)
	}
	if r := admin.do("POST", "/api/v1/users", map[string]any{"name": "yan", "role": "viewer", "password": "short"}, nil); r.StatusCode != 400 {
		t.Errorf("short password: status %d, want 400", r.StatusCode)
	}
	r = admin.do("GET", "/api/v1/users", nil, nil)
	var list UserList
	r.json(t, &list)
	if len(list.Items) != 6 {
		t.Errorf("users: %d, want 6; body %s", len(list.Items), r.body)
	}
	// The last enabled admin stays.
	if r := admin.do("PATCH", "/api/v1/users/admin", map[string]any{"role": "viewer"}, nil); r.StatusCode != 409 {
		t.Errorf("demote the last admin: status %d, want 409", r.StatusCode)
	}
	if r := admin.do("DELETE", "/api/v1/users/admin", nil, nil); r.StatusCode != 409 {
		t.Errorf("delete the last admin: status %d, want 409", r.StatusCode)
	}
	if r := admin.do("DELETE", "/api/v1/users/zoe", nil, nil); r.StatusCode != 204 {
		t.Errorf("delete zoe: status %d, want 204; body %s", r.StatusCode, r.body)
	}
	if r := admin.do("GET", "/api/v1/users/zoe", nil, nil); r.StatusCode != 404 {
		t.Errorf("get deleted user: status %d, want 404", r.StatusCode)
	}
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	ed := e.login("editor")
	r := ed.do("POST", "/api/v1/tokens", map[string]any{"name": "ci", "role": "viewer"}, nil)
	if r.StatusCode != 201 {
		t.Fatalf("create token: status %d body %s", r.StatusCode, r.body)
	}
	var nt NewToken
	r.json(t, &nt)
	if _, ok := auth.TokenID(nt.Secret); !ok || nt.Role != "viewer" || nt.User != "editor" {
		t.Fatalf("create token answered %s; want a pdr_ secret with role viewer for editor", r.body)
	}
	ci := &client{e: e, hc: e.ts.Client(), bearer: nt.Secret}
	if r := ci.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 200 || !strings.Contains(string(r.body), `"role":"viewer"`) {
		t.Errorf("me with the new token: status %d body %s", r.StatusCode, r.body)
	}
	if r := ci.do("POST", "/api/v1/sites", site("dc-z", "1d"), nil); r.StatusCode != 403 {
		t.Errorf("write with a viewer token of an editor: status %d, want 403", r.StatusCode)
	}
	// Lists never show secrets; only one's own tokens unless admin.
	r = ed.do("GET", "/api/v1/tokens", nil, nil)
	if strings.Contains(string(r.body), nt.Secret) || strings.Contains(string(r.body), "secret") {
		t.Errorf("token list shows a secret: %s", r.body)
	}
	var list TokenList
	r.json(t, &list)
	for _, tk := range list.Items {
		if tk.User != "editor" {
			t.Errorf("editor sees %s's token %s", tk.User, tk.ID)
		}
	}
	if r := ed.do("GET", "/api/v1/tokens?user=admin", nil, nil); r.StatusCode != 403 {
		t.Errorf("editor lists admin's tokens: status %d, want 403", r.StatusCode)
	}
	if r := e.as("admin").do("GET", "/api/v1/tokens", nil, nil); !strings.Contains(string(r.body), nt.ID) {
		t.Errorf("admin's token list lacks editor's token: %s", r.body)
	}
	// No minting tokens above one's role.
	if r := ed.do("POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "admin"}, nil); r.StatusCode != 403 {
		t.Errorf("editor creates an admin token: status %d, want 403", r.StatusCode)
	}
	if r := ci.do("POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "editor"}, nil); r.StatusCode != 403 {
		t.Errorf("viewer token creates an editor token: status %d, want 403", r.StatusCode)
	}
	// Expiry and revocation.
	exp := e.clock.Now().Add(time.Hour)
	r = ed.do("POST", "/api/v1/tokens", map[string]any{"name": "short", "expiresAt": exp}, nil)
	var short NewToken
	r.json(t, &short)
	sc := &client{e: e, hc: e.ts.Client(), bearer: short.Secret}
	if r := sc.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 200 {
		t.Errorf("expiring token before expiry: status %d", r.StatusCode)
	}
	e.clock.Advance(time.Hour)
	if r := sc.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 401 {
		t.Errorf("expired token: status %d, want 401", r.StatusCode)
	}
	if r := e.login("viewer").do("DELETE", "/api/v1/tokens/"+nt.ID, nil, nil); r.StatusCode != 404 {
		t.Errorf("viewer revokes editor's token: status %d, want 404", r.StatusCode)
	}
	if r := ed.do("DELETE", "/api/v1/tokens/"+nt.ID, nil, nil); r.StatusCode != 204 {
		t.Errorf("revoke: status %d body %s", r.StatusCode, r.body)
	}
	if r := ci.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 401 {
		t.Errorf("revoked token: status %d, want 401", r.StatusCode)
	}
	if r := (&client{e: e, hc: e.ts.Client(), bearer: "pdr_nonsense"}).do("GET", "/api/v1/me", nil, nil); r.StatusCode != 401 {
		t.Errorf("malformed token: status %d, want 401", r.StatusCode)
	}
}

// TestTokensNeedSession: a leaked token, however short-lived, cannot mint a lasting one or
// revoke its owner's other tokens, through the API or the account page; it may still list
// them. A session may, and so may a token acting as an admin.
func TestTokensNeedSession(t *testing.T) {
	e := newEnv(t)
	ed := e.login("editor")
	exp := e.clock.Now().Add(time.Hour)
	var short, other NewToken
	ed.do("POST", "/api/v1/tokens", map[string]any{"name": "short", "expiresAt": exp}, nil).json(t, &short)
	ed.do("POST", "/api/v1/tokens", map[string]any{"name": "other"}, nil).json(t, &other)
	leaked := &client{e: e, hc: e.ts.Client(), bearer: short.Secret}

	r := leaked.do("POST", "/api/v1/tokens", map[string]any{"name": "forever"}, nil)
	if p := r.problem(t); r.StatusCode != 403 || !strings.Contains(p.Detail, "sign in with your password") {
		t.Errorf("a token creates a token: status %d %q, want 403 saying to sign in", r.StatusCode, p.Detail)
	}
	// Refused before the body is read: what it asks for does not matter.
	if r := leaked.do("POST", "/api/v1/tokens", "{}", nil); r.StatusCode != 403 {
		t.Errorf("a token creates a token with an empty body: status %d, want 403", r.StatusCode)
	}
	for _, id := range []string{other.ID, short.ID, "000000000000"} {
		if r := leaked.do("DELETE", "/api/v1/tokens/"+id, nil, nil); r.StatusCode != 403 {
			t.Errorf("a token revokes token %s: status %d, want 403", id, r.StatusCode)
		}
	}
	// Through the account page's forms, too.
	if r := leaked.do("POST", "/account/tokens", "name=forever", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); r.StatusCode != 403 {
		t.Errorf("a token posts the account page's token form: status %d, want 403", r.StatusCode)
	}
	if r := leaked.do("POST", "/account/tokens/"+other.ID+"/revoke", nil, nil); r.StatusCode != 403 {
		t.Errorf("a token posts the account page's revoke form: status %d, want 403", r.StatusCode)
	}
	if r := leaked.do("GET", "/account", nil, nil); r.StatusCode != 200 || strings.Contains(string(r.body), `id="token-form"`) ||
		!strings.Contains(string(r.body), `id="token-session-only"`) {
		t.Errorf("the account page through a token: status %d, want 200 without the token form", r.StatusCode)
	}
	var list TokenList
	if r := leaked.do("GET", "/api/v1/tokens", nil, nil); r.StatusCode != 200 {
		t.Errorf("a token lists its owner's tokens: status %d, want 200", r.StatusCode)
	} else if r.json(t, &list); len(list.Items) != 3 {
		t.Errorf("a token lists %d tokens, want editor's 3", len(list.Items))
	}
	for _, tk := range list.Items {
		if tk.Revoked {
			t.Errorf("token %s was revoked", tk.ID)
		}
	}
	if r := e.as("editor").do("GET", "/api/v1/me", nil, nil); r.StatusCode != 200 {
		t.Errorf("editor's other token after the attempts: status %d, want 200", r.StatusCode)
	}

	// An admin's token acts as an admin: it may create, and revoke anyone's.
	admin := e.as("admin")
	if r := admin.do("POST", "/api/v1/tokens", map[string]any{"name": "rotated"}, nil); r.StatusCode != 201 {
		t.Errorf("an admin token creates a token: status %d, want 201; body %s", r.StatusCode, r.body)
	}
	if r := admin.do("DELETE", "/api/v1/tokens/"+short.ID, nil, nil); r.StatusCode != 204 {
		t.Errorf("an admin token revokes editor's token: status %d, want 204", r.StatusCode)
	}
	// An admin's token with a lesser role does not act as an admin.
	var lesser NewToken
	e.login("admin").do("POST", "/api/v1/tokens", map[string]any{"name": "report", "role": "viewer"}, nil).json(t, &lesser)
	if r := (&client{e: e, hc: e.ts.Client(), bearer: lesser.Secret}).do("POST", "/api/v1/tokens", map[string]any{"name": "x", "role": "viewer"}, nil); r.StatusCode != 403 {
		t.Errorf("an admin's viewer token creates a token: status %d, want 403", r.StatusCode)
	}
	// The session revokes.
	if r := ed.do("DELETE", "/api/v1/tokens/"+other.ID, nil, nil); r.StatusCode != 204 {
		t.Errorf("a session revokes its user's token: status %d, want 204", r.StatusCode)
	}
}

// TestAudit: logins, failed logins, logouts and writes are in the trail, which verifies.
func TestAudit(t *testing.T) {
	e := newEnv(t)
	e.anonymous().do("POST", "/api/v1/login", map[string]string{"user": "viewer", "password": "wrong password"}, nil)
	s := e.login("editor")
	s.do("POST", "/api/v1/sites", site("dc-z", "1d"), nil)
	s.do("POST", "/api/v1/logout", nil, nil)

	au := e.as("auditor")
	r := au.do("GET", "/api/v1/audit?limit=1000", nil, nil)
	if r.StatusCode != 200 {
		t.Fatalf("audit: status %d body %s", r.StatusCode, r.body)
	}
	var page AuditPage
	r.json(t, &page)
	seen := map[string]bool{}
	for _, en := range page.Items {
		seen[en.Action+" "+en.Actor] = true
		if strings.Contains(string(en.Detail), "wrong password") {
			t.Errorf("an audit entry holds the password tried: %+v", en)
		}
	}
	for _, want := range []string{"login.failed viewer", "login editor", "object.create editor", "logout editor"} {
		if !seen[want] {
			t.Errorf("audit trail lacks %q; has %v", want, seen)
		}
	}
	r = au.do("GET", "/api/v1/audit?action=login.&limit=1", nil, nil)
	r.json(t, &page)
	if len(page.Items) != 1 || !strings.HasPrefix(page.Items[0].Action, "login") || page.Next == 0 {
		t.Errorf("audit filtered and paged: %s; want one login entry and a next cursor", r.body)
	}
	r = au.do("GET", "/api/v1/audit/verify", nil, nil)
	var v Verification
	r.json(t, &v)
	if !v.OK || v.Checked < 4 {
		t.Errorf("verify: %s; want ok over every entry", r.body)
	}
	if _, err := e.store.Audit(t.Context(), audit.Query{}); err != nil {
		t.Fatal(err)
	}
}

// TestMetrics: requests are counted by route pattern, never by raw path.
func TestMetrics(t *testing.T) {
	e := newEnv(t)
	v := e.as("viewer")
	v.do("GET", "/api/v1/services/web", nil, nil)
	v.do("GET", "/api/v1/services/db", nil, nil)
	v.do("GET", "/api/v1/no/such/thing", nil, nil)
	r := e.anonymous().do("GET", "/metrics", nil, nil)
	body := string(r.body)
	want := `perdura_http_requests_total{method="GET",route="GET /api/v1/services/{name}",status="200"} 2`
	if !strings.Contains(body, want) {
		t.Errorf("metrics lack %s", want)
	}
	if strings.Contains(body, "/api/v1/services/web") || strings.Contains(body, "no/such") {
		t.Errorf("metrics carry raw paths")
	}
	if !strings.Contains(body, `route="unmatched"`) || !strings.Contains(body, "perdura_http_request_duration_seconds_bucket") {
		t.Errorf("metrics lack the unmatched route or the duration histogram")
	}
}

// TestMetricsMethods: made-up methods, sent without signing in, are counted as OTHER, so
// that no client can grow the series the server keeps without bound.
func TestMetricsMethods(t *testing.T) {
	e := newEnv(t)
	anon := e.anonymous()
	sent := []string{"BREW", "PROPFIND", "get", "X-123"}
	for i := range 50 {
		sent = append(sent, fmt.Sprintf("M%d", i))
	}
	for _, m := range sent {
		for _, path := range []string{"/api/v1/services/web", "/no/such/page", "/healthz"} {
			if r := anon.do(m, path, nil, nil); r.StatusCode < 400 {
				t.Errorf("%s %s: status %d, want a refusal", m, path, r.StatusCode)
			}
		}
	}
	anon.do("DELETE", "/api/v1/services/web", nil, nil)
	body := string(anon.do("GET", "/metrics", nil, nil).body)
	for _, m := range sent {
		if strings.Contains(body, `method="`+m+`"`) {
			t.Errorf("metrics have a series for the method %q", m)
		}
	}
	for _, want := range []string{
		`perdura_http_requests_total{method="OTHER",route="unmatched",status="405"}`,
		`perdura_http_requests_total{method="DELETE",route="DELETE /api/v1/services/{name}",status="401"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Every label value of the request series comes from a bounded set.
	for line := range strings.Lines(body) {
		if !strings.HasPrefix(line, "perdura_http_request") {
			continue
		}
		method := between(line, `method="`, `"`)
		if !slices.Contains([]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "OTHER"}, method) {
			t.Errorf("a series with the method %q: %s", method, line)
		}
	}
}

// TestLockedLoginsNotAudited: wrong passwords are audited, but logins the rate limit refuses
// (which check no password) are not, so a client retrying a locked name cannot grow the
// audit trail; the lock is logged once per name or address and window, never the password.
func TestLockedLoginsNotAudited(t *testing.T) {
	var logs logBuffer
	e := newEnv(t, func(d *Deps) { d.Logger = logs.logger() })
	anon := e.anonymous()
	failed := func() int {
		t.Helper()
		var page AuditPage
		e.as("auditor").do("GET", "/api/v1/audit?action=login.failed&limit=1000", nil, nil).json(t, &page)
		return len(page.Items)
	}
	warnings := func(key string) int {
		t.Helper()
		n := 0
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, `"level":"WARN"`) && strings.Contains(line, `"key":"`+key+`"`) {
				n++
			}
		}
		return n
	}
	try := func(user, pw string, want int) {
		t.Helper()
		if r := anon.do("POST", "/api/v1/login", map[string]string{"user": user, "password": pw}, nil); r.StatusCode != want {
			t.Fatalf("login %s: status %d, want %d", user, r.StatusCode, want)
		}
	}
	for i := range 5 {
		try("editor", fmt.Sprintf("wrong password %d", i), 401)
	}
	if got := failed(); got != 5 {
		t.Errorf("login.failed entries after 5 wrong passwords: %d, want 5", got)
	}
	for i := range 50 {
		try("editor", fmt.Sprintf("locked guess %d", i), 429)
		try("Editor", password("editor"), 429) // the right one too, in any case
	}
	// The login page, as the API.
	b := e.visitor()
	tok := between(string(b.get("/login").body), `name="token" value="`, `"`)
	if r := b.post("/login", url.Values{"token": {tok}, "user": {"editor"}, "password": {"locked guess on the page"}}); r.StatusCode != 429 {
		t.Errorf("login page while locked: status %d, want 429", r.StatusCode)
	}
	if got := failed(); got != 5 {
		t.Errorf("login.failed entries after 101 locked attempts: %d, want still 5", got)
	}
	if got := warnings("user:editor"); got != 1 {
		t.Errorf("warnings about the lock of editor: %d, want 1; log:\n%s", got, logs.String())
	}

	// After the window, wrong passwords are audited again, and a new lock is logged anew.
	e.clock.Advance(15*time.Minute + time.Second)
	for i := range 5 {
		try("editor", fmt.Sprintf("later wrong password %d", i), 401)
	}
	try("editor", "locked again", 429)
	try("editor", "locked again", 429)
	if got, want := failed(), 10; got != want {
		t.Errorf("login.failed entries in the second window: %d, want %d", got, want)
	}
	if got := warnings("user:editor"); got != 2 {
		t.Errorf("warnings about editor's second lock: %d, want 2", got)
	}

	// An address trying many names is locked and logged once too: 20 failures in the window,
	// editor's 5 with 15 more names.
	for i := range 15 {
		try(fmt.Sprintf("guess%d", i), "x", 401)
	}
	for i := range 20 {
		try(fmt.Sprintf("other%d", i), "x", 429)
	}
	if got := warnings("addr:127.0.0.1"); got != 1 {
		t.Errorf("warnings about the address's lock: %d, want 1", got)
	}
	if got, want := failed(), 25; got != want {
		t.Errorf("login.failed entries after the address lock: %d, want %d", got, want)
	}
	for _, secret := range []string{"wrong password", "locked guess", "locked again", password("editor")} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a password tried (%q)", secret)
		}
	}
}

// TestLoginRateLimitPerAddress: one address trying many names is stopped after 20 failures.
func TestLoginRateLimitPerAddress(t *testing.T) {
	e := newEnv(t)
	anon := e.anonymous()
	for i := range 20 {
		r := anon.do("POST", "/api/v1/login", map[string]string{"user": "guess" + string(rune('a'+i)), "password": "x"}, nil)
		if r.StatusCode != 401 {
			t.Fatalf("failure %d: status %d, want 401", i+1, r.StatusCode)
		}
	}
	if r := anon.do("POST", "/api/v1/login", map[string]string{"user": "viewer", "password": password("viewer")}, nil); r.StatusCode != 429 {
		t.Errorf("login from an address with 20 failures: status %d, want 429", r.StatusCode)
	}
}

// TestTrustedProxies: behind a trusted reverse proxy the client is the one X-Forwarded-For
// names, past any trusted hops, for the audit trail and the login limits, and the session
// cookie is Secure when the proxy says the client used https. From a peer that is not
// trusted, or with no proxy configured, the headers are ignored: they cannot be forged.
func TestTrustedProxies(t *testing.T) {
	lastRemote := func(e *env) string {
		t.Helper()
		es, err := e.store.Audit(context.Background(), audit.Query{Action: "login.failed", Limit: 1})
		if err != nil || len(es) == 0 {
			t.Fatalf("no login.failed entry: %v", err)
		}
		return es[0].Remote
	}
	tryLogin := func(e *env, header map[string]string) response {
		t.Helper()
		return e.anonymous().do("POST", "/api/v1/login", map[string]string{"user": "editor", "password": "wrong"}, header)
	}
	for _, c := range []struct {
		name    string
		trusted []string
		xff     string
		want    string
	}{
		{"no proxy configured", nil, "203.0.113.7", "127.0.0.1"},
		{"a trusted proxy", []string{"127.0.0.0/8"}, "203.0.113.7", "203.0.113.7"},
		{"a chain of trusted proxies", []string{"127.0.0.0/8", "10.0.0.0/8"}, "198.51.100.2, 203.0.113.7, 10.1.2.3", "203.0.113.7"},
		{"a forged first hop", []string{"127.0.0.0/8"}, "192.0.2.66, 203.0.113.7", "203.0.113.7"},
		{"a header that does not parse", []string{"127.0.0.0/8"}, "not-an-address", "127.0.0.1"},
		{"another peer's header", []string{"10.0.0.0/8"}, "203.0.113.7", "127.0.0.1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var prefixes []netip.Prefix
			for _, p := range c.trusted {
				prefixes = append(prefixes, netip.MustParsePrefix(p))
			}
			e := newEnv(t, func(d *Deps) { d.TrustedProxies = prefixes })
			tryLogin(e, map[string]string{"X-Forwarded-For": c.xff})
			if got := lastRemote(e); got != c.want {
				t.Errorf("X-Forwarded-For %q: the audit trail has the client as %q, want %q", c.xff, got, c.want)
			}
		})
	}
	// https at the proxy: the session cookie is Secure.
	e := newEnv(t, func(d *Deps) { d.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} })
	r := e.anonymous().do("POST", "/api/v1/login", map[string]string{"user": "editor", "password": password("editor")}, map[string]string{"X-Forwarded-Proto": "https"})
	if c := r.Header.Get("Set-Cookie"); r.StatusCode != 200 || !strings.Contains(c, "Secure") {
		t.Errorf("login through a TLS-terminating proxy: status %d, cookie %q, want Secure", r.StatusCode, c)
	}
	e = newEnv(t) // no proxy configured: the header is only a claim
	r = e.anonymous().do("POST", "/api/v1/login", map[string]string{"user": "editor", "password": password("editor")}, map[string]string{"X-Forwarded-Proto": "https"})
	if c := r.Header.Get("Set-Cookie"); r.StatusCode != 200 || strings.Contains(c, "Secure") {
		t.Errorf("X-Forwarded-Proto from an untrusted peer: status %d, cookie %q, want no Secure", r.StatusCode, c)
	}
}

// TestSessionLimit: a user keeps the newest sessions up to the limit (20 by default): the
// next login ends the oldest, however many logins come.
func TestSessionLimit(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		e := newEnvOn(t, dsn, seed)
		first := e.login("viewer")
		var last *client
		for range 20 {
			e.clock.Advance(time.Second)
			last = e.login("viewer")
		}
		e.clock.Advance(time.Minute) // past the cache of the first session
		if r := first.do("GET", "/api/v1/me", nil, nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("the oldest of 21 sessions: status %d, want 401", r.StatusCode)
		}
		if r := last.do("GET", "/api/v1/me", nil, nil); r.StatusCode != http.StatusOK {
			t.Errorf("the newest session: status %d, want 200", r.StatusCode)
		}
		n := 0
		for i := range 3 { // other users' sessions are not counted with the viewer's
			e.clock.Advance(time.Second)
			if r := e.login("editor").do("GET", "/api/v1/me", nil, nil); r.StatusCode == http.StatusOK {
				n++
			} else {
				t.Errorf("editor session %d: status %d", i, r.StatusCode)
			}
		}
		if r := last.do("GET", "/api/v1/me", nil, nil); r.StatusCode != http.StatusOK || n != 3 {
			t.Errorf("after the editor's logins: the viewer's newest session %d, editor sessions %d", r.StatusCode, n)
		}
	})
}
