// Command benchanalysis measures the analysis engine of issue 3 on a synthetic estate, side by
// side with the peers a user would otherwise reach for, on the same graph and the same
// failures, and prints the figures of docs/benchmarks.md as markdown. scripts/bench-analysis.sh
// runs it; see that file and docs/benchmarks.md for how.
//
// For one seed and size it generates the estate (internal/synth), compiles it, picks the
// queries (random single failures, the failures of the most depended-on nodes, the hub whose
// failure reaches about a third of the estate, the loss of the busiest site) and times, per
// query: the full impact report (Graph.Impact), the engine alone (Graph.Spread: states and up
// times, no report), and the ceiling (Graph.ReachBFS: a plain BFS over the same compiled
// arrays). Then the estate report, and the peers: PostgreSQL (WITH RECURSIVE over an indexed
// edge table loaded from synth's CSV) and igraph (BFS, through scripts/bench_igraph.py).
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/perdura/perdura/internal/analysis"
	"github.com/perdura/perdura/internal/model"
	"github.com/perdura/perdura/internal/synth"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchanalysis:", err)
		os.Exit(1)
	}
}

type options struct {
	nodes, random, hubs, repeat int
	seed                        int64
	peers                       string
	pgDSN                       string
	pgRandom, pgHubs            int
	pgTimeout, pgBudget         time.Duration
	python, igraphScript        string
	estate                      bool
	estateTimeout               time.Duration
	work                        string
}

// Query groups, in the order the tables list them.
const (
	groupRandom = "random single failure"
	groupHubs   = "hub failure (most depended-on)"
	groupThird  = "hub reaching about a third"
	groupSite   = "site loss"
)

// hubPool is how many of the most depended-on nodes the hub queries are drawn from.
const hubPool = 100

// groups lists the query groups in table order.
func groups() []string { return []string{groupRandom, groupHubs, groupThird, groupSite} }

// query is one failure to time: a node's `kind/name` ref and the group it is reported in.
type query struct {
	ref   string
	group string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("benchanalysis", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.nodes, "nodes", 100_000, "estate size in graph nodes (about 10 edges each)")
	fs.Int64Var(&o.seed, "seed", 1, "generator and sampling seed")
	fs.IntVar(&o.random, "random", 1000, "random single failures to time")
	fs.IntVar(&o.hubs, "hubs", hubPool, "most depended-on nodes to fail, one at a time (at most 100)")
	fs.IntVar(&o.repeat, "repeat", 20, "times the third-reaching hub and the site loss are repeated")
	fs.StringVar(&o.peers, "peers", "postgres,igraph", "peers to run: postgres, igraph, or none")
	fs.StringVar(&o.pgDSN, "pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL to load the edge table into (a schema "+pgSchema+" is created and dropped)")
	fs.IntVar(&o.pgRandom, "pg-random", -1, "random failures PostgreSQL answers (-1: all)")
	fs.IntVar(&o.pgHubs, "pg-hubs", -1, "hub failures PostgreSQL answers, spread over the hubs (-1: all)")
	fs.DurationVar(&o.pgTimeout, "pg-timeout", 2*time.Minute, "PostgreSQL statement timeout")
	fs.DurationVar(&o.pgBudget, "pg-budget", 6*time.Minute, "wall time PostgreSQL's queries may take in all; the rest are skipped")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "python with igraph (Debian's python3-igraph)")
	fs.StringVar(&o.igraphScript, "igraph-script", "scripts/bench_igraph.py", "the igraph peer")
	fs.BoolVar(&o.estate, "estate", true, "time the whole estate report")
	fs.DurationVar(&o.estateTimeout, "estate-timeout", 10*time.Minute, "give up on the estate report after this long")
	fs.StringVar(&o.work, "work", "", "folder for the CSV edge list (default: a temporary one, removed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
	}
	if o.work == "" {
		dir, err := os.MkdirTemp("", "perdura-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.work = dir
	}

	var rep report
	rep.opts = o

	// The estate.
	logf("generating %d nodes, seed %d", o.nodes, o.seed)
	t := time.Now()
	m := synth.Generate(synth.ForNodes(o.seed, o.nodes))
	rep.generate = time.Since(t)
	rep.modelBytes = heapInuse()
	csvPath := filepath.Join(o.work, "edges.csv")
	fanIn, err := writeCSV(csvPath, m)
	if err != nil {
		return err
	}
	for range synth.Nodes(m) {
		rep.nodes++
	}
	for _, c := range fanIn {
		rep.edges += c
	}

	// Compile, with the compiled graph's heap measured as the difference it makes.
	logf("compiling")
	before := heapInuse()
	t, c := time.Now(), cpuTime()
	g, err := analysis.Compile(m)
	rep.compile, rep.compileCPU = time.Since(t), cpuTime()-c
	if err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	rep.graphBytes = heapInuse() - before
	runtime.KeepAlive(m)

	// The queries.
	qs, third, err := pickQueries(g, m, fanIn, o)
	if err != nil {
		return err
	}
	rep.third = third
	rep.queries = qs
	logf("timing %d queries in process", len(qs))
	if rep.perdura, err = timePerdura(g, m, qs); err != nil {
		return err
	}
	rep.qpsReport, rep.qpsEngine = throughput(ctx, g, qs)

	if o.estate {
		logf("estate report on %d cores", runtime.GOMAXPROCS(0))
		runtime.GC()
		ectx, cancel := context.WithTimeout(ctx, o.estateTimeout)
		t, c = time.Now(), cpuTime()
		est := g.Estate(ectx)
		rep.estate, rep.estateCPU = time.Since(t), cpuTime()-c
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if est != nil {
			rep.estateWorst, rep.estateSPOFs = len(est.Worst), len(est.SPOFs)
		} else {
			rep.estateTimedOut = true
		}
	}

	// The peers, on the same CSV and the same refs.
	refs := make([]string, len(qs))
	for i, q := range qs {
		refs[i] = q.ref
	}
	for _, p := range strings.Split(o.peers, ",") {
		switch strings.TrimSpace(p) {
		case "postgres":
			logf("PostgreSQL: loading %d edges", rep.edges)
			deadline := time.Time{}
			res, err := runPostgres(ctx, o.pgDSN, csvPath, qs, pgBudget(qs, o, &deadline), o.pgTimeout)
			if err != nil {
				return err
			}
			rep.peers = append(rep.peers, res)
		case "igraph":
			logf("igraph: loading and running %d BFS", len(refs))
			res, err := runIgraph(ctx, o.python, o.igraphScript, csvPath, o.work, qs)
			if err != nil {
				return err
			}
			rep.peers = append(rep.peers, res)
		case "none", "":
		default:
			return fmt.Errorf("unknown peer %q", p)
		}
	}
	logf("done")
	rep.peakRSS = peakRSS()
	rep.write(stdout)
	return nil
}

// writeCSV writes the estate's edge list and returns every node's fan-in, by ref.
func writeCSV(path string, m *model.Model) (map[string]int, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := synth.WriteCSV(f, m); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	fanIn := map[string]int{}
	for e := range synth.Edges(m) {
		fanIn[e.To]++
	}
	return fanIn, nil
}

// pickQueries draws the failures: random services, sites and providers (functions cannot
// fail: nothing depends on them), the hubs by fan-in, the hub whose BFS reach is nearest a
// third of the estate, and the busiest site.
func pickQueries(g *analysis.Graph, m *model.Model, fanIn map[string]int, o options) ([]query, string, error) {
	rng := rand.New(rand.NewPCG(uint64(o.seed), 2))
	ids := g.Nodes()
	var qs []query
	for range o.random {
		qs = append(qs, query{g.Ref(ids[rng.IntN(len(ids))]), groupRandom})
	}
	hubs := make([]string, 0, len(fanIn))
	for ref := range fanIn {
		if !strings.HasPrefix(ref, "function/") {
			hubs = append(hubs, ref)
		}
	}
	slices.SortFunc(hubs, func(a, b string) int {
		return cmp.Or(cmp.Compare(fanIn[b], fanIn[a]), strings.Compare(a, b))
	})
	// The hub reaching about a third is chosen among the 100 most depended-on nodes even when
	// fewer are timed (-hubs), by ReachBFS, which is cheap; its count includes the compiled
	// graph's group nodes, close enough to choose by.
	hubs = hubs[:min(hubPool, len(hubs))]
	nodes := 0
	for range synth.Nodes(m) {
		nodes++
	}
	seen := make([]bool, g.Len())
	third, best := "", -1
	for k, ref := range hubs {
		if k < o.hubs {
			qs = append(qs, query{ref, groupHubs})
		}
		id, ok := g.Lookup(ref)
		if !ok {
			return nil, "", fmt.Errorf("hub %s not in the compiled graph", ref)
		}
		if d := abs(g.ReachBFS(id, seen) - nodes/3); best < 0 || d < best {
			third, best = ref, d
		}
	}
	site := ""
	for _, s := range m.Sites {
		if ref := "site/" + s.Metadata.Name; site == "" || fanIn[ref] > fanIn[site] {
			site = ref
		}
	}
	for range o.repeat {
		qs = append(qs, query{third, groupThird})
	}
	for range o.repeat {
		qs = append(qs, query{site, groupSite})
	}
	return qs, third, nil
}

func abs(x int) int { return max(x, -x) }

// failure is the analysis failure set of one node.
func failure(ref string) (analysis.Failure, error) {
	kind, name, _ := strings.Cut(ref, "/")
	switch kind {
	case "service":
		return analysis.Failure{Services: []string{name}}, nil
	case "site":
		return analysis.Failure{Sites: []string{name}}, nil
	case "provider":
		return analysis.Failure{Providers: []string{name}}, nil
	}
	return analysis.Failure{}, fmt.Errorf("cannot fail %s", ref)
}

// perduraTimes are the in-process figures of every query.
type perduraTimes struct {
	report, engine, ceiling []time.Duration
	reach                   []int // down + degraded, the failed node included
	impacted                []int // services and functions in the report
	// Process CPU time each group's queries took in all, per way of answering.
	reportCPU, engineCPU, ceilingCPU map[string]time.Duration
}

// timePerdura times every query three ways: the full report, the engine alone, the ceiling.
func timePerdura(g *analysis.Graph, m *model.Model, qs []query) (*perduraTimes, error) {
	n := len(qs)
	p := &perduraTimes{report: make([]time.Duration, n), engine: make([]time.Duration, n), ceiling: make([]time.Duration, n), reach: make([]int, n), impacted: make([]int, n)}
	seen := make([]bool, g.Len())
	ids := make([]analysis.NodeID, n)
	fs := make([]analysis.Failure, n)
	for i, q := range qs {
		id, ok := g.Lookup(q.ref)
		if !ok {
			return nil, fmt.Errorf("%s not in the compiled graph", q.ref)
		}
		f, err := failure(q.ref)
		if err != nil {
			return nil, err
		}
		ids[i], fs[i] = id, f
	}
	// An untimed pass over the first of each group warms caches and checks for errors.
	warmed := map[string]int{}
	for i, q := range qs {
		if warmed[q.group] < 3 {
			warmed[q.group]++
			if _, err := g.Impact(fs[i]); err != nil {
				return nil, fmt.Errorf("impact of %s: %w", q.ref, err)
			}
		}
	}
	runtime.GC()
	p.reportCPU = groupCPU(qs, cpuTime, func(i int) {
		t := time.Now()
		imp, _ := g.Impact(fs[i])
		p.report[i] = time.Since(t)
		p.impacted[i] = len(imp.Services) + len(imp.Functions)
	})
	runtime.GC()
	p.engineCPU = groupCPU(qs, cpuTime, func(i int) {
		t := time.Now()
		down, degraded := g.Spread(ids[i])
		p.engine[i] = time.Since(t)
		p.reach[i] = down + degraded
	})
	p.ceilingCPU = groupCPU(qs, cpuTime, func(i int) {
		t := time.Now()
		g.ReachBFS(ids[i], seen)
		p.ceiling[i] = time.Since(t)
	})
	return p, nil
}

// throughput is the random failures answered per second, as full reports and by the engine
// alone, on one goroutine and on one per core: one pass over the whole random sample (heavy
// tail included), cut short after 30 seconds.
func throughput(ctx context.Context, g *analysis.Graph, qs []query) (report, engine [2]float64) {
	var fs []analysis.Failure
	var ids []analysis.NodeID
	for _, q := range qs {
		if q.group == groupRandom {
			f, _ := failure(q.ref)
			id, _ := g.Lookup(q.ref)
			fs, ids = append(fs, f), append(ids, id)
		}
	}
	if len(fs) == 0 {
		return
	}
	measure := func(workers int, answer func(i int)) float64 {
		var done atomic.Int64
		var wg sync.WaitGroup
		end := time.Now().Add(30 * time.Second)
		t := time.Now()
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(fs) && time.Now().Before(end) && ctx.Err() == nil; i += workers {
					answer(i)
					done.Add(1)
				}
			}()
		}
		wg.Wait()
		return float64(done.Load()) / time.Since(t).Seconds()
	}
	rep := func(i int) { g.Impact(fs[i]) }
	eng := func(i int) { g.Spread(ids[i]) }
	n := runtime.GOMAXPROCS(0)
	return [2]float64{measure(1, rep), measure(n, rep)}, [2]float64{measure(1, eng), measure(n, eng)}
}

// pgBudget says which queries PostgreSQL runs: the first pgRandom random failures, pgHubs
// hubs spread evenly over the list, every repeat of the others, all while the wall-time
// budget lasts (counted from the first query).
func pgBudget(qs []query, o options, deadline *time.Time) func(int) bool {
	ranRandom, hubIdx := 0, 0
	nHubs := 0
	for _, q := range qs {
		if q.group == groupHubs {
			nHubs++
		}
	}
	return func(i int) bool {
		if deadline.IsZero() {
			*deadline = time.Now().Add(o.pgBudget)
		}
		if time.Now().After(*deadline) {
			return false
		}
		switch qs[i].group {
		case groupRandom:
			ranRandom++
			return o.pgRandom < 0 || ranRandom <= o.pgRandom
		case groupHubs:
			k := hubIdx
			hubIdx++
			if o.pgHubs < 0 || o.pgHubs >= nHubs {
				return true
			}
			if o.pgHubs == 0 {
				return false
			}
			step := nHubs / o.pgHubs
			return k%step == 0 && k/step < o.pgHubs
		case groupThird, groupSite:
			// a handful of repeats is enough for a query that takes seconds
			return countBefore(qs, i) < 3
		}
		return true
	}
}

// countBefore is how many queries of qs[i]'s group come before it.
func countBefore(qs []query, i int) int {
	n := 0
	for j := range i {
		if qs[j].group == qs[i].group {
			n++
		}
	}
	return n
}

// peakRSS is the process's peak resident memory (VmHWM), in bytes; 0 where /proc has none.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb)
			return kb << 10
		}
	}
	return 0
}

// groupCPU answers every query with each, in order, and returns the CPU time (as cpu
// measures it) that each group's queries took in all. A group's queries are contiguous, so
// cpu is read only between groups, never inside a timed query.
func groupCPU(qs []query, cpu func() time.Duration, each func(i int)) map[string]time.Duration {
	out := map[string]time.Duration{}
	c0 := cpu()
	for i := range qs {
		each(i)
		if i+1 == len(qs) || qs[i+1].group != qs[i].group {
			c := cpu()
			out[qs[i].group] += c - c0
			c0 = c
		}
	}
	return out
}

// cpuTime is this process's user and system CPU time so far, all threads (the garbage
// collector's included). The machine is shared: CPU time says what work costs when wall time
// also counts the waits for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapInuse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}
