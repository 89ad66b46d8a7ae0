package catalog_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
	"github.com/perdura/perdura/internal/sqlstore"
)

var actor = catalog.Actor{User: "tester", Door: catalog.DoorAPI}

func newCatalog(t *testing.T) (*catalog.Catalog, *sqlstore.Store) {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return catalog.New(st), st
}

// baseFiles reads the linter's clean base model as apply would get it.
func baseFiles(t *testing.T) []catalog.File {
	t.Helper()
	b, err := os.ReadFile("../lint/testdata/base/model.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return []catalog.File{{Path: "model/base.yaml", Content: b}}
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	c, _ := newCatalog(t)
	erin := catalog.File{Path: "model/erin.yaml", Content: []byte("apiVersion: perdura/v1\nkind: Person\nmetadata: {name: erin}\nspec: {email: e@example.com}\n")}
	res, err := c.Apply(ctx, actor, "base", append(baseFiles(t), erin), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Created) != 17 || len(res.Updated) != 0 || res.Unchanged != 0 {
		t.Errorf("first apply: %+v", res)
	}
	res, err = c.Apply(ctx, actor, "base", append(baseFiles(t), erin), false)
	if err != nil || len(res.Created)+len(res.Updated)+len(res.Deleted) != 0 || res.Unchanged != 17 {
		t.Errorf("second apply changed something: %+v, %v", res, err)
	}
	// Change one field and leave erin out: one update, and with prune one deletion.
	files := baseFiles(t)
	files[0].Content = []byte(strings.Replace(string(files[0].Content), "recovery: {strategy: hot-standby, time: 30m}", "recovery: {strategy: hot-standby, time: 20m}", 1))
	res, err = c.Apply(ctx, actor, "base", files, true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Updated, ",") != "service/web" || strings.Join(res.Deleted, ",") != "person/erin" {
		t.Errorf("apply with prune: %+v", res)
	}
	revs, err := c.Revisions(ctx, model.KindService, "web")
	if err != nil || len(revs) != 2 {
		t.Fatalf("revisions of web: %d, %v", len(revs), err)
	}
	diff, err := c.Diff(ctx, model.KindService, "web", 1, 2)
	if err != nil || !strings.Contains(diff, "-    time: 30m") || !strings.Contains(diff, "+    time: 20m") {
		t.Errorf("diff:\n%s\n%v", diff, err)
	}
}

func TestApplyRefusesAllOrNothing(t *testing.T) {
	ctx := context.Background()
	c, st := newCatalog(t)
	if _, err := c.Apply(ctx, actor, "base", baseFiles(t), false); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Generation(ctx)
	for _, tc := range []struct{ name, from, to, rule string }{
		{"lint error", "targets: {rto: 2h, rpo: 15m}", "targets: {rto: 8h, rpo: 15m}", "rto-inherited"},
		{"does not load", "dependsOn: [dns]", "dependsOn: [dnss]", model.RuleReference},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := baseFiles(t)
			files[0].Content = []byte(strings.Replace(string(files[0].Content), tc.from, tc.to, 1))
			// Add a new object too: it must not be stored either.
			files = append(files, catalog.File{Path: "model/extra.yaml", Content: []byte("apiVersion: perdura/v1\nkind: Person\nmetadata: {name: erin}\nspec: {email: e@example.com}\n")})
			_, err := c.Apply(ctx, actor, "base", files, false)
			ve, ok := catalog.IsValidation(err)
			if !ok {
				t.Fatalf("got %v, want a validation error", err)
			}
			p := ve.Problems[0]
			if p.Rule != tc.rule || p.File != "model/base.yaml" || p.Line == 0 {
				t.Errorf("problem = %+v, want rule %s at model/base.yaml:LINE", p, tc.rule)
			}
			after, _ := st.Generation(ctx)
			if after != before {
				t.Error("a refused apply changed the database")
			}
			if _, err := c.Get(ctx, model.KindPerson, "erin"); !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("erin was stored by a refused apply: %v", err)
			}
		})
	}
}

func TestPutAndDelete(t *testing.T) {
	ctx := context.Background()
	c, _ := newCatalog(t)
	if _, err := c.Apply(ctx, actor, "base", baseFiles(t), false); err != nil {
		t.Fatal(err)
	}
	// An object a source manages cannot be written through the API.
	_, err := c.Put(ctx, actor, []byte(`{"apiVersion":"perdura/v1","kind":"Person","metadata":{"name":"alice"},"spec":{"email":"a@x"}}`), nil)
	if !errors.Is(err, catalog.ErrManaged) || !strings.Contains(err.Error(), `"base"`) {
		t.Errorf("put of a managed object: %v", err)
	}
	// Create, then update with the right and a stale revision.
	doc := `{"apiVersion":"perdura/v1","kind":"Service","metadata":{"name":"cache","owner":"team-app"},"spec":{"dependsOn":["dns"],"recovery":{"time":"10m"}}}`
	o, err := c.Put(ctx, actor, []byte(doc), ptr(0))
	if err != nil || o.Revision != 1 {
		t.Fatalf("create: %+v, %v", o, err)
	}
	if _, err := c.Put(ctx, actor, []byte(doc), ptr(0)); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("create of an existing object: %v, want ErrConflict", err)
	}
	if _, err := c.Put(ctx, actor, []byte(strings.Replace(doc, "10m", "20m", 1)), ptr(1)); err != nil {
		t.Errorf("update at revision 1: %v", err)
	}
	if _, err := c.Put(ctx, actor, []byte(doc), ptr(1)); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("update with a stale revision: %v, want ErrConflict", err)
	}
	// A dangling reference is refused with the JSON pointer of the field.
	_, err = c.Put(ctx, actor, []byte(strings.Replace(doc, `["dns"]`, `["dns", "nope"]`, 1)), nil)
	ve, ok := catalog.IsValidation(err)
	if !ok || ve.Problems[0].Pointer != "/spec/dependsOn/1" {
		t.Errorf("dangling reference: %v %+v", err, ve)
	}
	// A request that is not a document at all.
	if _, err := c.Put(ctx, actor, []byte(`{"kind": 7`), nil); err == nil {
		t.Error("malformed JSON accepted")
	}
	// Deleting what others need is refused, naming the referrer.
	err = c.Delete(ctx, actor, model.KindService, "cache", nil)
	if err != nil {
		t.Errorf("delete cache: %v", err)
	}
	if err := c.Delete(ctx, actor, model.KindService, "cache", nil); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

// openShared opens a catalog on the database file dsn, as another server would.
func openShared(t *testing.T, dsn string) *catalog.Catalog {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return catalog.New(st)
}

func TestSnapshotSeesOtherServers(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "shared.db")
	a, b := openShared(t, dsn), openShared(t, dsn)
	s1, err := a.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Apply(ctx, actor, "base", baseFiles(t), false); err != nil {
		t.Fatal(err)
	}
	s2, err := a.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s2 == s1 || len(s2.Model.Services) != 3 || s2.Graph == nil {
		t.Errorf("server a does not see server b's apply: %d services", len(s2.Model.Services))
	}
	if s3, _ := a.Snapshot(ctx); s3 != s2 {
		t.Error("an unchanged model was loaded again")
	}
}

func ptr(n int64) *int64 { return &n }

// TestConcurrentWritesKeepTheModelValid races writes whose validity depends on their order
// (deleting person xi, and creating a team that needs xi), within one catalog, whose writes
// pipeline, and across two catalogs on one database (two servers). Exactly one of each pair
// may succeed, and the stored model must load without a dangling reference.
func TestConcurrentWritesKeepTheModelValid(t *testing.T) {
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "race.db")
	a, b := openShared(t, dsn), openShared(t, dsn)
	if _, err := a.Apply(ctx, actor, "base", baseFiles(t), false); err != nil {
		t.Fatal(err)
	}
	const n = 24
	for i := range n {
		doc := fmt.Sprintf(`{"apiVersion":"perdura/v1","kind":"Person","metadata":{"name":"x%d"},"spec":{"email":"x@example.com"}}`, i)
		if _, err := a.Put(ctx, actor, []byte(doc), nil); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	deleted := make([]error, n)
	teamed := make([]error, n)
	for i := range n {
		del, put := a, a // even: both in one catalog's pipeline
		if i%2 == 1 {
			put = b // odd: two servers
		}
		wg.Add(2)
		go func() {
			defer wg.Done()
			deleted[i] = del.Delete(ctx, actor, model.KindPerson, fmt.Sprintf("x%d", i), nil)
		}()
		go func() {
			defer wg.Done()
			doc := fmt.Sprintf(`{"apiVersion":"perdura/v1","kind":"Team","metadata":{"name":"t%d"},"spec":{"members":["x%d"]}}`, i, i)
			_, teamed[i] = put.Put(ctx, actor, []byte(doc), nil)
		}()
	}
	wg.Wait()
	for i := range n {
		if (deleted[i] == nil) == (teamed[i] == nil) {
			t.Errorf("pair %d: delete x%d: %v; create t%d: %v; want exactly one to succeed", i, i, deleted[i], i, teamed[i])
		}
		for _, err := range []error{deleted[i], teamed[i]} {
			if _, ok := catalog.IsValidation(err); err != nil && !ok {
				t.Errorf("pair %d failed for another reason than validation: %v", i, err)
			}
		}
	}
	snap, err := openShared(t, dsn).Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if snap.Graph == nil {
		t.Fatalf("the stored model does not load: %v", snap.Findings)
	}
	// And each catalog's own view agrees with the store after the race.
	for name, c := range map[string]*catalog.Catalog{"a": a, "b": b} {
		doc := `{"apiVersion":"perdura/v1","kind":"Person","metadata":{"name":"after-` + name + `"},"spec":{"email":"z@example.com"}}`
		if _, err := c.Put(ctx, actor, []byte(doc), ptr(0)); err != nil {
			t.Errorf("catalog %s after the race: %v", name, err)
		}
	}
}
