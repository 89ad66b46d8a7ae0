package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportBinder writes the demo's binder from its folder, refuses to replace a file
// without --force, replaces it with, and writes to standard output with --out -.
func TestExportBinder(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "binder.html")
	env := map[string]string{"SOURCE_DATE_EPOCH": "1772355600"} // 2026-03-01 09:00 UTC

	code, stdout, stderr := cli(t, env, "export", "binder", "--out", out, "../../examples")
	if code != 0 {
		t.Fatalf("export binder: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote the plan binder (11 plans") {
		t.Errorf("stdout %q", stdout)
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<!doctype html>", `id="plan-orders-db-recovery"`, `id="person-marta-keller"`, "2026-03-01 09:00 UTC", "model folder ../../examples"} {
		if !strings.Contains(string(first), want) {
			t.Errorf("binder lacks %q", want)
		}
	}

	// An existing file is left alone without --force.
	if err := os.WriteFile(out, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = cli(t, env, "export", "binder", "--out", out, "../../examples")
	if code != 2 || !strings.Contains(stderr, "--force") {
		t.Errorf("overwrite without --force: exit %d, stderr %q; want 2 naming --force", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Error("the existing file was changed without --force")
	}

	// --force replaces it, with the same bytes as before (same model, same time).
	code, _, stderr = cli(t, env, "export", "binder", "--out", out, "--force", "../../examples")
	if code != 0 {
		t.Fatalf("export --force: exit %d\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(out); string(b) != string(first) {
		t.Error("--force did not write the same binder again")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the folder holds %d files, want only the binder (no temporary file left)", len(entries))
	}

	// --out - writes to standard output.
	code, stdout, stderr = cli(t, env, "export", "binder", "--out", "-", "../../examples")
	if code != 0 || stdout != string(first) {
		t.Errorf("--out -: exit %d, %d bytes, want the same %d bytes; stderr %s", code, len(stdout), len(first), stderr)
	}
}

// TestExportBinderFromDatabase exports what `perdura apply` stored.
func TestExportBinderFromDatabase(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "p.db")
	env := map[string]string{"SOURCE_DATE_EPOCH": "1772355600"}
	code, _, stderr := cli(t, env, "export", "binder", "--out", "-", "--db", dsn)
	if code != 2 || !strings.Contains(stderr, "no model") {
		t.Errorf("export from an empty database: exit %d, stderr %q; want 2 saying it holds no model", code, stderr)
	}
	if code, _, stderr := cli(t, env, "apply", "../../examples", "--db", dsn); code != 0 {
		t.Fatalf("apply: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := cli(t, env, "export", "binder", "--out", "-", "--db", dsn, "--title", "Northwind Retail")
	if code != 0 {
		t.Fatalf("export from the database: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"<h1>Northwind Retail</h1>", "generation 1", `id="plan-backoffice-recovery"`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("binder from the database lacks %q", want)
		}
	}
}

// TestExportBinderUsage: the errors a user can make, each with exit 2 and a clear message.
func TestExportBinderUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"export", "binder", "../../examples"}, nil, "--out FILE is required"},
		{[]string{"export", "binder", "--out", "-", "no/such/folder"}, nil, "no/such/folder"},
		{[]string{"export", "binder", "--out", filepath.Join(t.TempDir(), "missing-dir", "b.html"), "../../examples"}, nil, "missing-dir"},
		{[]string{"export", "binder", "--out", t.TempDir(), "../../examples"}, nil, "is a folder"},
		{[]string{"export", "binder", "--out", "-", "../../examples"}, map[string]string{"SOURCE_DATE_EPOCH": "yesterday"}, "SOURCE_DATE_EPOCH"},
		{[]string{"export", "binder", "--out", "-", "a", "b"}, nil, "accepts at most 1 arg"},
	} {
		code, _, stderr := cli(t, tc.env, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("perdura %s: exit %d, stderr %q; want 2 with %q", strings.Join(tc.args, " "), code, stderr, tc.want)
		}
	}
}
