package lint

import (
	"testing"
	"time"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/model"
	"github.com/perdura/perdura/internal/synth"
)

// BenchmarkLint10k is issue 2's target: `perdura lint` of a 10,000-service generated model
// folder (load the YAML, compile, every rule) in under a second. Run with
//
//	go test -run '^$' -bench Lint10k -benchtime 5x ./internal/lint/
func BenchmarkLint10k(b *testing.B) {
	dir := b.TempDir()
	if err := synth.WriteYAML(dir, synth.Generate(synth.Config{Seed: 1, Services: benchServices})); err != nil {
		b.Fatal(err)
	}
	today := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	var findings int
	for b.Loop() {
		m, problems, err := model.Load(dir)
		if err != nil || len(problems) > 0 {
			b.Fatalf("load: %v %v", err, problems[:min(3, len(problems))])
		}
		g, err := analysis.Compile(m)
		if err != nil {
			b.Fatal(err)
		}
		findings = len(Run(m, g, Options{Today: today}))
	}
	b.ReportMetric(float64(findings), "findings")
}

// BenchmarkLintPhases splits the 10,000-service lint into its phases, to see where time goes.
func BenchmarkLintPhases(b *testing.B) {
	dir := b.TempDir()
	if err := synth.WriteYAML(dir, synth.Generate(synth.Config{Seed: 1, Services: benchServices})); err != nil {
		b.Fatal(err)
	}
	m, _, _ := model.Load(dir)
	g, _ := analysis.Compile(m)
	today := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			model.Load(dir)
		}
	})
	b.Run("compile", func(b *testing.B) {
		for b.Loop() {
			analysis.Compile(m)
		}
	})
	b.Run("rules", func(b *testing.B) {
		for b.Loop() {
			Run(m, g, Options{Today: today})
		}
	})
}

// benchServices is the estate size of the lint benchmarks.
const benchServices = 10000
