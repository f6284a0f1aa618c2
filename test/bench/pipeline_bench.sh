#!/usr/bin/env bash
# Pipeline benchmark: seed 000's "Crawler to AI Stream" (three bindings and a
# data_schema with format "uri") against the same frames into a stream with
# neither, side by side, alternating runs, median of REPS.
#   batch:  10,000 frames per ingest_batch call (ratio = time / plain stream)
#   single: one ingest() per transaction with pgbench, 1 client
#           (ratio = pipeline tps / plain tps)
#
#   pipeline_bench.sh HOST PORT DB   (streamflow installed in DB)
set -euo pipefail
host=$1 port=$2 db=$3
REPS=${REPS:-5}
SECS=${SECS:-5}
N=${N:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q() { psql -X -qAt -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U postgres -d "$db" "$@"; }

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

secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
tps() { pgbench -n -h "$host" -p "$port" -U postgres -f "$tmp/$1.sql" -c 1 -j 1 -T "$SECS" "$db" 2>/dev/null | awk '/^tps/ {print $3}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

plain="" pipe=""
for r in $(seq 1 "$REPS"); do
	q -c "DELETE FROM streamflow.frames WHERE stream_id LIKE 'bench_crawler%'; UPDATE streamflow.stream_state SET last_sequence = 0 WHERE stream_id LIKE 'bench_crawler%'; CHECKPOINT;"
	plain+=" $(secs q -c "SET streamflow.notify = off; SELECT streamflow.ingest_batch('bench_crawler_plain', frames) FROM bench_crawler_batch")"
	pipe+=" $(secs q -c "SET streamflow.notify = off; SELECT streamflow.ingest_batch('bench_crawler', frames) FROM bench_crawler_batch")"
done
stored=$(q -c "SELECT count(*) FROM streamflow.frames WHERE stream_id = 'bench_crawler' AND payload ? 'content' AND NOT payload ? 'page_content'")
mp=$(echo "$plain" | median); mq=$(echo "$pipe" | median)
printf '%-30s %10s %12s %10s\n' "batch of $N (bus off)" median_s frames_per_s vs_plain
printf '%-30s %10.3f %12.0f %10.2f\n' "plain stream" "$mp" "$(echo "$N / $mp" | bc -l)" 1
printf '%-30s %10.3f %12.0f %10.2f\n' "bindings + data_schema" "$mq" "$(echo "$N / $mq" | bc -l)" "$(echo "$mq / $mp" | bc -l)"
printf 'pipeline cost per frame: %.1f us (%s of %s frames stored in bound form)\n' \
	"$(echo "($mq - $mp) * 1000000 / $N" | bc -l)" "$stored" "$N"

echo
plain="" pipe=""
for r in $(seq 1 "$REPS"); do
	plain+=" $(tps plain)"
	pipe+=" $(tps pipeline)"
done
mp=$(echo "$plain" | median); mq=$(echo "$pipe" | median)
printf '%-30s %10s %10s\n' "single ingest(), 1 client" tps vs_plain
printf '%-30s %10.0f %10.2f\n' "plain stream" "$mp" 1
printf '%-30s %10.0f %10.2f\n' "bindings + data_schema" "$mq" "$(echo "$mq / $mp" | bc -l)"
q -c "SELECT streamflow.drop_stream('bench_crawler'), streamflow.drop_stream('bench_crawler_plain'); DROP TABLE bench_crawler_batch;" >/dev/null
