package catalog

import (
	"context"
	"errors"
	"sync"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/lint"
	"github.com/perdura/perdura/internal/model"
)

// File is a model file handed to Apply: its path (as the user knows it, for positions in
// problems) and its YAML content.
type File struct {
	Path    string
	Content []byte
}

// Problem is one reason a write was refused, placed both in the user's file (File, Line,
// Column, for apply) and in the JSON document (Pointer, for the API: "/spec/targets/rto").
type Problem struct {
	Rule    string `json:"rule"`
	Object  string `json:"object,omitempty"`
	Pointer string `json:"pointer,omitempty"`
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// ValidationError refuses a write because the model it would make does not load or has
// lint errors. Nothing was written.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "the change was refused: " + e.Problems[0].Message
	}
	return "the change was refused: " + itoa(len(e.Problems)) + " problems"
}

// IsValidation reports whether err refuses a write for the model's sake, and returns it.
func IsValidation(err error) (*ValidationError, bool) {
	var ve *ValidationError
	ok := errors.As(err, &ve)
	return ve, ok
}

// Snapshot is the stored model at one generation, loaded, compiled and linted once and shared
// by every reader until the next write.
type Snapshot struct {
	Generation int64
	Model      *model.Model
	Graph      *analysis.Graph
	// Estate is the estate report; the findings were made from it. Nil when the model does
	// not load.
	Estate   *analysis.Estate
	Findings []lint.Finding
	Objects  []Object
}

// ApplyResult says what an apply changed.
type ApplyResult struct {
	Source    string   `json:"source"`
	Created   []string `json:"created"`   // kind/name
	Updated   []string `json:"updated"`   // kind/name, only objects whose document changed
	Unchanged int      `json:"unchanged"` // objects already as in the folder
	Deleted   []string `json:"deleted"`   // kind/name, with prune
}

// Catalog is the model as the server keeps it.
type Catalog struct {
	store Store
	cache snapshotCache
	// writeMu serialises the validation of this catalog's writes, so each is validated
	// against the state the ones before it leave and none has to read the whole model inside
	// its transaction; it is released while the store commits (see write).
	writeMu sync.Mutex
	pending int   // writes validated and not yet committed; under writeMu
	provSeq int64 // the last provisional revision handed out (negative); under writeMu
}

// New returns a catalog over a store.
func New(store Store) *Catalog { return &Catalog{store: store} }

// Snapshot returns the current model, loaded and analysed; it is cached per store generation,
// so many readers share one load and a write by another server is seen on the next call.
func (c *Catalog) Snapshot(ctx context.Context) (*Snapshot, error) { return c.snapshot(ctx) }

// Apply stores a model folder's files as the objects of source, all or nothing: the files
// must load, and the whole model they make with every other stored object must lint without
// errors. With prune, objects of source that the files no longer hold are deleted.
func (c *Catalog) Apply(ctx context.Context, a Actor, source string, files []File, prune bool) (ApplyResult, error) {
	return c.apply(ctx, a, source, files, prune)
}

// Put creates or replaces one object from its JSON (or YAML) document. ifRevision as in
// Change. An object that a source manages is refused with ErrManaged (wrapped with the
// source's name); a document that would break the model with a *ValidationError.
func (c *Catalog) Put(ctx context.Context, a Actor, document []byte, ifRevision *int64) (Object, error) {
	return c.put(ctx, a, document, ifRevision)
}

// Delete removes one object; refused when another object refers to it (a ValidationError
// naming the references) or when a source manages it.
func (c *Catalog) Delete(ctx context.Context, a Actor, kind model.Kind, name string, ifRevision *int64) error {
	return c.delete(ctx, a, kind, name, ifRevision)
}

// List, Get, Revisions and Revision read through to the store.
func (c *Catalog) List(ctx context.Context, q ListQuery) ([]Object, int, error) {
	return c.store.Objects(ctx, q)
}

// Get returns one object's current revision.
func (c *Catalog) Get(ctx context.Context, kind model.Kind, name string) (Object, error) {
	return c.store.Object(ctx, kind, name)
}

// Revisions lists an object's revisions, oldest first.
func (c *Catalog) Revisions(ctx context.Context, kind model.Kind, name string) ([]Revision, error) {
	return c.store.Revisions(ctx, kind, name)
}

// Diff is a unified diff of two revisions of an object, rendered as YAML.
func (c *Catalog) Diff(ctx context.Context, kind model.Kind, name string, from, to int64) (string, error) {
	return c.diff(ctx, kind, name, from, to)
}

// Analyze is the impact of a failure on the stored model (CONTRACT.md's JSON).
func (c *Catalog) Analyze(ctx context.Context, f analysis.Failure) (*analysis.Impact, error) {
	s, err := c.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return s.Graph.Impact(f)
}
