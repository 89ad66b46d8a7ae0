package model

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTooDeepLowerBound checks that the look before parsing refuses only what nests deeper
// than the limit, and that what looks deep but is a scalar (block scalars, quoted and plain
// text spanning lines, brackets inside plain text, comments) passes.
func TestTooDeepLowerBound(t *testing.T) {
	deep := strings.Repeat("- ", 120) + "x"
	cases := []struct {
		name, text string
		refused    bool
	}{
		{"block sequences", deep, true},
		{"flow", strings.Repeat("[", 120) + strings.Repeat("]", 120), true},
		{"flow over lines", strings.Repeat("[\n", 120), true},
		{"mappings by indentation", deepMappings(120), true},
		{"sequences and mappings", strings.Repeat("- a:\n  ", 60) + "- x", false}, // one line: plain text
		{"block scalar", "a: |\n  " + deep + "\nb: c\n", false},
		{"folded block scalar in a list", "- >-\n  " + deep + "\n- x\n", false},
		{"plain text over lines", "a: some text\n  " + deep + "\n", false},
		{"quoted text over lines", "a: \"some\n  " + strings.Repeat("[", 200) + "\n  text\"\n", false},
		{"single quotes", "a: '" + strings.Repeat("[", 200) + "'\n", false},
		{"brackets in plain text", "a: x" + strings.Repeat("[", 200) + "\n", false},
		{"comment", "# " + deep + "\na: [b] # " + strings.Repeat("[", 200) + "\n", false},
		{"shallow honest", "- service: a\n  impact: degraded\n- anyOf: [b, {service: c}]\n- {atLeast: 2, of: [d, e, f]}\n", false},
		{"101 collections", strings.Repeat("- ", 101) + "x", false}, // measure refuses it, after parsing
		{"102 collections", strings.Repeat("- ", 102) + "x", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := tooDeep([]byte(c.text), maxDepth) > 0
			if got != c.refused {
				t.Errorf("refused %v, want %v", got, c.refused)
			}
		})
	}
}

// TestParseFragment checks a web form's YAML field: values as JSON encodes them, and hostile
// text refused quickly with a message saying what is wrong.
func TestParseFragment(t *testing.T) {
	v, err := ParseFragment("- orders-db\n- {service: auth, impact: degraded}\n- 2026-05-01\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"orders-db", map[string]any{"service": "auth", "impact": "degraded"}, "2026-05-01"}
	if !equalJSON(v, want) {
		t.Errorf("got %#v, want %#v", v, want)
	}
	v, err = ParseFragment("base: &b {x: 1, y: 2}\nuse: {<<: *b, y: 3}\n")
	if want := map[string]any{"base": map[string]any{"x": 1, "y": 2}, "use": map[string]any{"x": 1, "y": 3}}; err != nil || !equalJSON(v, want) {
		t.Errorf("merge: got %#v, %v; want %#v", v, err, want)
	}
	if v, err := ParseFragment("  # nothing\n"); err != nil || v != nil {
		t.Errorf("empty fragment: got %v, %v; want nil, nil", v, err)
	}
	for _, c := range []struct{ name, text, msg string }{
		{"101 levels", strings.Repeat("- ", 101) + "x", "nested deeper than 100 levels"},
		{"deep", strings.Repeat("- ", 9990) + "x", "nested deeper than 100 levels"},
		{"deep siblings", strings.Repeat(strings.Repeat("- ", 9990)+"x\n", 12), "nested deeper than 100 levels"},
		{"deep flow", strings.Repeat("[", 9990), "nested deeper than 100 levels"},
		{"alias bomb", "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n", "aliases"},
		{"too long", strings.Repeat("a", MaxFragment+1), "too long"},
		{"NUL", "a: b\x00", "NUL"},
		{"invalid UTF-8", "a: \xff", "UTF-8"},
		{"syntax", "a: [b", "did not find expected"},
		{"repeated keys", "a:\n" + strings.Repeat(" a:\n", 5000), `key "a" already defined at line 2`},
		{"not a number", "a: .nan", "not a number JSON can hold"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			_, err := ParseFragment(c.text)
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("got %v, want an error containing %q", err, c.msg)
			}
			if c.name == "deep" && !errors.Is(err, ErrTooDeep) {
				t.Errorf("got %v, want ErrTooDeep", err)
			}
			if d := time.Since(start); d > 5*time.Second { // a generous bound for a slow shared machine; the benchmark measures
				t.Errorf("took %v", d)
			}
		})
	}
}

func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k := range x {
			if !equalJSON(x[k], y[k]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// FuzzTooDeep checks that the look before parsing never refuses a fragment the parser reads
// as nesting no deeper than the limit: it is a lower bound.
func FuzzTooDeep(f *testing.F) {
	for _, s := range []string{"- a\n- b: [c, {d: e}]\n", "a: |\n  - - - x\n", "a: 'x\n  [[['\n", strings.Repeat("- ", 99) + "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tooDeep([]byte(s), 3) == 0 {
			return
		}
		// Refused at 3: the parser must agree that it nests deeper than 3, or fail.
		root, err := parseOne(s)
		if err != nil || root == nil {
			return // not YAML, or no value: refusing it costs nothing honest
		}
		if err := measureTo(root, 3); err == nil {
			t.Errorf("refused %q, but it nests no deeper than 3", s)
		}
	})
}

// BenchmarkCheckNesting reads a 5,000-service estate's text once, as every load now does
// before parsing: its cost next to BenchmarkLoad's is the price of the check.
//
//	go test -run '^$' -bench 'CheckNesting|Load$' ./internal/model/
func BenchmarkCheckNesting(b *testing.B) {
	var sb strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&sb, "---\napiVersion: perdura/v1\nkind: Service\nmetadata: {name: svc-%d, owner: ops}\nspec:\n  type: application\n  tier: 2\n  targets: {rto: 4h, rpo: 15m}\n  runsAt: {sites: [dc-a, dc-b], mode: active-passive, failover: 5m}\n", i)
		fmt.Fprintf(&sb, "  dependsOn:\n    - svc-%d\n    - {service: svc-%d, impact: degraded}\n    - {anyOf: [svc-%d, svc-%d]}\n", i+1, i+2, i+3, i+2)
	}
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := CheckNesting(data); err != nil {
			b.Fatal(err)
		}
	}
}
