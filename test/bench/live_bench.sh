#!/usr/bin/env bash
# Live delivery benchmarks (test/bench/live_bench.mjs) on a running cluster:
#   live_bench.sh DIR PORT DB
# commit -> WebSocket latency at 1k and 10k frames/s, fan-out to 100 and 1000
# subscribers, worker memory with 10,000 idle WebSocket connections.  Sets
# streamflow.auth = none and streamflow.max_connections on that cluster.
set -euo pipefail
cd "$(dirname "$0")"
dir=$1 port=$2 db=$3
psql_db() { bash ../../scripts/cluster.sh psql "$dir" "$port" "$db" -qAt "$@"; }
psql_db -c "ALTER SYSTEM SET streamflow.auth = 'none'" -c "ALTER SYSTEM SET streamflow.max_connections = 20000" \
	-c "SELECT pg_reload_conf()" >/dev/null
sleep 1
ulimit -n "$(ulimit -Hn)"
export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=$db
export STREAMFLOW_HTTP_PORT=$(bash ../../scripts/cluster.sh http-port "$port")
for rate in 1000 10000; do node live_bench.mjs latency "$rate" "${SECS:-10}"; done
for n in 100 1000; do node live_bench.mjs fanout "$n" "${FRAMES:-1000}"; done
node live_bench.mjs idle "${IDLE:-10000}"
