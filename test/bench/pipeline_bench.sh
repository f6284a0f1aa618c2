#!/usr/bin/env bash
# Pipeline benchmark: seed 000's "Crawler to AI Stream" (three bindings and a
# data_schema with format "uri") against the same frames into a stream with
# neither, side by side, alternating runs, BENCH_REPS repetitions:
#   batch:  10,000 frames per ingest_batch call, bus off
#   single: one ingest() per transaction with pgbench, 1 client, bus on
# One JSON line per run in $BENCH_RAW/pipeline.jsonl (see lib.sh: record);
# the baseline is the plain stream.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh
N=${N:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

q >/dev/null <<SQL
SELECT streamflow.create_stream('{
  "name": "Crawler to AI Stream", "id": "bench_crawler",
  "stream_type": "websocket", "direction": "bidirectional", "data_format": "json",
  "realtime_protocol": "wss", "buffer_size": 100,
  "attribute_bindings": [
    {"source_attribute": "page_url", "destination_attribute": "page_url", "transform": "passthrough"},
    {"source_attribute": "page_content", "destination_attribute": "content", "transform": "passthrough"},
    {"source_attribute": "meta_data", "destination_attribute": "metadata", "transform": "passthrough"}],
  "data_schema": {"type": "object", "required": ["page_url", "content"],
    "properties": {"page_url": {"type": "string", "format": "uri"},
                   "content": {"type": "string"}, "metadata": {"type": "object"}}},
  "retry_policy": {"max_retries": 3, "backoff_ms": 1000}}');
SELECT streamflow.create_stream('{"name": "bench_crawler_plain", "id": "bench_crawler_plain"}');
CREATE TABLE bench_crawler_batch AS
  SELECT jsonb_agg(jsonb_build_object('payload', jsonb_build_object(
           'page_url', 'https://example.com/articles/' || i || '?ref=crawler',
           'page_content', repeat('Lorem ipsum dolor sit amet. ', 30),
           'meta_data', jsonb_build_object('status', 200, 'lang', 'en', 'links', i % 50)))
         ORDER BY i) AS frames
  FROM generate_series(1, $N) i;
SQL
payload='{"page_url": "https://example.com/articles/1?ref=crawler", "page_content": "Lorem ipsum dolor sit amet, consectetur adipiscing elit.", "meta_data": {"status": 200, "lang": "en"}}'
echo "SELECT streamflow.ingest('bench_crawler', '$payload');" >"$tmp/pipeline.sql"
echo "SELECT streamflow.ingest('bench_crawler_plain', '$payload');" >"$tmp/plain.sql"

batch_case="ingest_batch of $N frames, bus off"
single_case="one ingest() per transaction, 1 client"
for r in $(seq 1 "$BENCH_REPS"); do
	for v in $(rotate "$r" plain_stream bindings_schema); do
		stream=bench_crawler_plain
		[ "$v" = plain_stream ] || stream=bench_crawler
		q -c "DELETE FROM streamflow.frames WHERE stream_id LIKE 'bench_crawler%'; CHECKPOINT;"
		s=$(secs q -c "SET streamflow.notify = off; SELECT streamflow.ingest_batch('$stream', frames) FROM bench_crawler_batch")
		record pipeline "$batch_case" "$v" plain_stream "$r" "$N" "$s"
		printf 'rep %d  %-40s %-16s %9.0f frames/s\n' "$r" "$batch_case" "$v" "$(echo "$N / $s" | bc -l)"
	done
	for v in $(rotate "$r" plain_stream bindings_schema); do
		script=$tmp/plain.sql
		[ "$v" = plain_stream ] || script=$tmp/pipeline.sql
		read -r tx tps cpu <<<"$(pgbench_run "$script" 1)"
		record pipeline "$single_case" "$v" plain_stream "$r" "$tx" "$(echo "$tx / $tps" | bc -l)" "$cpu"
		printf 'rep %d  %-40s %-16s %9.0f frames/s\n' "$r" "$single_case" "$v" "$tps"
	done
done
stored=$(q -c "SELECT count(*) FROM streamflow.frames WHERE stream_id = 'bench_crawler' AND payload ? 'content' AND NOT payload ? 'page_content'")
echo "$stored frames of the last runs stored in bound form (content, not page_content)"
q -c "SELECT streamflow.drop_stream('bench_crawler'), streamflow.drop_stream('bench_crawler_plain'); DROP TABLE bench_crawler_batch;" >/dev/null
