-- outbound.sql: the SQL side of outbound webhooks.  Ingest queues one
-- streamflow.deliveries row per stored frame of a stream with
-- destination_url, in the frame's transaction (the worker, in its own
-- transactions, cannot see these uncommitted rows); delivery_state;
-- replay_dead_letters() and its refusals; drop_stream; privileges.
BEGIN;
SELECT plan(26);

SELECT has_table('streamflow', 'deliveries', 'table deliveries');
SELECT has_table('streamflow', 'destination_state', 'table destination_state');
SELECT has_view('streamflow', 'delivery_state', 'view delivery_state');
SELECT has_column('streamflow', 'dead_letters', 'destination', 'dead_letters.destination');
SELECT has_function('streamflow', 'replay_dead_letters', ARRAY['text', 'bigint[]'], 'replay_dead_letters(text, bigint[])');

SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "out", "id": "stream_out", "destination_url": "http://127.0.0.1:9/a",
	"data_schema": {"type": "object", "required": ["n"]}}'::jsonb)$$, 'a stream with a destination');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "plain", "id": "stream_plain"}'::jsonb)$$, 'a stream without one');

SELECT lives_ok($$SELECT streamflow.ingest_batch('out', '[{"payload": {"n": 1}}, {"payload": {"n": 2}}, {"payload": {"n": 3}}]')$$,
	'three frames');
SELECT results_eq($$SELECT sequence, destination, attempts, last_status, last_error FROM streamflow.deliveries WHERE stream_id = 'stream_out' ORDER BY id$$,
	$$VALUES (1::bigint, 'http://127.0.0.1:9/a', 0, NULL::int, NULL::text), (2, 'http://127.0.0.1:9/a', 0, NULL, NULL), (3, 'http://127.0.0.1:9/a', 0, NULL, NULL)$$,
	'one row per frame, in sequence order, due at once');
SELECT ok((SELECT bool_and(next_attempt_at <= now()) FROM streamflow.deliveries), 'due now');

SELECT lives_ok($$SELECT streamflow.ingest('plain', '{"n": 1}')$$, 'a frame of the stream without destination');
SELECT is_empty($$SELECT 1 FROM streamflow.deliveries WHERE stream_id = 'stream_plain'$$, 'no delivery for it');

SELECT lives_ok($$SELECT streamflow.ingest_batch('out', '[{"sequence": 2, "payload": {"n": 2}}, {"payload": {"bad": true}}, {"payload": {"n": 4}}]', 'skip')$$,
	'a duplicate, a rejected frame and a new one');
SELECT results_eq($$SELECT sequence FROM streamflow.deliveries WHERE stream_id = 'stream_out' ORDER BY id$$,
	$$VALUES (1::bigint), (2), (3), (4)$$, 'only the new stored frame is queued');

SELECT lives_ok($$SELECT streamflow.update_stream('out', '{"destination_url": "http://127.0.0.1:9/b"}')$$, 'a new destination');
SELECT lives_ok($$SELECT streamflow.ingest('out', '{"n": 5}')$$, 'a frame after the change');
SELECT results_eq($$SELECT destination FROM streamflow.deliveries WHERE stream_id = 'stream_out' AND sequence IN (4, 5) ORDER BY id$$,
	$$VALUES ('http://127.0.0.1:9/a'), ('http://127.0.0.1:9/b')$$,
	'queued rows keep their destination; new frames go to the new one');

SELECT results_eq($$SELECT pending, retrying, head_sequence, head_attempts, dead_letters, circuit FROM streamflow.delivery_state WHERE stream_id = 'stream_out'$$,
	$$VALUES (5::bigint, 0::bigint, 1::bigint, 0, 0::bigint, 'closed')$$, 'delivery_state: five pending, the head is frame 1');

-- dead letters of deliveries (written here as the worker would)
INSERT INTO streamflow.dead_letters (stream_id, reason, frame, last_error, sequence, destination, attempts)
VALUES ('stream_out', 'delivery failed', '{"sequence": 1}', 'HTTP 500', 1, 'http://127.0.0.1:9/a', 4),
       ('stream_out', 'delivery failed', '{"sequence": 2}', 'HTTP 500', 2, 'http://127.0.0.1:9/a', 4);
INSERT INTO streamflow.dead_letters (stream_id, reason, frame, last_error)
VALUES ('stream_out', 'rejected', '{"payload": {"bad": true}}', '$.payload.n: required');
DELETE FROM streamflow.deliveries;

SELECT throws_ok($$SELECT streamflow.replay_dead_letters('out', ARRAY(SELECT id FROM streamflow.dead_letters WHERE stream_id = 'stream_out'))$$,
	'22023', NULL, 'a rejected frame cannot be replayed');
SELECT throws_ok($$SELECT streamflow.replay_dead_letters('nope')$$, '42704', NULL, 'an unknown stream');
SELECT is(streamflow.replay_dead_letters('out', ARRAY(SELECT id FROM streamflow.dead_letters WHERE sequence = 2)), 1, 'one chosen dead letter replayed');
SELECT is(streamflow.replay_dead_letters('out'), 1, 'then the rest of the delivery dead letters');
SELECT results_eq($$SELECT sequence, destination, attempts FROM streamflow.deliveries ORDER BY id$$,
	$$VALUES (2::bigint, 'http://127.0.0.1:9/b', 0), (1, 'http://127.0.0.1:9/b', 0)$$,
	're-queued to the stream''s current destination, from the first attempt');
SELECT results_eq($$SELECT reason FROM streamflow.dead_letters WHERE stream_id = 'stream_out'$$,
	$$VALUES ('rejected')$$, 'the rejected frame stays a dead letter');

SELECT lives_ok($$SELECT streamflow.drop_stream('out')$$, 'drop the stream');
SELECT is_empty($$SELECT 1 FROM streamflow.deliveries$$, 'its deliveries went with it');

SELECT * FROM finish();
ROLLBACK;
