#!/usr/bin/env bash
# make bench: starts a throwaway cluster and runs the benchmarks in test/bench,
# each comparing streamflow with a baseline side by side in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${STREAMFLOW_BENCH_DIR:-/tmp/streamflow-bench}
port=${STREAMFLOW_BENCH_PORT:-5493}
db=bench

bash scripts/cluster.sh stop "$dir" 2>/dev/null || true
rm -rf "$dir"
bash scripts/cluster.sh start "$dir" "$port" "$db"
trap 'bash scripts/cluster.sh stop "$dir"' EXIT
bash scripts/cluster.sh psql "$dir" "$port" "$db" -qc "CREATE EXTENSION streamflow"

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(psql --version | head -1)"
echo
echo "== ingest: 10,000 ~1 KB frames in one transaction (median of ${REPS:-5}; ratio = time / plain INSERTs)"
test/bench/ingest_bench.sh bash scripts/cluster.sh psql "$dir" "$port" "$db"
echo
echo "== single frames: one per transaction, pgbench, ${SECS:-5} s runs, median of ${REPS:-3} (ratio = ingest tps / INSERT tps)"
test/bench/single_bench.sh "$dir" "$port" "$db"
echo
echo "== pipeline: seed 000's Crawler to AI Stream (bindings + data_schema) vs the same frames without, median of ${REPS:-5}"
test/bench/pipeline_bench.sh "$dir" "$port" "$db"
echo
echo "== outbound webhooks: ${FRAMES:-5000} frames committed, then POSTed to local receivers until all are acknowledged"
(cd test && PGHOST="$dir" PGPORT="$port" PGUSER=postgres PGDATABASE="$db" node bench/outbound_bench.mjs)
