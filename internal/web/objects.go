package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

// kindRoute names a kind in URLs: lower case plural, as CONTRACT.md's refs are lower case.
type kindRoute struct {
	plural, singular string
	kind             model.Kind
}

func kinds() []kindRoute {
	return []kindRoute{
		{"functions", "function", model.KindBusinessFunction},
		{"services", "service", model.KindService},
		{"sites", "site", model.KindSite},
		{"providers", "provider", model.KindProvider},
		{"people", "person", model.KindPerson},
		{"teams", "team", model.KindTeam},
		{"plans", "plan", model.KindPlan},
		{"scenarios", "scenario", model.KindScenario},
	}
}

// Document is an object as the YAML format's JSON twin. On output metadata also holds the
// stored revision and, for objects a model folder manages, its source; on input they are
// ignored (the revision goes in If-Match).
type Document struct {
	APIVersion string         `json:"apiVersion" example:"perdura/v1"`
	Kind       string         `json:"kind" example:"Service"`
	Metadata   map[string]any `json:"metadata" doc:"name, labels, ...; on output also revision and source"`
	Spec       map[string]any `json:"spec,omitempty"`

	// raw is the stored document with revision and source spliced in: answers write it as
	// it is, since decoding every document into maps and encoding it again was a third of
	// the cost of reading one object.
	raw json.RawMessage
}

// MarshalJSON writes the stored bytes when there are some.
func (d Document) MarshalJSON() ([]byte, error) {
	if d.raw != nil {
		return d.raw, nil
	}
	type plain Document
	return json.Marshal(plain(d))
}

// documentOf is an object's stored document with revision and source added to metadata.
func documentOf(o catalog.Object) (Document, error) {
	raw, err := withMetadata(o.Document, o.Revision, o.Source)
	if err != nil {
		return Document{}, fmt.Errorf("stored document of %s/%s: %w", o.Kind.RefPrefix(), o.Name, err)
	}
	return Document{raw: raw}, nil
}

// withMetadata inserts "revision" (and "source" when set) at the start of the document's
// metadata object, leaving every other byte as stored.
func withMetadata(doc []byte, rev int64, source string) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if key != "metadata" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return nil, errors.New("metadata is not an object")
		}
		at := int(dec.InputOffset()) // just past metadata's '{'
		add := `"revision":` + strconv.FormatInt(rev, 10)
		if source != "" {
			s, _ := json.Marshal(source)
			add += `,"source":` + string(s)
		}
		if rest := bytes.TrimLeft(doc[at:], " \t\r\n"); len(rest) > 0 && rest[0] != '}' {
			add += ","
		}
		out := make([]byte, 0, len(doc)+len(add))
		out = append(out, doc[:at]...)
		out = append(out, add...)
		return append(out, doc[at:]...), nil
	}
	return nil, errors.New("no metadata")
}

// inputDocument checks a request's document against the route's kind and name and returns
// the JSON the catalog gets: the request's own bytes less the output-only metadata fields,
// so that a document read with GET can be sent back as it is.
func inputDocument(raw []byte, k kindRoute, name string) ([]byte, error) {
	if err := model.CheckNesting(raw); err != nil {
		return nil, badField("", err.Error())
	}
	var d map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return nil, badField("", "malformed JSON: "+err.Error())
	}
	if kind, _ := d["kind"].(string); kind != string(k.kind) {
		return nil, badField("/kind", fmt.Sprintf("expected %q on %s, got %q", k.kind, "/api/v1/"+k.plural, kind))
	}
	md, _ := d["metadata"].(map[string]any)
	if name != "" {
		if got, _ := md["name"].(string); got != name {
			return nil, badField("/metadata/name", fmt.Sprintf("expected %q, the name in the URL, got %q", name, got))
		}
	}
	_, rev := md["revision"]
	_, src := md["source"]
	if !rev && !src {
		return raw, nil
	}
	delete(md, "revision")
	delete(md, "source")
	return json.Marshal(d)
}

// ifMatch parses an If-Match header: a quoted or bare revision, or "*". ok is false when
// the header is absent.
func ifMatch(h string) (rev int64, any, ok bool, err error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false, false, nil
	}
	if h == "*" {
		return 0, true, true, nil
	}
	h = strings.TrimPrefix(h, "W/")
	n, perr := strconv.ParseInt(strings.Trim(h, `"`), 10, 64)
	if perr != nil || n < 1 {
		return 0, false, false, problem(http.StatusBadRequest, "If-Match must be an ETag from this API (a quoted revision such as \"3\") or *",
			ProblemDetail{Header: "If-Match", Message: "expected a revision"})
	}
	return n, false, true, nil
}

func etag(rev int64) string { return `"` + strconv.FormatInt(rev, 10) + `"` }

// ObjectList is a page of objects.
type ObjectList struct {
	Items  []Document `json:"items"`
	Total  int        `json:"total" doc:"How many objects match, over all pages."`
	Limit  int        `json:"limit"`
	Offset int        `json:"offset"`
}

type listInput struct {
	Prefix string `query:"prefix" doc:"Only names starting with this."`
	Source string `query:"source" doc:"Only objects of this model folder (source)."`
	Label  string `query:"label" doc:"Only objects with this label, key=value." pattern:"^[^=]+=.*$"`
	Sort   string `query:"sort" enum:"name,-name,updated,-updated" default:"name"`
	Limit  int    `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	Offset int    `query:"offset" minimum:"0" default:"0"`
}

type listOutput struct{ Body ObjectList }

func (s *server) listObjects(k kindRoute) func(context.Context, *listInput) (*listOutput, error) {
	return func(ctx context.Context, in *listInput) (*listOutput, error) {
		objs, total, err := s.deps.Catalog.List(ctx, catalog.ListQuery{Kind: k.kind, Prefix: in.Prefix,
			Source: in.Source, Label: in.Label, Sort: in.Sort, Limit: in.Limit, Offset: in.Offset})
		if err != nil {
			return nil, err
		}
		out := &listOutput{Body: ObjectList{Items: make([]Document, 0, len(objs)), Total: total, Limit: in.Limit, Offset: in.Offset}}
		for _, o := range objs {
			d, err := documentOf(o)
			if err != nil {
				return nil, err
			}
			out.Body.Items = append(out.Body.Items, d)
		}
		return out, nil
	}
}

type nameInput struct {
	Name string `path:"name" minLength:"1" maxLength:"253"`
}

type objectOutput struct {
	ETag     string `header:"ETag" doc:"The object's revision, quoted: send it back as If-Match."`
	Location string `header:"Location" doc:"On create: the new object's URL."`
	Body     Document
}

func (s *server) objectAnswer(o catalog.Object, _ kindRoute) (*objectOutput, error) {
	d, err := documentOf(o)
	if err != nil {
		return nil, err
	}
	return &objectOutput{ETag: etag(o.Revision), Body: d}, nil
}

func (s *server) getObject(k kindRoute) func(context.Context, *nameInput) (*objectOutput, error) {
	return func(ctx context.Context, in *nameInput) (*objectOutput, error) {
		o, err := s.deps.Catalog.Get(ctx, k.kind, in.Name)
		if err != nil {
			return nil, notFound(err, k, in.Name)
		}
		return s.objectAnswer(o, k)
	}
}

// notFound names the object in a 404.
func notFound(err error, k kindRoute, name string) error {
	if errors.Is(err, catalog.ErrNotFound) {
		return problem(http.StatusNotFound, fmt.Sprintf("no %s named %q", k.singular, name))
	}
	return err
}

type createInput struct {
	Body    Document
	RawBody []byte
}

func (s *server) createObject(k kindRoute) func(context.Context, *createInput) (*objectOutput, error) {
	return func(ctx context.Context, in *createInput) (*objectOutput, error) {
		doc, err := inputDocument(in.RawBody, k, "")
		if err != nil {
			return nil, err
		}
		zero := int64(0) // must not exist yet
		o, err := s.deps.Catalog.Put(ctx, catalogActor(ctx), doc, &zero)
		if errors.Is(err, catalog.ErrConflict) {
			name, _ := in.Body.Metadata["name"].(string)
			return nil, problem(http.StatusConflict, fmt.Sprintf("a %s named %q exists already; change it with PUT", k.singular, name))
		}
		if err != nil {
			return nil, err
		}
		out, err := s.objectAnswer(o, k)
		if out != nil {
			out.Location = "/api/v1/" + k.plural + "/" + o.Name
		}
		return out, err
	}
}

type updateInput struct {
	Name    string `path:"name" minLength:"1" maxLength:"253"`
	IfMatch string `header:"If-Match" doc:"The revision read (the ETag), or * to overwrite whatever is stored. Required: an update without it could undo someone else's."`
	Body    Document
	RawBody []byte
}

// updateObject replaces an object. If-Match is required (428 without it): an unconditional
// replace from a script that read the object earlier would silently undo changes made since.
func (s *server) updateObject(k kindRoute) func(context.Context, *updateInput) (*objectOutput, error) {
	return func(ctx context.Context, in *updateInput) (*objectOutput, error) {
		rev, anyRev, ok, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, problem(http.StatusPreconditionRequired, "send If-Match with the revision you read (the ETag), or If-Match: * to overwrite",
				ProblemDetail{Header: "If-Match", Message: "required"})
		}
		doc, err := inputDocument(in.RawBody, k, in.Name)
		if err != nil {
			return nil, err
		}
		var cond *int64
		if anyRev {
			// "*" matches any current revision, so the object must exist (RFC 9110 13.1.1).
			cur, err := s.deps.Catalog.Get(ctx, k.kind, in.Name)
			if errors.Is(err, catalog.ErrNotFound) {
				return nil, problem(http.StatusPreconditionFailed, fmt.Sprintf("If-Match: * but there is no %s named %q; create it with POST", k.singular, in.Name))
			}
			if err != nil {
				return nil, err
			}
			cond = &cur.Revision
		} else {
			cond = &rev
		}
		o, err := s.deps.Catalog.Put(ctx, catalogActor(ctx), doc, cond)
		if err != nil {
			return nil, s.writeError(ctx, err, k, in.Name, *cond)
		}
		return s.objectAnswer(o, k)
	}
}

// writeError words a refused write: a stale revision is 412 naming the current one, an
// object a model folder manages is 409 naming the folder.
func (s *server) writeError(ctx context.Context, err error, k kindRoute, name string, want int64) error {
	switch {
	case errors.Is(err, catalog.ErrConflict):
		cur, gerr := s.deps.Catalog.Get(ctx, k.kind, name)
		if errors.Is(gerr, catalog.ErrNotFound) {
			return problem(http.StatusPreconditionFailed, fmt.Sprintf("no %s named %q any more", k.singular, name))
		}
		if gerr != nil {
			return gerr
		}
		p := problem(http.StatusPreconditionFailed, fmt.Sprintf("%s/%s is at revision %d, not %d: someone changed it since you read it; read it again and reapply your change",
			k.kind.RefPrefix(), name, cur.Revision, want), ProblemDetail{Header: "If-Match", Message: "stale revision"})
		p.GetHeaders().Set("ETag", etag(cur.Revision))
		return p
	case errors.Is(err, catalog.ErrManaged):
		cur, gerr := s.deps.Catalog.Get(ctx, k.kind, name)
		if gerr != nil {
			return err
		}
		return problem(http.StatusConflict, fmt.Sprintf("%s/%s is managed by the model folder applied as source %q; change it there and run perdura apply",
			k.kind.RefPrefix(), name, cur.Source))
	case errors.Is(err, catalog.ErrNotFound):
		return notFound(err, k, name)
	}
	return err
}

type deleteInput struct {
	Name    string `path:"name" minLength:"1" maxLength:"253"`
	IfMatch string `header:"If-Match" doc:"Optional: delete only while the object is at this revision."`
}

type noContent struct{}

func (s *server) deleteObject(k kindRoute) func(context.Context, *deleteInput) (*noContent, error) {
	return func(ctx context.Context, in *deleteInput) (*noContent, error) {
		rev, anyRev, ok, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		var cond *int64
		if ok && !anyRev {
			cond = &rev
		}
		if err := s.deps.Catalog.Delete(ctx, catalogActor(ctx), k.kind, in.Name, cond); err != nil {
			return nil, s.writeError(ctx, err, k, in.Name, rev)
		}
		return &noContent{}, nil
	}
}

// RevisionInfo is one revision of an object, without its document.
type RevisionInfo struct {
	Revision int64     `json:"revision"`
	Deleted  bool      `json:"deleted"`
	Source   string    `json:"source,omitempty"`
	At       time.Time `json:"at"`
	Actor    string    `json:"actor"`
	Door     string    `json:"door" enum:"file,api,web,cli"`
}

// RevisionList lists an object's revisions, oldest first.
type RevisionList struct {
	Items []RevisionInfo `json:"items"`
}

type revisionsOutput struct{ Body RevisionList }

func revisionInfo(r catalog.Revision) RevisionInfo {
	return RevisionInfo{Revision: r.Revision, Deleted: r.Deleted, Source: r.Source, At: r.At, Actor: r.Actor, Door: r.Door}
}

func (s *server) listRevisions(k kindRoute) func(context.Context, *nameInput) (*revisionsOutput, error) {
	return func(ctx context.Context, in *nameInput) (*revisionsOutput, error) {
		revs, err := s.deps.Catalog.Revisions(ctx, k.kind, in.Name)
		if err != nil {
			return nil, notFound(err, k, in.Name)
		}
		if len(revs) == 0 {
			return nil, notFound(catalog.ErrNotFound, k, in.Name)
		}
		out := &revisionsOutput{Body: RevisionList{Items: make([]RevisionInfo, 0, len(revs))}}
		for _, r := range revs {
			out.Body.Items = append(out.Body.Items, revisionInfo(r))
		}
		return out, nil
	}
}

// Revision is one revision with its document (null for a deletion).
type Revision struct {
	RevisionInfo
	Document *Document `json:"document" doc:"null for a deletion"`
}

type revisionInput struct {
	Name string `path:"name" minLength:"1" maxLength:"253"`
	Rev  int64  `path:"rev" minimum:"1"`
}

type revisionOutput struct{ Body Revision }

func (s *server) getRevision(k kindRoute) func(context.Context, *revisionInput) (*revisionOutput, error) {
	return func(ctx context.Context, in *revisionInput) (*revisionOutput, error) {
		revs, err := s.deps.Catalog.Revisions(ctx, k.kind, in.Name)
		if err != nil {
			return nil, notFound(err, k, in.Name)
		}
		for _, r := range revs {
			if r.Revision != in.Rev {
				continue
			}
			out := &revisionOutput{Body: Revision{RevisionInfo: revisionInfo(r)}}
			if !r.Deleted && r.Document != nil {
				d, err := documentOf(catalog.Object{Kind: r.Kind, Name: r.Name, Revision: r.Revision, Source: r.Source, Document: r.Document})
				if err != nil {
					return nil, err
				}
				out.Body.Document = &d
			}
			return out, nil
		}
		return nil, problem(http.StatusNotFound, fmt.Sprintf("%s/%s has no revision %d", k.kind.RefPrefix(), in.Name, in.Rev))
	}
}

// Diff is a unified diff between two revisions, each rendered as YAML.
type Diff struct {
	From int64  `json:"from"`
	To   int64  `json:"to"`
	Diff string `json:"diff"`
}

type diffInput struct {
	Name string `path:"name" minLength:"1" maxLength:"253"`
	From int64  `query:"from" minimum:"1" required:"true"`
	To   int64  `query:"to" minimum:"1" required:"true"`
}

type diffOutput struct{ Body Diff }

func (s *server) diffObject(k kindRoute) func(context.Context, *diffInput) (*diffOutput, error) {
	return func(ctx context.Context, in *diffInput) (*diffOutput, error) {
		d, err := s.deps.Catalog.Diff(ctx, k.kind, in.Name, in.From, in.To)
		if errors.Is(err, catalog.ErrNotFound) {
			return nil, problem(http.StatusNotFound, fmt.Sprintf("%s/%s has no revision %d or %d", k.kind.RefPrefix(), in.Name, in.From, in.To))
		}
		if err != nil {
			return nil, err
		}
		return &diffOutput{Body: Diff{From: in.From, To: in.To, Diff: d}}, nil
	}
}
