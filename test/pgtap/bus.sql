-- bus.sql: what of the NOTIFY bus can be seen inside one transaction.
--
-- Notifications are sent at commit and a pgTAP file never commits, so
-- delivery (payloads, coalescing, nothing for rolled-back frames) is tested by
-- the integration tests with real listeners.  Here: the GUCs, and that
-- LISTEN, ingest, savepoints and large transactions work before commit and
-- queue nothing early.
BEGIN;
SELECT plan(22);

-------------------------------------------------------------------------------
-- GUCs
-------------------------------------------------------------------------------
SELECT is(current_setting('streamflow.notify'), 'on', 'streamflow.notify is on by default');
SELECT results_eq(
	$$SELECT vartype, boot_val, context FROM pg_catalog.pg_settings WHERE name = 'streamflow.notify'$$,
	$$VALUES ('bool'::text, 'on'::text, 'superuser'::text)$$,
	'streamflow.notify is a boolean, default on, that only superusers may change');
SELECT is(current_setting('streamflow.notify_max_frames'), '1000', 'streamflow.notify_max_frames is 1000 by default');
SELECT results_eq(
	$$SELECT vartype, boot_val, min_val, max_val, context FROM pg_catalog.pg_settings WHERE name = 'streamflow.notify_max_frames'$$,
	$$VALUES ('integer'::text, '1000'::text, '-1'::text, '2147483647'::text, 'user'::text)$$,
	'streamflow.notify_max_frames is an integer from -1 (never coalesce), default 1000, settable by any user');
SELECT throws_ok($$SET LOCAL streamflow.notify_max_frames = -2$$,
	'22023', '-2 is outside the valid range for parameter "streamflow.notify_max_frames" (-1 .. 2147483647)',
	'streamflow.notify_max_frames below -1 is rejected');
SELECT throws_ok($$SET LOCAL streamflow.no_such_setting = 1$$,
	'42602', 'invalid configuration parameter name "streamflow.no_such_setting"',
	'the streamflow. prefix is reserved: a misspelt setting is an error');

CREATE ROLE sf_tap_bus_user;
GRANT streamflow_writer TO sf_tap_bus_user;
GRANT ALL ON ALL TABLES IN SCHEMA pg_temp TO PUBLIC;
GRANT ALL ON ALL SEQUENCES IN SCHEMA pg_temp TO PUBLIC;
SET LOCAL ROLE sf_tap_bus_user;
SELECT throws_ok($$SET LOCAL streamflow.notify = off$$,
	'42501', 'permission denied to set parameter "streamflow.notify"',
	'an ordinary user cannot switch the bus off');
SELECT lives_ok($$SET LOCAL streamflow.notify_max_frames = 5$$, 'an ordinary user may set notify_max_frames');
RESET ROLE;

-------------------------------------------------------------------------------
-- LISTEN and ingest in one transaction
-------------------------------------------------------------------------------
CREATE TEMP TABLE sf_queue AS SELECT pg_notification_queue_usage() AS usage;
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "bus", "id": "stream_bus"}'::jsonb)$$, 'a stream for the bus');
SELECT lives_ok($$LISTEN "datastreams/stream_bus"$$, 'LISTEN on the stream''s channel datastreams/<stream_id>');
SELECT lives_ok($$SELECT streamflow.ingest('bus', '{"n": 1}')$$, 'ingest in the same transaction as LISTEN works');
SELECT lives_ok($$SELECT streamflow.ingest_batch('bus', '[{"payload": {"n": 2}}, {"payload": {"n": 3}}]')$$,
	'ingest_batch in the same transaction as LISTEN works');
SELECT is(pg_notification_queue_usage(), (SELECT usage FROM sf_queue),
	'nothing is queued for NOTIFY before commit');
SELECT lives_ok($$SELECT streamflow.ingest('bus', jsonb_build_object('big', repeat('x', 9000)))$$,
	'a frame larger than NOTIFY''s 8000-byte limit is accepted (it is announced as a reference)');
SELECT lives_ok($$SELECT streamflow.ingest('bus', '{"n": 1}', 1)$$, 'a duplicate is accepted (and announces nothing)');

-- Savepoints: frames of a rolled-back subtransaction are dropped from the queue.
SAVEPOINT sf_before_frame;
SELECT lives_ok($$SELECT streamflow.ingest('bus', '{"rolled": "back"}')$$, 'a frame ingested inside a savepoint');
ROLLBACK TO SAVEPOINT sf_before_frame;
SELECT is_empty($$SELECT 1 FROM streamflow.frames WHERE stream_id = 'stream_bus' AND payload ? 'rolled'$$,
	'ROLLBACK TO SAVEPOINT removes the frame');
SELECT is((streamflow.ingest('bus', '{"after": "savepoint"}')).sequence, 5::bigint,
	'ingest after a rolled-back savepoint reuses the sequence and works');
SELECT lives_ok($q$DO $d$ BEGIN
	PERFORM streamflow.ingest('bus', '{"in": "exception block"}');
	RAISE EXCEPTION 'undo';
EXCEPTION WHEN raise_exception THEN
	NULL;
END $d$$q$, 'a frame ingested in a PL/pgSQL block that fails is rolled back with the block');

-- More frames than streamflow.notify_max_frames in one transaction, and the bus off.
SELECT lives_ok($$SELECT streamflow.generate_test_frames('bus', 1200, 1000)$$,
	'more frames than streamflow.notify_max_frames in one transaction are accepted (coalesced at commit)');
SET LOCAL streamflow.notify = off;
SELECT lives_ok($$SELECT streamflow.ingest('bus', '{"quiet": true}')$$, 'ingest works with streamflow.notify off');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'stream_bus'), 1206,
	'every frame is stored whatever the bus does');

SELECT * FROM finish();
ROLLBACK;
