// Package lint checks a continuity model for what will go wrong in a disaster: contradictory
// targets, unachievable recovery points, plans that are too slow or that nobody can invoke,
// contracts running out, single points of failure under critical services, redundancy that is
// not. Rules that need the dependency graph ask the analysis package; nothing is computed here
// that the analysis already knows.
package lint

import (
	"sort"

	"github.com/perdura/perdura/internal/model"
)

// Severity says how bad a finding is.
type Severity string

// Severities, from worst to least.
const (
	Error   Severity = "error"   // the model contradicts itself or cannot load
	Warning Severity = "warning" // a gap that will hurt in a disaster
	Info    Severity = "info"    // worth knowing, nothing to fix
)

func (s Severity) rank() int {
	switch s {
	case Error:
		return 0
	case Warning:
		return 1
	}
	return 2
}

// Finding is one thing the linter found, at a place in a model file.
type Finding struct {
	Severity Severity `json:"severity"`
	Rule     string   `json:"rule"`
	Object   string   `json:"object,omitempty"`
	File     string   `json:"file,omitempty"`
	Line     int      `json:"line,omitempty"`
	Column   int      `json:"column,omitempty"`
	Message  string   `json:"message"`
}

// Pos is the finding's place in the model files.
func (f Finding) Pos() model.Pos { return model.Pos{File: f.File, Line: f.Line, Column: f.Column} }

// FromProblems turns the loader's problems into findings of severity error.
func FromProblems(ps model.Problems) []Finding {
	out := make([]Finding, 0, len(ps))
	for _, p := range ps {
		out = append(out, Finding{
			Severity: Error, Rule: p.Rule, Object: p.Object,
			File: p.Pos.File, Line: p.Pos.Line, Column: p.Pos.Column, Message: p.Msg,
		})
	}
	return out
}

// Sort orders findings by file, line, column, then severity and rule, so output is stable.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		if a.Severity != b.Severity {
			return a.Severity.rank() < b.Severity.rank()
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

// Count tallies findings by severity.
func Count(fs []Finding) (errors, warnings, infos int) {
	for _, f := range fs {
		switch f.Severity {
		case Error:
			errors++
		case Warning:
			warnings++
		default:
			infos++
		}
	}
	return
}
