-- retention: enforce_retention() deletes frames older than their stream's
-- retention and dead letters older than dead_letter_queue.retention_hours;
-- schedule_retention() / unschedule_retention() run it as a pg_cron job.
-- (The temporary instance preloads pg_cron with cron.database_name set to
-- this database, test/regress.conf.)
CREATE EXTENSION streamflow;
\set SHOW_CONTEXT never

--
-- Without the pg_cron extension: scheduling is refused (55000) with a hint
-- saying how to set pg_cron up; unscheduling has nothing to do
--
SELECT count(*) AS pg_cron_installed FROM pg_extension WHERE extname = 'pg_cron';
CALL public.err($$SELECT streamflow.schedule_retention()$$);
CALL public.err($$SELECT streamflow.schedule_retention('0 * * * *')$$);
SELECT streamflow.unschedule_retention() AS unscheduled;

--
-- enforce_retention(): frames older than their stream's retention go; streams
-- without retention keep everything
--
SELECT streamflow.create_stream('{"id": "week", "name": "Week", "retention": "7 days"}') ->> 'id' AS id;
SELECT streamflow.create_stream('{"id": "month", "name": "Month", "retention": "30 days"}') ->> 'id' AS id;
SELECT streamflow.create_stream('{"id": "forever", "name": "Forever"}') ->> 'id' AS id;
SELECT s.id, f.ingested
FROM unnest(ARRAY['week', 'month', 'forever']) s(id),
     streamflow.ingest_batch(s.id, '[{"payload": {"n": 1}}, {"payload": {"n": 2}}, {"payload": {"n": 3}}]') f
ORDER BY 1;
-- nothing is old yet
SELECT streamflow.enforce_retention() AS removed;
-- frames 1 and 2 of every stream become 10 days old, frame 3 of week 8 days
UPDATE streamflow.frames SET created_at = now() - interval '10 days' WHERE sequence <= 2;
UPDATE streamflow.frames SET created_at = now() - interval '8 days' WHERE stream_id = 'week' AND sequence = 3;
SELECT streamflow.enforce_retention() AS removed;
SELECT stream_id, array_agg(sequence ORDER BY sequence) AS kept
FROM streamflow.frames GROUP BY stream_id ORDER BY stream_id;
-- a second run finds nothing more
SELECT streamflow.enforce_retention() AS removed;
-- a frame just inside its retention stays
SELECT sequence FROM streamflow.ingest('week', '{"n": 4}');
UPDATE streamflow.frames SET created_at = now() - interval '6 days 23 hours' WHERE stream_id = 'week' AND sequence = 4;
SELECT streamflow.enforce_retention() AS removed;
SELECT sequence FROM streamflow.frames WHERE stream_id = 'week';
-- retention applies from the moment it is set (and stops when cleared)
SELECT streamflow.update_stream('forever', '{"retention": "1 day"}') ->> 'id' AS id;
SELECT streamflow.enforce_retention() AS removed;
SELECT streamflow.update_stream('month', '{"retention": null}') ? 'retention' AS has_retention;
UPDATE streamflow.frames SET created_at = now() - interval '1 year' WHERE stream_id = 'month';
SELECT streamflow.enforce_retention() AS removed;
SELECT stream_id, array_agg(sequence ORDER BY sequence) AS kept
FROM streamflow.frames GROUP BY stream_id ORDER BY stream_id;
-- the stream's head and counters are not rewound by retention
SELECT stream_id, last_sequence, frames_received FROM streamflow.stream_state ORDER BY stream_id;
SELECT sequence FROM streamflow.ingest('week', '{"n": 5}');

--
-- Dead letters older than their stream's dead_letter_queue.retention_hours go;
-- streams without retention_hours keep theirs
--
SELECT streamflow.create_stream('{"id": "dlq", "name": "DLQ", "dead_letter_queue": {"enabled": true, "retention_hours": 24}}') ->> 'id' AS id;
SELECT streamflow.create_stream('{"id": "dlq_forever", "name": "DLQ Forever", "dead_letter_queue": {"enabled": true}}') ->> 'id' AS id;
SELECT s.id, f.rejected
FROM unnest(ARRAY['dlq', 'dlq_forever']) s(id),
     streamflow.ingest_batch(s.id, '[{"payload": "a"}, {"payload": "b"}, {"payload": "c"}]', 'dead_letter') f
ORDER BY 1;
UPDATE streamflow.dead_letters SET created_at = now() - interval '2 days' WHERE frame ->> 'payload' IN ('a', 'b');
UPDATE streamflow.dead_letters SET created_at = now() - interval '23 hours' WHERE frame ->> 'payload' = 'c';
SELECT streamflow.enforce_retention() AS removed;
SELECT stream_id, array_agg(frame ->> 'payload' ORDER BY id) AS kept
FROM streamflow.dead_letters GROUP BY stream_id ORDER BY stream_id;
-- frames and dead letters together
SELECT sequence FROM streamflow.ingest('week', '{"n": 6}');
UPDATE streamflow.frames SET created_at = now() - interval '8 days' WHERE stream_id = 'week' AND sequence = 6;
UPDATE streamflow.dead_letters SET created_at = now() - interval '25 hours' WHERE stream_id = 'dlq';
SELECT streamflow.enforce_retention() AS removed;
SELECT count(*) AS dlq_dead_letters FROM streamflow.dead_letters WHERE stream_id = 'dlq';

--
-- With pg_cron: one job named streamflow-retention running enforce_retention().
-- (Tested after enforcement, so that a run of the job, should a schedule come
-- due during the test, could not change the results above.)
--
CREATE EXTENSION pg_cron;
SELECT streamflow.schedule_retention() AS jobid \gset
SELECT :jobid > 0 AS got_job_id;
SELECT jobname, schedule, command, database = current_database() AS this_database,
       username = current_user AS this_user, active
FROM cron.job;
-- the job's command works as it stands
SELECT command FROM cron.job WHERE jobname = 'streamflow-retention' \gexec
-- scheduling again keeps one job (the same one), with the new schedule
SELECT streamflow.schedule_retention('0 3 * * *') = :jobid AS same_job;
SELECT jobname, schedule, command FROM cron.job;
SELECT streamflow.schedule_retention() = :jobid AS same_job;
SELECT count(*) AS jobs, min(schedule) AS schedule FROM cron.job;
-- a schedule pg_cron does not understand is refused, the job stays as it was
CALL public.err($$SELECT streamflow.schedule_retention('every day')$$);
SELECT jobname, schedule FROM cron.job;
-- unschedule_retention() removes it; a second time there is nothing to remove
SELECT streamflow.unschedule_retention() AS unscheduled;
SELECT count(*) AS jobs FROM cron.job;
SELECT streamflow.unschedule_retention() AS unscheduled;
-- other jobs are not touched
SELECT cron.schedule('someone-else', '0 0 * * *', 'SELECT 1') > 0 AS other_job;
SELECT streamflow.schedule_retention() > 0 AS scheduled;
SELECT streamflow.unschedule_retention() AS unscheduled;
SELECT jobname FROM cron.job;
SELECT cron.unschedule('someone-else');

-- pg_cron goes (its job table with it); streamflow's retention functions cope
DROP EXTENSION pg_cron;
SELECT streamflow.unschedule_retention() AS unscheduled;
CALL public.err($$SELECT streamflow.schedule_retention()$$);
DROP EXTENSION streamflow CASCADE;
