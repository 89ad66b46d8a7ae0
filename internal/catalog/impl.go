package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aymanbagabas/go-udiff"
	"go.yaml.in/yaml/v3"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/lint"
	"github.com/perdura/perdura/internal/model"
)

// snapshotCache holds the last snapshot and the objects decoded from stored documents, keyed
// by kind, name and revision (a stored revision never changes), so a write decodes only what
// it changes.
type snapshotCache struct {
	mu      sync.Mutex // serialises snapshot loads; readers of a loaded snapshot never take it
	last    *Snapshot
	lastDay string

	stateMu sync.Mutex
	state   *writeState

	decMu   sync.Mutex
	decoded map[revKey]model.Object
}

// revKey names one stored revision of an object.
type revKey struct {
	kind     model.Kind
	name     string
	revision int64
}

// decode turns a stored document into its object, from the cache when the bytes were seen.
// The file name of an object is its kind/name: positions in problems then name the object.
func (c *Catalog) decode(o Object) (model.Object, model.Problems) {
	key := revKey{o.Kind, o.Name, o.Revision}
	c.cache.decMu.Lock()
	obj, ok := c.cache.decoded[key]
	c.cache.decMu.Unlock()
	if ok {
		return obj, nil
	}
	objs, problems := model.Decode(o.Kind.RefPrefix()+"/"+o.Name, o.Document)
	if len(problems) > 0 {
		return nil, problems
	}
	if len(objs) != 1 || objs[0].Kind() != o.Kind || objs[0].Meta().Name != o.Name {
		return nil, model.Problems{{Object: o.Kind.RefPrefix() + "/" + o.Name, Rule: model.RuleEnvelope,
			Msg: "the stored document does not hold exactly this object"}}
	}
	c.cache.decMu.Lock()
	if c.cache.decoded == nil {
		c.cache.decoded = map[revKey]model.Object{}
	}
	c.cache.decoded[key] = objs[0]
	c.cache.decMu.Unlock()
	return objs[0], nil
}

// forget drops decoded objects no stored document has any more, keeping the cache bounded.
func (c *Catalog) forget(current []Object) {
	keep := make(map[revKey]bool, len(current))
	for _, o := range current {
		keep[revKey{o.Kind, o.Name, o.Revision}] = true
	}
	c.cache.decMu.Lock()
	for k := range c.cache.decoded {
		if !keep[k] {
			delete(c.cache.decoded, k)
		}
	}
	c.cache.decMu.Unlock()
}

// built is a model assembled from stored objects (and perhaps new ones), with the documents
// problems point into.
type built struct {
	model    *model.Model
	problems model.Problems
	docs     map[string][]byte // by object file name (kind/name or the request's name)
}

// build decodes (through the cache) and assembles stored objects plus extra decoded objects.
func (c *Catalog) build(stored []Object, extra []model.Object) built {
	b := built{docs: make(map[string][]byte, len(stored))}
	objs := make([]model.Object, 0, len(stored)+len(extra))
	for _, o := range stored {
		b.docs[o.Kind.RefPrefix()+"/"+o.Name] = o.Document
		obj, problems := c.decode(o)
		if len(problems) > 0 {
			b.problems = append(b.problems, problems...)
			continue
		}
		objs = append(objs, obj)
	}
	objs = append(objs, extra...)
	m, problems := model.Assemble(objs)
	b.model = m
	b.problems = append(b.problems, problems...)
	return b
}

func (c *Catalog) snapshot(ctx context.Context) (*Snapshot, error) {
	gen, err := c.store.Generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the model's generation: %w", err)
	}
	day := time.Now().UTC().Format(time.DateOnly) // review and contract findings change by the day
	c.cache.mu.Lock()
	defer c.cache.mu.Unlock()
	if s := c.cache.last; s != nil && s.Generation == gen && c.cache.lastDay == day {
		return s, nil
	}
	objs, err := c.store.AllObjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the model: %w", err)
	}
	b := c.build(objs, nil)
	s := &Snapshot{Generation: gen, Model: b.model, Objects: objs}
	if len(b.problems) > 0 {
		// Only a model stored by an older Perdura with other rules can get here: show why.
		s.Findings = lint.FromProblems(b.problems)
	} else {
		g, err := analysis.Compile(b.model)
		if err != nil {
			return nil, fmt.Errorf("compile the stored model: %w", err)
		}
		s.Graph = g
		s.Estate = g.Estate(ctx)
		if s.Estate == nil {
			return nil, ctx.Err() // the estate sweep stops when ctx ends
		}
		s.Findings = lint.Run(b.model, g, lint.Options{Estate: s.Estate})
	}
	c.forget(objs)
	c.cache.last, c.cache.lastDay = s, day
	return s, nil
}

// writeState is what a write needs of the current model: its objects and the lint errors it
// already has. It is much cheaper than a Snapshot (no estate sweep, no warnings), and every
// write changes the generation, so writes must not pay for a full snapshot each.
type writeState struct {
	generation int64
	objects    []Object
	errors     map[string]bool
}

func (c *Catalog) writeState(ctx context.Context) (*writeState, error) {
	gen, err := c.store.Generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the model's generation: %w", err)
	}
	c.cache.stateMu.Lock()
	defer c.cache.stateMu.Unlock()
	if st := c.cache.state; st != nil && st.generation == gen {
		return st, nil
	}
	objs, err := c.store.AllObjects(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the model: %w", err)
	}
	st := &writeState{generation: gen, objects: objs, errors: map[string]bool{}}
	if b := c.build(objs, nil); len(b.problems) == 0 {
		if g, err := analysis.Compile(b.model); err == nil {
			st.errors = errorKeys(lint.Run(b.model, g, lint.Options{ErrorsOnly: true}))
		}
	}
	c.forget(objs)
	c.cache.state = st
	return st, nil
}

// errorKeys identifies lint errors independently of positions, to tell new errors from old.
func errorKeys(fs []lint.Finding) map[string]bool {
	out := map[string]bool{}
	for _, f := range fs {
		if f.Severity == lint.Error {
			out[f.Rule+"\x00"+f.Object+"\x00"+f.Message] = true
		}
	}
	return out
}

// validate refuses a model that does not load, or that has lint errors the model before the
// write did not have: a write may not make the model worse, and need not fix what it did not
// touch. reqName and reqDoc place problems of a request's own document.
// It returns the lint errors of the model after the write, for the next write's "before".
func (c *Catalog) validate(b built, before map[string]bool, reqName string, reqDoc []byte) (map[string]bool, error) {
	if len(b.problems) > 0 {
		return nil, c.refuse(lint.FromProblems(b.problems), b.docs, reqName, reqDoc)
	}
	g, err := analysis.Compile(b.model)
	if err != nil {
		return nil, &ValidationError{Problems: []Problem{{Rule: model.RuleCycle, Message: err.Error()}}}
	}
	errs := lint.Run(b.model, g, lint.Options{ErrorsOnly: true})
	var fresh []lint.Finding
	for _, f := range errs {
		if !before[f.Rule+"\x00"+f.Object+"\x00"+f.Message] {
			fresh = append(fresh, f)
		}
	}
	if len(fresh) > 0 {
		return nil, c.refuse(fresh, b.docs, reqName, reqDoc)
	}
	return errorKeys(errs), nil
}

// tip is the state a new write validates against: while writes of this catalog are in
// flight, the state they will leave (so writes pipeline into the store's group commit);
// otherwise the store's current state. Called under writeMu.
func (c *Catalog) tip(ctx context.Context) (*writeState, error) {
	if c.pending > 0 {
		c.cache.stateMu.Lock()
		st := c.cache.state
		c.cache.stateMu.Unlock()
		if st != nil {
			return st, nil
		}
	}
	return c.writeState(ctx)
}

func (c *Catalog) setState(st *writeState) {
	c.cache.stateMu.Lock()
	c.cache.state = st
	c.cache.stateMu.Unlock()
}

// write stores changes validated against st, whose after-state has the lint errors after;
// decoded holds the new documents' objects by kind/name. It is called under writeMu, queues
// the write in order, and releases the lock while the store commits, so that the writes of
// many requests share transactions.
//
// The state the write will leave becomes the tip at once, provisionally, for the next writes
// to validate against. The store's check confirms it: when the generation under the write
// lock is st's, exactly the validated state is being written; otherwise (a write before this
// one failed, came in another order, or another server wrote) the check validates the whole
// after-state inside the transaction and the tip is dropped, to be read again.
func (c *Catalog) write(ctx context.Context, a Actor, action string, st *writeState, after map[string]bool, changes []Change, decoded map[string]model.Object) ([]Object, error) {
	next, provisional := c.provisional(st, after, changes, decoded)
	c.setState(next)
	c.pending++
	diverged := false
	// Queued while writeMu is held, so writes reach the store in the order they were
	// validated in; the lock is released only for the wait.
	wait := c.store.Submit(ctx, a, action, changes, func(gen int64, read func() ([]Object, error)) error {
		if gen == st.generation {
			return nil
		}
		diverged = true
		objs, err := read()
		if err != nil {
			return err
		}
		_, err = c.validate(c.build(objs, nil), st.errors, "", nil)
		return err
	})
	c.writeMu.Unlock()
	written, err := wait()
	c.writeMu.Lock()
	c.pending--
	if err != nil || diverged {
		c.setState(nil)
	} else {
		c.settle(provisional, written)
	}
	return written, err
}

// provisional is st with changes applied; the changed objects carry negative revisions until
// the store gives them theirs (settle), and their decoded objects go straight to the cache.
func (c *Catalog) provisional(st *writeState, errs map[string]bool, changes []Change, decoded map[string]model.Object) (*writeState, map[string]int64) {
	changed := make(map[string]Object, len(changes))
	revs := make(map[string]int64, len(changes))
	c.cache.decMu.Lock()
	if c.cache.decoded == nil {
		c.cache.decoded = map[revKey]model.Object{}
	}
	for _, ch := range changes {
		ref := ch.Kind.RefPrefix() + "/" + ch.Name
		c.provSeq--
		o := Object{Kind: ch.Kind, Name: ch.Name, Revision: c.provSeq, Source: ch.Source, Document: ch.Document}
		changed[ref] = o
		revs[ref] = o.Revision
		if d, ok := decoded[ref]; ok && ch.Document != nil {
			c.cache.decoded[revKey{o.Kind, o.Name, o.Revision}] = d
		}
	}
	c.cache.decMu.Unlock()
	next := &writeState{generation: st.generation + 1, errors: errs, objects: make([]Object, 0, len(st.objects)+len(changes))}
	for _, o := range st.objects {
		ref := o.Kind.RefPrefix() + "/" + o.Name
		if w, ok := changed[ref]; ok {
			delete(changed, ref)
			if w.Document == nil {
				continue
			}
			o = w
		}
		next.objects = append(next.objects, o)
	}
	for _, ch := range changes { // new objects, in the order written
		ref := ch.Kind.RefPrefix() + "/" + ch.Name
		if w, ok := changed[ref]; ok && w.Document != nil {
			next.objects = append(next.objects, w)
		}
	}
	return next, revs
}

// settle gives the objects of a committed write their real revisions in the tip. Called
// under writeMu, which every reader of the tip holds too.
func (c *Catalog) settle(provisional map[string]int64, written []Object) {
	c.cache.stateMu.Lock()
	st := c.cache.state
	c.cache.stateMu.Unlock()
	if st == nil {
		return
	}
	real := make(map[string]Object, len(written))
	for _, w := range written {
		real[w.Kind.RefPrefix()+"/"+w.Name] = w
	}
	c.cache.decMu.Lock()
	defer c.cache.decMu.Unlock()
	for i, o := range st.objects {
		ref := o.Kind.RefPrefix() + "/" + o.Name
		w, ok := real[ref]
		if !ok || o.Revision != provisional[ref] || w.Document == nil {
			continue
		}
		if d, ok := c.cache.decoded[revKey{o.Kind, o.Name, o.Revision}]; ok {
			c.cache.decoded[revKey{w.Kind, w.Name, w.Revision}] = d
			delete(c.cache.decoded, revKey{o.Kind, o.Name, o.Revision})
		}
		st.objects[i] = w
	}
}

// refuse turns findings into a ValidationError, with JSON pointers into stored documents and
// the request's document, and file positions for files.
func (c *Catalog) refuse(fs []lint.Finding, docs map[string][]byte, reqName string, reqDoc []byte) error {
	ve := &ValidationError{}
	located := map[string]func(line, col int) string{}
	for _, f := range fs {
		p := Problem{Rule: f.Rule, Object: f.Object, Message: f.Message, File: f.File, Line: f.Line, Column: f.Column}
		doc, ok := docs[f.File]
		if f.File == reqName && reqDoc != nil {
			doc, ok = reqDoc, true
		}
		if ok {
			at, seen := located[f.File]
			if !seen {
				at = pointers(doc)
				located[f.File] = at
			}
			p.Pointer = at(f.Line, f.Column)
			if f.File != reqName {
				p.File, p.Line, p.Column = "", 0, 0 // stored documents have no file the user knows
			}
		}
		ve.Problems = append(ve.Problems, p)
	}
	return ve
}

func (c *Catalog) apply(ctx context.Context, a Actor, source string, files []File, prune bool) (ApplyResult, error) {
	if !sourceName.MatchString(source) {
		return ApplyResult{}, &ValidationError{Problems: []Problem{{Rule: model.RuleValue,
			Message: fmt.Sprintf("source %q: expected letters, digits, '.', '_' or '-', at most 100", source)}}}
	}
	var folder []model.Object
	var problems model.Problems
	for _, f := range files {
		objs, ps := model.Decode(f.Path, f.Content)
		folder = append(folder, objs...)
		problems = append(problems, ps...)
	}
	if len(problems) > 0 {
		problems.Sort()
		return ApplyResult{}, c.refuse(lint.FromProblems(problems), nil, "", nil)
	}
	// A write that races another may find its preconditions stale: apply is idempotent, so
	// it starts again from the new state a few times before giving up.
	for attempt := 0; ; attempt++ {
		res, err := c.applyOnce(ctx, a, source, folder, prune)
		if !errors.Is(err, ErrConflict) || attempt == 3 {
			return res, err
		}
	}
}

var sourceName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)

func (c *Catalog) applyOnce(ctx context.Context, a Actor, source string, folder []model.Object, prune bool) (ApplyResult, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	snap, err := c.tip(ctx)
	if err != nil {
		return ApplyResult{}, err
	}
	res := ApplyResult{Source: source, Created: []string{}, Updated: []string{}, Deleted: []string{}}
	current := map[string]Object{}
	for _, o := range snap.objects {
		current[o.Kind.RefPrefix()+"/"+o.Name] = o
	}
	inFolder := map[string]bool{}
	var changes []Change
	for _, o := range folder {
		ref := model.Ref(o)
		inFolder[ref] = true
		doc, err := Canonical(o)
		if err != nil {
			return res, err
		}
		cur, exists := current[ref]
		if exists && cur.Source != "" && cur.Source != source {
			return res, fmt.Errorf("%w: %s is managed by source %q; apply it from that folder, or remove it there first", ErrManaged, ref, cur.Source)
		}
		rev := int64(0)
		if exists {
			rev = cur.Revision
			if cur.Source == source && bytes.Equal(cur.Document, doc) {
				res.Unchanged++
				continue
			}
			res.Updated = append(res.Updated, ref)
		} else {
			res.Created = append(res.Created, ref)
		}
		changes = append(changes, Change{Kind: o.Kind(), Name: o.Meta().Name, Document: doc, IfRevision: ifRevision(rev), Source: source})
	}
	var rest []Object // stored objects that stay as they are
	for _, o := range snap.objects {
		ref := o.Kind.RefPrefix() + "/" + o.Name
		switch {
		case inFolder[ref]:
		case prune && o.Source == source:
			changes = append(changes, Change{Kind: o.Kind, Name: o.Name, IfRevision: ifRevision(o.Revision), Source: source})
			res.Deleted = append(res.Deleted, ref)
		default:
			rest = append(rest, o)
		}
	}
	slices.Sort(res.Deleted)
	if len(changes) == 0 {
		return res, nil
	}
	// Check against the folder's files first, so problems name the user's file and line.
	after, err := c.validate(c.build(rest, folder), snap.errors, "", nil)
	if err != nil {
		return res, err
	}
	decoded := make(map[string]model.Object, len(folder))
	for _, o := range folder {
		decoded[model.Ref(o)] = o
	}
	_, err = c.write(ctx, a, "apply", snap, after, changes, decoded)
	return res, err
}

// ifRevision is the precondition for an object apply saw at rev: none for an object whose
// write is still in flight (a provisional, negative revision), which the generation check
// of this write covers instead.
func ifRevision(rev int64) *int64 {
	if rev < 0 {
		return nil
	}
	return &rev
}

// requestName is the file name a request's document is decoded under.
const requestName = "request"

func (c *Catalog) put(ctx context.Context, a Actor, document []byte, ifRevision *int64) (Object, error) {
	objs, problems := model.Decode(requestName, document)
	if len(problems) > 0 {
		return Object{}, c.refuse(lint.FromProblems(problems), nil, requestName, document)
	}
	if len(objs) != 1 {
		return Object{}, &ValidationError{Problems: []Problem{{Rule: model.RuleEnvelope, Pointer: "",
			Message: fmt.Sprintf("expected one object, got %d", len(objs))}}}
	}
	o := objs[0]
	ref := model.Ref(o)
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	snap, err := c.tip(ctx)
	if err != nil {
		return Object{}, err
	}
	var rest []Object
	action := "object.create"
	for _, s := range snap.objects {
		if s.Kind == o.Kind() && s.Name == o.Meta().Name {
			action = "object.update"
			continue
		}
		rest = append(rest, s)
	}
	after, err := c.validate(c.build(rest, []model.Object{o}), snap.errors, requestName, document)
	if err != nil {
		return Object{}, err
	}
	doc, err := Canonical(o)
	if err != nil {
		return Object{}, err
	}
	written, err := c.write(ctx, a, action, snap, after, []Change{{Kind: o.Kind(), Name: o.Meta().Name, Document: doc, IfRevision: ifRevision}},
		map[string]model.Object{ref: o})
	if err != nil {
		return Object{}, err
	}
	for _, w := range written {
		if w.Kind == o.Kind() && w.Name == o.Meta().Name {
			return w, nil
		}
	}
	return Object{}, fmt.Errorf("store wrote %s but did not return it", ref)
}

func (c *Catalog) delete(ctx context.Context, a Actor, kind model.Kind, name string, ifRevision *int64) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	snap, err := c.tip(ctx)
	if err != nil {
		return err
	}
	var rest []Object
	found := false
	for _, s := range snap.objects {
		if s.Kind == kind && s.Name == name {
			found = true
			continue
		}
		rest = append(rest, s)
	}
	if !found {
		return fmt.Errorf("%w: %s/%s", ErrNotFound, kind.RefPrefix(), name)
	}
	after, err := c.validate(c.build(rest, nil), snap.errors, "", nil)
	if err != nil {
		return err
	}
	_, err = c.write(ctx, a, "object.delete", snap, after, []Change{{Kind: kind, Name: name, IfRevision: ifRevision}}, nil)
	return err
}

func (c *Catalog) diff(ctx context.Context, kind model.Kind, name string, from, to int64) (string, error) {
	a, err := c.store.Revision(ctx, kind, name, from)
	if err != nil {
		return "", err
	}
	b, err := c.store.Revision(ctx, kind, name, to)
	if err != nil {
		return "", err
	}
	ya, err := asYAML(a.Document)
	if err != nil {
		return "", err
	}
	yb, err := asYAML(b.Document)
	if err != nil {
		return "", err
	}
	label := kind.RefPrefix() + "/" + name
	return udiff.Unified(label+"@"+strconv.FormatInt(from, 10), label+"@"+strconv.FormatInt(to, 10), ya, yb), nil
}

// asYAML renders a stored JSON document as block YAML, keys in their stored order; a
// deletion renders as nothing.
func asYAML(doc []byte) (string, error) {
	if doc == nil {
		return "", nil
	}
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return "", fmt.Errorf("render revision: %w", err)
	}
	var clear func(*yaml.Node)
	clear = func(x *yaml.Node) { // JSON's flow style would make a one-line diff
		x.Style = 0
		for _, c := range x.Content {
			clear(c)
		}
	}
	clear(&n)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return "", fmt.Errorf("render revision: %w", err)
	}
	return buf.String(), nil
}

// envelope is a document as stored: the format's JSON twin, fields in the format's order.
type envelope struct {
	APIVersion string         `json:"apiVersion"`
	Kind       model.Kind     `json:"kind"`
	Metadata   model.Metadata `json:"metadata"`
	Spec       any            `json:"spec"`
}

// Canonical is an object's document as the catalog stores it: indented JSON with one field a
// line, so that a position in it maps to one field (see pointers) and equal objects give
// equal bytes.
func Canonical(o model.Object) ([]byte, error) {
	var spec any
	switch x := o.(type) {
	case *model.BusinessFunction:
		spec = x.Spec
	case *model.Service:
		spec = x.Spec
	case *model.Site:
		spec = x.Spec
	case *model.Provider:
		spec = x.Spec
	case *model.Person:
		spec = x.Spec
	case *model.Team:
		spec = x.Spec
	case *model.Plan:
		spec = x.Spec
	case *model.Scenario:
		spec = x.Spec
	default:
		return nil, fmt.Errorf("canonical: unknown kind %T", o)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(envelope{model.APIVersion, o.Kind(), *o.Meta(), spec}); err != nil {
		return nil, fmt.Errorf("canonical %s: %w", model.Ref(o), err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// pointers parses a document once and returns the JSON pointer (RFC 6901) of the field
// written at line:col of it, or of the nearest field before it; "" for the whole document.
// Once: a refused document may have
// thousands of problems (an empty list item each), and parsing it again for each cost the
// square of its size.
func pointers(doc []byte) func(line, col int) string {
	type at struct {
		line, col int
		ptr       string
	}
	var root yaml.Node
	if yaml.Unmarshal(doc, &root) != nil || len(root.Content) == 0 {
		return func(int, int) string { return "" }
	}
	var all []at
	var walk func(n *yaml.Node, ptr string)
	walk = func(n *yaml.Node, ptr string) {
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := ptr + "/" + escapePointer(n.Content[i].Value)
				all = append(all, at{n.Content[i].Line, n.Content[i].Column, p})
				walk(n.Content[i+1], p)
			}
		case yaml.SequenceNode:
			for i, item := range n.Content {
				p := ptr + "/" + strconv.Itoa(i)
				all = append(all, at{item.Line, item.Column, p})
				walk(item, p)
			}
		default:
			all = append(all, at{n.Line, n.Column, ptr})
		}
	}
	walk(root.Content[0], "")
	// In position order; of fields at one position, the one walked last (the innermost).
	slices.SortStableFunc(all, func(a, b at) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return a.col - b.col
	})
	return func(line, col int) string {
		if line == 0 {
			return ""
		}
		// The last field at or before line:col.
		i, _ := slices.BinarySearchFunc(all, at{line: line, col: col + 1}, func(a, b at) int {
			if a.line != b.line {
				return a.line - b.line
			}
			return a.col - b.col
		})
		if i == 0 {
			return ""
		}
		return all[i-1].ptr
	}
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func itoa(n int) string { return strconv.Itoa(n) }
