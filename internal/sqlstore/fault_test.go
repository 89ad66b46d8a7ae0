package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/audit"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/sqlstore/pgtest"
)

// The store's behaviour when its database fails, on both engines: bounded waits, and errors of
// the Unavailable kind that the HTTP layer answers with 503.

type opener func(t *testing.T, opts ...Option) *Store

func runFaults(t *testing.T, open opener) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, open opener)
	}{
		{"ClosedIsUnavailable", testClosedIsUnavailable},
		{"TransactionTimeout", testTransactionTimeout},
		{"AuditTail", testAuditTail},
		{"AuditTailTampered", testAuditTailTampered},
		{"CheckIntact", testCheckIntact},
		{"AuditVerifyPages", testAuditVerifyPages},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open)
		})
	}
}

func TestFaultsSQLite(t *testing.T) {
	t.Parallel()
	runFaults(t, func(t *testing.T, opts ...Option) *Store { return openSQLiteStore(t, opts...) })
}

func TestFaultsPostgres(t *testing.T) {
	t.Parallel()
	pgtest.AdminURL(t)
	runFaults(t, func(t *testing.T, opts ...Option) *Store {
		return openPostgresStore(t, append([]Option{WithPostgresConns(4)}, opts...)...)
	})
}

// within runs fn and fails the test if it has not returned within limit: what hung before
// the database's waits were bounded.
func within[T any](t *testing.T, limit time.Duration, what string, fn func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- fn() }()
	select {
	case v := <-done:
		return v
	case <-time.After(limit):
		t.Fatalf("%s did not return within %s", what, limit)
		panic("unreachable")
	}
}

// testClosedIsUnavailable: a store whose handles are closed (a SQLite file closed under the
// server, a pool shut down) answers with errors of the Unavailable kind, not internal errors.
func testClosedIsUnavailable(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, auth.ErrNotFound) || Unavailable(err) {
		t.Fatalf("User of an unknown name on an open store: got %v, want ErrNotFound, not Unavailable", err)
	}
	s.Close()
	checks := map[string]error{
		"Ping":        s.Ping(ctx),
		"AppendAudit": s.AppendAudit(ctx, "alice", "cli", "", "login", "", "{}"),
	}
	_, checks["User"] = s.User(ctx, "alice")
	_, checks["AllObjects"] = s.AllObjects(ctx)
	_, checks["Session"] = s.Session(ctx, []byte("x"))
	for op, err := range checks {
		if err == nil || !Unavailable(err) {
			t.Errorf("%s on a closed store: got %v, want an error of the Unavailable kind", op, err)
		}
	}
}

// testTransactionTimeout: a write transaction that outlives its bound is rolled back with an
// Unavailable error, and the writer serves the next write.
func testTransactionTimeout(t *testing.T, open opener) {
	ctx := context.Background()
	tm := DefaultTimeouts()
	tm.Transaction = 300 * time.Millisecond
	s := open(t, WithTimeouts(tm))
	a := catalog.Actor{User: "alice", Door: catalog.DoorAPI}
	change := []catalog.Change{{Kind: "Service", Name: "slow", Document: doc("Service", "slow", nil)}}
	// The check keeps the transaction busy, reading the model over and over, until the
	// transaction's deadline stops it: what a write on a database gone slow does.
	busy := func(_ int64, after func() ([]catalog.Object, error)) error {
		for {
			if _, err := after(); err != nil {
				return err
			}
		}
	}
	err := within(t, 30*time.Second, "a write past its transaction timeout", func() error {
		_, err := s.Write(ctx, a, "test", change, busy)
		return err
	})
	if err == nil || !Unavailable(err) {
		t.Fatalf("a write past its transaction timeout: got %v, want an error of the Unavailable kind", err)
	}
	if _, err := s.Object(ctx, "Service", "slow"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("the timed-out write was stored: Object = %v, want ErrNotFound", err)
	}
	if _, err := s.Write(ctx, a, "test", change, nil); err != nil {
		t.Errorf("the write after a timed-out one: %v", err)
	}
}

// appendN adds n audit entries.
func appendN(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := range n {
		if err := s.AppendAudit(context.Background(), "alice", "cli", "", "login", "user/alice", fmt.Sprintf(`{"i":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
}

func testAuditTail(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	if n, err := s.VerifyAuditTail(ctx, 10); err != nil || n != 0 {
		t.Fatalf("VerifyAuditTail of an empty trail: %d, %v; want 0, nil", n, err)
	}
	appendN(t, s, 5)
	if n, err := s.VerifyAuditTail(ctx, 10); err != nil || n != 5 {
		t.Errorf("VerifyAuditTail(10) of 5 entries: %d, %v; want 5, nil", n, err)
	}
	appendN(t, s, 25)
	if n, err := s.VerifyAuditTail(ctx, 10); err != nil || n != 10 {
		t.Errorf("VerifyAuditTail(10) of 30 entries: %d, %v; want 10, nil", n, err)
	}
	// An entry older than the tail is not read (the cost stays bounded): the whole-chain
	// check finds it.
	exec(t, s, `UPDATE audit SET actor = $1 WHERE seq = $2`, "mallory", 3)
	if n, err := s.VerifyAuditTail(ctx, 10); err != nil || n != 10 {
		t.Errorf("VerifyAuditTail(10) with entry 3 changed: %d, %v; want 10, nil", n, err)
	}
	if _, err := s.VerifyAudit(ctx); err == nil {
		t.Error("VerifyAudit with entry 3 changed: no error")
	}
}

func testAuditTailTampered(t *testing.T, open opener) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		tamper []string
		want   string
	}{
		{"changed in the tail", []string{`UPDATE audit SET actor = 'mallory' WHERE seq = 27`}, "entry 27 (login user/alice by mallory"},
		{"anchor changed", []string{`UPDATE audit SET target = 'user/x' WHERE seq = 21`}, "entry 21 (login user/x"},
		{"deleted in the tail", []string{`DELETE FROM audit WHERE seq = 25`}, "entries 25 to 25 are missing"},
		{"anchor deleted", []string{`DELETE FROM audit WHERE seq = 21`}, "entries 21 to 21 are missing"},
		{"last deleted", []string{`DELETE FROM audit WHERE seq = 30`}, "entries 30 to 30 are missing"},
		{"last resealed", []string{`UPDATE audit SET hash = prev WHERE seq = 30`}, "entry 30"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			appendN(t, s, 30)
			for _, q := range tc.tamper {
				exec(t, s, q)
			}
			_, err := s.VerifyAuditTail(ctx, 10)
			var broken *audit.BrokenError
			if !errors.As(err, &broken) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an audit.BrokenError containing %q", err, tc.want)
			}
		})
	}
}

// sealAudit writes n sealed audit entries straight into the table, as n logins would, and
// records the head: faster than n transactions, for trails longer than a page.
func sealAudit(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT INTO audit (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`)
	if err != nil {
		t.Fatal(err)
	}
	prev := audit.Genesis()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		e := audit.Entry{Seq: int64(i), At: at.Add(time.Duration(i) * time.Second), Actor: "alice", Door: "web",
			Action: "login", Target: "user/alice", Detail: "{}"}
		audit.Seal(&e, prev)
		prev = e.Hash
		if _, err := st.ExecContext(ctx, e.Seq, s.t(e.At), e.Actor, e.Door, e.Remote, e.Action, e.Target, e.Detail, e.Prev, e.Hash); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE store_state SET audit_seq = $1, audit_head = $2 WHERE id = 1`, n, prev); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// testAuditVerifyPages: VerifyAudit reads the trail a page at a time (so that each statement
// stays within the statement timeout) and still sees it as one chain across the pages.
func testAuditVerifyPages(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	n := auditPage + 50
	sealAudit(t, s, n)
	if got, err := s.VerifyAudit(ctx); err != nil || got != int64(n) {
		t.Fatalf("VerifyAudit of %d entries: %d, %v", n, got, err)
	}
	exec(t, s, `DELETE FROM audit WHERE seq = $1`, auditPage+1)
	if _, err := s.VerifyAudit(ctx); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("entries %d to %d are missing", auditPage+1, auditPage+1)) {
		t.Errorf("VerifyAudit with the first entry of the second page deleted: %v", err)
	}
}

// testCheckIntact: perdura db check on a sound database reports every check passed, and a
// broken audit chain as failed.
func testCheckIntact(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t)
	appendN(t, s, 3)
	res, err := Check(ctx, s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"schema", "audit chain"}
	if s.Engine() == EngineSQLite {
		want = append([]string{"integrity", "foreign keys"}, want...)
	}
	var got []string
	for _, r := range res {
		got = append(got, r.Name)
		if !r.OK {
			t.Errorf("check %s failed on a sound database: %s %v", r.Name, r.Detail, r.Problems)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("checks: got %v, want %v", got, want)
	}
	exec(t, s, `UPDATE audit SET actor = 'mallory' WHERE seq = 1`)
	res, err = Check(ctx, s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	last := res[len(res)-1]
	if last.Name != "audit chain" || last.OK || !strings.Contains(last.Detail, "entry 1") {
		t.Errorf("Check with entry 1 changed: got %+v, want a failed audit chain naming entry 1", last)
	}
}

// damage overwrites the b-tree page header of a table's root page with bytes no page has, as
// a failing disk or a stray write would.
func damage(t *testing.T, path, table string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var root, pageSize int64
	if err := db.QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = ?`, table).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte(strings.Repeat("\xff", 16)), (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteDamaged: a SQLite file with a damaged page is refused at open with a message that
// says so and points to restoring a backup, and Check lists the damage without writing.
func TestSQLiteDamaged(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "perdura.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	a := catalog.Actor{User: "alice", Door: catalog.DoorAPI}
	for _, name := range []string{"a", "b", "c"} {
		if _, err := s.Write(ctx, a, "test", []catalog.Change{{Kind: "Service", Name: name, Document: doc("Service", name, nil)}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.Close() // checkpoints the WAL into the file
	damage(t, path, "objects")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	_, err = Open(ctx, path)
	var damaged *DamagedError
	if !errors.As(err, &damaged) {
		t.Fatalf("Open of a damaged file: got %v, want a *DamagedError", err)
	}
	for _, want := range []string{path, "damaged", "page", "restore the latest backup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Open's error %q does not say %q", err, want)
		}
	}

	res, err := Check(ctx, path)
	if err != nil {
		t.Fatalf("Check of a damaged file: %v", err)
	}
	if len(res) != 1 || res[0].Name != "integrity" || res[0].OK || len(res[0].Problems) == 0 {
		t.Fatalf("Check of a damaged file: got %+v, want one failed integrity check with its problems", res)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Error("Check or Open wrote to the damaged file")
	}
}

// TestSQLiteBusy: on SQLite the statement timeout is how long a statement waits for a lock
// another process holds; past it the store answers with an Unavailable error.
func TestSQLiteBusy(t *testing.T) {
	ctx := context.Background()
	tm := DefaultTimeouts()
	tm.Statement = 200 * time.Millisecond
	s := openSQLiteStore(t, WithTimeouts(tm))
	other, err := sql.Open("sqlite", s.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	err = within(t, 30*time.Second, "a write behind another process's lock", func() error {
		return s.AppendAudit(ctx, "alice", "cli", "", "login", "", "{}")
	})
	if err == nil || !Unavailable(err) {
		t.Errorf("a write behind another process's lock: got %v, want an error of the Unavailable kind", err)
	}
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, "alice", "cli", "", "login", "", "{}"); err != nil {
		t.Errorf("a write once the lock is released: %v", err)
	}
}

// TestPostgresSilent: a PostgreSQL that accepts connections and never answers costs a bounded
// wait and an Unavailable error, at open and mid-run, for reads, writes and the readiness ping.
func TestPostgresSilent(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.Database(t, "perdura_test_")
	tm := Timeouts{Connect: time.Second, Statement: time.Second, Transaction: 5 * time.Second}
	// Each wait is bounded by its timeout and replyGrace; the limit leaves room for a slow
	// machine, and is far below the minutes an unbounded wait takes.
	const limit = 20 * time.Second

	hung := pgtest.NewSilentProxy(t, "")
	err := within(t, limit, "Open of a server that never answers", func() error {
		s, err := Open(ctx, hung.URL(t, dsn), WithTimeouts(tm))
		if err == nil {
			s.Close()
		}
		return err
	})
	if !Unavailable(err) {
		t.Errorf("Open of a server that never answers: got %v, want an error of the Unavailable kind", err)
	}
	closing := pgtest.Through(t, dsn, pgtest.ClosingListener(t))
	if _, err := Open(ctx, closing, WithTimeouts(tm)); !Unavailable(err) {
		t.Errorf("Open of a server that closes every connection: got %v, want an error of the Unavailable kind", err)
	}

	p := pgtest.NewSilentProxy(t, pgtest.Host(t, dsn))
	s, err := Open(ctx, p.URL(t, dsn), WithTimeouts(tm), WithPostgresConns(4))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { go s.Close() }() // closing waits on the silent connections; do not wait for it
	appendN(t, s, 2)
	if _, err := s.AllObjects(ctx); err != nil {
		t.Fatal(err)
	}
	p.Silence()
	for _, op := range []struct {
		name string
		fn   func() error
	}{
		{"Ping", func() error { return s.Ping(ctx) }},
		{"User", func() error { _, err := s.User(ctx, "alice"); return err }},
		{"AllObjects", func() error { _, err := s.AllObjects(ctx); return err }},
		{"AppendAudit", func() error { return s.AppendAudit(ctx, "alice", "cli", "", "login", "", "{}") }},
	} {
		err := within(t, limit, op.name+" on a server gone silent", op.fn)
		if err == nil || !Unavailable(err) {
			t.Errorf("%s on a server gone silent: got %v, want an error of the Unavailable kind", op.name, err)
		}
	}
}

// TestPostgresRefuses: a PostgreSQL that ends the store's connections and refuses new ones
// (a restart, a failover, an operator) gives Unavailable errors, not internal ones.
func TestPostgresRefuses(t *testing.T) {
	ctx := context.Background()
	s := openPostgresStore(t, WithPostgresConns(4))
	appendN(t, s, 1)
	admin, err := sql.Open("pgx", pgtest.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	u, _ := url.Parse(s.dsn)
	name := strings.TrimPrefix(u.Path, "/")
	for _, q := range []string{
		`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS false`,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `'`,
	} {
		if _, err := admin.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	checks := map[string]error{
		"Ping":        s.Ping(ctx),
		"AppendAudit": s.AppendAudit(ctx, "alice", "cli", "", "login", "", "{}"),
	}
	_, checks["User"] = s.User(ctx, "alice")
	_, checks["AllObjects"] = s.AllObjects(ctx)
	for op, err := range checks {
		if err == nil || !Unavailable(err) {
			t.Errorf("%s after the server ended its connections: got %v, want an error of the Unavailable kind", op, err)
		}
	}
	if _, err := admin.ExecContext(ctx, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS true`); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendAudit(ctx, "alice", "cli", "", "login", "", "{}"); err != nil {
		t.Errorf("a write once the server takes connections again: %v", err)
	}
}

// TestUnavailableKinds: the errors that say nothing about the database stay other errors.
func TestUnavailableKinds(t *testing.T) {
	for _, err := range []error{nil, errors.New("boom"), catalog.ErrNotFound, auth.ErrExists, context.Canceled, io.ErrShortWrite} {
		if Unavailable(err) {
			t.Errorf("Unavailable(%v) = true, want false", err)
		}
	}
}
