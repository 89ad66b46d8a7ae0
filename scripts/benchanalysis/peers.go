package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// peerResult is one peer's answer to the query list: per query, its reach (the failed node
// and everything that depends on it) and its time; ok is false for queries it did not run.
type peerResult struct {
	name    string
	version string
	load    time.Duration
	reach   []int
	times   []time.Duration
	ran     []bool
	// cpu is the CPU time the peer's own process spent on each group's queries in all (for
	// PostgreSQL, the server backend that ran them); cpuNote says how it was measured.
	cpu     map[string]time.Duration
	cpuNote string
	note    string
}

func newPeerResult(name string, n int) *peerResult {
	return &peerResult{name: name, reach: make([]int, n), times: make([]time.Duration, n), ran: make([]bool, n), cpu: map[string]time.Duration{}}
}

// pgSchema is the schema the benchmark creates in the test database and drops afterwards.
const pgSchema = "perdura_bench"

// runPostgres loads the edge list into an indexed edge table, the way a CMDB in SQL keeps
// relationships (integer ids, a covering index on the referenced side; no foreign keys, which
// would only slow the load), and answers each query with
// WITH RECURSIVE reachability from the failed node. Queries for which budget(i) is false are
// skipped; every query is bounded by statementTimeout.
func runPostgres(ctx context.Context, dsn, csvPath string, qs []query, budget func(i int) bool, statementTimeout time.Duration) (*peerResult, error) {
	res := newPeerResult("PostgreSQL", len(qs))
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&res.version); err != nil {
		return nil, fmt.Errorf("postgres version: %w", err)
	}
	defer conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgSchema+" CASCADE")

	t0 := time.Now()
	for _, q := range []string{
		"DROP SCHEMA IF EXISTS " + pgSchema + " CASCADE",
		"CREATE SCHEMA " + pgSchema,
		"SET search_path TO " + pgSchema,
		"CREATE UNLOGGED TABLE edge_raw (src text NOT NULL, dst text NOT NULL, kind text NOT NULL)",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", q, err)
		}
	}
	f, err := os.Open(csvPath)
	if err != nil {
		return nil, err
	}
	_, err = conn.PgConn().CopyFrom(ctx, f, "COPY edge_raw FROM STDIN (FORMAT csv, HEADER true)")
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("postgres copy: %w", err)
	}
	for _, q := range []string{
		`CREATE TABLE node (id integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY, ref text NOT NULL UNIQUE)`,
		`INSERT INTO node (ref) SELECT src FROM edge_raw UNION SELECT dst FROM edge_raw`,
		`CREATE TABLE edge (src integer NOT NULL, dst integer NOT NULL, kind text NOT NULL)`,
		`INSERT INTO edge SELECT s.id, d.id, r.kind FROM edge_raw r JOIN node s ON s.ref = r.src JOIN node d ON d.ref = r.dst`,
		`DROP TABLE edge_raw`,
		// The query walks from a dependency to its dependents: the index it needs, covering.
		`CREATE INDEX edge_dst ON edge (dst) INCLUDE (src)`,
		`VACUUM ANALYZE node`,
		`VACUUM ANALYZE edge`,
		fmt.Sprintf("SET statement_timeout = %d", statementTimeout.Milliseconds()),
		// Room for the recursive query's de-duplicating hash table in memory, as a DBA would
		// give a CMDB that asks this question; the server's default is 4MB.
		"SET work_mem = '256MB'",
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("postgres: %s: %w", strings.Fields(q)[0], err)
		}
	}
	res.load = time.Since(t0)

	// What a CMDB asks: everything that depends, directly or not, on the failed item. UNION
	// (not UNION ALL) keeps each node once, which a DAG with shared dependencies needs.
	const reach = `WITH RECURSIVE impacted(id) AS (
		SELECT id FROM node WHERE ref = $1
		UNION
		SELECT e.src FROM edge e JOIN impacted i ON e.dst = i.id
	) SELECT count(*) FROM impacted`
	if _, err := conn.Prepare(ctx, "reach", reach); err != nil {
		return nil, fmt.Errorf("postgres prepare: %w", err)
	}
	var pid int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		return nil, fmt.Errorf("postgres backend: %w", err)
	}
	backendCPU := func() time.Duration { return procCPU(pid) }
	res.cpuNote = "the server backend's CPU time, from /proc, in 10 ms ticks"
	timeouts := 0
	res.cpu = groupCPU(qs, backendCPU, func(i int) {
		if !budget(i) || ctx.Err() != nil {
			return
		}
		var n int
		t := time.Now()
		err := conn.QueryRow(ctx, "reach", qs[i].ref).Scan(&n)
		d := time.Since(t)
		if err != nil {
			timeouts++
			return
		}
		res.reach[i], res.times[i], res.ran[i] = n, d, true
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if timeouts > 0 {
		res.note = fmt.Sprintf("%d queries over the %v statement timeout left out", timeouts, statementTimeout)
	}
	return res, nil
}

// procCPU is the user and system CPU time of another process of this machine (the
// PostgreSQL backend serving our connection), from /proc/PID/stat; 0 when unreadable.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, field 2, is in parentheses and may hold spaces: count from after it.
	rest := string(b[strings.LastIndexByte(string(b), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	var utime, stime int64
	fmt.Sscan(f[11], &utime)   // field 14
	fmt.Sscan(f[12], &stime)   // field 15
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond
}

// igraphResult is what scripts/bench_igraph.py prints.
type igraphResult struct {
	LoadSeconds float64 `json:"load_seconds"`
	Nodes       int     `json:"nodes"`
	Edges       int     `json:"edges"`
	Version     string  `json:"igraph"`
	Queries     []struct {
		Ref        string  `json:"ref"`
		Reach      int     `json:"reach"`
		Seconds    float64 `json:"seconds"`
		CPUSeconds float64 `json:"cpu_seconds"`
	} `json:"queries"`
}

// runIgraph runs the igraph script under the given python over the same edge list and
// queries.
func runIgraph(ctx context.Context, python, script, csvPath, dir string, qs []query) (*peerResult, error) {
	queries := make([]string, len(qs))
	for i, q := range qs {
		queries[i] = q.ref
	}
	qpath := filepath.Join(dir, "queries.txt")
	if err := os.WriteFile(qpath, []byte(strings.Join(queries, "\n")+"\n"), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, python, script, csvPath, qpath)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("igraph: %s: %w", python, err)
	}
	var r igraphResult
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("igraph output: %w", err)
	}
	if len(r.Queries) != len(queries) {
		return nil, fmt.Errorf("igraph answered %d of %d queries", len(r.Queries), len(queries))
	}
	res := newPeerResult("igraph", len(queries))
	res.version = r.Version
	res.load = time.Duration(r.LoadSeconds * float64(time.Second))
	for i, q := range r.Queries {
		res.reach[i] = q.Reach
		res.times[i] = time.Duration(q.Seconds * float64(time.Second))
		res.ran[i] = true
		res.cpu[qs[i].group] += time.Duration(q.CPUSeconds * float64(time.Second))
	}
	res.cpuNote = "the Python process's CPU time around each call"
	if len(r.Queries) > 0 && r.Queries[0].Ref != qs[0].ref {
		return nil, fmt.Errorf("igraph answered %s first, not %s", r.Queries[0].Ref, qs[0].ref)
	}
	return res, nil
}
