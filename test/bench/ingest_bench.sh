#!/usr/bin/env bash
# Ingest benchmark: 10,000 ~1 KB frames in one transaction, side by side,
# alternating runs, median of REPS.  Prints one line per variant with the
# median seconds and the ratio to "plain INSERTs" (>1 means slower).
#
#   ingest_bench.sh PSQL...   (a psql command line for a database where
#                              streamflow is installed)
set -euo pipefail
REPS=${REPS:-5}
N=${N:-10000}
psql=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

q() { "${psql[@]}" -X -qAt -v ON_ERROR_STOP=1 "$@"; }

# a ~1 KB payload in the shape of seed 001's test stream
payload_sql="jsonb_build_object('id', md5(i::text), 'timestamp', 1700000000 + i, 'sequence', i,
  'event_type', (ARRAY['click','view','purchase'])[i % 3 + 1], 'user_id', 'user_' || (i % 100),
  'data', jsonb_build_object('value', i * 10, 'metadata', jsonb_build_object('test', true)),
  'pad', repeat('x', 800))"

q >/dev/null 2>&1 <<SQL
DROP TABLE IF EXISTS bench_plain;
CREATE TABLE bench_plain (LIKE streamflow.frames INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
DROP TABLE IF EXISTS bench_batch;
CREATE TABLE bench_batch AS SELECT jsonb_agg(jsonb_build_object('payload', $payload_sql) ORDER BY i) AS frames
  FROM generate_series(1, $N) i;
SELECT streamflow.drop_stream(id) FROM streamflow.streams WHERE name LIKE 'bench_%';
SELECT streamflow.create_stream('bench_notify', '{"id": "bench_notify"}');
SELECT streamflow.create_stream('bench_quiet', '{"id": "bench_quiet"}');
SELECT streamflow.create_stream('bench_each', '{"id": "bench_each"}');
SQL

# 10,000 INSERT statements in one transaction, as a client would send them
q -c "COPY (SELECT 'INSERT INTO bench_plain (stream_id, sequence, payload) VALUES (''s'', ' || i || ', ' || quote_literal(($payload_sql)::text) || ');' FROM generate_series(1, $N) i) TO STDOUT" > "$tmp/inserts.sql"
{ echo "BEGIN;"; cat "$tmp/inserts.sql"; echo "COMMIT;"; } > "$tmp/plain.sql"

secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }

declare -A runs
# ingest_batch: bus on, the 10,000 frames coalesced into one announcement (default);
# ingest_batch_notify_each: one NOTIFY per frame; ingest_batch_no_notify: bus off.
variants=(plain_inserts insert_select ingest_batch ingest_batch_notify_each ingest_batch_no_notify)
for r in $(seq 1 "$REPS"); do
	q -c "TRUNCATE bench_plain; DELETE FROM streamflow.frames WHERE stream_id LIKE 'bench_%'; UPDATE streamflow.stream_state SET last_sequence = 0 WHERE stream_id LIKE 'bench_%'; CHECKPOINT;"
	runs[plain_inserts]+=" $(secs q -f "$tmp/plain.sql")"
	q -c "TRUNCATE bench_plain"
	runs[insert_select]+=" $(secs q -c "INSERT INTO bench_plain (stream_id, sequence, payload) SELECT 's', i, $payload_sql FROM generate_series(1, $N) i")"
	runs[ingest_batch]+=" $(secs q -c "SELECT streamflow.ingest_batch('bench_notify', frames) FROM bench_batch")"
	runs[ingest_batch_notify_each]+=" $(secs q -c "SET streamflow.notify_max_frames = -1; SELECT streamflow.ingest_batch('bench_each', frames) FROM bench_batch")"
	runs[ingest_batch_no_notify]+=" $(secs q -c "SET streamflow.notify = off; SELECT streamflow.ingest_batch('bench_quiet', frames) FROM bench_batch")"
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
base=$(echo "${runs[plain_inserts]}" | median)
printf '%-26s %10s %12s %10s\n' variant median_s frames_per_s vs_plain
for v in "${variants[@]}"; do
	m=$(echo "${runs[$v]}" | median)
	printf '%-26s %10.3f %12.0f %10.2f\n' "$v" "$m" "$(echo "$N / $m" | bc -l)" "$(echo "$m / $base" | bc -l)"
done
q -c "DROP TABLE bench_plain, bench_batch; SELECT streamflow.drop_stream('bench_notify'), streamflow.drop_stream('bench_quiet'), streamflow.drop_stream('bench_each');" >/dev/null
