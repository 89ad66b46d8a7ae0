package sqlstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/sqlstore/pgtest"
)

// openSQLiteStore opens a store on a fresh file of its own.
func openSQLiteStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "perdura.db"), opts...)
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgresStore opens a store on a fresh PostgreSQL database of the test's own.
func openPostgresStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	dsn := pgtest.Database(t, "perdura_test_")
	s, err := Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	runContract(t, func(t *testing.T) *Store { return openSQLiteStore(t) })
}

func TestPostgres(t *testing.T) {
	t.Parallel()
	pgtest.AdminURL(t)
	runContract(t, func(t *testing.T) *Store { return openPostgresStore(t, WithPostgresConns(8)) })
}

// reopen opens a second handle on s's database, as a second perdura process would.
func reopen(t *testing.T, s *Store, opts ...Option) *Store {
	t.Helper()
	s2, err := Open(context.Background(), s.dsn, opts...)
	if err != nil {
		t.Fatalf("open a second handle: %v", err)
	}
	t.Cleanup(func() { s2.Close() })
	return s2
}

// exec runs SQL on the store's database behind its back (tampering, migrations).
func exec(t *testing.T, s *Store, q string, args ...any) {
	t.Helper()
	if _, err := s.w.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// steppingClock is a clock that steps by a second on every reading, at nanosecond precision and
// in a zone that is not UTC, so that tests see the store's truncation and conversion.
type steppingClock struct {
	ch chan time.Time
}

func newClock(start time.Time) func() time.Time {
	c := steppingClock{ch: make(chan time.Time, 1)}
	c.ch <- start
	return func() time.Time {
		t := <-c.ch
		c.ch <- t.Add(time.Second)
		return t
	}
}

func doc(kind, name string, labels map[string]string) []byte {
	l := ""
	for k, v := range labels {
		if l != "" {
			l += ","
		}
		l += fmt.Sprintf("%q:%q", k, v)
	}
	return fmt.Appendf(nil, `{"apiVersion":"perdura.io/v1","kind":%q,"metadata":{"name":%q,"labels":{%s}},"spec":{}}`, kind, name, l)
}

// TestSQLitePaths checks that a file name means itself, though the driver reads it as a URI.
func TestSQLitePaths(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"perdura.db", "with space.db", "hash#tag.db", "per%20cent.db", "query?x=1.db", "ümlaut.db"} {
		path := filepath.Join(t.TempDir(), "a dir", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, path)
		if err != nil {
			t.Errorf("Open(%q): %v", name, err)
			continue
		}
		if err := s.AppendAudit(ctx, "alice", "cli", "", "login", "", "{}"); err != nil {
			t.Errorf("%q: AppendAudit: %v", name, err)
		}
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("Open(%q) did not make that file: %v", name, err)
		}
	}
	t.Chdir(t.TempDir())
	s, err := Open(ctx, "relative.db")
	if err != nil {
		t.Fatalf("Open of a relative path: %v", err)
	}
	s.Close()
	if _, err := os.Stat("relative.db"); err != nil {
		t.Errorf("Open(\"relative.db\") did not make that file: %v", err)
	}
	if _, err := Open(ctx, "file:x.db?mode=ro"); err == nil {
		t.Errorf("Open of a SQLite URI: err = nil, want one asking for a plain path")
	}
}
