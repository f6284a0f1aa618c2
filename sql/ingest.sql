-- ingest: the frame rules of DESIGN.md "Frames" (seed 002) through ingest(),
-- ingest_batch(), frames(), frames_since(), latest_frame() and
-- generate_test_frames() (seed 001).
CREATE EXTENSION streamflow;
\set SHOW_CONTEXT never

-- sqlstate_of(sql): only the SQLSTATE sql raised, or "no error".
CREATE FUNCTION pg_temp.sqlstate_of(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE sql;
	RETURN 'no error';
EXCEPTION WHEN others THEN
	RETURN SQLSTATE;
END
$f$;

-- A stream's status and ingest counters (no timestamps).
CREATE TEMP VIEW state AS
SELECT s.id, s.status, h.last_sequence, h.frames_received, h.duplicates, h.rejected,
       h.last_data_received_at IS NOT NULL AS has_received
FROM streamflow.streams s JOIN streamflow.stream_state h ON h.stream_id = s.id;

SELECT streamflow.create_stream('{"id": "market", "name": "Market Data Feed", "sla_ms": 1000}') ->> 'id' AS id;
SELECT streamflow.create_stream('{"id": "ticks", "name": "Ticks"}') ->> 'id' AS id;
SELECT streamflow.create_stream('{"id": "sla", "name": "With SLA", "sla_ms": 100}') ->> 'id' AS id;

--
-- Seed 002's "Create Frame" body: every field given, the frame comes back as stored
--
SELECT * FROM state WHERE id = 'market';
SELECT stream_id, sequence, payload, latency_ms, status, metadata
FROM streamflow.ingest('Market Data Feed',
	'{"price": 1850.50, "volume": 1234.56, "timestamp": "2025-12-01T10:30:00Z"}',
	1234567890, 45, 'ok', '{"source": "websocket"}');
-- the first frame made the stream active
SELECT * FROM state WHERE id = 'market';
SELECT stream_id, sequence, payload, latency_ms, status, metadata FROM streamflow.frames;

--
-- Sequence: assigned latest + 1 when omitted, also after an explicit higher one
--
SELECT sequence, payload FROM streamflow.ingest('ticks', '{"n": 1}');
SELECT sequence, payload FROM streamflow.ingest('Ticks', '{"n": 2}');
SELECT sequence, payload FROM streamflow.ingest('ticks', '{"n": 10}', 10);
SELECT sequence, payload FROM streamflow.ingest('ticks', '{"n": 11}');
-- a lower sequence fills a gap; the next assigned one still follows the highest
SELECT sequence, payload FROM streamflow.ingest('ticks', '{"n": 5}', 5);
SELECT sequence, payload FROM streamflow.ingest('ticks', '{"n": 12}');
SELECT * FROM state WHERE id = 'ticks';
-- sequence must be positive
CALL public.err($$SELECT streamflow.ingest('ticks', '{"n": 0}', 0)$$);
CALL public.err($$SELECT streamflow.ingest('ticks', '{"n": -1}', -1)$$);
-- the largest sequence is accepted; after it no sequence can be assigned, which
-- is an error (22003, out of range), not a wrapped-around negative sequence
SELECT streamflow.create_stream('{"id": "maxed", "name": "Maxed"}') ->> 'id' AS id;
SELECT sequence FROM streamflow.ingest('maxed', '{}', 9223372036854775807);
SELECT pg_temp.sqlstate_of($$SELECT streamflow.ingest('maxed', '{}')$$) AS sqlstate;
SELECT sequence FROM streamflow.ingest('maxed', '{}', 5);
CALL public.err($$SELECT streamflow.ingest_batch('maxed', '[{"payload": {}, "sequence": 9223372036854775808}]')$$);

--
-- The same (stream, sequence) again is idempotent: the stored frame comes back
-- (original payload, latency, status, metadata) and a duplicate is counted
--
SELECT sequence, payload, latency_ms, status, metadata
FROM streamflow.ingest('ticks', '{"n": "changed"}', 10, 99, 'error', '{"retry": true}');
SELECT sequence, payload, latency_ms, status, metadata
FROM streamflow.ingest('ticks', '{"n": "changed again"}', 10);
SELECT * FROM state WHERE id = 'ticks';
SELECT sequence, payload FROM streamflow.frames WHERE stream_id = 'ticks' AND sequence = 10;

--
-- payload must be a JSON object; the error's detail names "$.payload"
--
CALL public.err($$SELECT streamflow.ingest('ticks', '[1, 2]')$$);
CALL public.err($$SELECT streamflow.ingest('ticks', '42')$$);
CALL public.err($$SELECT streamflow.ingest('ticks', '"text"')$$);
CALL public.err($$SELECT streamflow.ingest('ticks', 'null')$$);
CALL public.err($$SELECT streamflow.ingest('ticks', NULL)$$);
-- an empty object is a payload
SELECT sequence, payload FROM streamflow.ingest('ticks', '{}');

--
-- metadata must be an object; every violation of a frame is listed
--
CALL public.err($$SELECT streamflow.ingest('ticks', '{}', metadata => '[1]')$$);
CALL public.err($$SELECT streamflow.ingest('ticks', '{}', metadata => '"web"')$$);
CALL public.err($$SELECT streamflow.ingest('ticks', '[]', 0, 5, 'fine', '1')$$);
-- rejected frames took no sequence and were not counted
SELECT * FROM state WHERE id = 'ticks';
SELECT sequence FROM streamflow.ingest('ticks', '{"after": "rejections"}');

--
-- latency_ms: negative becomes 0
--
SELECT sequence, latency_ms, status FROM streamflow.ingest('ticks', '{}', latency_ms => -250);

--
-- status: ok by default; ok, late and error accepted; anything else rejected
--
SELECT sequence, status FROM streamflow.ingest('ticks', '{}');
SELECT sequence, status FROM streamflow.ingest('ticks', '{}', status => 'late');
SELECT sequence, status FROM streamflow.ingest('ticks', '{}', status => 'error');
CALL public.err($$SELECT streamflow.ingest('ticks', '{}', status => 'bogus')$$);
CALL public.err($$SELECT streamflow.ingest('ticks', '{}', status => 'OK')$$);
-- without an SLA (sla_ms 0) no latency is late
SELECT sequence, latency_ms, status FROM streamflow.ingest('ticks', '{}', latency_ms => 999999);

--
-- SLA: late when sla_ms > 0 and latency_ms > sla_ms; an explicit error stays error
--
SELECT sequence, latency_ms, status FROM streamflow.ingest('sla', '{}', latency_ms => 100);
SELECT sequence, latency_ms, status FROM streamflow.ingest('sla', '{}', latency_ms => 101);
SELECT sequence, latency_ms, status FROM streamflow.ingest('sla', '{}', latency_ms => 500, status => 'ok');
SELECT sequence, latency_ms, status FROM streamflow.ingest('sla', '{}', latency_ms => 500, status => 'error');
SELECT sequence, latency_ms, status FROM streamflow.ingest('sla', '{}', latency_ms => 0, status => 'late');
SELECT sequence, latency_ms, status FROM streamflow.ingest('sla', '{}', latency_ms => -500);
-- the SLA in force when the frame arrives counts
SELECT streamflow.update_stream('sla', '{"sla_ms": 1000}') ->> 'sla_ms' AS sla_ms;
SELECT sequence, latency_ms, status FROM streamflow.ingest('sla', '{}', latency_ms => 500);

--
-- A paused stream accepts nothing (55000); resumed, it accepts again
--
SELECT streamflow.update_stream('ticks', '{"status": "paused"}') ->> 'status' AS status;
CALL public.err($$SELECT streamflow.ingest('ticks', '{}')$$);
CALL public.err($$SELECT streamflow.ingest('Ticks', '{}', 1)$$);
CALL public.err($$SELECT streamflow.ingest_batch('ticks', '[{"payload": {}}]', 'skip')$$);
CALL public.err($$SELECT streamflow.generate_test_frames('ticks', 1)$$);
SELECT streamflow.update_stream('ticks', '{"status": "active"}') ->> 'status' AS status;
SELECT sequence FROM streamflow.ingest('ticks', '{"resumed": true}');

--
-- Unknown or null stream
--
CALL public.err($$SELECT streamflow.ingest('nope', '{}')$$);
CALL public.err($$SELECT streamflow.ingest(NULL, '{}')$$);
CALL public.err($$SELECT streamflow.ingest_batch('nope', '[]')$$);
CALL public.err($$SELECT streamflow.ingest_batch(NULL, '[]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('ticks', NULL)$$);

--
-- Frames are written only through ingest: a frame inserted behind its back
-- makes the next assigned sequence collide, which is reported (XX001)
--
SELECT streamflow.create_stream('{"id": "raw", "name": "Raw"}') ->> 'id' AS id;
INSERT INTO streamflow.frames (stream_id, sequence, payload) VALUES ('raw', 1, '{"raw": true}');
CALL public.err($$SELECT streamflow.ingest('raw', '{}')$$);
-- an explicit sequence is a duplicate, as usual
SELECT sequence, payload FROM streamflow.ingest('raw', '{}', 1);

--
-- ingest_batch: result columns (ingested, duplicates, rejected, first_sequence, last_sequence)
--
SELECT streamflow.create_stream('{"id": "batch", "name": "Batch", "sla_ms": 50}') ->> 'id' AS id;
SELECT * FROM streamflow.ingest_batch('Batch', '[
  {"payload": {"n": 1}},
  {"sequence": 7, "payload": {"n": 7}, "latency_ms": -3, "status": "error", "metadata": {"m": 1}},
  {"payload": {"n": 8}, "latency_ms": 60},
  {"payload": {"n": 9}, "sequence": null, "metadata": null, "status": null, "latency_ms": null}
]');
SELECT sequence, payload, latency_ms, status, metadata FROM streamflow.frames WHERE stream_id = 'batch' ORDER BY sequence;
SELECT * FROM state WHERE id = 'batch';
-- an empty batch
SELECT * FROM streamflow.ingest_batch('batch', '[]');
-- duplicates: of stored frames, and within one batch (the first one wins)
SELECT * FROM streamflow.ingest_batch('batch', '[
  {"sequence": 7, "payload": {"n": "dup of stored"}},
  {"sequence": 20, "payload": {"n": "first 20"}},
  {"sequence": 20, "payload": {"n": "second 20"}},
  {"payload": {"n": 21}}
]');
SELECT sequence, payload FROM streamflow.frames WHERE stream_id = 'batch' AND sequence IN (7, 20, 21) ORDER BY sequence;
SELECT * FROM state WHERE id = 'batch';
-- a batch of duplicates only
SELECT * FROM streamflow.ingest_batch('batch', '[{"sequence": 1, "payload": {}}, {"sequence": 20, "payload": {}}]');

--
-- on_error => 'raise' (the default): the first bad frame fails the whole batch,
-- nothing of it is stored
--
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {"ok": 1}}, {"payload": [1]}, {"payload": {"ok": 3}}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {"ok": 1}}, {"payload": {"ok": 2}, "sequence": 0}]', 'raise')$$);
SELECT * FROM state WHERE id = 'batch';
SELECT count(*) AS frames FROM streamflow.frames WHERE stream_id = 'batch';

--
-- Every way a batch element can be wrong, each named by its path
--
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[1]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[[{"payload": {}}]]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[null]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "data": {}}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "message_id": "m1", "timestamp": 1}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "sequence": "3"}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "sequence": 1.5}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "sequence": -2}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "latency_ms": "fast"}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "latency_ms": 1e12}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "status": 1}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "status": "done"}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "metadata": ["a"]}]')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": "x", "sequence": 0, "status": "?", "metadata": 1, "extra": 1}]')$$);

--
-- frames must be a JSON array; on_error must be raise, skip or dead_letter
--
CALL public.err($$SELECT streamflow.ingest_batch('batch', '{"payload": {}}')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '5')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[]', 'ignore')$$);
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[]', 'SKIP')$$);
-- a null on_error is the default, raise
CALL public.err($$SELECT streamflow.ingest_batch('batch', '[{"payload": 1}]', NULL)$$);

--
-- on_error => 'skip': bad frames are dropped and counted in stream_state.rejected;
-- they take no sequence
--
SELECT * FROM streamflow.ingest_batch('batch', '[
  {"payload": {"k": 1}}, {"payload": [1]}, {"payload": {"k": 2}}, {"bad": true}, {"payload": {"k": 3}}
]', 'skip');
SELECT sequence, payload FROM streamflow.frames WHERE stream_id = 'batch' AND payload ? 'k' ORDER BY sequence;
SELECT * FROM state WHERE id = 'batch';
-- nothing is recorded for skipped frames
SELECT count(*) AS errors FROM streamflow.stream_errors;
SELECT count(*) AS dead_letters FROM streamflow.dead_letters;
-- a batch whose frames are all rejected stores nothing and leaves an inactive stream inactive
SELECT streamflow.create_stream('{"id": "quiet", "name": "Quiet"}') ->> 'id' AS id;
SELECT * FROM streamflow.ingest_batch('quiet', '[{"payload": 1}, {"payload": 2}]', 'skip');
SELECT * FROM state WHERE id = 'quiet';

--
-- on_error => 'dead_letter': bad frames are kept in streamflow.stream_errors
-- (with every violation) and streamflow.dead_letters (with the first as last_error)
--
SELECT * FROM streamflow.ingest_batch('quiet', '[
  {"payload": {"good": 1}},
  {"payload": ["bad"], "sequence": 0},
  {"payload": {"good": 2}, "status": "weird", "latency_ms": 5},
  "not a frame"
]', 'dead_letter');
SELECT * FROM state WHERE id = 'quiet';
SELECT sequence, payload FROM streamflow.frames WHERE stream_id = 'quiet' ORDER BY sequence;
SELECT stream_id, source, raw_payload, jsonb_pretty(violations) AS violations
FROM streamflow.stream_errors ORDER BY id;
SELECT stream_id, reason, frame, last_error FROM streamflow.dead_letters ORDER BY id;

--
-- frames(stream, limit): newest first
--
SELECT sequence, payload FROM streamflow.frames('ticks', 4);
SELECT count(*) AS all_14 FROM streamflow.frames('ticks');
SELECT count(*) AS limit_0 FROM streamflow.frames('ticks', 0);
SELECT count(*) AS negative_limit FROM streamflow.frames('ticks', -1);
SELECT sequence FROM streamflow.frames('Market Data Feed');
CALL public.err($$SELECT * FROM streamflow.frames('nope')$$);

--
-- frames_since(stream, since, limit): after a sequence, oldest first
--
SELECT sequence, payload FROM streamflow.frames_since('ticks', 10, 3);
SELECT sequence FROM streamflow.frames_since('Ticks', 0, 3);
SELECT count(*) AS after_last FROM streamflow.frames_since('ticks', 1000);
SELECT count(*) AS since_null_is_since_0 FROM streamflow.frames_since('ticks', NULL);
CALL public.err($$SELECT * FROM streamflow.frames_since('nope', 0)$$);

--
-- latest_frame(stream): the newest frame, null when there is none
--
SELECT stream_id, sequence, payload FROM streamflow.latest_frame('ticks');
SELECT (streamflow.latest_frame('Market Data Feed')).sequence;
SELECT streamflow.create_stream('{"id": "empty", "name": "Empty"}') ->> 'id' AS id;
SELECT streamflow.latest_frame('empty') IS NULL AS no_frame;
SELECT count(*) AS frames FROM streamflow.frames('empty');
CALL public.err($$SELECT streamflow.latest_frame('nope')$$);

--
-- generate_test_frames(stream, count, rate_per_second): seed 001's test stream
--
SELECT streamflow.create_stream('{"id": "gen", "name": "Generated"}') ->> 'id' AS id;
SELECT streamflow.generate_test_frames('Generated', 6, 100) AS generated;
-- payload shape {id, timestamp, sequence, event_type, user_id, data: {value, metadata}}
SELECT sequence, (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(payload) k) AS keys,
       payload -> 'sequence' AS i, payload -> 'event_type' AS event_type, payload -> 'user_id' AS user_id,
       payload -> 'data' AS data, payload ->> 'id' ~ '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' AS uuid,
       status, latency_ms
FROM streamflow.frames WHERE stream_id = 'gen' ORDER BY sequence;
-- timestamps: epoch seconds, 1 / rate_per_second apart
SELECT sequence, round(((payload ->> 'timestamp')::numeric - first_value((payload ->> 'timestamp')::numeric)
	OVER (ORDER BY sequence)) * 100) AS ticks_of_10ms,
       abs((payload ->> 'timestamp')::numeric - extract(epoch FROM now())) < 3600 AS near_now
FROM streamflow.frames WHERE stream_id = 'gen' ORDER BY sequence;
-- ids are distinct
SELECT count(DISTINCT payload ->> 'id') AS distinct_ids FROM streamflow.frames WHERE stream_id = 'gen';
-- a second call continues the stream's sequences (payload sequences restart at 0);
-- user_id cycles over 100 users
SELECT streamflow.generate_test_frames('gen', 150, 1000) AS generated;
SELECT min(sequence), max(sequence), count(*) FILTER (WHERE payload -> 'sequence' = '0') AS restarts,
       count(DISTINCT payload ->> 'user_id') AS users,
       bool_and((payload #>> '{data,value}')::int = (payload ->> 'sequence')::int * 10) AS value_is_i_times_10,
       bool_and(payload #> '{data,metadata}' = '{"test": true}') AS metadata_test
FROM streamflow.frames WHERE stream_id = 'gen';
SELECT payload ->> 'event_type' AS event_type, count(*) FROM streamflow.frames WHERE stream_id = 'gen'
GROUP BY 1 ORDER BY 1;
-- rate 1000: 150 frames 1 ms apart span 149 ms
SELECT round((max((payload ->> 'timestamp')::numeric) - min((payload ->> 'timestamp')::numeric)) * 1000) AS span_ms
FROM streamflow.frames WHERE stream_id = 'gen' AND sequence > 6;
-- the default rate is 100 per second: 2 frames span 10 ms
SELECT streamflow.generate_test_frames('gen', 2) AS generated;
SELECT round((max((payload ->> 'timestamp')::numeric) - min((payload ->> 'timestamp')::numeric)) * 1000) AS span_ms
FROM streamflow.frames WHERE stream_id = 'gen' AND sequence > 156;
SELECT * FROM state WHERE id = 'gen';
-- count 0 generates nothing; bad count or rate is rejected (22023)
SELECT streamflow.generate_test_frames('gen', 0) AS generated;
CALL public.err($$SELECT streamflow.generate_test_frames('gen', -1)$$);
CALL public.err($$SELECT streamflow.generate_test_frames('gen', NULL)$$);
CALL public.err($$SELECT streamflow.generate_test_frames('gen', 5, 0)$$);
CALL public.err($$SELECT streamflow.generate_test_frames('gen', 5, -10)$$);
CALL public.err($$SELECT streamflow.generate_test_frames('gen', 5, NULL)$$);
CALL public.err($$SELECT streamflow.generate_test_frames('nope', 5)$$);
SELECT count(*) AS frames FROM streamflow.frames WHERE stream_id = 'gen';

--
-- The default limits: frames() 100, frames_since() 1000
--
SELECT streamflow.generate_test_frames('gen', 900, 1000) AS generated;
SELECT count(*) AS default_limit_100, min(sequence), max(sequence) FROM streamflow.frames('gen');
SELECT count(*) AS default_limit_1000, min(sequence), max(sequence) FROM streamflow.frames_since('gen', 0);

DROP EXTENSION streamflow CASCADE;
