-- bus: every committed frame is announced with NOTIFY on channel
-- "datastreams/<stream_id>" (DESIGN.md "Bus", seed 002's data bus).
--
-- How this is observed: psql does print notifications for its own session
-- ("Asynchronous notification ... received from server process with PID n"),
-- but that line carries the backend's PID, which changes from run to run, so
-- it cannot be in an expected file.  Instead a second session, opened with
-- dblink, LISTENs; heard() makes one round trip on that connection (a
-- backend delivers the notifications it has been signalled about before it
-- answers, so nothing committed earlier can still be in flight) and then
-- returns what dblink_get_notify() collected: channel and payload, no PID.
-- This also tests what matters in practice: another session hears the frames.
CREATE EXTENSION streamflow;
CREATE EXTENSION dblink;
\set SHOW_CONTEXT never

-- The listening session, in this database over this server's socket.
SELECT dblink_connect('listener', format('dbname=%s host=%s port=%s', current_database(),
	split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port')));
CREATE FUNCTION pg_temp.heard(OUT channel text, OUT payload text) RETURNS SETOF record
LANGUAGE plpgsql AS $f$
BEGIN
	PERFORM * FROM dblink('listener', 'SELECT 1') AS t(one int);
	RETURN QUERY SELECT n.notify_name, n.extra FROM dblink_get_notify('listener') n;
END
$f$;

SELECT streamflow.create_stream('{"id": "bus", "name": "Bus", "sla_ms": 100}') ->> 'id' AS id;
SELECT streamflow.create_stream('{"id": "other", "name": "Other"}') ->> 'id' AS id;
SELECT streamflow.create_stream('{"id": "big", "name": "Big"}') ->> 'id' AS id;
SELECT dblink_exec('listener', 'LISTEN "datastreams/bus"');
SELECT dblink_exec('listener', 'LISTEN "datastreams/other"');
SELECT dblink_exec('listener', 'LISTEN "datastreams/big"');
SELECT * FROM pg_temp.heard();

--
-- An ingest in autocommit is announced: {stream_id, sequence, status, latency_ms, payload}
--
SELECT sequence FROM streamflow.ingest('bus', '{"price": 1850.5, "symbol": "ETH-USD"}');
SELECT * FROM pg_temp.heard();
-- status and latency_ms as stored (late: over the stream's sla_ms), by name too
SELECT sequence, status FROM streamflow.ingest('Bus', '{"n": 2}', latency_ms => 250);
SELECT * FROM pg_temp.heard();
-- a batch: one announcement per frame, in order
SELECT * FROM streamflow.ingest_batch('bus', '[{"payload": {"n": 3}}, {"payload": {"n": 4}, "status": "error"}]');
SELECT * FROM pg_temp.heard();
-- only the stream's own channel: a frame of a stream nobody listens to is not heard
SELECT streamflow.create_stream('{"id": "unheard", "name": "Unheard"}') ->> 'id' AS id;
SELECT sequence FROM streamflow.ingest('unheard', '{}');
SELECT * FROM pg_temp.heard();

--
-- Nothing is announced before commit, and nothing for a rolled-back frame
--
BEGIN;
SELECT sequence FROM streamflow.ingest('bus', '{"n": 5}');
SELECT * FROM pg_temp.heard();
COMMIT;
SELECT * FROM pg_temp.heard();
BEGIN;
SELECT sequence FROM streamflow.ingest('bus', '{"rolled": "back"}');
SELECT * FROM streamflow.ingest_batch('bus', '[{"payload": {"rolled": "back too"}}]');
ROLLBACK;
SELECT * FROM pg_temp.heard();
-- a transaction that fails after ingesting announces nothing either
BEGIN;
SELECT sequence FROM streamflow.ingest('bus', '{"failed": true}');
SELECT 1 / 0;
COMMIT;
SELECT * FROM pg_temp.heard();
SELECT count(*) AS rolled_back_frames FROM streamflow.frames WHERE payload ?| ARRAY['rolled', 'failed'];

--
-- Savepoints: a rolled-back savepoint drops only its own frames
--
BEGIN;
SELECT sequence FROM streamflow.ingest('bus', '{"kept": "before savepoint"}');
SAVEPOINT s1;
SELECT sequence FROM streamflow.ingest('bus', '{"dropped": "in s1"}');
ROLLBACK TO SAVEPOINT s1;
SELECT sequence FROM streamflow.ingest('bus', '{"kept": "after rollback to s1"}');
SAVEPOINT s2;
SELECT sequence FROM streamflow.ingest('bus', '{"kept": "in released s2"}');
SAVEPOINT s3;
SELECT sequence FROM streamflow.ingest('bus', '{"dropped": "in s3"}');
ROLLBACK TO SAVEPOINT s3;
RELEASE SAVEPOINT s2;
COMMIT;
SELECT * FROM pg_temp.heard();
-- PL/pgSQL exception blocks are subtransactions too
DO $$
BEGIN
	PERFORM streamflow.ingest('bus', '{"kept": "outer 1"}');
	BEGIN
		PERFORM streamflow.ingest('bus', '{"dropped": "in failed block"}');
		RAISE EXCEPTION 'boom';
	EXCEPTION WHEN others THEN
		NULL;
	END;
	BEGIN
		PERFORM streamflow.ingest('bus', '{"kept": "in block that succeeded"}');
	EXCEPTION WHEN others THEN
		NULL;
	END;
	PERFORM streamflow.ingest('bus', '{"kept": "outer 2"}');
END
$$;
SELECT * FROM pg_temp.heard();
-- what was announced is what is stored
SELECT sequence, payload FROM streamflow.frames WHERE stream_id = 'bus' AND sequence > 5 ORDER BY sequence;

--
-- A duplicate (same stream and sequence again) is not announced again
--
SELECT sequence, payload FROM streamflow.ingest('bus', '{"n": "again"}', 1);
SELECT * FROM streamflow.ingest_batch('bus', '[{"sequence": 2, "payload": {}}, {"sequence": 3, "payload": {}}]');
SELECT * FROM pg_temp.heard();
-- rejected frames are not announced (only the good one of this batch is)
SELECT * FROM streamflow.ingest_batch('bus', '[{"payload": 1}, {"payload": {"good": true}}]', 'skip');
SELECT * FROM pg_temp.heard();

--
-- One transaction, several streams: each stream's frames on its own channel,
-- stream by stream in the order each first appeared, each in storing order
--
BEGIN;
SELECT sequence FROM streamflow.ingest('other', '{"o": 1}');
SELECT sequence FROM streamflow.ingest('bus', '{"b": 1}');
SELECT sequence FROM streamflow.ingest('other', '{"o": 2}');
SELECT sequence FROM streamflow.ingest('bus', '{"b": 2}');
COMMIT;
SELECT * FROM pg_temp.heard();

--
-- NOTIFY payloads must stay under 8000 bytes: a frame whose announcement
-- would not fit is announced as a reference, "payload_omitted": true.
-- The announcement of frame 10 below is exactly 7999 bytes; of 11, 8000.
--
SELECT sequence FROM streamflow.ingest('big', jsonb_build_object('b', repeat('x', 7908)), 10);
SELECT sequence FROM streamflow.ingest('big', jsonb_build_object('b', repeat('x', 7909)), 11);
SELECT sequence FROM streamflow.ingest('big', jsonb_build_object('b', repeat('y', 100000)), 12);
SELECT channel, length(payload) AS bytes,
       CASE WHEN length(payload) < 200 THEN payload ELSE left(payload, 60) || '...' END AS payload
FROM pg_temp.heard();
-- the frames themselves are stored whole
SELECT sequence, length(payload ->> 'b') AS stored FROM streamflow.frames WHERE stream_id = 'big' ORDER BY sequence;

--
-- streamflow.notify_max_frames: a transaction storing more frames than that in
-- one stream announces them with one coalesced reference
--
SHOW streamflow.notify_max_frames;
SET streamflow.notify_max_frames = 2;
-- 3 frames: one reference {"coalesced": true, "count": 3, "first_sequence", "last_sequence"}
SELECT * FROM streamflow.ingest_batch('bus', '[{"payload": {"c": 1}}, {"payload": {"c": 2}}, {"payload": {"c": 3}}]');
SELECT * FROM pg_temp.heard();
-- 2 frames: announced one by one
SELECT * FROM streamflow.ingest_batch('bus', '[{"payload": {"c": 4}}, {"payload": {"c": 5}}]');
SELECT * FROM pg_temp.heard();
-- counted per transaction and per stream, over several statements
BEGIN;
SELECT sequence FROM streamflow.ingest('bus', '{"t": 1}', 100);
SELECT sequence FROM streamflow.ingest('other', '{"t": 1}');
SELECT sequence FROM streamflow.ingest('bus', '{"t": 2}', 90);
SELECT sequence FROM streamflow.ingest('bus', '{"t": 3}');
COMMIT;
SELECT * FROM pg_temp.heard();
-- frames dropped by a rolled-back savepoint are not counted
BEGIN;
SELECT * FROM streamflow.ingest_batch('bus', '[{"payload": {"s": 1}}, {"payload": {"s": 2}}]');
SAVEPOINT s;
SELECT sequence FROM streamflow.ingest('bus', '{"s": "dropped"}');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT * FROM pg_temp.heard();
-- 0: every frame is coalesced; -1: never
SET streamflow.notify_max_frames = 0;
SELECT sequence FROM streamflow.ingest('bus', '{"z": 1}');
SELECT * FROM pg_temp.heard();
SET streamflow.notify_max_frames = -1;
SELECT * FROM streamflow.ingest_batch('bus', '[{"payload": {"m": 1}}, {"payload": {"m": 2}}, {"payload": {"m": 3}}]');
SELECT * FROM pg_temp.heard();
RESET streamflow.notify_max_frames;
CALL public.err($$SET streamflow.notify_max_frames = -2$$);

--
-- streamflow.notify = off: frames are stored, nothing is announced
--
SHOW streamflow.notify;
SET streamflow.notify = off;
SELECT sequence FROM streamflow.ingest('bus', '{"quiet": 1}');
SELECT * FROM streamflow.ingest_batch('bus', '[{"payload": {"quiet": 2}}]');
SELECT * FROM pg_temp.heard();
SELECT count(*) AS stored FROM streamflow.frames WHERE payload ? 'quiet';
RESET streamflow.notify;
SELECT sequence FROM streamflow.ingest('bus', '{"loud": 1}');
SELECT * FROM pg_temp.heard();

--
-- The longest id (51 characters) makes a 63-byte channel, the most a channel name can be
--
SELECT streamflow.create_stream(jsonb_build_object('name', 'Long', 'id', repeat('l', 51))) ->> 'id' = repeat('l', 51) AS created;
SELECT dblink_exec('listener', format('LISTEN %I', 'datastreams/' || repeat('l', 51)));
SELECT sequence FROM streamflow.ingest('Long', '{"long": true}');
SELECT length(channel) AS channel_bytes, channel = 'datastreams/' || repeat('l', 51) AS full_channel,
       payload::jsonb ->> 'stream_id' = repeat('l', 51) AS full_id
FROM pg_temp.heard();

--
-- PREPARE TRANSACTION cannot carry frames (NOTIFY cannot be prepared)
--
BEGIN;
SELECT sequence FROM streamflow.ingest('bus', '{"prepared": true}');
PREPARE TRANSACTION 'streamflow_bus';
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT * FROM pg_temp.heard();
SELECT count(*) AS prepared_frames FROM streamflow.frames WHERE payload ? 'prepared';

SELECT dblink_disconnect('listener');
DROP EXTENSION dblink;
DROP EXTENSION streamflow CASCADE;
