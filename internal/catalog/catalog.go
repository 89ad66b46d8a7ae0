// Package catalog is the model as the server keeps it: stored objects with their revisions,
// written all or nothing and only when the whole model stays valid. It is the layer between
// the doors (the API, the web pages, perdura apply) and the storage.
package catalog

import (
	"context"
	"errors"
	"time"

	"github.com/perdura/perdura/internal/model"
)

// Errors the store returns, which callers map to user-facing answers (HTTP status, exit code).
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict: an IfRevision precondition failed (stale revision, or the object exists
	// when it must not).
	ErrConflict = errors.New("revision conflict")
	// ErrManaged: an API or web write to an object that a source (a model folder applied with
	// `perdura apply`) manages.
	ErrManaged = errors.New("managed by a source")
)

// Doors through which a change arrives, recorded on revisions and audit entries.
const (
	DoorFile = "file" // perdura apply
	DoorAPI  = "api"
	DoorWeb  = "web"
	DoorCLI  = "cli" // perdura user add, and other local administration
)

// Actor is who makes a change and through which door.
type Actor struct {
	User   string
	Door   string
	Remote string // client address, where there is one
}

// Object is the stored, current revision of one model object.
type Object struct {
	Kind     model.Kind
	Name     string
	Revision int64 // 1 for a new object, +1 on every change; never reused, even after delete
	// Source names the model folder that manages the object ("" = edited through API or web).
	Source string
	// Document is the whole object as canonical JSON: {apiVersion, kind, metadata, spec}.
	Document  []byte
	UpdatedAt time.Time
	UpdatedBy string
	Door      string
}

// Revision is one past or current version of an object.
type Revision struct {
	Kind     model.Kind
	Name     string
	Revision int64
	Document []byte // nil for a deletion
	Deleted  bool
	Source   string
	At       time.Time
	Actor    string
	Door     string
}

// ListQuery filters and pages a list of objects.
type ListQuery struct {
	Kind   model.Kind // "" = every kind
	Prefix string     // name prefix
	Source string     // "" = any
	Label  string     // "key=value", "" = any
	Sort   string     // "name" (default), "-name", "updated", "-updated"
	Limit  int        // 0 = 100; at most 1000
	Offset int
}

// Change is one object to create, replace or delete in a Write.
type Change struct {
	Kind     model.Kind
	Name     string
	Document []byte // nil deletes the object
	// IfRevision: nil writes unconditionally; 0 requires that the object does not exist;
	// n > 0 requires that its current revision is n.
	IfRevision *int64
	// Source the object is written under. A write whose Source differs from the stored
	// object's non-empty Source fails with ErrManaged unless Force is set (apply --prune and
	// apply of the same source use Source; API/web writes use "").
	Source string
	Force  bool
}

// Check runs inside a write's transaction, under the write lock, and refuses the write by
// returning an error (which Write returns unchanged). generation is the store's generation
// before this write; after reads every object as it would be after the write. A caller that
// validated the write against that same generation need not call after at all: nothing else
// can have been written in between. A successful Write raises the generation by exactly one.
type Check func(generation int64, after func() ([]Object, error)) error

// Store is what the catalog needs from storage; internal/sqlstore implements it.
type Store interface {
	Objects(ctx context.Context, q ListQuery) ([]Object, int, error)
	Object(ctx context.Context, kind model.Kind, name string) (Object, error)
	AllObjects(ctx context.Context) ([]Object, error)
	// Generation increases with every committed write, in this process or another sharing the
	// database, so a cached model can be checked for staleness cheaply.
	Generation(ctx context.Context) (int64, error)
	// Write applies changes all or nothing: every precondition holds, check accepts the
	// result, and the revisions and one audit entry (action, with the changed objects in its
	// detail) are stored in the same transaction. Writes are serialised across processes.
	Write(ctx context.Context, a Actor, action string, changes []Change, check Check) ([]Object, error)
	// Submit is Write in two halves: it returns once the write is queued, with a function
	// that waits for its result; writes submitted one after another commit in that order.
	Submit(ctx context.Context, a Actor, action string, changes []Change, check Check) func() ([]Object, error)
	Revisions(ctx context.Context, kind model.Kind, name string) ([]Revision, error)
	Revision(ctx context.Context, kind model.Kind, name string, rev int64) (Revision, error)
}
