#!/usr/bin/env bash
# Reproduces the figures of docs/benchmarks.md, section "Analysis engine", in one run: the
# analysis engine on synthetic estates of 100,000 nodes / 1,000,000 edges and 1,000,000 nodes /
# 10,000,000 edges, side by side with PostgreSQL (WITH RECURSIVE over an indexed edge table)
# and igraph (BFS) on the same graph and the same failures. Prints markdown to stdout and
# progress to stderr.
#
# Needs: Go; PostgreSQL on 127.0.0.1:5432 with trust auth and a database `test` (PGURL to use
# another; the run creates and drops a schema perdura_bench in it); Debian's python3-igraph
# (`apt-get install -y python3-igraph`, for /usr/bin/python3).
#
# Environment: SEED (default 1); PGURL; SKIP_1M=1 to run only the 100,000-node estate;
# PYTHON (default /usr/bin/python3); COMMIT names the code measured when run outside a git
# work tree (from `git archive`).
#
# Takes 3 to 8 minutes for the 100,000-node estate, depending on what else the machine runs,
# and about 16 more for the 1,000,000-node one on a 2-core machine; each size is killed by
# `timeout` if it ever takes much longer.
set -euo pipefail
cd "$(dirname "$0")/.."

SEED=${SEED:-1}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
PYTHON=${PYTHON:-/usr/bin/python3}

if ! "$PYTHON" -c 'import igraph' 2>/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "bench-analysis: installing Debian's python3-igraph" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-igraph >/dev/null 2>&1 ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-igraph >/dev/null; }
fi
if ! "$PYTHON" -c 'import igraph' 2>/dev/null; then
	echo "bench-analysis: $PYTHON has no igraph: apt-get install -y python3-igraph" >&2
	exit 1
fi
if ! psql "$PGURL" -qAtc 'select 1' >/dev/null 2>&1; then
	echo "bench-analysis: cannot reach PostgreSQL at $PGURL" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/benchanalysis" ./scripts/benchanalysis

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/ {print $2}') GB; $(go version | cut -d' ' -f3); $(date -u '+%Y-%m-%d %H:%M UTC'); load average at start $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)."
echo
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "${COMMIT:-unknown}")
if git rev-parse HEAD >/dev/null 2>&1 && ! git diff --quiet HEAD -- internal scripts 2>/dev/null; then
	commit="$commit with uncommitted changes"
fi
echo "Command: \`scripts/bench-analysis.sh\` (seed $SEED), at commit $commit."
echo

# The 100,000-node estate, every peer, every query.
timeout --kill-after=30s 15m "$work/benchanalysis" -nodes 100000 -seed "$SEED" \
	-peers postgres,igraph -pg "$PGURL" -python "$PYTHON" -work "$work"
echo "Load average after the 100,000-node run: $(cut -d' ' -f1-3 /proc/loadavg)."
echo

if [[ "${SKIP_1M:-}" != 1 ]]; then
	# The 1,000,000-node estate. Perdura times the 20 most depended-on nodes rather than 100:
	# a full impact report of such a hub lists most of a million objects with their critical
	# paths and takes seconds. PostgreSQL answers only a sample (one of its hub queries takes
	# tens of seconds there). igraph is left out: its Python loader of 10,000,000 edges alone
	# takes minutes and gigabytes.
	timeout --kill-after=30s 40m "$work/benchanalysis" -nodes 1000000 -seed "$SEED" \
		-hubs 20 -repeat 3 -peers postgres -pg "$PGURL" -pg-random 100 -pg-hubs 3 \
		-pg-budget 5m -pg-timeout 2m -work "$work"
	echo "Load average after the 1,000,000-node run: $(cut -d' ' -f1-3 /proc/loadavg)."
fi
