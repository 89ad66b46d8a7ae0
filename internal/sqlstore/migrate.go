package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds the schema steps, numbered alike for both engines, with the SQL of each
// engine in its own folder where the dialects differ.
//
//go:embed migrations
var migrations embed.FS

// migrationsTable records which steps a database has.
const migrationsTable = "schema_migrations"

// migrate applies the schema steps up to version (0 = all) with goose. On PostgreSQL a session
// advisory lock keeps two servers starting at once from applying the same step twice; on
// SQLite the single writer connection and BEGIN IMMEDIATE do the same.
func migrate(ctx context.Context, db *sql.DB, engine string, version int64) error {
	p, err := migrator(db, engine)
	if err != nil {
		return err
	}
	// goose has no lock for SQLite: two processes opening one fresh file at once both read
	// the schema's version before either applies a step, and the slower one's step then fails
	// on a table the faster one made. Its transaction rolled back, so trying again, which reads
	// the version anew, is safe; a step that really fails fails every time.
	attempts := 1
	if engine == EngineSQLite {
		attempts = 5
	}
	for i := range attempts {
		if version == 0 {
			_, err = p.Up(ctx)
		} else {
			_, err = p.UpTo(ctx, version)
		}
		if err == nil || i == attempts-1 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("migrate %s schema: %w", engine, ctx.Err())
		case <-time.After(time.Duration(i+1) * 50 * time.Millisecond):
		}
	}
	if err != nil {
		return fmt.Errorf("migrate %s schema: %w", engine, err)
	}
	// goose leaves alone steps it does not know, but this binary's code would not know the
	// tables they made either: refuse rather than write what a newer perdura misreads.
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read %s schema version: %w", engine, err)
	}
	sources := p.ListSources()
	if latest := sources[len(sources)-1].Version; current > latest {
		return fmt.Errorf("the database's schema is at step %d, newer than this perdura knows (%d): run a newer perdura", current, latest)
	}
	return nil
}

func migrator(db *sql.DB, engine string) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations/"+engine)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", engine, err)
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithTableName(migrationsTable), goose.WithDisableGlobalRegistry(true)}
	if engine == EnginePostgres {
		dialect = goose.DialectPostgres
		// A fixed lock id of our own, so that perdura's lock does not collide with another
		// goose user's sharing the database.
		// Retried every second (goose's default is every 5), for up to 5 minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(0x7065726475726101), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, db, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", engine, err)
	}
	return p, nil
}
