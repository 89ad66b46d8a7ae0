package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/perdura/perdura/internal/auth"
)

// site is a Site document the test model accepts.
func site(name, recovery string) map[string]any {
	return map[string]any{
		"apiVersion": "perdura/v1", "kind": "Site",
		"metadata": map[string]any{"name": name},
		"spec":     map[string]any{"type": "datacenter", "recovery": map[string]any{"time": recovery}},
	}
}

func TestObjectLifecycle(t *testing.T) {
	e := newEnv(t)
	ed := e.as(auth.RoleEditor)

	r := ed.do("POST", "/api/v1/sites", site("dc-c", "1d"), nil)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create: status %d, want 201; body %s", r.StatusCode, r.body)
	}
	if got := r.Header.Get("ETag"); got != `"1"` {
		t.Errorf("create: ETag %q, want \"1\"", got)
	}
	if got := r.Header.Get("Location"); got != "/api/v1/sites/dc-c" {
		t.Errorf("create: Location %q, want /api/v1/sites/dc-c", got)
	}
	var doc Document
	r.json(t, &doc)
	if doc.Kind != "Site" || doc.Metadata["name"] != "dc-c" || doc.Metadata["revision"] != float64(1) {
		t.Errorf("create answered %s; want the Site with metadata.revision 1", r.body)
	}
	if _, ok := doc.Metadata["source"]; ok {
		t.Errorf("an API-made object has metadata.source: %s", r.body)
	}

	if r := ed.do("POST", "/api/v1/sites", site("dc-c", "1d"), nil); r.StatusCode != http.StatusConflict {
		t.Errorf("create again: status %d, want 409; body %s", r.StatusCode, r.body)
	}

	// A document read with GET can be sent back as it is: revision and source are output only.
	r = ed.do("GET", "/api/v1/sites/dc-c", nil, nil)
	if r.StatusCode != 200 || r.Header.Get("ETag") != `"1"` {
		t.Fatalf("get: status %d ETag %q; body %s", r.StatusCode, r.Header.Get("ETag"), r.body)
	}
	r.json(t, &doc)
	doc.Spec["recovery"] = map[string]any{"time": "12h"}

	if r := ed.do("PUT", "/api/v1/sites/dc-c", doc, nil); r.StatusCode != http.StatusPreconditionRequired {
		t.Errorf("update without If-Match: status %d, want 428; body %s", r.StatusCode, r.body)
	}
	r = ed.do("PUT", "/api/v1/sites/dc-c", doc, map[string]string{"If-Match": `"1"`})
	if r.StatusCode != 200 || r.Header.Get("ETag") != `"2"` {
		t.Fatalf("update: status %d ETag %q, want 200 \"2\"; body %s", r.StatusCode, r.Header.Get("ETag"), r.body)
	}
	// A second writer who read revision 1 loses nothing silently: 412, and the current ETag.
	doc.Spec["recovery"] = map[string]any{"time": "6h"}
	r = ed.do("PUT", "/api/v1/sites/dc-c", doc, map[string]string{"If-Match": `"1"`})
	if r.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("stale update: status %d, want 412; body %s", r.StatusCode, r.body)
	}
	r.problem(t)
	if r.Header.Get("ETag") != `"2"` {
		t.Errorf("stale update: ETag %q, want the current \"2\"", r.Header.Get("ETag"))
	}
	if r := ed.do("GET", "/api/v1/sites/dc-c", nil, nil); !strings.Contains(string(r.body), `"12h"`) {
		t.Errorf("after the stale update the object is %s; want the 12h of revision 2", r.body)
	}
	if r := ed.do("PUT", "/api/v1/sites/dc-c", site("dc-d", "1h"), map[string]string{"If-Match": `"2"`}); r.StatusCode != 400 {
		t.Errorf("update with another name in the body: status %d, want 400", r.StatusCode)
	}

	// Revisions, one revision, and a diff between them.
	r = ed.do("GET", "/api/v1/sites/dc-c/revisions", nil, nil)
	var revs RevisionList
	r.json(t, &revs)
	if len(revs.Items) != 2 || revs.Items[0].Revision != 1 || revs.Items[1].Actor != "editor" || revs.Items[1].Door != "api" {
		t.Errorf("revisions: %s; want 1 and 2, by editor through the api", r.body)
	}
	r = ed.do("GET", "/api/v1/sites/dc-c/revisions/1", nil, nil)
	if r.StatusCode != 200 || !strings.Contains(string(r.body), `"1d"`) {
		t.Errorf("revision 1: status %d body %s; want the 1d document", r.StatusCode, r.body)
	}
	if r := ed.do("GET", "/api/v1/sites/dc-c/revisions/9", nil, nil); r.StatusCode != 404 {
		t.Errorf("revision 9: status %d, want 404", r.StatusCode)
	}
	r = ed.do("GET", "/api/v1/sites/dc-c/diff?from=1&to=2", nil, nil)
	var d Diff
	r.json(t, &d)
	if !strings.Contains(d.Diff, "-") || !strings.Contains(d.Diff, "12h") {
		t.Errorf("diff: %s; want a unified diff showing 12h", r.body)
	}

	// List: filters, total and paging.
	r = ed.do("GET", "/api/v1/sites?prefix=dc-&limit=2&sort=-name", nil, nil)
	var list ObjectList
	r.json(t, &list)
	if list.Total != 3 || len(list.Items) != 2 || list.Items[0].Metadata["name"] != "dc-c" {
		t.Errorf("list: %s; want total 3, two items, dc-c first", r.body)
	}
	r = ed.do("GET", "/api/v1/sites?source=base", nil, nil)
	r.json(t, &list)
	if list.Total != 2 || list.Items[0].Metadata["source"] != "base" {
		t.Errorf("list by source: %s; want dc-a and dc-b of source base", r.body)
	}

	// Delete with a stale revision, then with the right one.
	if r := ed.do("DELETE", "/api/v1/sites/dc-c", nil, map[string]string{"If-Match": `"1"`}); r.StatusCode != 412 {
		t.Errorf("stale delete: status %d, want 412; body %s", r.StatusCode, r.body)
	}
	if r := ed.do("DELETE", "/api/v1/sites/dc-c", nil, map[string]string{"If-Match": `"2"`}); r.StatusCode != 204 {
		t.Errorf("delete: status %d, want 204; body %s", r.StatusCode, r.body)
	}
	if r := ed.do("GET", "/api/v1/sites/dc-c", nil, nil); r.StatusCode != 404 {
		t.Errorf("get after delete: status %d, want 404", r.StatusCode)
	}
}

func TestWritesTheModelRefuses(t *testing.T) {
	e := newEnv(t)
	ed := e.as(auth.RoleEditor)

	// An object a model folder manages is changed there, not through the API.
	r := ed.do("GET", "/api/v1/sites/dc-a", nil, nil)
	var doc Document
	r.json(t, &doc)
	r = ed.do("PUT", "/api/v1/sites/dc-a", doc, map[string]string{"If-Match": r.Header.Get("ETag")})
	if r.StatusCode != http.StatusConflict || !strings.Contains(r.problem(t).Detail, `"base"`) {
		t.Errorf("update of a managed object: status %d body %s; want 409 naming source \"base\"", r.StatusCode, r.body)
	}

	// A document the model refuses: 422 with every problem and where it is.
	bad := site("dc-x", "soon")
	r = ed.do("POST", "/api/v1/sites", bad, nil)
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("invalid site: status %d, want 422; body %s", r.StatusCode, r.body)
	}
	p := r.problem(t)
	if len(p.Errors) == 0 || p.Errors[0].Pointer != "/spec/recovery/time" {
		t.Errorf("invalid site: %s; want an error at /spec/recovery/time", r.body)
	}

	// Deleting what others depend on is refused too.
	if r := ed.do("DELETE", "/api/v1/services/no-such-service", nil, nil); r.StatusCode != 404 {
		t.Errorf("delete of nothing: status %d, want 404", r.StatusCode)
	}
}

func TestApply(t *testing.T) {
	e := newEnv(t)
	ed := e.as(auth.RoleEditor)
	file := "apiVersion: perdura/v1\nkind: Site\nmetadata: {name: dc-q}\nspec: {type: datacenter, recovery: {time: 4h}}\n"
	r := ed.do("POST", "/api/v1/apply", map[string]any{"source": "extra", "files": []map[string]string{{"path": "sites.yaml", "content": file}}}, nil)
	if r.StatusCode != 200 || !strings.Contains(string(r.body), `"site/dc-q"`) {
		t.Fatalf("apply: status %d body %s; want 200 creating site/dc-q", r.StatusCode, r.body)
	}
	bad := "apiVersion: perdura/v1\nkind: Site\nmetadata: {name: dc-q}\nspec: {type: datacenter, recovery: {time: never}}\n"
	r = ed.do("POST", "/api/v1/apply", map[string]any{"source": "extra", "files": []map[string]string{{"path": "sites.yaml", "content": bad}}}, nil)
	if r.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad apply: status %d, want 422; body %s", r.StatusCode, r.body)
	}
	p := r.problem(t)
	if len(p.Errors) == 0 || p.Errors[0].File != "sites.yaml" || p.Errors[0].Line != 4 {
		t.Errorf("bad apply: %s; want a problem at sites.yaml:4", r.body)
	}
	// Another source may not take over objects of "base".
	r = ed.do("POST", "/api/v1/apply", map[string]any{"source": "thief", "files": []map[string]string{{"path": "s.yaml",
		"content": "apiVersion: perdura/v1\nkind: Site\nmetadata: {name: dc-a}\nspec: {type: datacenter, recovery: {time: 4h}}\n"}}}, nil)
	if r.StatusCode != http.StatusConflict {
		t.Errorf("apply over another source: status %d, want 409; body %s", r.StatusCode, r.body)
	}
}

func TestAnalysis(t *testing.T) {
	e := newEnv(t)
	v := e.as(auth.RoleViewer)
	r := v.do("POST", "/api/v1/analyze", map[string]any{"failed": []string{"site/dc-a"}, "duration": "48h"}, nil)
	if r.StatusCode != 200 {
		t.Fatalf("analyze: status %d body %s", r.StatusCode, r.body)
	}
	var imp map[string]any
	r.json(t, &imp)
	if f, _ := imp["failed"].([]any); len(f) != 1 || f[0] != "site/dc-a" {
		t.Errorf("analyze: failed = %v, want [site/dc-a]", imp["failed"])
	}
	if _, ok := imp["services"].([]any); !ok {
		t.Errorf("analyze: no services list in %s", r.body)
	}
	r = v.do("POST", "/api/v1/analyze", map[string]any{"scenario": "site-loss"}, nil)
	if r.StatusCode != 200 {
		t.Errorf("analyze a scenario: status %d body %s", r.StatusCode, r.body)
	}
	r = v.do("POST", "/api/v1/analyze", map[string]any{"scenario": "site-los"}, nil)
	if r.StatusCode != 422 || !strings.Contains(string(r.body), "did you mean") {
		t.Errorf("analyze a misspelt scenario: status %d body %s; want 422 with a suggestion", r.StatusCode, r.body)
	}
	for _, path := range []string{"/api/v1/findings", "/api/v1/estate"} {
		r := v.do("GET", path, nil, nil)
		var body map[string]any
		r.json(t, &body)
		if _, ok := body["findings"].([]any); r.StatusCode != 200 || !ok {
			t.Errorf("GET %s: status %d body %s; want 200 with a findings list", path, r.StatusCode, r.body)
		}
	}
	r = v.do("GET", "/api/v1/estate", nil, nil)
	var est map[string]any
	r.json(t, &est)
	if _, ok := est["spofs"]; !ok {
		t.Errorf("estate: no spofs in %s", r.body)
	}
}

// TestConcurrentUpdates: many writers who all read revision 1 race; exactly one wins, the
// others get 412, and the stored object is the winner's.
func TestConcurrentUpdates(t *testing.T) {
	e := newEnv(t)
	ed := e.as(auth.RoleEditor)
	if r := ed.do("POST", "/api/v1/sites", site("dc-r", "1d"), nil); r.StatusCode != 201 {
		t.Fatalf("create: status %d body %s", r.StatusCode, r.body)
	}
	const writers = 16
	statuses := make(chan int, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			// Each writer sets its own recovery time, so the winner is recognisable.
			r := ed.do("PUT", "/api/v1/sites/dc-r", site("dc-r", fmt.Sprintf("%dh", i+1)), map[string]string{"If-Match": `"1"`})
			statuses <- r.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[200] != 1 || count[412] != writers-1 {
		t.Fatalf("statuses %v; want one 200 and %d 412", count, writers-1)
	}
	r := ed.do("GET", "/api/v1/sites/dc-r/revisions", nil, nil)
	var revs RevisionList
	r.json(t, &revs)
	if len(revs.Items) != 2 {
		t.Errorf("revisions after the race: %s; want exactly 2", r.body)
	}
}

func TestWithMetadata(t *testing.T) {
	tests := []struct {
		doc    string
		rev    int64
		source string
		want   string
	}{
		{`{"apiVersion":"perdura/v1","kind":"Site","metadata":{"name":"a"},"spec":{}}`, 3, "",
			`{"apiVersion":"perdura/v1","kind":"Site","metadata":{"revision":3,"name":"a"},"spec":{}}`},
		{"{\n  \"kind\": \"Site\",\n  \"metadata\": {\n    \"name\": \"a\"\n  }\n}", 1, `ops "east"`,
			"{\n  \"kind\": \"Site\",\n  \"metadata\": {\"revision\":1,\"source\":\"ops \\\"east\\\"\",\n    \"name\": \"a\"\n  }\n}"},
		{`{"spec":{"metadata":{}},"metadata":{}}`, 2, "",
			`{"spec":{"metadata":{}},"metadata":{"revision":2}}`},
	}
	for _, tt := range tests {
		got, err := withMetadata([]byte(tt.doc), tt.rev, tt.source)
		if err != nil || string(got) != tt.want {
			t.Errorf("withMetadata(%s) = %s, %v; want %s", tt.doc, got, err, tt.want)
		}
		if !json.Valid(got) {
			t.Errorf("withMetadata(%s) is not valid JSON: %s", tt.doc, got)
		}
	}
	for _, bad := range []string{`[]`, `{"kind":"Site"}`, `{"metadata":[]}`, `{`} {
		if _, err := withMetadata([]byte(bad), 1, ""); err == nil {
			t.Errorf("withMetadata(%s): no error", bad)
		}
	}
}
