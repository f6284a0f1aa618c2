-- roles.sql: streamflow_reader / streamflow_writer / streamflow_admin, and
-- nothing for PUBLIC.  Test users are created (and rolled back) here; each
-- check runs under SET LOCAL ROLE.
BEGIN;
SELECT plan(80);

CREATE ROLE sf_tap_reader;
CREATE ROLE sf_tap_writer;
CREATE ROLE sf_tap_admin;
CREATE ROLE sf_tap_nobody;
GRANT streamflow_reader TO sf_tap_reader;
GRANT streamflow_writer TO sf_tap_writer;
GRANT streamflow_admin TO sf_tap_admin;
-- pgTAP keeps its results in temporary tables: let the test users write them.
GRANT ALL ON ALL TABLES IN SCHEMA pg_temp TO PUBLIC;
GRANT ALL ON ALL SEQUENCES IN SCHEMA pg_temp TO PUBLIC;

SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "roles", "id": "stream_roles", "webhook_secret": "roles-secret-0123456789"}'::jsonb)$$,
	'a stream with a webhook secret, created by the superuser');
SELECT lives_ok($$SELECT streamflow.create_service('{"name": "role service", "id": "svc_roles"}')$$, 'a service');
SELECT lives_ok($$SELECT streamflow.ingest('roles', '{"n": 1}')$$, 'a frame');

-------------------------------------------------------------------------------
-- PUBLIC has nothing
-------------------------------------------------------------------------------
SELECT is_empty($$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
                  WHERE p.pronamespace = 'streamflow'::regnamespace
                    AND (p.proacl IS NULL OR EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee = 0))$$,
	'PUBLIC may execute no streamflow function (every function has an explicit ACL without PUBLIC)');
SELECT is_empty($$SELECT c.relname::text FROM pg_catalog.pg_class c
                  WHERE c.relnamespace = 'streamflow'::regnamespace
                    AND EXISTS (SELECT 1 FROM aclexplode(c.relacl) a WHERE a.grantee = 0)$$,
	'PUBLIC has no privilege on any streamflow table or sequence');
SELECT is_empty($$SELECT n.nspname::text FROM pg_catalog.pg_namespace n, aclexplode(n.nspacl) a
                  WHERE n.nspname = 'streamflow' AND a.grantee = 0$$,
	'PUBLIC has no USAGE on schema streamflow');
SELECT schema_privs_are('streamflow', 'streamflow_reader', ARRAY['USAGE'], 'streamflow_reader has USAGE (only) on the schema');

SET LOCAL ROLE sf_tap_nobody;
SELECT throws_ok($$SELECT streamflow.get_stream('roles')$$,
	'42501', 'permission denied for schema streamflow', 'a user without a streamflow role cannot call get_stream');
SELECT throws_ok($$SELECT * FROM streamflow.streams$$,
	'42501', 'permission denied for schema streamflow', 'a user without a streamflow role cannot list streams');
SELECT throws_ok($$SELECT streamflow.ingest('roles', '{"n": 2}')$$,
	'42501', 'permission denied for schema streamflow', 'a user without a streamflow role cannot ingest');
RESET ROLE;

-------------------------------------------------------------------------------
-- Function privileges per role
-------------------------------------------------------------------------------
SELECT function_privs_are('streamflow', 'get_stream', ARRAY['text'], 'streamflow_reader', ARRAY['EXECUTE'], 'reader may execute get_stream');
SELECT function_privs_are('streamflow', 'frames', ARRAY['text', 'integer'], 'streamflow_reader', ARRAY['EXECUTE'], 'reader may execute frames');
SELECT function_privs_are('streamflow', 'frames_since', ARRAY['text', 'bigint', 'integer'], 'streamflow_reader', ARRAY['EXECUTE'], 'reader may execute frames_since');
SELECT function_privs_are('streamflow', 'latest_frame', ARRAY['text'], 'streamflow_reader', ARRAY['EXECUTE'], 'reader may execute latest_frame');
SELECT function_privs_are('streamflow', 'get_service', ARRAY['text'], 'streamflow_reader', ARRAY['EXECUTE'], 'reader may execute get_service');
SELECT function_privs_are('streamflow', 'ingest', ARRAY['text', 'jsonb', 'bigint', 'integer', 'text', 'jsonb'], 'streamflow_reader', ARRAY[]::text[], 'reader may not execute ingest');
SELECT function_privs_are('streamflow', 'ingest_batch', ARRAY['text', 'jsonb', 'text'], 'streamflow_reader', ARRAY[]::text[], 'reader may not execute ingest_batch');
SELECT function_privs_are('streamflow', 'capture', ARRAY[]::name[], 'streamflow_reader', ARRAY[]::text[], 'reader may not execute capture');
SELECT function_privs_are('streamflow', 'ingest', ARRAY['text', 'jsonb', 'bigint', 'integer', 'text', 'jsonb'], 'streamflow_writer', ARRAY['EXECUTE'], 'writer may execute ingest');
SELECT function_privs_are('streamflow', 'ingest_batch', ARRAY['text', 'jsonb', 'text'], 'streamflow_writer', ARRAY['EXECUTE'], 'writer may execute ingest_batch');
SELECT function_privs_are('streamflow', 'generate_test_frames', ARRAY['text', 'integer', 'integer'], 'streamflow_writer', ARRAY['EXECUTE'], 'writer may execute generate_test_frames');
SELECT function_privs_are('streamflow', 'capture', ARRAY[]::name[], 'streamflow_writer', ARRAY['EXECUTE'], 'writer may execute capture');
SELECT function_privs_are('streamflow', 'get_stream', ARRAY['text'], 'streamflow_writer', ARRAY['EXECUTE'], 'writer may read (member of reader)');
SELECT function_privs_are('streamflow', 'create_stream', ARRAY['jsonb'], 'streamflow_writer', ARRAY[]::text[], 'writer may not execute create_stream(jsonb)');
SELECT function_privs_are('streamflow', 'create_stream', ARRAY['text', 'jsonb'], 'streamflow_writer', ARRAY[]::text[], 'writer may not execute create_stream(text, jsonb)');
SELECT function_privs_are('streamflow', 'update_stream', ARRAY['text', 'jsonb'], 'streamflow_writer', ARRAY[]::text[], 'writer may not execute update_stream');
SELECT function_privs_are('streamflow', 'drop_stream', ARRAY['text'], 'streamflow_writer', ARRAY[]::text[], 'writer may not execute drop_stream');
SELECT function_privs_are('streamflow', 'create_service', ARRAY['jsonb'], 'streamflow_writer', ARRAY[]::text[], 'writer may not execute create_service');
SELECT function_privs_are('streamflow', 'enforce_retention', ARRAY[]::name[], 'streamflow_writer', ARRAY[]::text[], 'writer may not execute enforce_retention');
SELECT function_privs_are('streamflow', 'create_stream', ARRAY['jsonb'], 'streamflow_admin', ARRAY['EXECUTE'], 'admin may execute create_stream(jsonb)');
SELECT function_privs_are('streamflow', 'create_stream', ARRAY['text', 'jsonb'], 'streamflow_admin', ARRAY['EXECUTE'], 'admin may execute create_stream(text, jsonb)');
SELECT function_privs_are('streamflow', 'update_stream', ARRAY['text', 'jsonb'], 'streamflow_admin', ARRAY['EXECUTE'], 'admin may execute update_stream');
SELECT function_privs_are('streamflow', 'drop_stream', ARRAY['text'], 'streamflow_admin', ARRAY['EXECUTE'], 'admin may execute drop_stream');
SELECT function_privs_are('streamflow', 'create_service', ARRAY['jsonb'], 'streamflow_admin', ARRAY['EXECUTE'], 'admin may execute create_service');
SELECT function_privs_are('streamflow', 'drop_service', ARRAY['text'], 'streamflow_admin', ARRAY['EXECUTE'], 'admin may execute drop_service');
SELECT function_privs_are('streamflow', 'schedule_retention', ARRAY['text'], 'streamflow_admin', ARRAY['EXECUTE'], 'admin may execute schedule_retention');
SELECT function_privs_are('streamflow', 'ingest', ARRAY['text', 'jsonb', 'bigint', 'integer', 'text', 'jsonb'], 'streamflow_admin', ARRAY['EXECUTE'], 'admin may ingest (member of writer)');
SELECT is_empty($$SELECT r.rolname::text FROM pg_catalog.pg_roles r
                  WHERE r.rolname IN ('streamflow_reader', 'streamflow_writer', 'streamflow_admin')
                    AND (has_function_privilege(r.oid, 'streamflow.set_stream_secret(text, text)', 'EXECUTE')
                         OR has_function_privilege(r.oid, 'streamflow.check_stream_services(jsonb)', 'EXECUTE'))$$,
	'no role may call the internal helpers set_stream_secret / check_stream_services');

-------------------------------------------------------------------------------
-- Table privileges per role
-------------------------------------------------------------------------------
SELECT table_privs_are('streamflow', 'streams', 'streamflow_reader', ARRAY['SELECT'], 'reader may only SELECT streams');
SELECT table_privs_are('streamflow', 'frames', 'streamflow_reader', ARRAY['SELECT'], 'reader may only SELECT frames');
SELECT table_privs_are('streamflow', 'frames', 'streamflow_writer', ARRAY['SELECT'], 'writer may only SELECT frames (it writes through ingest)');
SELECT table_privs_are('streamflow', 'frames', 'streamflow_admin', ARRAY['SELECT'], 'admin may only SELECT frames');
SELECT table_privs_are('streamflow', 'stream_secrets', 'streamflow_reader', ARRAY[]::text[], 'reader has no privilege on stream_secrets');
SELECT table_privs_are('streamflow', 'stream_secrets', 'streamflow_writer', ARRAY[]::text[], 'writer has no privilege on stream_secrets');
SELECT table_privs_are('streamflow', 'stream_secrets', 'streamflow_admin', ARRAY[]::text[], 'admin has no privilege on stream_secrets');

-------------------------------------------------------------------------------
-- streamflow_reader in practice
-------------------------------------------------------------------------------
SET LOCAL ROLE sf_tap_reader;
SELECT is(streamflow.get_stream('roles')->>'id', 'stream_roles', 'reader can get_stream');
SELECT is((SELECT count(*)::int FROM streamflow.streams WHERE id = 'stream_roles'), 1, 'reader can list streamflow.streams');
SELECT is((SELECT count(*)::int FROM streamflow.frames('roles')), 1, 'reader can read frames()');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'stream_roles'), 1, 'reader can SELECT streamflow.frames');
SELECT lives_ok($$SELECT * FROM streamflow.stream_state, streamflow.stream_errors, streamflow.dead_letters, streamflow.services$$,
	'reader can read stream_state, stream_errors, dead_letters and services');
SELECT throws_ok($$SELECT streamflow.ingest('roles', '{"n": 2}')$$,
	'42501', 'permission denied for function ingest', 'reader cannot ingest (42501)');
SELECT throws_ok($$SELECT streamflow.ingest_batch('roles', '[{"payload": {}}]')$$,
	'42501', 'permission denied for function ingest_batch', 'reader cannot ingest_batch (42501)');
SELECT throws_ok($$INSERT INTO streamflow.frames (stream_id, sequence, payload) VALUES ('stream_roles', 99, '{}')$$,
	'42501', 'permission denied for table frames', 'reader cannot write frames directly (42501)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "by reader"}'::jsonb)$$,
	'42501', 'permission denied for function create_stream', 'reader cannot create streams (42501)');
SELECT throws_ok($$SELECT * FROM streamflow.stream_secrets$$,
	'42501', 'permission denied for table stream_secrets', 'reader cannot read stream_secrets (42501)');
RESET ROLE;

-------------------------------------------------------------------------------
-- streamflow_writer in practice
-------------------------------------------------------------------------------
SET LOCAL ROLE sf_tap_writer;
SELECT is((streamflow.ingest('roles', '{"n": 2}')).sequence, 2::bigint, 'writer can ingest');
SELECT is((SELECT ingested FROM streamflow.ingest_batch('roles', '[{"payload": {"n": 3}}]')), 1, 'writer can ingest_batch');
SELECT is(streamflow.generate_test_frames('roles', 2), 2, 'writer can generate_test_frames');
SELECT is(streamflow.get_stream('roles')->>'id', 'stream_roles', 'writer can read (get_stream)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "by writer"}'::jsonb)$$,
	'42501', 'permission denied for function create_stream', 'writer cannot create streams (42501)');
SELECT throws_ok($$SELECT streamflow.create_stream('by writer', '{}')$$,
	'42501', 'permission denied for function create_stream', 'writer cannot create streams by name either (42501)');
SELECT throws_ok($$SELECT streamflow.update_stream('roles', '{"status": "paused"}')$$,
	'42501', 'permission denied for function update_stream', 'writer cannot update streams (42501)');
SELECT throws_ok($$SELECT streamflow.drop_stream('roles')$$,
	'42501', 'permission denied for function drop_stream', 'writer cannot drop streams (42501)');
SELECT throws_ok($$SELECT streamflow.create_service('{"name": "by writer"}')$$,
	'42501', 'permission denied for function create_service', 'writer cannot create services (42501)');
SELECT throws_ok($$UPDATE streamflow.stream_state SET last_sequence = 0$$,
	'42501', 'permission denied for table stream_state', 'writer cannot move the sequence head directly (42501)');
SELECT throws_ok($$SELECT * FROM streamflow.stream_secrets$$,
	'42501', 'permission denied for table stream_secrets', 'writer cannot read stream_secrets (42501)');
RESET ROLE;

-- capture() runs as the user whose statement fires the trigger
CREATE TABLE public.sf_tap_roles_capture (id int);
GRANT INSERT ON public.sf_tap_roles_capture TO sf_tap_reader, sf_tap_writer;
CREATE TRIGGER sf_tap_roles_capture AFTER INSERT ON public.sf_tap_roles_capture
	FOR EACH ROW EXECUTE FUNCTION streamflow.capture('roles');
SET LOCAL ROLE sf_tap_writer;
SELECT lives_ok($$INSERT INTO public.sf_tap_roles_capture VALUES (1)$$, 'a writer''s insert is captured');
RESET ROLE;
SET LOCAL ROLE sf_tap_reader;
SELECT throws_ok($$INSERT INTO public.sf_tap_roles_capture VALUES (2)$$,
	'42501', 'permission denied for function ingest_batch', 'a reader''s insert into a captured table fails (42501)');
RESET ROLE;

-------------------------------------------------------------------------------
-- streamflow_admin in practice
-------------------------------------------------------------------------------
SET LOCAL ROLE sf_tap_admin;
SELECT is(streamflow.create_stream('{"name": "by admin", "id": "stream_admin"}'::jsonb)->>'id', 'stream_admin', 'admin can create streams');
SELECT is(streamflow.create_stream('by admin too', '{"id": "stream_admin2"}')->>'id', 'stream_admin2', 'admin can create streams by name');
SELECT is(streamflow.update_stream('by admin', '{"description": "changed"}')->>'description', 'changed', 'admin can update streams');
SELECT is(streamflow.create_service('{"name": "admin service", "id": "svc_admin"}')->>'id', 'svc_admin', 'admin can create services');
SELECT lives_ok($$SELECT streamflow.update_stream('by admin', '{"webhook_secret": "admin-secret-0123456789"}')$$,
	'admin can set a webhook secret');
SELECT is((streamflow.ingest('by admin', '{"n": 1}')).sequence, 1::bigint, 'admin can ingest');
SELECT is(streamflow.drop_stream('by admin too'), true, 'admin can drop streams');
SELECT is(streamflow.drop_service('svc_admin'), true, 'admin can drop services');
SELECT lives_ok($$SELECT streamflow.enforce_retention()$$, 'admin can enforce retention');
SELECT throws_ok($$SELECT * FROM streamflow.stream_secrets$$,
	'42501', 'permission denied for table stream_secrets', 'admin cannot read stream_secrets (42501)');
SELECT throws_ok($$SELECT streamflow.set_stream_secret('stream_admin', 'x')$$,
	'42501', 'permission denied for function set_stream_secret', 'admin cannot call the internal set_stream_secret (42501)');
SELECT throws_ok($$DELETE FROM streamflow.frames$$,
	'42501', 'permission denied for table frames', 'admin cannot delete frames directly (42501)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
