package model

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// TestHostileInput loads inputs meant to crash, hang or exhaust the loader: each must come
// back quickly as problems (or as nothing at all for inputs with no document).
func TestHostileInput(t *testing.T) {
	cases := []struct {
		name string
		data string
		rule string // the rule of an expected problem; "" for none expected
		msg  string
	}{
		{"empty file", "", "", ""},
		{"only separators and comments", "---\n# nothing\n---\n...\n", "", ""},
		{"a scalar document", "hello world\n", RuleEnvelope, "got \"hello world\""},
		{"self-referencing alias", "kind: Site\nmetadata: &a {name: x, labels: *a}\n", "", ""},
		{"recursive merge", "apiVersion: perdura/v1\nkind: Site\nmetadata: {name: x}\nspec: &s {<<: *s}\n", "", ""},
		{"deep flow nesting", "a: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000), RuleSyntax, "nested deeper than 100 levels"},
		{"deeper than the parser allows", "a: " + strings.Repeat("[", 20000), RuleSyntax, "nested deeper than 100 levels"},
		{"deep block sequences", "a:\n  " + strings.Repeat("- ", 9990) + "x", RuleSyntax, "nested deeper than 100 levels"},
		{"deep block sequences, many times", strings.Repeat(strings.Repeat("- ", 9990)+"x\n", 50), RuleSyntax, "nested deeper than 100 levels"},
		{"deep indented mappings", deepMappings(150), RuleSyntax, "nested deeper than 100 levels"},
		{"invalid UTF-8", "kind: Site\nmetadata: {name: \xff\xfe}\n", RuleSyntax, "not a YAML file: invalid UTF-8"},
		{"UTF-16", "\xff\xfek\x00i\x00n\x00d\x00", RuleSyntax, "not a YAML file: binary data"},
		{"long name", "apiVersion: perdura/v1\nkind: Site\nmetadata: {name: " + strings.Repeat("a", 100000) + "}\nspec: {}\n", RuleNameInvalid, "invalid name"},
		{"huge list of bad items", "apiVersion: perdura/v1\nkind: Team\nmetadata: {name: t}\nspec: {members: [" + strings.Repeat("x, ", 50000) + "]}\n", RuleReference, "unknown person `x`"},
		{"unknown anchor", "a: *nope\n", RuleSyntax, "unknown anchor"},
		{"integer overflow", "apiVersion: perdura/v1\nkind: Service\nmetadata: {name: s, owner: s}\nspec: {tier: 99999999999999999999999}\n", RuleType, "expected an integer"},
		{"duration overflow", "apiVersion: perdura/v1\nkind: Service\nmetadata: {name: s, owner: s}\nspec: {targets: {rto: 999999999w}}\n", RuleValue, "longer than 100 years"},
		{"not-a-number float", "apiVersion: perdura/v1\nkind: Scenario\nmetadata: {name: s}\nspec: {fails: {}, frequency: .nan}\n", RuleType, "expected a number"},
		{"key that is a mapping", "apiVersion: perdura/v1\nkind: Site\nmetadata: {name: s}\nspec: {? {a: b} : c}\n", RuleType, "expected a field name, got a mapping"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			m, problems, err := LoadFS(fstest.MapFS{"m.yaml": {Data: []byte(c.data)}}, ".")
			if d := time.Since(start); d > 20*time.Second { // generous: the race detector and a shared machine are slow
				t.Errorf("took %v", d)
			}
			if err != nil || m == nil {
				t.Fatalf("got err %v, model %v; want problems only", err, m)
			}
			if c.rule == "" {
				for _, p := range problems {
					if p.Rule == RuleSyntax && strings.Contains(p.Msg, "internal error") {
						t.Errorf("recovered panic: %v", p)
					}
				}
				return
			}
			for _, p := range problems {
				if p.Rule == c.rule && strings.Contains(p.Msg, c.msg) {
					return
				}
			}
			t.Errorf("got %v, want a %s problem containing %q", problems, c.rule, c.msg)
		})
	}
}

// TestNullValues checks that fields written with no value count as absent, not as errors
// of type, and that an empty list item is reported.
func TestNullValues(t *testing.T) {
	data := "apiVersion: perdura/v1\nkind: Service\nmetadata: {name: s, owner: s, title: }\nspec:\n  targets:\n  dependsOn: [a, ~]\n"
	_, problems, _ := LoadFS(fstest.MapFS{"m.yaml": {Data: []byte(data)}}, ".")
	var rules []string
	for _, p := range problems {
		rules = append(rules, p.Rule+"@"+posString(p.Pos)+" "+p.Msg)
	}
	want := []string{
		"unknown-reference@m.yaml:3:28 unknown owner `s`: expected a Team or Person",
		"unknown-reference@m.yaml:6:15 unknown service `a`",
		"invalid-value@m.yaml:6:18 empty item in `dependsOn`",
	}
	if strings.Join(rules, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(rules, "\n"), strings.Join(want, "\n"))
	}
}

func deepMappings(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	return b.String()
}
