package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

const objectColumns = `kind, name, revision, source, document, updated_at, updated_by, door`

type scanner interface{ Scan(dest ...any) error }

func scanObject(row scanner) (catalog.Object, error) {
	var o catalog.Object
	var kind, doc string
	if err := row.Scan(&kind, &o.Name, &o.Revision, &o.Source, &doc, timeDest{&o.UpdatedAt}, &o.UpdatedBy, &o.Door); err != nil {
		return catalog.Object{}, err
	}
	o.Kind, o.Document = model.Kind(kind), []byte(doc)
	return o, nil
}

// ref names an object the way the command line and the audit trail do: service/orders-db.
func ref(kind model.Kind, name string) string {
	if p := kind.RefPrefix(); p != "" {
		return p + "/" + name
	}
	return strings.ToLower(string(kind)) + "/" + name
}

// Object returns the current revision of one object.
func (s *Store) Object(ctx context.Context, kind model.Kind, name string) (catalog.Object, error) {
	o, err := scanObject(reader{s}.QueryRowContext(ctx, `SELECT `+objectColumns+` FROM objects WHERE kind = $1 AND name = $2`, string(kind), name))
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.Object{}, fmt.Errorf("%s: %w", ref(kind, name), catalog.ErrNotFound)
	}
	if err != nil {
		return catalog.Object{}, fmt.Errorf("read %s: %w", ref(kind, name), err)
	}
	return o, nil
}

// AllObjects returns every current object, by kind and name.
func (s *Store) AllObjects(ctx context.Context) ([]catalog.Object, error) {
	return allObjects(ctx, s.r)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func allObjects(ctx context.Context, db querier) ([]catalog.Object, error) {
	return queryObjects(ctx, db, `SELECT `+objectColumns+` FROM objects ORDER BY kind, name`)
}

func queryObjects(ctx context.Context, db querier, q string, args ...any) ([]catalog.Object, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	defer rows.Close()
	var out []catalog.Object
	for rows.Next() {
		o, err := scanObject(rows)
		if err != nil {
			return nil, fmt.Errorf("list objects: %w", err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list objects: %w", err)
	}
	return out, nil
}

// Generation is the number of committed model writes, read from the one store_state row so
// that it is cheap and sees the writes of every process sharing the database.
func (s *Store) Generation(ctx context.Context) (int64, error) {
	var g int64
	if err := (reader{s}).QueryRowContext(ctx, `SELECT generation FROM store_state WHERE id = 1`).Scan(&g); err != nil {
		return 0, fmt.Errorf("read generation: %w", err)
	}
	return g, nil
}

// Objects lists the current objects that match q, one page of them, and how many match in all.
// The label filter looks inside each document's metadata.labels, which is done here rather
// than in SQL because the two engines' JSON functions differ.
func (s *Store) Objects(ctx context.Context, q catalog.ListQuery) ([]catalog.Object, int, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if q.Kind != "" {
		where = append(where, "kind = "+arg(string(q.Kind)))
	}
	if q.Prefix != "" {
		// substr counts characters on both engines; LIKE would be case-insensitive on SQLite.
		where = append(where, fmt.Sprintf("substr(name, 1, %d) = %s", utf8.RuneCountInString(q.Prefix), arg(q.Prefix)))
	}
	if q.Source != "" {
		where = append(where, "source = "+arg(q.Source))
	}
	var labelKey, labelValue string
	if q.Label != "" {
		var ok bool
		labelKey, labelValue, ok = strings.Cut(q.Label, "=")
		if !ok || labelKey == "" {
			return nil, 0, fmt.Errorf("label filter %q: want key=value", q.Label)
		}
	}
	order, err := orderBy(q.Sort)
	if err != nil {
		return nil, 0, err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	offset := max(q.Offset, 0)
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}

	if q.Label != "" {
		all, err := queryObjects(ctx, s.r, `SELECT `+objectColumns+` FROM objects`+cond+` ORDER BY `+order, args...)
		if err != nil {
			return nil, 0, err
		}
		var match []catalog.Object
		for _, o := range all {
			if hasLabel(o.Document, labelKey, labelValue) {
				match = append(match, o)
			}
		}
		total := len(match)
		if offset >= total {
			return []catalog.Object{}, total, nil
		}
		return match[offset:min(offset+limit, total)], total, nil
	}

	// The count and the page are read in one read transaction, so that they agree.
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: s.snapshot()})
	if err != nil {
		return nil, 0, fmt.Errorf("list objects: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM objects`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count objects: %w", err)
	}
	page, err := queryObjects(ctx, tx, `SELECT `+objectColumns+` FROM objects`+cond+` ORDER BY `+order+
		fmt.Sprintf(` LIMIT %d OFFSET %d`, limit, offset), args...)
	if err != nil {
		return nil, 0, err
	}
	if page == nil {
		page = []catalog.Object{}
	}
	return page, total, nil
}

func orderBy(sort string) (string, error) {
	switch sort {
	case "", "name":
		return "name, kind", nil
	case "-name":
		return "name DESC, kind DESC", nil
	case "updated":
		return "updated_at, kind, name", nil
	case "-updated":
		return "updated_at DESC, kind DESC, name DESC", nil
	}
	return "", fmt.Errorf("sort %q: want name, -name, updated or -updated", sort)
}

// hasLabel reports whether a document's metadata.labels has key set to value.
func hasLabel(doc []byte, key, value string) bool {
	var d struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	if json.Unmarshal(doc, &d) != nil {
		return false
	}
	v, ok := d.Metadata.Labels[key]
	return ok && v == value
}

// Revisions lists every revision of one object, oldest first, deletions included.
func (s *Store) Revisions(ctx context.Context, kind model.Kind, name string) ([]catalog.Revision, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT kind, name, revision, document, deleted, source, at, actor, door
		FROM revisions WHERE kind = $1 AND name = $2 ORDER BY revision`, string(kind), name)
	if err != nil {
		return nil, fmt.Errorf("revisions of %s: %w", ref(kind, name), err)
	}
	defer rows.Close()
	var out []catalog.Revision
	for rows.Next() {
		r, err := scanRevision(rows)
		if err != nil {
			return nil, fmt.Errorf("revisions of %s: %w", ref(kind, name), err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("revisions of %s: %w", ref(kind, name), err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: %w", ref(kind, name), catalog.ErrNotFound)
	}
	return out, nil
}

// Revision returns one revision of one object.
func (s *Store) Revision(ctx context.Context, kind model.Kind, name string, rev int64) (catalog.Revision, error) {
	r, err := scanRevision(s.r.QueryRowContext(ctx, `SELECT kind, name, revision, document, deleted, source, at, actor, door
		FROM revisions WHERE kind = $1 AND name = $2 AND revision = $3`, string(kind), name, rev))
	if errors.Is(err, sql.ErrNoRows) {
		return catalog.Revision{}, fmt.Errorf("%s revision %d: %w", ref(kind, name), rev, catalog.ErrNotFound)
	}
	if err != nil {
		return catalog.Revision{}, fmt.Errorf("%s revision %d: %w", ref(kind, name), rev, err)
	}
	return r, nil
}

func scanRevision(row scanner) (catalog.Revision, error) {
	var r catalog.Revision
	var kind string
	var doc sql.NullString
	if err := row.Scan(&kind, &r.Name, &r.Revision, &doc, &r.Deleted, &r.Source, timeDest{&r.At}, &r.Actor, &r.Door); err != nil {
		return catalog.Revision{}, err
	}
	r.Kind = model.Kind(kind)
	if doc.Valid {
		r.Document = []byte(doc.String)
	}
	return r, nil
}

// writeDetail is the audit detail of a model write: what changed, with the new revisions.
type writeDetail struct {
	Source  string          `json:"source,omitempty"`
	Objects []writeDetailed `json:"objects"`
}

type writeDetailed struct {
	Kind     model.Kind `json:"kind"`
	Name     string     `json:"name"`
	Revision int64      `json:"revision"`
	Deleted  bool       `json:"deleted,omitempty"`
}

type objectKey struct {
	kind model.Kind
	name string
}

// Write applies changes all or nothing, under the cross-process write lock: every
// precondition is checked against the stored objects, check is given the generation before
// the write and can read the whole model as it would be after it (read only if asked for),
// and then the objects, their revisions and one audit entry are stored and the generation
// goes up by one. It returns the written objects in the order of changes; a
// deletion's has a nil Document and the revision that recorded the deletion. check runs on
// the store's writer, holding the write lock: it must not write through the store itself.
func (s *Store) Write(ctx context.Context, a catalog.Actor, action string, changes []catalog.Change, check catalog.Check) ([]catalog.Object, error) {
	return s.Submit(ctx, a, action, changes, check)()
}

// Submit is Write in two halves: it returns once the write is queued, with a function that
// waits for the write's result. Writes submitted one after another commit in that order.
func (s *Store) Submit(ctx context.Context, a catalog.Actor, action string, changes []catalog.Change, check catalog.Check) func() ([]catalog.Object, error) {
	fail := func(err error) func() ([]catalog.Object, error) {
		return func() ([]catalog.Object, error) { return nil, err }
	}
	if len(changes) == 0 {
		return fail(errors.New("write: no changes"))
	}
	seen := make(map[objectKey]bool, len(changes))
	for _, c := range changes {
		if c.Kind == "" || c.Name == "" {
			return fail(fmt.Errorf("write: a change without kind or name (%q %q)", c.Kind, c.Name))
		}
		k := objectKey{c.Kind, c.Name}
		if seen[k] {
			return fail(fmt.Errorf("write: %s changed twice in one write", ref(c.Kind, c.Name)))
		}
		seen[k] = true
	}
	var written []catalog.Object
	wait := s.enqueue(ctx, func(ctx context.Context, tx *sql.Tx, h *head) error {
		now := s.now().UTC().Truncate(time.Microsecond)
		written = make([]catalog.Object, 0, len(changes))
		for _, c := range changes {
			o, err := s.prepareChange(ctx, tx, a, c, now)
			if err != nil {
				return err
			}
			written = append(written, o)
		}
		if check != nil {
			after := func() ([]catalog.Object, error) {
				all, err := allObjects(ctx, tx)
				if err != nil {
					return nil, err
				}
				return applyChanges(all, written), nil
			}
			if err := check(h.generation, after); err != nil {
				return err
			}
		}
		detail := writeDetail{Objects: make([]writeDetailed, len(written))}
		for i, o := range written {
			if err := s.storeChange(ctx, tx, a, changes[i], o); err != nil {
				return err
			}
			detail.Objects[i] = writeDetailed{Kind: o.Kind, Name: o.Name, Revision: o.Revision, Deleted: o.Document == nil}
		}
		// An apply writes everything under one source; name it once.
		if src := changes[0].Source; !slices.ContainsFunc(changes, func(c catalog.Change) bool { return c.Source != src }) {
			detail.Source = src
		}
		target := ""
		if len(written) == 1 {
			target = ref(written[0].Kind, written[0].Name)
		}
		h.generation++
		h.dirty = true
		return s.appendAudit(ctx, tx, h, a.User, a.Door, a.Remote, action, target, mustJSON(detail), now)
	})
	return func() ([]catalog.Object, error) {
		if err := wait(); err != nil {
			return nil, err
		}
		return written, nil
	}
}

// prepareChange checks one change against the stored object and returns the object as the
// write will leave it, with its next revision number, which comes from the revisions table so
// that a deleted and recreated object never reuses a number.
func (s *Store) prepareChange(ctx context.Context, tx *sql.Tx, a catalog.Actor, c catalog.Change, now time.Time) (catalog.Object, error) {
	r := ref(c.Kind, c.Name)
	// One round trip for the stored object's revision and source and the last revision number
	// ever given, while the write lock is held.
	var last int64
	var curRev sql.NullInt64
	var curSource sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COALESCE(MAX(revision), 0) FROM revisions WHERE kind = $1 AND name = $2),
			o.revision, o.source
		FROM (SELECT 1 AS one) AS one LEFT JOIN objects o ON o.kind = $1 AND o.name = $2`,
		string(c.Kind), c.Name).Scan(&last, &curRev, &curSource); err != nil {
		return catalog.Object{}, fmt.Errorf("read %s: %w", r, err)
	}
	exists := curRev.Valid
	if c.IfRevision != nil {
		want := *c.IfRevision
		switch {
		case want == 0 && exists:
			return catalog.Object{}, fmt.Errorf("%w: %s already exists (revision %d)", catalog.ErrConflict, r, curRev.Int64)
		case want > 0 && !exists:
			return catalog.Object{}, fmt.Errorf("%w: %s does not exist (expected revision %d)", catalog.ErrConflict, r, want)
		case want > 0 && curRev.Int64 != want:
			return catalog.Object{}, fmt.Errorf("%w: %s is at revision %d, not %d", catalog.ErrConflict, r, curRev.Int64, want)
		}
	}
	if exists && curSource.String != "" && curSource.String != c.Source && !c.Force {
		return catalog.Object{}, fmt.Errorf("%w: %s is managed by source %q", catalog.ErrManaged, r, curSource.String)
	}
	if c.Document == nil && !exists {
		return catalog.Object{}, fmt.Errorf("delete %s: %w", r, catalog.ErrNotFound)
	}
	return catalog.Object{
		Kind: c.Kind, Name: c.Name, Revision: last + 1, Source: c.Source,
		Document: c.Document, UpdatedAt: now, UpdatedBy: a.User, Door: a.Door,
	}, nil
}

// applyChanges returns the model as it will be: stored objects with written ones replacing,
// adding or (nil Document) removing theirs, by kind and name.
func applyChanges(stored, written []catalog.Object) []catalog.Object {
	byKey := make(map[objectKey]int, len(stored))
	for i, o := range stored {
		byKey[objectKey{o.Kind, o.Name}] = i
	}
	gone := make(map[int]bool)
	for _, w := range written {
		i, ok := byKey[objectKey{w.Kind, w.Name}]
		switch {
		case w.Document == nil:
			gone[i] = true
		case ok:
			stored[i] = w
		default:
			stored = append(stored, w)
		}
	}
	after := stored[:0:0]
	for i, o := range stored {
		if !gone[i] {
			after = append(after, o)
		}
	}
	slices.SortFunc(after, func(x, y catalog.Object) int {
		if c := strings.Compare(string(x.Kind), string(y.Kind)); c != 0 {
			return c
		}
		return strings.Compare(x.Name, y.Name)
	})
	return after
}

func (s *Store) storeChange(ctx context.Context, tx *sql.Tx, a catalog.Actor, c catalog.Change, o catalog.Object) error {
	r := ref(o.Kind, o.Name)
	var doc any
	if o.Document != nil {
		doc = string(o.Document)
		if _, err := tx.ExecContext(ctx, `INSERT INTO objects (`+objectColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (kind, name) DO UPDATE SET revision = excluded.revision, source = excluded.source,
			document = excluded.document, updated_at = excluded.updated_at, updated_by = excluded.updated_by, door = excluded.door`,
			string(o.Kind), o.Name, o.Revision, o.Source, doc, s.t(o.UpdatedAt), o.UpdatedBy, o.Door); err != nil {
			return fmt.Errorf("store %s: %w", r, err)
		}
	} else if _, err := tx.ExecContext(ctx, `DELETE FROM objects WHERE kind = $1 AND name = $2`, string(o.Kind), o.Name); err != nil {
		return fmt.Errorf("delete %s: %w", r, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO revisions (kind, name, revision, document, deleted, source, at, actor, door)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		string(o.Kind), o.Name, o.Revision, doc, o.Document == nil, c.Source, s.t(o.UpdatedAt), a.User, a.Door); err != nil {
		return fmt.Errorf("store revision %d of %s: %w", o.Revision, r, err)
	}
	return nil
}

// mustJSON encodes audit details, which are plain structs that always encode.
func mustJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("encode audit detail: %v", err))
	}
	return strings.TrimSuffix(b.String(), "\n")
}
