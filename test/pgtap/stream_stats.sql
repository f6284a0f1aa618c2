-- stream_stats.sql: streamflow.stream_stats, stream_counters() and health()
-- (seed 001's thresholds), on the preloaded test cluster.  The shared-memory
-- counters survive this file's ROLLBACK, so every stream here gets a fresh
-- generated id; create_stream forgets any counters a reused id had.
BEGIN;
SELECT plan(33);

-------------------------------------------------------------------------------
-- Shape, GUCs, privileges
-------------------------------------------------------------------------------
SELECT has_view('streamflow', 'stream_stats', 'view streamflow.stream_stats exists');
SELECT columns_are('streamflow', 'stream_stats', ARRAY[
	'stream_id', 'total_messages_received', 'total_messages_sent', 'last_data_received_at',
	'error_count', 'error_rate', 'avg_latency_ms', 'p95_latency_ms', 'p99_latency_ms',
	'subscribers', 'queue_utilization', 'dropped', 'duplicates', 'dropped_late'],
	'stream_stats has DESIGN.md''s columns');
SELECT has_function('streamflow', 'health', ARRAY['interval'], 'health(period interval) exists');
SELECT is_definer('streamflow', 'health', ARRAY['interval'], 'health() is SECURITY DEFINER');
SELECT has_function('streamflow', 'stream_counters', ARRAY[]::name[], 'stream_counters() exists');
SELECT matches(obj_description('streamflow.stream_stats'::regclass, 'pg_class'),
	'reset by a server restart', 'the view''s comment says which columns a restart resets');
SELECT matches(obj_description('streamflow.health(interval)'::regprocedure, 'pg_proc'),
	'frames per second', 'health()''s comment defines throughput');
SELECT results_eq(
	$$SELECT name, setting, unit, context FROM pg_catalog.pg_settings
	  WHERE name IN ('streamflow.ring_size', 'streamflow.ring_max_message', 'streamflow.max_streams_tracked')
	  ORDER BY name$$,
	$$VALUES ('streamflow.max_streams_tracked'::text, '1024'::text, NULL::text, 'postmaster'::text),
	         ('streamflow.ring_max_message', '65536', 'B', 'sighup'),
	         ('streamflow.ring_size', '16384', 'kB', 'postmaster')$$,
	'ring_size (16MB) and max_streams_tracked are fixed at server start; ring_max_message is 64kB');
SELECT ok(has_table_privilege('streamflow_reader', 'streamflow.stream_stats', 'SELECT')
	AND has_function_privilege('streamflow_reader', 'streamflow.health(interval)', 'EXECUTE')
	AND has_function_privilege('streamflow_reader', 'streamflow.stream_counters()', 'EXECUTE'),
	'streamflow_reader reads stream_stats and runs health()');
SELECT ok(NOT has_function_privilege('streamflow_reader', 'streamflow.forget_stream_counters(text)', 'EXECUTE'),
	'forget_stream_counters() is left to the extension');

-------------------------------------------------------------------------------
-- healthy: only a stream flowing at 2 frames/s, without errors
-------------------------------------------------------------------------------
SELECT count(streamflow.drop_stream(id)) AS dropped_all FROM streamflow.streams \gset
SELECT streamflow.create_stream('{"name": "stats_ok"}')->>'id' AS ok_id \gset
SELECT is((SELECT ingested FROM streamflow.ingest_batch('stats_ok',
	(SELECT jsonb_agg(jsonb_build_object('payload', jsonb_build_object('i', i))) FROM generate_series(1, 120) i))),
	120, '120 frames stored');
SELECT results_eq(
	$$SELECT stream_id, total_messages_received, total_messages_sent, error_count, error_rate,
	         subscribers, queue_utilization, dropped, duplicates, avg_latency_ms IS NULL
	  FROM streamflow.stream_stats$$,
	format($$VALUES (%L::text, 120::bigint, 0::bigint, 0::bigint, 0::double precision,
	                 0, 0::double precision, 0::bigint, 0::bigint, true)$$, :'ok_id'),
	'stream_stats: 120 received, no errors, no latency yet (no deliveries)');
SELECT is((SELECT received FROM streamflow.stream_counters() WHERE stream_id = :'ok_id'), 120::bigint,
	'the shared-memory counter saw the same 120 frames');
SELECT results_eq($$SELECT status, alerts FROM streamflow.health()$$,
	$$VALUES ('healthy'::text, '[]'::jsonb)$$,
	'health() is healthy: 120 frames in the last minute is 2 frames/s, no errors');

-------------------------------------------------------------------------------
-- Every stream shows, with zeros when nothing was counted
-------------------------------------------------------------------------------
SELECT streamflow.create_stream('{"name": "stats_idle"}')->>'id' AS idle_id \gset
SELECT results_eq(
	format($$SELECT total_messages_received, error_count, error_rate, last_data_received_at IS NULL
	         FROM streamflow.stream_stats WHERE stream_id = %L$$, :'idle_id'),
	$$VALUES (0::bigint, 0::bigint, 0::double precision, true)$$,
	'a stream without frames shows zeros');
SELECT is_empty(format($$SELECT 1 FROM streamflow.stream_counters() WHERE stream_id = %L$$, :'idle_id'),
	'it has no shared-memory counters yet');
SELECT is((SELECT status FROM streamflow.health()), 'healthy',
	'an inactive stream is not expected to flow: still healthy');

-------------------------------------------------------------------------------
-- degraded: rejected frames raise the error rate above 5%.  stream_stats
-- counts every rejection since the server started; health() counts those
-- recorded in stream_errors during its period (on_error dead_letter, the
-- worker's transports), not skipped or raised ones, which leave no row.
-------------------------------------------------------------------------------
SELECT streamflow.create_stream('{"name": "stats_err", "data_schema": {"type": "object", "required": ["v"]}}')->>'id' AS err_id \gset
SELECT ok((streamflow.ingest('stats_err', '{"v": 1}')).sequence = 1, 'one valid frame');
SELECT results_eq(
	$$SELECT ingested, rejected FROM streamflow.ingest_batch('stats_err', '[{"payload": {"v": 2}}, {"payload": {"w": 1}}]', 'dead_letter')$$,
	$$VALUES (1, 1)$$,
	'a batch with one frame the schema rejects (recorded as a dead letter)');
SELECT throws_ok($$SELECT streamflow.ingest('stats_err', '{"w": 2}')$$, '22023', NULL,
	'a frame the schema rejects raises');
SELECT results_eq(
	format($$SELECT total_messages_received, error_count, error_rate FROM streamflow.stream_stats WHERE stream_id = %L$$, :'err_id'),
	$$VALUES (2::bigint, 2::bigint, 0.5::double precision)$$,
	'2 stored, 2 rejected (one raised, counted although its statement rolled back): error rate 0.5');
SELECT is((SELECT status FROM streamflow.health()), 'degraded', 'health() is degraded');
SELECT is((SELECT alerts FROM streamflow.health()),
	jsonb_build_array(
		jsonb_build_object('alert', 'HIGH_ERROR_RATE', 'stream_id', :'err_id', 'value', 1 / 3.0::double precision, 'threshold', 0.05),
		jsonb_build_object('alert', 'LOW_THROUGHPUT', 'stream_id', :'err_id', 'value', 2 / 60.0::double precision, 'threshold', 1)),
	'alerts name the stream: HIGH_ERROR_RATE (1 recorded rejection in 3 frames offered > 0.05) and LOW_THROUGHPUT (2 frames in a minute)');
SELECT is((SELECT alerts FROM streamflow.health('1 second')),
	jsonb_build_array(
		jsonb_build_object('alert', 'HIGH_ERROR_RATE', 'stream_id', :'err_id', 'value', 1 / 3.0::double precision, 'threshold', 0.05)),
	'over a 1 second period its 2 frames are 2 frames/s: only HIGH_ERROR_RATE remains');
SELECT ok(NOT (SELECT alerts FROM streamflow.health()) @> format('[{"stream_id": "%s"}]', :'ok_id')::jsonb,
	'the healthy stream raises no alert');

-- exactly at the threshold is not above it
SELECT streamflow.create_stream('{"name": "stats_edge", "data_schema": {"required": ["v"]}}')->>'id' AS edge_id \gset
SELECT is((SELECT rejected FROM streamflow.ingest_batch('stats_edge',
	(SELECT jsonb_agg(jsonb_build_object('payload', CASE WHEN i = 1 THEN '{"w": 0}'::jsonb ELSE jsonb_build_object('v', i) END))
	 FROM generate_series(1, 20) i), 'dead_letter')), 1, '1 rejected in 20');
SELECT is((SELECT error_rate FROM streamflow.stream_stats WHERE stream_id = :'edge_id'), 0.05::double precision,
	'error rate 1/20 = 0.05');
SELECT ok(NOT (SELECT alerts FROM streamflow.health('1 second')) @> format('[{"stream_id": "%s", "alert": "HIGH_ERROR_RATE"}]', :'edge_id')::jsonb,
	'an error rate of exactly 5% is not HIGH_ERROR_RATE (the seed alerts above 0.05)');

-- paused streams are not expected to flow
SELECT streamflow.update_stream('stats_err', '{"status": "paused"}') IS NOT NULL AS paused \gset
SELECT ok(NOT (SELECT alerts FROM streamflow.health()) @> format('[{"stream_id": "%s", "alert": "LOW_THROUGHPUT"}]', :'err_id')::jsonb,
	'a paused stream raises no LOW_THROUGHPUT');

-------------------------------------------------------------------------------
-- Counters of a dropped stream are not inherited by a new stream with its id
-------------------------------------------------------------------------------
SELECT streamflow.drop_stream('stats_err') IS NULL AS dropped \gset
SELECT streamflow.create_stream(jsonb_build_object('name', 'stats_again', 'id', :'err_id')) IS NOT NULL AS again \gset
SELECT results_eq(
	format($$SELECT total_messages_received, error_count, error_rate FROM streamflow.stream_stats WHERE stream_id = %L$$, :'err_id'),
	$$VALUES (0::bigint, 0::bigint, 0::double precision)$$,
	'a stream created with a dropped stream''s id starts from zero');

-------------------------------------------------------------------------------
-- As streamflow_reader
-------------------------------------------------------------------------------
SET LOCAL ROLE streamflow_reader;
SELECT is((SELECT count(*) FROM streamflow.stream_stats), 4::bigint, 'streamflow_reader sees every stream''s stats');
SELECT is((SELECT status FROM streamflow.health()), 'degraded', 'streamflow_reader runs health()');
RESET ROLE;
SET LOCAL ROLE streamflow_reader;
SELECT throws_ok($$SELECT streamflow.forget_stream_counters('x')$$, '42501', NULL,
	'streamflow_reader cannot reset counters');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
