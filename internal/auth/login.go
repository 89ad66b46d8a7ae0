package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// Errors of logins, sessions and tokens; their text is safe to show the user.
var (
	// ErrBadCredentials answers every failed login alike, whether the user is unknown,
	// disabled or the password wrong, so that the answer tells nothing about who exists.
	ErrBadCredentials = errors.New("wrong user name or password")
	// ErrUnauthenticated: no session or token, or one that expired, was revoked or belongs
	// to a disabled or deleted user.
	ErrUnauthenticated = errors.New("not signed in, or the session or token is no longer valid")
	// ErrRoleNotCovered refuses a token whose role its owner's role does not cover.
	ErrRoleNotCovered = errors.New("a token's role must be one whose permissions the owner has")
)

// LockedError refuses a login after too many failures for the user name or the client
// address; RetryAfter is how long until the window has passed.
type LockedError struct {
	RetryAfter time.Duration
	// Key is the counter over its limit: "user:" and the name tried in lower case, or
	// "addr:" and the client's address.
	Key string
	// First reports the first refusal of Key by this Authenticator within a window: callers
	// note that one (a log line) and stay quiet about the rest, so that a client hammering a
	// locked login grows neither the log nor the audit trail.
	First bool
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("too many failed logins; try again in %s", e.RetryAfter.Round(time.Minute))
}

// Options tune an Authenticator; zero values take the defaults.
type Options struct {
	Hasher      *Hasher          // nil: NewHasher(DefaultParams(), 0)
	Now         func() time.Time // nil: time.Now
	SessionTTL  time.Duration    // 0: 12 hours, a working day with margin, after which one logs in again
	MaxFailures int              // 0: 5 failed logins for a user name...
	Window      time.Duration    // 0: ...within 15 minutes lock its further logins out for the window
	// MaxAddressFailures is the same limit per client address (0: 4 × MaxFailures): higher,
	// because one office behind NAT shares an address, and a few typos there must not lock
	// everyone out; still low enough to stop one address trying many names.
	MaxAddressFailures int
	// CacheTTL is how long a session or token, with its user, is taken as read (0: one
	// second; negative: never). See credCache for the trade.
	CacheTTL time.Duration
	// MaxSessions is how many sessions one user keeps (0: 20; negative: no limit): signing in
	// once more ends the oldest. Without it a script that signs in for every run, or someone
	// who stole the password, grows the table without bound.
	MaxSessions int
}

// DefaultMaxSessions is Options.MaxSessions when it is 0: a browser per device and some to
// spare, few enough that the sessions of one user stay a short list.
const DefaultMaxSessions = 20

// Authenticator logs users in, recognises their sessions and API tokens, and administers
// users (users.go).
type Authenticator struct {
	store       Store
	hasher      *Hasher
	now         func() time.Time
	sessionTTL  time.Duration
	maxFailures int
	maxAddr     int
	window      time.Duration
	maxSessions int

	cache credCache
	locks lockNotes

	dummyOnce sync.Once
	dummy     string // a hash to verify against for unknown users, so they cost the same time
}

// New returns an Authenticator over store.
func New(store Store, opt Options) *Authenticator {
	a := &Authenticator{store: store, hasher: opt.Hasher, now: opt.Now, sessionTTL: opt.SessionTTL,
		maxFailures: opt.MaxFailures, maxAddr: opt.MaxAddressFailures, window: opt.Window, maxSessions: opt.MaxSessions}
	if a.hasher == nil {
		a.hasher = NewHasher(DefaultParams(), 0)
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.sessionTTL == 0 {
		a.sessionTTL = 12 * time.Hour
	}
	if a.maxFailures == 0 {
		a.maxFailures = 5
	}
	if a.maxAddr == 0 {
		a.maxAddr = 4 * a.maxFailures
	}
	if a.window == 0 {
		a.window = 15 * time.Minute
	}
	if a.maxSessions == 0 {
		a.maxSessions = DefaultMaxSessions
	}
	a.cache.ttl = opt.CacheTTL
	if a.cache.ttl == 0 {
		a.cache.ttl = time.Second
	}
	return a
}

// Now is the authenticator's clock.
func (a *Authenticator) Now() time.Time { return a.now() }

// HashPassword hashes a new password (at least MinPasswordLen characters).
func (a *Authenticator) HashPassword(ctx context.Context, password string) (string, error) {
	return a.hasher.Hash(ctx, password)
}

// failureKeys are the rate limit's counters for a login: the name tried (lower case, so
// that case variants share one limit) and the client's address without its port.
func failureKeys(name, remote string) []string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	return []string{"user:" + strings.ToLower(name), "addr:" + host}
}

// Login checks a user name and password. Every failure returns ErrBadCredentials after the
// same work (one lookup, one argon2id verification) and counts against the name and the
// client address; a name with MaxFailures failures within Window, or an address with
// MaxAddressFailures, gets a *LockedError without the password being checked at all.
func (a *Authenticator) Login(ctx context.Context, name, password, remote string) (User, error) {
	now := a.now()
	keys := failureKeys(name, remote)
	for i, k := range keys {
		n, err := a.store.LoginFailures(ctx, k, now.Add(-a.window))
		if err != nil {
			return User{}, fmt.Errorf("count login failures: %w", err)
		}
		if limit := []int{a.maxFailures, a.maxAddr}[i]; n >= limit {
			return User{}, &LockedError{RetryAfter: a.window, Key: k, First: a.locks.first(k, now, a.window)}
		}
	}
	u, err := a.store.User(ctx, name)
	hash := u.PasswordHash
	switch {
	case errors.Is(err, ErrNotFound):
		hash = a.dummyHash(ctx)
	case err != nil:
		return User{}, fmt.Errorf("look up user: %w", err)
	}
	ok, err := a.hasher.Verify(ctx, password, hash)
	if err != nil {
		return User{}, fmt.Errorf("verify password of %s: %w", name, err)
	}
	if ok && u.Name != "" && !u.Disabled {
		return u, nil
	}
	for _, k := range keys {
		if err := a.store.RecordLoginFailure(ctx, k, now); err != nil {
			return User{}, fmt.Errorf("record login failure: %w", err)
		}
	}
	return User{}, ErrBadCredentials
}

// lockNotes remembers when each locked key was last reported, so that a lock is reported
// once per window however many logins it refuses.
type lockNotes struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// maxLockNotes bounds lockNotes; past it, notes older than a window are dropped, and if that
// is not enough, all of them (a key gets locked only after real failures, so this takes many).
const maxLockNotes = 10000

// first reports whether key was not reported within window before now, and notes it.
func (l *lockNotes) first(key string, now time.Time, window time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if at, ok := l.m[key]; ok && now.Sub(at) < window && !now.Before(at) {
		return false
	}
	if l.m == nil {
		l.m = map[string]time.Time{}
	}
	if len(l.m) >= maxLockNotes {
		for k, at := range l.m {
			if now.Sub(at) >= window {
				delete(l.m, k)
			}
		}
		if len(l.m) >= maxLockNotes {
			clear(l.m)
		}
	}
	l.m[key] = now
	return true
}

// Rehash re-hashes a user's password with the current parameters when their stored hash
// was made with others (parameters raised since), right after a login proved the password:
// the only moment the server has it. It reports whether it changed the hash.
func (a *Authenticator) Rehash(ctx context.Context, actor Actor, u User, password string) (bool, error) {
	if !a.hasher.NeedsRehash(u.PasswordHash) {
		return false, nil
	}
	h, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return false, err
	}
	u.PasswordHash = h
	if err := a.store.UpdateUser(ctx, actor, u); err != nil {
		return false, fmt.Errorf("store the new hash of %s: %w", u.Name, err)
	}
	return true, nil
}

// dummyHash is made once, with the hasher's own parameters, so that verifying against it
// costs what verifying a real user's hash costs.
func (a *Authenticator) dummyHash(ctx context.Context) string {
	a.dummyOnce.Do(func() {
		h, err := a.hasher.Hash(context.WithoutCancel(ctx), NewSecret(18))
		if err != nil {
			panic("auth: hashing a random password failed: " + err.Error()) // only a programmer error gets here
		}
		a.dummy = h
	})
	return a.dummy
}

// NewSession starts a browser session for u and ends u's oldest sessions beyond
// Options.MaxSessions. The returned secret goes into the cookie; the store keeps only its
// hash, so a stolen database does not hold live sessions. A user disabled or deleted since
// the login checked them gets ErrUnauthenticated.
func (a *Authenticator) NewSession(ctx context.Context, u User) (secret string, s Session, err error) {
	now := a.now()
	secret = NewSecret(32)
	s = Session{IDHash: HashSecret(secret), User: u.Name, CSRF: NewSecret(32), CreatedAt: now, ExpiresAt: now.Add(a.sessionTTL)}
	err = a.store.CreateSession(ctx, s, a.maxSessions)
	if errors.Is(err, ErrNotFound) {
		return "", Session{}, ErrUnauthenticated
	}
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return secret, s, nil
}

// Session returns the live session of a cookie's secret and its user; ErrUnauthenticated
// when there is none, it expired, or its user is disabled or gone.
func (a *Authenticator) Session(ctx context.Context, secret string) (Session, User, error) {
	if secret == "" {
		return Session{}, User{}, ErrUnauthenticated
	}
	now := a.now()
	key := "s" + string(HashSecret(secret))
	if e, ok := a.cache.get(key, now); ok {
		if !now.Before(e.session.ExpiresAt) {
			return Session{}, User{}, ErrUnauthenticated
		}
		return e.session, e.user, nil
	}
	s, err := a.store.Session(ctx, HashSecret(secret))
	if errors.Is(err, ErrNotFound) {
		return Session{}, User{}, ErrUnauthenticated
	}
	if err != nil {
		return Session{}, User{}, fmt.Errorf("look up session: %w", err)
	}
	if !now.Before(s.ExpiresAt) {
		return Session{}, User{}, ErrUnauthenticated
	}
	u, err := a.activeUser(ctx, s.User)
	if err != nil {
		return Session{}, User{}, err
	}
	a.cache.put(key, cacheEntry{at: now, session: s, user: u})
	return s, u, nil
}

// EndSession deletes the session of a cookie's secret; an unknown one is already ended.
func (a *Authenticator) EndSession(ctx context.Context, secret string) error {
	a.cache.forget("", "s"+string(HashSecret(secret)))
	err := a.store.DeleteSession(ctx, HashSecret(secret))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

func (a *Authenticator) activeUser(ctx context.Context, name string) (User, error) {
	u, err := a.store.User(ctx, name)
	if errors.Is(err, ErrNotFound) {
		return User{}, ErrUnauthenticated
	}
	if err != nil {
		return User{}, fmt.Errorf("look up user: %w", err)
	}
	if u.Disabled {
		return User{}, ErrUnauthenticated
	}
	return u, nil
}

// Token returns the live API token of a bearer secret and its owner; ErrUnauthenticated
// when it is malformed, unknown, revoked, expired, or its owner disabled or gone. A token
// may do what both its own role and its owner's current role allow (see TokenAllowed).
func (a *Authenticator) Token(ctx context.Context, secret string) (Token, User, error) {
	if _, ok := TokenID(secret); !ok {
		return Token{}, User{}, ErrUnauthenticated
	}
	now := a.now()
	key := "t" + string(HashSecret(secret))
	if e, ok := a.cache.get(key, now); ok {
		if e.token.ExpiresAt != nil && !now.Before(*e.token.ExpiresAt) {
			return Token{}, User{}, ErrUnauthenticated
		}
		return e.token, e.user, nil
	}
	t, err := a.store.TokenByHash(ctx, HashSecret(secret))
	if errors.Is(err, ErrNotFound) {
		return Token{}, User{}, ErrUnauthenticated
	}
	if err != nil {
		return Token{}, User{}, fmt.Errorf("look up token: %w", err)
	}
	if t.Revoked || t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return Token{}, User{}, ErrUnauthenticated
	}
	u, err := a.activeUser(ctx, t.User)
	if err != nil {
		return Token{}, User{}, err
	}
	// Touch at most once a minute: a write per request would double the load of every
	// read a script makes, and "last used" needs no finer grain.
	if t.LastUsed == nil || now.Sub(*t.LastUsed) >= time.Minute {
		if err := a.store.TouchToken(ctx, t.ID, now); err != nil {
			return Token{}, User{}, fmt.Errorf("touch token %s: %w", t.ID, err)
		}
	}
	a.cache.put(key, cacheEntry{at: now, token: t, user: u})
	return t, u, nil
}

// TokenAllowed reports whether a token may do p: both its role and its owner's current role
// must allow it, so demoting a user demotes their tokens too.
func TokenAllowed(t Token, owner User, p Permission) bool {
	return Allowed(t.Role, p) && Allowed(owner.Role, p)
}

// NewToken creates an API token for owner with a role that owner's role covers, and returns
// its secret, which is shown once and never stored.
func (a *Authenticator) NewToken(ctx context.Context, actor Actor, owner User, name, role string, expires *time.Time) (string, Token, error) {
	if !ValidRole(role) || !Covers(owner.Role, role) {
		return "", Token{}, ErrRoleNotCovered
	}
	now := a.now()
	if expires != nil && !expires.After(now) {
		return "", Token{}, errors.New("a token's expiry must be in the future")
	}
	id, secret := NewToken()
	t := Token{ID: id, Name: name, User: owner.Name, Role: role, Hash: HashSecret(secret), CreatedAt: now, ExpiresAt: expires}
	if err := a.store.CreateToken(ctx, actor, t); err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	return secret, t, nil
}
