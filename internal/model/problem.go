package model

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is something wrong with a model file, at a place, said so a user can fix it.
type Problem struct {
	Pos    Pos
	Object string // `kind/name` where known
	Rule   string // stable kebab-case name: yaml-syntax, unknown-field, invalid-value, ...
	Msg    string
}

// Rules of the loader. Each names a class of problem and stays stable for users' tooling.
const (
	RuleFile        = "file"           // a file or folder that cannot be read, or is too large
	RuleSyntax      = "yaml-syntax"    // not YAML, or YAML the loader refuses (alias bombs)
	RuleEnvelope    = "envelope"       // apiVersion, kind, metadata wrong or missing
	RuleUnknown     = "unknown-field"  // a field the format does not have
	RuleType        = "invalid-type"   // a value of the wrong YAML type
	RuleValue       = "invalid-value"  // a value of the right type that is not allowed
	RuleRequired    = "missing-field"  // a required field is absent
	RuleDuplicate   = "duplicate-name" // two objects of one kind with one name
	RuleReference   = "unknown-reference"
	RuleCycle       = "dependency-cycle"
	RuleNameInvalid = "invalid-name"
)

func (p Problem) Error() string {
	var b strings.Builder
	if p.Pos.File != "" {
		b.WriteString(p.Pos.File)
		if p.Pos.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", p.Pos.Line, p.Pos.Column)
		}
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	if p.Rule != "" {
		fmt.Fprintf(&b, " [%s]", p.Rule)
	}
	return b.String()
}

// Problems is every problem a load found; as an error it says how many and lists them.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the model has %d problem(s):", len(ps))
	for _, p := range ps {
		b.WriteString("\n  ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Sort orders problems by file, line and column, keeping the order of problems at one place.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}
