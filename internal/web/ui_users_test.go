package web

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/perdura/perdura/internal/auth"
)

// signIn signs a user in through the login form with a password, as browse does for the
// test users.
func (e *env) signIn(name, pw string) (*browser, response) {
	e.t.Helper()
	b := e.visitor()
	r := b.get("/login")
	tok := between(string(r.body), `name="token" value="`, `"`)
	r = b.post("/login", url.Values{"token": {tok}, "user": {name}, "password": {pw}, "next": {"/account"}})
	if r.StatusCode == http.StatusSeeOther {
		var m Me
		b.get("/api/v1/me").json(e.t, &m)
		b.csrf = m.CSRF
	}
	return b, r
}

func usersMain(r response) string { return between(string(r.body), "<main", "</main>") }

// TestUsersCreateAndSignIn: an admin adds a user through the page (typed password and a
// generated one), both sign in, the list and its filter show them, and no password reaches
// the log.
func TestUsersCreateAndSignIn(t *testing.T) {
	var logs logBuffer
	e := newDemoEnv(t, func(d *Deps) { d.Logger = logs.logger() })
	a := e.browse("admin")

	r := a.get("/admin/users")
	if r.StatusCode != 200 || !strings.Contains(usersMain(r), `href="/admin/users/auditor"`) || !strings.Contains(string(r.body), `href="/admin/users" aria-current="page"`) {
		t.Fatalf("GET /admin/users: status %d; %.800s", r.StatusCode, usersMain(r))
	}
	r = a.post("/admin/users", url.Values{"name": {"j.doe"}, "displayName": {"Jane Doe"}, "role": {"editor"}, "password": {"correct horse battery"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/users/j.doe?done=created" {
		t.Fatalf("create j.doe: status %d Location %q; %.800s", r.StatusCode, r.Header.Get("Location"), usersMain(r))
	}
	r = a.get("/admin/users/j.doe?done=created")
	if r.StatusCode != 200 || !strings.Contains(usersMain(r), "Jane Doe") || !strings.Contains(usersMain(r), "The user was created") {
		t.Errorf("GET /admin/users/j.doe: status %d; %.800s", r.StatusCode, usersMain(r))
	}
	j, r := e.signIn("j.doe", "correct horse battery")
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as j.doe: status %d", r.StatusCode)
	}
	r = j.get("/account")
	if r.StatusCode != 200 || !strings.Contains(usersMain(r), "<code>j.doe</code>") || !strings.Contains(usersMain(r), "Jane Doe") {
		t.Errorf("GET /account as j.doe: status %d; %.800s", r.StatusCode, usersMain(r))
	}
	if !strings.Contains(usersMain(r), `<option value="viewer" selected>`) {
		t.Errorf("a new token's role is not viewer by default: %s", between(usersMain(r), `id="token-role"`, "</select>"))
	}
	if !strings.Contains(string(r.body), `href="/account"`) || strings.Contains(string(r.body), `href="/admin/users"`) {
		t.Errorf("an editor's header should link the account and not the users page")
	}
	if r := j.get("/admin/users"); r.StatusCode != 403 {
		t.Errorf("GET /admin/users as editor j.doe: status %d, want 403", r.StatusCode)
	}

	// A generated password is shown once, on the answer itself.
	r = a.post("/admin/users", url.Values{"name": {"gen"}, "role": {"viewer"}})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create gen: status %d; %.800s", r.StatusCode, usersMain(r))
	}
	pw := between(string(r.body), `id="new-password-value" class="mono" type="text" readonly value="`, `"`)
	if len(pw) != 20 || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("generated password %q, Cache-Control %q", pw, r.Header.Get("Cache-Control"))
	}
	if _, r := e.signIn("gen", pw); r.StatusCode != http.StatusSeeOther {
		t.Errorf("sign in with the generated password: status %d", r.StatusCode)
	}
	if r := a.get("/admin/users/gen"); strings.Contains(string(r.body), pw) {
		t.Errorf("the generated password is shown again")
	}

	r = a.get("/admin/users?role=editor")
	if !strings.Contains(usersMain(r), `href="/admin/users/j.doe"`) || strings.Contains(usersMain(r), `href="/admin/users/gen"`) {
		t.Errorf("role filter: %.1000s", usersMain(r))
	}
	if r := a.get("/admin/users?role=king"); r.StatusCode != 400 {
		t.Errorf("GET /admin/users?role=king: status %d, want 400", r.StatusCode)
	}

	// Refusals next to the field.
	for _, c := range []struct {
		form   url.Values
		status int
		field  string
		want   string
	}{
		{url.Values{"name": {"j.doe"}, "role": {"viewer"}, "password": {"another long password"}}, 409, "new-name-err", "exists already"},
		{url.Values{"name": {"Bad Name"}, "role": {"viewer"}}, 422, "new-name-err", "lower case"},
		{url.Values{"name": {"ok"}, "role": {"king"}}, 422, "new-role-err", "Choose one"},
		{url.Values{"name": {"ok"}, "role": {"viewer"}, "password": {"short"}}, 422, "new-password-err", "12 characters"},
		{url.Values{}, 422, "new-name-err", "Enter a user name"},
	} {
		r := a.post("/admin/users", c.form)
		msg := between(string(r.body), `id="`+c.field+`">`, "</p>")
		if r.StatusCode != c.status || !strings.Contains(msg, c.want) {
			t.Errorf("create %v: status %d, %s %q; want %d %q", c.form, r.StatusCode, c.field, msg, c.status, c.want)
		}
	}
	if r := a.get("/admin/users/nobody"); r.StatusCode != 404 {
		t.Errorf("GET /admin/users/nobody: status %d, want 404", r.StatusCode)
	}

	for _, secret := range []string{"correct horse battery", pw, "another long password"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a password %q", secret)
		}
	}
}

// TestUsersRoleDisableDelete: an admin changes a user's role (it applies to the next
// request), disables them (their session stops working), and the last admin cannot be
// demoted, disabled or deleted.
func TestUsersRoleDisableDelete(t *testing.T) {
	e := newDemoEnv(t)
	a := e.browse("admin")
	v := e.browse("viewer")
	if r := v.get("/admin/users"); r.StatusCode != 403 {
		t.Errorf("GET /admin/users as viewer: status %d, want 403", r.StatusCode)
	}
	if r := v.post("/admin/users/viewer", url.Values{"form": {"profile"}, "role": {"admin"}, "status": {"enabled"}}); r.StatusCode != 403 {
		t.Errorf("a viewer making themselves admin: status %d, want 403", r.StatusCode)
	}

	r := a.post("/admin/users/viewer", url.Values{"form": {"profile"}, "displayName": {"Vera Viewer"}, "role": {"editor"}, "status": {"enabled"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("make viewer an editor: status %d; %.800s", r.StatusCode, usersMain(r))
	}
	r = v.get("/account")
	if !strings.Contains(usersMain(r), `role-editor">editor`) || !strings.Contains(usersMain(r), "Vera Viewer") {
		t.Errorf("the viewer's account after the change: %.1500s", usersMain(r))
	}
	if r := v.post("/admin/users/viewer", url.Values{}); r.StatusCode != 403 {
		t.Errorf("an editor posting to the users page: %d", r.StatusCode)
	}

	r = a.post("/admin/users/viewer", url.Values{"form": {"profile"}, "role": {"editor"}, "status": {"disabled"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable viewer: status %d; %.800s", r.StatusCode, usersMain(r))
	}
	if r := v.get("/account"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("a disabled user's session: status %d Location %q, want 303 to the login page", r.StatusCode, r.Header.Get("Location"))
	}
	if _, r := e.signIn("viewer", password("viewer")); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("a disabled user signing in: status %d, want 401", r.StatusCode)
	}
	if r := a.get("/admin/users?role=editor"); !strings.Contains(usersMain(r), `class="users-disabled"`) || !strings.Contains(usersMain(r), "Vera Viewer") {
		t.Errorf("the list does not show the disabled user with their display name: %.1500s", usersMain(r))
	}

	// admin is the only admin.
	r = a.post("/admin/users/admin", url.Values{"form": {"profile"}, "role": {"viewer"}, "status": {"enabled"}})
	if msg := between(string(r.body), `id="edit-role-err">`, "</p>"); r.StatusCode != 409 || !strings.Contains(msg, "admin is the last enabled admin") {
		t.Errorf("demote the last admin: status %d, message %q", r.StatusCode, msg)
	}
	r = a.post("/admin/users/admin", url.Values{"form": {"profile"}, "role": {"admin"}, "status": {"disabled"}})
	if msg := between(string(r.body), `id="edit-status-err">`, "</p>"); r.StatusCode != 409 || !strings.Contains(msg, "last enabled admin") {
		t.Errorf("disable the last admin: status %d, message %q", r.StatusCode, msg)
	}
	r = a.post("/admin/users/admin/delete", url.Values{"confirm": {"admin"}})
	if msg := between(string(r.body), `id="delete-confirm-err">`, "</p>"); r.StatusCode != 409 || !strings.Contains(msg, "admin is the last enabled admin") {
		t.Errorf("delete the last admin: status %d, message %q", r.StatusCode, msg)
	}
	if r := a.get("/admin/users"); !strings.Contains(usersMain(r), `role-admin">admin`) {
		t.Errorf("the admin is no longer admin")
	}

	// Delete needs the name typed again.
	r = a.post("/admin/users/auditor/delete", url.Values{"confirm": {"audit"}})
	if r.StatusCode != 422 || !strings.Contains(between(string(r.body), `id="delete-confirm-err">`, "</p>"), "Type the user name") {
		t.Errorf("delete without confirmation: status %d", r.StatusCode)
	}
	r = a.post("/admin/users/auditor/delete", url.Values{"confirm": {"auditor"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/users?done=deleted" {
		t.Fatalf("delete auditor: status %d", r.StatusCode)
	}
	if r := a.get("/admin/users/auditor"); r.StatusCode != 404 {
		t.Errorf("GET a deleted user: status %d, want 404", r.StatusCode)
	}
	if r := a.post("/admin/users/nobody/delete", url.Values{"confirm": {"nobody"}}); r.StatusCode != 404 {
		t.Errorf("delete nobody: status %d, want 404", r.StatusCode)
	}
	// A form that says nothing changes nothing.
	if r := a.post("/admin/users/editor", url.Values{}); r.StatusCode != 400 {
		t.Errorf("empty user form: status %d, want 400", r.StatusCode)
	}

	// Reset a password, typed and generated.
	r = a.post("/admin/users/editor", url.Values{"form": {"password"}, "password": {"the new editor password"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset password: status %d; %.500s", r.StatusCode, usersMain(r))
	}
	if _, r := e.signIn("editor", "the new editor password"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("sign in with the reset password: status %d", r.StatusCode)
	}
	r = a.post("/admin/users/editor", url.Values{"form": {"password"}, "password": {"short"}})
	if r.StatusCode != 422 || !strings.Contains(between(string(r.body), `id="reset-password-err">`, "</p>"), "12 characters") {
		t.Errorf("reset to a short password: status %d", r.StatusCode)
	}
	r = a.post("/admin/users/editor", url.Values{"form": {"password"}, "generate": {"yes"}})
	pw := between(string(r.body), `id="new-password-value" class="mono" type="text" readonly value="`, `"`)
	if r.StatusCode != 200 || len(pw) != 20 {
		t.Fatalf("generate a password: status %d, %q", r.StatusCode, pw)
	}
	if _, r := e.signIn("editor", pw); r.StatusCode != http.StatusSeeOther {
		t.Errorf("sign in with the generated password: status %d", r.StatusCode)
	}
}

// TestAccountTokens: a token made on the account page shows its secret once, works as a
// Bearer on the API, is limited to roles the owner's covers, and stops working when revoked
// (by its owner or by an admin); the secret is never logged.
func TestAccountTokens(t *testing.T) {
	var logs logBuffer
	e := newDemoEnv(t, func(d *Deps) { d.Logger = logs.logger() })
	ed := e.browse("editor")
	r := ed.get("/account")
	body := usersMain(r)
	if r.StatusCode != 200 || !strings.Contains(body, `<code>editor</code>`) || !strings.Contains(body, "This session ends") ||
		!strings.Contains(body, `id="account-tokens"`) || !strings.Contains(string(r.body), `href="/account" title="Your account: signed in as editor" aria-current="page"`) {
		t.Fatalf("GET /account: status %d; %.1500s", r.StatusCode, body)
	}
	// An editor may edit but not audit or administer, and may hand out viewer but not auditor.
	perms := between(body, `id="account-perms">`, "</ul>")
	if !strings.Contains(perms, `users-yes"><span class="ok">Yes</span> <span class="users-perm-name">edit`) ||
		!strings.Contains(perms, `users-no"><span class="muted">No</span> <span class="users-perm-name">admin`) {
		t.Errorf("permissions: %s", perms)
	}
	roles := between(body, `id="token-role"`, "</select>")
	if !strings.Contains(roles, `value="viewer"`) || strings.Contains(roles, `value="auditor"`) || strings.Contains(roles, `value="admin"`) {
		t.Errorf("token roles offered to an editor: %s", roles)
	}

	r = ed.post("/account/tokens", url.Values{"name": {"nightly export"}, "role": {"viewer"}, "expires": {"2027-01-31"}})
	if r.StatusCode != http.StatusCreated || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create a token: status %d Cache-Control %q; %.1000s", r.StatusCode, r.Header.Get("Cache-Control"), usersMain(r))
	}
	secret := between(string(r.body), `id="new-token-secret" class="mono" type="text" readonly value="`, `"`)
	if !strings.HasPrefix(secret, "pdr_") {
		t.Fatalf("no secret on the page: %.1000s", usersMain(r))
	}
	id := secret[4:16]
	c := &client{e: e, hc: e.ts.Client(), bearer: secret}
	var me Me
	mr := c.do("GET", "/api/v1/me", nil, nil)
	mr.json(t, &me)
	if mr.StatusCode != 200 || me.User != "editor" || me.Role != "viewer" {
		t.Errorf("GET /api/v1/me with the new token: status %d %+v", mr.StatusCode, me)
	}
	r = ed.get("/account")
	if strings.Contains(string(r.body), secret) || !strings.Contains(usersMain(r), "nightly export") || !strings.Contains(usersMain(r), "/account/tokens/"+id+"/revoke") {
		t.Errorf("the account page after creating: secret shown again or token missing")
	}

	// Refusals next to the field.
	for _, c := range []struct {
		form        url.Values
		status      int
		field, want string
	}{
		{url.Values{}, 422, "token-name-err", "Say what the token is for"},
		{url.Values{"name": {"x"}, "role": {"admin"}}, 422, "token-role-err", "may not create a token with role admin"},
		{url.Values{"name": {"x"}, "role": {"auditor"}}, 422, "token-role-err", "auditor"},
		{url.Values{"name": {"x"}, "expires": {"2020-01-01"}}, 422, "token-expires-err", "future"},
		{url.Values{"name": {"x"}, "expires": {"soon"}}, 422, "token-expires-err", "2026-12-31"},
	} {
		r := ed.post("/account/tokens", c.form)
		msg := between(string(r.body), `id="`+c.field+`">`, "</p>")
		if r.StatusCode != c.status || !strings.Contains(msg, c.want) {
			t.Errorf("create token %v: status %d, %s %q; want %d %q", c.form, r.StatusCode, c.field, msg, c.status, c.want)
		}
	}

	// Another user cannot revoke it; its owner can.
	v := e.browse("viewer")
	if r := v.post("/account/tokens/"+id+"/revoke", nil); r.StatusCode != 404 {
		t.Errorf("someone else's token: status %d, want 404", r.StatusCode)
	}
	r = ed.post("/account/tokens/"+id+"/revoke", nil)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/account?done=revoked" {
		t.Fatalf("revoke: status %d", r.StatusCode)
	}
	if r := c.do("GET", "/api/v1/me", nil, nil); r.StatusCode != 401 {
		t.Errorf("a revoked token: status %d, want 401", r.StatusCode)
	}
	if r := ed.get("/account?done=revoked"); !strings.Contains(usersMain(r), "The token was revoked") || !strings.Contains(usersMain(r), `<span class="muted">revoked</span>`) {
		t.Errorf("the account page after revoking: %.1500s", usersMain(r))
	}

	// An admin revokes anyone's token from the user's page.
	r = ed.post("/account/tokens", url.Values{"name": {"ci"}})
	secret2 := between(string(r.body), `readonly value="`, `"`)
	a := e.browse("admin")
	r = a.get("/admin/users/editor")
	if !strings.Contains(usersMain(r), "/admin/users/editor/tokens/"+secret2[4:16]+"/revoke") {
		t.Fatalf("the editor's token on the admin's page: %.2000s", usersMain(r))
	}
	if r := a.post("/admin/users/viewer/tokens/"+secret2[4:16]+"/revoke", nil); r.StatusCode != 404 {
		t.Errorf("revoke a token under the wrong user: status %d, want 404", r.StatusCode)
	}
	if r := a.post("/admin/users/editor/tokens/"+secret2[4:16]+"/revoke", nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("admin revokes: status %d", r.StatusCode)
	}
	if r := (&client{e: e, hc: e.ts.Client(), bearer: secret2}).do("GET", "/api/v1/me", nil, nil); r.StatusCode != 401 {
		t.Errorf("a token revoked by an admin: status %d, want 401", r.StatusCode)
	}
	for _, s := range []string{secret, secret2} {
		if strings.Contains(logs.String(), s) || strings.Contains(logs.String(), s[17:]) {
			t.Errorf("the log holds a token secret")
		}
	}
}

// TestAccountPassword: a user changes their own password with the current one; a wrong
// current password, a short or mismatched new one are refused next to the field.
func TestAccountPassword(t *testing.T) {
	var logs logBuffer
	e := newDemoEnv(t, func(d *Deps) { d.Logger = logs.logger() })
	v := e.browse("viewer")
	for _, c := range []struct {
		form        url.Values
		field, want string
	}{
		{url.Values{}, "pw-current-err", "Enter your current password"},
		{url.Values{"current": {"wrong password!"}, "password": {"a brand new password"}, "again": {"a brand new password"}}, "pw-current-err", "not your current password"},
		{url.Values{"current": {password("viewer")}, "password": {"short"}, "again": {"short"}}, "pw-new-err", "12 characters"},
		{url.Values{"current": {password("viewer")}, "password": {"a brand new password"}, "again": {"a brand new passw0rd"}}, "pw-again-err", "differ"},
	} {
		r := v.post("/account/password", c.form)
		msg := between(string(r.body), `id="`+c.field+`">`, "</p>")
		if r.StatusCode != 422 || !strings.Contains(msg, c.want) {
			t.Errorf("change password %v: status %d, %s %q", c.form, r.StatusCode, c.field, msg)
		}
	}
	r := v.post("/account/password", url.Values{"current": {password("viewer")}, "password": {"a brand new password"}, "again": {"a brand new password"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/account?done=password" {
		t.Fatalf("change password: status %d; %.800s", r.StatusCode, usersMain(r))
	}
	if _, r := e.signIn("viewer", password("viewer")); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("the old password still works: %d", r.StatusCode)
	}
	if _, r := e.signIn("viewer", "a brand new password"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the new password does not work: %d", r.StatusCode)
	}
	// A bearer token may read the account page but not change the password.
	c := &client{e: e, hc: e.ts.Client(), bearer: e.tokens["viewer"]}
	if r := c.do("GET", "/account", nil, nil); r.StatusCode != 200 || strings.Contains(string(r.body), `id="password-form"`) {
		t.Errorf("GET /account with a token: status %d", r.StatusCode)
	}
	if strings.Contains(logs.String(), "a brand new password") || strings.Contains(logs.String(), "wrong password!") {
		t.Errorf("the log holds a password")
	}
}

// TestUsersBrowser opens the account and user pages in Chromium as an admin: a token is made
// and its secret shown once, a user is added with a name the server refuses (the message next
// to the field) and then a good one; every page is checked with axe-core and saved.
func TestUsersBrowser(t *testing.T) {
	e := newDemoEnv(t)
	b := newTab(t, e)
	b.open("/account", "#user")
	b.signIn("admin", "#token-form")
	b.do("create a token",
		chromedp.SendKeys(chromedp.ID("token-name"), "nightly export"),
		chromedp.SetValue(chromedp.ID("token-role"), "viewer"),
		chromedp.Submit(chromedp.ID("token-name")),
		chromedp.WaitVisible(chromedp.ID("new-token-secret")),
	)
	secret := eval[string](b, `document.getElementById("new-token-secret").value`)
	var me Me
	if r := (&client{e: e, hc: e.ts.Client(), bearer: secret}).do("GET", "/api/v1/me", nil, nil); r.StatusCode != 200 {
		t.Errorf("the shown secret %q: GET /api/v1/me status %d, want 200", secret, r.StatusCode)
	} else if r.json(t, &me); me.Role != "viewer" {
		t.Errorf("the shown secret authenticates as a %q, want a viewer's token", me.Role)
	}
	b.page("account")
	b.open("/account", "#token-form")
	if eval[bool](b, `document.getElementById("new-token-secret") !== null`) {
		t.Error("the token's secret is shown a second time")
	}

	b.open("/admin/users", "#users-list")
	b.do("add a user with a bad name",
		chromedp.SendKeys(chromedp.ID("new-name"), "Jane Doe"),
		chromedp.SendKeys(chromedp.ID("new-password"), "correct horse battery"),
		chromedp.Submit(chromedp.ID("new-name")),
		chromedp.WaitVisible(chromedp.ID("new-name-err")),
	)
	if inv := eval[string](b, `document.getElementById("new-name").getAttribute("aria-invalid")`); inv != "true" {
		t.Errorf("the refused name's field has aria-invalid %q, want true", inv)
	}
	b.page("users-error")
	b.do("correct the name",
		chromedp.SetValue(chromedp.ID("new-name"), "j.doe"),
		chromedp.SendKeys(chromedp.ID("new-display"), "Jane Doe"),
		chromedp.SetValue(chromedp.ID("new-role"), "editor"),
		chromedp.SendKeys(chromedp.ID("new-password"), "correct horse battery"),
		chromedp.Submit(chromedp.ID("new-name")),
		chromedp.WaitVisible(chromedp.ID("user-done")),
	)
	b.page("user")
	b.open("/admin/users", "#users-list")
	if !eval[bool](b, `document.querySelector('#users-list a[href="/admin/users/j.doe"]') !== null`) {
		t.Error("the users list does not link the new user")
	}
	b.page("users")
}

// TestPasswordChangeEndsSessions: changing or resetting a password signs the user out
// everywhere, at once (the credential cache forgets them), except the session users change
// their own password through; other users' sessions and API tokens stay; the audit entry
// says how many sessions ended. A re-hash at login changes the stored hash too, and ends
// nothing.
func TestPasswordChangeEndsSessions(t *testing.T) {
	e := newEnv(t)
	alive := func(who string, c *client, want bool) {
		t.Helper()
		r := c.do("GET", "/api/v1/me", nil, nil)
		if got := r.StatusCode == http.StatusOK; got != want || !got && r.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: GET /api/v1/me status %d, want signed in %v", who, r.StatusCode, want)
		}
	}
	lastUpdate := func(target string) string {
		t.Helper()
		var page AuditPage
		e.as("auditor").do("GET", "/api/v1/audit?action=user.update&limit=1000", nil, nil).json(t, &page)
		for _, en := range page.Items {
			if en.Target == "user/"+target {
				return en.Actor + " " + string(en.Detail)
			}
		}
		return ""
	}

	// An admin resets a password through the API.
	s1, s2 := e.login("editor"), e.login("editor")
	other := e.login("viewer")
	adminSess := e.login("admin")
	alive("editor's session", s1, true) // now in the credential cache
	if r := e.as("admin").do("PATCH", "/api/v1/users/editor", map[string]any{"password": "editor's new password"}, nil); r.StatusCode != 200 {
		t.Fatalf("reset editor's password: status %d body %s", r.StatusCode, r.body)
	}
	alive("editor's first session after the reset", s1, false)
	alive("editor's second session after the reset", s2, false)
	alive("editor's token after the reset", e.as("editor"), true)
	alive("viewer's session", other, true)
	alive("admin's session", adminSess, true)
	if got, want := lastUpdate("editor"), `admin {"displayName":"The editor","role":"editor","changed":["password"],"sessionsEnded":2}`; got != want {
		t.Errorf("audit of the reset: %s, want %s", got, want)
	}

	// Users change their own password on the account page: they stay signed in there.
	v1, v2 := e.browse("viewer"), e.browse("viewer")
	r := v1.post("/account/password", url.Values{"current": {password("viewer")}, "password": {"a brand new password"}, "again": {"a brand new password"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("change own password: status %d; %.500s", r.StatusCode, usersMain(r))
	}
	if r := v1.get("/account?done=password"); r.StatusCode != 200 || !strings.Contains(usersMain(r), "You stay signed in here") {
		t.Errorf("the account page after the change: status %d; %.800s", r.StatusCode, usersMain(r))
	}
	if r := v2.get("/account"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("the viewer's other browser: status %d Location %q, want 303 to the login page", r.StatusCode, r.Header.Get("Location"))
	}
	alive("the viewer's API session", other, false)
	if got, want := lastUpdate("viewer"), `viewer {"displayName":"The viewer","role":"viewer","changed":["password"],"sessionsEnded":2}`; got != want {
		t.Errorf("audit of the change: %s, want %s", got, want)
	}

	// An admin resets a password on the user page, typed or generated.
	rs := e.login("responder")
	a := e.browse("admin")
	r = a.post("/admin/users/responder", url.Values{"form": {"password"}, "password": {"responder's new password"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset on the user page: status %d; %.500s", r.StatusCode, usersMain(r))
	}
	alive("responder's session after the reset on the page", rs, false)
	if r := a.get(r.Header.Get("Location")); !strings.Contains(usersMain(r), "was signed out") {
		t.Errorf("the user page after the reset: %.800s", usersMain(r))
	}
	rs = e.login("auditor")
	if r := a.post("/admin/users/auditor", url.Values{"form": {"password"}, "generate": {"yes"}}); r.StatusCode != 200 {
		t.Fatalf("generate a password: status %d", r.StatusCode)
	}
	alive("auditor's session after a generated password", rs, false)
	if got, want := lastUpdate("auditor"), `admin {"displayName":"The auditor","role":"auditor","changed":["password"],"sessionsEnded":1}`; got != want {
		t.Errorf("audit of the generated reset: %s, want %s", got, want)
	}

	// Admins resetting their own password through the API with a session keep that session.
	r = adminSess.do("PATCH", "/api/v1/users/admin", map[string]any{"password": "admin's new password"}, nil)
	if r.StatusCode != 200 {
		t.Fatalf("admin resets own password: status %d body %s", r.StatusCode, r.body)
	}
	alive("the admin's session that made the change", adminSess, true)
	if r := a.get("/admin/users"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("the admin's browser session after the change: status %d, want 303 to the login page", r.StatusCode)
	}
	// Changes without a password sign nobody out.
	v3, _ := e.signIn("viewer", "a brand new password")
	if r := e.as("admin").do("PATCH", "/api/v1/users/viewer", map[string]any{"displayName": "Vera"}, nil); r.StatusCode != 200 {
		t.Fatalf("rename: status %d", r.StatusCode)
	}
	if r := v3.get("/account"); r.StatusCode != 200 {
		t.Errorf("a session after a change of display name: status %d, want 200", r.StatusCode)
	}

	// A login that re-hashes an old hash with the current parameters changes the stored hash
	// but ends no session: not the one it starts, nor one already open.
	ctx := t.Context()
	old, err := auth.NewHasher(auth.Params{Memory: 32, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0).Hash(ctx, "an old-fashioned password")
	if err != nil {
		t.Fatal(err)
	}
	u := auth.User{Name: "olga", Role: auth.RoleViewer, PasswordHash: old}
	if err := e.store.CreateUser(ctx, auth.Actor{User: "test", Door: "cli"}, u); err != nil {
		t.Fatal(err)
	}
	secret, _, err := e.srv.authn.NewSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	open := &client{e: e, hc: e.ts.Client()}
	cookie := map[string]string{"Cookie": sessionCookie + "=" + secret}
	if r := open.do("GET", "/api/v1/me", nil, cookie); r.StatusCode != 200 {
		t.Fatalf("olga's open session: status %d", r.StatusCode)
	}
	login := open.do("POST", "/api/v1/login", map[string]string{"user": "olga", "password": "an old-fashioned password"}, nil)
	if login.StatusCode != 200 {
		t.Fatalf("olga signs in: status %d", login.StatusCode)
	}
	if stored, _ := e.store.User(ctx, "olga"); stored.PasswordHash == old || !strings.Contains(stored.PasswordHash, "m=64,") {
		t.Errorf("olga's hash was not upgraded at login: %s", stored.PasswordHash)
	}
	if r := open.do("GET", "/api/v1/me", nil, cookie); r.StatusCode != 200 {
		t.Errorf("olga's open session after the re-hash: status %d, want 200", r.StatusCode)
	}
	for _, c := range login.Cookies() {
		if c.Name == sessionCookie {
			if r := open.do("GET", "/api/v1/me", nil, map[string]string{"Cookie": sessionCookie + "=" + c.Value}); r.StatusCode != 200 {
				t.Errorf("the session of the login that re-hashed: status %d, want 200", r.StatusCode)
			}
		}
	}
	if got, want := lastUpdate("olga"), `olga {"role":"viewer","changed":["password"]}`; got != want {
		t.Errorf("audit of the re-hash: %s, want %s", got, want)
	}
}

// TestUserNameRuleOneMessage: the API and the user page refuse a bad user name with the one
// message of auth.CheckUserName (as `perdura user add` does), next to the name, and create
// nothing.
func TestUserNameRuleOneMessage(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"Bad Name", "ålice", strings.Repeat("x", 65), ""} {
		want := auth.CheckUserName(name).Error()
		r := e.as("admin").do("POST", "/api/v1/users", map[string]any{"name": name, "role": "viewer", "password": "a long enough password"}, nil)
		p := r.problem(t)
		if r.StatusCode != 400 || len(p.Errors) != 1 || p.Errors[0].Pointer != "/name" || p.Errors[0].Message != want {
			t.Errorf("API, name %q: status %d, problem %+v; want 400 with %q at /name", name, r.StatusCode, p, want)
		}
		if name == "" {
			continue // the page asks for a name instead
		}
		page := e.browse("admin").post("/admin/users", url.Values{"name": {name}, "role": {"viewer"}})
		msg := between(string(page.body), `id="new-name-err">`, "</p>")
		if page.StatusCode != 422 || msg != html.EscapeString(sentence(want)) {
			t.Errorf("page, name %q: status %d, message %q; want 422 and %q", name, page.StatusCode, msg, sentence(want))
		}
	}
	var users UserList
	e.as("admin").do("GET", "/api/v1/users", nil, nil).json(t, &users)
	if len(users.Items) != len(auth.Roles()) {
		t.Errorf("after refused names: %d users, want the %d of the test", len(users.Items), len(auth.Roles()))
	}
}

// TestUsersDisablePage: the user page says what disabling does before the admin does it, and
// after: the user's browser is signed out, their token revoked and shown so, and enabling
// them again brings back neither.
func TestUsersDisablePage(t *testing.T) {
	engines(t, func(t *testing.T, dsn string) {
		e := newEnvOn(t, dsn, seed)
		a := e.browse("admin")
		v := e.browse("viewer")
		if r := a.get("/admin/users/viewer"); !strings.Contains(usersMain(r), "revokes their API tokens at once; enabling them again brings neither back") {
			t.Errorf("the user page does not say what disabling does: %.2000s", usersMain(r))
		}
		r := a.post("/admin/users/viewer", url.Values{"form": {"profile"}, "role": {"viewer"}, "status": {"disabled"}})
		if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/users/viewer?done=disabled" {
			t.Fatalf("disable viewer: status %d Location %q", r.StatusCode, r.Header.Get("Location"))
		}
		r = a.get(r.Header.Get("Location"))
		if main := usersMain(r); !strings.Contains(main, "every session they had was ended and every API token of theirs revoked") ||
			!strings.Contains(main, `class="token-revoked"`) {
			t.Errorf("the page after disabling: %.2500s", main)
		}
		// Saving the disabled user again does not claim to disable them again.
		r = a.post("/admin/users/viewer", url.Values{"form": {"profile"}, "role": {"viewer"}, "status": {"disabled"}})
		if r.Header.Get("Location") != "/admin/users/viewer?done=saved" {
			t.Errorf("saving a disabled user: Location %q, want done=saved", r.Header.Get("Location"))
		}
		if r := a.post("/admin/users/viewer", url.Values{"form": {"profile"}, "role": {"viewer"}, "status": {"enabled"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("enable viewer: status %d", r.StatusCode)
		}
		e.clock.Advance(time.Minute)
		if r := v.get("/account"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
			t.Errorf("the old browser session after enabling again: status %d Location %q, want 303 to the login page", r.StatusCode, r.Header.Get("Location"))
		}
		if r := e.as("viewer").do("GET", "/api/v1/me", nil, nil); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("the old token after enabling again: status %d, want 401", r.StatusCode)
		}
		if _, r := e.signIn("viewer", password("viewer")); r.StatusCode != http.StatusSeeOther {
			t.Errorf("signing in after enabling again: status %d, want 303", r.StatusCode)
		}
	})
}
