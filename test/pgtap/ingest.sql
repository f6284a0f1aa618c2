-- ingest.sql: ingest() and the frame rules of seed 002, frames(),
-- frames_since() and latest_frame().
BEGIN;
SELECT plan(69);

\ir helpers.psql

SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "ticks", "id": "stream_ticks", "sla_ms": 100}'::jsonb)$$,
	'a stream with sla_ms 100 is created');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "no sla", "id": "stream_nosla"}'::jsonb)$$,
	'a stream without SLA is created');

-------------------------------------------------------------------------------
-- latest_frame / frames of an empty stream; inactive until the first frame
-------------------------------------------------------------------------------
SELECT ok(streamflow.latest_frame('ticks') IS NULL, 'latest_frame is null while the stream has no frames');
SELECT is_empty($$SELECT * FROM streamflow.frames('ticks')$$, 'frames() of an empty stream is empty');
SELECT is((SELECT status FROM streamflow.streams WHERE id = 'stream_ticks'), 'inactive', 'a new stream is inactive');

-------------------------------------------------------------------------------
-- sequence: assigned latest + 1 when omitted, kept when given
-------------------------------------------------------------------------------
SELECT results_eq(
	$$SELECT stream_id, sequence, payload, latency_ms, status, metadata FROM streamflow.ingest('ticks', '{"price": 1}')$$,
	$$VALUES ('stream_ticks'::text, 1::bigint, '{"price": 1}'::jsonb, 0, 'ok'::text, NULL::jsonb)$$,
	'the first frame gets sequence 1, latency 0, status ok; ingest returns the stored row');
SELECT is((SELECT status FROM streamflow.streams WHERE id = 'stream_ticks'), 'active', 'the first frame makes an inactive stream active');
SELECT is((streamflow.ingest('stream_ticks', '{"price": 2}')).sequence, 2::bigint, 'an omitted sequence is latest + 1');
SELECT is((streamflow.ingest('ticks', '{"price": 10}', 10)).sequence, 10::bigint, 'a given sequence is kept');
SELECT is((streamflow.ingest('ticks', '{"price": 11}')).sequence, 11::bigint, 'after a given sequence, latest + 1 follows it');
SELECT is((streamflow.ingest('ticks', '{"price": 5}', 5)).sequence, 5::bigint, 'a lower unused sequence is accepted');
SELECT is((streamflow.ingest('ticks', '{"price": 12}')).sequence, 12::bigint, 'a lower given sequence does not move latest back');
SELECT is((streamflow.ingest('ticks', '{"n": 1}', NULL, NULL, NULL, '{"source": "test"}')).metadata,
	'{"source": "test"}'::jsonb, 'frame metadata is stored');
SELECT throws_ok($$SELECT streamflow.ingest('ticks', '{"a": 1}', 0)$$,
	'22023', 'frame rejected by stream "stream_ticks"', 'sequence 0 is rejected (22023)');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('ticks', '{"a": 1}', 0)$$),
	'$.sequence: sequence must be positive, not 0 (minimum)', 'the detail names the violation: path, message, keyword');
SELECT throws_ok($$SELECT streamflow.ingest('ticks', '{"a": 1}', -3)$$,
	'22023', 'frame rejected by stream "stream_ticks"', 'a negative sequence is rejected (22023)');

-------------------------------------------------------------------------------
-- payload must be a JSON object
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.ingest('ticks', '[1, 2]')$$,
	'22023', 'frame rejected by stream "stream_ticks"', 'an array payload is rejected (22023)');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('ticks', '[1, 2]')$$),
	'$.payload: payload must be a JSON object, not an array (type)', 'the detail says the payload must be an object');
SELECT throws_ok($$SELECT streamflow.ingest('ticks', '42')$$,
	'22023', 'frame rejected by stream "stream_ticks"', 'a scalar payload is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.ingest('ticks', '"text"')$$,
	'22023', 'frame rejected by stream "stream_ticks"', 'a string payload is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.ingest('ticks', NULL)$$,
	'22023', 'frame rejected by stream "stream_ticks"', 'a null payload is rejected (22023)');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('ticks', NULL)$$),
	'$.payload: payload is required (required)', 'the detail says the payload is required');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('ticks', '[]', -1, 0, 'bad', '[]')$$),
	E'$.payload: payload must be a JSON object, not an array (type)\n$.sequence: sequence must be positive, not -1 (minimum)\n$.status: status must be ok, late or error, not "bad" (enum)\n$.metadata: metadata must be a JSON object (type)',
	'every violation of a frame is listed, one per line');
SELECT throws_ok($$SELECT streamflow.ingest('ticks', '{}', NULL, 0, NULL, '"m"')$$,
	'22023', 'frame rejected by stream "stream_ticks"', 'non-object metadata is rejected (22023)');
SELECT is((streamflow.ingest('ticks', '{}')).payload, '{}'::jsonb, 'an empty object is a valid payload');

-------------------------------------------------------------------------------
-- latency_ms and status
-------------------------------------------------------------------------------
SELECT is((streamflow.ingest('ticks', '{"l": -1}', NULL, -40)).latency_ms, 0, 'a negative latency_ms becomes 0');
SELECT is((streamflow.ingest('ticks', '{"l": 100}', NULL, 100)).status, 'ok', 'latency equal to sla_ms is ok');
SELECT is((streamflow.ingest('ticks', '{"l": 101}', NULL, 101)).status, 'late', 'latency above sla_ms is late');
SELECT is((streamflow.ingest('ticks', '{"l": 101}', NULL, 101, 'ok')).status, 'late', 'status ok given with latency above sla_ms is late');
SELECT is((streamflow.ingest('ticks', '{"l": 500}', NULL, 500, 'error')).status, 'error', 'status error is kept even when late');
SELECT is((streamflow.ingest('ticks', '{"l": 1}', NULL, 1, 'late')).status, 'late', 'status late may be given explicitly');
SELECT is((streamflow.ingest('no sla', '{"l": 99999}', NULL, 99999)).status, 'ok', 'a stream with sla_ms 0 never marks frames late');
SELECT is((streamflow.ingest('ticks', '{"s": 1}', NULL, NULL, 'ok')).status, 'ok', 'status ok is accepted');
SELECT throws_ok($$SELECT streamflow.ingest('ticks', '{}', NULL, 0, 'lost')$$,
	'22023', 'frame rejected by stream "stream_ticks"', 'a status other than ok|late|error is rejected (22023)');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('ticks', '{}', NULL, 0, 'lost')$$),
	'$.status: status must be ok, late or error, not "lost" (enum)', 'the detail names the allowed statuses');

-------------------------------------------------------------------------------
-- the same (stream, sequence) again is idempotent
-------------------------------------------------------------------------------
CREATE TEMP TABLE sf_before AS SELECT * FROM streamflow.stream_state WHERE stream_id = 'stream_ticks';
SELECT results_eq(
	$$SELECT sequence, payload, latency_ms, status FROM streamflow.ingest('ticks', '{"price": "changed"}', 10, 7, 'error')$$,
	$$VALUES (10::bigint, '{"price": 10}'::jsonb, 0, 'ok'::text)$$,
	'ingesting an existing sequence returns the stored frame unchanged');
SELECT is((SELECT payload FROM streamflow.frames WHERE stream_id = 'stream_ticks' AND sequence = 10), '{"price": 10}'::jsonb,
	'the stored frame is not overwritten');
SELECT is((SELECT duplicates FROM streamflow.stream_state WHERE stream_id = 'stream_ticks'),
	(SELECT duplicates + 1 FROM sf_before), 'the duplicate is counted in stream_state.duplicates');
SELECT is((SELECT frames_received FROM streamflow.stream_state WHERE stream_id = 'stream_ticks'),
	(SELECT frames_received FROM sf_before), 'a duplicate is not counted as received');
SELECT is((SELECT last_sequence FROM streamflow.stream_state WHERE stream_id = 'stream_ticks'),
	(SELECT last_sequence FROM sf_before), 'a duplicate does not move the sequence head');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'stream_ticks'),
	(SELECT frames_received::int FROM sf_before), 'every received frame is stored once');

-------------------------------------------------------------------------------
-- paused streams, unknown streams
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.update_stream('ticks', '{"status": "paused"}')$$, 'the stream is paused');
SELECT throws_ok($$SELECT streamflow.ingest('ticks', '{"a": 1}')$$,
	'55000', 'stream "stream_ticks" is paused', 'ingest into a paused stream raises 55000');
SELECT throws_ok($$SELECT streamflow.ingest('ticks', '{"a": 1}', 10)$$,
	'55000', 'stream "stream_ticks" is paused', 'a paused stream rejects even a duplicate (55000)');
SELECT lives_ok($$SELECT streamflow.update_stream('ticks', '{"status": "active"}')$$, 'the stream is resumed');
SELECT lives_ok($$SELECT streamflow.ingest('ticks', '{"a": 1}')$$, 'a resumed stream accepts frames again');
SELECT throws_ok($$SELECT streamflow.ingest('nowhere', '{"a": 1}')$$,
	'42704', 'stream "nowhere" does not exist', 'ingest into an unknown stream raises 42704');
SELECT throws_ok($$SELECT streamflow.ingest(NULL, '{"a": 1}')$$,
	'22004', 'stream must not be null', 'ingest needs a stream (22004)');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "paused from birth", "id": "stream_pb", "status": "paused"}'::jsonb)$$,
	'a stream created paused ...');
SELECT throws_ok($$SELECT streamflow.ingest('stream_pb', '{"a": 1}')$$,
	'55000', 'stream "stream_pb" is paused', '... rejects frames (55000)');
SELECT is((SELECT status FROM streamflow.streams WHERE id = 'stream_pb'), 'paused', 'and stays paused');

-------------------------------------------------------------------------------
-- stream_state
-------------------------------------------------------------------------------
SELECT results_eq(
	$$SELECT last_sequence, frames_received, rejected, last_data_received_at = now() FROM streamflow.stream_state WHERE stream_id = 'stream_nosla'$$,
	$$VALUES (1::bigint, 1::bigint, 0::bigint, true)$$,
	'stream_state tracks the head, the frames received and when data last arrived');

-------------------------------------------------------------------------------
-- frames(), frames_since(), latest_frame()
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "reads", "id": "stream_reads"}'::jsonb)$$, 'a stream to read');
SELECT lives_ok($$SELECT streamflow.ingest('reads', jsonb_build_object('i', i), i) FROM unnest(ARRAY[3, 1, 5, 2, 4]) i$$,
	'five frames ingested out of order');
SELECT results_eq($$SELECT sequence FROM streamflow.frames('reads')$$,
	ARRAY[5, 4, 3, 2, 1]::bigint[], 'frames() lists newest first (by sequence)');
SELECT results_eq($$SELECT sequence FROM streamflow.frames('stream_reads', 2)$$,
	ARRAY[5, 4]::bigint[], 'frames(limit) returns the newest limit frames');
SELECT is_empty($$SELECT * FROM streamflow.frames('reads', -1)$$, 'frames with a negative limit returns nothing');
SELECT results_eq($$SELECT sequence FROM streamflow.frames_since('reads', 2)$$,
	ARRAY[3, 4, 5]::bigint[], 'frames_since() lists frames after the sequence, oldest first');
SELECT results_eq($$SELECT sequence FROM streamflow.frames_since('reads', 0, 2)$$,
	ARRAY[1, 2]::bigint[], 'frames_since(limit) returns the oldest limit frames after since');
SELECT is_empty($$SELECT * FROM streamflow.frames_since('reads', 5)$$, 'frames_since the latest sequence is empty');
SELECT is((streamflow.latest_frame('reads')).payload, '{"i": 5}'::jsonb, 'latest_frame is the frame with the highest sequence');
SELECT results_eq($$SELECT sequence FROM streamflow.frames_since('reads', NULL)$$,
	ARRAY[1, 2, 3, 4, 5]::bigint[], 'frames_since(NULL) starts at the beginning');
SELECT lives_ok($$SELECT streamflow.generate_test_frames('reads', 1100, 1000)$$, '1100 more frames');
SELECT is((SELECT count(*)::int FROM streamflow.frames('reads')), 100, 'frames() returns 100 frames by default');
SELECT is((SELECT count(*)::int FROM streamflow.frames_since('reads', 0)), 1000, 'frames_since() returns 1000 frames by default');
SELECT results_eq(
	$$SELECT sequence, payload, latency_ms, status, metadata FROM streamflow.ingest('reads', '{"price": 1850.50, "volume": 1234.56, "timestamp": "2025-12-01T10:30:00Z"}', 1234567890, 45, 'ok', '{"source": "websocket"}')$$,
	$$VALUES (1234567890::bigint, '{"price": 1850.50, "volume": 1234.56, "timestamp": "2025-12-01T10:30:00Z"}'::jsonb, 45, 'ok'::text, '{"source": "websocket"}'::jsonb)$$,
	'seed 002 "Create Frame" body is ingested as given');
SELECT throws_ok($$SELECT * FROM streamflow.frames('nowhere')$$,
	'42704', 'stream "nowhere" does not exist', 'frames() of an unknown stream raises 42704');
SELECT throws_ok($$SELECT * FROM streamflow.frames_since('nowhere', 0)$$,
	'42704', 'stream "nowhere" does not exist', 'frames_since() of an unknown stream raises 42704');
SELECT throws_ok($$SELECT streamflow.latest_frame('nowhere')$$,
	'42704', 'stream "nowhere" does not exist', 'latest_frame() of an unknown stream raises 42704');

SELECT * FROM finish();
ROLLBACK;
