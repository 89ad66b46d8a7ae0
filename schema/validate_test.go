package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

// compiled compiles the committed schema with a validator independent of the generator.
func compiled(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSON))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("perdura-v1.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("perdura-v1.json")
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// documents reads every YAML document below dir as the plain JSON values an editor would check.
func documents(t *testing.T, dir string) map[string]any {
	t.Helper()
	out := map[string]any{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && d.Name() != "." && d.Name() != ".." {
			if d.IsDir() {
				return filepath.SkipDir // the loader skips hidden files and folders too
			}
			return nil
		}
		if d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := yaml.NewDecoder(f)
		for i := 0; ; i++ {
			var v any
			if err := dec.Decode(&v); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if v != nil {
				out[path+"#"+string(rune('0'+i))] = plain(t, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// plain turns YAML values into JSON values: unquoted dates become the strings they were.
func plain(t *testing.T, v any) any {
	fix := func(x any) any {
		if tm, ok := x.(time.Time); ok {
			return tm.Format(time.DateOnly)
		}
		return x
	}
	var walk func(any) any
	walk = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		default:
			return fix(x)
		}
		return x
	}
	b, err := json.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestValidModelsValidate: every model the loader accepts, the schema accepts too.
func TestValidModelsValidate(t *testing.T) {
	s := compiled(t)
	n := 0
	for _, dir := range []string{"../examples", "../internal/lint/testdata/base", "../internal/model/testdata/good"} {
		for name, doc := range documents(t, dir) {
			n++
			if err := s.Validate(doc); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	if n < 20 {
		t.Errorf("validated only %d documents; are the example folders there?", n)
	}
}

// TestSchemaRejects: the mistakes editors should underline.
func TestSchemaRejects(t *testing.T) {
	s := compiled(t)
	for _, bad := range []string{
		`{"apiVersion": "perdura/v2", "kind": "Service", "metadata": {"name": "a"}}`,
		`{"apiVersion": "perdura/v1", "kind": "Servce", "metadata": {"name": "a"}}`,
		`{"apiVersion": "perdura/v1", "kind": "Service", "metadata": {"name": "A_b"}}`,
		`{"apiVersion": "perdura/v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"dependOn": ["b"]}}`,
		`{"apiVersion": "perdura/v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"targets": {"rto": "1.5h"}}}`,
		`{"apiVersion": "perdura/v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"dependsOn": [{"anyOf": ["b"], "atLeast": 1}]}}`,
		`{"apiVersion": "perdura/v1", "kind": "Service", "metadata": {"name": "a"}, "spec": {"runsAt": {"sites": ["x"], "mode": "hot"}}}`,
		`{"apiVersion": "perdura/v1", "kind": "BusinessFunction", "metadata": {"name": "a"}, "spec": {"services": ["x"], "tolerance": "awful"}}`,
		`{"apiVersion": "perdura/v1", "kind": "Plan", "metadata": {"name": "a"}, "spec": {"covers": ["x"], "review": {"last": "May 1"}}}`,
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(doc); err == nil {
			t.Errorf("schema accepts %s", bad)
		}
	}
}
