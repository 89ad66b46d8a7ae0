package sqlstore

import (
	"context"
	"errors"
	"time"

	"github.com/perdura/perdura/internal/audit"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

// errNotImplemented is returned by every method until the real storage lands; it exists so
// that the HTTP API can compile against the final signatures now.
var errNotImplemented = errors.New("sqlstore: not implemented")

// Store keeps the model, users, sessions, tokens and the audit trail in SQLite or PostgreSQL.
type Store struct {
	engine string
}

// Option configures Open.
type Option func(*options)

type options struct{}

// Open opens (creating if needed) the database named by dsn, a SQLite file path or a
// postgres:// / postgresql:// URL, and applies pending migrations.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	return nil, errNotImplemented
}

// Close releases the database handles.
func (s *Store) Close() error { return nil }

// Engine is "sqlite" or "postgres".
func (s *Store) Engine() string { return s.engine }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return errNotImplemented }

// Objects lists current objects matching q, and how many match in all.
func (s *Store) Objects(ctx context.Context, q catalog.ListQuery) ([]catalog.Object, int, error) {
	return nil, 0, errNotImplemented
}

// Object returns the current revision of one object.
func (s *Store) Object(ctx context.Context, kind model.Kind, name string) (catalog.Object, error) {
	return catalog.Object{}, errNotImplemented
}

// AllObjects returns every current object.
func (s *Store) AllObjects(ctx context.Context) ([]catalog.Object, error) {
	return nil, errNotImplemented
}

// Generation is the count of committed model writes.
func (s *Store) Generation(ctx context.Context) (int64, error) { return 0, errNotImplemented }

// Write applies changes all or nothing.
func (s *Store) Write(ctx context.Context, a catalog.Actor, action string, changes []catalog.Change, check catalog.Check) ([]catalog.Object, error) {
	return nil, errNotImplemented
}

// Revisions lists every revision of one object, oldest first.
func (s *Store) Revisions(ctx context.Context, kind model.Kind, name string) ([]catalog.Revision, error) {
	return nil, errNotImplemented
}

// Revision returns one revision of one object.
func (s *Store) Revision(ctx context.Context, kind model.Kind, name string, rev int64) (catalog.Revision, error) {
	return catalog.Revision{}, errNotImplemented
}

// CreateUser adds a user.
func (s *Store) CreateUser(ctx context.Context, a auth.Actor, u auth.User) error {
	return errNotImplemented
}

// User returns one user.
func (s *Store) User(ctx context.Context, name string) (auth.User, error) {
	return auth.User{}, errNotImplemented
}

// Users lists every user.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) { return nil, errNotImplemented }

// UpdateUser replaces a user's fields.
func (s *Store) UpdateUser(ctx context.Context, a auth.Actor, u auth.User) error {
	return errNotImplemented
}

// DeleteUser removes a user.
func (s *Store) DeleteUser(ctx context.Context, a auth.Actor, name string) error {
	return errNotImplemented
}

// CreateSession stores a browser session.
func (s *Store) CreateSession(ctx context.Context, sess auth.Session) error {
	return errNotImplemented
}

// Session returns the session whose cookie hashes to idHash.
func (s *Store) Session(ctx context.Context, idHash []byte) (auth.Session, error) {
	return auth.Session{}, errNotImplemented
}

// DeleteSession removes a session (logout).
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error { return errNotImplemented }

// DeleteExpiredSessions removes sessions expired at now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	return 0, errNotImplemented
}

// CreateToken stores an API token.
func (s *Store) CreateToken(ctx context.Context, a auth.Actor, t auth.Token) error {
	return errNotImplemented
}

// TokenByHash returns the token whose secret hashes to hash.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (auth.Token, error) {
	return auth.Token{}, errNotImplemented
}

// Tokens lists a user's tokens ("" = every user's).
func (s *Store) Tokens(ctx context.Context, user string) ([]auth.Token, error) {
	return nil, errNotImplemented
}

// RevokeToken marks a token revoked.
func (s *Store) RevokeToken(ctx context.Context, a auth.Actor, id string) error {
	return errNotImplemented
}

// TouchToken records when a token was last used.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	return errNotImplemented
}

// LoginFailures counts failed logins for key since a time.
func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time) (int, error) {
	return 0, errNotImplemented
}

// RecordLoginFailure records one failed login for key.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, at time.Time) error {
	return errNotImplemented
}

// Audit pages the audit trail, newest first.
func (s *Store) Audit(ctx context.Context, q audit.Query) ([]audit.Entry, error) {
	return nil, errNotImplemented
}

// AppendAudit adds one audit entry in a transaction of its own.
func (s *Store) AppendAudit(ctx context.Context, actor, door, remote, action, target, detail string) error {
	return errNotImplemented
}

// VerifyAudit recomputes the audit chain from the first entry.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) { return 0, errNotImplemented }
