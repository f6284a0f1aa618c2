#!/usr/bin/env bash
# Ingest benchmark (issue 7, workload 1): ~1 KB JSON frames, pgbench with
# custom scripts, single-frame and 100-frame transactions, 1 and 2 clients,
# variants alternating (order rotated each repetition):
#   plain_insert   INSERT … SELECT of the same rows into a table shaped like
#                  streamflow.frames (primary key, BRIN index): the limit
#   pgq            PgQ's pgq.insert_event, one event per frame
#   ingest         streamflow.ingest (1 frame) / ingest_batch (100 frames),
#                  a stream without schema or bindings, bus on
#   ingest_pipeline the same into a stream with a data_schema and bindings,
#                  bus on (the commit ring and NOTIFY, worker running)
# Each client has a stream of its own (bench_sN / bench_pN): two sessions on
# one stream take turns on its head row by design.  Every frame comes from
# the same pre-built rows (bench_payloads, bench_batches) for every variant,
# as JSON text, what a client sends: PgQ stores the text as it is, the others
# parse it into jsonb (ingest_batch's array too), each frame once.
# Each run is checked: the rows stored must equal what pgbench counted.
# One JSON line per run in $BENCH_RAW/ingest.jsonl (see lib.sh: record).
# BENCH_SETUP_ONLY=DIR: set up only (see below).
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# a ~1 KB payload in the shape of seed 001's test stream
payload_sql="jsonb_build_object('id', md5(i::text), 'timestamp', 1700000000 + i, 'sequence', i,
  'event_type', (ARRAY['Click','View','Purchase'])[i % 3 + 1], 'user_id', 'user_' || (i % 100),
  'data', jsonb_build_object('value', i * 10, 'metadata', jsonb_build_object('test', true)),
  'pad', repeat('x', 800))"

q >/dev/null <<SQL
CREATE EXTENSION IF NOT EXISTS pgq;
SELECT pgq.create_queue('bench_q') WHERE NOT EXISTS (SELECT 1 FROM pgq.queue WHERE queue_name = 'bench_q');
DROP TABLE IF EXISTS bench_payloads, bench_batches, bench_plain;
DROP SEQUENCE IF EXISTS bench_plain_seq;
CREATE TABLE bench_payloads (id int PRIMARY KEY, payload text NOT NULL);
INSERT INTO bench_payloads SELECT i, ($payload_sql)::text FROM generate_series(1, 10000) i;
-- 100 frames: the array ingest_batch takes, and the same payloads one by one
CREATE TABLE bench_batches (id int PRIMARY KEY, frames text NOT NULL, payloads text[] NOT NULL);
INSERT INTO bench_batches
  SELECT b, '[' || string_agg('{"payload": ' || payload || '}', ', ' ORDER BY id) || ']',
         array_agg(payload ORDER BY id)
  FROM (SELECT (id - 1) / 100 + 1 AS b, id, payload FROM bench_payloads) s GROUP BY b;
CREATE TABLE bench_plain (LIKE streamflow.frames INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
CREATE SEQUENCE bench_plain_seq;
SELECT streamflow.drop_stream(id) FROM streamflow.streams WHERE id LIKE 'bench\_%';
SELECT streamflow.create_stream(jsonb_build_object('id', 'bench_s' || c, 'name', 'bench_s' || c))
  FROM generate_series(0, 1) c;
SELECT streamflow.create_stream(jsonb_build_object('id', 'bench_p' || c, 'name', 'bench_p' || c,
  'attribute_bindings', '[
    {"source_attribute": "id", "destination_attribute": "id", "required": true},
    {"source_attribute": "timestamp", "destination_attribute": "timestamp", "required": true},
    {"source_attribute": "sequence", "destination_attribute": "sequence"},
    {"source_attribute": "event_type", "destination_attribute": "event_type", "transform": "lowercase"},
    {"source_attribute": "user_id", "destination_attribute": "user.id", "required": true},
    {"source_attribute": "data.value", "destination_attribute": "data.value"},
    {"source_attribute": "data.metadata", "destination_attribute": "data.metadata"},
    {"source_attribute": "pad", "destination_attribute": "pad"}]'::jsonb,
  'data_schema', '{"type": "object", "required": ["id", "timestamp", "event_type", "user", "data", "pad"],
    "properties": {
      "id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
      "timestamp": {"type": "integer", "minimum": 0},
      "sequence": {"type": "integer"},
      "event_type": {"enum": ["click", "view", "purchase"]},
      "user": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string", "minLength": 1}}},
      "data": {"type": "object", "properties": {"value": {"type": "number"}, "metadata": {"type": "object"}}},
      "pad": {"type": "string", "maxLength": 4096}}}'::jsonb))
  FROM generate_series(0, 1) c;
ANALYZE bench_payloads, bench_batches;
SQL
size=$(q -c "SELECT avg(octet_length(payload))::int FROM bench_payloads")
echo "frames: $size bytes of JSON on average; $BENCH_REPS repetitions of ${BENCH_SECS} s per variant"

# pgbench scripts: VARIANT_SIZE.sql, the frame(s) picked at random
cat >"$tmp/plain_insert_1.sql" <<'SQL'
\set k random(1, 10000)
INSERT INTO bench_plain (stream_id, sequence, payload)
  SELECT 'bench_s' || :client_id, nextval('bench_plain_seq'), payload::jsonb FROM bench_payloads WHERE id = :k;
SQL
cat >"$tmp/pgq_1.sql" <<'SQL'
\set k random(1, 10000)
SELECT pgq.insert_event('bench_q', 'frame', payload) FROM bench_payloads WHERE id = :k;
SQL
cat >"$tmp/ingest_1.sql" <<'SQL'
\set k random(1, 10000)
SELECT (streamflow.ingest('bench_s' || :client_id, payload::jsonb)).sequence FROM bench_payloads WHERE id = :k;
SQL
sed 's/bench_s/bench_p/' "$tmp/ingest_1.sql" >"$tmp/ingest_pipeline_1.sql"
cat >"$tmp/plain_insert_100.sql" <<'SQL'
\set k random(1, 100)
INSERT INTO bench_plain (stream_id, sequence, payload)
  SELECT 'bench_s' || :client_id, nextval('bench_plain_seq'), p::jsonb
  FROM bench_batches b, unnest(b.payloads) p WHERE b.id = :k;
SQL
cat >"$tmp/pgq_100.sql" <<'SQL'
\set k random(1, 100)
SELECT count(pgq.insert_event('bench_q', 'frame', p))
  FROM bench_batches b, unnest(b.payloads) p WHERE b.id = :k;
SQL
cat >"$tmp/ingest_100.sql" <<'SQL'
\set k random(1, 100)
SELECT (streamflow.ingest_batch('bench_s' || :client_id, frames::jsonb)).ingested FROM bench_batches WHERE id = :k;
SQL
sed 's/bench_s/bench_p/' "$tmp/ingest_100.sql" >"$tmp/ingest_pipeline_100.sql"

# BENCH_SETUP_ONLY=DIR: leave the tables, streams, queue and these scripts
# (copied to DIR) in place and stop, e.g. to profile one variant with perf.
if [ -n "${BENCH_SETUP_ONLY:-}" ]; then
	mkdir -p "$BENCH_SETUP_ONLY"
	cp "$tmp"/*.sql "$BENCH_SETUP_ONLY"/
	exit 0
fi

pgq_table=$(q -c "SELECT queue_data_pfx FROM pgq.queue WHERE queue_name = 'bench_q'")

# Empties every target (so each run starts from the same state) and checkpoints.
reset_targets() {
	q -c "TRUNCATE bench_plain, $pgq_table, streamflow.frames; CHECKPOINT;"
}

# Rows the variant stored since the last reset.
stored_rows() {
	case $1 in
	plain_insert) q -c "SELECT count(*) FROM bench_plain" ;;
	pgq) q -c "SELECT count(*) FROM $pgq_table" ;;
	ingest*) q -c "SELECT count(*) FROM streamflow.frames WHERE stream_id LIKE 'bench\_%'" ;;
	esac
}

variants=(plain_insert pgq ingest ingest_pipeline)
cases=("1 1" "1 2" "100 1" "100 2")
for r in $(seq 1 "$BENCH_REPS"); do
	for c in "${cases[@]}"; do
		read -r size clients <<<"$c"
		label="$size frame(s)/tx, $clients client(s)"
		for v in $(rotate "$r" "${variants[@]}"); do
			reset_targets
			read -r tx tps cpu <<<"$(pgbench_run "$tmp/${v}_$size.sql" "$clients")"
			frames=$((tx * size))
			stored=$(stored_rows "$v")
			if [ "$stored" -ne "$frames" ]; then
				echo "ingest bench: $v stored $stored rows, pgbench counted $frames frames" >&2
				exit 1
			fi
			record ingest "$label" "$v" plain_insert "$r" "$frames" "$(echo "$tx / $tps" | bc -l)" "$cpu"
			printf 'rep %d  %-30s %-16s %9.0f frames/s  %9.0f frames/CPU-s\n' "$r" "$label" "$v" \
				"$(echo "$tps * $size" | bc -l)" "$(echo "$frames / $cpu" | bc -l)"
		done
	done
done
reset_targets >/dev/null
q -c "SELECT streamflow.drop_stream(id) FROM streamflow.streams WHERE id LIKE 'bench\_%';
      DROP TABLE bench_payloads, bench_batches, bench_plain; DROP SEQUENCE bench_plain_seq;
      SELECT pgq.drop_queue('bench_q');" >/dev/null
