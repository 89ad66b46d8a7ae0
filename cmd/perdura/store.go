package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perdura/perdura/internal/audit"
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
func openStore(ctx context.Context, e *env, dsn string, opts ...sqlstore.Option) (*sqlstore.Store, error) {
	dsn, err := storeDSN(e, dsn)
	if err != nil {
		return nil, err
	}
	st, err := sqlstore.Open(ctx, dsn, opts...)
	if err != nil {
		return nil, openFailed(dsn, err)
	}
	return st, nil
}

// storeDSN is the database a command names, or the default one.
func storeDSN(e *env, dsn string) (string, error) {
	if dsn != "" {
		return dsn, nil
	}
	return defaultDB(e.getenv)
}

// openFailed says why a database could not be opened, and what to do about it.
func openFailed(dsn string, err error) error {
	var damaged *sqlstore.DamagedError
	switch {
	case errors.As(err, &damaged):
		return cannot("%v", err)
	case sqlstore.Unavailable(err):
		return cannot("database %s is unavailable: %v\n"+
			"Check that it runs and that this host reaches it; --db-connect-timeout and --db-statement-timeout bound the wait.", redact(dsn), err)
	}
	return cannot("open database %s: %v", redact(dsn), err)
}

// auditTailEntries is how many of the newest audit entries serve verifies at start: enough to
// catch the usual tampering (the last entries changed or removed) at a cost that does not grow
// with the trail; perdura audit verify and perdura db check read it whole.
const auditTailEntries = 1000

// checkAuditTail verifies the newest entries of the audit chain and returns why they do not
// verify, or "". A broken chain is logged and shown, but the server serves: refusing would
// take the continuity plans away during the incident that may have caused it.
func checkAuditTail(ctx context.Context, log *slog.Logger, st *sqlstore.Store) string {
	n, err := st.VerifyAuditTail(ctx, auditTailEntries)
	var broken *audit.BrokenError
	switch {
	case errors.As(err, &broken):
		log.Warn("the audit trail's newest entries do not verify: run perdura audit verify, and compare with a backup",
			"checked", n, "error", err.Error())
		return err.Error()
	case err != nil:
		log.Warn("could not verify the audit trail's newest entries", "error", err.Error())
	}
	return ""
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
