package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
)

// Names the browser and scripts see.
const (
	sessionCookie = "perdura_session"
	csrfHeader    = "X-CSRF-Token"
	metaPerm      = "permission" // huma.Operation.Metadata key: the auth.Permission a route needs
	// metaSessionOnly is the Metadata key of route.sessionOnly.
	metaSessionOnly = "sessionOnly"
)

// principal is who is calling: a user through a browser session or an API token.
type principal struct {
	user          auth.User
	session       *auth.Session
	sessionSecret string
	token         *auth.Token
}

// allowed applies the permission table: a session has its user's role; a token what both its
// own role and its owner's current role allow.
func (p *principal) allowed(perm auth.Permission) bool {
	if p.token != nil {
		return auth.TokenAllowed(*p.token, p.user, perm)
	}
	return auth.Allowed(p.user.Role, perm)
}

// role is the role the caller acts in.
func (p *principal) role() string {
	if p.token != nil {
		return p.token.Role
	}
	return p.user.Role
}

// door says how a change arrived: sessions are the browser, tokens are scripts.
func (p *principal) door() string {
	if p.token != nil {
		return catalog.DoorAPI
	}
	return catalog.DoorWeb
}

type principalKey struct{}

// caller returns the authenticated principal; routes that need a permission always have one.
func caller(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey{}).(*principal)
	if p == nil {
		panic("web: caller on a route without authentication") // a route table mistake
	}
	return p
}

func catalogActor(ctx context.Context) catalog.Actor {
	p := caller(ctx)
	return catalog.Actor{User: p.user.Name, Door: p.door(), Remote: infoFrom(ctx).remote}
}

func authActor(ctx context.Context) auth.Actor {
	p := caller(ctx)
	return auth.Actor{User: p.user.Name, Door: p.door(), Remote: infoFrom(ctx).remote}
}

// authenticate is the huma middleware that enforces each route's permission. Public routes
// (no permission) pass; the rest need a bearer token, or a session cookie plus the session's
// CSRF token in X-CSRF-Token on unsafe methods: a cross-site form can send the cookie but
// cannot read the token.
func (s *server) authenticate(ctx huma.Context, next func(huma.Context)) {
	op := ctx.Operation()
	info := infoFrom(ctx.Context())
	info.route = op.Method + " " + op.Path
	perm, _ := op.Metadata[metaPerm].(auth.Permission)
	if perm == "" {
		next(ctx)
		return
	}
	r, w := unwrapHuma(ctx)
	p, prob := s.identify(ctx.Context(), r)
	if prob == nil && !p.allowed(perm) {
		prob = problem(http.StatusForbidden, fmt.Sprintf("the %s role may not do this (it needs the %q permission)", p.role(), perm))
	}
	if only, _ := op.Metadata[metaSessionOnly].(bool); prob == nil && only {
		prob = needSession(p)
	}
	if prob != nil {
		if prob.Status == http.StatusUnauthorized {
			prob.GetHeaders().Set("WWW-Authenticate", `Bearer realm="perdura"`)
		}
		writeProblem(w, prob)
		return
	}
	info.user = p.user.Name
	next(huma.WithValue(ctx, principalKey{}, p))
}

// identify finds the caller from the Authorization header or the session cookie.
func (s *server) identify(ctx context.Context, r *http.Request) (*principal, *Problem) {
	if authz := r.Header.Get("Authorization"); authz != "" {
		scheme, secret, _ := strings.Cut(authz, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return nil, problem(http.StatusUnauthorized, "the Authorization header must be \"Bearer <token>\"",
				ProblemDetail{Header: "Authorization", Message: "expected the Bearer scheme"})
		}
		t, u, err := s.authn.Token(ctx, strings.TrimSpace(secret))
		if err != nil {
			return nil, s.toProblem(ctx, err)
		}
		return &principal{user: u, token: &t}, nil
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, problem(http.StatusUnauthorized, "sign in (POST /api/v1/login) or send an API token as \"Authorization: Bearer <token>\"")
	}
	sess, u, err := s.authn.Session(ctx, c.Value)
	if err != nil {
		return nil, s.toProblem(ctx, err)
	}
	if !safeMethod(r.Method) {
		got := r.Header.Get(csrfHeader)
		if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
			return nil, problem(http.StatusForbidden, "a signed-in browser request that changes something needs the session's CSRF token",
				ProblemDetail{Header: csrfHeader, Message: "missing or wrong; it is in the answers of POST /api/v1/login and GET /api/v1/me"})
		}
	}
	return &principal{user: u, session: &sess, sessionSecret: c.Value}, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// Me is who is signed in.
type Me struct {
	User        string     `json:"user"`
	DisplayName string     `json:"displayName,omitempty"`
	Role        string     `json:"role" doc:"The role the caller acts in: the user's, or the token's."`
	Via         string     `json:"via" enum:"session,token"`
	CSRF        string     `json:"csrf,omitempty" doc:"Send it as X-CSRF-Token on every unsafe request of this session."`
	ExpiresAt   *time.Time `json:"expiresAt,omitempty" doc:"When the session or token ends."`
	TokenID     string     `json:"tokenId,omitempty"`
}

func meOf(p *principal) Me {
	m := Me{User: p.user.Name, DisplayName: p.user.DisplayName, Role: p.role()}
	if p.token != nil {
		m.Via, m.TokenID, m.ExpiresAt = "token", p.token.ID, p.token.ExpiresAt
	} else {
		exp := p.session.ExpiresAt
		m.Via, m.CSRF, m.ExpiresAt = "session", p.session.CSRF, &exp
	}
	return m
}

type loginInput struct {
	Body struct {
		User     string `json:"user" minLength:"1" maxLength:"256"`
		Password string `json:"password" minLength:"1" maxLength:"4096"`
	}
}

type loginOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
	Body      Me
}

// login checks the password and starts a session. Failed logins are audited with the name
// tried; the password never is, nor logged.
func (s *server) login(ctx context.Context, in *loginInput) (*loginOutput, error) {
	info := infoFrom(ctx)
	secret, sess, u, err := s.startSession(ctx, in.Body.User, in.Body.Password)
	if err != nil {
		return nil, err
	}
	return &loginOutput{
		SetCookie: s.cookie(info, secret, sess.ExpiresAt),
		Body:      meOf(&principal{user: u, session: &sess}),
	}, nil
}

// startSession checks a password and starts a session, for the API's login and the login
// page alike. Failed logins are audited with the name tried; the password never is, nor
// logged. Logins refused by the rate limit are not audited: they checked no password, and
// anyone could otherwise grow the trail without bound by retrying a locked name; the first
// refusal of a lock is logged instead (noteLocked).
func (s *server) startSession(ctx context.Context, name, password string) (string, auth.Session, auth.User, error) {
	info := infoFrom(ctx)
	u, err := s.authn.Login(ctx, name, password, info.remote)
	var locked *auth.LockedError
	if errors.As(err, &locked) {
		s.noteLocked(ctx, locked)
		return "", auth.Session{}, auth.User{}, err
	}
	if errors.Is(err, auth.ErrBadCredentials) {
		if aerr := s.deps.Audit.AppendAudit(ctx, name, catalog.DoorWeb, info.remote, "login.failed", "user/"+name, `{"reason":"bad credentials"}`); aerr != nil {
			s.log.ErrorContext(ctx, "audit failed login", "request_id", info.id, "error", aerr.Error())
		}
		return "", auth.Session{}, auth.User{}, err
	}
	if err != nil {
		return "", auth.Session{}, auth.User{}, err
	}
	secret, sess, err := s.authn.NewSession(ctx, u)
	if err != nil {
		return "", auth.Session{}, auth.User{}, err
	}
	// A login the trail does not show must not happen: without its entry, end the session.
	if err := s.deps.Audit.AppendAudit(ctx, u.Name, catalog.DoorWeb, info.remote, "login", "user/"+u.Name, "{}"); err != nil {
		s.authn.EndSession(context.WithoutCancel(ctx), secret)
		return "", auth.Session{}, auth.User{}, err
	}
	info.user = u.Name
	// Upgrading an old hash is a favour, not a condition of the login.
	if _, err := s.authn.Rehash(ctx, auth.Actor{User: u.Name, Door: catalog.DoorWeb, Remote: info.remote}, u, password); err != nil {
		s.log.WarnContext(ctx, "rehash password", "request_id", info.id, "user", u.Name, "error", err.Error())
	}
	return secret, sess, u, nil
}

// noteLocked logs a login lock with a warning, once per locked name or address and window
// (the rest of the refusals are silent): enough for an operator to see an attack, without
// the log growing with it.
func (s *server) noteLocked(ctx context.Context, locked *auth.LockedError) {
	if !locked.First {
		return
	}
	info := infoFrom(ctx)
	s.log.WarnContext(ctx, "logins locked after too many failures; further refusals in this window are not logged",
		"request_id", info.id, "key", locked.Key, "remote", info.remote, "retry_after_s", int(locked.RetryAfter.Seconds()))
}

// cookie is the session cookie: HttpOnly so scripts cannot steal it, SameSite=Lax so other
// sites' forms do not carry it on posts, Secure over TLS or when the server sits behind one.
func (s *server) cookie(info *reqInfo, value string, expires time.Time) http.Cookie {
	c := http.Cookie{Name: sessionCookie, Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: info.tls || s.deps.SecureCookies}
	if value == "" {
		c.MaxAge = -1
	} else {
		// Max-Age rather than Expires: relative to the browser's clock, so a skewed clock
		// on either side neither keeps a dead cookie nor drops a live one.
		c.MaxAge = max(1, int(expires.Sub(s.now()).Seconds()))
	}
	return c
}

type logoutOutput struct {
	SetCookie http.Cookie `header:"Set-Cookie"`
}

// logout ends the caller's session; with a token there is nothing to end (revoke the token).
func (s *server) logout(ctx context.Context, _ *struct{}) (*logoutOutput, error) {
	if err := s.endSession(ctx, caller(ctx)); err != nil {
		return nil, err
	}
	return &logoutOutput{SetCookie: s.cookie(infoFrom(ctx), "", time.Time{})}, nil
}

// endSession ends a principal's session and audits it, for the API and the logout button.
func (s *server) endSession(ctx context.Context, p *principal) error {
	if p.session == nil {
		return nil
	}
	if err := s.authn.EndSession(ctx, p.sessionSecret); err != nil {
		return err
	}
	return s.deps.Audit.AppendAudit(ctx, p.user.Name, catalog.DoorWeb, infoFrom(ctx).remote, "logout", "user/"+p.user.Name, "{}")
}

type meOutput struct{ Body Me }

func (s *server) me(ctx context.Context, _ *struct{}) (*meOutput, error) {
	return &meOutput{Body: meOf(caller(ctx))}, nil
}
