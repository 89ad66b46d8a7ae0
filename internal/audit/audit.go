// Package audit is the append-only audit trail: every write and every login, each entry
// chained to the one before by a SHA-256 hash, so that a changed or deleted row is detected.
package audit

import (
	"context"
	"time"
)

// Entry is one row of the append-only, hash-chained audit trail.
type Entry struct {
	Seq    int64
	At     time.Time
	Actor  string
	Door   string
	Remote string
	Action string // "object.create", "object.update", "object.delete", "apply", "login", "login.failed", "logout", "user.create", "token.create", "token.revoke", ...
	Target string // "service/orders-db", "user/alice", ...
	Detail string // JSON object with what else matters (revision, source, counts); never a secret
	Prev   []byte // hash of the previous entry (32 zero bytes for the first)
	Hash   []byte // sha256 over Prev and this entry's fields, see docs/operations.md
}

// Query pages the audit trail, newest first.
type Query struct {
	Actor  string
	Action string // exact, or a prefix ending in "." ("object.")
	Since  time.Time
	Limit  int // 0 = 100; at most 1000
	Before int64
}

// Store is what the audit trail needs from storage; internal/sqlstore implements it.
type Store interface {
	Audit(ctx context.Context, q Query) ([]Entry, error)
	// AppendAudit adds one entry in a transaction of its own (logins); writes of objects,
	// users and tokens add theirs in their own transactions.
	AppendAudit(ctx context.Context, actor, door, remote, action, target, detail string) error
	// VerifyAudit recomputes the chain from the first entry and returns how many entries it
	// checked, or an error naming the first entry whose hash or link does not match.
	VerifyAudit(ctx context.Context) (checked int64, err error)
}
