package auth_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/sqlstore"
	"github.com/perdura/perdura/internal/sqlstore/pgtest"
)

// engines runs fn on each engine with a fresh store: a SQLite file, then a PostgreSQL
// database (skipped without PERDURA_TEST_POSTGRES, a failure when CI is set).
func engines(t *testing.T, fn func(t *testing.T, st *sqlstore.Store, clk *clock)) {
	for _, engine := range []string{sqlstore.EngineSQLite, sqlstore.EnginePostgres} {
		t.Run(engine, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "auth.db")
			if engine == sqlstore.EnginePostgres {
				dsn = pgtest.Database(t, "perdura_auth_")
			}
			clk := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
			st, err := sqlstore.Open(context.Background(), dsn, sqlstore.WithClock(clk.Now))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			fn(t, st, clk)
		})
	}
}

func fastOptions(clk *clock) auth.Options {
	return auth.Options{Hasher: auth.NewHasher(auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 0), Now: clk.Now}
}

// createUsers creates users with password "password-123" through the domain.
func createUsers(t *testing.T, a *auth.Authenticator, users ...auth.NewUser) {
	t.Helper()
	for _, u := range users {
		u.Password = "password-123"
		if _, err := a.CreateUser(context.Background(), cli(), u); err != nil {
			t.Fatalf("create %s: %v", u.Name, err)
		}
	}
}

func TestCheckUserName(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"alice", true},
		{"a", true},
		{"a.b_c-9", true},
		{strings.Repeat("x", 64), true},
		{"", false},
		{strings.Repeat("x", 65), false},
		{"Alice", false},
		{"al ice", false},
		{"al@ice", false},
		{"ålice", false},
		{"al\x00ice", false},
	} {
		err := auth.CheckUserName(tt.name)
		var bad *auth.UserNameError
		if got := err == nil; got != tt.ok || (err != nil && (!errors.As(err, &bad) || bad.Name != tt.name)) {
			t.Errorf("CheckUserName(%q) = %v, want ok %v (or a UserNameError naming it)", tt.name, err, tt.ok)
		}
	}
	want := `user name "Bob!": expected 1 to 64 lower case letters, digits, '.', '_' or '-'`
	if got := auth.CheckUserName("Bob!").Error(); got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

// TestUserAdministration: what each door relies on: the refusals come as the errors the
// doors map, and a refused change changes nothing.
func TestUserAdministration(t *testing.T) {
	engines(t, func(t *testing.T, st *sqlstore.Store, clk *clock) {
		ctx := context.Background()
		a := auth.New(st, fastOptions(clk))
		createUsers(t, a, auth.NewUser{Name: "root", Role: auth.RoleAdmin}, auth.NewUser{Name: "ann", DisplayName: "Ann", Role: auth.RoleEditor})
		var badName *auth.UserNameError
		for _, tt := range []struct {
			nu   auth.NewUser
			want func(error) bool
		}{
			{auth.NewUser{Name: "Ann", Role: auth.RoleViewer, Password: "password-123"}, func(err error) bool { return errors.As(err, &badName) }},
			{auth.NewUser{Name: "bo", Role: "boss", Password: "password-123"}, func(err error) bool { return errors.Is(err, auth.ErrUnknownRole) }},
			{auth.NewUser{Name: "bo", Role: auth.RoleViewer, Password: "short"}, func(err error) bool { return errors.Is(err, auth.ErrWeakPassword) }},
			{auth.NewUser{Name: "ann", Role: auth.RoleViewer, Password: "password-123"}, func(err error) bool { return errors.Is(err, auth.ErrExists) }},
		} {
			if _, err := a.CreateUser(ctx, cli(), tt.nu); !tt.want(err) {
				t.Errorf("CreateUser(%+v) error = %v", tt.nu, err)
			}
		}
		if us, _ := st.Users(ctx); len(us) != 2 {
			t.Errorf("after refused creations: %d users, want 2", len(us))
		}

		role, short := "boss", "short"
		if _, err := a.UpdateUser(ctx, cli(), "ann", auth.UserPatch{Role: &role}); !errors.Is(err, auth.ErrUnknownRole) {
			t.Errorf("unknown role: %v, want ErrUnknownRole", err)
		}
		if _, err := a.UpdateUser(ctx, cli(), "ann", auth.UserPatch{Password: &short}); !errors.Is(err, auth.ErrWeakPassword) {
			t.Errorf("short password: %v, want ErrWeakPassword", err)
		}
		if _, err := a.UpdateUser(ctx, cli(), "nobody", auth.UserPatch{}); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("unknown user: %v, want ErrNotFound", err)
		}
		if err := a.DeleteUser(ctx, cli(), "nobody"); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("delete an unknown user: %v, want ErrNotFound", err)
		}
		name := "Ann A."
		u, err := a.UpdateUser(ctx, cli(), "ann", auth.UserPatch{DisplayName: &name})
		if err != nil || u.DisplayName != name || u.Role != auth.RoleEditor {
			t.Errorf("rename = %+v, %v; want the new name and the rest kept", u, err)
		}

		// root is the only enabled admin: no demotion, disable or delete.
		viewer, yes := auth.RoleViewer, true
		var last *auth.LastAdminError
		for what, p := range map[string]auth.UserPatch{"demote": {Role: &viewer}, "disable": {Disabled: &yes}} {
			if _, err := a.UpdateUser(ctx, cli(), "root", p); !errors.As(err, &last) || last.Name != "root" {
				t.Errorf("%s the last admin: %v, want a LastAdminError", what, err)
			}
		}
		if err := a.DeleteUser(ctx, cli(), "root"); !errors.As(err, &last) {
			t.Errorf("delete the last admin: %v, want a LastAdminError", err)
		}
		if got := last.Error(); got != "root is the last enabled admin; make another user admin first" {
			t.Errorf("message %q", got)
		}
		if u, _ := st.User(ctx, "root"); u.Role != auth.RoleAdmin || u.Disabled {
			t.Errorf("root after the refusals: %+v", u)
		}
		// Another user's change is fine while root is the admin.
		if err := a.DeleteUser(ctx, cli(), "ann"); err != nil {
			t.Errorf("delete ann: %v", err)
		}
	})
}

// TestDisableEndsSessionsAndTokens: disabling a user ends their sessions and revokes their
// tokens at once (this server forgets them too), and enabling the user again brings back
// neither the old cookie nor the old token. Until disabling did that, both came back.
func TestDisableEndsSessionsAndTokens(t *testing.T) {
	engines(t, func(t *testing.T, st *sqlstore.Store, clk *clock) {
		ctx := context.Background()
		a := auth.New(st, fastOptions(clk)) // with its cache: the domain must clear it
		createUsers(t, a, auth.NewUser{Name: "root", Role: auth.RoleAdmin}, auth.NewUser{Name: "ann", Role: auth.RoleEditor})
		ann, _ := st.User(ctx, "ann")
		cookie, _, err := a.NewSession(ctx, ann)
		if err != nil {
			t.Fatal(err)
		}
		token, _, err := a.NewToken(ctx, cli(), ann, "ci", auth.RoleEditor, nil)
		if err != nil {
			t.Fatal(err)
		}
		works := func() (session, tok bool) {
			_, _, serr := a.Session(ctx, cookie)
			_, _, terr := a.Token(ctx, token)
			return serr == nil, terr == nil
		}
		if s, k := works(); !s || !k {
			t.Fatalf("before: session %v token %v, want both working", s, k)
		}
		yes, no := true, false
		if _, err := a.UpdateUser(ctx, cli(), "ann", auth.UserPatch{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if s, k := works(); s || k {
			t.Errorf("after disable: session %v token %v, want neither", s, k)
		}
		if _, err := a.UpdateUser(ctx, cli(), "ann", auth.UserPatch{Disabled: &no}); err != nil {
			t.Fatal(err)
		}
		if s, k := works(); s || k {
			t.Errorf("after enabling again: session %v token %v, want neither", s, k)
		}
		if _, err := a.Login(ctx, "ann", "password-123", "10.0.0.1:1"); err != nil {
			t.Errorf("login after enabling again: %v", err)
		}
	})
}

// TestEnableClearsLeftovers: sessions and tokens that a disable left behind before disabling
// ended them (a database from before) do not come back when the user is enabled.
func TestEnableClearsLeftovers(t *testing.T) {
	engines(t, func(t *testing.T, st *sqlstore.Store, clk *clock) {
		ctx := context.Background()
		a := auth.New(st, fastOptions(clk))
		createUsers(t, a, auth.NewUser{Name: "root", Role: auth.RoleAdmin}, auth.NewUser{Name: "ann", Role: auth.RoleEditor})
		ann, _ := st.User(ctx, "ann")
		cookie, _, _ := a.NewSession(ctx, ann)
		token, _, _ := a.NewToken(ctx, cli(), ann, "ci", auth.RoleEditor, nil)
		ann.Disabled = true
		if err := st.UpdateUser(ctx, cli(), ann); err != nil { // the old way: the flag alone
			t.Fatal(err)
		}
		no := false
		if _, err := a.UpdateUser(ctx, cli(), "ann", auth.UserPatch{Disabled: &no}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.Session(ctx, cookie); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("a session left by an old disable: %v, want ErrUnauthenticated", err)
		}
		if _, _, err := a.Token(ctx, token); !errors.Is(err, auth.ErrUnauthenticated) {
			t.Errorf("a token left by an old disable: %v, want ErrUnauthenticated", err)
		}
	})
}

// TestSessionLimit: a user keeps the newest MaxSessions sessions; signing in once more ends
// the oldest, and other users' sessions are untouched.
func TestSessionLimit(t *testing.T) {
	engines(t, func(t *testing.T, st *sqlstore.Store, clk *clock) {
		ctx := context.Background()
		opt := fastOptions(clk)
		opt.MaxSessions, opt.CacheTTL = 3, -1
		a := auth.New(st, opt)
		createUsers(t, a, auth.NewUser{Name: "ann", Role: auth.RoleEditor}, auth.NewUser{Name: "bo", Role: auth.RoleViewer})
		ann, _ := st.User(ctx, "ann")
		bo, _ := st.User(ctx, "bo")
		boCookie, _, _ := a.NewSession(ctx, bo)
		var cookies []string
		for range 5 {
			clk.Add(time.Second)
			c, _, err := a.NewSession(ctx, ann)
			if err != nil {
				t.Fatal(err)
			}
			cookies = append(cookies, c)
		}
		for i, c := range cookies {
			_, _, err := a.Session(ctx, c)
			if live := err == nil; live != (i >= 2) {
				t.Errorf("session %d of 5 with a limit of 3: live %v (%v)", i+1, live, err)
			}
		}
		if _, _, err := a.Session(ctx, boCookie); err != nil {
			t.Errorf("another user's session: %v", err)
		}
	})
}

// TestDefaultSessionLimit: without MaxSessions a user keeps DefaultMaxSessions.
func TestDefaultSessionLimit(t *testing.T) {
	a, st, clk := setup(t)
	ctx := context.Background()
	ann, _ := st.User(ctx, "ann")
	var first string
	for i := range auth.DefaultMaxSessions + 1 {
		clk.Add(time.Second)
		c, _, err := a.NewSession(ctx, ann)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = c
		}
		if i == auth.DefaultMaxSessions-1 {
			if _, _, err := a.Session(ctx, first); err != nil {
				t.Fatalf("the first session with %d live: %v", i+1, err)
			}
		}
	}
	if _, _, err := a.Session(ctx, first); !errors.Is(err, auth.ErrUnauthenticated) {
		t.Errorf("the first session after %d more: %v, want ErrUnauthenticated", auth.DefaultMaxSessions, err)
	}
}

// barrierStore is the real store, whose user writes each wait until both racing callers
// have reached theirs: whatever the callers checked before writing, they both checked it
// before either wrote, the worst interleaving, every time.
type barrierStore struct {
	*sqlstore.Store
	wg *sync.WaitGroup
}

func (b barrierStore) arrive() { b.wg.Done(); b.wg.Wait() }

func (b barrierStore) DeleteUser(ctx context.Context, a auth.Actor, name string, check auth.UsersCheck) error {
	b.arrive()
	return b.Store.DeleteUser(ctx, a, name, check)
}

func (b barrierStore) ChangeUser(ctx context.Context, a auth.Actor, u auth.User, c auth.UserChange) (auth.UserChanged, error) {
	b.arrive()
	return b.Store.ChangeUser(ctx, a, u, c)
}

// TestLastAdminRace: two admins, and two requests at once that each take one of them away
// (delete, disable, demote, in every pairing). The last-admin rule runs inside the write's
// transaction, so exactly one succeeds and one enabled admin remains; a check before the
// write lets both pass it and leaves none.
func TestLastAdminRace(t *testing.T) {
	viewer, yes := auth.RoleViewer, true
	ops := map[string]func(a *auth.Authenticator, name string) error{
		"delete": func(a *auth.Authenticator, name string) error { return a.DeleteUser(context.Background(), cli(), name) },
		"disable": func(a *auth.Authenticator, name string) error {
			_, err := a.UpdateUser(context.Background(), cli(), name, auth.UserPatch{Disabled: &yes})
			return err
		},
		"demote": func(a *auth.Authenticator, name string) error {
			_, err := a.UpdateUser(context.Background(), cli(), name, auth.UserPatch{Role: &viewer})
			return err
		},
	}
	engines(t, func(t *testing.T, st *sqlstore.Store, clk *clock) {
		ctx := context.Background()
		for _, pair := range [][2]string{{"delete", "delete"}, {"delete", "disable"}, {"disable", "demote"}, {"demote", "demote"}} {
			t.Run(pair[0]+"+"+pair[1], func(t *testing.T) {
				setupAdmins := auth.New(st, fastOptions(clk))
				names := [2]string{pair[0] + "-" + pair[1] + "-1", pair[0] + "-" + pair[1] + "-2"}
				createUsers(t, setupAdmins, auth.NewUser{Name: names[0], Role: auth.RoleAdmin}, auth.NewUser{Name: names[1], Role: auth.RoleAdmin})
				var wg sync.WaitGroup
				wg.Add(2)
				a := auth.New(barrierStore{Store: st, wg: &wg}, fastOptions(clk))
				errs := make([]error, 2)
				var done sync.WaitGroup
				for i := range 2 {
					done.Go(func() { errs[i] = ops[pair[i]](a, names[i]) })
				}
				done.Wait()
				var last *auth.LastAdminError
				refused := 0
				for i, err := range errs {
					switch {
					case errors.As(err, &last):
						refused++
					case err != nil:
						t.Errorf("%s %s: %v", pair[i], names[i], err)
					}
				}
				admins := 0
				for _, n := range names {
					if u, err := st.User(ctx, n); err == nil && u.Role == auth.RoleAdmin && !u.Disabled {
						admins++
					}
				}
				if refused != 1 || admins != 1 {
					t.Errorf("%s and %s at once: %d refused, %d enabled admins left; want 1 and 1 (errors %v)", pair[0], pair[1], refused, admins, errs)
				}
				// Leave no enabled admin of this pair for the next: the rule counts them all.
				for _, n := range names {
					if u, err := st.User(ctx, n); err == nil {
						u.Disabled = true
						if err := st.UpdateUser(ctx, cli(), u); err != nil {
							t.Fatal(fmt.Errorf("clear %s: %w", n, err))
						}
					}
				}
			})
		}
	})
}
