package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// postgresEnv names the PostgreSQL server the tests use: an admin URL whose user may create
// databases, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const postgresEnv = "PERDURA_TEST_POSTGRES"

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

// postgresURL returns the admin URL of the test server, skipping the test when there is none,
// unless CI is set: there the PostgreSQL half of the suite must run.
func postgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(postgresEnv)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set but CI is: PostgreSQL tests must run", postgresEnv)
		}
		t.Skipf("%s is not set: PostgreSQL tests skipped", postgresEnv)
	}
	return u
}

// newPostgresDatabase creates a database of the test's own on the test server, dropped when
// the test ends, so that tests run in parallel and leave nothing behind. It returns its URL.
func newPostgresDatabase(t testing.TB) string {
	t.Helper()
	admin := postgresURL(t)
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open %s: %v", postgresEnv, err)
	}
	t.Cleanup(func() { db.Close() })
	var b [8]byte
	rand.Read(b[:])
	name := "perdura_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

func openPostgresStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	dsn := newPostgresDatabase(t)
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
	postgresURL(t)
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
