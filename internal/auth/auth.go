// Package auth is who may do what: users, roles and their permissions, argon2id password
// hashes, browser sessions with CSRF tokens, and API tokens shown once and stored hashed.
package auth

import (
	"context"
	"errors"
	"time"
)

// Errors the store returns for users, sessions and tokens.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

// Actor names who does something to users and tokens, and through which door.
type Actor struct {
	User   string
	Door   string
	Remote string
}

// Roles of users and tokens.
const (
	RoleAdmin     = "admin"
	RoleEditor    = "editor"
	RoleResponder = "responder"
	RoleViewer    = "viewer"
	RoleAuditor   = "auditor"
)

// User is a local user. PasswordHash is an argon2id PHC string made by internal/auth.
type User struct {
	Name         string
	DisplayName  string
	Role         string
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time
}

// Session is a browser login. Only the SHA-256 of the session cookie's value is stored.
type Session struct {
	IDHash    []byte
	User      string
	CSRF      string // per-session CSRF token, compared with the form/header value
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Token is an API token. Only the SHA-256 of the secret is stored; the secret is shown once.
type Token struct {
	ID        string // public identifier, e.g. "tok_3f9a..."; part of the secret's prefix
	Name      string // what it is for
	User      string // who created it
	Role      string // the token's role (at most its creator's)
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt *time.Time
	LastUsed  *time.Time
	Revoked   bool
}

// Store is what auth needs from storage; internal/sqlstore implements it. Every change to
// users and tokens records an audit entry in the same transaction.
type Store interface {
	CreateUser(ctx context.Context, a Actor, u User) error
	User(ctx context.Context, name string) (User, error)
	Users(ctx context.Context) ([]User, error)
	// UpdateUser stores u's fields and nothing else: for the re-hash of a password at login,
	// which must sign nobody out.
	UpdateUser(ctx context.Context, a Actor, u User) error
	// ChangeUser stores u's fields and, in the same transaction, does what c asks (end
	// sessions, revoke tokens) and runs c.Check; it returns what it ended. The audit entry
	// records the numbers.
	ChangeUser(ctx context.Context, a Actor, u User, c UserChange) (UserChanged, error)
	// DeleteUser removes a user with their sessions and tokens; check, when not nil, runs in
	// the same transaction as UserChange.Check does.
	DeleteUser(ctx context.Context, a Actor, name string, check UsersCheck) error

	// CreateSession stores a session and, in the same transaction, ends the user's oldest
	// sessions beyond the newest keep (keep <= 0: no limit). A user who is unknown or
	// disabled when the transaction runs gets ErrNotFound and no session.
	CreateSession(ctx context.Context, s Session, keep int) error
	Session(ctx context.Context, idHash []byte) (Session, error)
	DeleteSession(ctx context.Context, idHash []byte) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)

	CreateToken(ctx context.Context, a Actor, t Token) error
	TokenByHash(ctx context.Context, hash []byte) (Token, error)
	Tokens(ctx context.Context, user string) ([]Token, error)
	RevokeToken(ctx context.Context, a Actor, id string) error
	TouchToken(ctx context.Context, id string, at time.Time) error

	// LoginFailures counts failed logins for a key (user name, client address) since a time;
	// the store keeps them so that every server sharing a database enforces one limit.
	LoginFailures(ctx context.Context, key string, since time.Time) (int, error)
	RecordLoginFailure(ctx context.Context, key string, at time.Time) error
}
