package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/auth"
)

// loginCookie carries the login form's own CSRF token (double submit): before there is a
// session, a form on another site must not be able to sign a visitor in as someone else.
const loginCookie = "perdura_login"

// sessionArea is signing in and out.
func (s *server) sessionArea() area {
	return area{pages: []page{
		{method: "GET", path: "/login", perm: public, handle: s.loginPage},
		{method: "POST", path: "/login", perm: public, handle: s.loginSubmit},
		{method: "POST", path: "/logout", perm: auth.PermSelf, handle: s.logoutSubmit},
	}}
}

type loginData struct {
	Next   string
	User   string
	Token  string
	Error  string
	Status int
}

// safeNext keeps a post-login destination on this server, or answers "/". Browsers read a
// Location generously: they drop tabs and newlines anywhere (a slash, a tab and
// "/evil.example" is "//evil.example", another host) and take a backslash for a slash. So only
// a path is accepted that starts with one slash followed by neither a slash nor a backslash,
// holds no control byte and no backslash anywhere, and that url.Parse reads without a scheme
// or host; and not the login page itself.
func safeNext(next string) string {
	if len(next) < 2 || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strings.HasPrefix(next, "/login") {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return next
}

func (s *server) loginPage(q *request) error {
	next := safeNext(q.r.URL.Query().Get("next"))
	if p, status := s.pagePrincipal(q.r); status == 0 && p != nil {
		http.Redirect(q.w, q.r, next, http.StatusSeeOther)
		return nil
	}
	return s.renderLogin(q, http.StatusOK, loginData{Next: next})
}

// renderLogin shows the form with the browser's login token, or a fresh one: a second tab's
// login page keeps the token of the first, so that either form can be sent.
func (s *server) renderLogin(q *request, status int, d loginData) error {
	if c, err := q.r.Cookie(loginCookie); err == nil && loginTokenForm(c.Value) {
		d.Token = c.Value
	} else {
		b := make([]byte, 16)
		rand.Read(b)
		d.Token = hex.EncodeToString(b)
	}
	http.SetCookie(q.w, &http.Cookie{Name: loginCookie, Value: d.Token, Path: "/login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: infoFrom(q.ctx()).tls || s.deps.SecureCookies, MaxAge: 3600})
	return q.render(status, "login", "Sign in", "", d)
}

// loginTokenForm reports whether a login cookie holds what renderLogin makes: 32 hex digits.
func loginTokenForm(v string) bool {
	if len(v) != 32 {
		return false
	}
	_, err := hex.DecodeString(v)
	return err == nil
}

func (s *server) loginSubmit(q *request) error {
	if err := q.r.ParseForm(); err != nil {
		return badRequest{"The sign-in form could not be read."}
	}
	d := loginData{Next: safeNext(q.r.PostFormValue("next")), User: strings.TrimSpace(q.r.PostFormValue("user"))}
	c, err := q.r.Cookie(loginCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(q.r.PostFormValue("token"))) != 1 {
		// Signed in meanwhile as this user (in another tab): the form has done its job. The
		// form carries no session CSRF token, which is fine: a redirect to a path here changes
		// nothing. Someone signing in as another user gets the form again.
		if p, _ := s.pagePrincipal(q.r); p != nil && (d.User == "" || strings.EqualFold(d.User, p.user.Name)) {
			http.Redirect(q.w, q.r, d.Next, http.StatusSeeOther)
			return nil
		}
		d.Error = "The sign-in form had expired. Please sign in again."
		return s.renderLogin(q, http.StatusForbidden, d)
	}
	password := q.r.PostFormValue("password")
	if d.User == "" || password == "" {
		d.Error = "Enter your user name and password."
		return s.renderLogin(q, http.StatusUnprocessableEntity, d)
	}
	secret, sess, _, err := s.startSession(q.ctx(), d.User, password)
	var locked *auth.LockedError
	switch {
	case errors.As(err, &locked):
		q.w.Header().Set("Retry-After", fmt.Sprint(int(locked.RetryAfter.Round(time.Second).Seconds())))
		d.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %s.", humanDuration(locked.RetryAfter.Round(time.Second)))
		return s.renderLogin(q, http.StatusTooManyRequests, d)
	case errors.Is(err, auth.ErrBadCredentials):
		d.Error = "That user name and password do not match."
		return s.renderLogin(q, http.StatusUnauthorized, d)
	case err != nil:
		return err
	}
	ck := s.cookie(infoFrom(q.ctx()), secret, sess.ExpiresAt)
	http.SetCookie(q.w, &ck)
	http.SetCookie(q.w, &http.Cookie{Name: loginCookie, Path: "/login", MaxAge: -1})
	http.Redirect(q.w, q.r, d.Next, http.StatusSeeOther)
	return nil
}

func (s *server) logoutSubmit(q *request) error {
	if err := s.endSession(q.ctx(), q.p); err != nil {
		return err
	}
	ck := s.cookie(infoFrom(q.ctx()), "", time.Time{})
	http.SetCookie(q.w, &ck)
	http.Redirect(q.w, q.r, "/login", http.StatusSeeOther)
	return nil
}
