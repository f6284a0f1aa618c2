#!/usr/bin/env bash
# Bus benchmark: 10,000 ~1 KB frames in one transaction, alternating runs,
# BENCH_REPS repetitions: 10,000 INSERT statements (the baseline, as a client
# would send them), one INSERT … SELECT, and ingest_batch with the bus
# coalesced into one announcement (default), one NOTIFY per frame, or off.
# One JSON line per run in $BENCH_RAW/bus.jsonl (see lib.sh: record).
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
N=${N:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# a ~1 KB payload in the shape of seed 001's test stream
payload_sql="jsonb_build_object('id', md5(i::text), 'timestamp', 1700000000 + i, 'sequence', i,
  'event_type', (ARRAY['click','view','purchase'])[i % 3 + 1], 'user_id', 'user_' || (i % 100),
  'data', jsonb_build_object('value', i * 10, 'metadata', jsonb_build_object('test', true)),
  'pad', repeat('x', 800))"

q >/dev/null <<SQL
DROP TABLE IF EXISTS bench_plain, bench_batch;
CREATE TABLE bench_plain (LIKE streamflow.frames INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE TABLE bench_batch AS SELECT jsonb_agg(jsonb_build_object('payload', $payload_sql) ORDER BY i) AS frames
  FROM generate_series(1, $N) i;
SELECT streamflow.create_stream('bench_notify', '{"id": "bench_notify"}');
SELECT streamflow.create_stream('bench_quiet', '{"id": "bench_quiet"}');
SELECT streamflow.create_stream('bench_each', '{"id": "bench_each"}');
SQL

# 10,000 INSERT statements in one transaction, as a client would send them
q -c "COPY (SELECT 'INSERT INTO bench_plain (stream_id, sequence, payload) VALUES (''s'', ' || i || ', ' || quote_literal(($payload_sql)::text) || ');' FROM generate_series(1, $N) i) TO STDOUT" >"$tmp/inserts.sql"
{ echo "BEGIN;"; cat "$tmp/inserts.sql"; echo "COMMIT;"; } >"$tmp/plain.sql"

# Runs one variant once and prints its seconds.
run_variant() {
	case $1 in
	plain_inserts) secs q -f "$tmp/plain.sql" ;;
	insert_select) secs q -c "INSERT INTO bench_plain (stream_id, sequence, payload) SELECT 's', i, $payload_sql FROM generate_series(1, $N) i" ;;
	ingest_batch) secs q -c "SELECT streamflow.ingest_batch('bench_notify', frames) FROM bench_batch" ;;
	ingest_batch_notify_each) secs q -c "SET streamflow.notify_max_frames = -1; SELECT streamflow.ingest_batch('bench_each', frames) FROM bench_batch" ;;
	ingest_batch_no_notify) secs q -c "SET streamflow.notify = off; SELECT streamflow.ingest_batch('bench_quiet', frames) FROM bench_batch" ;;
	esac
}

for r in $(seq 1 "$BENCH_REPS"); do
	for v in $(rotate "$r" plain_inserts insert_select ingest_batch ingest_batch_notify_each ingest_batch_no_notify); do
		q -c "TRUNCATE bench_plain; DELETE FROM streamflow.frames WHERE stream_id LIKE 'bench_%'; CHECKPOINT;"
		s=$(run_variant "$v")
		record bus "$N frames in one transaction" "$v" plain_inserts "$r" "$N" "$s"
		printf 'rep %d  %-26s %9.0f frames/s\n' "$r" "$v" "$(echo "$N / $s" | bc -l)"
	done
done
q -c "DROP TABLE bench_plain, bench_batch; SELECT streamflow.drop_stream('bench_notify'), streamflow.drop_stream('bench_quiet'), streamflow.drop_stream('bench_each');" >/dev/null
