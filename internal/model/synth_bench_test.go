package model_test

import (
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/model"
	"github.com/perdura/perdura/internal/synth"
)

// BenchmarkLoad10k loads the folder issue 2's lint target starts from: 10,000 generated
// services written by synth.WriteYAML. It reports CPU time per load (the machine is shared,
// so wall time is noisy) and the memory the loaded model keeps. Run with
//
//	go test -run '^$' -bench Load10k -benchtime 10x -benchmem ./internal/model/
func BenchmarkLoad10k(b *testing.B) {
	dir := b.TempDir()
	if err := synth.WriteYAML(dir, synth.Generate(synth.Config{Seed: 1, Services: 10000})); err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	for b.Loop() {
		_, problems, err := model.Load(dir)
		if err != nil || len(problems) > 0 {
			b.Fatalf("load: %v %v", err, problems[:min(3, len(problems))])
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
	b.StopTimer()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, _, _ := model.Load(dir)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "MB-retained")
	runtime.KeepAlive(m)
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
