-- ingest_batch.sql: ingest_batch() with on_error raise | skip | dead_letter,
-- its counts, stream_errors and dead_letters; generate_test_frames() (seed 001).
BEGIN;
SELECT plan(60);

\ir helpers.psql

SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "batch", "id": "stream_batch", "sla_ms": 100}'::jsonb)$$,
	'a stream with sla_ms 100 is created');

-------------------------------------------------------------------------------
-- A valid batch
-------------------------------------------------------------------------------
SELECT results_eq(
	$$SELECT * FROM streamflow.ingest_batch('batch', '[{"payload": {"a": 1}}, {"payload": {"a": 2}, "latency_ms": 500}, {"sequence": 10, "payload": {"a": 3}, "status": "error", "metadata": {"m": 1}, "latency_ms": -5}]')$$,
	$$VALUES (3, 0, 0, 1::bigint, 10::bigint)$$,
	'ingest_batch returns (ingested, duplicates, rejected, first_sequence, last_sequence)');
SELECT results_eq(
	$$SELECT sequence, payload, latency_ms, status, metadata FROM streamflow.frames_since('batch', 0)$$,
	$$VALUES (1::bigint, '{"a": 1}'::jsonb, 0, 'ok'::text, NULL::jsonb),
	         (2::bigint, '{"a": 2}'::jsonb, 500, 'late'::text, NULL::jsonb),
	         (10::bigint, '{"a": 3}'::jsonb, 0, 'error'::text, '{"m": 1}'::jsonb)$$,
	'batch frames follow the single-frame rules: assigned sequences, late over SLA, negative latency 0, metadata kept');
SELECT is((SELECT status FROM streamflow.streams WHERE id = 'stream_batch'), 'active', 'a batch makes an inactive stream active');
SELECT results_eq(
	$$SELECT * FROM streamflow.ingest_batch('stream_batch', '[{"payload": {"a": 4}}, {"sequence": 10, "payload": {"changed": true}}, {"sequence": 2, "payload": {}}]')$$,
	$$VALUES (1, 2, 0, 11::bigint, 11::bigint)$$,
	'already stored sequences are counted as duplicates, not stored again');
SELECT is((SELECT payload FROM streamflow.frames WHERE stream_id = 'stream_batch' AND sequence = 10), '{"a": 3}'::jsonb,
	'a duplicate in a batch does not overwrite the stored frame');
SELECT results_eq(
	$$SELECT * FROM streamflow.ingest_batch('batch', '[{"sequence": 20, "payload": {"first": true}}, {"sequence": 20, "payload": {"first": false}}]')$$,
	$$VALUES (1, 1, 0, 20::bigint, 20::bigint)$$,
	'the same sequence twice in one batch: the first is stored, the second is a duplicate');
SELECT is((SELECT payload FROM streamflow.frames WHERE stream_id = 'stream_batch' AND sequence = 20), '{"first": true}'::jsonb,
	'the first of two equal sequences in a batch wins');
SELECT results_eq(
	$$SELECT * FROM streamflow.ingest_batch('batch', '[]')$$,
	$$VALUES (0, 0, 0, NULL::bigint, NULL::bigint)$$,
	'an empty batch stores nothing; first/last_sequence are null');
SELECT results_eq(
	$$SELECT duplicates, frames_received, last_sequence FROM streamflow.stream_state WHERE stream_id = 'stream_batch'$$,
	$$VALUES (3::bigint, 5::bigint, 20::bigint)$$,
	'stream_state counts the batch frames received and duplicates');

SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "seed frames", "id": "stream_seed_frames"}'::jsonb)$$, 'a stream for the seed frame');
SELECT results_eq(
	$$SELECT * FROM streamflow.ingest_batch('seed frames', $j$[{"sequence": 1234567890, "payload": {"price": 1850.50, "volume": 1234.56, "timestamp": "2025-12-01T10:30:00Z"}, "latency_ms": 45, "status": "ok", "metadata": {"source": "websocket"}}]$j$)$$,
	$$VALUES (1, 0, 0, 1234567890::bigint, 1234567890::bigint)$$,
	'seed 002 "Create Frame" body is accepted as a batch element');
SELECT results_eq(
	$$SELECT latency_ms, status, metadata FROM streamflow.frames WHERE stream_id = 'stream_seed_frames' AND sequence = 1234567890$$,
	$$VALUES (45, 'ok'::text, '{"source": "websocket"}'::jsonb)$$,
	'its latency, status and metadata are stored');

-------------------------------------------------------------------------------
-- on_error = raise (the default)
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.ingest_batch('batch', '[{"payload": {"ok": 1}}, {"payload": [1]}]')$$,
	'22023', 'frame 1 of the batch rejected by stream "stream_batch"', 'raise: an invalid frame fails the call, naming its index (22023)');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest_batch('batch', '[{"payload": {"ok": 1}}, {"payload": [1]}]')$$),
	'$[1].payload: payload must be a JSON object, not an array (type)', 'the detail names the violation by JSON path');
SELECT throws_ok($$SELECT streamflow.ingest_batch('batch', '[{"payload": {"ok": 1}}, {"payload": [1]}]', 'raise')$$,
	'22023', 'frame 1 of the batch rejected by stream "stream_batch"', 'on_error raise given explicitly behaves the same');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'stream_batch'), 5,
	'raise: nothing of a failed batch is stored');
SELECT throws_ok($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "colour": "red"}]')$$,
	'22023', 'frame 0 of the batch rejected by stream "stream_batch"', 'an unknown frame key is rejected, not ignored (22023)');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "colour": "red"}]')$$),
	'$[0].colour: unknown frame key "colour"; a frame has sequence, payload, latency_ms, status and metadata (additionalProperties)',
	'the detail names the unknown frame key');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "sequence": "seven"}]')$$),
	'$[0].sequence: sequence must be an integer, not "seven" (type)', 'a non-integer sequence is a violation');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "latency_ms": "fast"}]')$$),
	'$[0].latency_ms: latency_ms must be an integer, not "fast" (type)', 'a non-integer latency_ms is a violation');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}, "status": 1}]')$$),
	'$[0].status: status must be a string, not a number (type)', 'a non-string status is a violation');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest_batch('batch', '[{"sequence": 0}]')$$),
	E'$[0].payload: payload is required (required)\n$[0].sequence: sequence must be positive, not 0 (minimum)',
	'a frame without payload and with sequence 0 has both violations listed');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest_batch('batch', '["frame"]')$$),
	E'$[0]: a frame must be a JSON object with a payload, not a string (type)\n$[0].payload: payload is required (required)',
	'a batch element that is not an object is a violation');

-------------------------------------------------------------------------------
-- Arguments
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.ingest_batch('batch', '{"payload": {}}')$$,
	'22023', 'frames must be a JSON array', 'frames must be a JSON array (22023)');
SELECT throws_ok($$SELECT streamflow.ingest_batch('batch', '[]', 'ignore')$$,
	'22023', 'invalid value "ignore" for on_error', 'on_error other than raise|skip|dead_letter is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.ingest_batch('batch', NULL)$$,
	'22004', 'stream and frames must not be null', 'frames must not be null (22004)');
SELECT throws_ok($$SELECT streamflow.ingest_batch('nowhere', '[]')$$,
	'42704', 'stream "nowhere" does not exist', 'ingest_batch into an unknown stream raises 42704');
SELECT results_eq($$SELECT ingested FROM streamflow.ingest_batch('batch', '[{"payload": {"null_on_error": true}}]', NULL)$$,
	ARRAY[1], 'a null on_error means raise');

-------------------------------------------------------------------------------
-- on_error = skip
-------------------------------------------------------------------------------
CREATE TEMP TABLE sf_state AS SELECT * FROM streamflow.stream_state WHERE stream_id = 'stream_batch';
SELECT results_eq(
	$$SELECT * FROM streamflow.ingest_batch('batch', '[{"payload": {"s": 1}}, {"payload": [1]}, 7, {"payload": {"s": 2}}, {"payload": {}, "bogus": 1}]', 'skip')$$,
	$$VALUES (2, 0, 3, 22::bigint, 23::bigint)$$,
	'skip: valid frames are stored, invalid ones counted as rejected');
SELECT results_eq($$SELECT payload FROM streamflow.frames_since('batch', 21)$$,
	$$VALUES ('{"s": 1}'::jsonb), ('{"s": 2}'::jsonb)$$,
	'skip: rejected frames take no sequence');
SELECT is((SELECT rejected FROM streamflow.stream_state WHERE stream_id = 'stream_batch'), (SELECT rejected + 3 FROM sf_state),
	'skip: rejections are counted in stream_state.rejected');
SELECT is_empty($$SELECT 1 FROM streamflow.dead_letters WHERE stream_id = 'stream_batch'$$,
	'skip: nothing is dead-lettered');
SELECT results_eq(
	$$SELECT * FROM streamflow.ingest_batch('batch', '[{"payload": 1}, {"payload": 2}]', 'skip')$$,
	$$VALUES (0, 0, 2, NULL::bigint, NULL::bigint)$$,
	'skip: a batch with no valid frame stores nothing');

-------------------------------------------------------------------------------
-- on_error = dead_letter
-------------------------------------------------------------------------------
SELECT results_eq(
	$$SELECT * FROM streamflow.ingest_batch('batch', '[{"payload": {"d": 1}}, {"payload": [1]}, {"payload": {}, "sequence": -2}]', 'dead_letter')$$,
	$$VALUES (1, 0, 2, 24::bigint, 24::bigint)$$,
	'dead_letter: valid frames are stored, invalid ones counted as rejected');
SELECT results_eq(
	$$SELECT stream_id, source, raw_payload, violations FROM streamflow.stream_errors WHERE stream_id = 'stream_batch' ORDER BY id$$,
	$$VALUES ('stream_batch'::text, 'sql'::text, '{"payload": [1]}'::jsonb,
	          '[{"path": "$[1].payload", "keyword": "type", "message": "payload must be a JSON object, not an array"}]'::jsonb),
	         ('stream_batch'::text, 'sql'::text, '{"payload": {}, "sequence": -2}'::jsonb,
	          '[{"path": "$[2].sequence", "keyword": "minimum", "message": "sequence must be positive, not -2"}]'::jsonb)$$,
	'dead_letter: each rejection is recorded in stream_errors with source sql, the raw frame and its violations');
SELECT results_eq(
	$$SELECT stream_id, reason, frame, last_error FROM streamflow.dead_letters WHERE stream_id = 'stream_batch' ORDER BY id$$,
	$$VALUES ('stream_batch'::text, 'rejected'::text, '{"payload": [1]}'::jsonb, '$[1].payload: payload must be a JSON object, not an array'::text),
	         ('stream_batch'::text, 'rejected'::text, '{"payload": {}, "sequence": -2}'::jsonb, '$[2].sequence: sequence must be positive, not -2'::text)$$,
	'dead_letter: each rejected frame is kept in dead_letters with the first error');
SELECT is((SELECT rejected FROM streamflow.stream_state WHERE stream_id = 'stream_batch'), (SELECT rejected + 7 FROM sf_state),
	'dead_letter: rejections are counted in stream_state.rejected');

-------------------------------------------------------------------------------
-- paused / inactive
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.update_stream('batch', '{"status": "paused"}')$$, 'the stream is paused');
SELECT throws_ok($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}}]')$$,
	'55000', 'stream "stream_batch" is paused', 'ingest_batch into a paused stream raises 55000');
SELECT throws_ok($$SELECT streamflow.ingest_batch('batch', '[{"payload": {}}]', 'skip')$$,
	'55000', 'stream "stream_batch" is paused', 'skip does not bypass a paused stream (55000)');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "still inactive", "id": "stream_si"}'::jsonb)$$, 'an inactive stream');
SELECT results_eq($$SELECT rejected FROM streamflow.ingest_batch('stream_si', '[{"payload": 1}]', 'skip')$$,
	ARRAY[1], 'a batch whose frames are all rejected ...');
SELECT is((SELECT status FROM streamflow.streams WHERE id = 'stream_si'), 'inactive', '... leaves an inactive stream inactive');

-------------------------------------------------------------------------------
-- generate_test_frames (seed 001's create_test_stream)
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "generated", "id": "stream_gen"}'::jsonb)$$, 'a stream for test frames');
SELECT is(streamflow.generate_test_frames('generated', 7, 10), 7, 'generate_test_frames returns how many frames it ingested');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'stream_gen'), 7, 'that many frames are stored');
SELECT is_empty($$SELECT 1 FROM streamflow.frames WHERE stream_id = 'stream_gen'
                  AND (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(payload) k)
                      <> ARRAY['data', 'event_type', 'id', 'sequence', 'timestamp', 'user_id']$$,
	'each payload has exactly id, timestamp, sequence, event_type, user_id, data');
SELECT results_eq(
	$$SELECT (payload->>'sequence')::int, payload->>'event_type', payload->>'user_id', (payload#>>'{data,value}')::int,
	         payload#>'{data,metadata}'
	  FROM streamflow.frames WHERE stream_id = 'stream_gen' ORDER BY sequence$$,
	$$SELECT i, (ARRAY['click', 'view', 'purchase'])[i % 3 + 1], 'user_' || i, i * 10, '{"test": true}'::jsonb
	  FROM generate_series(0, 6) i$$,
	'payload i: sequence i, event_type click/view/purchase in turn, user_id user_<i % 100>, data.value i * 10');
SELECT is_empty($$SELECT 1 FROM streamflow.frames WHERE stream_id = 'stream_gen'
                  AND payload->>'id' !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'$$,
	'each payload id is a UUID');
SELECT is((SELECT count(DISTINCT payload->>'id')::int FROM streamflow.frames WHERE stream_id = 'stream_gen'), 7,
	'payload ids are unique');
SELECT is_empty($$SELECT 1 FROM (
	SELECT (payload->>'timestamp')::numeric - lag((payload->>'timestamp')::numeric) OVER (ORDER BY sequence) AS step
	FROM streamflow.frames WHERE stream_id = 'stream_gen') s
	WHERE step IS NOT NULL AND abs(step - 0.1) > 0.000001$$,
	'timestamps advance by 1 / rate_per_second');
SELECT ok((SELECT abs((payload->>'timestamp')::numeric - extract(epoch FROM clock_timestamp())) < 60
           FROM streamflow.frames WHERE stream_id = 'stream_gen' AND sequence = 1),
	'the first timestamp is the current epoch time in seconds');
SELECT is((SELECT min(sequence) || '-' || max(sequence) FROM streamflow.frames WHERE stream_id = 'stream_gen'), '1-7',
	'the frames get stream sequences 1..count');
SELECT is(streamflow.generate_test_frames('generated', 150, 1000), 150, 'a larger test stream is generated');
SELECT is((SELECT count(DISTINCT payload->>'user_id')::int FROM streamflow.frames WHERE stream_id = 'stream_gen'),
	100, 'user_id cycles through 100 users');
SELECT is(streamflow.generate_test_frames('generated', 0), 0, 'count 0 ingests nothing');
SELECT throws_ok($$SELECT streamflow.generate_test_frames('generated', -1)$$,
	'22023', 'count must be zero or positive', 'a negative count is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.generate_test_frames('generated', 1, 0)$$,
	'22023', 'rate_per_second must be positive', 'rate_per_second 0 is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.generate_test_frames('nowhere', 1)$$,
	'42704', 'stream "nowhere" does not exist', 'generate_test_frames into an unknown stream raises 42704');

SELECT * FROM finish();
ROLLBACK;
