#!/usr/bin/env bash
# Runs streamflow's libFuzzer target (fuzz/streamflow_fuzz.c) inside a
# single-user PostgreSQL backend (postgres --single) on a throwaway data
# directory, as the postgres OS user.
#
#   fuzz.sh run SECONDS     replay every seed once, then fuzz for SECONDS
#   fuzz.sh repro FILE...   run the given inputs once, printing each outcome
#
# make fuzz / make fuzz-smoke build $STREAMFLOW_FUZZ_DIR/streamflow_fuzz.so
# first.  Everything this writes stays in that directory (default
# /tmp/streamflow-fuzz): data/ (initdb'd anew each run), corpus/ (what
# libFuzzer found, kept between runs), artifacts/ (crash-, leak-, timeout-,
# oom- reproducers) and the logs.  Exits 0 when no finding was made; otherwise
# prints the report and the reproducer's path and exits 1.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

PGBIN=$("${PG_CONFIG:-pg_config}" --bindir)
dir=${STREAMFLOW_FUZZ_DIR:-/tmp/streamflow-fuzz}
so=$dir/streamflow_fuzz.so
cc=${FUZZ_CC:-clang}
timeout=${FUZZ_TIMEOUT:-25}			# seconds one input may take
max_len=${FUZZ_MAX_LEN:-4096}		# bytes of a generated input
rss_limit=${FUZZ_RSS_LIMIT_MB:-}	# MB; the default depends on ASan, below
env_vars=()							# the backend's environment

as_postgres() {
	if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}
die() { echo "fuzz: $*" >&2; exit 1; }

# setup: a fresh cluster, the seeds and dictionary where postgres can read
# them, and the environment the module needs.
setup() {
	[ -f "$so" ] || die "$so is missing: build it with make fuzz-build"

	# The real 8MB stack, under which PostgreSQL sets max_stack_depth to 2MB;
	# the harness prints what the backend got and check_stack checks it.
	ulimit -s 8192 || die "cannot set the stack limit to 8MB (ulimit -s)"

	mkdir -p "$dir/corpus" "$dir/artifacts"
	rm -rf "$dir/data" "$dir/seeds"
	cp -r "$repo/fuzz/corpus" "$dir/seeds"
	cp "$repo/fuzz/json_schema.dict" "$repo/fuzz/lsan.supp" "$dir/"
	chown -R postgres: "$dir" 2>/dev/null || true
	as_postgres "$PGBIN/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; die "initdb failed"; }

	# An ASan-built module needs the ASan runtime loaded ahead of postgres's
	# own libraries (LD_PRELOAD), and asan_preinit.so to start it safely.
	# detect_leaks turns on LeakSanitizer, which libFuzzer runs after every
	# input that malloc'd more than it freed.
	if nm -D "$so" | grep ' U __asan_init' >/dev/null; then
		local asan_rt symbolizer
		asan_rt=$("$cc" -print-file-name=libclang_rt.asan-"$(uname -m)".so)
		[ -f "$asan_rt" ] || die "ASan runtime not found ($asan_rt): make deps"
		[ -f "$dir/asan_preinit.so" ] || die "$dir/asan_preinit.so is missing: make fuzz-build"
		env_vars+=(LD_PRELOAD="$asan_rt $dir/asan_preinit.so"
			ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:detect_stack_use_after_return=0:${ASAN_OPTIONS:-}"
			LSAN_OPTIONS="suppressions=$dir/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}")
		symbolizer=$(command -v llvm-symbolizer || true)
		[ -n "$symbolizer" ] && env_vars+=(ASAN_SYMBOLIZER_PATH="$symbolizer")
		rss_limit=${rss_limit:-4096}
	fi
	# Without ASan there is no LeakSanitizer: a malloc leak shows only as
	# growth, which libFuzzer's RSS limit turns into a finding (oom-*).  The
	# backend then runs in about 100MB, so 1GB is a lot of growth.
	rss_limit=${rss_limit:-1024}
}

# single LOG VERBOSE ARG...: runs libFuzzer with ARGs in postgres --single;
# its exit status is libFuzzer's.
single() {
	local log=$1 list="" a
	local vars=("${env_vars[@]}")
	[ "$2" = 1 ] && vars+=(STREAMFLOW_FUZZ_VERBOSE=1)
	shift 2
	for a in "$@"; do list+="${list:+, }'${a//\'/\'\'}'"; done
	printf '%s\n' \
		"CREATE OR REPLACE FUNCTION streamflow_fuzz(text[]) RETURNS int AS '$so', 'streamflow_fuzz' LANGUAGE C STRICT" \
		"SELECT streamflow_fuzz(ARRAY[$list]::text[])" |
		as_postgres env "${vars[@]}" "$PGBIN/postgres" --single -D "$dir/data" \
			-c fsync=off -c log_min_messages=warning postgres >"$log" 2>&1
}

# report LOG STATUS: prints a finding and its reproducer, then exits 1.
report() {
	local log=$1 artifact first
	grep -a -q 'libFuzzer: run interrupted' "$log" && die "interrupted"
	echo "fuzz: FINDING (postgres exited $2); the end of $log:"
	first=$(grep -a -n -m1 -E '==[0-9]+==|FINDING|deadly signal|ALARM|out-of-memory|ERROR: libFuzzer' "$log" | cut -d: -f1)
	if [ -n "$first" ]; then tail -n "+$first" "$log" | head -120; else tail -60 "$log"; fi
	artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
	# replaying files, libFuzzer saves nothing: the input is the file it ran last
	[ -n "$artifact" ] || artifact=$(sed -n 's/^Running: //p' "$log" | tail -1)
	if [ -n "$artifact" ]; then
		echo "fuzz: reproducer: $artifact"
		echo "fuzz: reproduce with: STREAMFLOW_FUZZ_DIR=$dir bash scripts/fuzz.sh repro $artifact"
	fi
	exit 1
}

# check_stack LOG: the backend must have run with max_stack_depth 2MB.
check_stack() {
	grep -a -q 'streamflow_fuzz: max_stack_depth=2MB, stack rlimit=8192kB' "$1" ||
		die "expected max_stack_depth=2MB under an 8MB stack, got: $(grep -a -m1 'max_stack_depth=' "$1")"
}

# replay LOG FILE...: runs each input once, in full, printing its outcome.
replay() {
	local log=$1 rc
	shift
	single "$log" 1 -timeout="$timeout" -rss_limit_mb="$rss_limit" "$@"
	rc=$?
	# libFuzzer runs an input twice when it malloc'd more than it freed (the
	# second run is its leak check): one line per input is enough
	awk '/^Running: /{f=$2; sub(".*/", "", f)}
		/^streamflow_fuzz: [a-z]+: / && f != done {done = f; sub("^streamflow_fuzz: ", "")
			printf "  %-38s %s\n", f, substr($0, 1, 110)}' "$log"
	check_stack "$log"
	{ [ $rc -eq 0 ] && grep -a -q 'fuzzing was not performed' "$log"; } || report "$log" $rc
}

# fuzz SECONDS: the seeds once, then libFuzzer's loop; prints the statistics.
fuzz() {
	local seconds=$1 rc
	echo "fuzz: seeds (fuzz/corpus), each run once in full:"
	replay "$dir/seeds.log" "$dir"/seeds/*

	echo "fuzz: fuzzing for ${seconds}s (log: $dir/fuzz.log, corpus: $dir/corpus)"
	single "$dir/fuzz.log" 0 -max_total_time="$seconds" -timeout="$timeout" -max_len="$max_len" \
		-rss_limit_mb="$rss_limit" -dict="$dir/json_schema.dict" -artifact_prefix="$dir/artifacts/" \
		-print_final_stats=1 "$dir/corpus" "$dir/seeds"
	rc=$?
	{ [ $rc -eq 0 ] && grep -a -q '^Done [0-9]* runs' "$dir/fuzz.log"; } || report "$dir/fuzz.log" $rc
	grep -a '^streamflow_fuzz: ' "$dir/fuzz.log" | sed 's/^streamflow_fuzz: /  /'
	grep -a -E '^#[0-9]+.*DONE' "$dir/fuzz.log" | tail -1 | sed 's/^/  /'
	echo "fuzz: no finding: $(final_stat number_of_executed_units) inputs in ${seconds}s," \
		"$(final_stat average_exec_per_sec) exec/s, peak RSS $(final_stat peak_rss_mb)MB"
}
final_stat() { sed -n "s/^stat::$1: *//p" "$dir/fuzz.log"; }

# repro FILE...: copies the inputs where postgres can read them and runs them.
repro() {
	local f copies=()
	mkdir -p "$dir/repro"
	for f in "$@"; do
		[ "$(realpath "$(dirname "$f")")" = "$(realpath "$dir/repro")" ] ||
			cp "$f" "$dir/repro/" || die "cannot read $f"
		copies+=("$dir/repro/$(basename "$f")")
	done
	chown -R postgres: "$dir/repro"
	replay "$dir/repro.log" "${copies[@]}"
	echo "fuzz: no finding"
}

main() {
	case "${1:-}" in
	run) [ $# -eq 2 ] || die "usage: fuzz.sh run SECONDS"; setup; fuzz "$2" ;;
	repro) shift; [ $# -gt 0 ] || die "usage: fuzz.sh repro FILE..."; setup; repro "$@" ;;
	*) die "usage: fuzz.sh run SECONDS | repro FILE..." ;;
	esac
}

# all of the file is read before main runs, so editing it mid-run is harmless
main "$@"
exit
