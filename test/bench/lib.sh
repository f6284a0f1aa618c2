# Shared helpers of the shell benchmarks in test/bench (sourced, not run).
# scripts/bench.sh exports:
#   BENCH_HOST BENCH_PORT BENCH_DB   where streamflow (and pgq) are installed
#   BENCH_PGDATA                     the cluster's data directory (for CPU accounting)
#   BENCH_RAW                        directory for raw results, one JSON line per run
#   BENCH_REPS BENCH_SECS BENCH_QUICK
BENCH_REPS=${BENCH_REPS:-3}
BENCH_SECS=${BENCH_SECS:-5}
BENCH_RAW=${BENCH_RAW:-$(mktemp -d)}
mkdir -p "$BENCH_RAW"

# psql on the bench database, quiet, unaligned, stopping at the first error.
q() { PGOPTIONS='-c client_min_messages=warning' psql -X -qAt -v ON_ERROR_STOP=1 -h "$BENCH_HOST" -p "$BENCH_PORT" -U postgres -d "$BENCH_DB" "$@"; }

# CPU time (clock ticks) of the cluster: the postmaster's own and its reaped
# children's (exited backends), plus every live child (backends, workers).
server_cpu_ticks() {
	local pm
	pm=$(head -1 "$BENCH_PGDATA/postmaster.pid")
	{
		awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
		for p in $(pgrep -P "$pm"); do
			awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true
		done
	} | awk '{s += $1} END {print s}'
}
CLK_TCK=$(getconf CLK_TCK)

# Runs pgbench with one custom script for BENCH_SECS seconds and prints
# "transactions tps cpu_seconds": cpu_seconds is the cluster's CPU time
# over the run (server side only; pgbench's own time is not counted).
#   pgbench_run SCRIPT CLIENTS
pgbench_run() {
	local script=$1 clients=$2 c0 c1 out
	c0=$(server_cpu_ticks)
	out=$(pgbench -n -M prepared -h "$BENCH_HOST" -p "$BENCH_PORT" -U postgres \
		-c "$clients" -j "$clients" -T "$BENCH_SECS" -f "$script" "$BENCH_DB" 2>&1) || {
		echo "pgbench failed ($script, $clients clients):" >&2
		echo "$out" >&2
		return 1
	}
	sleep 0.3 # let the postmaster reap the backends, so their CPU time is counted
	c1=$(server_cpu_ticks)
	echo "$out" | awk -v cpu="$(echo "($c1 - $c0) / $CLK_TCK" | bc -l)" '
		/^number of transactions actually processed/ {split($0, a, ": "); split(a[2], b, "/"); tx = b[1]}
		/^tps/ {tps = $3}
		END {printf "%d %s %.3f\n", tx, tps, cpu}'
}

# Wall-clock seconds one command takes.
secs() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

# Median of whitespace-separated numbers on stdin.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# Appends one run to $BENCH_RAW/WORKLOAD.jsonl:
#   record WORKLOAD CASE VARIANT BASELINE REP FRAMES SECONDS [CPU_SECONDS]
# frames_per_s = FRAMES / SECONDS; with CPU_SECONDS also frames per CPU-second
# of the server ("per core": one core busy for one second).
record() {
	local cpu=null
	[ -z "${8:-}" ] || cpu=$(printf '%.3f' "$8")
	printf '{"workload":"%s","case":"%s","variant":"%s","baseline":"%s","rep":%d,"frames":%d,"seconds":%.6f,"cpu_seconds":%s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" "$cpu" >>"$BENCH_RAW/$1.jsonl"
}

# The variants in an order rotated by the repetition number, so no variant
# always runs first (cold) or last.
rotate() {
	local r=$1
	shift
	local n=$# i
	local a=("$@")
	for ((i = 0; i < n; i++)); do echo "${a[$(((i + r) % n))]}"; done
}
