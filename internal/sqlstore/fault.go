package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Timeouts bound how long the store waits for its database, so that a database that is slow,
// or that accepts connections and never answers, costs a request seconds and an error rather
// than a request that hangs. Zero turns a bound off.
type Timeouts struct {
	// Connect bounds connecting to PostgreSQL: the TCP connection, TLS and authentication.
	Connect time.Duration
	// Statement bounds one statement. On PostgreSQL it is the session's statement_timeout,
	// and the store waits at most this (and a grace of replyGrace, for the server's own
	// cancellation to arrive) for any reply; on SQLite it is how long a statement waits for
	// a lock another process holds (busy_timeout).
	Statement time.Duration
	// Transaction bounds one write transaction, which holds the write lock: the writer gives
	// up (and rolls back) after it, and on PostgreSQL the server ends a session left idle in
	// a transaction for as long (idle_in_transaction_session_timeout).
	Transaction time.Duration
}

// DefaultTimeouts are the bounds Open uses unless told otherwise.
func DefaultTimeouts() Timeouts {
	return Timeouts{Connect: 5 * time.Second, Statement: 10 * time.Second, Transaction: 60 * time.Second}
}

// WithTimeouts sets how long the store waits for its database (default DefaultTimeouts).
func WithTimeouts(t Timeouts) Option { return func(o *options) { o.timeouts = t } }

// replyGrace is how much longer than its statement timeout the store waits for PostgreSQL to
// answer: a server that is slow but alive cancels the statement itself and says so, which is
// the better error; one that says nothing at all is given up on after this.
const replyGrace = 2 * time.Second

// pgConfig reads a postgres:// URL and applies t to it. Settings the URL makes itself
// (connect_timeout, or statement_timeout in its options) win over t.
func pgConfig(dsn string, t Timeouts) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if t.Connect > 0 && cfg.ConnectTimeout == 0 {
		// ConnectTimeout bounds the whole connection, TLS and authentication included.
		cfg.ConnectTimeout = t.Connect
	}
	setParam := func(name string, d time.Duration) {
		if _, ok := cfg.RuntimeParams[name]; !ok && d > 0 {
			cfg.RuntimeParams[name] = strconv.FormatInt(d.Milliseconds(), 10)
		}
	}
	setParam("statement_timeout", t.Statement)
	setParam("idle_in_transaction_session_timeout", t.Transaction)
	if t.Statement > 0 {
		wait := t.Statement + replyGrace
		dial := cfg.DialFunc
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &replyDeadlineConn{Conn: c, wait: wait}, nil
		}
	}
	return cfg, nil
}

// replyDeadlineConn is a connection to PostgreSQL that waits at most wait for each read. The
// server's statement_timeout bounds a statement on a server that still works; a server that
// accepted the connection and then went silent (hung, or a network path that drops packets
// without a reset) would leave a read blocked for as long as TCP keeps the connection, many
// minutes. pgx reads only when it expects an answer, so a bound on each read is a bound on
// waiting for one. pgx sets deadlines of its own when a context ends: those are kept, and
// each read waits until the earlier of pgx's deadline and its own.
type replyDeadlineConn struct {
	net.Conn
	wait time.Duration

	mu       sync.Mutex
	deadline time.Time // the read deadline pgx set; zero: none
}

func (c *replyDeadlineConn) Read(b []byte) (int, error) {
	c.mu.Lock()
	d := time.Now().Add(c.wait)
	if !c.deadline.IsZero() && c.deadline.Before(d) {
		d = c.deadline
	}
	err := c.Conn.SetReadDeadline(d)
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *replyDeadlineConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	return c.Conn.SetDeadline(t)
}

func (c *replyDeadlineConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	return c.Conn.SetReadDeadline(t)
}

// Unavailable reports whether err says that the database is out of reach, or did not answer
// in time, rather than that the request or the data was wrong: a connection refused, reset or
// timed out, a PostgreSQL that is shutting down or cancelled a statement for its timeout, a
// SQLite file that is locked, unreadable or closed. Such errors are the kind the HTTP layer
// answers with 503 and Retry-After: the server is fine, and the same request may succeed
// later. This is the one place that knows the drivers' errors.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	// A connection that could not be made is unavailability, whatever the server said
	// (a database that does not accept connections, too many clients, a shutdown).
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pgUnavailable(pe.Code)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code, without the extended bits
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
			sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL,
			sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOTADB:
			return true
		}
		return false
	}
	var ne net.Error
	switch {
	case errors.Is(err, errClosed), errors.Is(err, sql.ErrConnDone), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.As(err, &ne), pgconn.Timeout(err):
		return true
	}
	// database/sql does not export the errors of a closed *sql.DB and of the statements
	// prepared on it (the store's statement cache).
	msg := err.Error()
	return strings.Contains(msg, "sql: database is closed") || strings.Contains(msg, "sql: statement is closed")
}

// pgUnavailable reports whether a PostgreSQL SQLSTATE says the server cannot serve now.
func pgUnavailable(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"), // connection exception
		strings.HasPrefix(code, "53"), // insufficient resources: disk full, too many connections
		strings.HasPrefix(code, "57"), // operator intervention: shutdown, statement_timeout (57014)
		strings.HasPrefix(code, "58"), // system error: I/O
		code == "25P03",               // idle_in_transaction_session_timeout
		code == "55P03":               // lock_not_available
		return true
	}
	return false
}
