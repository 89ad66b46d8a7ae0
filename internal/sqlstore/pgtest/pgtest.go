// Package pgtest makes throwaway PostgreSQL databases for tests and benchmarks, on the server
// that PERDURA_TEST_POSTGRES names, so that every test has a database of its own and leaves
// nothing behind. Without that variable a test is skipped, unless CI is set: there the
// PostgreSQL half of a suite must run, so it fails instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver, as sqlstore uses it
)

// Env names the server: an admin URL whose user may create databases, such as
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable.
const Env = "PERDURA_TEST_POSTGRES"

// AdminURL returns the admin URL of the test server, skipping the test when there is none,
// unless CI is set.
func AdminURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set but CI is: PostgreSQL tests must run", Env)
		}
		t.Skipf("%s is not set: PostgreSQL tests skipped", Env)
	}
	return u
}

// Database creates a database for the test on the test server, named prefix and random
// letters, dropped when the test ends. It returns the database's URL.
func Database(t testing.TB, prefix string) string {
	t.Helper()
	dsn, drop, err := Create(context.Background(), AdminURL(t), prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return dsn
}

// Create makes a fresh database on the server at admin and returns its URL and the function
// that drops it (ending its connections first).
func Create(ctx context.Context, admin, prefix string) (dsn string, drop func() error, err error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", Env, err)
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", nil, fmt.Errorf("open %s: %w", u.Redacted(), err)
	}
	var b [8]byte
	rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop = func() error {
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop database %s: %w", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
