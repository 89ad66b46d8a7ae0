package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/lint"
	"github.com/perdura/perdura/internal/model"
)

func newLintCmd(e *env) *cobra.Command {
	var format, today string
	c := &cobra.Command{
		Use:   "lint [PATH...]",
		Short: "Check a continuity model for errors and gaps",
		Long: `Lint loads the model folders or files (default: the current folder) and reports every
problem as file:line:col: severity: message [rule], or as JSON with --format json.

Exit status: 0 no errors (warnings allowed), 1 errors found (a model that does not load is
reported as findings too), 2 could not run (bad usage, a path that does not exist).
The rules are listed in docs/lint.md.`,
		Example: "  perdura lint examples/\n  perdura lint models/ --format json",
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := oneOf(cmd, "format", format, "text", "json"); err != nil {
				return err
			}
			day, err := parseToday(cmd, today)
			if err != nil {
				return err
			}
			if len(args) == 0 {
				args = []string{"."}
			}
			findings, err := lintPaths(args, lint.Options{Today: day})
			if err != nil {
				return err
			}
			if err := writeFindings(e.stdout, format, findings); err != nil {
				return err
			}
			errs, warns, infos := lint.Count(findings)
			if format == "text" {
				fmt.Fprintf(e.stderr, "%d error(s), %d warning(s), %d info\n", errs, warns, infos)
			}
			if errs > 0 {
				return found()
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "text", "output format: text or json")
	c.Flags().StringVar(&today, "today", "", "check reviews and contracts as of this date (YYYY-MM-DD; default today)")
	return c
}

// parseToday reads --today; empty means the real date.
func parseToday(c *cobra.Command, s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, cannot("%s %q: expected a date such as 2026-11-25", flagLabel(c, "today"), s)
	}
	return t, nil
}

// lintPaths loads and lints; a model that does not load gives its problems as findings.
func lintPaths(paths []string, opt lint.Options) ([]lint.Finding, error) {
	m, problems, err := model.Load(paths...)
	if err != nil {
		return nil, cannot("%v", err)
	}
	if len(problems) > 0 {
		fs := lint.FromProblems(problems)
		lint.Sort(fs)
		return fs, nil
	}
	g, err := analysis.Compile(m)
	if err != nil {
		return nil, cannot("%v", err)
	}
	return lint.Run(m, g, opt), nil
}

// writeFindings prints findings as text lines or the CONTRACT.md JSON document.
func writeFindings(w io.Writer, format string, fs []lint.Finding) error {
	if format == "json" {
		if fs == nil {
			fs = []lint.Finding{}
		}
		return writeJSON(w, struct {
			Findings []lint.Finding `json:"findings"`
		}{fs})
	}
	for _, f := range fs {
		fmt.Fprintln(w, formatFinding(f))
	}
	return nil
}

// formatFinding is the compiler-style line editors and CI annotate from.
func formatFinding(f lint.Finding) string {
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d:%d", f.File, f.Line, f.Column)
	}
	if loc == "" {
		loc = f.Object
	}
	return fmt.Sprintf("%s: %s: %s [%s]", loc, f.Severity, f.Message, f.Rule)
}

// writeJSON writes v indented, with a final newline, without escaping <, > and &.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
