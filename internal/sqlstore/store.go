// Package sqlstore is Perdura's storage: the only package that imports database/sql. It keeps
// the model's objects with every revision, users, sessions, API tokens and the hash-chained
// audit trail, in embedded SQLite (the default) or PostgreSQL (several servers sharing one
// database). Business rules live in the domain packages (catalog, auth, audit), whose Store
// interfaces this package implements; a write is handed a check function that sees the whole
// model as it would be after the write, inside the same transaction.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/audit"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// The storage contract: *Store implements every domain's Store interface.
var (
	_ catalog.Store = (*Store)(nil)
	_ auth.Store    = (*Store)(nil)
	_ audit.Store   = (*Store)(nil)
)

// Engines Open knows.
const (
	EngineSQLite   = "sqlite"
	EnginePostgres = "postgres"
)

// Store keeps the model, users, sessions, tokens and the audit trail in SQLite or PostgreSQL.
// It is safe for concurrent use.
type Store struct {
	engine string
	// w takes every write. On SQLite it holds a single connection, so that writers queue in
	// Go instead of meeting "database is locked"; on PostgreSQL it is the same pool as r.
	w *sql.DB
	// r serves reads; on SQLite a pool of read-only connections that WAL lets run beside the
	// writer.
	r   *sql.DB
	now func() time.Time
	dsn string // what Open was given, so tests can open a second handle on the same database
}

// Option configures Open.
type Option func(*options)

type options struct {
	now       func() time.Time
	readConns int
	pgConns   int
}

// WithClock makes the store take the time of revisions, audit entries and created users from
// now instead of the system clock (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithReadConns sets how many connections serve reads on SQLite (default: 2 per CPU, at least 4).
func WithReadConns(n int) Option { return func(o *options) { o.readConns = n } }

// WithPostgresConns caps the PostgreSQL connection pool (default 25).
func WithPostgresConns(n int) Option { return func(o *options) { o.pgConns = n } }

// Open opens (creating if needed) the database named by dsn, a SQLite file path or a
// postgres:// / postgresql:// URL, and applies pending migrations.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{now: time.Now, readConns: max(4, 2*runtime.NumCPU()), pgConns: 25}
	for _, opt := range opts {
		opt(&o)
	}
	var s *Store
	var err error
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		s, err = openPostgres(dsn, o)
	} else {
		s, err = openSQLite(dsn, o)
	}
	if err != nil {
		return nil, err
	}
	s.dsn = dsn
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := migrate(ctx, s.w, s.engine, 0); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func openPostgres(dsn string, o options) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(o.pgConns)
	db.SetMaxIdleConns(o.pgConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Store{engine: EnginePostgres, w: db, r: db, now: o.now}, nil
}

// sqliteDSN builds the driver's DSN for path. WAL lets readers run beside the one writer;
// synchronous=NORMAL is safe with WAL against a crash of the process (a committed transaction
// is in the WAL file when COMMIT returns, and the operating system keeps it), and only a power
// loss or kernel crash can lose the last transactions, never corrupt the database; the
// busy_timeout covers other processes (or a second Store) on the same file and checkpoints.
func sqliteDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		// BEGIN IMMEDIATE takes the write lock at the start of a transaction, so that two
		// handles on one file wait for each other (busy_timeout) instead of failing when a
		// read inside a transaction turns into a write.
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func openSQLite(path string, o options) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty database path")
	}
	if strings.HasPrefix(path, "file:") || strings.Contains(path, "?") {
		return nil, fmt.Errorf("open sqlite %s: give a plain file path", path)
	}
	w, err := sql.Open("sqlite", sqliteDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The writer creates the file and switches it to WAL before any reader connects.
	if err := w.Ping(); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(o.readConns)
	r.SetMaxIdleConns(o.readConns)
	r.SetConnMaxIdleTime(0)
	return &Store{engine: EngineSQLite, w: w, r: r, now: o.now}, nil
}

// Close releases the database handles.
func (s *Store) Close() error {
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// Engine is "sqlite" or "postgres".
func (s *Store) Engine() string { return s.engine }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.engine, err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("ping %s: %w", s.engine, err)
		}
	}
	return nil
}

// head is the store_state row a write transaction holds: the generation and the audit chain's
// head, updated in place as the transaction appends and written back before commit.
type head struct {
	generation int64
	seq        int64
	hash       []byte
	dirty      bool
}

// write runs fn in a write transaction that holds the cross-process write lock: on PostgreSQL
// the store_state row locked FOR UPDATE, on SQLite the database's write lock taken by BEGIN
// IMMEDIATE. Model writes and audit appends both go through it, so the audit chain has one
// order and every entry is sealed with the hash of the entry really before it.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx, h *head) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	defer tx.Rollback()
	q := `SELECT generation, audit_seq, audit_head FROM store_state WHERE id = 1`
	if s.engine == EnginePostgres {
		q += ` FOR UPDATE`
	}
	var h head
	if err := tx.QueryRowContext(ctx, q).Scan(&h.generation, &h.seq, &h.hash); err != nil {
		return fmt.Errorf("lock store state: %w", err)
	}
	if err := fn(tx, &h); err != nil {
		return err
	}
	if h.dirty {
		if _, err := tx.ExecContext(ctx, `UPDATE store_state SET generation = $1, audit_seq = $2, audit_head = $3 WHERE id = 1`,
			h.generation, h.seq, h.hash); err != nil {
			return fmt.Errorf("update store state: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// timeLayout is how SQLite keeps times: fixed width, so text order is time order.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// t converts a time to what the engine stores: UTC, truncated to microseconds, so that what
// is read back equals what was hashed into the audit chain.
func (s *Store) t(v time.Time) any {
	v = v.UTC().Truncate(time.Microsecond)
	if s.engine == EngineSQLite {
		return v.Format(timeLayout)
	}
	return v
}

// tp is t for a time that may be absent.
func (s *Store) tp(v *time.Time) any {
	if v == nil {
		return nil
	}
	return s.t(*v)
}

// timeDest scans a stored time, text (SQLite) or timestamptz (PostgreSQL), into UTC.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		*d.t = x.UTC()
	case string:
		p, err := time.Parse(timeLayout, x)
		if err != nil {
			return fmt.Errorf("stored time %q: %w", x, err)
		}
		*d.t = p
	case []byte:
		return d.Scan(string(x))
	default:
		return fmt.Errorf("stored time: unexpected %T", v)
	}
	return nil
}

// nullTimeDest scans a time that may be NULL.
type nullTimeDest struct{ t **time.Time }

func (d nullTimeDest) Scan(v any) error {
	if v == nil {
		*d.t = nil
		return nil
	}
	var t time.Time
	if err := (timeDest{&t}).Scan(v); err != nil {
		return err
	}
	*d.t = &t
	return nil
}
