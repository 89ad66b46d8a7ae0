package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perdura/perdura/internal/sqlstore"
)

// dbFlag adds --db to a command that opens the database.
func dbFlag(c *cobra.Command, dsn *string) {
	c.Flags().StringVar(dsn, "db", "", "a SQLite file path or a postgres:// URL (default: perdura.db in the data directory, $PERDURA_DATA_DIR or ~/.local/share/perdura)")
}

// defaultDB is the SQLite file in the data directory: $PERDURA_DATA_DIR, else
// $XDG_DATA_HOME/perdura, else ~/.local/share/perdura.
func defaultDB(getenv func(string) string) (string, error) {
	dir := getenv("PERDURA_DATA_DIR")
	if dir == "" {
		if x := getenv("XDG_DATA_HOME"); x != "" {
			dir = filepath.Join(x, "perdura")
		} else {
			home := getenv("HOME")
			if home == "" {
				return "", cannot("no data directory: set --db, PERDURA_DB or PERDURA_DATA_DIR")
			}
			dir = filepath.Join(home, ".local", "share", "perdura")
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", cannot("data directory %s: %v", dir, err)
	}
	return filepath.Join(dir, "perdura.db"), nil
}

// openStore opens (and migrates) the database a command names, or the default one.
func openStore(ctx context.Context, e *env, dsn string) (*sqlstore.Store, error) {
	if dsn == "" {
		var err error
		if dsn, err = defaultDB(e.getenv); err != nil {
			return nil, err
		}
	}
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, cannot("open database %s: %v", redact(dsn), err)
	}
	return st, nil
}

// redact hides a password in a database URL before it is printed.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			if colon := strings.Index(dsn[i+3:at], ":"); colon >= 0 {
				return dsn[:i+3+colon+1] + "****" + dsn[at:]
			}
		}
	}
	return dsn
}

// localUser names the person at the terminal, for revisions and the audit trail.
func localUser(getenv func(string) string) string {
	if u := getenv("USER"); u != "" {
		return "local:" + u
	}
	return "local"
}
