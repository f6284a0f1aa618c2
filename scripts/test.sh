#!/usr/bin/env bash
# make test: pg_regress (make installcheck on a temporary instance), pgTAP
# (pg_prove) and the integration tests (node --test) against a throwaway
# cluster, then a short libFuzzer run (make fuzz-smoke).  Run after the
# extension is built and installed; exits non-zero on any failure and ends
# with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

run_dir=${STREAMFLOW_TEST_DIR:-/tmp/streamflow-test}
port=${STREAMFLOW_TEST_PORT:-5491}
db=streamflow_test
passed=0
failed=0

step() { echo; echo "== $*"; }
result() {
	if [ "$1" -eq 0 ]; then passed=$((passed + 1)); echo "ok: $2"
	else failed=$((failed + 1)); echo "FAILED: $2"; fi
}

# pg_regress must run as postgres, which may not be able to read this checkout:
# it runs from a copy in a directory postgres owns.
step "pg_regress (make installcheck)"
rm -rf "$run_dir/regress"
mkdir -p "$run_dir/regress/src"
tar -C "$repo" --exclude=.git --exclude=node_modules --exclude=tmp_check -cf - . | tar -C "$run_dir/regress/src" -xf -
# the temporary instance's worker gets a port of its own (next to the cluster's)
echo "streamflow.port = $((port + 3001))" >>"$run_dir/regress/src/test/regress.conf"
chown -R postgres: "$run_dir"
runuser -u postgres -- make -s -C "$run_dir/regress/src" installcheck REGRESS_WORKDIR="$run_dir/regress/work" PG_CONFIG="${PG_CONFIG:-pg_config}"
rc=$?
if [ $rc -ne 0 ] && [ -f "$run_dir/regress/work/regression.diffs" ]; then
	cat "$run_dir/regress/work/regression.diffs"
fi
result $rc "pg_regress"

step "throwaway cluster on port $port"
bash scripts/cluster.sh stop "$run_dir/cluster" 2>/dev/null
rm -rf "$run_dir/cluster"
bash scripts/cluster.sh start "$run_dir/cluster" "$port" "$db" || exit 1
trap 'bash scripts/cluster.sh stop "$run_dir/cluster"' EXIT
psql_db() { bash scripts/cluster.sh psql "$run_dir/cluster" "$port" "$db" -v ON_ERROR_STOP=1 -q "$@"; }
psql_db -c "CREATE EXTENSION streamflow; CREATE EXTENSION pgtap; CREATE EXTENSION pg_cron;" || exit 1

step "pgTAP (pg_prove test/pgtap)"
pg_prove -h "$run_dir/cluster" -p "$port" -U postgres -d "$db" test/pgtap/*.sql
result $? "pgTAP"

# worker*.test.mjs, live_crash.test.mjs and windows_crash.test.mjs kill the worker (and so restart
# every backend) or move it to another database, auth.test.mjs turns
# streamflow.auth off for a while: they run alone, one after the other,
# after the others.
step "integration tests (node --test test/integration)"
export PGHOST="$run_dir/cluster" PGPORT=$port PGUSER=postgres PGDATABASE=$db
export STREAMFLOW_HTTP_PORT=$(bash scripts/cluster.sh http-port "$port")
mapfile -t shared_tests < <(ls test/integration/*.test.mjs | grep -Ev '/(worker[^/]*|auth|live_crash|windows_crash)\.test\.mjs$')
node --test "${shared_tests[@]}"
rc=$?
for t in test/integration/auth.test.mjs test/integration/worker*.test.mjs test/integration/live_crash.test.mjs test/integration/windows_crash.test.mjs; do
	node --test "$t" || rc=1
done
[ $rc -eq 0 ]
result $? "integration"

step "fuzz smoke (make fuzz-smoke)"
make -s fuzz-smoke STREAMFLOW_FUZZ_DIR="$run_dir/fuzz"
result $? "fuzz-smoke"

echo
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
