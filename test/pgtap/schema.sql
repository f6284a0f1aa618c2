-- schema.sql: the objects of the SQL contract exist, with their signatures,
-- and every API function is SECURITY DEFINER with a pinned search_path.
BEGIN;
SELECT plan(84);

-- Extension, schema, roles ----------------------------------------------------
SELECT has_extension('streamflow', 'streamflow', 'extension streamflow is installed in schema streamflow');
SELECT has_schema('streamflow', 'schema streamflow exists');
SELECT has_role('streamflow_reader', 'role streamflow_reader exists');
SELECT has_role('streamflow_writer', 'role streamflow_writer exists');
SELECT has_role('streamflow_admin', 'role streamflow_admin exists');
SELECT is_member_of('streamflow_reader', 'streamflow_writer', 'streamflow_writer is a member of streamflow_reader (a writer can read)');
SELECT is_member_of('streamflow_writer', 'streamflow_admin', 'streamflow_admin is a member of streamflow_writer (an admin can ingest)');
SELECT is_empty($$SELECT rolname FROM pg_catalog.pg_roles
                  WHERE rolname IN ('streamflow_reader', 'streamflow_writer', 'streamflow_admin')
                    AND (rolcanlogin OR rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls)$$,
                'the streamflow roles are NOLOGIN group roles without superuser, createrole, createdb or bypassrls');

-- Tables ------------------------------------------------------------------------
SELECT has_table('streamflow', 'services', 'table streamflow.services exists');
SELECT has_table('streamflow', 'streams', 'table streamflow.streams exists');
SELECT has_table('streamflow', 'stream_secrets', 'table streamflow.stream_secrets exists');
SELECT has_table('streamflow', 'stream_state', 'table streamflow.stream_state exists');
SELECT has_table('streamflow', 'frames', 'table streamflow.frames exists');
SELECT has_table('streamflow', 'stream_errors', 'table streamflow.stream_errors exists');
SELECT has_table('streamflow', 'dead_letters', 'table streamflow.dead_letters exists');

SELECT columns_are('streamflow', 'streams', ARRAY[
	'id', 'name', 'symbol', 'description', 'frequency', 'sla_ms', 'status', 'metadata',
	'account_id', 'stream_type', 'direction', 'data_format', 'realtime_protocol', 'buffer_size',
	'polling_interval_ms', 'retry_policy', 'data_schema', 'attribute_bindings',
	'source_service_id', 'destination_service_id', 'source_url', 'destination_url',
	'auth_headers', 'backpressure', 'batching', 'dead_letter_queue', 'multiplexing',
	'aggregation', 'retention', 'created_at', 'updated_at'],
	'streamflow.streams has one column per stream config key (and no webhook_secret)');
SELECT hasnt_column('streamflow', 'streams', 'webhook_secret', 'the stream listing has no webhook_secret column (write-only)');
SELECT columns_are('streamflow', 'frames', ARRAY[
	'stream_id', 'sequence', 'payload', 'latency_ms', 'status', 'metadata', 'created_at'],
	'streamflow.frames holds stream_id, sequence, payload, latency_ms, status, metadata, created_at');
SELECT col_is_pk('streamflow', 'frames', ARRAY['stream_id', 'sequence'],
	'a frame is identified by (stream_id, sequence)');
SELECT col_is_pk('streamflow', 'streams', 'id', 'a stream is identified by its id');
SELECT col_is_pk('streamflow', 'services', 'id', 'a service is identified by its id');
SELECT col_is_pk('streamflow', 'stream_state', 'stream_id', 'one state row per stream');
SELECT col_is_pk('streamflow', 'stream_secrets', 'stream_id', 'one webhook secret per stream');
SELECT columns_are('streamflow', 'stream_state', ARRAY[
	'stream_id', 'last_sequence', 'frames_received', 'duplicates', 'rejected', 'last_data_received_at'],
	'streamflow.stream_state counts frames received, duplicates and rejections');
SELECT has_index('streamflow', 'frames', 'frames_created_at_brin', 'created_at',
	'frames are indexed by created_at for retention');

-- Functions with their signatures -------------------------------------------------
SELECT has_function('streamflow', 'normalize_stream_config', ARRAY['jsonb', 'boolean'], 'normalize_stream_config(jsonb, boolean) exists');
SELECT has_function('streamflow', 'normalize_service_config', ARRAY['jsonb'], 'normalize_service_config(jsonb) exists');
SELECT has_function('streamflow', 'stream_id', ARRAY['text'], 'stream_id(text) exists');
SELECT has_function('streamflow', 'create_service', ARRAY['jsonb'], 'create_service(jsonb) exists');
SELECT has_function('streamflow', 'get_service', ARRAY['text'], 'get_service(text) exists');
SELECT has_function('streamflow', 'drop_service', ARRAY['text'], 'drop_service(text) exists');
SELECT has_function('streamflow', 'create_stream', ARRAY['jsonb'], 'create_stream(config jsonb) exists');
SELECT has_function('streamflow', 'create_stream', ARRAY['text', 'jsonb'], 'create_stream(name text, config jsonb) exists');
SELECT has_function('streamflow', 'update_stream', ARRAY['text', 'jsonb'], 'update_stream(stream text, patch jsonb) exists');
SELECT has_function('streamflow', 'get_stream', ARRAY['text'], 'get_stream(text) exists');
SELECT has_function('streamflow', 'drop_stream', ARRAY['text'], 'drop_stream(text) exists');
SELECT has_function('streamflow', 'ingest', ARRAY['text', 'jsonb', 'bigint', 'integer', 'text', 'jsonb'],
	'ingest(stream, payload, sequence, latency_ms, status, metadata) exists');
SELECT has_function('streamflow', 'ingest_batch', ARRAY['text', 'jsonb', 'text'], 'ingest_batch(stream, frames, on_error) exists');
SELECT has_function('streamflow', 'frames', ARRAY['text', 'integer'], 'frames(stream, limit) exists');
SELECT has_function('streamflow', 'frames_since', ARRAY['text', 'bigint', 'integer'], 'frames_since(stream, since, limit) exists');
SELECT has_function('streamflow', 'latest_frame', ARRAY['text'], 'latest_frame(stream) exists');
SELECT has_function('streamflow', 'generate_test_frames', ARRAY['text', 'integer', 'integer'], 'generate_test_frames(stream, count, rate_per_second) exists');
SELECT has_function('streamflow', 'capture', ARRAY[]::name[], 'capture() trigger function exists');
SELECT has_function('streamflow', 'enforce_retention', ARRAY[]::name[], 'enforce_retention() exists');
SELECT has_function('streamflow', 'schedule_retention', ARRAY['text'], 'schedule_retention(schedule) exists');
SELECT has_function('streamflow', 'unschedule_retention', ARRAY[]::name[], 'unschedule_retention() exists');

SELECT function_returns('streamflow', 'ingest', ARRAY['text', 'jsonb', 'bigint', 'integer', 'text', 'jsonb'], 'streamflow.frames',
	'ingest() returns a streamflow.frames row');
SELECT function_returns('streamflow', 'ingest_batch', ARRAY['text', 'jsonb', 'text'], 'record',
	'ingest_batch() returns a record of counts');
SELECT function_returns('streamflow', 'frames', ARRAY['text', 'integer'], 'setof streamflow.frames',
	'frames() returns a set of frames');
SELECT function_returns('streamflow', 'frames_since', ARRAY['text', 'bigint', 'integer'], 'setof streamflow.frames',
	'frames_since() returns a set of frames');
SELECT function_returns('streamflow', 'latest_frame', ARRAY['text'], 'streamflow.frames',
	'latest_frame() returns one frame (or null)');
SELECT function_returns('streamflow', 'capture', ARRAY[]::name[], 'trigger', 'capture() is a trigger function');
SELECT function_returns('streamflow', 'get_stream', ARRAY['text'], 'jsonb', 'get_stream() returns jsonb');
SELECT is(
	(SELECT array_to_string(p.proargnames, ',') FROM pg_catalog.pg_proc p
	 WHERE p.oid = 'streamflow.ingest_batch(text, jsonb, text)'::regprocedure),
	'stream,frames,on_error,ingested,duplicates,rejected,first_sequence,last_sequence',
	'ingest_batch returns (ingested, duplicates, rejected, first_sequence, last_sequence)');
SELECT results_eq(
	$$SELECT pg_catalog.pg_get_function_arguments('streamflow.ingest(text, jsonb, bigint, integer, text, jsonb)'::regprocedure)$$,
	$$VALUES ('stream text, payload jsonb, sequence bigint DEFAULT NULL::bigint, latency_ms integer DEFAULT NULL::integer, status text DEFAULT NULL::text, metadata jsonb DEFAULT NULL::jsonb')$$,
	'ingest: only stream and payload are required; the rest default to null');
SELECT results_eq(
	$$SELECT pg_catalog.pg_get_function_arguments('streamflow.frames(text, integer)'::regprocedure),
	         pg_catalog.pg_get_function_arguments('streamflow.frames_since(text, bigint, integer)'::regprocedure),
	         pg_catalog.pg_get_function_arguments('streamflow.ingest_batch(text, jsonb, text)'::regprocedure),
	         pg_catalog.pg_get_function_arguments('streamflow.generate_test_frames(text, integer, integer)'::regprocedure),
	         pg_catalog.pg_get_function_arguments('streamflow.create_stream(text, jsonb)'::regprocedure)$$,
	$$VALUES ('stream text, "limit" integer DEFAULT 100',
	          'stream text, since bigint, "limit" integer DEFAULT 1000',
	          'stream text, frames jsonb, on_error text DEFAULT ''raise''::text, OUT ingested integer, OUT duplicates integer, OUT rejected integer, OUT first_sequence bigint, OUT last_sequence bigint',
	          'stream text, count integer, rate_per_second integer DEFAULT 100',
	          'name text, config jsonb DEFAULT ''{}''::jsonb')$$,
	'defaults: frames limit 100, frames_since limit 1000, on_error raise, rate 100, config {}');

-- SECURITY DEFINER on every API function ------------------------------------------
SELECT is_definer('streamflow', 'stream_id', ARRAY['text'], 'stream_id() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'create_service', ARRAY['jsonb'], 'create_service() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'get_service', ARRAY['text'], 'get_service() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'drop_service', ARRAY['text'], 'drop_service() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'create_stream', ARRAY['jsonb'], 'create_stream(jsonb) is SECURITY DEFINER');
SELECT is_definer('streamflow', 'create_stream', ARRAY['text', 'jsonb'], 'create_stream(text, jsonb) is SECURITY DEFINER');
SELECT is_definer('streamflow', 'update_stream', ARRAY['text', 'jsonb'], 'update_stream() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'get_stream', ARRAY['text'], 'get_stream() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'drop_stream', ARRAY['text'], 'drop_stream() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'ingest', ARRAY['text', 'jsonb', 'bigint', 'integer', 'text', 'jsonb'], 'ingest() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'ingest_batch', ARRAY['text', 'jsonb', 'text'], 'ingest_batch() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'frames', ARRAY['text', 'integer'], 'frames() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'frames_since', ARRAY['text', 'bigint', 'integer'], 'frames_since() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'latest_frame', ARRAY['text'], 'latest_frame() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'generate_test_frames', ARRAY['text', 'integer', 'integer'], 'generate_test_frames() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'enforce_retention', ARRAY[]::name[], 'enforce_retention() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'schedule_retention', ARRAY['text'], 'schedule_retention() is SECURITY DEFINER');
SELECT is_definer('streamflow', 'unschedule_retention', ARRAY[]::name[], 'unschedule_retention() is SECURITY DEFINER');
SELECT isnt_definer('streamflow', 'capture', ARRAY[]::name[],
	'capture() is not SECURITY DEFINER: it ingests as the user who fired the trigger');
SELECT isnt_definer('streamflow', 'set_stream_secret', ARRAY['text', 'text'],
	'set_stream_secret() is an internal helper, not SECURITY DEFINER');

-- Pinned search_path ------------------------------------------------------------------
SELECT is_empty(
	$$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
	  WHERE p.pronamespace = 'streamflow'::regnamespace AND p.prosecdef
	    AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)$$,
	'every SECURITY DEFINER function pins search_path = pg_catalog, pg_temp');
SELECT is_empty(
	$$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
	  JOIN pg_catalog.pg_language l ON l.oid = p.prolang
	  WHERE p.pronamespace = 'streamflow'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
	    AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)$$,
	'every SQL and PL/pgSQL function of the extension pins search_path = pg_catalog, pg_temp');
SELECT is_empty(
	$$SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
	  WHERE p.pronamespace = 'streamflow'::regnamespace AND p.prosecdef
	    AND EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%public%')$$,
	'no SECURITY DEFINER function has public on its search_path');

-- Volatility / strictness that callers rely on -----------------------------------------
SELECT volatility_is('streamflow', 'ingest', ARRAY['text', 'jsonb', 'bigint', 'integer', 'text', 'jsonb'], 'volatile',
	'ingest() is volatile');
SELECT volatility_is('streamflow', 'get_stream', ARRAY['text'], 'stable', 'get_stream() is stable');
SELECT volatility_is('streamflow', 'frames', ARRAY['text', 'integer'], 'stable', 'frames() is stable');
SELECT is_strict('streamflow', 'normalize_stream_config', ARRAY['jsonb', 'boolean'],
	'normalize_stream_config() is strict');
SELECT isnt_strict('streamflow', 'ingest', ARRAY['text', 'jsonb', 'bigint', 'integer', 'text', 'jsonb'],
	'ingest() is not strict: a null payload is reported, not silently ignored');

SELECT * FROM finish();
ROLLBACK;
