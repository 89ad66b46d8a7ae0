package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/audit"
)

// appendAudit seals one entry onto the chain whose head h holds (read under the write lock in
// the same transaction) and stores it.
func (s *Store) appendAudit(ctx context.Context, tx *sql.Tx, h *head, actor, door, remote, action, target, detail string, at time.Time) error {
	e := audit.Entry{
		Seq: h.seq + 1, At: at.UTC().Truncate(time.Microsecond),
		Actor: actor, Door: door, Remote: remote, Action: action, Target: target, Detail: detail,
	}
	audit.Seal(&e, h.hash)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit (seq, at, actor, door, remote, action, target, detail, prev, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.Seq, s.t(e.At), e.Actor, e.Door, e.Remote, e.Action, e.Target, e.Detail, e.Prev, e.Hash); err != nil {
		return fmt.Errorf("append audit entry %d (%s): %w", e.Seq, action, err)
	}
	h.seq, h.hash, h.dirty = e.Seq, e.Hash, true
	return nil
}

// AppendAudit adds one entry in a transaction of its own (logins, logouts).
func (s *Store) AppendAudit(ctx context.Context, actor, door, remote, action, target, detail string) error {
	return s.write(ctx, func(ctx context.Context, tx *sql.Tx, h *head) error {
		return s.appendAudit(ctx, tx, h, actor, door, remote, action, target, detail, s.now())
	})
}

const auditColumns = `seq, at, actor, door, remote, action, target, detail, prev, hash`

func scanEntry(row scanner) (audit.Entry, error) {
	var e audit.Entry
	err := row.Scan(&e.Seq, timeDest{&e.At}, &e.Actor, &e.Door, &e.Remote, &e.Action, &e.Target, &e.Detail, &e.Prev, &e.Hash)
	return e, err
}

// Audit pages the audit trail, newest first.
func (s *Store) Audit(ctx context.Context, q audit.Query) ([]audit.Entry, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if q.Actor != "" {
		where = append(where, "actor = "+arg(q.Actor))
	}
	switch {
	case strings.HasSuffix(q.Action, "."):
		where = append(where, fmt.Sprintf("substr(action, 1, %d) = %s", len([]rune(q.Action)), arg(q.Action)))
	case q.Action != "":
		where = append(where, "action = "+arg(q.Action))
	}
	if !q.Since.IsZero() {
		where = append(where, "at >= "+arg(s.t(q.Since)))
	}
	if q.Before > 0 {
		where = append(where, "seq < "+arg(q.Before))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	query := `SELECT ` + auditColumns + ` FROM audit`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += fmt.Sprintf(" ORDER BY seq DESC LIMIT %d", limit)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	defer rows.Close()
	out := []audit.Entry{}
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, fmt.Errorf("read audit trail: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit trail: %w", err)
	}
	return out, nil
}

// VerifyAudit streams the whole trail in Seq order through audit.Verifier, then checks that
// the last entry is the head recorded in store_state, which catches entries deleted from the
// end of the trail. The count and the head are read in one read transaction so that a
// concurrent append does not look like a deletion.
func (s *Store) VerifyAudit(ctx context.Context) (int64, error) {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: s.snapshot()})
	if err != nil {
		return 0, fmt.Errorf("verify audit trail: %w", err)
	}
	defer tx.Rollback()
	var headSeq int64
	var headHash []byte
	if err := tx.QueryRowContext(ctx, `SELECT audit_seq, audit_head FROM store_state WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
		return 0, fmt.Errorf("verify audit trail: read head: %w", err)
	}
	var v audit.Verifier
	var last int64
	// Page by page, in the one snapshot: each statement stays short, within the statement
	// timeout, however long the trail.
	for {
		n, err := s.verifyAuditPage(ctx, tx, &v, &last)
		if err != nil {
			return v.Checked(), err
		}
		if n < auditPage {
			break
		}
	}
	if last != headSeq {
		return v.Checked(), audit.Broken("audit trail ends at entry %d but entry %d was written: entries %d to %d are missing", last, headSeq, last+1, headSeq)
	}
	if headSeq > 0 && string(v.Head()) != string(headHash) {
		return v.Checked(), audit.Broken("audit entry %d is not the head the store recorded: the end of the trail was rewritten", last)
	}
	return v.Checked(), nil
}

// auditPage is how many entries VerifyAudit reads per statement.
const auditPage = 10000

// verifyAuditPage checks the entries after *last, at most auditPage of them, and returns how
// many it read.
func (s *Store) verifyAuditPage(ctx context.Context, tx *sql.Tx, v *audit.Verifier, last *int64) (int, error) {
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM audit WHERE seq > $1 ORDER BY seq LIMIT %d`, auditColumns, auditPage), *last)
	if err != nil {
		return 0, fmt.Errorf("verify audit trail: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return n, fmt.Errorf("verify audit trail: %w", err)
		}
		if err := v.Check(e); err != nil {
			return n, err
		}
		*last = e.Seq
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("verify audit trail: %w", err)
	}
	return n, nil
}

// snapshot is the isolation level under which a multi-statement read sees one state: SQLite
// read transactions always do; PostgreSQL needs REPEATABLE READ.
func (s *Store) snapshot() sql.IsolationLevel {
	if s.engine == EnginePostgres {
		return sql.LevelRepeatableRead
	}
	return sql.LevelDefault
}
