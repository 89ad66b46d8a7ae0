package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/auth"
)

// usersArea is one's own account (who am I, API tokens, password) and, for admins, the users
// of this server. The pages call the JSON API's handlers (createUser, updateUser, deleteUser,
// createToken, revokeToken, listTokens) with their input structs, which call user
// administration in internal/auth, so hashing, the user name and last-admin rules, the token
// role rule and the audit entries live in one place; the pages check ahead what they can
// (the name with auth.CheckUserName, a known role, lengths) to show every refusal at once,
// and show the handlers' refusals next to the field they concern.
func (s *server) usersArea() area {
	return area{pages: []page{
		{method: "GET", path: "/account", perm: auth.PermSelf, handle: s.accountPage},
		{method: "POST", path: "/account/tokens", perm: auth.PermSelf, handle: s.accountTokenCreate},
		{method: "POST", path: "/account/tokens/{id}/revoke", perm: auth.PermSelf,
			sample: "/account/tokens/000000000000/revoke", handle: s.accountTokenRevoke},
		{method: "POST", path: "/account/password", perm: auth.PermSelf, handle: s.accountPassword},
		{method: "GET", path: "/admin/users", perm: auth.PermAdmin, handle: s.usersPage},
		{method: "POST", path: "/admin/users", perm: auth.PermAdmin, handle: s.usersCreate},
		{method: "GET", path: "/admin/users/{name}", perm: auth.PermAdmin, sample: "/admin/users/viewer", handle: s.userPage},
		{method: "POST", path: "/admin/users/{name}", perm: auth.PermAdmin, sample: "/admin/users/viewer", handle: s.userUpdate},
		{method: "POST", path: "/admin/users/{name}/delete", perm: auth.PermAdmin, sample: "/admin/users/viewer/delete", handle: s.userDelete},
		{method: "POST", path: "/admin/users/{name}/tokens/{id}/revoke", perm: auth.PermAdmin,
			sample: "/admin/users/viewer/tokens/000000000000/revoke", handle: s.userTokenRevoke},
	}, funcs: map[string]any{
		"usersPermText": usersPermText,
		"usersRoleText": usersRoleText,
	}}
}

// usersPermText says in words what a permission lets one do.
func usersPermText(p auth.Permission) string {
	switch p {
	case auth.PermSelf:
		return "See your own account, sign out, manage your own API tokens"
	case auth.PermRead:
		return "Read the model: services, sites, plans, analyses, findings, the binder"
	case auth.PermEdit:
		return "Change the model: apply model folders, create and edit the objects no folder manages"
	case auth.PermRespond:
		return "Act in incidents (declaring them, steps, acknowledgements) once incident management arrives; until then it reads like a viewer"
	case auth.PermAudit:
		return "Read and verify the audit trail"
	case auth.PermAdmin:
		return "Manage users and everyone's API tokens"
	}
	return string(p)
}

// usersRoleText is a role in a few words, for role selects.
func usersRoleText(role string) string {
	switch role {
	case auth.RoleAdmin:
		return "admin: everything, including users"
	case auth.RoleEditor:
		return "editor: read and change the model"
	case auth.RoleResponder:
		return "responder: read, act in incidents"
	case auth.RoleViewer:
		return "viewer: read only"
	case auth.RoleAuditor:
		return "auditor: read, audit trail"
	}
	return role
}

// fieldErrs are messages next to form fields, by field name; "" is the form as a whole.
type fieldErrs map[string]string

// problemFields turns an API handler's refusal into messages next to fields: a problem's
// JSON pointer ("/password") names the form field. The status is what the page answers:
// a refused form is 422 (the API's 400 for a field it refused), a conflict 409. A 404 is the
// page's not found; anything that is not a problem is returned for the error page. subject
// is the user name the message may start with.
func problemFields(err error, fallback, subject string) (fieldErrs, int, error) {
	var p *Problem
	if !errors.As(err, &p) {
		return nil, 0, err
	}
	if p.Status == http.StatusNotFound {
		return nil, 0, errPageNotFound{strings.TrimPrefix(p.Detail, "no ")}
	}
	status := p.Status
	if status == http.StatusBadRequest || status == http.StatusForbidden {
		status = http.StatusUnprocessableEntity
	}
	fe := fieldErrs{}
	msg := sentence(p.Detail)
	if subject != "" && strings.HasPrefix(p.Detail, subject+" ") {
		msg = p.Detail // it starts with a user name, which keeps its case
	}
	field := fallback
	for _, d := range p.Errors {
		if d.Pointer != "" {
			field = strings.TrimPrefix(d.Pointer, "/")
			break
		}
	}
	fe[field] = msg
	return fe, status, nil
}

// sentence capitalises a message and ends it with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// noStore keeps a page that shows a secret out of every cache and the browser's history
// cache.
func noStore(q *request) {
	q.w.Header().Set("Cache-Control", "no-store")
}

// --- One's own account ---

type accountData struct {
	User        UserInfo
	Role        string // the role the caller acts in (a token's, on a bearer request)
	Perms       []permRow
	SessionEnds *time.Time
	ViaToken    string // the token's name, when the page was fetched with a bearer token
	// ManageTokens: the caller may create and revoke tokens (a session, or an admin's token).
	ManageTokens bool
	Tokens       []tokenRow
	Roles        []string // roles a new token may have
	Done         string
	// NewToken is a token just created: its secret is shown on this answer only.
	NewToken *NewToken
	// Form values and refusals of the token and password forms.
	TokenName, TokenRole, TokenExpires string
	TokenErrs, PasswordErrs            fieldErrs
}

type permRow struct {
	Perm    auth.Permission
	Allowed bool
}

type tokenRow struct {
	TokenInfo
	State string // active, expired, revoked
}

func (s *server) tokenRows(ts []TokenInfo) []tokenRow {
	now := s.now()
	rows := make([]tokenRow, 0, len(ts))
	for _, t := range ts {
		r := tokenRow{TokenInfo: t, State: "active"}
		switch {
		case t.Revoked:
			r.State = "revoked"
		case t.ExpiresAt != nil && !t.ExpiresAt.After(now):
			r.State = "expired"
		}
		rows = append(rows, r)
	}
	// Newest first; the store lists oldest first.
	slices.Reverse(rows)
	return rows
}

var accountDone = map[string]string{
	"revoked":  "The token was revoked: it no longer works.",
	"password": "Your password was changed. You stay signed in here; every other browser where you were signed in was signed out.",
}

func (s *server) accountPage(q *request) error {
	d := accountData{Done: accountDone[q.r.URL.Query().Get("done")]}
	return s.renderAccount(q, http.StatusOK, &d)
}

func (s *server) renderAccount(q *request, status int, d *accountData) error {
	p := q.p
	d.User, d.Role = userInfo(p.user), p.role()
	for _, perm := range auth.Permissions() {
		d.Perms = append(d.Perms, permRow{Perm: perm, Allowed: p.allowed(perm)})
	}
	if p.session != nil {
		d.SessionEnds = &p.session.ExpiresAt
	}
	if p.token != nil {
		d.ViaToken = p.token.Name
	}
	d.ManageTokens = needSession(p) == nil
	for _, r := range auth.Roles() {
		if auth.Covers(p.role(), r) {
			d.Roles = append(d.Roles, r)
		}
	}
	if d.TokenRole == "" {
		d.TokenRole = p.role()
		if slices.Contains(d.Roles, auth.RoleViewer) {
			d.TokenRole = auth.RoleViewer // the least a script needs, as the hint beside it says
		}
	}
	out, err := s.listTokens(q.ctx(), &listTokensInput{User: p.user.Name})
	if err != nil {
		return err
	}
	d.Tokens = s.tokenRows(out.Body.Items)
	if d.NewToken != nil {
		noStore(q)
	}
	return q.render(status, "account", "Your account", "account", d)
}

// accountTokenCreate makes an API token for the caller through createToken and shows its
// secret on the answer itself: not in a redirect, not in a URL, not in the log.
func (s *server) accountTokenCreate(q *request) error {
	if tokenRefused(q) {
		return nil
	}
	if err := q.r.ParseForm(); err != nil {
		return badRequest{"The token form could not be read."}
	}
	d := accountData{
		TokenName:    strings.TrimSpace(q.r.PostFormValue("name")),
		TokenRole:    q.r.PostFormValue("role"),
		TokenExpires: strings.TrimSpace(q.r.PostFormValue("expires")),
		TokenErrs:    fieldErrs{},
	}
	in := &createTokenInput{}
	in.Body.Name, in.Body.Role = d.TokenName, d.TokenRole
	switch {
	case d.TokenName == "":
		d.TokenErrs["name"] = "Say what the token is for, such as “nightly export”."
	case len(d.TokenName) > 200:
		d.TokenErrs["name"] = "At most 200 characters."
	}
	if d.TokenRole != "" && !auth.ValidRole(d.TokenRole) {
		d.TokenErrs["role"] = "Choose one of the roles listed."
	}
	if d.TokenExpires != "" {
		day, err := time.Parse(time.DateOnly, d.TokenExpires)
		if err != nil {
			d.TokenErrs["expiresAt"] = "A date such as 2026-12-31, or nothing for a token that does not expire."
		} else {
			in.Body.ExpiresAt = &day
		}
	}
	if len(d.TokenErrs) > 0 {
		return s.renderAccount(q, http.StatusUnprocessableEntity, &d)
	}
	out, err := s.createToken(q.ctx(), in)
	if err != nil {
		fe, status, err := problemFields(err, "name", q.p.user.Name)
		if err != nil {
			return err
		}
		d.TokenErrs = fe
		return s.renderAccount(q, status, &d)
	}
	d.NewToken = &out.Body
	d.TokenName, d.TokenExpires = "", ""
	return s.renderAccount(q, http.StatusCreated, &d)
}

// tokenRefused answers 403 to an API token that may not manage tokens (see needSession),
// and reports whether it did.
func tokenRefused(q *request) bool {
	if needSession(q.p) == nil {
		return false
	}
	q.s.pageError(q.w, q.r, q.p, http.StatusForbidden,
		"An API token cannot create or revoke API tokens. Sign in with your password in a browser and do it on your account page.")
	return true
}

func (s *server) accountTokenRevoke(q *request) error {
	if tokenRefused(q) {
		return nil
	}
	if _, err := s.revokeToken(q.ctx(), &tokenIDInput{ID: q.r.PathValue("id")}); err != nil {
		_, _, err := problemFields(err, "", "")
		if err == nil {
			err = pageNotFound("token %q", q.r.PathValue("id"))
		}
		return err
	}
	http.Redirect(q.w, q.r, "/account?done=revoked", http.StatusSeeOther)
	return nil
}

// accountPassword changes the caller's own password: the current one is checked as a login
// is (and a wrong one counts against the sign-in limit, so a borrowed session cannot guess
// it), then updateUser stores the new hash. Only a browser session may do it: a token does
// not prove who holds it.
func (s *server) accountPassword(q *request) error {
	if err := q.r.ParseForm(); err != nil {
		return badRequest{"The password form could not be read."}
	}
	d := accountData{PasswordErrs: fieldErrs{}}
	cur, next, again := q.r.PostFormValue("current"), q.r.PostFormValue("password"), q.r.PostFormValue("again")
	switch {
	case q.p.session == nil:
		d.PasswordErrs[""] = "Sign in with your password in a browser to change it; an API token cannot."
	case cur == "":
		d.PasswordErrs["current"] = "Enter your current password."
	case next == "":
		d.PasswordErrs["password"] = "Enter the new password."
	case len(next) < auth.MinPasswordLen:
		d.PasswordErrs["password"] = sentence(auth.ErrWeakPassword.Error())
	case len(next) > 4096:
		d.PasswordErrs["password"] = "At most 4096 characters."
	case next != again:
		d.PasswordErrs["again"] = "The two new passwords differ."
	}
	if len(d.PasswordErrs) > 0 {
		return s.renderAccount(q, http.StatusUnprocessableEntity, &d)
	}
	_, err := s.authn.Login(q.ctx(), q.p.user.Name, cur, infoFrom(q.ctx()).remote)
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		s.noteLocked(q.ctx(), locked)
		d.PasswordErrs["current"] = "Too many wrong passwords. Try again in " + humanDuration(locked.RetryAfter.Round(time.Second)) + "."
		return s.renderAccount(q, http.StatusTooManyRequests, &d)
	case errors.Is(err, auth.ErrBadCredentials):
		d.PasswordErrs["current"] = "That is not your current password."
		return s.renderAccount(q, http.StatusUnprocessableEntity, &d)
	case err != nil:
		return err
	}
	in := &updateUserInput{Name: q.p.user.Name}
	in.Body.Password = &next
	if _, err := s.updateUser(q.ctx(), in); err != nil {
		fe, status, err := problemFields(err, "password", q.p.user.Name)
		if err != nil {
			return err
		}
		d.PasswordErrs = fe
		return s.renderAccount(q, status, &d)
	}
	http.Redirect(q.w, q.r, "/account?done=password", http.StatusSeeOther)
	return nil
}

// --- Users, for admins ---

type usersData struct {
	Role   string // the filter; "" = all
	Roles  []string
	Users  []userRow
	Total  int
	Done   string
	Create userForm
}

type userRow struct {
	UserInfo
	Tokens int // active tokens
}

// userForm is the values and refusals of a user form.
type userForm struct {
	Name, DisplayName, Role string
	Errs                    fieldErrs
}

func (s *server) usersPage(q *request) error {
	d := usersData{Role: q.r.URL.Query().Get("role"), Create: userForm{Role: auth.RoleViewer}}
	if d.Role != "" && !auth.ValidRole(d.Role) {
		return badRequest{"role must be one of " + strings.Join(auth.Roles(), ", ") + ", or nothing for every user."}
	}
	if q.r.URL.Query().Get("done") == "deleted" {
		d.Done = "The user was deleted, with their sessions and tokens."
	}
	return s.renderUsers(q, http.StatusOK, &d)
}

func (s *server) renderUsers(q *request, status int, d *usersData) error {
	d.Roles = auth.Roles()
	out, err := s.listUsers(q.ctx(), nil)
	if err != nil {
		return err
	}
	ts, err := s.deps.Auth.Tokens(q.ctx(), "")
	if err != nil {
		return err
	}
	now := s.now()
	active := map[string]int{}
	for _, t := range ts {
		if !t.Revoked && (t.ExpiresAt == nil || t.ExpiresAt.After(now)) {
			active[t.User]++
		}
	}
	d.Total = len(out.Body.Items)
	for _, u := range out.Body.Items {
		if d.Role == "" || u.Role == d.Role {
			d.Users = append(d.Users, userRow{UserInfo: u, Tokens: active[u.Name]})
		}
	}
	return q.render(status, "users-list", "Users", "users", d)
}

// checkUserFields checks what the API's schema checks before its handler runs.
func checkUserFields(f *userForm, needName bool) {
	if needName {
		switch {
		case f.Name == "":
			f.Errs["name"] = "Enter a user name: what they type to sign in."
		default:
			if err := auth.CheckUserName(f.Name); err != nil {
				f.Errs["name"] = sentence(err.Error())
			}
		}
	}
	if len(f.DisplayName) > 200 {
		f.Errs["displayName"] = "At most 200 characters."
	}
	if !auth.ValidRole(f.Role) {
		f.Errs["role"] = "Choose one of the roles listed."
	}
}

// checkPassword checks a password typed in an admin form: empty means generate one.
func checkPassword(pw string) string {
	switch {
	case pw == "":
		return ""
	case len(pw) < auth.MinPasswordLen:
		return sentence(auth.ErrWeakPassword.Error()) + " Or leave it empty to have one generated."
	case len(pw) > 4096:
		return "At most 4096 characters."
	}
	return ""
}

func (s *server) usersCreate(q *request) error {
	if err := q.r.ParseForm(); err != nil {
		return badRequest{"The user form could not be read."}
	}
	f := userForm{
		Name:        strings.TrimSpace(q.r.PostFormValue("name")),
		DisplayName: strings.TrimSpace(q.r.PostFormValue("displayName")),
		Role:        q.r.PostFormValue("role"),
		Errs:        fieldErrs{},
	}
	pw := q.r.PostFormValue("password")
	checkUserFields(&f, true)
	if m := checkPassword(pw); m != "" {
		f.Errs["password"] = m
	}
	if len(f.Errs) > 0 {
		return s.renderUsers(q, http.StatusUnprocessableEntity, &usersData{Create: f})
	}
	generated := pw == ""
	if generated {
		var err error
		if pw, err = auth.GeneratePassword(); err != nil {
			return err
		}
	}
	in := &createUserInput{}
	in.Body.Name, in.Body.DisplayName, in.Body.Role, in.Body.Password = f.Name, f.DisplayName, f.Role, pw
	if _, err := s.createUser(q.ctx(), in); err != nil {
		fe, status, err := problemFields(err, "name", f.Name)
		if err != nil {
			return err
		}
		f.Errs = fe
		return s.renderUsers(q, status, &usersData{Create: f})
	}
	if generated {
		return s.renderUser(q, http.StatusCreated, f.Name, &userData{Done: "The user was created.", Password: pw})
	}
	http.Redirect(q.w, q.r, "/admin/users/"+url.PathEscape(f.Name)+"?done=created", http.StatusSeeOther)
	return nil
}

type userData struct {
	User   UserInfo
	Self   bool
	Roles  []string
	Tokens []tokenRow
	Done   string
	// Password is a generated password, shown on this answer only.
	Password string
	Edit     userForm
	PwErrs   fieldErrs
	DelErrs  fieldErrs
	Status   string // enabled or disabled, as the edit form shows it
}

var userDone = map[string]string{
	"created":  "The user was created. Give them their user name and password; they can change the password on their account page.",
	"saved":    "The changes were saved. They apply to the user's next request.",
	"disabled": "The user was disabled: every session they had was ended and every API token of theirs revoked. Enabling them again brings neither back: they sign in again and make new tokens.",
	"password": "The password was reset, and every browser where they were signed in was signed out. Their API tokens keep working.",
	"revoked":  "The token was revoked: it no longer works.",
}

// userPasswordDone is what the user page says after a password reset: an admin resetting
// their own password stays signed in in this browser.
func userPasswordDone(self bool) string {
	if self {
		return "Your password was reset. You stay signed in here; every other browser where you were signed in was signed out."
	}
	return userDone["password"]
}

func (s *server) userPage(q *request) error {
	done := q.r.URL.Query().Get("done")
	msg := userDone[done]
	if done == "password" {
		msg = userPasswordDone(q.r.PathValue("name") == q.p.user.Name)
	}
	return s.renderUser(q, http.StatusOK, q.r.PathValue("name"), &userData{Done: msg})
}

func (s *server) renderUser(q *request, status int, name string, d *userData) error {
	out, err := s.getUser(q.ctx(), &userNameInput{Name: name})
	if err != nil {
		_, _, err := problemFields(err, "", name)
		return err
	}
	d.User = out.Body
	d.Self = name == q.p.user.Name
	d.Roles = auth.Roles()
	if d.Edit.Errs == nil {
		d.Edit = userForm{Name: d.User.Name, DisplayName: d.User.DisplayName, Role: d.User.Role}
		d.Status = "enabled"
		if d.User.Disabled {
			d.Status = "disabled"
		}
	}
	ts, err := s.listTokens(q.ctx(), &listTokensInput{User: name})
	if err != nil {
		return err
	}
	d.Tokens = s.tokenRows(ts.Body.Items)
	if d.Password != "" {
		noStore(q)
	}
	return q.render(status, "users-user", "User "+name, "users", d)
}

// userUpdate is the user page's two forms: the profile (display name, role, enabled) and
// the password reset, told apart by their "form" field; a post without it changes nothing.
func (s *server) userUpdate(q *request) error {
	name := q.r.PathValue("name")
	if err := q.r.ParseForm(); err != nil {
		return badRequest{"The user form could not be read."}
	}
	in := &updateUserInput{Name: name}
	d := &userData{}
	switch q.r.PostFormValue("form") {
	case "profile":
		f := userForm{Name: name, DisplayName: strings.TrimSpace(q.r.PostFormValue("displayName")),
			Role: q.r.PostFormValue("role"), Errs: fieldErrs{}}
		_, sentName := q.r.PostForm["displayName"]
		d.Status = q.r.PostFormValue("status")
		checkUserFields(&f, false)
		if d.Status != "enabled" && d.Status != "disabled" {
			f.Errs["status"] = "Choose enabled or disabled."
		}
		d.Edit = f
		if len(f.Errs) > 0 {
			return s.renderUser(q, http.StatusUnprocessableEntity, name, d)
		}
		disabled := d.Status == "disabled"
		in.Body.Role, in.Body.Disabled = &f.Role, &disabled
		before, err := s.getUser(q.ctx(), &userNameInput{Name: name})
		if err != nil {
			_, _, err := problemFields(err, "", name)
			return err
		}
		if sentName { // a form without the field leaves the display name as it is
			in.Body.DisplayName = &f.DisplayName
		}
		if _, err := s.updateUser(q.ctx(), in); err != nil {
			field := "role"
			if f.Role == auth.RoleAdmin && disabled {
				field = "status" // the last admin's refusal concerns what changed
			}
			fe, status, err := problemFields(err, field, name)
			if err != nil {
				return err
			}
			d.Edit.Errs = fe
			return s.renderUser(q, status, name, d)
		}
		// An admin who gave up their own admin role may no longer see this page.
		if name == q.p.user.Name && (f.Role != auth.RoleAdmin || disabled) {
			http.Redirect(q.w, q.r, "/account", http.StatusSeeOther)
			return nil
		}
		done := "saved"
		if disabled && !before.Body.Disabled {
			done = "disabled"
		}
		http.Redirect(q.w, q.r, "/admin/users/"+url.PathEscape(name)+"?done="+done, http.StatusSeeOther)
		return nil
	case "password":
		pw := q.r.PostFormValue("password")
		generate := q.r.PostFormValue("generate") == "yes"
		d.PwErrs = fieldErrs{}
		switch {
		case pw == "" && !generate:
			d.PwErrs["password"] = "Enter a new password, or tick “generate one”."
		case pw != "" && generate:
			d.PwErrs["password"] = "Either type a password or tick “generate one”, not both."
		default:
			if m := checkPassword(pw); m != "" {
				d.PwErrs["password"] = m
			}
		}
		if len(d.PwErrs) > 0 {
			return s.renderUser(q, http.StatusUnprocessableEntity, name, d)
		}
		if generate {
			var err error
			if pw, err = auth.GeneratePassword(); err != nil {
				return err
			}
		}
		in.Body.Password = &pw
		if _, err := s.updateUser(q.ctx(), in); err != nil {
			fe, status, err := problemFields(err, "password", name)
			if err != nil {
				return err
			}
			d.PwErrs = fe
			return s.renderUser(q, status, name, d)
		}
		if generate {
			d.Done, d.Password = userPasswordDone(name == q.p.user.Name), pw
			return s.renderUser(q, http.StatusOK, name, d)
		}
		http.Redirect(q.w, q.r, "/admin/users/"+url.PathEscape(name)+"?done=password", http.StatusSeeOther)
		return nil
	}
	return badRequest{"The form did not say what to change (profile or password): reload the page and try again."}
}

// userDelete deletes a user once their name is typed again.
func (s *server) userDelete(q *request) error {
	name := q.r.PathValue("name")
	if err := q.r.ParseForm(); err != nil {
		return badRequest{"The delete form could not be read."}
	}
	d := &userData{DelErrs: fieldErrs{}}
	if q.r.PostFormValue("confirm") != name {
		d.DelErrs["confirm"] = "Type the user name exactly to confirm."
		return s.renderUser(q, http.StatusUnprocessableEntity, name, d)
	}
	if _, err := s.deleteUser(q.ctx(), &userNameInput{Name: name}); err != nil {
		fe, status, err := problemFields(err, "confirm", name)
		if err != nil {
			return err
		}
		d.DelErrs = fe
		return s.renderUser(q, status, name, d)
	}
	http.Redirect(q.w, q.r, "/admin/users?done=deleted", http.StatusSeeOther)
	return nil
}

// userTokenRevoke revokes one of a user's tokens (admins may revoke anyone's).
func (s *server) userTokenRevoke(q *request) error {
	name, id := q.r.PathValue("name"), q.r.PathValue("id")
	ts, err := s.listTokens(q.ctx(), &listTokensInput{User: name})
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ts.Body.Items, func(t TokenInfo) bool { return t.ID == id }) {
		return pageNotFound("token %q of %s", id, name)
	}
	if _, err := s.revokeToken(q.ctx(), &tokenIDInput{ID: id}); err != nil {
		_, _, err := problemFields(err, "", name)
		if err == nil {
			err = pageNotFound("token %q", id)
		}
		return err
	}
	http.Redirect(q.w, q.r, "/admin/users/"+url.PathEscape(name)+"?done=revoked", http.StatusSeeOther)
	return nil
}
