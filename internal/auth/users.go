package auth

import (
	"context"
	"errors"
	"fmt"
)

// User administration: the rules for creating, changing and deleting users. The API, the
// web pages and `perdura user` all call these methods, so that each rule is written once.

// UserNameRule says in words what a user name must be.
const UserNameRule = "1 to 64 lower case letters, digits, '.', '_' or '-'"

// UserNameError refuses a user name that breaks UserNameRule.
type UserNameError struct{ Name string }

func (e *UserNameError) Error() string {
	return fmt.Sprintf("user name %q: expected %s", e.Name, UserNameRule)
}

// CheckUserName returns a *UserNameError when name breaks UserNameRule. Names are what
// people type to sign in and what the audit trail names them by: lower case, so that "Ann"
// and "ann" cannot be two people, and no spaces or punctuation that would need quoting.
func CheckUserName(name string) error {
	if len(name) == 0 || len(name) > 64 {
		return &UserNameError{Name: name}
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return &UserNameError{Name: name}
		}
	}
	return nil
}

// ErrUnknownRole refuses a role that is not one of Roles.
var ErrUnknownRole = errors.New("the role must be one of admin, editor, responder, viewer or auditor")

// LastAdminError refuses a change after which no enabled admin would be left: nobody could
// manage users any more but with `perdura user` on the server itself.
type LastAdminError struct{ Name string }

func (e *LastAdminError) Error() string {
	return fmt.Sprintf("%s is the last enabled admin; make another user admin first", e.Name)
}

// UsersCheck is a rule over all users that the store runs inside a write's transaction,
// under its write lock, so that no other write comes between the check and the write: it is
// given every user as they were before the write and as they are after it, and an error from
// it undoes the write and is returned. A check made before the write instead would let two
// concurrent writes both pass it.
type UsersCheck func(before, after []User) error

// UserChange is what goes with a change to a user's fields, in the same transaction.
type UserChange struct {
	// EndSessions ends the user's sessions, all but the one whose cookie hashes to
	// KeepSession (nil: all).
	EndSessions bool
	KeepSession []byte
	// RevokeTokens revokes every API token of the user.
	RevokeTokens bool
	// Check, when not nil, must accept the users as the change leaves them.
	Check UsersCheck
}

// UserChanged is what a change ended with it.
type UserChanged struct {
	SessionsEnded int
	TokensRevoked int
}

// keepAnAdmin refuses a change to name that takes away the last enabled admin. It compares
// before and after rather than asking whether any admin is left, so that a database without
// an enabled admin (made so on the command line) can still have its other users changed.
func keepAnAdmin(name string) UsersCheck {
	return func(before, after []User) error {
		if enabledAdmins(before) > 0 && enabledAdmins(after) == 0 {
			return &LastAdminError{Name: name}
		}
		return nil
	}
}

func enabledAdmins(us []User) int {
	n := 0
	for _, u := range us {
		if u.Role == RoleAdmin && !u.Disabled {
			n++
		}
	}
	return n
}

// NewUser is a user to create. Password is in clear; only its hash is stored.
type NewUser struct {
	Name, DisplayName, Role, Password string
}

// CreateUser checks a new user's name, role and password (a *UserNameError, ErrUnknownRole,
// ErrWeakPassword), hashes the password and stores the user; a name taken already gives
// ErrExists. It returns the user as stored.
func (a *Authenticator) CreateUser(ctx context.Context, actor Actor, nu NewUser) (User, error) {
	if err := CheckUserName(nu.Name); err != nil {
		return User{}, err
	}
	if !ValidRole(nu.Role) {
		return User{}, ErrUnknownRole
	}
	hash, err := a.hasher.Hash(ctx, nu.Password)
	if err != nil {
		return User{}, err
	}
	u := User{Name: nu.Name, DisplayName: nu.DisplayName, Role: nu.Role, PasswordHash: hash, CreatedAt: a.now()}
	if err := a.store.CreateUser(ctx, actor, u); err != nil {
		return User{}, fmt.Errorf("create user %s: %w", u.Name, err)
	}
	if stored, err := a.store.User(ctx, u.Name); err == nil {
		u = stored // the store's CreatedAt, at its precision
	}
	return u, nil
}

// UserPatch is a change to a user: nil fields stay as they are.
type UserPatch struct {
	DisplayName *string
	Role        *string
	Disabled    *bool
	Password    *string // in clear; only its hash is stored
	// KeepSession is the session (the hash of its cookie) through which users change their
	// own password: it stays, so that they stay signed in.
	KeepSession []byte
}

// UpdateUser changes what p names. Unknown users give ErrNotFound, a bad role
// ErrUnknownRole, a short password ErrWeakPassword, and a change that would leave no enabled
// admin a *LastAdminError, checked in the write's transaction.
//
// A new password ends the user's sessions but p.KeepSession in the same transaction:
// whoever signed in with the old password is out. Its API tokens stay; they were not made
// from the password. Disabling a user ends all of their sessions and revokes all of their
// tokens in the same transaction, so that enabling them again brings back neither: a stolen
// cookie or token stays dead, and the user signs in again and makes new tokens.
func (a *Authenticator) UpdateUser(ctx context.Context, actor Actor, name string, p UserPatch) (User, error) {
	u, err := a.store.User(ctx, name)
	if err != nil {
		return User{}, err
	}
	was := u
	if p.DisplayName != nil {
		u.DisplayName = *p.DisplayName
	}
	if p.Role != nil {
		if !ValidRole(*p.Role) {
			return User{}, ErrUnknownRole
		}
		u.Role = *p.Role
	}
	if p.Disabled != nil {
		u.Disabled = *p.Disabled
	}
	c := UserChange{Check: keepAnAdmin(name)}
	if p.Password != nil {
		if u.PasswordHash, err = a.hasher.Hash(ctx, *p.Password); err != nil {
			return User{}, err
		}
		c.EndSessions, c.KeepSession = true, p.KeepSession
	}
	// A user who is disabled, or was until this change, keeps no session and no token. The
	// second half also clears what a disable left behind before disabling ended them.
	if u.Disabled || was.Disabled {
		c.EndSessions, c.KeepSession, c.RevokeTokens = true, nil, true
	}
	if _, err := a.store.ChangeUser(ctx, actor, u, c); err != nil {
		return User{}, err
	}
	a.Forget(name) // this server sees the change on the user's next request
	return u, nil
}

// DeleteUser deletes a user with their sessions and tokens. Unknown users give ErrNotFound,
// and the last enabled admin a *LastAdminError, checked in the write's transaction.
func (a *Authenticator) DeleteUser(ctx context.Context, actor Actor, name string) error {
	if err := a.store.DeleteUser(ctx, actor, name, keepAnAdmin(name)); err != nil {
		return err
	}
	a.Forget(name)
	return nil
}
