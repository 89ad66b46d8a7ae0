package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/perdura/perdura/internal/auth"
)

// UserInfo is a user as the API shows it: never the password hash.
type UserInfo struct {
	Name        string    `json:"name"`
	DisplayName string    `json:"displayName,omitempty"`
	Role        string    `json:"role" enum:"admin,editor,responder,viewer,auditor"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"createdAt"`
}

func userInfo(u auth.User) UserInfo {
	return UserInfo{Name: u.Name, DisplayName: u.DisplayName, Role: u.Role, Disabled: u.Disabled, CreatedAt: u.CreatedAt}
}

// UserList lists users.
type UserList struct {
	Items []UserInfo `json:"items"`
}

type usersOutput struct{ Body UserList }

func (s *server) listUsers(ctx context.Context, _ *struct{}) (*usersOutput, error) {
	us, err := s.deps.Auth.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := &usersOutput{Body: UserList{Items: make([]UserInfo, 0, len(us))}}
	for _, u := range us {
		out.Body.Items = append(out.Body.Items, userInfo(u))
	}
	return out, nil
}

// createUserBody is a new user. Its name is checked by auth.CheckUserName, as on every
// other door, not by a pattern in the schema, which would answer with words of its own.
type createUserBody struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName,omitempty" maxLength:"200"`
	Role        string `json:"role" enum:"admin,editor,responder,viewer,auditor"`
	Password    string `json:"password" minLength:"12" maxLength:"4096"`
}

// TransformSchema documents the user name rule in the OpenAPI document from its one source.
func (createUserBody) TransformSchema(_ huma.Registry, sc *huma.Schema) *huma.Schema {
	if p := sc.Properties["name"]; p != nil {
		p.Description = auth.UserNameRule + "."
	}
	return sc
}

type createUserInput struct {
	Body createUserBody
}

type userOutput struct{ Body UserInfo }

func (s *server) createUser(ctx context.Context, in *createUserInput) (*userOutput, error) {
	b := in.Body
	u, err := s.authn.CreateUser(ctx, authActor(ctx), auth.NewUser{Name: b.Name, DisplayName: b.DisplayName, Role: b.Role, Password: b.Password})
	if err != nil {
		return nil, userProblem(err, b.Name)
	}
	return &userOutput{Body: userInfo(u)}, nil
}

type userNameInput struct {
	Name string `path:"name" minLength:"1" maxLength:"64"`
}

func (s *server) getUser(ctx context.Context, in *userNameInput) (*userOutput, error) {
	u, err := s.deps.Auth.User(ctx, in.Name)
	if err != nil {
		return nil, userProblem(err, in.Name)
	}
	return &userOutput{Body: userInfo(u)}, nil
}

// userProblem turns the refusals of user administration (internal/auth) into problems:
// the field they concern, or the conflict.
func userProblem(err error, name string) error {
	var badName *auth.UserNameError
	var lastAdmin *auth.LastAdminError
	switch {
	case errors.Is(err, auth.ErrNotFound):
		return problem(http.StatusNotFound, fmt.Sprintf("no user named %q", name))
	case errors.Is(err, auth.ErrExists):
		return problem(http.StatusConflict, fmt.Sprintf("a user named %q exists already", name),
			ProblemDetail{Pointer: "/name", Message: "taken"})
	case errors.As(err, &badName):
		return badField("/name", badName.Error())
	case errors.Is(err, auth.ErrUnknownRole):
		return badField("/role", err.Error())
	case errors.Is(err, auth.ErrWeakPassword):
		return badField("/password", err.Error())
	case errors.As(err, &lastAdmin):
		return problem(http.StatusConflict, lastAdmin.Error())
	}
	return err
}

type updateUserInput struct {
	Name string `path:"name" minLength:"1" maxLength:"64"`
	Body struct {
		DisplayName *string `json:"displayName,omitempty" maxLength:"200"`
		Role        *string `json:"role,omitempty" enum:"admin,editor,responder,viewer,auditor"`
		Disabled    *bool   `json:"disabled,omitempty" doc:"Disabling ends the user's sessions and revokes their API tokens at once; enabling them again brings neither back."`
		Password    *string `json:"password,omitempty" minLength:"12" maxLength:"4096"`
	}
}

// updateUser changes what the body names and leaves the rest. Users changing their own
// password through a session keep that session, so they stay signed in (auth.UserPatch).
func (s *server) updateUser(ctx context.Context, in *updateUserInput) (*userOutput, error) {
	b := in.Body
	p := auth.UserPatch{DisplayName: b.DisplayName, Role: b.Role, Disabled: b.Disabled, Password: b.Password}
	if c := caller(ctx); c.session != nil && c.user.Name == in.Name {
		p.KeepSession = c.session.IDHash
	}
	u, err := s.authn.UpdateUser(ctx, authActor(ctx), in.Name, p)
	if err != nil {
		return nil, userProblem(err, in.Name)
	}
	return &userOutput{Body: userInfo(u)}, nil
}

func (s *server) deleteUser(ctx context.Context, in *userNameInput) (*noContent, error) {
	if err := s.authn.DeleteUser(ctx, authActor(ctx), in.Name); err != nil {
		return nil, userProblem(err, in.Name)
	}
	return &noContent{}, nil
}

// TokenInfo is an API token as lists show it: never its secret or hash.
type TokenInfo struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	User      string     `json:"user"`
	Role      string     `json:"role"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	LastUsed  *time.Time `json:"lastUsed,omitempty"`
	Revoked   bool       `json:"revoked"`
}

func tokenInfo(t auth.Token) TokenInfo {
	return TokenInfo{ID: t.ID, Name: t.Name, User: t.User, Role: t.Role, CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, LastUsed: t.LastUsed, Revoked: t.Revoked}
}

// TokenList lists tokens.
type TokenList struct {
	Items []TokenInfo `json:"items"`
}

type listTokensInput struct {
	User string `query:"user" doc:"Admins: only this user's tokens (default: everyone's). Others see only their own."`
}

type tokensOutput struct{ Body TokenList }

func (s *server) listTokens(ctx context.Context, in *listTokensInput) (*tokensOutput, error) {
	p := caller(ctx)
	user := in.User
	if !p.allowed(auth.PermAdmin) {
		if user != "" && user != p.user.Name {
			return nil, problem(http.StatusForbidden, "only admins list other users' tokens", ProblemDetail{Parameter: "user", Message: "not you"})
		}
		user = p.user.Name
	}
	ts, err := s.deps.Auth.Tokens(ctx, user)
	if err != nil {
		return nil, err
	}
	out := &tokensOutput{Body: TokenList{Items: make([]TokenInfo, 0, len(ts))}}
	for _, t := range ts {
		out.Body.Items = append(out.Body.Items, tokenInfo(t))
	}
	return out, nil
}

type createTokenInput struct {
	Body struct {
		Name      string     `json:"name" minLength:"1" maxLength:"200" doc:"What the token is for."`
		Role      string     `json:"role,omitempty" enum:"admin,editor,responder,viewer,auditor" doc:"Default: the caller's role. At most what the caller may do."`
		ExpiresAt *time.Time `json:"expiresAt,omitempty" doc:"When it stops working; default never."`
	}
}

// NewToken is a created token with its secret, shown this once.
type NewToken struct {
	TokenInfo
	Secret string `json:"secret" doc:"Send as Authorization: Bearer <secret>. It is not stored and cannot be shown again."`
}

type createTokenOutput struct{ Body NewToken }

// needSession refuses an API token that does not act as an admin the creation and
// revocation of tokens: a leaked token, however short-lived or narrow, could otherwise mint
// one that never expires, or revoke its owner's other tokens. Someone who signed in with
// their password manages tokens. An admin token may: it can already create users and set
// their passwords, so refusing it would protect nothing.
func needSession(p *principal) *Problem {
	if p.token == nil || p.allowed(auth.PermAdmin) {
		return nil
	}
	return problem(http.StatusForbidden, "an API token cannot create or revoke API tokens: sign in with your password "+
		"(POST /api/v1/login, or the account page in a browser) and use that session",
		ProblemDetail{Header: "Authorization", Message: "an API token; use a session"})
}

// createToken gives the caller a token for scripts. Its role must be one the caller's
// effective role covers: a token cannot mint a more powerful token.
func (s *server) createToken(ctx context.Context, in *createTokenInput) (*createTokenOutput, error) {
	p := caller(ctx)
	if prob := needSession(p); prob != nil {
		return nil, prob
	}
	role := in.Body.Role
	if role == "" {
		role = p.role()
	}
	if !auth.Covers(p.role(), role) {
		return nil, problem(http.StatusForbidden, fmt.Sprintf("a %s may not create a token with role %s", p.role(), role),
			ProblemDetail{Pointer: "/role", Message: "more than you may do"})
	}
	if in.Body.ExpiresAt != nil && !in.Body.ExpiresAt.After(s.now()) {
		return nil, badField("/expiresAt", "must be in the future")
	}
	secret, t, err := s.authn.NewToken(ctx, authActor(ctx), p.user, in.Body.Name, role, in.Body.ExpiresAt)
	if errors.Is(err, auth.ErrRoleNotCovered) {
		return nil, problem(http.StatusForbidden, err.Error(), ProblemDetail{Pointer: "/role", Message: "more than you may do"})
	}
	if err != nil {
		return nil, err
	}
	return &createTokenOutput{Body: NewToken{TokenInfo: tokenInfo(t), Secret: secret}}, nil
}

type tokenIDInput struct {
	ID string `path:"id" minLength:"1" maxLength:"64"`
}

// revokeToken revokes one of the caller's tokens, or anyone's for an admin. Someone else's
// token answers 404, as an unknown one does, so ids cannot be probed.
func (s *server) revokeToken(ctx context.Context, in *tokenIDInput) (*noContent, error) {
	p := caller(ctx)
	if prob := needSession(p); prob != nil {
		return nil, prob
	}
	user := p.user.Name
	if p.allowed(auth.PermAdmin) {
		user = ""
	}
	ts, err := s.deps.Auth.Tokens(ctx, user)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID == in.ID {
			if err := s.deps.Auth.RevokeToken(ctx, authActor(ctx), t.ID); err != nil {
				return nil, err
			}
			s.authn.Forget(t.User)
			return &noContent{}, nil
		}
	}
	return nil, problem(http.StatusNotFound, fmt.Sprintf("no token %q", in.ID))
}
