#!/usr/bin/env bash
# Live delivery benchmarks (test/bench/live_bench.mjs) on a running cluster,
# streamflow side by side with the Node relay (test/bench/relay/relay.mjs):
#   live_bench.sh DIR PORT DB [latency] [fanout] [idle]
# commit -> subscriber latency at 1k and 10k frames/s (streamflow WS and SSE,
# relay WS), fan-out to 100 and 1000 WebSocket subscribers with the servers'
# CPU time, RSS with 10,000 idle WebSocket connections (IDLE).  Sets
# streamflow.auth = none and streamflow.max_connections on that cluster.
set -euo pipefail
cd "$(dirname "$0")"
dir=$1 port=$2 db=$3
shift 3
psql_db() { bash ../../scripts/cluster.sh psql "$dir" "$port" "$db" -qAt "$@"; }
psql_db -c "ALTER SYSTEM SET streamflow.auth = 'none'" -c "ALTER SYSTEM SET streamflow.max_connections = 20000" \
	-c "SELECT pg_reload_conf()" >/dev/null
sleep 1
ulimit -n "$(ulimit -Hn)"
export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=$db
export STREAMFLOW_HTTP_PORT=$(bash ../../scripts/cluster.sh http-port "$port")
exec node live_bench.mjs "$@"
