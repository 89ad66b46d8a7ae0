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
	"math"
	"net/url"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/perdura/perdura/internal/audit"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"

	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
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
	r        *sql.DB
	now      func() time.Time
	dsn      string // what Open was given, so tests can open a second handle on the same database
	timeouts Timeouts

	writes     chan *writeReq // to the writer goroutine, runWrites
	stop       chan struct{}  // closed by Close
	writerDone chan struct{}  // closed when runWrites returns
	closeOnce  sync.Once

	// stmts caches statements prepared on r for the queries every request makes (its token,
	// its user, one object, the generation): the SQLite driver otherwise parses each query
	// anew, about a sixth of a read's CPU. database/sql prepares them per connection lazily.
	stmts sync.Map // query -> *sql.Stmt
}

// reader is what the read queries need: the read pool, through the statement cache.
type reader struct{ s *Store }

// QueryRowContext runs a one-row query on the read pool with a cached prepared statement.
func (r reader) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := r.s.stmts.Load(query); ok {
		return st.(*sql.Stmt).QueryRowContext(ctx, args...)
	}
	st, err := r.s.r.PrepareContext(ctx, query)
	if err != nil {
		return r.s.r.QueryRowContext(ctx, query, args...) // the error surfaces from Scan
	}
	if prev, loaded := r.s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		st = prev.(*sql.Stmt)
	}
	return st.QueryRowContext(ctx, args...)
}

// Option configures Open.
type Option func(*options)

type options struct {
	now       func() time.Time
	readConns int
	pgConns   int
	timeouts  Timeouts
	// skipQuickCheck: Check has just run the fuller integrity_check.
	skipQuickCheck bool
}

// WithClock makes the store take the time of revisions, audit entries and created users from
// now instead of the system clock (tests).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithReadConns sets how many connections serve reads on SQLite (default: 2 per CPU, at least 4).
func WithReadConns(n int) Option { return func(o *options) { o.readConns = n } }

// WithPostgresConns caps the PostgreSQL connection pool (default 25).
func WithPostgresConns(n int) Option { return func(o *options) { o.pgConns = n } }

// Open opens (creating if needed) the database named by dsn, a SQLite file path or a
// postgres:// / postgresql:// URL, and applies pending migrations. A SQLite file that fails
// SQLite's quick_check is refused with a *DamagedError.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	o := options{now: time.Now, readConns: max(4, 2*runtime.NumCPU()), pgConns: 25, timeouts: DefaultTimeouts()}
	for _, opt := range opts {
		opt(&o)
	}
	var s *Store
	var err error
	if isPostgres(dsn) {
		s, err = openPostgres(dsn, o)
	} else {
		s, err = openSQLite(dsn, o)
	}
	if err != nil {
		return nil, asDamaged(dsn, err)
	}
	s.dsn, s.stop, s.timeouts = dsn, make(chan struct{}), o.timeouts
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if !o.skipQuickCheck {
		if err := s.quickCheck(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		if s.engine == EngineSQLite {
			return nil, asDamaged(dsn, err)
		}
		return nil, err
	}
	s.writes, s.writerDone = make(chan *writeReq), make(chan struct{})
	go s.runWrites()
	return s, nil
}

// migrate applies pending migrations. On PostgreSQL it does so through connections of its own
// without the statement timeout: a step that builds an index on a large table may take
// minutes, during which the server sends nothing, and an upgrade must be allowed to finish.
// It has just answered a ping, and connecting stays bounded.
func (s *Store) migrate(ctx context.Context) error {
	if s.engine != EnginePostgres || s.timeouts.Statement == 0 {
		return migrate(ctx, s.w, s.engine, 0)
	}
	cfg, err := pgConfig(s.dsn, Timeouts{Connect: s.timeouts.Connect})
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	db.SetMaxOpenConns(2)
	return migrate(ctx, db, s.engine, 0)
}

// isPostgres reports whether dsn is a PostgreSQL URL rather than a SQLite file path.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func openPostgres(dsn string, o options) (*Store, error) {
	cfg, err := pgConfig(dsn, o.timeouts)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
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
func sqliteDSN(path string, readOnly bool, busy time.Duration) string {
	q := url.Values{}
	// busy_timeout 0 would fail at once on a lock; "no bound" is SQLite's longest wait.
	busyMS := int64(math.MaxInt32)
	if busy > 0 {
		busyMS = min(busy.Milliseconds(), busyMS)
	}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyMS))
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
	// The driver opens "file:" names as SQLite URIs, which decode %XX and end at ? or #:
	// escape the path so that any file name means itself.
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func openSQLite(path string, o options) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty database path")
	}
	if strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open sqlite %s: give a plain file path", path)
	}
	w, err := sql.Open("sqlite", sqliteDSN(path, false, o.timeouts.Statement))
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
	r, err := sql.Open("sqlite", sqliteDSN(path, true, o.timeouts.Statement))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(o.readConns)
	r.SetMaxIdleConns(o.readConns)
	r.SetConnMaxIdleTime(0)
	return &Store{engine: EngineSQLite, w: w, r: r, now: o.now}, nil
}

// Close waits for the write in progress, refuses further writes and releases the database
// handles.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		if s.writerDone != nil {
			<-s.writerDone
		}
	})
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	err := s.w.Close()
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// Engine is "sqlite" or "postgres".
func (s *Store) Engine() string { return s.engine }

// Ping checks that the database answers, waiting at most the connect timeout (or ctx's
// deadline, if earlier): a readiness probe must answer in seconds whatever the database does.
func (s *Store) Ping(ctx context.Context) error {
	if s.timeouts.Connect > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeouts.Connect)
		defer cancel()
	}
	select {
	case <-s.stop:
		return fmt.Errorf("ping %s: %w", s.engine, errClosed)
	default:
	}
	// The read pool only: on SQLite the writer's one connection is busy for as long as a
	// large write runs, which is no reason to send traffic elsewhere, and openSQLite has
	// pinged it; on PostgreSQL both are the same pool.
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.engine, err)
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

// writeFunc is one write: statements on tx under the write lock, with h the chain's head.
type writeFunc func(ctx context.Context, tx *sql.Tx, h *head) error

type writeReq struct {
	ctx  context.Context
	fn   writeFunc
	done chan error
}

// maxBatch bounds how many writes share one transaction.
const maxBatch = 64

// errClosed answers writes to a closed store.
var errClosed = errors.New("store is closed")

// write runs fn under the cross-process write lock and returns once its transaction has
// committed (or fn failed). Model writes and audit appends all go through it, so the audit
// chain has one order and every entry is sealed with the hash of the entry really before it.
func (s *Store) write(ctx context.Context, fn writeFunc) error {
	return s.enqueue(ctx, fn)()
}

// enqueue queues fn on the writer and returns a function that waits for its result. Writes
// enqueued one after another commit in that order, which lets a caller pipeline writes it
// validated against each other (catalog.Store.Submit).
func (s *Store) enqueue(ctx context.Context, fn writeFunc) (wait func() error) {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.writes <- req:
	case <-ctx.Done():
		err := ctx.Err()
		return func() error { return err }
	case <-s.stop:
		return func() error { return errClosed }
	}
	// Once queued, wait whatever ctx says: the write may commit, and its caller must not be
	// told otherwise.
	return func() error {
		err := <-req.done
		if p, ok := err.(*panicError); ok {
			panic(p.String())
		}
		return err
	}
}

// panicError carries a panic in a write (a check function's, say) from the writer goroutine
// back to the goroutine that asked for the write, which panics in its turn: there the server's
// recovery answers one request, where a panic in the writer would end the process.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic in a write: %v", p.value) }
func (p *panicError) String() string {
	return fmt.Sprintf("%v\n\nin the store's writer:\n%s", p.value, p.stack)
}

// run runs one write's statements, turning a panic into a panicError.
func (r *writeReq) run(ctx context.Context, tx *sql.Tx, h *head) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return r.fn(ctx, tx, h)
}

// runWrites is the store's one writer. It takes the writes queued while the previous
// transaction committed and runs them in one transaction, so that the write lock is held for
// one commit (one fsync on PostgreSQL) per batch rather than per write: group commit, which is
// what lets serialised writes keep up with many clients.
func (s *Store) runWrites() {
	defer close(s.writerDone)
	for {
		var batch []*writeReq
		select {
		case r := <-s.writes:
			batch = append(batch, r)
		case <-s.stop:
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-s.writes:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		s.commitBatch(batch)
	}
}

// commitBatch runs a batch of writes in one transaction that holds the write lock: on
// PostgreSQL the store_state row locked FOR UPDATE, on SQLite the database's write lock taken
// by BEGIN IMMEDIATE. When the batch has several writes, each runs under a savepoint, so that
// one that fails (a conflict, a refused check) is undone alone and answered with its error.
// Statements run under the writer's own context: one client going away must not abort the
// transaction the others share.
func (s *Store) commitBatch(batch []*writeReq) {
	ctx := context.Background()
	if s.timeouts.Transaction > 0 {
		// A transaction that outlives its bound holds the write lock from every writer, of
		// this server and of the others sharing the database: give up and roll back.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeouts.Transaction)
		defer cancel()
	}
	fail := func(reqs []*writeReq, err error) {
		for _, r := range reqs {
			r.done <- err
		}
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		fail(batch, fmt.Errorf("begin write: %w", err))
		return
	}
	defer tx.Rollback()
	q := `SELECT generation, audit_seq, audit_head FROM store_state WHERE id = 1`
	if s.engine == EnginePostgres {
		q += ` FOR UPDATE`
	}
	var h head
	if err := tx.QueryRowContext(ctx, q).Scan(&h.generation, &h.seq, &h.hash); err != nil {
		fail(batch, fmt.Errorf("lock store state: %w", err))
		return
	}
	multi := len(batch) > 1
	var done []*writeReq
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		if !multi {
			if err := r.run(ctx, tx, &h); err != nil {
				r.done <- err
				return
			}
			done = append(done, r)
			break
		}
		saved := h
		if _, err := tx.ExecContext(ctx, `SAVEPOINT write`); err != nil {
			fail(append(done, batch[i:]...), fmt.Errorf("savepoint: %w", err))
			return
		}
		if err := r.run(ctx, tx, &h); err != nil {
			if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT write`); rerr != nil {
				r.done <- err
				fail(append(done, batch[i+1:]...), fmt.Errorf("roll back a failed write: %w", rerr))
				return
			}
			h = saved
			r.done <- err
			continue
		}
		if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT write`); err != nil {
			fail(append(done, batch[i:]...), fmt.Errorf("release savepoint: %w", err))
			return
		}
		done = append(done, r)
	}
	if len(done) == 0 {
		return
	}
	if h.dirty {
		if _, err := tx.ExecContext(ctx, `UPDATE store_state SET generation = $1, audit_seq = $2, audit_head = $3 WHERE id = 1`,
			h.generation, h.seq, h.hash); err != nil {
			fail(done, fmt.Errorf("update store state: %w", err))
			return
		}
	}
	if err := tx.Commit(); err != nil {
		fail(done, fmt.Errorf("commit: %w", err))
		return
	}
	fail(done, nil)
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
