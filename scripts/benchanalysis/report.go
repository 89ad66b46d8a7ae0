package main

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report is everything one run measured.
type report struct {
	opts                     options
	generate, compile        time.Duration
	compileCPU, estateCPU    time.Duration
	nodes, edges             int
	graphBytes               int64
	modelBytes, peakRSS      int64
	third                    string
	queries                  []query
	perdura                  *perduraTimes
	qpsReport, qpsEngine     [2]float64 // one goroutine, one per core
	estate                   time.Duration
	estateWorst, estateSPOFs int
	estateTimedOut           bool
	peers                    []*peerResult
}

// stats are the percentiles of a set of samples.
type stats struct {
	n        int
	p50, p99 time.Duration
}

func percentiles(ds []time.Duration) stats {
	if len(ds) == 0 {
		return stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i99 := (len(s)*99+99)/100 - 1
	return stats{len(s), s[(len(s)-1)/2], s[min(i99, len(s)-1)]}
}

// pick gathers the samples of the queries of one group that keep says to keep.
func pick(ds []time.Duration, qs []query, group string, keep func(int) bool) []time.Duration {
	var out []time.Duration
	for i, q := range qs {
		if q.group == group && (keep == nil || keep(i)) {
			out = append(out, ds[i])
		}
	}
	return out
}

func (r *report) write(w io.Writer) {
	p := r.perdura
	fmt.Fprintf(w, "### %s nodes, %s edges (seed %d, %d cores)\n\n", thousands(r.nodes), thousands(r.edges), r.opts.seed, runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "| setup | time or size |\n| --- | --- |\n")
	fmt.Fprintf(w, "| generate the estate (synth) | %s |\n", dur(r.generate))
	fmt.Fprintf(w, "| generated model in memory, heap in use | %.0f MB |\n", float64(r.modelBytes)/1e6)
	fmt.Fprintf(w, "| compile (analysis.Compile), wall / CPU | %s / %s |\n", dur(r.compile), dur(r.compileCPU))
	fmt.Fprintf(w, "| compiled graph, heap in use (names shared with the model) | %.0f MB |\n", float64(r.graphBytes)/1e6)
	fmt.Fprintf(w, "| peak resident memory of the whole run (model, graph, queries) | %.0f MB |\n", float64(r.peakRSS)/1e6)
	for _, peer := range r.peers {
		what := "load the CSV into a graph"
		if peer.name == "PostgreSQL" {
			what = "COPY the CSV, build node and edge tables, index, analyze"
		}
		fmt.Fprintf(w, "| %s %s: %s | %s |\n", peer.name, peer.version, what, dur(peer.load))
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "| query | n | reach p50 / max | Perdura report p50 / p99 | engine p50 / p99 | BFS ceiling p50 / p99 |")
	for _, peer := range r.peers {
		fmt.Fprintf(w, " %s p50 / p99 (n) |", peer.name)
	}
	fmt.Fprintf(w, "\n| --- | ---: | ---: | ---: | ---: | ---: |%s\n", strings.Repeat(" ---: |", len(r.peers)))
	for _, g := range groups() {
		label := g
		if g == groupThird {
			label = fmt.Sprintf("%s (%s)", g, r.third)
		}
		if g == groupSite {
			label = fmt.Sprintf("%s (%s)", g, r.siteRef())
		}
		reach := pickInts(p.reach, r.queries, g)
		fmt.Fprintf(w, "| %s | %d | %s / %s | %s | %s | %s |", label, len(reach), thousands(medianInt(reach)), thousands(slices.Max(append(reach, 0))),
			pp(percentiles(pick(p.report, r.queries, g, nil))), pp(percentiles(pick(p.engine, r.queries, g, nil))), pp(percentiles(pick(p.ceiling, r.queries, g, nil))))
		for _, peer := range r.peers {
			s := percentiles(pick(peer.times, r.queries, g, func(i int) bool { return peer.ran[i] }))
			if s.n == 0 {
				fmt.Fprintf(w, " skipped |")
				continue
			}
			fmt.Fprintf(w, " %s (%d) |", pp(s), s.n)
		}
		fmt.Fprintln(w)
	}
	if r.opts.estate && r.estateTimedOut {
		fmt.Fprintf(w, "| estate report: every single failure | 1 | | did not finish in %s | | |%s\n", dur(r.opts.estateTimeout), strings.Repeat(" not offered |", len(r.peers)))
	} else if r.opts.estate {
		fmt.Fprintf(w, "| estate report: every single failure, worst failure of %s objects, SPOFs of %s | 1 | | %s wall, %s CPU | | |%s\n",
			thousands(r.estateWorst), thousands(r.estateSPOFs), dur(r.estate), dur(r.estateCPU), strings.Repeat(" not offered |", len(r.peers)))
	}
	fmt.Fprintf(w, "\nThroughput over the random single failures: %s full reports per second on one goroutine, %s on %d; the engine alone %s and %s.\n\n",
		thousands(int(r.qpsReport[0])), thousands(int(r.qpsReport[1])), runtime.GOMAXPROCS(0), thousands(int(r.qpsEngine[0])), thousands(int(r.qpsEngine[1])))

	fmt.Fprintf(w, "| ratio of p50s, same queries | %s |\n| --- |%s\n", strings.Join(groups(), " | "), strings.Repeat(" ---: |", len(groups())))
	for _, peer := range r.peers {
		for _, base := range []struct {
			name string
			ds   []time.Duration
		}{{"Perdura report", p.report}, {"Perdura engine", p.engine}} {
			fmt.Fprintf(w, "| %s / %s |", peer.name, base.name)
			for _, g := range groups() {
				ran := func(i int) bool { return peer.ran[i] }
				ps, bs := percentiles(pick(peer.times, r.queries, g, ran)), percentiles(pick(base.ds, r.queries, g, ran))
				fmt.Fprintf(w, " %s |", ratio(ps.p50, bs.p50))
			}
			fmt.Fprintln(w)
		}
	}
	for _, base := range []struct {
		name string
		ds   []time.Duration
	}{{"Perdura report", p.report}, {"Perdura engine", p.engine}} {
		fmt.Fprintf(w, "| %s / BFS ceiling |", base.name)
		for _, g := range groups() {
			fmt.Fprintf(w, " %s |", ratio(percentiles(pick(base.ds, r.queries, g, nil)).p50, percentiles(pick(p.ceiling, r.queries, g, nil)).p50))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)

	r.writeCPU(w)

	for _, peer := range r.peers {
		same, ran := 0, 0
		for i := range r.queries {
			if peer.ran[i] {
				ran++
				if peer.reach[i] == p.reach[i] {
					same++
				}
			}
		}
		fmt.Fprintf(w, "%s found the same reach as Perdura (down + degraded, the failed node included) on %d of the %d queries it ran.", peer.name, same, ran)
		if peer.note != "" {
			fmt.Fprintf(w, " %s.", peer.note)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// writeCPU writes the mean CPU time per query of each group, for each tool, and their
// ratios: what a query costs whatever else the shared machine runs. A peer's mean is over the
// queries it ran; a ratio is given where that is the same work as Perdura's (every query of
// the group, or repeats of one query).
func (r *report) writeCPU(w io.Writer) {
	p := r.perdura
	count := map[string]int{}
	for _, q := range r.queries {
		count[q.group]++
	}
	mean := func(total time.Duration, n int) time.Duration {
		if n == 0 {
			return 0
		}
		return total / time.Duration(n)
	}
	ranIn := func(peer *peerResult, g string) int {
		n := 0
		for i, q := range r.queries {
			if q.group == g && peer.ran[i] {
				n++
			}
		}
		return n
	}
	fmt.Fprintf(w, "Mean CPU time per query, what a query costs whatever else the machine runs (Perdura: the process's CPU time, all threads, over each group divided by its queries")
	for _, peer := range r.peers {
		fmt.Fprintf(w, "; %s: %s", peer.name, peer.cpuNote)
	}
	fmt.Fprintf(w, "):\n\n| query | Perdura report | engine | BFS ceiling |")
	for _, peer := range r.peers {
		fmt.Fprintf(w, " %s | %s / report | %s / engine |", peer.name, peer.name, peer.name)
	}
	fmt.Fprintf(w, " report / ceiling | engine / ceiling |\n| --- | ---: | ---: | ---: |%s ---: | ---: |\n", strings.Repeat(" ---: | ---: | ---: |", len(r.peers)))
	for _, g := range groups() {
		rep, eng, ceil := mean(p.reportCPU[g], count[g]), mean(p.engineCPU[g], count[g]), mean(p.ceilingCPU[g], count[g])
		fmt.Fprintf(w, "| %s | %s | %s | %s |", g, cpuDur(rep), cpuDur(eng), cpuDur(ceil))
		for _, peer := range r.peers {
			n := ranIn(peer, g)
			if n == 0 {
				fmt.Fprintf(w, " skipped | | |")
				continue
			}
			pc := mean(peer.cpu[g], n)
			if n == count[g] || g == groupThird || g == groupSite {
				fmt.Fprintf(w, " %s | %s | %s |", cpuDur(pc), ratio(pc, rep), ratio(pc, eng))
			} else {
				fmt.Fprintf(w, " %s (%d queries) | – | – |", cpuDur(pc), n)
			}
		}
		fmt.Fprintf(w, " %s | %s |\n", ratio(rep, ceil), ratio(eng, ceil))
	}
	fmt.Fprintln(w)
}

// cpuDur writes a CPU time, or a dash for none measured (below the clock's resolution).
func cpuDur(d time.Duration) string {
	if d <= 0 {
		return "< tick"
	}
	return dur(d)
}

func (r *report) siteRef() string {
	for _, q := range r.queries {
		if q.group == groupSite {
			return q.ref
		}
	}
	return ""
}

func pickInts(xs []int, qs []query, group string) []int {
	var out []int
	for i, q := range qs {
		if q.group == group {
			out = append(out, xs[i])
		}
	}
	return out
}

func medianInt(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func pp(s stats) string {
	if s.n == 0 {
		return "–"
	}
	return dur(s.p50) + " / " + dur(s.p99)
}

func ratio(a, b time.Duration) string {
	if a == 0 || b == 0 {
		return "–"
	}
	x := float64(a) / float64(b)
	switch {
	case x >= 10:
		return fmt.Sprintf("%.0f×", x)
	case x >= 1:
		return fmt.Sprintf("%.1f×", x)
	default:
		return fmt.Sprintf("%.2g×", x)
	}
}

// dur writes a duration with three significant digits in a unit that reads well.
func dur(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.3g µs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.3g ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.3g s", d.Seconds())
	}
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
