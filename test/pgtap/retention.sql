-- retention.sql: enforce_retention() deletes only what is older than its
-- stream's retention; schedule_retention() / unschedule_retention() manage the
-- pg_cron job 'streamflow-retention'.
BEGIN;
SELECT plan(27);

CREATE ROLE sf_tap_ret_admin;
GRANT streamflow_admin TO sf_tap_ret_admin;
GRANT ALL ON ALL TABLES IN SCHEMA pg_temp TO PUBLIC;
GRANT ALL ON ALL SEQUENCES IN SCHEMA pg_temp TO PUBLIC;

-------------------------------------------------------------------------------
-- enforce_retention()
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "day", "id": "stream_day", "retention": "1 day"}'::jsonb)$$,
	'a stream keeping frames 1 day');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "week", "id": "stream_week", "retention": "7 days"}'::jsonb)$$,
	'a stream keeping frames 7 days');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "forever", "id": "stream_forever"}'::jsonb)$$,
	'a stream without retention');
SELECT lives_ok($$SELECT streamflow.ingest_batch(s, '[{"payload": {"age": "new"}}, {"payload": {"age": "2 days"}}, {"payload": {"age": "30 days"}}]')
                  FROM unnest(ARRAY['day', 'week', 'forever']) s$$, 'three frames in each stream');
-- Age the frames (as the superuser: nobody else may write frames directly).
UPDATE streamflow.frames SET created_at = now() - (payload->>'age')::interval WHERE payload->>'age' <> 'new';
-- A frame just inside its stream's retention is kept.
SELECT lives_ok($$SELECT streamflow.ingest('day', '{"age": "23 hours"}')$$, 'a frame 23 hours old in the 1-day stream');
UPDATE streamflow.frames SET created_at = now() - interval '23 hours' WHERE payload->>'age' = '23 hours';

SELECT is(streamflow.enforce_retention(), 3::bigint, 'enforce_retention returns how many rows it deleted');
SELECT results_eq(
	$$SELECT stream_id, payload->>'age' FROM streamflow.frames
	  WHERE stream_id IN ('stream_day', 'stream_week', 'stream_forever') ORDER BY stream_id, sequence$$,
	$$VALUES ('stream_day'::text, 'new'::text), ('stream_day', '23 hours'),
	         ('stream_forever', 'new'), ('stream_forever', '2 days'), ('stream_forever', '30 days'),
	         ('stream_week', 'new'), ('stream_week', '2 days')$$,
	'only frames older than their own stream''s retention are deleted; a stream without retention keeps everything');
SELECT is(streamflow.enforce_retention(), 0::bigint, 'a second run deletes nothing');
SELECT results_eq(
	$$SELECT last_sequence, frames_received FROM streamflow.stream_state WHERE stream_id = 'stream_day'$$,
	$$VALUES (4::bigint, 4::bigint)$$,
	'retention does not rewind the sequence head or the counters');
SELECT is((streamflow.ingest('day', '{"age": "newest"}')).sequence, 5::bigint,
	'sequences keep growing after old frames are deleted');

SELECT lives_ok($$SELECT streamflow.update_stream('week', '{"retention": "1 day"}')$$, 'shortening a stream''s retention ...');
SELECT is(streamflow.enforce_retention(), 1::bigint, '... lets the next run delete what is now too old');
SELECT lives_ok($$SELECT streamflow.update_stream('day', '{"retention": null}')$$, 'clearing a stream''s retention ...');
UPDATE streamflow.frames SET created_at = now() - interval '1 year' WHERE stream_id = 'stream_day';
SELECT is(streamflow.enforce_retention(), 0::bigint, '... keeps its frames however old');

-- Dead letters expire after dead_letter_queue.retention_hours.
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "dlq", "id": "stream_dlq", "dead_letter_queue": {"enabled": true, "retention_hours": 2}}'::jsonb)$$,
	'a stream whose dead letters are kept 2 hours');
SELECT lives_ok($$SELECT streamflow.ingest_batch('dlq', '[{"payload": 1}, {"payload": 2}, {"payload": {"ok": true}}]', 'dead_letter')$$,
	'two frames dead-lettered');
UPDATE streamflow.dead_letters SET created_at = now() - interval '3 hours' WHERE stream_id = 'stream_dlq' AND frame->'payload' = '1';
SELECT is(streamflow.enforce_retention(), 1::bigint, 'enforce_retention deletes expired dead letters');
SELECT results_eq($$SELECT frame->'payload' FROM streamflow.dead_letters WHERE stream_id = 'stream_dlq'$$,
	$$VALUES ('2'::jsonb)$$, 'a dead letter younger than retention_hours is kept');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'stream_dlq'), 1,
	'dead-letter retention does not touch the stream''s frames');

-------------------------------------------------------------------------------
-- The pg_cron job
-------------------------------------------------------------------------------
DELETE FROM cron.job WHERE jobname = 'streamflow-retention';
SET LOCAL ROLE sf_tap_ret_admin;
CREATE TEMP TABLE sf_job AS SELECT streamflow.schedule_retention() AS jobid;
RESET ROLE;
SELECT results_eq(
	$$SELECT jobid, schedule, command, database, username FROM cron.job WHERE jobname = 'streamflow-retention'$$,
	$$SELECT (SELECT jobid FROM sf_job), '*/5 * * * *'::text, 'SELECT streamflow.enforce_retention()'::text,
	         current_database()::text COLLATE "default", (SELECT r.rolname::text COLLATE "default" FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_roles r ON r.oid = p.proowner
	                                    WHERE p.oid = 'streamflow.schedule_retention(text)'::regprocedure)$$,
	'schedule_retention (run by streamflow_admin) creates cron job streamflow-retention every 5 minutes in this database, returning its id');
SELECT is(streamflow.schedule_retention('0 * * * *'), (SELECT jobid FROM sf_job),
	'scheduling again updates the same job');
SELECT results_eq(
	$$SELECT count(*)::int, min(schedule) FROM cron.job WHERE jobname = 'streamflow-retention'$$,
	$$VALUES (1, '0 * * * *'::text)$$,
	'there is still one retention job, with the new schedule');
SELECT throws_ok($$SELECT streamflow.schedule_retention('every now and then')$$,
	'22023', 'invalid schedule: every now and then', 'an invalid cron schedule is rejected (22023)');
SET LOCAL ROLE sf_tap_ret_admin;
SELECT is(streamflow.unschedule_retention(), true, 'unschedule_retention (run by streamflow_admin) returns true when it removed the job');
RESET ROLE;
SELECT is_empty($$SELECT 1 FROM cron.job WHERE jobname = 'streamflow-retention'$$, 'the retention job is gone');
SELECT is(streamflow.unschedule_retention(), false, 'unschedule_retention returns false when no job was scheduled');

SELECT isnt((SELECT jobid FROM sf_job), NULL, 'schedule_retention returned a job id');

SELECT * FROM finish();
ROLLBACK;
