// Package sqlstore is Perdura's storage: the only package that imports database/sql. It keeps
// the model's objects with every revision, users, sessions, API tokens and the hash-chained
// audit trail, in embedded SQLite (the default) or PostgreSQL (several servers sharing one
// database). Business rules live in the domain packages (catalog, auth, audit), whose Store
// interfaces this package implements; a write is handed a check function that sees the whole
// model as it would be after the write, inside the same transaction.
package sqlstore

import (
	"github.com/perdura/perdura/internal/audit"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
)

// The storage contract: *Store implements every domain's Store interface.
var (
	_ catalog.Store = (*Store)(nil)
	_ auth.Store    = (*Store)(nil)
	_ audit.Store   = (*Store)(nil)
)
