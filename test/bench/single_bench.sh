#!/usr/bin/env bash
# Single-frame benchmark: one ingest() per transaction vs one plain INSERT per
# transaction, with pgbench, 1 client and 2 clients on one stream, alternating
# runs of SECS seconds, median of REPS.  Ratio = ingest tps / INSERT tps.
#
#   single_bench.sh HOST PORT DB   (streamflow installed in DB)
set -euo pipefail
host=$1 port=$2 db=$3
REPS=${REPS:-3}
SECS=${SECS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q() { psql -X -qAt -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U postgres -d "$db" "$@"; }

q >/dev/null <<'SQL'
SELECT streamflow.create_stream('bench_single', '{"id": "bench_single"}');
CREATE TABLE bench_single_plain (LIKE streamflow.frames INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE SEQUENCE bench_single_seq;
SQL
payload='{"price": 1850.5, "volume": 1234.56, "symbol": "ETH-USD"}'
echo "SELECT streamflow.ingest('bench_single', '$payload');" >"$tmp/ingest.sql"
echo "INSERT INTO bench_single_plain (stream_id, sequence, payload) VALUES ('s', nextval('bench_single_seq'), '$payload');" >"$tmp/insert.sql"

tps() { pgbench -n -h "$host" -p "$port" -U postgres -f "$tmp/$1.sql" -c "$2" -j "$2" -T "$SECS" "$db" 2>/dev/null | awk '/^tps/ {print $3}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf '%-8s %14s %14s %8s\n' clients insert_tps ingest_tps ratio
for c in 1 2; do
	ins="" ing=""
	for r in $(seq 1 "$REPS"); do
		ins+=" $(tps insert "$c")"
		ing+=" $(tps ingest "$c")"
	done
	mi=$(echo "$ins" | median); mg=$(echo "$ing" | median)
	printf '%-8s %14.0f %14.0f %8.2f\n' "$c" "$mi" "$mg" "$(echo "$mg / $mi" | bc -l)"
done
q -c "SELECT streamflow.drop_stream('bench_single'); DROP TABLE bench_single_plain; DROP SEQUENCE bench_single_seq;" >/dev/null
