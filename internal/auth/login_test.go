package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/sqlstore"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// cli is who sets the tests up.
func cli() auth.Actor { return auth.Actor{User: "test", Door: "cli"} }

// setup is an Authenticator over real SQLite storage with users ann (editor) and bo
// (viewer, disabled), both with password "password-123".
func setup(t *testing.T) (*auth.Authenticator, *sqlstore.Store, *clock) {
	t.Helper()
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	st, err := sqlstore.Open(ctx, filepath.Join(t.TempDir(), "auth.db"), sqlstore.WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0)
	a := auth.New(st, auth.Options{Hasher: h, Now: clk.Now, CacheTTL: -1}) // the cache has its own test
	for _, u := range []auth.User{{Name: "ann", Role: auth.RoleEditor}, {Name: "bo", Role: auth.RoleViewer, Disabled: true}} {
		if u.PasswordHash, err = h.Hash(ctx, "password-123"); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateUser(ctx, cli(), u); err != nil {
			t.Fatal(err)
		}
	}
	return a, st, clk
}

func TestLogin(t *testing.T) {
	a, _, _ := setup(t)
	ctx := context.Background()
	if u, err := a.Login(ctx, "ann", "password-123", "10.0.0.1:5555"); err != nil || u.Name != "ann" {
		t.Errorf("Login(ann, right) = %q, %v; want ann, nil", u.Name, err)
	}
	for _, tt := range []struct{ name, pw string }{{"ann", "wrong"}, {"nobody", "password-123"}, {"bo", "password-123"}} {
		if _, err := a.Login(ctx, tt.name, tt.pw, "10.0.0.2:1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Errorf("Login(%s, %s) error = %v, want ErrBadCredentials", tt.name, tt.pw, err)
		}
	}
}

func TestLoginLockout(t *testing.T) {
	a, _, clk := setup(t)
	ctx := context.Background()
	for i := range 5 {
		// Case variants of a name share its limit.
		name := []string{"ann", "ANN", "Ann", "ann", "aNn"}[i]
		if _, err := a.Login(ctx, name, "wrong", "10.0.0.1:1"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	var locked *auth.LockedError
	if _, err := a.Login(ctx, "ann", "password-123", "10.0.0.9:1"); !errors.As(err, &locked) || locked.RetryAfter != 15*time.Minute {
		t.Fatalf("sixth login from another address: %v; want a LockedError for 15m", err)
	}
	// The first refusal of a lock is marked for the log; the rest of the window's are not.
	if locked.Key != "user:ann" || !locked.First {
		t.Errorf("first refusal: key %q first %v, want user:ann and true", locked.Key, locked.First)
	}
	clk.Add(14 * time.Minute)
	for _, name := range []string{"ann", "ANN"} {
		if _, err := a.Login(ctx, name, "password-123", "10.0.0.9:1"); !errors.As(err, &locked) || locked.Key != "user:ann" || locked.First {
			t.Errorf("later refusal of %s: %v (first %v), want a LockedError for user:ann not marked first", name, err, locked.First)
		}
	}
	clk.Add(time.Minute + time.Second)
	if _, err := a.Login(ctx, "ann", "password-123", "10.0.0.9:1"); err != nil {
		t.Errorf("login after the window: %v", err)
	}
	for range 5 {
		a.Login(ctx, "ann", "wrong", "10.0.0.1:1")
	}
	if _, err := a.Login(ctx, "ann", "wrong", "10.0.0.1:1"); !errors.As(err, &locked) || !locked.First {
		t.Errorf("the next window's lock: %v (first %v), want a LockedError marked first", err, locked.First)
	}
}

func TestSessions(t *testing.T) {
	a, st, clk := setup(t)
	ctx := context.Background()
	u, _ := st.User(ctx, "ann")
	secret, s, err := a.NewSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if s.CSRF == "" || s.CSRF == secret || !s.ExpiresAt.Equal(clk.Now().Add(12*time.Hour)) {
		t.Errorf("session %+v; want its own CSRF token and 12h of life", s)
	}
	if _, got, err := a.Session(ctx, secret); err != nil || got.Name != "ann" {
		t.Errorf("Session = %q, %v; want ann", got.Name, err)
	}
	for _, bad := range []string{"", "x", secret + "x"} {
		if _, _, err := a.Session(ctx, bad); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("Session(%q) error = %v, want ErrUnauthenticated", bad, err)
		}
	}
	clk.Add(12 * time.Hour)
	if _, _, err := a.Session(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("expired session: %v, want ErrUnauthenticated", err)
	}
	secret, _, _ = a.NewSession(ctx, u)
	if err := a.EndSession(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Session(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("ended session: %v, want ErrUnauthenticated", err)
	}
	if err := a.EndSession(ctx, secret); err != nil {
		t.Errorf("ending an ended session: %v, want nil", err)
	}
}

func TestTokens(t *testing.T) {
	a, st, clk := setup(t)
	ctx := context.Background()
	ann, _ := st.User(ctx, "ann")
	if _, _, err := a.NewToken(ctx, cli(), ann, "x", auth.RoleAdmin, nil); !errors.Is(err, auth.ErrRoleNotCovered) {
		t.Errorf("editor makes an admin token: %v, want ErrRoleNotCovered", err)
	}
	exp := clk.Now().Add(time.Hour)
	secret, tok, err := a.NewToken(ctx, cli(), ann, "ci", auth.RoleViewer, &exp)
	if err != nil {
		t.Fatal(err)
	}
	got, owner, err := a.Token(ctx, secret)
	if err != nil || got.ID != tok.ID || owner.Name != "ann" {
		t.Fatalf("Token = %+v, %q, %v", got, owner.Name, err)
	}
	if auth.TokenAllowed(got, owner, auth.PermEdit) || !auth.TokenAllowed(got, owner, auth.PermRead) {
		t.Errorf("a viewer token of an editor: want read, not edit")
	}
	// Last use is recorded, at most once a minute.
	ts, _ := st.Tokens(ctx, "ann")
	if len(ts) != 1 || ts[0].LastUsed == nil || !ts[0].LastUsed.Equal(clk.Now()) {
		t.Errorf("after one use: %+v; want LastUsed now", ts)
	}
	clk.Add(30 * time.Second)
	a.Token(ctx, secret)
	ts, _ = st.Tokens(ctx, "ann")
	if !ts[0].LastUsed.Equal(clk.Now().Add(-30 * time.Second)) {
		t.Errorf("LastUsed %v moved within a minute", ts[0].LastUsed)
	}
	clk.Add(time.Hour)
	if _, _, err := a.Token(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("expired token: %v, want ErrUnauthenticated", err)
	}
	secret, tok, _ = a.NewToken(ctx, cli(), ann, "ci2", auth.RoleEditor, nil)
	if err := st.RevokeToken(ctx, cli(), tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Token(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("revoked token: %v, want ErrUnauthenticated", err)
	}
	// A disabled owner's tokens stop.
	secret, _, _ = a.NewToken(ctx, cli(), ann, "ci3", auth.RoleEditor, nil)
	ann.Disabled = true
	if err := st.UpdateUser(ctx, cli(), ann); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Token(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("token of a disabled user: %v, want ErrUnauthenticated", err)
	}
}

// TestCredentialCache: within the TTL a token is taken as read, so a change made behind
// the Authenticator's back shows after at most the TTL, and at once after Forget.
func TestCredentialCache(t *testing.T) {
	_, st, clk := setup(t)
	ctx := context.Background()
	a := auth.New(st, auth.Options{Hasher: auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0), Now: clk.Now})
	ann, _ := st.User(ctx, "ann")
	secret, tok, _ := a.NewToken(ctx, cli(), ann, "ci", auth.RoleEditor, nil)
	if _, _, err := a.Token(ctx, secret); err != nil {
		t.Fatal(err)
	}
	st.RevokeToken(ctx, cli(), tok.ID) // as another server would
	if _, _, err := a.Token(ctx, secret); err != nil {
		t.Errorf("within the TTL: %v, want the cached token", err)
	}
	clk.Add(time.Second)
	if _, _, err := a.Token(ctx, secret); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("after the TTL: %v, want ErrUnauthenticated", err)
	}

	sec, _, _ := a.NewSession(ctx, ann)
	if _, _, err := a.Session(ctx, sec); err != nil {
		t.Fatal(err)
	}
	ann.Disabled = true
	st.UpdateUser(ctx, cli(), ann)
	a.Forget("ann")
	if _, _, err := a.Session(ctx, sec); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("after Forget: %v, want ErrUnauthenticated", err)
	}
}

// TestRehash: a login with a hash of older parameters stores one of the current parameters.
func TestRehash(t *testing.T) {
	a, st, _ := setup(t)
	ctx := context.Background()
	ann, _ := st.User(ctx, "ann")
	if changed, err := a.Rehash(ctx, cli(), ann, "password-123"); changed || err != nil {
		t.Errorf("Rehash with current parameters = %v, %v; want false, nil", changed, err)
	}
	old, _ := auth.NewHasher(auth.Params{Memory: 32, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0).Hash(ctx, "password-123")
	ann.PasswordHash = old
	st.UpdateUser(ctx, cli(), ann)
	if changed, err := a.Rehash(ctx, cli(), ann, "password-123"); !changed || err != nil {
		t.Fatalf("Rehash of an old hash = %v, %v; want true, nil", changed, err)
	}
	now, _ := st.User(ctx, "ann")
	if now.PasswordHash == old || !strings.Contains(now.PasswordHash, "m=64,") {
		t.Errorf("stored hash %q; want one with the current parameters", now.PasswordHash)
	}
	if _, err := a.Login(ctx, "ann", "password-123", "10.0.0.1:1"); err != nil {
		t.Errorf("login after rehash: %v", err)
	}
}
