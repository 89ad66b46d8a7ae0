package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/perdura/perdura/internal/auth"
)

const userColumns = `name, display_name, role, password_hash, disabled, created_at`

func scanUser(row scanner) (auth.User, error) {
	var u auth.User
	err := row.Scan(&u.Name, &u.DisplayName, &u.Role, &u.PasswordHash, &u.Disabled, timeDest{&u.CreatedAt})
	return u, err
}

// userDetail is what the audit trail records of a user: never the password hash.
type userDetail struct {
	DisplayName string   `json:"displayName,omitempty"`
	Role        string   `json:"role"`
	Disabled    bool     `json:"disabled,omitempty"`
	Changed     []string `json:"changed,omitempty"`
	// SessionsEnded is how many of the user's sessions the change ended (a password change,
	// a disable).
	SessionsEnded *int `json:"sessionsEnded,omitempty"`
	// TokensRevoked is how many of the user's API tokens the change revoked (a disable).
	TokensRevoked *int `json:"tokensRevoked,omitempty"`
}

// CreateUser adds a user (CreatedAt defaults to now) and records user.create.
func (s *Store) CreateUser(ctx context.Context, a auth.Actor, u auth.User) error {
	if u.Name == "" {
		return errors.New("create user: empty name")
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx, h *head) error {
		now := s.now()
		if _, err := userIn(ctx, tx, u.Name); err == nil {
			return fmt.Errorf("create user %s: %w", u.Name, auth.ErrExists)
		} else if !errors.Is(err, auth.ErrNotFound) {
			return err
		}
		created := u.CreatedAt
		if created.IsZero() {
			created = now
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			u.Name, u.DisplayName, u.Role, u.PasswordHash, u.Disabled, s.t(created)); err != nil {
			return fmt.Errorf("create user %s: %w", u.Name, err)
		}
		d := userDetail{DisplayName: u.DisplayName, Role: u.Role, Disabled: u.Disabled}
		return s.appendAudit(ctx, tx, h, a.User, a.Door, a.Remote, "user.create", "user/"+u.Name, mustJSON(d), now)
	})
}

func userIn(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, name string) (auth.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = $1`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, fmt.Errorf("user %s: %w", name, auth.ErrNotFound)
	}
	if err != nil {
		return auth.User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	return u, nil
}

// User returns one user.
func (s *Store) User(ctx context.Context, name string) (auth.User, error) {
	return userIn(ctx, reader{s}, name)
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []auth.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// UpdateUser replaces a user's display name, role, password hash and disabled flag (CreatedAt
// stays); an empty PasswordHash keeps the stored one. It records user.update with the names of
// the fields that changed. Sessions stay: a re-hash of the same password at login must not
// sign anyone out (see ChangeUser).
func (s *Store) UpdateUser(ctx context.Context, a auth.Actor, u auth.User) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx, h *head) error {
		_, err := s.updateUser(ctx, tx, h, a, u, auth.UserChange{})
		return err
	})
}

// ChangeUser is UpdateUser that, in the same transaction, ends the user's sessions (all but
// the one whose cookie hashes to c.KeepSession) and revokes their tokens when c asks, and
// runs c.Check with every user before and after the change: after a password change nobody
// stays signed in with the old password, a disabled user keeps no way in, and no concurrent
// change can slip between the check and the write. The user.update entry records the number
// of sessions ended (sessionsEnded) and tokens revoked (tokensRevoked), when c asked for them.
func (s *Store) ChangeUser(ctx context.Context, a auth.Actor, u auth.User, c auth.UserChange) (auth.UserChanged, error) {
	var out auth.UserChanged
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx, h *head) error {
		var err error
		out, err = s.updateUser(ctx, tx, h, a, u, c)
		return err
	})
	if err != nil {
		return auth.UserChanged{}, err
	}
	return out, nil
}

// updateUser is UpdateUser and ChangeUser inside a write: the update, what c asks for, c's
// check, then the audit entry.
func (s *Store) updateUser(ctx context.Context, tx *sql.Tx, h *head, a auth.Actor, u auth.User, c auth.UserChange) (auth.UserChanged, error) {
	var out auth.UserChanged
	cur, err := userIn(ctx, tx, u.Name)
	if err != nil {
		return out, fmt.Errorf("update user: %w", err)
	}
	var before []auth.User
	if c.Check != nil {
		if before, err = usersIn(ctx, tx); err != nil {
			return out, err
		}
	}
	if u.PasswordHash == "" {
		u.PasswordHash = cur.PasswordHash
	}
	d := userDetail{DisplayName: u.DisplayName, Role: u.Role, Disabled: u.Disabled, Changed: []string{}}
	for _, f := range []struct {
		name    string
		changed bool
	}{
		{"displayName", cur.DisplayName != u.DisplayName},
		{"role", cur.Role != u.Role},
		{"password", cur.PasswordHash != u.PasswordHash},
		{"disabled", cur.Disabled != u.Disabled},
	} {
		if f.changed {
			d.Changed = append(d.Changed, f.name)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET display_name = $2, role = $3, password_hash = $4, disabled = $5 WHERE name = $1`,
		u.Name, u.DisplayName, u.Role, u.PasswordHash, u.Disabled); err != nil {
		return out, fmt.Errorf("update user %s: %w", u.Name, err)
	}
	if c.EndSessions {
		q, args := `DELETE FROM sessions WHERE user_name = $1`, []any{u.Name}
		if c.KeepSession != nil {
			q, args = `DELETE FROM sessions WHERE user_name = $1 AND id_hash <> $2`, []any{u.Name, c.KeepSession}
		}
		if out.SessionsEnded, err = execCount(ctx, tx, q, args...); err != nil {
			return out, fmt.Errorf("end the sessions of %s: %w", u.Name, err)
		}
		d.SessionsEnded = &out.SessionsEnded
	}
	if c.RevokeTokens {
		if out.TokensRevoked, err = execCount(ctx, tx, `UPDATE tokens SET revoked = $2 WHERE user_name = $1 AND revoked = $3`, u.Name, true, false); err != nil {
			return out, fmt.Errorf("revoke the tokens of %s: %w", u.Name, err)
		}
		d.TokensRevoked = &out.TokensRevoked
	}
	if c.Check != nil {
		after, err := usersIn(ctx, tx)
		if err != nil {
			return out, err
		}
		if err := c.Check(before, after); err != nil {
			return out, err
		}
	}
	return out, s.appendAudit(ctx, tx, h, a.User, a.Door, a.Remote, "user.update", "user/"+u.Name, mustJSON(d), s.now())
}

// execCount runs a statement and returns how many rows it touched.
func execCount(ctx context.Context, tx *sql.Tx, q string, args ...any) (int, error) {
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// usersIn lists every user inside tx, for a check.
func usersIn(ctx context.Context, tx *sql.Tx) ([]auth.User, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []auth.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// DeleteUser removes a user, and with it the user's sessions and tokens, and records
// user.delete; check, when not nil, sees every user before and after the delete inside the
// transaction and may refuse it.
func (s *Store) DeleteUser(ctx context.Context, a auth.Actor, name string, check auth.UsersCheck) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx, h *head) error {
		var before []auth.User
		if check != nil {
			var err error
			if before, err = usersIn(ctx, tx); err != nil {
				return err
			}
		}
		n, err := execCount(ctx, tx, `DELETE FROM users WHERE name = $1`, name)
		if err != nil {
			return fmt.Errorf("delete user %s: %w", name, err)
		}
		if n == 0 {
			return fmt.Errorf("delete user %s: %w", name, auth.ErrNotFound)
		}
		if check != nil {
			after, err := usersIn(ctx, tx)
			if err != nil {
				return err
			}
			if err := check(before, after); err != nil {
				return err
			}
		}
		return s.appendAudit(ctx, tx, h, a.User, a.Door, a.Remote, "user.delete", "user/"+name, "{}", s.now())
	})
}

// CreateSession stores a browser session (only the SHA-256 of its cookie is given and kept)
// and, in the same transaction, ends the user's sessions beyond the newest keep (keep <= 0:
// no limit). The user's row is locked first (SQLite: the transaction holds the database's
// write lock), so that logins of one user, and a disable or delete of the user, run one after
// another: concurrent logins cannot leave more than keep sessions, nor can a login that
// raced a disable leave a session behind. An unknown or disabled user gets ErrNotFound.
func (s *Store) CreateSession(ctx context.Context, sess auth.Session, keep int) error {
	created := sess.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create session for %s: %w", sess.User, err)
	}
	defer tx.Rollback()
	q := `SELECT disabled FROM users WHERE name = $1`
	if s.engine == EnginePostgres {
		q += ` FOR UPDATE`
	}
	var disabled bool
	err = tx.QueryRowContext(ctx, q, sess.User).Scan(&disabled)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("create session for %s: %w", sess.User, auth.ErrNotFound)
	case err != nil:
		return fmt.Errorf("create session for %s: %w", sess.User, err)
	case disabled:
		return fmt.Errorf("create session for %s: the user is disabled: %w", sess.User, auth.ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_name, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		sess.IDHash, sess.User, sess.CSRF, s.t(created), s.t(sess.ExpiresAt)); err != nil {
		return fmt.Errorf("create session for %s: %w", sess.User, err)
	}
	if keep > 0 {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_name = $1 AND id_hash NOT IN
			(SELECT id_hash FROM sessions WHERE user_name = $1 ORDER BY created_at DESC, id_hash DESC LIMIT $2)`,
			sess.User, keep); err != nil {
			return fmt.Errorf("end the oldest sessions of %s: %w", sess.User, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create session for %s: %w", sess.User, err)
	}
	return nil
}

// Session returns the session whose cookie hashes to idHash, expired or not: the caller
// compares ExpiresAt with its clock.
func (s *Store) Session(ctx context.Context, idHash []byte) (auth.Session, error) {
	var sess auth.Session
	err := s.r.QueryRowContext(ctx, `SELECT id_hash, user_name, csrf, created_at, expires_at FROM sessions WHERE id_hash = $1`, idHash).
		Scan(&sess.IDHash, &sess.User, &sess.CSRF, timeDest{&sess.CreatedAt}, timeDest{&sess.ExpiresAt})
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Session{}, fmt.Errorf("session: %w", auth.ErrNotFound)
	}
	if err != nil {
		return auth.Session{}, fmt.Errorf("read session: %w", err)
	}
	return sess, nil
}

// DeleteSession removes a session (logout); removing one that is not there is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes the sessions that expired at or before now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, s.t(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}

const tokenColumns = `id, name, user_name, role, hash, created_at, expires_at, last_used, revoked`

func scanToken(row scanner) (auth.Token, error) {
	var t auth.Token
	err := row.Scan(&t.ID, &t.Name, &t.User, &t.Role, &t.Hash, timeDest{&t.CreatedAt}, nullTimeDest{&t.ExpiresAt}, nullTimeDest{&t.LastUsed}, &t.Revoked)
	return t, err
}

// tokenDetail is what the audit trail records of a token: never its hash.
type tokenDetail struct {
	Name      string     `json:"name"`
	User      string     `json:"user"`
	Role      string     `json:"role"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// CreateToken stores an API token (its hash, never the secret) and records token.create.
func (s *Store) CreateToken(ctx context.Context, a auth.Actor, t auth.Token) error {
	if t.ID == "" || len(t.Hash) == 0 {
		return errors.New("create token: empty id or hash")
	}
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx, h *head) error {
		now := s.now()
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE id = $1 OR hash = $2`, t.ID, t.Hash).Scan(&n); err != nil {
			return fmt.Errorf("create token %s: %w", t.ID, err)
		}
		if n > 0 {
			return fmt.Errorf("create token %s: %w", t.ID, auth.ErrExists)
		}
		if _, err := userIn(ctx, tx, t.User); err != nil {
			return fmt.Errorf("create token %s: %w", t.ID, err)
		}
		created := t.CreatedAt
		if created.IsZero() {
			created = now
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			t.ID, t.Name, t.User, t.Role, t.Hash, s.t(created), s.tp(t.ExpiresAt), s.tp(t.LastUsed), t.Revoked); err != nil {
			return fmt.Errorf("create token %s: %w", t.ID, err)
		}
		d := tokenDetail{Name: t.Name, User: t.User, Role: t.Role}
		if t.ExpiresAt != nil {
			e := t.ExpiresAt.UTC().Truncate(time.Microsecond)
			d.ExpiresAt = &e
		}
		return s.appendAudit(ctx, tx, h, a.User, a.Door, a.Remote, "token.create", "token/"+t.ID, mustJSON(d), now)
	})
}

// TokenByHash returns the token whose secret hashes to hash, revoked or expired or not: the
// caller decides.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (auth.Token, error) {
	t, err := scanToken(reader{s}.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Token{}, fmt.Errorf("token: %w", auth.ErrNotFound)
	}
	if err != nil {
		return auth.Token{}, fmt.Errorf("read token: %w", err)
	}
	return t, nil
}

// Tokens lists a user's tokens, or every user's when user is "", oldest first.
func (s *Store) Tokens(ctx context.Context, user string) ([]auth.Token, error) {
	q, args := `SELECT `+tokenColumns+` FROM tokens ORDER BY created_at, id`, []any{}
	if user != "" {
		q, args = `SELECT `+tokenColumns+` FROM tokens WHERE user_name = $1 ORDER BY created_at, id`, []any{user}
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []auth.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken marks a token revoked and records token.revoke.
func (s *Store) RevokeToken(ctx context.Context, a auth.Actor, id string) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx, h *head) error {
		var user, name string
		err := tx.QueryRowContext(ctx, `SELECT user_name, name FROM tokens WHERE id = $1`, id).Scan(&user, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("revoke token %s: %w", id, auth.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("revoke token %s: %w", id, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked = $2 WHERE id = $1`, id, true); err != nil {
			return fmt.Errorf("revoke token %s: %w", id, err)
		}
		d := struct {
			Name string `json:"name"`
			User string `json:"user"`
		}{name, user}
		return s.appendAudit(ctx, tx, h, a.User, a.Door, a.Remote, "token.revoke", "token/"+id, mustJSON(d), s.now())
	})
}

// TouchToken records when a token was last used. It is not audited: it happens on every
// request a token makes.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE tokens SET last_used = $2 WHERE id = $1`, id, s.t(at))
	if err != nil {
		return fmt.Errorf("touch token %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("touch token %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("touch token %s: %w", id, auth.ErrNotFound)
	}
	return nil
}

// LoginFailures counts the failed logins recorded for key at or after since.
func (s *Store) LoginFailures(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM login_failures WHERE key = $1 AND at >= $2`, key, s.t(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count login failures: %w", err)
	}
	return n, nil
}

// RecordLoginFailure records one failed login for key.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, at time.Time) error {
	if _, err := s.w.ExecContext(ctx, `INSERT INTO login_failures (key, at) VALUES ($1, $2)`, key, s.t(at)); err != nil {
		return fmt.Errorf("record login failure: %w", err)
	}
	return nil
}
