-- multiplexing.sql: the SQL side of outbound multiplexing.  delivery_targets
-- resolves destination_url and multiplexing destinations (service ids to
-- their endpoint_url); ingest queues round-robin (one row per frame, by
-- sequence) or broadcast (a row per frame and destination) rows in the
-- frame's transaction; replay_dead_letters keeps a dead letter's destination
-- while the stream still has it; destination_circuits, circuit_alerts and
-- delivery_state.open_circuits show circuits per destination.
BEGIN;
SELECT plan(16);

SELECT lives_ok($$SELECT streamflow.create_service('{"name": "mux a", "id": "svc_mux_a", "endpoint_url": "http://127.0.0.1:9/svc"}')$$,
	'a service with an endpoint_url');
SELECT results_eq($$SELECT urls, broadcast FROM streamflow.delivery_targets('http://127.0.0.1:9/u',
	'{"destinations": ["svc_mux_a", "http://127.0.0.1:9/v", "http://127.0.0.1:9/u"]}')$$,
	$$VALUES (ARRAY['http://127.0.0.1:9/u', 'http://127.0.0.1:9/svc', 'http://127.0.0.1:9/v'], false)$$,
	'destination_url first, service ids resolved, each URL once, round-robin by default');
SELECT results_eq($$SELECT urls FROM streamflow.delivery_targets(NULL, '{"enabled": false, "destinations": ["http://127.0.0.1:9/v"]}')$$,
	$$VALUES (NULL::text[])$$, 'a disabled multiplexing delivers nowhere');

SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "rr", "id": "stream_rr",
	"multiplexing": {"destinations": ["http://127.0.0.1:9/a", "svc_mux_a", "http://127.0.0.1:9/c"], "strategy": "round-robin"}}')$$,
	'a round-robin stream');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "bc", "id": "stream_bc", "destination_url": "http://127.0.0.1:9/a",
	"multiplexing": {"destinations": ["http://127.0.0.1:9/b"], "strategy": "broadcast"}}')$$,
	'a broadcast stream');
SELECT lives_ok($$SELECT streamflow.ingest_batch('rr', '[{"payload": {}}, {"payload": {}}, {"payload": {}}, {"payload": {}}]')$$, 'four frames');
SELECT results_eq($$SELECT sequence, destination FROM streamflow.deliveries WHERE stream_id = 'stream_rr' ORDER BY id$$,
	$$VALUES (1::bigint, 'http://127.0.0.1:9/a'), (2, 'http://127.0.0.1:9/svc'), (3, 'http://127.0.0.1:9/c'), (4, 'http://127.0.0.1:9/a')$$,
	'round-robin: one row per frame, destination by sequence');
SELECT lives_ok($$SELECT streamflow.ingest_batch('bc', '[{"payload": {}}, {"payload": {}}]')$$, 'two frames');
SELECT results_eq($$SELECT sequence, destination FROM streamflow.deliveries WHERE stream_id = 'stream_bc' ORDER BY id$$,
	$$VALUES (1::bigint, 'http://127.0.0.1:9/a'), (1, 'http://127.0.0.1:9/b'), (2, 'http://127.0.0.1:9/a'), (2, 'http://127.0.0.1:9/b')$$,
	'broadcast: a row per frame and destination, in sequence order');

SELECT throws_ok($$SELECT streamflow.drop_service('svc_mux_a')$$, '2BP01', NULL, 'a service a stream delivers to stays');

-- circuits, as the worker would write them
INSERT INTO streamflow.destination_state (destination, circuit, consecutive_failures, opened_until)
VALUES ('http://127.0.0.1:9/svc', 'open', 5, now() + interval '30 s');
SELECT results_eq($$SELECT destination, circuit, pending FROM streamflow.destination_circuits WHERE stream_id = 'stream_rr' ORDER BY destination$$,
	$$VALUES ('http://127.0.0.1:9/a', 'closed', 2::bigint), ('http://127.0.0.1:9/c', 'closed', 1), ('http://127.0.0.1:9/svc', 'open', 1)$$,
	'destination_circuits: each destination, its circuit and what is pending');
SELECT results_eq($$SELECT stream_id, alert, value, threshold, destination FROM streamflow.circuit_alerts WHERE stream_id IN ('stream_rr', 'stream_bc')$$,
	$$VALUES ('stream_rr', 'CIRCUIT_OPEN', 5::double precision, 0::double precision, 'http://127.0.0.1:9/svc')$$,
	'circuit_alerts: CIRCUIT_OPEN for the open destination only');
SELECT results_eq($$SELECT stream_id, open_circuits FROM streamflow.delivery_state WHERE stream_id IN ('stream_rr', 'stream_bc') ORDER BY stream_id$$,
	$$VALUES ('stream_bc', 0::bigint), ('stream_rr', 1)$$, 'delivery_state.open_circuits');

-- replay: its own destination while the stream still has it, else by sequence
DELETE FROM streamflow.deliveries;
INSERT INTO streamflow.dead_letters (stream_id, reason, frame, last_error, sequence, destination, attempts)
VALUES ('stream_rr', 'delivery failed', '{"sequence": 2}', 'HTTP 500', 2, 'http://127.0.0.1:9/svc', 4),
       ('stream_rr', 'delivery failed', '{"sequence": 3}', 'HTTP 500', 3, 'http://127.0.0.1:9/gone', 4),
       ('stream_bc', 'delivery failed', '{"sequence": 1}', 'HTTP 500', 1, 'http://127.0.0.1:9/gone', 4);
SELECT is(streamflow.replay_dead_letters('rr') + streamflow.replay_dead_letters('bc'), 3, 'three replayed');
SELECT results_eq($$SELECT stream_id, sequence, destination FROM streamflow.deliveries ORDER BY id$$,
	$$VALUES ('stream_rr', 2::bigint, 'http://127.0.0.1:9/svc'), ('stream_rr', 3, 'http://127.0.0.1:9/c'),
	         ('stream_bc', 1, 'http://127.0.0.1:9/gone')$$,
	'kept destination; a removed one replaced by the sequence''s round-robin turn; broadcast keeps its own');
SELECT ok(has_function_privilege('streamflow_reader', 'streamflow.delivery_targets(text, jsonb)', 'EXECUTE')
	AND has_table_privilege('streamflow_reader', 'streamflow.circuit_alerts', 'SELECT')
	AND has_table_privilege('streamflow_reader', 'streamflow.destination_circuits', 'SELECT'),
	'readers see targets, circuits and alerts');

SELECT * FROM finish();
ROLLBACK;
