#!/usr/bin/env bash
# The server's load figures of docs/benchmarks.md: 200 concurrent clients against the real
# binary on SQLite and on PostgreSQL, side by side. PostgreSQL is the one on 127.0.0.1:5432
# unless PERDURA_TEST_POSTGRES names another (a fresh database is created and dropped).
# Usage: scripts/bench-server.sh [-duration 10s] [-clients 200]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)/perdura
CGO_ENABLED=0 go build -o "$bin" ./cmd/perdura
echo "# $(date -u +%F) $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
go run ./scripts/benchserver -bin "$bin" \
  -postgres "${PERDURA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}" "$@"
