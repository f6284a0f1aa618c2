-- roles: streamflow_reader < streamflow_writer < streamflow_admin, and PUBLIC
-- gets nothing.  Everything below the set-up runs as ordinary (non-superuser)
-- roles holding one of the three, or none.
CREATE EXTENSION streamflow;
\set SHOW_CONTEXT never

--
-- The three roles exist, NOLOGIN, each one including the one below
--
SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb
FROM pg_roles WHERE rolname LIKE 'streamflow\_%' ORDER BY rolname;
SELECT r.rolname AS role, m.rolname AS member_of
FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.member JOIN pg_roles m ON m.oid = a.roleid
WHERE r.rolname LIKE 'streamflow\_%' ORDER BY 1, 2;

-- Test roles: one per streamflow role, one with none, and a table owner.
CREATE ROLE regress_sf_reader NOLOGIN IN ROLE streamflow_reader;
CREATE ROLE regress_sf_writer NOLOGIN IN ROLE streamflow_writer;
CREATE ROLE regress_sf_admin NOLOGIN IN ROLE streamflow_admin;
CREATE ROLE regress_sf_nobody NOLOGIN;
CREATE ROLE regress_sf_owner NOLOGIN;
SELECT rolname, rolsuper FROM pg_roles WHERE rolname LIKE 'regress\_sf\_%' ORDER BY 1;

--
-- streamflow_admin: creates, changes and drops streams and services
--
SET ROLE regress_sf_admin;
SELECT current_user;
SELECT streamflow.create_service('{"id": "svc_roles", "name": "Roles Service"}') ->> 'id' AS service;
SELECT streamflow.create_stream('{"id": "roles", "name": "Roles", "source_service_id": "svc_roles",
	"webhook_secret": "0123456789abcdef0123"}') - 'created_at' - 'updated_at' AS stream;
SELECT streamflow.update_stream('Roles', '{"sla_ms": 10}') ->> 'sla_ms' AS sla_ms;
SELECT streamflow.create_stream('{"id": "doomed", "name": "Doomed"}') ->> 'id' AS id;
SELECT streamflow.drop_stream('doomed');
SELECT streamflow.create_service('{"id": "svc_doomed", "name": "Doomed Service"}') ->> 'id' AS service;
SELECT streamflow.drop_service('svc_doomed');
-- it is a writer and a reader too
SELECT sequence, status FROM streamflow.ingest('roles', '{"by": "admin"}', latency_ms => 50);
SELECT sequence, payload FROM streamflow.frames('roles');
SELECT streamflow.enforce_retention() AS removed;
-- pg_cron is not installed here: the call is allowed and reaches that check
CALL public.err($$SELECT streamflow.schedule_retention()$$);
SELECT streamflow.unschedule_retention() AS unscheduled;
-- but even an admin never reads the secrets, nor writes the tables directly
CALL public.err($$SELECT * FROM streamflow.stream_secrets$$);
CALL public.err($$INSERT INTO streamflow.frames (stream_id, sequence, payload) VALUES ('roles', 99, '{}')$$);
CALL public.err($$UPDATE streamflow.streams SET sla_ms = 0$$);
CALL public.err($$DELETE FROM streamflow.stream_state$$);
-- and cannot call the internal helpers
CALL public.err($$SELECT streamflow.set_stream_secret('roles', NULL)$$);
CALL public.err($$SELECT streamflow.check_stream_services('{}')$$);
RESET ROLE;

--
-- streamflow_writer: ingests; cannot create, change or drop streams or services
--
SET ROLE regress_sf_writer;
SELECT current_user;
SELECT sequence, payload FROM streamflow.ingest('Roles', '{"by": "writer"}');
SELECT * FROM streamflow.ingest_batch('roles', '[{"payload": {"by": "writer", "n": 1}}, {"payload": 1}]', 'dead_letter');
SELECT streamflow.generate_test_frames('roles', 2) AS generated;
-- and reads
SELECT streamflow.get_stream('roles') ->> 'name' AS name;
SELECT count(*) AS frames FROM streamflow.frames('roles');
CALL public.err($$SELECT streamflow.create_stream('{"name": "By Writer"}')$$);
CALL public.err($$SELECT streamflow.update_stream('roles', '{"status": "paused"}')$$);
CALL public.err($$SELECT streamflow.drop_stream('roles')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "By Writer"}')$$);
CALL public.err($$SELECT streamflow.drop_service('svc_roles')$$);
CALL public.err($$SELECT streamflow.enforce_retention()$$);
CALL public.err($$SELECT streamflow.schedule_retention()$$);
CALL public.err($$SELECT * FROM streamflow.stream_secrets$$);
CALL public.err($$INSERT INTO streamflow.frames (stream_id, sequence, payload) VALUES ('roles', 99, '{}')$$);
CALL public.err($$UPDATE streamflow.stream_state SET last_sequence = 0$$);
-- streamflow.notify is for superusers only
CALL public.err($$SET streamflow.notify = off$$);
RESET ROLE;

--
-- streamflow_reader: reads streams, services, frames and the bookkeeping tables;
-- writes nothing
--
SET ROLE regress_sf_reader;
SELECT current_user;
SELECT streamflow.get_stream('Roles') - 'created_at' - 'updated_at' AS stream;
SELECT streamflow.get_service('svc_roles') - 'created_at' AS service;
SELECT streamflow.stream_id('Roles');
SELECT sequence, payload ->> 'by' AS by FROM streamflow.frames('roles', 3);
SELECT sequence FROM streamflow.frames_since('roles', 2, 1);
SELECT sequence, status, latency_ms FROM streamflow.latest_frame('roles');
SELECT id, name, status, sla_ms FROM streamflow.streams;
SELECT id, name FROM streamflow.services;
SELECT count(*) AS frames FROM streamflow.frames;
SELECT stream_id, last_sequence, frames_received, rejected FROM streamflow.stream_state;
SELECT stream_id, source, violations -> 0 ->> 'path' AS path FROM streamflow.stream_errors;
SELECT stream_id, reason, last_error FROM streamflow.dead_letters;
SELECT streamflow.normalize_stream_config('{"name": " n "}') AS normalized;
CALL public.err($$SELECT streamflow.ingest('roles', '{}')$$);
CALL public.err($$SELECT streamflow.ingest_batch('roles', '[]')$$);
CALL public.err($$SELECT streamflow.generate_test_frames('roles', 1)$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "By Reader"}')$$);
CALL public.err($$SELECT streamflow.create_stream('By Reader')$$);
CALL public.err($$SELECT streamflow.update_stream('roles', '{"sla_ms": 1}')$$);
CALL public.err($$SELECT streamflow.drop_stream('roles')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "By Reader"}')$$);
CALL public.err($$SELECT * FROM streamflow.stream_secrets$$);
CALL public.err($$DELETE FROM streamflow.frames$$);
RESET ROLE;

--
-- A role with none of the three gets 42501 on everything
--
SET ROLE regress_sf_nobody;
SELECT current_user;
CALL public.err($$SELECT streamflow.get_stream('roles')$$);
CALL public.err($$SELECT * FROM streamflow.frames('roles')$$);
CALL public.err($$SELECT streamflow.latest_frame('roles')$$);
CALL public.err($$SELECT streamflow.ingest('roles', '{}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "By Nobody"}')$$);
CALL public.err($$SELECT streamflow.drop_stream('roles')$$);
CALL public.err($$SELECT * FROM streamflow.streams$$);
CALL public.err($$SELECT * FROM streamflow.frames$$);
CALL public.err($$SELECT * FROM streamflow.stream_secrets$$);
RESET ROLE;
-- even with USAGE on the schema, PUBLIC has no right on any function or table
SELECT count(*) AS public_function_grants
FROM pg_proc p, aclexplode(p.proacl) a
WHERE p.pronamespace = 'streamflow'::regnamespace AND a.grantee = 0;
SELECT count(*) AS public_table_grants
FROM pg_class c, aclexplode(c.relacl) a
WHERE c.relnamespace = 'streamflow'::regnamespace AND a.grantee = 0;
-- functions left to superusers (no role has EXECUTE)
SELECT p.oid::regprocedure AS function
FROM pg_proc p
WHERE p.pronamespace = 'streamflow'::regnamespace
  AND NOT has_function_privilege('streamflow_admin', p.oid, 'EXECUTE')
ORDER BY 1::text;

--
-- Capture triggers run as the user whose statement fires them: that user
-- needs streamflow_writer.  A table owner with only streamflow_reader ...
--
GRANT streamflow_reader TO regress_sf_owner;
CREATE TABLE owned (id int, note text);
ALTER TABLE owned OWNER TO regress_sf_owner;
SET ROLE regress_sf_owner;
-- ... cannot attach capture() to a table ...
CALL public.err($$CREATE TRIGGER owned_capture AFTER INSERT ON owned FOR EACH ROW EXECUTE FUNCTION streamflow.capture('roles')$$);
RESET ROLE;
-- ... and when a superuser attaches it, the owner's own writes fail (42501)
CREATE TRIGGER owned_capture AFTER INSERT OR UPDATE ON owned FOR EACH ROW EXECUTE FUNCTION streamflow.capture('roles');
SET ROLE regress_sf_owner;
CALL public.err($$INSERT INTO owned VALUES (1, 'by owner, reader only')$$);
SELECT count(*) AS rows FROM owned;
RESET ROLE;
-- and without any streamflow role, just the same
REVOKE streamflow_reader FROM regress_sf_owner;
SET ROLE regress_sf_owner;
CALL public.err($$INSERT INTO owned VALUES (1, 'by owner, no role')$$);
RESET ROLE;
-- a writer owner can attach capture() and write
GRANT streamflow_writer TO regress_sf_owner;
DROP TRIGGER owned_capture ON owned;
SET ROLE regress_sf_owner;
CREATE TRIGGER owned_capture AFTER INSERT OR UPDATE ON owned FOR EACH ROW EXECUTE FUNCTION streamflow.capture('roles');
INSERT INTO owned VALUES (1, 'by owner, writer');
SELECT sequence, payload - 'op' AS payload FROM streamflow.latest_frame('roles');
-- another user allowed to write the table still needs streamflow_writer
GRANT INSERT, UPDATE, SELECT ON owned TO regress_sf_reader, regress_sf_writer;
RESET ROLE;
SET ROLE regress_sf_reader;
CALL public.err($$INSERT INTO owned VALUES (2, 'by reader')$$);
CALL public.err($$UPDATE owned SET note = 'by reader'$$);
RESET ROLE;
SET ROLE regress_sf_writer;
INSERT INTO owned VALUES (3, 'by writer');
SELECT sequence, payload ->> 'op' AS op, payload -> 'new' AS new FROM streamflow.latest_frame('roles');
RESET ROLE;
SELECT * FROM owned ORDER BY id;

--
-- None of the roles can read the secret; it is there
--
SELECT r AS role, has_table_privilege(r, 'streamflow.stream_secrets', 'SELECT') AS can_select,
       has_table_privilege(r, 'streamflow.stream_secrets', 'INSERT, UPDATE, DELETE') AS can_write
FROM unnest(ARRAY['streamflow_reader', 'streamflow_writer', 'streamflow_admin', 'regress_sf_admin']) r;
SELECT stream_id, length(webhook_secret) AS secret_length FROM streamflow.stream_secrets;

-- Clean up: the test roles go, the three streamflow roles stay (cluster-wide).
DROP TABLE owned;
DROP EXTENSION streamflow CASCADE;
DROP OWNED BY regress_sf_reader, regress_sf_writer, regress_sf_admin, regress_sf_nobody, regress_sf_owner;
DROP ROLE regress_sf_reader, regress_sf_writer, regress_sf_admin, regress_sf_nobody, regress_sf_owner;
SELECT rolname FROM pg_roles WHERE rolname LIKE 'regress\_sf\_%' OR rolname LIKE 'streamflow\_%' ORDER BY 1;
