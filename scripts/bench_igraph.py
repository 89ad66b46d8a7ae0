#!/usr/bin/python3
"""The igraph peer of scripts/bench-analysis.sh: what does a failure take down, as a BFS.

Loads the edge list that synth.WriteCSV wrote (from,to,kind: `from` needs `to`) into a directed
igraph Graph, then, for each failed node named in the queries file (one `kind/name` per line),
times a breadth-first search along reversed edges: every node that depends on the failed one,
directly or not, which is what the failure takes down or degrades. It calls
Graph.subcomponent(v, mode="in"), igraph's BFS in C that returns only the vertices reached;
Graph.bfs also returns parent and layer arrays as long as the whole graph, which makes a small
query cost as much as a large one (60 times slower on a random failure of 100,000 nodes). Each query runs
once, in the order given. Prints one JSON object: load time, node and edge counts, and per query
its reach (nodes visited, the failed node included), seconds, and the process's CPU seconds.

Run with Debian's python3-igraph: /usr/bin/python3 scripts/bench_igraph.py EDGES.csv QUERIES.txt
"""
import csv
import json
import sys
import time

import igraph


def main():
    edges_path, queries_path = sys.argv[1], sys.argv[2]
    t0 = time.perf_counter()
    ids = {}
    edges = []
    with open(edges_path, newline="") as f:
        rows = csv.reader(f)
        next(rows)  # header
        for frm, to, _kind in rows:
            a = ids.setdefault(frm, len(ids))
            b = ids.setdefault(to, len(ids))
            edges.append((a, b))
    g = igraph.Graph(n=len(ids), edges=edges, directed=True)
    del edges
    load = time.perf_counter() - t0

    out = {"load_seconds": load, "nodes": g.vcount(), "edges": g.ecount(),
           "igraph": igraph.__version__, "queries": []}
    with open(queries_path) as f:
        queries = [line.strip() for line in f if line.strip()]
    reach = g.subcomponent
    for ref in queries:
        v = ids.get(ref)
        if v is None:
            out["queries"].append({"ref": ref, "reach": 1, "seconds": 0.0, "cpu_seconds": 0.0})
            continue
        c = time.process_time()
        t = time.perf_counter()
        vids = reach(v, mode="in")
        dt = time.perf_counter() - t
        dc = time.process_time() - c
        out["queries"].append({"ref": ref, "reach": len(vids), "seconds": dt, "cpu_seconds": dc})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
