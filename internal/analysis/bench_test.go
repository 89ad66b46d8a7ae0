package analysis

import (
	"context"
	"flag"
	"math/rand"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/perdura/perdura/internal/model"
	"github.com/perdura/perdura/internal/synth"
)

var benchNodes = flag.Int("analysis.nodes", 100_000, "nodes of the synthetic estate the benchmarks use (synth.ForNodes)")

// The benchmarks run on synth's estates, the same the cross-tool benchmark uses:
//
//	go test ./internal/analysis/ -run '^$' -bench . -benchtime 3x
//	go test ./internal/analysis/ -run '^$' -bench Estate -analysis.nodes 1000000 -benchtime 1x -timeout 30m

func benchModel(b *testing.B) *model.Model {
	b.Helper()
	return synth.Generate(synth.ForNodes(1, *benchNodes))
}

func benchGraph(b *testing.B) *Graph {
	b.Helper()
	g, err := Compile(benchModel(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d nodes (groups included), %d edges, %d ranks", g.Len(), g.Edges(), g.nRanks)
	return g
}

func BenchmarkCompile(b *testing.B) {
	m := benchModel(b)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	g, err := Compile(m)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(g)
	retained := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / 1e6
	allocated := float64(after.TotalAlloc-before.TotalAlloc) / 1e6
	b.ResetTimer()
	cpu := reportCPU(b)
	for b.Loop() {
		if g, err = Compile(m); err != nil {
			b.Fatal(err)
		}
	}
	cpu()
	b.ReportMetric(retained, "MB-retained")
	b.ReportMetric(allocated, "MB-allocated")
	b.ReportMetric(float64(g.Len()), "nodes")
	b.ReportMetric(float64(g.Edges()), "edges")
}

// BenchmarkSingleFailure times the failure of random services, sites and providers and
// reports the median and the 99th percentile, which matter more than the mean here: a few
// hubs reach most of the estate, most nodes reach little.
func BenchmarkSingleFailure(b *testing.B) {
	g := benchGraph(b)
	nodes := g.Nodes()
	r := rand.New(rand.NewSource(1))
	for _, mode := range []string{"Spread", "Impact"} {
		b.Run(mode, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				x := nodes[r.Intn(len(nodes))]
				t0 := time.Now()
				if mode == "Spread" {
					g.Spread(x)
				} else if _, err := g.Impact(g.FailureOf(x)); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(t0))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Nanoseconds())/1e3, "p50-µs")
			b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds())/1e3, "p99-µs")
		})
	}
}

// hub finds the service whose failure reaches closest to a third of the estate.
func hub(g *Graph) (NodeID, int) {
	seen := make([]bool, g.Len())
	best, bestReach := NodeID(0), 0
	for _, id := range g.Nodes() {
		if g.kind[id] != kindService {
			continue
		}
		reach := g.ReachBFS(id, seen)
		if abs(reach-g.Len()/3) < abs(bestReach-g.Len()/3) {
			best, bestReach = id, reach
		}
	}
	return best, bestReach
}

// reportCPU reports CPU time per operation when the returned func runs: the machine is
// shared, and CPU time says what an operation costs when wall time is noisy.
func reportCPU(b *testing.B) func() {
	cpu0 := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1e3/float64(b.N), "cpu-ms/op") }
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func abs(x int) int { return max(x, -x) }

func BenchmarkHubFailure(b *testing.B) {
	g := benchGraph(b)
	h, reach := hub(g)
	b.Logf("hub %s reaches %d nodes", g.Ref(h), reach)
	var site NodeID
	for _, id := range g.Nodes() {
		if g.kind[id] == kindSite {
			site = id
			break
		}
	}
	seen := make([]bool, g.Len())
	b.Run("ReachBFS", func(b *testing.B) {
		defer reportCPU(b)()
		b.ReportMetric(float64(reach), "nodes-reached")
		for b.Loop() {
			g.ReachBFS(h, seen)
		}
	})
	b.Run("Spread", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			g.Spread(h)
		}
	})
	b.Run("Impact", func(b *testing.B) {
		f := g.FailureOf(h)
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := g.Impact(f); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SiteSpread", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			g.Spread(site)
		}
	})
	b.Run("SiteImpact", func(b *testing.B) {
		f := g.FailureOf(site)
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := g.Impact(f); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEstate(b *testing.B) {
	g := benchGraph(b)
	b.Logf("GOMAXPROCS %d", runtime.GOMAXPROCS(0))
	var est *Estate
	cpu0 := cpuTime()
	for b.Loop() {
		est = g.Estate(context.Background())
	}
	// The machine is shared: CPU time says what the sweep costs when wall time is noisy.
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(est.SPOFs)), "spof-objects")
}
