package sqlstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/audit"
	"github.com/perdura/perdura/internal/auth"
	"github.com/perdura/perdura/internal/catalog"
	"github.com/perdura/perdura/internal/model"
)

func rev(n int64) *int64 { return &n }

var (
	api   = catalog.Actor{User: "alice", Door: catalog.DoorAPI, Remote: "192.0.2.1"}
	admin = auth.Actor{User: "root", Door: catalog.DoorCLI}
)

func put(kind model.Kind, name string, ifRev *int64) catalog.Change {
	return catalog.Change{Kind: kind, Name: name, Document: doc(string(kind), name, nil), IfRevision: ifRev}
}

func mustWrite(t *testing.T, s *Store, action string, changes ...catalog.Change) []catalog.Object {
	t.Helper()
	out, err := s.Write(context.Background(), api, action, changes, nil)
	if err != nil {
		t.Fatalf("write %s: %v", action, err)
	}
	return out
}

func auditCount(t *testing.T, s *Store) int64 {
	t.Helper()
	n, err := s.VerifyAudit(context.Background())
	if err != nil {
		t.Fatalf("verify audit: %v", err)
	}
	return n
}

func generation(t *testing.T, s *Store) int64 {
	t.Helper()
	g, err := s.Generation(context.Background())
	if err != nil {
		t.Fatalf("generation: %v", err)
	}
	return g
}

// runContract is the storage contract, one body for every engine: open returns a store on a
// fresh, migrated database of the test's own.
func runContract(t *testing.T, open func(t *testing.T) *Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s *Store)
	}{
		{"Engine", testEngine},
		{"ObjectLifecycle", testObjectLifecycle},
		{"Preconditions", testPreconditions},
		{"AllOrNothing", testAllOrNothing},
		{"Managed", testManaged},
		{"Check", testCheck},
		{"CheckPanics", testCheckPanics},
		{"WriteAudit", testWriteAudit},
		{"List", testList},
		{"GenerationAcrossHandles", testGenerationAcrossHandles},
		{"ConcurrentWriters", testConcurrentWriters},
		{"ConcurrentFailures", testConcurrentFailures},
		{"ManyClients", testManyClients},
		{"Users", testUsers},
		{"Sessions", testSessions},
		{"ChangeUser", testChangeUser},
		{"DisableEndsEverything", testDisableEndsEverything},
		{"UsersCheck", testUsersCheck},
		{"UsersCheckConcurrent", testUsersCheckConcurrent},
		{"SessionLimit", testSessionLimit},
		{"SessionLimitConcurrent", testSessionLimitConcurrent},
		{"Tokens", testTokens},
		{"LoginFailures", testLoginFailures},
		{"AuditTrail", testAuditTrail},
		{"AuditTamperChanged", testAuditTamperChanged},
		{"AuditTamperDeleted", testAuditTamperDeleted},
		{"AuditTamperTail", testAuditTamperTail},
		{"Times", testTimes},
		{"MigrateFromEmpty", testMigrateFromEmpty},
		{"MigrateFromPrevious", testMigrateFromPrevious},
		{"NewerSchemaRefused", testNewerSchemaRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func testEngine(t *testing.T, s *Store) {
	if got := s.Engine(); got != EngineSQLite && got != EnginePostgres {
		t.Errorf("Engine() = %q, want sqlite or postgres", got)
	}
	if err := s.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if got := generation(t, s); got != 0 {
		t.Errorf("generation of a new store = %d, want 0", got)
	}
	if got := auditCount(t, s); got != 0 {
		t.Errorf("audit entries of a new store = %d, want 0", got)
	}
}

func testObjectLifecycle(t *testing.T, s *Store) {
	ctx := context.Background()
	mustWrite(t, s, "object.create", put(model.KindService, "orders-db", rev(0)))
	mustWrite(t, s, "object.update", catalog.Change{Kind: model.KindService, Name: "orders-db",
		Document: []byte(`{"v":2}`), IfRevision: rev(1)})
	got, err := s.Object(ctx, model.KindService, "orders-db")
	if err != nil {
		t.Fatalf("Object: %v", err)
	}
	if got.Revision != 2 || string(got.Document) != `{"v":2}` || got.UpdatedBy != "alice" || got.Door != catalog.DoorAPI {
		t.Errorf("Object = rev %d doc %s by %q door %q, want rev 2 {\"v\":2} by alice door api", got.Revision, got.Document, got.UpdatedBy, got.Door)
	}
	del := mustWrite(t, s, "object.delete", catalog.Change{Kind: model.KindService, Name: "orders-db", IfRevision: rev(2)})
	if del[0].Revision != 3 || del[0].Document != nil {
		t.Errorf("deletion returned rev %d doc %q, want rev 3 and no document", del[0].Revision, del[0].Document)
	}
	if _, err := s.Object(ctx, model.KindService, "orders-db"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Object after delete: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Write(ctx, api, "object.delete", []catalog.Change{{Kind: model.KindService, Name: "orders-db"}}, nil); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("delete of a deleted object: err = %v, want ErrNotFound", err)
	}
	// Recreated, it goes on from the deletion's number: revision numbers are never reused.
	re := mustWrite(t, s, "object.create", put(model.KindService, "orders-db", rev(0)))
	if re[0].Revision != 4 {
		t.Errorf("recreated object's revision = %d, want 4", re[0].Revision)
	}
	revs, err := s.Revisions(ctx, model.KindService, "orders-db")
	if err != nil {
		t.Fatalf("Revisions: %v", err)
	}
	var got4 []string
	for _, r := range revs {
		got4 = append(got4, fmt.Sprintf("%d deleted=%v doc=%v", r.Revision, r.Deleted, r.Document != nil))
	}
	want := []string{"1 deleted=false doc=true", "2 deleted=false doc=true", "3 deleted=true doc=false", "4 deleted=false doc=true"}
	if !slices.Equal(got4, want) {
		t.Errorf("revisions = %q, want %q", got4, want)
	}
	r2, err := s.Revision(ctx, model.KindService, "orders-db", 2)
	if err != nil {
		t.Fatalf("Revision 2: %v", err)
	}
	if string(r2.Document) != `{"v":2}` || r2.Actor != "alice" || r2.Door != catalog.DoorAPI || r2.Kind != model.KindService || r2.At.IsZero() {
		t.Errorf("revision 2 = %+v, want its document, actor, door, kind and time", r2)
	}
	if _, err := s.Revision(ctx, model.KindService, "orders-db", 9); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Revision 9: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Revisions(ctx, model.KindSite, "nowhere"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Revisions of an unknown object: err = %v, want ErrNotFound", err)
	}
	all, err := s.AllObjects(ctx)
	if err != nil || len(all) != 1 || all[0].Revision != 4 {
		t.Errorf("AllObjects = %d objects (%v), want the one at revision 4", len(all), err)
	}
	if got := generation(t, s); got != 4 {
		t.Errorf("generation after 4 writes = %d, want 4", got)
	}
}

func testPreconditions(t *testing.T, s *Store) {
	ctx := context.Background()
	mustWrite(t, s, "object.create", put(model.KindSite, "dc-east", nil))
	for _, tc := range []struct {
		name   string
		change catalog.Change
		want   error
		inMsg  string
	}{
		{"create over existing", put(model.KindSite, "dc-east", rev(0)), catalog.ErrConflict, "site/dc-east"},
		{"stale revision", put(model.KindSite, "dc-east", rev(7)), catalog.ErrConflict, "site/dc-east is at revision 1, not 7"},
		{"update of missing", put(model.KindSite, "dc-west", rev(1)), catalog.ErrConflict, "site/dc-west does not exist"},
		{"delete with stale revision", catalog.Change{Kind: model.KindSite, Name: "dc-east", IfRevision: rev(3)}, catalog.ErrConflict, "site/dc-east"},
		{"unconditional update", put(model.KindSite, "dc-east", nil), nil, ""},
		{"matching revision", put(model.KindSite, "dc-east", rev(2)), nil, ""},
	} {
		_, err := s.Write(ctx, api, "object.update", []catalog.Change{tc.change}, nil)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), tc.inMsg) {
			t.Errorf("%s: err = %q, want it to name %q", tc.name, err, tc.inMsg)
		}
	}
	if _, err := s.Write(ctx, api, "x", nil, nil); err == nil {
		t.Errorf("write of no changes: err = nil, want an error")
	}
	if _, err := s.Write(ctx, api, "x", []catalog.Change{put(model.KindSite, "a", nil), put(model.KindSite, "a", nil)}, nil); err == nil {
		t.Errorf("write of one object twice: err = nil, want an error")
	}
}

func testAllOrNothing(t *testing.T, s *Store) {
	ctx := context.Background()
	mustWrite(t, s, "object.create", put(model.KindSite, "dc-east", nil))
	gen, entries := generation(t, s), auditCount(t, s)
	_, err := s.Write(ctx, api, "apply", []catalog.Change{
		put(model.KindService, "new", rev(0)),
		{Kind: model.KindSite, Name: "dc-east", IfRevision: rev(0), Document: []byte(`{}`)},
	}, nil)
	if !errors.Is(err, catalog.ErrConflict) {
		t.Fatalf("write with a failing second change: err = %v, want ErrConflict", err)
	}
	if _, err := s.Object(ctx, model.KindService, "new"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("the first change of a failed write was stored (err = %v)", err)
	}
	if _, err := s.Revisions(ctx, model.KindService, "new"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("a failed write left a revision (err = %v)", err)
	}
	if got := generation(t, s); got != gen {
		t.Errorf("generation after a failed write = %d, want %d", got, gen)
	}
	if got := auditCount(t, s); got != entries {
		t.Errorf("audit entries after a failed write = %d, want %d", got, entries)
	}
}

func testManaged(t *testing.T, s *Store) {
	ctx := context.Background()
	fromFile := catalog.Actor{User: "ops", Door: catalog.DoorFile}
	c := put(model.KindService, "billing", nil)
	c.Source = "northwind"
	if _, err := s.Write(ctx, fromFile, "apply", []catalog.Change{c}, nil); err != nil {
		t.Fatalf("apply: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change catalog.Change
	}{
		{"api update", put(model.KindService, "billing", nil)},
		{"api delete", catalog.Change{Kind: model.KindService, Name: "billing"}},
		{"other source", catalog.Change{Kind: model.KindService, Name: "billing", Document: []byte(`{}`), Source: "elsewhere"}},
	} {
		_, err := s.Write(ctx, api, "object.update", []catalog.Change{tc.change}, nil)
		if !errors.Is(err, catalog.ErrManaged) {
			t.Errorf("%s of a managed object: err = %v, want ErrManaged", tc.name, err)
		} else if !strings.Contains(err.Error(), `service/billing is managed by source "northwind"`) {
			t.Errorf("%s: err = %q, want it to name the object and the source", tc.name, err)
		}
	}
	c.Document = []byte(`{"again":true}`)
	if _, err := s.Write(ctx, fromFile, "apply", []catalog.Change{c}, nil); err != nil {
		t.Errorf("apply of the same source: %v", err)
	}
	forced := put(model.KindService, "billing", nil)
	forced.Force = true
	out, err := s.Write(ctx, api, "object.update", []catalog.Change{forced}, nil)
	if err != nil {
		t.Fatalf("forced write: %v", err)
	}
	if out[0].Source != "" || out[0].Revision != 3 {
		t.Errorf("forced write gave source %q rev %d, want \"\" and 3", out[0].Source, out[0].Revision)
	}
	// Now unmanaged, the API may write it freely.
	if _, err := s.Write(ctx, api, "object.update", []catalog.Change{put(model.KindService, "billing", nil)}, nil); err != nil {
		t.Errorf("api write of an unmanaged object: %v", err)
	}
}

func testCheck(t *testing.T, s *Store) {
	ctx := context.Background()
	mustWrite(t, s, "apply", put(model.KindSite, "a", nil), put(model.KindSite, "b", nil), put(model.KindService, "x", nil))
	gen := generation(t, s)

	var seen []string
	check := func(g int64, read func() ([]catalog.Object, error)) error {
		if g != gen {
			t.Errorf("check saw generation %d, want %d (the one before the write)", g, gen)
		}
		after, err := read()
		if err != nil {
			return err
		}
		seen = nil
		for _, o := range after {
			seen = append(seen, fmt.Sprintf("%s/%s@%d", o.Kind, o.Name, o.Revision))
		}
		return nil
	}
	changes := []catalog.Change{
		{Kind: model.KindSite, Name: "a"},      // deleted
		put(model.KindSite, "b", rev(1)),       // updated
		put(model.KindProvider, "aws", rev(0)), // created
	}
	if _, err := s.Write(ctx, api, "apply", changes, check); err != nil {
		t.Fatalf("write with an accepting check: %v", err)
	}
	want := []string{"Provider/aws@1", "Service/x@1", "Site/b@2"}
	if !slices.Equal(seen, want) {
		t.Errorf("check saw %q, want %q", seen, want)
	}
	if got := generation(t, s); got != gen+1 {
		t.Errorf("generation after the write = %d, want %d", got, gen+1)
	}

	refused := errors.New("the model would have a cycle")
	gen, entries := generation(t, s), auditCount(t, s)
	_, err := s.Write(ctx, api, "apply", []catalog.Change{put(model.KindService, "y", nil), {Kind: model.KindService, Name: "x"}},
		func(int64, func() ([]catalog.Object, error)) error { return refused })
	if err != refused {
		t.Fatalf("write refused by check: err = %v, want the check's error unchanged", err)
	}
	if _, err := s.Object(ctx, model.KindService, "x"); err != nil {
		t.Errorf("a refused write deleted service/x: %v", err)
	}
	if _, err := s.Revisions(ctx, model.KindService, "y"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("a refused write left a revision of service/y (err = %v)", err)
	}
	if got := generation(t, s); got != gen {
		t.Errorf("generation after a refused write = %d, want %d", got, gen)
	}
	if got := auditCount(t, s); got != entries {
		t.Errorf("audit entries after a refused write = %d, want %d", got, entries)
	}
}

// testCheckPanics checks that a panicking check panics in the caller's goroutine, where the
// server's recovery can answer the request, and leaves the store working.
func testCheckPanics(t *testing.T, s *Store) {
	func() {
		defer func() {
			if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "check exploded") {
				t.Errorf("recovered %v, want the check's panic", v)
			}
		}()
		s.Write(context.Background(), api, "object.create", []catalog.Change{put(model.KindSite, "a", nil)},
			func(int64, func() ([]catalog.Object, error)) error { panic("check exploded") })
	}()
	if _, err := s.Object(context.Background(), model.KindSite, "a"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("a write whose check panicked was stored (err = %v)", err)
	}
	mustWrite(t, s, "object.create", put(model.KindSite, "a", nil))
	if got := auditCount(t, s); got != 1 {
		t.Errorf("audit entries = %d, want 1", got)
	}
}

func testWriteAudit(t *testing.T, s *Store) {
	ctx := context.Background()
	c1, c2 := put(model.KindService, "orders-db", nil), put(model.KindSite, "dc-east", nil)
	c1.Source, c2.Source = "northwind", "northwind"
	if _, err := s.Write(ctx, catalog.Actor{User: "ops", Door: catalog.DoorFile, Remote: "10.0.0.1"}, "apply",
		[]catalog.Change{c1, c2}, nil); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, "object.delete", catalog.Change{Kind: model.KindSite, Name: "dc-east", Source: "northwind"})
	// Changes from different sources (an API edit forced over a managed object, say) name none.
	mixed := put(model.KindSite, "dc-west", nil)
	mixed.Source = "other"
	mustWrite(t, s, "object.create", put(model.KindSite, "lab", nil), mixed)
	got, err := s.Audit(ctx, audit.Query{Before: 3})
	if err != nil {
		t.Fatal(err)
	}
	if last, _ := s.Audit(ctx, audit.Query{Limit: 1}); len(last) != 1 || strings.Contains(last[0].Detail, "source") {
		t.Errorf("detail of a write from two sources = %v, want no source", last)
	}
	if len(got) != 2 {
		t.Fatalf("audit entries = %d, want one per write (2)", len(got))
	}
	del, apply := got[0], got[1]
	if apply.Action != "apply" || apply.Actor != "ops" || apply.Door != catalog.DoorFile || apply.Remote != "10.0.0.1" || apply.Target != "" {
		t.Errorf("apply entry = %+v, want action apply by ops through file from 10.0.0.1, no single target", apply)
	}
	wantDetail := `{"source":"northwind","objects":[{"kind":"Service","name":"orders-db","revision":1},{"kind":"Site","name":"dc-east","revision":1}]}`
	if apply.Detail != wantDetail {
		t.Errorf("apply detail = %s, want %s", apply.Detail, wantDetail)
	}
	if del.Action != "object.delete" || del.Target != "site/dc-east" || del.Detail != `{"source":"northwind","objects":[{"kind":"Site","name":"dc-east","revision":2,"deleted":true}]}` {
		t.Errorf("delete entry = %s %s %s, want object.delete site/dc-east with the deletion's revision", del.Action, del.Target, del.Detail)
	}
}

func testList(t *testing.T, s *Store) {
	ctx := context.Background()
	mk := func(kind model.Kind, name, source string, labels map[string]string) catalog.Change {
		return catalog.Change{Kind: kind, Name: name, Document: doc(string(kind), name, labels), Source: source}
	}
	// One object per write, so that updated times differ and follow this order.
	for _, c := range []catalog.Change{
		mk(model.KindService, "orders-db", "nw", map[string]string{"tier": "0"}),
		mk(model.KindService, "orders-api", "nw", map[string]string{"tier": "1"}),
		mk(model.KindService, "Billing", "", map[string]string{"tier": "0"}),
		mk(model.KindSite, "orders-site", "nw", nil),
		mk(model.KindService, "zeta", "", nil),
	} {
		if _, err := s.Write(ctx, api, "object.create", []catalog.Change{c}, nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	names := func(os []catalog.Object) []string {
		var n []string
		for _, o := range os {
			n = append(n, o.Name)
		}
		return n
	}
	for _, tc := range []struct {
		name  string
		q     catalog.ListQuery
		want  []string
		total int
	}{
		{"all by name", catalog.ListQuery{}, []string{"Billing", "orders-api", "orders-db", "orders-site", "zeta"}, 5},
		{"by name descending", catalog.ListQuery{Sort: "-name"}, []string{"zeta", "orders-site", "orders-db", "orders-api", "Billing"}, 5},
		{"by update", catalog.ListQuery{Sort: "updated"}, []string{"orders-db", "orders-api", "Billing", "orders-site", "zeta"}, 5},
		{"by update descending", catalog.ListQuery{Sort: "-updated", Limit: 2}, []string{"zeta", "orders-site"}, 5},
		{"kind", catalog.ListQuery{Kind: model.KindService}, []string{"Billing", "orders-api", "orders-db", "zeta"}, 4},
		{"prefix is case-sensitive", catalog.ListQuery{Prefix: "orders-"}, []string{"orders-api", "orders-db", "orders-site"}, 3},
		{"prefix, no match", catalog.ListQuery{Prefix: "ORDERS"}, []string{}, 0},
		{"source", catalog.ListQuery{Source: "nw", Kind: model.KindService}, []string{"orders-api", "orders-db"}, 2},
		{"label", catalog.ListQuery{Label: "tier=0"}, []string{"Billing", "orders-db"}, 2},
		{"label and page", catalog.ListQuery{Label: "tier=0", Limit: 1, Offset: 1}, []string{"orders-db"}, 2},
		{"label past the end", catalog.ListQuery{Label: "tier=0", Offset: 5}, []string{}, 2},
		{"page", catalog.ListQuery{Limit: 2, Offset: 1}, []string{"orders-api", "orders-db"}, 5},
		{"past the end", catalog.ListQuery{Offset: 10}, []string{}, 5},
	} {
		got, total, err := s.Objects(ctx, tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if n := names(got); !slices.Equal(n, tc.want) || total != tc.total || got == nil {
			t.Errorf("%s: got %q of %d, want %q of %d", tc.name, n, total, tc.want, tc.total)
		}
	}
	for _, q := range []catalog.ListQuery{{Sort: "size"}, {Label: "tier"}, {Label: "=0"}} {
		if _, _, err := s.Objects(ctx, q); err == nil {
			t.Errorf("Objects(%+v): err = nil, want an error", q)
		}
	}
}

func testGenerationAcrossHandles(t *testing.T, s *Store) {
	other := reopen(t, s)
	mustWrite(t, s, "object.create", put(model.KindSite, "a", nil))
	if got := generation(t, other); got != 1 {
		t.Errorf("the other handle sees generation %d, want 1", got)
	}
	mustWrite(t, other, "object.create", put(model.KindSite, "b", nil))
	if got := generation(t, s); got != 2 {
		t.Errorf("the first handle sees generation %d after the other wrote, want 2", got)
	}
	if _, err := s.Object(context.Background(), model.KindSite, "b"); err != nil {
		t.Errorf("the first handle does not see the other's object: %v", err)
	}
	// Both append to one chain.
	if got := auditCount(t, other); got != 2 {
		t.Errorf("audit entries = %d, want 2", got)
	}
}

// testConcurrentWriters has 50 goroutines on two handles (two processes) write 20 times each:
// no write may fail or be lost, and the audit chain must hold.
func testConcurrentWriters(t *testing.T, s *Store) {
	const writers, writes = 50, 20
	handles := []*Store{s, reopen(t, s)}
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers*writes)
	for w := range writers {
		wg.Go(func() {
			st := handles[w%2]
			name := fmt.Sprintf("svc-%02d", w)
			for i := range writes {
				c := catalog.Change{Kind: model.KindService, Name: name, Document: fmt.Appendf(nil, `{"i":%d}`, i), IfRevision: rev(int64(i))}
				if _, err := st.Write(ctx, api, "object.update", []catalog.Change{c}, nil); err != nil {
					errs <- fmt.Errorf("%s write %d: %w", name, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	all, err := s.AllObjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != writers {
		t.Errorf("objects = %d, want %d", len(all), writers)
	}
	for _, o := range all {
		if o.Revision != writes || string(o.Document) != fmt.Sprintf(`{"i":%d}`, writes-1) {
			t.Errorf("%s at revision %d with %s, want revision %d with the last write", o.Name, o.Revision, o.Document, writes)
		}
	}
	if got := generation(t, s); got != writers*writes {
		t.Errorf("generation = %d, want %d", got, writers*writes)
	}
	if got := auditCount(t, s); got != writers*writes {
		t.Errorf("audit entries = %d, want %d", got, writers*writes)
	}
}

// testConcurrentFailures has writes that succeed, conflict and are refused by their check
// arrive together, so that they share transactions: each failure must be undone alone.
func testConcurrentFailures(t *testing.T, s *Store) {
	const n = 30
	ctx := context.Background()
	refused := errors.New("refused")
	var wg sync.WaitGroup
	var mu sync.Mutex
	results := map[string]int{}
	for i := range n {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0: // each its own object: succeeds
				_, err = s.Write(ctx, api, "object.create", []catalog.Change{put(model.KindService, fmt.Sprint("own-", i), rev(0))}, nil)
			case 1: // all the same object: one succeeds, the others conflict
				_, err = s.Write(ctx, api, "object.create", []catalog.Change{put(model.KindService, "contested", rev(0))}, nil)
			case 2: // refused by the check
				_, err = s.Write(ctx, api, "object.create", []catalog.Change{put(model.KindService, fmt.Sprint("refused-", i), nil)},
					func(int64, func() ([]catalog.Object, error)) error { return refused })
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				results["ok"]++
			case errors.Is(err, catalog.ErrConflict):
				results["conflict"]++
			case err == refused:
				results["refused"]++
			default:
				t.Errorf("write %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	want := map[string]int{"ok": n/3 + 1, "conflict": n/3 - 1, "refused": n / 3}
	if fmt.Sprint(results) != fmt.Sprint(want) {
		t.Errorf("results = %v, want %v", results, want)
	}
	all, err := s.AllObjects(ctx)
	if err != nil || len(all) != n/3+1 {
		t.Errorf("objects = %d (%v), want %d", len(all), err, n/3+1)
	}
	for _, o := range all {
		if strings.HasPrefix(o.Name, "refused-") || o.Revision != 1 {
			t.Errorf("stored %s at revision %d, want only accepted objects at revision 1", o.Name, o.Revision)
		}
	}
	if got := generation(t, s); got != n/3+1 {
		t.Errorf("generation = %d, want %d", got, n/3+1)
	}
	if got := auditCount(t, s); got != n/3+1 {
		t.Errorf("audit entries = %d, want %d", got, n/3+1)
	}
}

// testManyClients has 200 clients read and write at once, through everything a request does
// (the issue measures that "database is locked" never surfaces): every call must succeed.
func testManyClients(t *testing.T, s *Store) {
	const clients = 200
	ctx := context.Background()
	if err := s.CreateUser(ctx, admin, auth.User{Name: "alice", Role: auth.RoleEditor}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, admin, auth.Token{ID: "tok", User: "alice", Role: auth.RoleEditor, Hash: []byte("h")}); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, "object.create", put(model.KindSite, "shared", nil))
	var wg sync.WaitGroup
	errs := make(chan error, clients*8)
	for i := range clients {
		wg.Go(func() {
			name := fmt.Sprint("svc-", i)
			try := func(what string, err error) {
				if err != nil {
					errs <- fmt.Errorf("client %d %s: %w", i, what, err)
				}
			}
			_, err := s.Write(ctx, api, "object.create", []catalog.Change{put(model.KindService, name, rev(0))}, nil)
			try("write", err)
			_, err = s.Object(ctx, model.KindSite, "shared")
			try("read", err)
			_, _, err = s.Objects(ctx, catalog.ListQuery{Kind: model.KindService, Limit: 10})
			try("list", err)
			_, err = s.Generation(ctx)
			try("generation", err)
			_, err = s.TokenByHash(ctx, []byte("h"))
			try("token", err)
			try("touch", s.TouchToken(ctx, "tok", time.Now()))
			try("session", s.CreateSession(ctx, auth.Session{IDHash: []byte(name), User: "alice", ExpiresAt: time.Now().Add(time.Hour)}, 0))
			try("login", s.AppendAudit(ctx, "alice", catalog.DoorWeb, "", "login", "user/alice", "{}"))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got, want := auditCount(t, s), int64(3+2*clients); got != want {
		t.Errorf("audit entries = %d, want %d", got, want)
	}
}

func testUsers(t *testing.T, s *Store) {
	ctx := context.Background()
	alice := auth.User{Name: "alice", DisplayName: "Alice", Role: auth.RoleEditor, PasswordHash: "$argon2id$v=19$secret-hash"}
	if err := s.CreateUser(ctx, admin, alice); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	if err := s.CreateUser(ctx, admin, alice); !errors.Is(err, auth.ErrExists) {
		t.Errorf("CreateUser twice: err = %v, want ErrExists", err)
	}
	if err := s.CreateUser(ctx, admin, auth.User{Name: "bob", Role: auth.RoleViewer, PasswordHash: "h2", Disabled: true}); err != nil {
		t.Fatal(err)
	}
	got, err := s.User(ctx, "alice")
	if err != nil {
		t.Fatalf("User: %v", err)
	}
	if got.Name != "alice" || got.DisplayName != "Alice" || got.Role != auth.RoleEditor || got.PasswordHash != alice.PasswordHash || got.Disabled || got.CreatedAt.IsZero() {
		t.Errorf("User = %+v, want %+v with a creation time", got, alice)
	}
	if _, err := s.User(ctx, "carol"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("User(carol): err = %v, want ErrNotFound", err)
	}
	users, err := s.Users(ctx)
	if err != nil || len(users) != 2 || users[0].Name != "alice" || !users[1].Disabled {
		t.Errorf("Users = %+v (%v), want alice and a disabled bob", users, err)
	}
	// An empty hash keeps the password.
	if err := s.UpdateUser(ctx, admin, auth.User{Name: "alice", DisplayName: "Alice A.", Role: auth.RoleAdmin}); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	got, _ = s.User(ctx, "alice")
	if got.Role != auth.RoleAdmin || got.DisplayName != "Alice A." || got.PasswordHash != alice.PasswordHash || !got.CreatedAt.Equal(users[0].CreatedAt) {
		t.Errorf("after UpdateUser = %+v, want role admin, the new name, the old hash and creation time", got)
	}
	if err := s.UpdateUser(ctx, admin, auth.User{Name: "carol"}); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("UpdateUser(carol): err = %v, want ErrNotFound", err)
	}
	// bob is disabled: no new session; a session from before he was disabled goes with him.
	if err := s.CreateSession(ctx, auth.Session{IDHash: []byte("bob-new"), User: "bob", ExpiresAt: time.Now().Add(time.Hour)}, 0); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("CreateSession for a disabled user: err = %v, want ErrNotFound", err)
	}
	exec(t, s, `INSERT INTO sessions (id_hash, user_name, csrf, created_at, expires_at) VALUES ($1, 'bob', '', $2, $2)`,
		[]byte("bob-session"), s.t(time.Now().Add(time.Hour)))
	if err := s.CreateToken(ctx, admin, auth.Token{ID: "tok_b", User: "bob", Role: auth.RoleViewer, Hash: []byte("bob-token")}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, admin, "bob", nil); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if err := s.DeleteUser(ctx, admin, "bob", nil); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("DeleteUser twice: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Session(ctx, []byte("bob-session")); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("a deleted user's session remains (err = %v)", err)
	}
	if _, err := s.TokenByHash(ctx, []byte("bob-token")); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("a deleted user's token remains (err = %v)", err)
	}
	entries, err := s.Audit(ctx, audit.Query{Action: "user."})
	if err != nil {
		t.Fatal(err)
	}
	var acts []string
	for _, e := range entries {
		acts = append(acts, e.Action+" "+e.Target+" by "+e.Actor)
		if strings.Contains(e.Detail, "secret-hash") || strings.Contains(e.Detail, "h2") {
			t.Errorf("audit detail %s holds a password hash", e.Detail)
		}
	}
	want := []string{"user.delete user/bob by root", "user.update user/alice by root", "user.create user/bob by root", "user.create user/alice by root"}
	if !slices.Equal(acts, want) {
		t.Errorf("user audit entries = %q, want %q", acts, want)
	}
	if entries[1].Detail != `{"displayName":"Alice A.","role":"admin","changed":["displayName","role"]}` {
		t.Errorf("user.update detail = %s, want the changed fields", entries[1].Detail)
	}
}

func testSessions(t *testing.T, s *Store) {
	ctx := context.Background()
	if err := s.CreateUser(ctx, admin, auth.User{Name: "alice", Role: auth.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	for i, exp := range []time.Duration{-time.Hour, -time.Second, time.Hour} {
		sess := auth.Session{IDHash: []byte{byte(i)}, User: "alice", CSRF: fmt.Sprint("csrf", i), CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(exp)}
		if err := s.CreateSession(ctx, sess, 0); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}
	if err := s.CreateSession(ctx, auth.Session{IDHash: []byte{9}, User: "nobody", ExpiresAt: now}, 0); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("CreateSession for an unknown user: err = %v, want ErrNotFound", err)
	}
	got, err := s.Session(ctx, []byte{2})
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	want := auth.Session{IDHash: []byte{2}, User: "alice", CSRF: "csrf2", CreatedAt: now.Add(-2 * time.Hour).Truncate(time.Microsecond), ExpiresAt: now.Add(time.Hour).Truncate(time.Microsecond)}
	if !bytes.Equal(got.IDHash, want.IDHash) || got.User != want.User || got.CSRF != want.CSRF || !got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("Session = %+v, want %+v", got, want)
	}
	n, err := s.DeleteExpiredSessions(ctx, now)
	if err != nil || n != 2 {
		t.Errorf("DeleteExpiredSessions = %d (%v), want 2", n, err)
	}
	if _, err := s.Session(ctx, []byte{0}); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("expired session remains (err = %v)", err)
	}
	if err := s.DeleteSession(ctx, []byte{2}); err != nil {
		t.Errorf("DeleteSession: %v", err)
	}
	if _, err := s.Session(ctx, []byte{2}); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("deleted session remains (err = %v)", err)
	}
	if err := s.DeleteSession(ctx, []byte{2}); err != nil {
		t.Errorf("DeleteSession of a missing session: %v, want nil (logout twice)", err)
	}
}

// testChangeUser: a password change ends the user's sessions but the one kept,
// in the transaction that changes the user, and says how many in the audit entry; other
// users' sessions, the user's tokens, and UpdateUser alone leave sessions be.
func testChangeUser(t *testing.T, s *Store) {
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		if err := s.CreateUser(ctx, admin, auth.User{Name: u, Role: auth.RoleEditor, PasswordHash: "old-hash"}); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Now().Add(time.Hour)
	for _, id := range []string{"a1", "a2", "a3", "b1"} {
		user := map[byte]string{'a': "alice", 'b': "bob"}[id[0]]
		if err := s.CreateSession(ctx, auth.Session{IDHash: []byte(id), User: user, CSRF: id, ExpiresAt: exp}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateToken(ctx, admin, auth.Token{ID: "tok_a", User: "alice", Role: auth.RoleViewer, Hash: []byte("alice-token")}); err != nil {
		t.Fatal(err)
	}
	alive := func() []string {
		t.Helper()
		var out []string
		for _, id := range []string{"a1", "a2", "a3", "b1"} {
			_, err := s.Session(ctx, []byte(id))
			switch {
			case err == nil:
				out = append(out, id)
			case !errors.Is(err, auth.ErrNotFound):
				t.Fatalf("Session(%s): %v", id, err)
			}
		}
		return out
	}
	// A re-hash at login goes through UpdateUser: nobody is signed out.
	if err := s.UpdateUser(ctx, admin, auth.User{Name: "alice", Role: auth.RoleEditor, PasswordHash: "rehashed"}); err != nil {
		t.Fatal(err)
	}
	if got := alive(); !slices.Equal(got, []string{"a1", "a2", "a3", "b1"}) {
		t.Errorf("after UpdateUser: sessions %v, want all four", got)
	}

	endSessions := func(a auth.Actor, u auth.User, keep []byte) (int, error) {
		c, err := s.ChangeUser(ctx, a, u, auth.UserChange{EndSessions: true, KeepSession: keep})
		return c.SessionsEnded, err
	}
	n, err := endSessions(auth.Actor{User: "alice", Door: catalog.DoorWeb}, auth.User{Name: "alice", Role: auth.RoleEditor, PasswordHash: "new-hash"}, []byte("a2"))
	if err != nil || n != 2 {
		t.Fatalf("ChangeUser(keep a2) = %d, %v; want 2, nil", n, err)
	}
	if got := alive(); !slices.Equal(got, []string{"a2", "b1"}) {
		t.Errorf("after a change keeping a2: sessions %v, want a2 and bob's b1", got)
	}
	if u, _ := s.User(ctx, "alice"); u.PasswordHash != "new-hash" {
		t.Errorf("hash after ChangeUser = %q, want new-hash", u.PasswordHash)
	}
	if _, err := s.TokenByHash(ctx, []byte("alice-token")); err != nil {
		t.Errorf("alice's token after the change: %v, want it kept", err)
	}
	n, err = endSessions(admin, auth.User{Name: "alice", Role: auth.RoleEditor, PasswordHash: "reset-hash"}, nil)
	if err != nil || n != 1 {
		t.Fatalf("ChangeUser(keep nil) = %d, %v; want 1, nil", n, err)
	}
	if got := alive(); !slices.Equal(got, []string{"b1"}) {
		t.Errorf("after a reset: sessions %v, want only bob's b1", got)
	}
	n, err = endSessions(admin, auth.User{Name: "alice", Role: auth.RoleEditor, PasswordHash: "again"}, nil)
	if err != nil || n != 0 {
		t.Errorf("ChangeUser without sessions = %d, %v; want 0, nil", n, err)
	}
	// An unknown user changes nothing, ends nothing.
	before := auditCount(t, s)
	if _, err := endSessions(admin, auth.User{Name: "carol"}, nil); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("ChangeUser(carol): err = %v, want ErrNotFound", err)
	}
	if got := alive(); !slices.Equal(got, []string{"b1"}) || auditCount(t, s) != before {
		t.Errorf("a refused change ended sessions %v or wrote the audit trail", got)
	}

	entries, err := s.Audit(ctx, audit.Query{Action: "user.update"})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, e := range entries {
		details = append(details, e.Actor+" "+e.Detail)
		if strings.Contains(e.Detail, "hash") {
			t.Errorf("audit detail %s holds a password hash", e.Detail)
		}
	}
	want := []string{
		`root {"role":"editor","changed":["password"],"sessionsEnded":0}`,
		`root {"role":"editor","changed":["password"],"sessionsEnded":1}`,
		`alice {"role":"editor","changed":["password"],"sessionsEnded":2}`,
		`root {"role":"editor","changed":["password"]}`,
	}
	if !slices.Equal(details, want) {
		t.Errorf("user.update entries:\n got %q\nwant %q", details, want)
	}
}

// testDisableEndsEverything: a change that ends sessions and revokes tokens does both for
// the user only, in its transaction, and its audit entry says how many.
func testDisableEndsEverything(t *testing.T, s *Store) {
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		if err := s.CreateUser(ctx, admin, auth.User{Name: u, Role: auth.RoleEditor, PasswordHash: "hash"}); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Now().Add(time.Hour)
	for _, id := range []string{"a1", "a2", "b1"} {
		user := map[byte]string{'a': "alice", 'b': "bob"}[id[0]]
		if err := s.CreateSession(ctx, auth.Session{IDHash: []byte(id), User: user, CSRF: id, ExpiresAt: exp}, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateToken(ctx, admin, auth.Token{ID: "tok_" + id, User: user, Role: auth.RoleViewer, Hash: []byte("hash-" + id)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeToken(ctx, admin, "tok_a2"); err != nil {
		t.Fatal(err)
	}
	c, err := s.ChangeUser(ctx, admin, auth.User{Name: "alice", Role: auth.RoleEditor, Disabled: true},
		auth.UserChange{EndSessions: true, RevokeTokens: true})
	if err != nil || c != (auth.UserChanged{SessionsEnded: 2, TokensRevoked: 1}) {
		t.Fatalf("ChangeUser(disable alice) = %+v, %v; want 2 sessions ended, 1 token revoked", c, err)
	}
	for _, id := range []string{"a1", "a2"} {
		if _, err := s.Session(ctx, []byte(id)); !errors.Is(err, auth.ErrNotFound) {
			t.Errorf("alice's session %s after the disable: err = %v, want ErrNotFound", id, err)
		}
		if tok, err := s.TokenByHash(ctx, []byte("hash-"+id)); err != nil || !tok.Revoked {
			t.Errorf("alice's token %s after the disable: revoked %v, %v; want revoked", id, tok.Revoked, err)
		}
	}
	if _, err := s.Session(ctx, []byte("b1")); err != nil {
		t.Errorf("bob's session after alice's disable: %v", err)
	}
	if tok, err := s.TokenByHash(ctx, []byte("hash-b1")); err != nil || tok.Revoked {
		t.Errorf("bob's token after alice's disable: revoked %v, %v; want it live", tok.Revoked, err)
	}
	entries, err := s.Audit(ctx, audit.Query{Action: "user.update", Limit: 1})
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit: %v %v", entries, err)
	}
	if want := `{"role":"editor","disabled":true,"changed":["disabled"],"sessionsEnded":2,"tokensRevoked":1}`; entries[0].Detail != want {
		t.Errorf("user.update detail = %s, want %s", entries[0].Detail, want)
	}
}

// testUsersCheck: a check sees every user before and after the change inside the write; its
// refusal undoes the change with everything that went with it and writes no audit entry,
// and reaches the caller as it was returned.
func testUsersCheck(t *testing.T, s *Store) {
	ctx := context.Background()
	for _, u := range []auth.User{{Name: "alice", Role: auth.RoleAdmin}, {Name: "bob", Role: auth.RoleEditor}} {
		if err := s.CreateUser(ctx, admin, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateSession(ctx, auth.Session{IDHash: []byte("a1"), User: "alice", ExpiresAt: time.Now().Add(time.Hour)}, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, admin, auth.Token{ID: "tok_a", User: "alice", Role: auth.RoleViewer, Hash: []byte("hash-a")}); err != nil {
		t.Fatal(err)
	}
	refusal := errors.New("refused")
	var seen []string
	check := func(before, after []auth.User) error {
		for _, set := range [][]auth.User{before, after} {
			var names []string
			for _, u := range set {
				names = append(names, fmt.Sprintf("%s:%s:%v", u.Name, u.Role, u.Disabled))
			}
			seen = append(seen, strings.Join(names, ","))
		}
		return refusal
	}
	audits := auditCount(t, s)
	_, err := s.ChangeUser(ctx, admin, auth.User{Name: "alice", Role: auth.RoleViewer, Disabled: true},
		auth.UserChange{EndSessions: true, RevokeTokens: true, Check: check})
	if err != refusal {
		t.Errorf("ChangeUser refused by its check: err = %v, want the check's error itself", err)
	}
	if want := []string{"alice:admin:false,bob:editor:false", "alice:viewer:true,bob:editor:false"}; !slices.Equal(seen, want) {
		t.Errorf("the check saw %q, want %q", seen, want)
	}
	if u, _ := s.User(ctx, "alice"); u.Role != auth.RoleAdmin || u.Disabled {
		t.Errorf("alice after a refused change = %+v, want her unchanged", u)
	}
	if _, err := s.Session(ctx, []byte("a1")); err != nil {
		t.Errorf("alice's session after a refused change: %v", err)
	}
	if tok, _ := s.TokenByHash(ctx, []byte("hash-a")); tok.Revoked {
		t.Errorf("alice's token was revoked by a refused change")
	}
	seen = nil
	if err := s.DeleteUser(ctx, admin, "alice", check); err != refusal {
		t.Errorf("DeleteUser refused by its check: err = %v, want the check's error itself", err)
	}
	if want := []string{"alice:admin:false,bob:editor:false", "bob:editor:false"}; !slices.Equal(seen, want) {
		t.Errorf("the delete's check saw %q, want %q", seen, want)
	}
	if _, err := s.Session(ctx, []byte("a1")); err != nil {
		t.Errorf("alice's session after a refused delete: %v", err)
	}
	if got := auditCount(t, s); got != audits {
		t.Errorf("audit entries after two refused writes = %d, want %d", got, audits)
	}
	// A check that accepts lets the change through.
	if err := s.DeleteUser(ctx, admin, "bob", func(before, after []auth.User) error { return nil }); err != nil {
		t.Errorf("DeleteUser with an accepting check: %v", err)
	}
}

// testUsersCheckConcurrent: concurrent deletes whose check refuses to leave no admin, from
// two handles (two servers): the check runs under the write lock, so exactly one admin stays.
func testUsersCheckConcurrent(t *testing.T, s *Store) {
	ctx := context.Background()
	const n = 8
	for i := range n {
		if err := s.CreateUser(ctx, admin, auth.User{Name: fmt.Sprint("admin-", i), Role: auth.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
	}
	keep := func(before, after []auth.User) error {
		for _, u := range after {
			if u.Role == auth.RoleAdmin {
				return nil
			}
		}
		return errors.New("last admin")
	}
	stores := []*Store{s, reopen(t, s)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var deleted int
	for i := range n {
		wg.Go(func() {
			err := stores[i%2].DeleteUser(ctx, admin, fmt.Sprint("admin-", i), keep)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				deleted++
			case err.Error() != "last admin":
				t.Errorf("delete admin-%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || deleted != n-1 {
		t.Errorf("after %d concurrent deletes: %d deleted, users %+v; want %d deleted and one admin left", n, deleted, users, n-1)
	}
}

// sessionsOf lists the ids of a user's sessions, oldest first.
func sessionsOf(t *testing.T, s *Store, user string) []string {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), `SELECT id_hash FROM sessions WHERE user_name = $1 ORDER BY created_at, id_hash`, user)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id []byte
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, string(id))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// testSessionLimit: creating a session ends the user's oldest beyond the limit, and only
// the user's.
func testSessionLimit(t *testing.T, s *Store) {
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		if err := s.CreateUser(ctx, admin, auth.User{Name: u, Role: auth.RoleViewer}); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	create := func(user, id string, i, keep int) {
		t.Helper()
		sess := auth.Session{IDHash: []byte(id), User: user, CSRF: id, CreatedAt: start.Add(time.Duration(i) * time.Minute), ExpiresAt: start.Add(time.Hour * 24)}
		if err := s.CreateSession(ctx, sess, keep); err != nil {
			t.Fatalf("CreateSession %s: %v", id, err)
		}
	}
	for i := range 4 {
		create("bob", fmt.Sprint("b", i), i, 0)
	}
	for i := range 5 {
		create("alice", fmt.Sprint("a", i), i, 3)
	}
	if got, want := sessionsOf(t, s, "alice"), []string{"a2", "a3", "a4"}; !slices.Equal(got, want) {
		t.Errorf("alice's sessions with a limit of 3 = %q, want the newest %q", got, want)
	}
	if got := sessionsOf(t, s, "bob"); len(got) != 4 {
		t.Errorf("bob's sessions = %q, want his four, without a limit and untouched by alice's", got)
	}
	// A lower limit trims to it at the next login.
	create("alice", "a5", 5, 1)
	if got, want := sessionsOf(t, s, "alice"), []string{"a5"}; !slices.Equal(got, want) {
		t.Errorf("alice's sessions with a limit of 1 = %q, want %q", got, want)
	}
}

// testSessionLimitConcurrent: many logins of one user at once, through two handles (two
// servers), leave exactly the limit, round after round: without a lock between them, two
// logins that commit together each trim what they see and leave one session too many.
func testSessionLimitConcurrent(t *testing.T, s *Store) {
	ctx := context.Background()
	if err := s.CreateUser(ctx, admin, auth.User{Name: "alice", Role: auth.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	const rounds, logins, keep = 20, 16, 5
	stores := []*Store{s, reopen(t, s)}
	for r := range rounds {
		var wg sync.WaitGroup
		for i := range logins {
			wg.Go(func() {
				sess := auth.Session{IDHash: []byte(fmt.Sprint("s", r, "-", i)), User: "alice", ExpiresAt: time.Now().Add(time.Hour)}
				if err := stores[i%2].CreateSession(ctx, sess, keep); err != nil {
					t.Errorf("CreateSession %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if got := sessionsOf(t, s, "alice"); len(got) != keep {
			t.Fatalf("round %d of %d concurrent logins: %d sessions, want %d", r, logins, len(got), keep)
		}
	}
}

func testTokens(t *testing.T, s *Store) {
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		if err := s.CreateUser(ctx, admin, auth.User{Name: u, Role: auth.RoleEditor}); err != nil {
			t.Fatal(err)
		}
	}
	exp := time.Date(2027, 1, 1, 0, 0, 0, 999, time.FixedZone("CET", 3600))
	toks := []auth.Token{
		{ID: "tok_1", Name: "ci", User: "alice", Role: auth.RoleEditor, Hash: []byte("secret-hash-1"), CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), ExpiresAt: &exp},
		{ID: "tok_2", Name: "report", User: "alice", Role: auth.RoleViewer, Hash: []byte("secret-hash-2"), CreatedAt: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)},
		{ID: "tok_3", Name: "bob's", User: "bob", Role: auth.RoleViewer, Hash: []byte("secret-hash-3"), CreatedAt: time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)},
	}
	for _, tok := range toks {
		if err := s.CreateToken(ctx, auth.Actor{User: tok.User, Door: catalog.DoorWeb}, tok); err != nil {
			t.Fatalf("CreateToken %s: %v", tok.ID, err)
		}
	}
	if err := s.CreateToken(ctx, admin, toks[0]); !errors.Is(err, auth.ErrExists) {
		t.Errorf("CreateToken twice: err = %v, want ErrExists", err)
	}
	if err := s.CreateToken(ctx, admin, auth.Token{ID: "tok_9", User: "carol", Hash: []byte("x")}); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("CreateToken for an unknown user: err = %v, want ErrNotFound", err)
	}
	got, err := s.TokenByHash(ctx, []byte("secret-hash-1"))
	if err != nil {
		t.Fatalf("TokenByHash: %v", err)
	}
	if got.ID != "tok_1" || got.Name != "ci" || got.User != "alice" || got.Role != auth.RoleEditor || got.Revoked || got.LastUsed != nil ||
		got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp.Truncate(time.Microsecond)) || !got.CreatedAt.Equal(toks[0].CreatedAt) {
		t.Errorf("TokenByHash = %+v, want %+v", got, toks[0])
	}
	if _, err := s.TokenByHash(ctx, []byte("nope")); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("TokenByHash(unknown): err = %v, want ErrNotFound", err)
	}
	used := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	if err := s.TouchToken(ctx, "tok_2", used); err != nil {
		t.Fatalf("TouchToken: %v", err)
	}
	if err := s.TouchToken(ctx, "tok_9", used); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("TouchToken(unknown): err = %v, want ErrNotFound", err)
	}
	if err := s.RevokeToken(ctx, admin, "tok_2"); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if err := s.RevokeToken(ctx, admin, "tok_9"); !errors.Is(err, auth.ErrNotFound) {
		t.Errorf("RevokeToken(unknown): err = %v, want ErrNotFound", err)
	}
	list, err := s.Tokens(ctx, "alice")
	if err != nil || len(list) != 2 {
		t.Fatalf("Tokens(alice) = %d (%v), want 2", len(list), err)
	}
	if list[1].ID != "tok_2" || !list[1].Revoked || list[1].LastUsed == nil || !list[1].LastUsed.Equal(used) {
		t.Errorf("tok_2 = %+v, want revoked, last used %s", list[1], used)
	}
	if all, err := s.Tokens(ctx, ""); err != nil || len(all) != 3 {
		t.Errorf("Tokens(\"\") = %d (%v), want 3", len(all), err)
	}
	entries, err := s.Audit(ctx, audit.Query{Action: "token."})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 || entries[0].Action != "token.revoke" || entries[0].Target != "token/tok_2" || entries[3].Actor != "alice" || entries[3].Door != catalog.DoorWeb {
		t.Errorf("token audit entries = %+v, want three creations and a revocation", entries)
	}
	for _, e := range entries {
		if strings.Contains(e.Detail, "secret") {
			t.Errorf("audit detail %s holds a token hash", e.Detail)
		}
	}
	// The expiry in UTC at the microsecond precision it is stored with.
	if want := `{"name":"ci","user":"alice","role":"editor","expiresAt":"2026-12-31T23:00:00Z"}`; entries[3].Detail != want {
		t.Errorf("token.create detail = %s, want %s", entries[3].Detail, want)
	}
}

func testLoginFailures(t *testing.T, s *Store) {
	ctx := context.Background()
	base := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := range 5 {
		if err := s.RecordLoginFailure(ctx, "alice", base.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("RecordLoginFailure: %v", err)
		}
	}
	if err := s.RecordLoginFailure(ctx, "192.0.2.1", base); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key   string
		since time.Time
		want  int
	}{
		{"alice", base, 5},
		{"alice", base.Add(3 * time.Minute), 2},
		{"alice", base.Add(time.Hour), 0},
		{"192.0.2.1", base, 1},
		{"bob", base, 0},
	} {
		got, err := s.LoginFailures(ctx, tc.key, tc.since)
		if err != nil || got != tc.want {
			t.Errorf("LoginFailures(%s, %s) = %d (%v), want %d", tc.key, tc.since, got, err, tc.want)
		}
	}
}

func testAuditTrail(t *testing.T, s *Store) {
	ctx := context.Background()
	start := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	s2 := reopen(t, s, WithClock(newClock(start)))
	for _, e := range []struct{ actor, action string }{
		{"alice", "login"}, {"bob", "login.failed"}, {"alice", "logout"}, {"bob", "login"}, {"carol", "login"},
	} {
		if err := s2.AppendAudit(ctx, e.actor, catalog.DoorWeb, "192.0.2.7", e.action, "user/"+e.actor, `{"ok":true}`); err != nil {
			t.Fatalf("AppendAudit: %v", err)
		}
	}
	seqs := func(es []audit.Entry) []int64 {
		var out []int64
		for _, e := range es {
			out = append(out, e.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		q    audit.Query
		want []int64
	}{
		{"all, newest first", audit.Query{}, []int64{5, 4, 3, 2, 1}},
		{"actor", audit.Query{Actor: "bob"}, []int64{4, 2}},
		{"exact action", audit.Query{Action: "login"}, []int64{5, 4, 1}},
		{"action prefix", audit.Query{Action: "login."}, []int64{2}},
		{"since", audit.Query{Since: start.Add(3 * time.Second)}, []int64{5, 4}},
		{"before", audit.Query{Before: 3}, []int64{2, 1}},
		{"limit", audit.Query{Limit: 2}, []int64{5, 4}},
	} {
		got, err := s.Audit(ctx, tc.q)
		if err != nil || !slices.Equal(seqs(got), tc.want) {
			t.Errorf("%s: Audit = %v (%v), want %v", tc.name, seqs(got), err, tc.want)
		}
	}
	got, err := s.Audit(ctx, audit.Query{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := got[0]
	if e.Actor != "carol" || e.Door != catalog.DoorWeb || e.Remote != "192.0.2.7" || e.Target != "user/carol" || e.Detail != `{"ok":true}` ||
		!e.At.Equal(start.Add(4*time.Second)) || e.At.Location() != time.UTC || !bytes.Equal(e.Hash, audit.Hash(e)) {
		t.Errorf("entry 5 = %+v, want carol's login at %s, hashed", e, start.Add(4*time.Second))
	}
	if n := auditCount(t, s); n != 5 {
		t.Errorf("VerifyAudit checked %d, want 5", n)
	}
}

// seedAudit appends n entries and returns the store.
func seedAudit(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := range n {
		if err := s.AppendAudit(context.Background(), fmt.Sprint("user", i+1), catalog.DoorWeb, "", "login", "", "{}"); err != nil {
			t.Fatal(err)
		}
	}
}

func testAuditTamperChanged(t *testing.T, s *Store) {
	seedAudit(t, s, 4)
	exec(t, s, `UPDATE audit SET actor = $1 WHERE seq = $2`, "mallory", 2)
	_, err := s.VerifyAudit(context.Background())
	if err == nil || !strings.Contains(err.Error(), "audit entry 2 ") || !strings.Contains(err.Error(), "changed") {
		t.Errorf("VerifyAudit after changing entry 2: err = %v, want one naming entry 2 as changed", err)
	}
}

func testAuditTamperDeleted(t *testing.T, s *Store) {
	seedAudit(t, s, 4)
	exec(t, s, `DELETE FROM audit WHERE seq = $1`, 2)
	n, err := s.VerifyAudit(context.Background())
	if err == nil || !strings.Contains(err.Error(), "entries 2 to 2 are missing") {
		t.Errorf("VerifyAudit after deleting entry 2: err = %v, want one naming entry 2 missing", err)
	}
	if n != 1 {
		t.Errorf("VerifyAudit checked %d before the gap, want 1", n)
	}
}

func testAuditTamperTail(t *testing.T, s *Store) {
	seedAudit(t, s, 4)
	exec(t, s, `DELETE FROM audit WHERE seq >= $1`, 3)
	_, err := s.VerifyAudit(context.Background())
	if err == nil || !strings.Contains(err.Error(), "entries 3 to 4 are missing") {
		t.Errorf("VerifyAudit after deleting the last two entries: err = %v, want one naming entries 3 to 4", err)
	}
}

// testTimes checks that times come back in UTC at microsecond precision, equal to what was
// hashed, from a clock in another zone with nanoseconds.
func testTimes(t *testing.T, s *Store) {
	ctx := context.Background()
	at := time.Date(2026, 7, 14, 23, 59, 59, 123456789, time.FixedZone("X", -7*3600))
	s2 := reopen(t, s, WithClock(newClock(at)))
	out, err := s2.Write(ctx, api, "object.create", []catalog.Change{put(model.KindSite, "a", nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := at.UTC().Truncate(time.Microsecond)
	got, err := s.Object(ctx, model.KindSite, "a")
	if err != nil {
		t.Fatal(err)
	}
	if !got.UpdatedAt.Equal(want) || got.UpdatedAt.Location() != time.UTC || !out[0].UpdatedAt.Equal(want) {
		t.Errorf("UpdatedAt = %s (written %s), want %s", got.UpdatedAt, out[0].UpdatedAt, want)
	}
	r, _ := s.Revision(ctx, model.KindSite, "a", 1)
	if !r.At.Equal(want) {
		t.Errorf("revision At = %s, want %s", r.At, want)
	}
	es, _ := s.Audit(ctx, audit.Query{})
	if len(es) != 1 || es[0].At != want {
		t.Errorf("audit At = %v, want exactly %s", es, want)
	}
}

func migrationVersions(t *testing.T, s *Store) []int64 {
	t.Helper()
	rows, err := s.r.QueryContext(context.Background(), `SELECT version_id FROM `+migrationsTable+` WHERE is_applied AND version_id > 0 ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// latestMigration is the number of the last schema step.
func latestMigration(t *testing.T, s *Store) int64 {
	t.Helper()
	p, err := migrator(s.w, s.engine)
	if err != nil {
		t.Fatal(err)
	}
	src := p.ListSources()
	return src[len(src)-1].Version
}

func testMigrateFromEmpty(t *testing.T, s *Store) {
	ctx := context.Background()
	latest := latestMigration(t, s)
	if latest < 2 {
		t.Fatalf("latest migration = %d, want at least 2", latest)
	}
	p, err := migrator(s.w, s.engine)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 0); err != nil {
		t.Fatalf("migrate down to empty: %v", err)
	}
	if _, err := s.Object(ctx, model.KindSite, "a"); err == nil {
		t.Fatalf("objects table exists on an empty schema")
	}
	// Two processes start at once on the empty database.
	var wg sync.WaitGroup
	stores := make([]*Store, 2)
	errs := make([]error, 2)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(ctx, s.dsn) })
	}
	wg.Wait()
	for i, st := range stores {
		if errs[i] != nil {
			t.Fatalf("open %d on an empty database: %v", i, errs[i])
		}
		t.Cleanup(func() { st.Close() })
	}
	if got := migrationVersions(t, stores[0]); len(got) == 0 || got[len(got)-1] != latest {
		t.Errorf("migrations recorded = %v, want up to %d", got, latest)
	}
	mustWrite(t, stores[0], "object.create", put(model.KindSite, "a", nil))
	if got := auditCount(t, stores[1]); got != 1 {
		t.Errorf("audit entries after one write = %d, want 1", got)
	}
}

func testMigrateFromPrevious(t *testing.T, s *Store) {
	ctx := context.Background()
	latest := latestMigration(t, s)
	p, err := migrator(s.w, s.engine)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, latest-1); err != nil {
		t.Fatalf("migrate down to %d: %v", latest-1, err)
	}
	if got := migrationVersions(t, s); got[len(got)-1] != latest-1 {
		t.Fatalf("migrations recorded after down = %v, want up to %d", got, latest-1)
	}
	// Data written under the previous schema survives the step.
	mustWrite(t, s, "object.create", put(model.KindSite, "a", nil))
	if err := s.CreateUser(ctx, admin, auth.User{Name: "alice", Role: auth.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	s2 := reopen(t, s)
	if got := migrationVersions(t, s2); got[len(got)-1] != latest {
		t.Errorf("migrations recorded after Open = %v, want up to %d", got, latest)
	}
	if o, err := s2.Object(ctx, model.KindSite, "a"); err != nil || o.Revision != 1 {
		t.Errorf("object written before the step: %+v (%v)", o, err)
	}
	if _, err := s2.User(ctx, "alice"); err != nil {
		t.Errorf("user written before the step: %v", err)
	}
	mustWrite(t, s2, "object.update", put(model.KindSite, "a", rev(1)))
	if got := auditCount(t, s2); got != 3 {
		t.Errorf("audit entries = %d, want 3", got)
	}
	// Opening an up-to-date database applies nothing and changes nothing.
	before := migrationVersions(t, s2)
	reopen(t, s2)
	if after := migrationVersions(t, s2); !slices.Equal(before, after) {
		t.Errorf("migrations after a second Open = %v, want %v", after, before)
	}
}

func testNewerSchemaRefused(t *testing.T, s *Store) {
	latest := latestMigration(t, s)
	exec(t, s, `INSERT INTO `+migrationsTable+` (version_id, is_applied) VALUES ($1, $2)`, latest+1, true)
	_, err := Open(context.Background(), s.dsn)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("schema is at step %d, newer than this perdura knows (%d)", latest+1, latest)) {
		t.Errorf("Open of a database a newer perdura migrated: err = %v, want a refusal naming both steps", err)
	}
}
