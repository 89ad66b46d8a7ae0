package model

import (
	"testing"
	"testing/fstest"
)

// FuzzLoad feeds arbitrary bytes to the loader as one model file: it must never panic, hang
// or return an error (bad content is a problem, not an error).
func FuzzLoad(f *testing.F) {
	f.Add([]byte("apiVersion: perdura/v1\nkind: Service\nmetadata: {name: a, owner: t}\nspec: {dependsOn: [a]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"m.yaml": &fstest.MapFile{Data: data}}
		m, _, err := LoadFS(fsys, ".")
		if err != nil {
			t.Fatalf("LoadFS: unexpected error %v", err)
		}
		if m == nil {
			t.Fatal("LoadFS returned a nil model")
		}
	})
}
