#!/usr/bin/env bash
# make bench: starts a tuned throwaway cluster (fsync on), runs every workload
# in test/bench side by side with its baseline (variants alternating, at least
# 3 repetitions), then prints medians and ratios and writes them, with the
# machine's facts, to RESULTS/bench-results.json (scripts/bench_report.mjs).
#
#   make bench            full mode (about 15 minutes)
#   make bench QUICK=1    quick mode, BENCH_QUICK=1 (a few minutes)
# Environment: STREAMFLOW_BENCH_DIR (cluster + results, default /tmp/streamflow-bench),
# STREAMFLOW_BENCH_PORT (5493; the worker's HTTP port is PORT + 3000),
# STREAMFLOW_BENCH_RESULTS (default DIR/results), BENCH_REPS, BENCH_SECS,
# BENCH_ONLY (sections to run, e.g. "ingest,clients"), PG_CONFIG.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
dir=${STREAMFLOW_BENCH_DIR:-/tmp/streamflow-bench}
port=${STREAMFLOW_BENCH_PORT:-5493}
db=bench
results=${STREAMFLOW_BENCH_RESULTS:-$dir/results}
quick=${BENCH_QUICK:-0}
[ "$quick" = 0 ] || quick=1
if [ "$quick" = 1 ]; then
	reps=${BENCH_REPS:-3} secs=${BENCH_SECS:-3} sections=${BENCH_ONLY:-ingest,pipeline,clients}
else
	reps=${BENCH_REPS:-5} secs=${BENCH_SECS:-8} sections=${BENCH_ONLY:-ingest,pipeline,bus,clients}
fi
PGBIN=$("${PG_CONFIG:-pg_config}" --bindir)
export PATH="$PGBIN:$PATH"

# The cluster's settings on top of cluster.sh's (later lines win).  Sized for
# the 2-core, 24 GiB machine the goals name; everything durable as shipped:
#  - fsync, synchronous_commit, full_page_writes on: a benchmark that loses
#    data on a crash measures nothing a user would run (the tests' fsync=off
#    is overridden here).
#  - shared_buffers 4GB (1/6 of RAM: every run's rows stay cached, and the
#    page cache keeps room for WAL and the Node clients); wal_buffers 64MB so
#    100-frame commits do not wait on WAL buffer writes.
#  - max_wal_size 16GB, checkpoint_timeout 30min: no checkpoint inside a
#    measured run; each run starts after an explicit CHECKPOINT instead.
#  - jit off: LLVM compilation of a 100-row INSERT … SELECT costs more than
#    the query and would add noise unrelated to any variant.
#  - autovacuum stays on (as shipped); the runs empty their tables with TRUNCATE.
#  - max_connections 200: pgbench's clients and the Node clients' sessions.
tuned_conf() {
	cat <<CONF
# make bench: tuned for 2 cores / 24 GiB, durable
fsync = on
synchronous_commit = on
full_page_writes = on
wal_level = replica
shared_buffers = 4GB
effective_cache_size = 16GB
wal_buffers = 64MB
max_wal_size = 16GB
min_wal_size = 2GB
checkpoint_timeout = 30min
checkpoint_completion_target = 0.9
work_mem = 32MB
maintenance_work_mem = 512MB
jit = off
max_connections = 200
CONF
}

# Machine and server facts as JSON (cores, CPU, memory, kernel, PostgreSQL, settings, commit).
machine_facts() {
	local settings
	settings=$(q -c "SELECT json_object_agg(name, current_setting(name))
		FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_level',
		'wal_sync_method', 'shared_buffers', 'wal_buffers', 'max_wal_size', 'checkpoint_timeout',
		'effective_cache_size', 'work_mem', 'jit', 'autovacuum', 'max_connections',
		'streamflow.ring_size', 'streamflow.notify', 'shared_preload_libraries')")
	jq -n --arg cores "$(nproc)" --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
		--arg mem "$(free -g | awk '/Mem:/ {print $2}')" --arg kernel "$(uname -r)" \
		--arg pg "$(q -c 'SELECT version()')" --arg pgq "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'pgq'")" \
		--arg commit "$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		--arg node "$(node --version)" --argjson settings "$settings" \
		--arg mode "$([ "$quick" = 1 ] && echo quick || echo full)" --arg reps "$reps" --arg secs "$secs" \
		--arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
		'{date: $date, mode: $mode, repetitions: ($reps | tonumber), seconds_per_run: ($secs | tonumber),
		  machine: {cores: ($cores | tonumber), cpu: $cpu, memory_gib: ($mem | tonumber), kernel: $kernel,
		            load_before: $load, node: $node},
		  postgresql: {version: $pg, pgq: $pgq, settings: $settings}, streamflow_commit: $commit}'
}

q() { PGOPTIONS='-c client_min_messages=warning' psql -X -qAt -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d "$db" "$@"; }
has_section() { [[ ",$sections," == *",$1,"* ]]; }

# The hook for the Node clients: each test/bench/NAME_bench.mjs (other .mjs
# files there are their helpers) runs through its driver test/bench/NAME_bench.sh
# when there is one (called as DRIVER DIR PORT DB), else as `node NAME_bench.mjs`,
# with PGHOST PGPORT PGUSER PGDATABASE (and BENCH_HOST/PORT/DB), STREAMFLOW_HTTP_PORT
# (= BENCH_HTTP_PORT), BENCH_QUICK, BENCH_REPS, BENCH_SECS, BENCH_PGDATA, and
# BENCH_OUT=RESULTS/clients/NAME.json where the client may write one JSON object.
# In quick mode SECS, FRAMES and IDLE are small too (the clients' own knobs).
# Its output goes to the terminal and RESULTS/clients/NAME.log; bench_report.mjs
# keeps every output line that is a JSON object under "clients"."NAME"."lines"
# and merges BENCH_OUT's object there; a "records" array (lib.sh's record
# fields) gets medians and ratios like the shell benchmarks', a "goals" array
# ({goal, case, target, measured, met}) is listed with the others, a "tables"
# array ({title, columns, rows}) is printed and rendered into README.  A failing
# client is reported and the others still run.
run_clients() {
	local f name cmd
	mkdir -p "$results/clients"
	for f in test/bench/*_bench.mjs; do
		[ -e "$f" ] || { echo "(no Node clients in test/bench)"; return 0; }
		name=$(basename "$f" .mjs)
		echo "-- $name"
		cmd=(node "$f")
		[ ! -f "test/bench/$name.sh" ] || cmd=(bash "test/bench/$name.sh" "$dir" "$port" "$db")
		(
			export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=$db
			export STREAMFLOW_HTTP_PORT=$((port + 3000)) BENCH_HTTP_PORT=$((port + 3000))
			export BENCH_OUT="$results/clients/$name.json"
			[ "$quick" = 0 ] || export SECS=$secs FRAMES=${FRAMES:-1000} IDLE=${IDLE:-2000}
			"${cmd[@]}"
		) | tee "$results/clients/$name.log" ||
			echo "bench client $name failed" | tee "$results/clients/$name.failed" >&2
	done
}

bash scripts/cluster.sh stop "$dir" 2>/dev/null || true
rm -rf "$dir" "$results"
mkdir -p "$results/raw"
STREAMFLOW_CLUSTER_CONF=$(tuned_conf) bash scripts/cluster.sh start "$dir" "$port" "$db"
trap 'bash scripts/cluster.sh stop "$dir"' EXIT
q -c "CREATE EXTENSION streamflow"
if ! q -c "CREATE EXTENSION pgq" 2>/dev/null; then
	echo "bench: the pgq extension is missing from $("${PG_CONFIG:-pg_config}" --sharedir)/extension (make deps installs postgresql-15-pgq3)" >&2
	exit 1
fi

machine_facts >"$results/machine.json"
jq -r '"machine: \(.machine.cores) cores, \(.machine.cpu), \(.machine.memory_gib) GiB, load \(.machine.load_before)\n\(.postgresql.version)\nsettings: \(.postgresql.settings | to_entries | map("\(.key)=\(.value)") | join(" "))\nmode: \(.mode), \(.repetitions) repetitions, \(.seconds_per_run) s per pgbench run"' "$results/machine.json"

export BENCH_HOST=$dir BENCH_PORT=$port BENCH_DB=$db BENCH_PGDATA="$dir/data" BENCH_RAW="$results/raw"
export BENCH_REPS=$reps BENCH_SECS=$secs BENCH_QUICK=$quick
if has_section ingest; then
	echo
	echo "== ingest: ~1 KB frames, 1 and 100 frames per transaction, 1 and 2 clients (test/bench/ingest_bench.sh)"
	test/bench/ingest_bench.sh
fi
if has_section pipeline; then
	echo
	echo "== pipeline: seed 000's Crawler to AI Stream (bindings + data_schema) vs a plain stream (test/bench/pipeline_bench.sh)"
	test/bench/pipeline_bench.sh
fi
if has_section bus; then
	echo
	echo "== bus: 10,000 frames in one transaction, NOTIFY coalesced / per frame / off (test/bench/bus_bench.sh)"
	test/bench/bus_bench.sh
fi
if has_section clients; then
	echo
	echo "== Node clients (test/bench/*_bench.mjs)"
	run_clients
fi

echo
node scripts/bench_report.mjs "$results"
echo
echo "results: $results/bench-results.json (README table: node scripts/bench_report.mjs --markdown $results/bench-results.json)"
