package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cli runs one command line in process and returns its exit code and outputs.
func cli(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return env[k] }
	code = run(context.Background(), args, getenv, strings.NewReader(""), &out, &errb)
	if strings.Contains(errb.String(), "goroutine ") || strings.Contains(errb.String(), "panic:") {
		t.Fatalf("perdura %s printed a stack trace:\n%s", strings.Join(args, " "), errb.String())
	}
	return code, out.String(), errb.String()
}

const base = "../../internal/lint/testdata/base"

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLintExitCodes(t *testing.T) {
	broken := t.TempDir()
	writeFile(t, broken, "a.yaml", "apiVersion: perdura/v1\nkind: Service\nmetadata: {name: a, owner: nobody}\nspec: {dependOn: [b]}\n")
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // a substring of stdout
		err  string // a substring of stderr
	}{
		{"clean", []string{"lint", base, "--today", "2026-11-25"}, 0, "", "0 error(s)"},
		{"errors", []string{"lint", broken}, 1, "a.yaml:4:8: error: unknown field `dependOn`", ""},
		{"missing path", []string{"lint", "/does/not/exist"}, 2, "", "/does/not/exist"},
		{"bad format", []string{"lint", base, "--format", "xml"}, 2, "", `--format "xml": expected one of text, json`},
		{"bad flag", []string{"lint", "--nope"}, 2, "", "unknown flag: --nope"},
		{"bad today", []string{"lint", base, "--today", "yesterday"}, 2, "", "expected a date"},
		{"unknown command", []string{"lnt"}, 2, "", `unknown command "lnt"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := cli(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errs, tc.err) {
				t.Errorf("perdura %s: exit %d, want %d\nstdout: %s\nstderr: %s\nwant stdout to contain %q, stderr %q",
					strings.Join(tc.args, " "), code, tc.code, out, errs, tc.out, tc.err)
			}
		})
	}
}

func TestLintJSON(t *testing.T) {
	code, out, _ := cli(t, nil, "lint", "../../internal/lint/testdata/rules/rto-inherited.yaml", "--format", "json")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a partial model does not load)", code)
	}
	var doc struct {
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(doc.Findings) == 0 {
		t.Fatal("no findings")
	}
	for _, key := range []string{"severity", "rule", "file", "line", "column", "message"} {
		if _, ok := doc.Findings[0][key]; !ok {
			t.Errorf("finding has no %q: %v", key, doc.Findings[0])
		}
	}
	// A clean model gives an empty list, not null.
	_, out, _ = cli(t, nil, "lint", base, "--format", "json", "--today", "2026-11-25")
	if strings.TrimSpace(out) != `{
  "findings": []
}` {
		t.Errorf("clean model JSON = %s", out)
	}
}

func TestEnvironmentSetsFlags(t *testing.T) {
	code, out, _ := cli(t, map[string]string{"PERDURA_FORMAT": "json", "PERDURA_TODAY": "2026-11-25"}, "lint", base)
	if code != 0 || !strings.Contains(out, `"findings": []`) {
		t.Errorf("PERDURA_FORMAT=json: exit %d, stdout %s", code, out)
	}
	code, _, errs := cli(t, map[string]string{"PERDURA_TODAY": "soon"}, "lint", base)
	if code != 2 || !strings.Contains(errs, "PERDURA_TODAY") {
		t.Errorf("bad PERDURA_TODAY: exit %d, stderr %s", code, errs)
	}
}

func TestAnalyzeImpactJSON(t *testing.T) {
	code, out, errs := cli(t, nil, "analyze", base, "--fail", "site/dc-a", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Failed   []string         `json:"failed"`
		Services []map[string]any `json:"services"`
		Funcs    []map[string]any `json:"functions"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(doc.Failed) != 1 || doc.Failed[0] != "site/dc-a" {
		t.Errorf("failed = %v", doc.Failed)
	}
	byName := map[string]map[string]any{}
	for _, s := range doc.Services {
		byName[s["name"].(string)] = s
	}
	// db and web fail over to dc-b (15m and 10m); dns is active-active and only degraded.
	db := byName["db"]
	if db == nil || db["state"] != "down" || db["upSeconds"] != 900.0 || db["rtoSeconds"] != 7200.0 || db["meetsRto"] != true {
		t.Errorf("db = %v", db)
	}
	if dns := byName["dns"]; dns == nil || dns["state"] != "degraded" {
		t.Errorf("dns = %v", dns)
	}
	if len(doc.Funcs) != 1 || doc.Funcs[0]["name"] != "sales" || doc.Funcs[0]["mtpdSeconds"] != 14400.0 {
		t.Errorf("functions = %v", doc.Funcs)
	}
	// Byte-identical on a second run.
	_, again, _ := cli(t, nil, "analyze", base, "--fail", "site/dc-a", "--format", "json")
	if again != out {
		t.Error("a second run gave different JSON")
	}
}

func TestAnalyzeUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"analyze", base, "--fail", "site/dc-x"}, 2, `did you mean "dc-a"`},
		{[]string{"analyze", base, "--fail", "function/sales"}, 2, "expected service/NAME, site/NAME or provider/NAME"},
		{[]string{"analyze", base, "--scenario", "site-los"}, 2, `did you mean "site-loss"`},
		{[]string{"analyze", base, "--fail", "site/dc-a", "--duration", "soon"}, 2, "expected a duration"},
		{[]string{"analyze", base, "--duration", "1h"}, 2, "--duration needs --fail or --scenario"},
		{[]string{"analyze", "/does/not/exist"}, 2, "/does/not/exist"},
		{[]string{"analyze", "../../internal/lint/testdata/rules/rto-inherited.yaml"}, 2, "does not load"},
		{[]string{"analyze", base, "--scenario", "site-loss", "--check"}, 0, ""},
		{[]string{"analyze", base, "--fail", "site/dc-a", "--fail", "site/dc-b", "--check"}, 1, ""},
	} {
		code, _, errs := cli(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.err) {
			t.Errorf("perdura %s: exit %d (want %d), stderr %q (want %q)", strings.Join(tc.args, " "), code, tc.code, errs, tc.err)
		}
	}
}

func TestAnalyzeText(t *testing.T) {
	code, out, _ := cli(t, nil, "analyze", base, "--fail", "site/dc-a,site/dc-b")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Failure: site/dc-a, site/dc-b", "Services", "MISSED", "Missed targets and their critical paths", "site/dc-a -> service/dns"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
}

func TestEstateReport(t *testing.T) {
	code, out, errs := cli(t, nil, "analyze", "../../internal/lint/testdata/base", "--format", "json", "--today", "2026-11-25")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		SPOFs    []map[string]any `json:"spofs"`
		Worst    []map[string]any `json:"worst"`
		Findings []map[string]any `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(doc.Worst) != 4 { // three services and one function
		t.Errorf("worst has %d entries, want 4: %v", len(doc.Worst), doc.Worst)
	}
	if doc.Findings == nil {
		t.Error("findings is null, want a list")
	}
	code, out, _ = cli(t, nil, "analyze", base, "--today", "2026-11-25")
	if code != 0 || !strings.Contains(out, "Worst single failure") {
		t.Errorf("text estate report: exit %d\n%s", code, out)
	}
}

// TestBadInput: whatever a user points perdura at, it answers with a message and an exit code,
// never a stack trace (cli fails the test on one), and leaves the files as they were.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(i*7919 + i/13)
	}
	big := bytes.Repeat([]byte("# padding line of a very large file\n"), 50<<20/36)
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 0, "a"; i < 12; i++ {
		name := string(rune('b' + i))
		bomb += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	files := map[string][]byte{
		"noise.yaml": noise,
		"big.yaml":   big,
		"bomb.yaml":  []byte(bomb),
		"deep.yaml":  []byte(deep),
		"text.yaml":  []byte("this is not a model\n"),
		"json.yaml":  []byte(`{"apiVersion": "perdura/v1", "kind": 7}`),
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			sub := filepath.Join(dir, strings.TrimSuffix(name, ".yaml"))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(sub, name)
			if err := os.WriteFile(p, content, 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errs := cli(t, nil, "lint", sub)
			if code != 1 || !strings.Contains(out, name) || !strings.Contains(out, "error") {
				t.Errorf("lint: exit %d, want 1 with a finding on %s\nstdout: %.500s\nstderr: %.500s", code, name, out, errs)
			}
			code, _, errs = cli(t, nil, "analyze", sub)
			if code != 2 || !strings.Contains(errs, name) {
				t.Errorf("analyze: exit %d, want 2 naming %s\nstderr: %.500s", code, name, errs)
			}
			after, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(after, content) {
				t.Errorf("%s was changed or removed", name)
			}
		})
	}
}

// TestTrustedProxiesFlag: a proxy that is neither an address nor a CIDR range stops serve and
// demo before they open anything, naming where it was set.
func TestTrustedProxiesFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"serve", "--db", db, "--trusted-proxies", "10.0.0.0/8,nonsense"}, `--trusted-proxies: "nonsense" is neither an address nor a CIDR range`},
		{map[string]string{"PERDURA_TRUSTED_PROXIES": "300.1.1.1"}, []string{"serve", "--db", db}, `PERDURA_TRUSTED_PROXIES: "300.1.1.1"`},
		{nil, []string{"demo", "--trusted-proxies", "10.0.0.0/33"}, `"10.0.0.0/33"`},
	} {
		code, _, errs := cli(t, c.env, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("perdura %v: exit %d, stderr %q, want 2 and %q", c.args, code, errs, c.want)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("serve made its database before refusing the flag")
	}
}

// TestMaxSessionsFlag: a session limit under one stops serve and demo before they open
// anything, naming where it was set.
func TestMaxSessionsFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"serve", "--db", db, "--max-sessions", "0"}, `--max-sessions 0: expected a number of sessions, at least 1`},
		{map[string]string{"PERDURA_MAX_SESSIONS": "-3"}, []string{"serve", "--db", db}, `PERDURA_MAX_SESSIONS -3: expected`},
		{nil, []string{"demo", "--max-sessions", "0"}, `--max-sessions 0`},
	} {
		code, _, errs := cli(t, c.env, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("perdura %v: exit %d, stderr %q, want 2 and %q", c.args, code, errs, c.want)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("serve made its database before refusing the flag")
	}
}

// TestApplyLimitFlag: an apply limit that is not a size stops serve before it opens
// anything, naming where it was set.
func TestApplyLimitFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"serve", "--db", db, "--apply-limit", "lots"}, `--apply-limit "lots": expected a size from 1KiB to 1GiB, such as 8MiB`},
		{nil, []string{"serve", "--db", db, "--apply-limit", "0"}, `--apply-limit "0": expected`},
		{map[string]string{"PERDURA_APPLY_LIMIT": "2TiB"}, []string{"serve", "--db", db}, `PERDURA_APPLY_LIMIT "2TiB": expected`},
	} {
		code, _, errs := cli(t, c.env, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("perdura %v: exit %d, stderr %q, want 2 and %q", c.args, code, errs, c.want)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("serve made its database before refusing the flag")
	}
}
