package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/perdura/perdura/internal/audit"
)

// DamagedError is a SQLite database that fails SQLite's own checks: pages that do not hold
// what they should. The store refuses to open it, since a damaged page answers some reads
// wrongly or not at all, and writing to the file could spread the damage.
type DamagedError struct {
	Path     string
	Problems []string // what SQLite reported, the first few
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("the SQLite database %s is damaged (%s): stop every perdura using it, keep the damaged file aside, "+
		"and restore the latest backup (see \"Backups\" in docs/operations.md); 'perdura db check' lists the problems",
		e.Path, strings.Join(e.Problems, "; "))
}

// damagedProblems is how many of quick_check's problems an error quotes.
const damagedProblems = 3

// corrupt reports whether err is SQLite saying the file is damaged or not a database at all.
func corrupt(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	code := se.Code() & 0xff
	return code == sqlite3.SQLITE_CORRUPT || code == sqlite3.SQLITE_NOTADB
}

// asDamaged turns SQLite's "damaged" errors from opening path into a *DamagedError.
func asDamaged(path string, err error) error {
	if corrupt(err) {
		return &DamagedError{Path: path, Problems: []string{rootCause(err)}}
	}
	return err
}

// rootCause is the innermost error's text: SQLite's own words without our wrapping.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// quickCheck runs SQLite's quick_check, which reads every page of the file and checks its
// structure, but not that indexes match their tables: it costs a read of the file (about a
// second per GB), paid once at open, against serving wrong answers or 500s from a damaged
// page for as long as nobody looks.
func (s *Store) quickCheck(ctx context.Context) error {
	if s.engine != EngineSQLite {
		return nil
	}
	problems, err := pragmaCheck(ctx, s.w, "quick_check", damagedProblems)
	if err != nil {
		return asDamaged(s.dsn, fmt.Errorf("quick_check %s: %w", s.dsn, err))
	}
	if len(problems) > 0 {
		return &DamagedError{Path: s.dsn, Problems: problems[:min(len(problems), damagedProblems)]}
	}
	return nil
}

// pragmaCheck runs quick_check or integrity_check, reporting at most limit problems; none
// when SQLite answers "ok".
func pragmaCheck(ctx context.Context, db *sql.DB, pragma string, limit int) ([]string, error) {
	rows, err := db.QueryContext(ctx, fmt.Sprintf("PRAGMA %s(%d)", pragma, limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return nil, err
		}
		for line := range strings.SplitSeq(text, "\n") {
			if line = strings.TrimSpace(line); line != "ok" && line != "" && line != "*** in database main ***" {
				out = append(out, line)
			}
		}
	}
	// SQLite may report what it found and then fail on the damage itself: both are problems.
	if err := rows.Err(); err != nil {
		if !corrupt(err) {
			return nil, err
		}
		out = append(out, rootCause(err))
	}
	return out, nil
}

// CheckResult is one thing Check verified.
type CheckResult struct {
	Name   string // what was checked: "integrity", "foreign keys", "schema", "audit chain"
	OK     bool
	Detail string // what was found, for people
	// Problems lists what a failed check found, one line each (SQLite's own words).
	Problems []string
}

// Check verifies a database thoroughly, for `perdura db check`. On SQLite it first checks the
// whole file (integrity_check: every page, and every index against its table) and its foreign
// keys through a read-only handle, so that a damaged file is reported and never written to;
// then, on both engines, it opens the store (applying pending migrations, as every command
// does) and checks the schema's version and the whole audit chain. It returns an error only
// when it could not check; what it found is in the results.
func Check(ctx context.Context, dsn string, opts ...Option) ([]CheckResult, error) {
	var out []CheckResult
	if !isPostgres(dsn) {
		res, err := checkSQLiteFile(ctx, dsn, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
		for _, r := range res {
			if !r.OK {
				return out, nil
			}
		}
	}
	s, err := Open(ctx, dsn, append(opts, func(o *options) { o.skipQuickCheck = true })...)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	p, err := migrator(s.w, s.engine)
	if err != nil {
		return nil, err
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return nil, fmt.Errorf("read %s schema version: %w", s.engine, err)
	}
	out = append(out, CheckResult{Name: "schema", OK: true,
		Detail: fmt.Sprintf("at step %d, the latest this perdura knows", current)})
	n, err := s.VerifyAudit(ctx)
	var broken *audit.BrokenError
	switch {
	case errors.As(err, &broken):
		out = append(out, CheckResult{Name: "audit chain", Detail: fmt.Sprintf("BROKEN after %d intact entries: %v", n, err)})
	case err != nil:
		return nil, err
	default:
		out = append(out, CheckResult{Name: "audit chain", OK: true, Detail: fmt.Sprintf("%d entries intact", n)})
	}
	return out, nil
}

// checkSQLiteFile runs integrity_check and foreign_key_check on a SQLite file through a
// read-only handle.
func checkSQLiteFile(ctx context.Context, path string, opts []Option) ([]CheckResult, error) {
	o := options{timeouts: DefaultTimeouts()}
	for _, opt := range opts {
		opt(&o)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("check sqlite %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", sqliteDSN(path, true, o.timeouts.Statement))
	if err != nil {
		return nil, fmt.Errorf("check sqlite %s: %w", path, err)
	}
	defer db.Close()
	// integrity_check reports at most this many problems; the first say enough.
	const limit = 100
	problems, err := pragmaCheck(ctx, db, "integrity_check", limit)
	if err != nil {
		if !corrupt(err) {
			return nil, fmt.Errorf("check sqlite %s: %w", path, err)
		}
		problems = []string{rootCause(err)}
	}
	if len(problems) > 0 {
		return []CheckResult{{Name: "integrity", Problems: problems,
			Detail: "DAMAGED: stop every perdura using it, keep the file aside, and restore the latest backup (see \"Backups\" in docs/operations.md)"}}, nil
	}
	out := []CheckResult{{Name: "integrity", OK: true, Detail: "every page and index intact"}}
	rows, err := db.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return nil, fmt.Errorf("check sqlite %s foreign keys: %w", path, err)
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int64
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return nil, fmt.Errorf("check sqlite %s foreign keys: %w", path, err)
		}
		bad = append(bad, fmt.Sprintf("a row of %s (rowid %d) refers to a missing row of %s", table, rowid.Int64, parent))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("check sqlite %s foreign keys: %w", path, err)
	}
	if len(bad) > 0 {
		return append(out, CheckResult{Name: "foreign keys", Detail: fmt.Sprintf("%d rows refer to missing rows", len(bad)), Problems: bad}), nil
	}
	return append(out, CheckResult{Name: "foreign keys", OK: true, Detail: "every reference resolves"}), nil
}

// VerifyAuditTail verifies the newest n entries of the audit chain, and that the newest is the
// head the store recorded: what the server checks at every start, at a cost bounded by n
// however long the trail (VerifyAudit checks it whole). The oldest entry of the tail is
// checked against its own hash only; the entries before it are not read. A
// *audit.BrokenError says the tail does not verify; other errors, that it could not be read.
func (s *Store) VerifyAuditTail(ctx context.Context, n int64) (int64, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: s.snapshot()})
	if err != nil {
		return 0, fmt.Errorf("verify audit tail: %w", err)
	}
	defer tx.Rollback()
	var headSeq int64
	var headHash []byte
	if err := tx.QueryRowContext(ctx, `SELECT audit_seq, audit_head FROM store_state WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return 0, fmt.Errorf("verify audit tail: read head: %w", err)
	}
	from := max(1, headSeq-n+1)
	rows, err := tx.QueryContext(ctx, `SELECT `+auditColumns+` FROM audit WHERE seq >= $1 ORDER BY seq`, from)
	if err != nil {
		return 0, fmt.Errorf("verify audit tail: %w", err)
	}
	defer rows.Close()
	var v *audit.Verifier
	var checked int64
	last := from - 1
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return checked, fmt.Errorf("verify audit tail: %w", err)
		}
		switch {
		case v != nil:
			if err := v.Check(e); err != nil {
				return checked, err
			}
		case e.Seq != from:
			return 0, audit.Broken("audit entry %d follows entry %d: entries %d to %d are missing", e.Seq, from-1, from, e.Seq-1)
		case e.Seq == 1:
			v = &audit.Verifier{}
			if err := v.Check(e); err != nil {
				return 0, err
			}
		default:
			if v, err = audit.VerifierAfter(e); err != nil {
				return 0, err
			}
		}
		checked++
		last = e.Seq
	}
	if err := rows.Err(); err != nil {
		return checked, fmt.Errorf("verify audit tail: %w", err)
	}
	if last != headSeq {
		return checked, audit.Broken("audit trail ends at entry %d but entry %d was written: entries %d to %d are missing", last, headSeq, last+1, headSeq)
	}
	if v != nil && string(v.Head()) != string(headHash) {
		return checked, audit.Broken("audit entry %d is not the head the store recorded: the end of the trail was rewritten", last)
	}
	return checked, nil
}
