package web

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/perdura/perdura/examples"
)

// TestDemoThroughTheAPI applies the demo organisation as perdura apply --server does (every
// file of the folder, with its path), replacing the test model, and asks it CONTRACT.md's
// questions.
func TestDemoThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	var files []ModelFile
	err := fs.WalkDir(examples.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yaml") {
			return err
		}
		b, err := fs.ReadFile(examples.FS, path)
		files = append(files, ModelFile{Path: path, Content: string(b)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	ed := e.as("editor")
	r := ed.do("POST", "/api/v1/apply", map[string]any{"source": "base", "prune": true, "files": files}, nil)
	if r.StatusCode != 200 {
		t.Fatalf("apply the demo: status %d body %.2000s", r.StatusCode, r.body)
	}
	var res struct {
		Created, Deleted []string
	}
	r.json(t, &res)
	if len(res.Created) < 90 || len(res.Deleted) == 0 {
		t.Errorf("apply the demo created %d and deleted %d objects; want about 100 and the test model's", len(res.Created), len(res.Deleted))
	}

	r = ed.do("POST", "/api/v1/analyze", map[string]any{"failed": []string{"site/dc-frankfurt"}}, nil)
	if r.StatusCode != 200 {
		t.Fatalf("analyze: status %d body %s", r.StatusCode, r.body)
	}
	var imp struct {
		Services  []map[string]any `json:"services"`
		Functions []map[string]any `json:"functions"`
	}
	r.json(t, &imp)
	if len(imp.Services) == 0 || len(imp.Functions) == 0 {
		t.Fatalf("losing dc-frankfurt impacts nothing: %.500s", r.body)
	}
	for _, s := range imp.Services {
		for _, k := range []string{"name", "state", "recoverable", "upSeconds", "rtoSeconds", "meetsRto", "criticalPath"} {
			if _, ok := s[k]; !ok {
				t.Errorf("service %v lacks %q (CONTRACT.md writes null, never leaves a key out)", s["name"], k)
			}
		}
		if p, _ := s["criticalPath"].([]any); len(p) == 0 || p[0] != "site/dc-frankfurt" {
			t.Errorf("service %v: criticalPath %v, want it to start at site/dc-frankfurt", s["name"], s["criticalPath"])
		}
	}
	if _, ok := imp.Functions[0]["mtpdSeconds"]; !ok {
		t.Errorf("function %v lacks mtpdSeconds", imp.Functions[0]["name"])
	}

	r = ed.do("GET", "/api/v1/estate", nil, nil)
	var est struct {
		SPOFs []map[string]any `json:"spofs"`
		Worst []map[string]any `json:"worst"`
	}
	r.json(t, &est)
	if len(est.SPOFs) == 0 || len(est.Worst) == 0 {
		t.Errorf("the demo's estate report has no SPOFs or worst failures: %.500s", r.body)
	}
	r = ed.do("GET", "/api/v1/services?limit=1000", nil, nil)
	var list ObjectList
	r.json(t, &list)
	if list.Total != 63 {
		t.Errorf("services: total %d, want the demo's 63", list.Total)
	}
}
