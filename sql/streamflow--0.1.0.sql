-- streamflow 0.1.0: streams, services, frames, the NOTIFY bus, capture triggers, retention.
\echo Use "CREATE EXTENSION streamflow" to load this file. \quit

-------------------------------------------------------------------------------
-- Roles (cluster-wide, so created only when missing)
-------------------------------------------------------------------------------
DO $roles$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'streamflow_reader') THEN
		CREATE ROLE streamflow_reader NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'streamflow_writer') THEN
		CREATE ROLE streamflow_writer NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'streamflow_admin') THEN
		CREATE ROLE streamflow_admin NOLOGIN;
	END IF;
END
$roles$;
GRANT streamflow_reader TO streamflow_writer;
GRANT streamflow_writer TO streamflow_admin;

GRANT USAGE ON SCHEMA @extschema@ TO streamflow_reader;

-------------------------------------------------------------------------------
-- Catalog tables
-------------------------------------------------------------------------------

-- Services: the producers and consumers a stream connects (seed 000).
CREATE TABLE @extschema@.services (
	id text PRIMARY KEY,
	name text NOT NULL,
	service_type text,
	workflow_id text,
	input_attributes jsonb,
	output_attributes jsonb,
	supports_realtime boolean,
	stream_direction text CHECK (stream_direction IN ('inbound', 'outbound', 'bidirectional')),
	created_at timestamptz NOT NULL DEFAULT now()
);

-- Streams: one row per stream; every key of a stream config is a column.
CREATE TABLE @extschema@.streams (
	id text PRIMARY KEY,
	name text NOT NULL UNIQUE,
	symbol text,
	description text,
	frequency text,
	sla_ms integer NOT NULL DEFAULT 0 CHECK (sla_ms >= 0),
	status text NOT NULL DEFAULT 'inactive' CHECK (status IN ('inactive', 'active', 'paused')),
	metadata jsonb NOT NULL DEFAULT '{}',
	account_id text,
	stream_type text,
	direction text,
	data_format text,
	realtime_protocol text,
	buffer_size integer,
	polling_interval_ms integer,
	retry_policy jsonb,
	data_schema jsonb,
	attribute_bindings jsonb,
	source_service_id text REFERENCES @extschema@.services (id),
	destination_service_id text REFERENCES @extschema@.services (id),
	source_url text,
	destination_url text,
	auth_headers jsonb,
	backpressure jsonb,
	batching jsonb,
	dead_letter_queue jsonb,
	multiplexing jsonb,
	aggregation jsonb,
	retention interval,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Webhook secrets: write-only, kept apart so no listing ever shows them.
CREATE TABLE @extschema@.stream_secrets (
	stream_id text PRIMARY KEY REFERENCES @extschema@.streams (id) ON DELETE CASCADE,
	webhook_secret text NOT NULL,
	rotated_at timestamptz NOT NULL DEFAULT now()
);

-- Per-stream ingest state: the sequence head (locked by ingest) and counters.
CREATE TABLE @extschema@.stream_state (
	stream_id text PRIMARY KEY REFERENCES @extschema@.streams (id) ON DELETE CASCADE,
	last_sequence bigint NOT NULL DEFAULT 0,
	frames_received bigint NOT NULL DEFAULT 0,
	duplicates bigint NOT NULL DEFAULT 0,
	rejected bigint NOT NULL DEFAULT 0,
	last_data_received_at timestamptz
) WITH (fillfactor = 50);

-- Frames: the stored samples of every stream (seed 002).
CREATE TABLE @extschema@.frames (
	stream_id text NOT NULL,
	sequence bigint NOT NULL CHECK (sequence > 0),
	payload jsonb NOT NULL,
	latency_ms integer NOT NULL DEFAULT 0,
	status text NOT NULL DEFAULT 'ok',
	metadata jsonb,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (stream_id, sequence)
);
CREATE INDEX frames_created_at_brin ON @extschema@.frames USING brin (created_at);

-- Rejected input, whatever transport it came from (seed 000 troubleshooting).
CREATE TABLE @extschema@.stream_errors (
	id bigserial PRIMARY KEY,
	stream_id text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	source text NOT NULL CHECK (source IN ('sql', 'websocket', 'webhook', 'http', 'poller', 'websocket_client', 'window', 'capture')),
	raw_payload jsonb,
	violations jsonb NOT NULL
);
CREATE INDEX stream_errors_stream_idx ON @extschema@.stream_errors (stream_id, created_at);

-- Bindings with aggregation_window_ms: what each transaction added to a
-- binding's trailing window, and the window's running total, so an ingest
-- reads one row per binding instead of scanning frames.
CREATE TABLE @extschema@.binding_window_entries (
	stream_id text NOT NULL,
	binding integer NOT NULL,
	at timestamptz NOT NULL,
	sum numeric NOT NULL,
	count bigint NOT NULL,
	PRIMARY KEY (stream_id, binding, at)
);
CREATE TABLE @extschema@.binding_window_totals (
	stream_id text NOT NULL,
	binding integer NOT NULL,
	window_ms integer NOT NULL,
	sum numeric NOT NULL,
	count bigint NOT NULL,
	PRIMARY KEY (stream_id, binding)
);

-- Dead letters: frames that could not be stored or delivered, kept for replay.
CREATE TABLE @extschema@.dead_letters (
	id bigserial PRIMARY KEY,
	stream_id text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	reason text NOT NULL,
	frame jsonb NOT NULL,
	last_error text
);
CREATE INDEX dead_letters_stream_idx ON @extschema@.dead_letters (stream_id, created_at);

-------------------------------------------------------------------------------
-- Config validation (C): every key checked, normalised, or rejected with 22023
-------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.normalize_stream_config(config jsonb, partial boolean DEFAULT false)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'streamflow_normalize_stream_config'
LANGUAGE C STABLE STRICT;

CREATE FUNCTION @extschema@.normalize_service_config(config jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'streamflow_normalize_service_config'
LANGUAGE C STABLE STRICT;

-- Resolves a stream given by id or name to its id; raises 42704 when none matches.
CREATE FUNCTION @extschema@.stream_id(stream text)
RETURNS text
AS 'MODULE_PATHNAME', 'streamflow_stream_id'
LANGUAGE C STABLE STRICT
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-------------------------------------------------------------------------------
-- Services
-------------------------------------------------------------------------------

-- Renders a stream or service row as its config JSON, null columns left out.
CREATE FUNCTION @extschema@.row_json(r anyelement)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.jsonb_object_agg(e.key, e.value)
	FROM pg_catalog.jsonb_each(pg_catalog.to_jsonb(r)) AS e
	WHERE e.value <> 'null'::jsonb
$$;

-- Creates a service from the seed's request body; returns it with its id.
CREATE FUNCTION @extschema@.create_service(config jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg jsonb := streamflow.normalize_service_config(streamflow.require_config(config, 'service'));
	svc streamflow.services;
BEGIN
	IF NOT cfg ? 'id' THEN
		cfg := cfg || jsonb_build_object('id', 'svc_' || substr(md5(gen_random_uuid()::text), 1, 12));
	END IF;
	IF EXISTS (SELECT 1 FROM streamflow.services WHERE id = cfg->>'id') THEN
		RAISE EXCEPTION 'service "%" already exists', cfg->>'id'
			USING ERRCODE = 'duplicate_object';
	END IF;
	INSERT INTO streamflow.services
	SELECT (jsonb_populate_record(NULL::streamflow.services,
								  cfg || jsonb_build_object('created_at', now()))).*
	RETURNING * INTO svc;
	RETURN streamflow.row_json(svc);
END
$$;

-- Returns one service as JSON; raises 42704 when it does not exist.
CREATE FUNCTION @extschema@.get_service(service text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	svc streamflow.services;
BEGIN
	SELECT * INTO svc FROM streamflow.services WHERE id = service;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'service "%" does not exist', service USING ERRCODE = 'undefined_object';
	END IF;
	RETURN streamflow.row_json(svc);
END
$$;

-- Drops a service; streams still referring to it keep it alive (23503).
CREATE FUNCTION @extschema@.drop_service(service text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM streamflow.services WHERE id = service;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'service "%" does not exist', service USING ERRCODE = 'undefined_object';
	END IF;
	RETURN true;
EXCEPTION WHEN foreign_key_violation THEN
	RAISE EXCEPTION 'service "%" is still used by a stream', service
		USING ERRCODE = 'dependent_objects_still_exist',
			  HINT = 'Drop the stream or change its source_service_id / destination_service_id first.';
END
$$;

-------------------------------------------------------------------------------
-- Streams
-------------------------------------------------------------------------------

-- Checks that the services a normalised config names exist (22023 otherwise).
CREATE FUNCTION @extschema@.check_stream_services(cfg jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k text;
BEGIN
	FOREACH k IN ARRAY ARRAY['source_service_id', 'destination_service_id'] LOOP
		IF cfg->>k IS NOT NULL
		   AND NOT EXISTS (SELECT 1 FROM streamflow.services WHERE id = cfg->>k) THEN
			RAISE EXCEPTION 'service "%" named by stream option "%" does not exist', cfg->>k, k
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Create it first with streamflow.create_service().';
		END IF;
	END LOOP;
END
$$;

-- Stores, rotates or (with null) removes a stream's webhook secret.
CREATE FUNCTION @extschema@.set_stream_secret(stream_id text, secret text)
RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	DELETE FROM streamflow.stream_secrets s WHERE s.stream_id = set_stream_secret.stream_id AND secret IS NULL;
	INSERT INTO streamflow.stream_secrets (stream_id, webhook_secret)
	SELECT set_stream_secret.stream_id, secret WHERE secret IS NOT NULL
	ON CONFLICT (stream_id) DO UPDATE SET webhook_secret = excluded.webhook_secret, rotated_at = now();
$$;

-- Raises 22023 when a config argument is SQL NULL.
CREATE FUNCTION @extschema@.require_config(config jsonb, what text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF config IS NULL THEN
		RAISE EXCEPTION 'a % config must be a JSON object', what
			USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The value given is NULL.';
	END IF;
	RETURN config;
END
$$;

-- Creates a stream from a seed-style config body; returns it as get_stream would.
CREATE FUNCTION @extschema@.create_stream(config jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cfg jsonb := '{"status": "inactive", "sla_ms": 0, "metadata": {}}'::jsonb
				 || streamflow.normalize_stream_config(streamflow.require_config(config, 'stream'), false);
	st streamflow.streams;
BEGIN
	IF NOT cfg ? 'id' THEN
		cfg := cfg || jsonb_build_object('id', 'stream_' || substr(md5(gen_random_uuid()::text), 1, 12));
	END IF;
	IF EXISTS (SELECT 1 FROM streamflow.streams WHERE id = cfg->>'id' OR name = cfg->>'id') THEN
		RAISE EXCEPTION 'stream "%" already exists', cfg->>'id' USING ERRCODE = 'duplicate_object';
	END IF;
	IF EXISTS (SELECT 1 FROM streamflow.streams WHERE name = cfg->>'name' OR id = cfg->>'name') THEN
		RAISE EXCEPTION 'stream "%" already exists', cfg->>'name'
			USING ERRCODE = 'duplicate_object',
				  HINT = 'Stream names and ids share one namespace; choose another name.';
	END IF;
	PERFORM streamflow.check_stream_services(cfg);
	INSERT INTO streamflow.streams
	SELECT (jsonb_populate_record(NULL::streamflow.streams,
								  (cfg - 'webhook_secret')
								  || jsonb_build_object('created_at', now(), 'updated_at', now()))).*
	RETURNING * INTO st;
	INSERT INTO streamflow.stream_state (stream_id) VALUES (st.id);
	PERFORM streamflow.forget_stream_counters(st.id);
	PERFORM streamflow.set_stream_secret(st.id, cfg->>'webhook_secret');
	RETURN streamflow.row_json(st);
END
$$;

-- Creates a stream called name; config holds the other keys.  An untyped
-- literal such as create_stream('{"name": ...}') resolves to this text variant,
-- so a lone argument that is a JSON object is taken as the whole config.
CREATE FUNCTION @extschema@.create_stream(name text, config jsonb DEFAULT '{}')
RETURNS jsonb
LANGUAGE sql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	SELECT CASE
		WHEN name ~ '^\s*\{' AND coalesce(config, '{}'::jsonb) = '{}'::jsonb
		THEN streamflow.create_stream(name::jsonb)
		ELSE streamflow.create_stream(coalesce(config, '{}'::jsonb) || jsonb_build_object('name', name))
	END
$$;

-- Forgets the aggregation windows of a stream's bindings.
CREATE FUNCTION @extschema@.clear_binding_windows(sid text)
RETURNS void
LANGUAGE sql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	DELETE FROM streamflow.binding_window_entries WHERE stream_id = sid;
	DELETE FROM streamflow.binding_window_totals WHERE stream_id = sid;
$$;

-- Applies a partial config (like PATCH): given keys change, null clears, others stay.
CREATE FUNCTION @extschema@.update_stream(stream text, patch jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	sid text := streamflow.stream_id(stream);
	cfg jsonb := streamflow.normalize_stream_config(streamflow.require_config(patch, 'stream'), true);
	st streamflow.streams;
BEGIN
	IF cfg ? 'id' AND cfg->>'id' IS DISTINCT FROM sid THEN
		RAISE EXCEPTION 'stream option "id" cannot be changed'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('Stream "%s" keeps its id.', sid);
	END IF;
	IF cfg ? 'name' AND EXISTS (SELECT 1 FROM streamflow.streams
								 WHERE (name = cfg->>'name' OR id = cfg->>'name') AND id <> sid) THEN
		RAISE EXCEPTION 'stream "%" already exists', cfg->>'name' USING ERRCODE = 'duplicate_object';
	END IF;
	PERFORM streamflow.check_stream_services(cfg);
	SELECT * INTO st FROM streamflow.streams WHERE id = sid FOR UPDATE;
	st := jsonb_populate_record(st, (cfg - 'webhook_secret' - 'id')
									|| jsonb_build_object('updated_at', now()));
	UPDATE streamflow.streams SET
		name = st.name, symbol = st.symbol, description = st.description,
		frequency = st.frequency, sla_ms = coalesce(st.sla_ms, 0),
		status = coalesce(st.status, 'inactive'), metadata = coalesce(st.metadata, '{}'),
		account_id = st.account_id, stream_type = st.stream_type, direction = st.direction,
		data_format = st.data_format, realtime_protocol = st.realtime_protocol,
		buffer_size = st.buffer_size, polling_interval_ms = st.polling_interval_ms,
		retry_policy = st.retry_policy, data_schema = st.data_schema,
		attribute_bindings = st.attribute_bindings, source_service_id = st.source_service_id,
		destination_service_id = st.destination_service_id, source_url = st.source_url,
		destination_url = st.destination_url, auth_headers = st.auth_headers,
		backpressure = st.backpressure, batching = st.batching,
		dead_letter_queue = st.dead_letter_queue, multiplexing = st.multiplexing,
		aggregation = st.aggregation, retention = st.retention, updated_at = st.updated_at
	WHERE id = sid
	RETURNING * INTO st;
	IF cfg ? 'webhook_secret' THEN
		PERFORM streamflow.set_stream_secret(sid, cfg->>'webhook_secret');
	END IF;
	IF cfg ? 'attribute_bindings' THEN
		-- binding numbers may now mean other bindings: windows start afresh
		PERFORM streamflow.clear_binding_windows(sid);
	END IF;
	RETURN streamflow.row_json(st);
END
$$;

-- Returns a stream's config as JSON (never its webhook secret).
CREATE FUNCTION @extschema@.get_stream(stream text)
RETURNS jsonb
LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	SELECT streamflow.row_json(s) FROM streamflow.streams s WHERE s.id = streamflow.stream_id(stream)
$$;

-- Drops a stream with its frames, state, secret, errors and dead letters.
CREATE FUNCTION @extschema@.drop_stream(stream text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	sid text := streamflow.stream_id(stream);
BEGIN
	DELETE FROM streamflow.frames WHERE stream_id = sid;
	DELETE FROM streamflow.stream_errors WHERE stream_id = sid;
	DELETE FROM streamflow.dead_letters WHERE stream_id = sid;
	DELETE FROM streamflow.deliveries WHERE stream_id = sid;
	PERFORM streamflow.clear_binding_windows(sid);
	DELETE FROM streamflow.streams WHERE id = sid;
	RETURN true;
END
$$;

-------------------------------------------------------------------------------
-- Frames
-------------------------------------------------------------------------------

-- Ingests one frame: rules of seed 002, stored and announced at commit.
CREATE FUNCTION @extschema@.ingest(stream text, payload jsonb, sequence bigint DEFAULT NULL,
								   latency_ms integer DEFAULT NULL, status text DEFAULT NULL,
								   metadata jsonb DEFAULT NULL)
RETURNS @extschema@.frames
AS 'MODULE_PATHNAME', 'streamflow_ingest'
LANGUAGE C VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Ingests a JSON array of {sequence, payload, latency_ms, status, metadata}.
CREATE FUNCTION @extschema@.ingest_batch(stream text, frames jsonb, on_error text DEFAULT 'raise',
										 OUT ingested integer, OUT duplicates integer,
										 OUT rejected integer, OUT first_sequence bigint,
										 OUT last_sequence bigint)
RETURNS record
AS 'MODULE_PATHNAME', 'streamflow_ingest_batch'
LANGUAGE C VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-------------------------------------------------------------------------------
-- The frame pipeline on its own: JSON Schema draft-07 and attribute bindings
-------------------------------------------------------------------------------

-- True when instance satisfies the draft-07 schema; a malformed schema is an error.
CREATE FUNCTION @extschema@.validate(schema jsonb, instance jsonb)
RETURNS boolean
AS 'MODULE_PATHNAME', 'streamflow_validate'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Every violation of schema by instance: JSON path, keyword, readable message.
CREATE FUNCTION @extschema@.validation_errors(schema jsonb, instance jsonb)
RETURNS TABLE (path text, keyword text, message text)
AS 'MODULE_PATHNAME', 'streamflow_validation_errors'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 4;

-- Maps data through attribute bindings (seed 000); a violation is an error.
CREATE FUNCTION @extschema@.apply_bindings(bindings jsonb, data jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'streamflow_apply_bindings'
LANGUAGE C IMMUTABLE STRICT PARALLEL RESTRICTED;  -- checking jsonpaths opens a subtransaction

-- Newest frames of a stream first.
CREATE FUNCTION @extschema@.frames(stream text, "limit" integer DEFAULT 100)
RETURNS SETOF @extschema@.frames
LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM streamflow.frames f
	WHERE f.stream_id = streamflow.stream_id(stream)
	ORDER BY f.sequence DESC
	LIMIT greatest("limit", 0)
$$;

-- Frames after a sequence, oldest first (for catching up).
CREATE FUNCTION @extschema@.frames_since(stream text, since bigint, "limit" integer DEFAULT 1000)
RETURNS SETOF @extschema@.frames
LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM streamflow.frames f
	WHERE f.stream_id = streamflow.stream_id(stream) AND f.sequence > coalesce(since, 0)
	ORDER BY f.sequence
	LIMIT greatest("limit", 0)
$$;

-- The newest frame of a stream, or null when it has none.
CREATE FUNCTION @extschema@.latest_frame(stream text)
RETURNS @extschema@.frames
LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM streamflow.frames f
	WHERE f.stream_id = streamflow.stream_id(stream)
	ORDER BY f.sequence DESC
	LIMIT 1
$$;

-- Seed 001's test stream: count frames whose timestamps advance at rate_per_second.
CREATE FUNCTION @extschema@.generate_test_frames(stream text, count integer,
												 rate_per_second integer DEFAULT 100)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	start_ts double precision := extract(epoch FROM clock_timestamp());
	batch jsonb;
	result record;
BEGIN
	IF count IS NULL OR count < 0 THEN
		RAISE EXCEPTION 'count must be zero or positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF rate_per_second IS NULL OR rate_per_second <= 0 THEN
		RAISE EXCEPTION 'rate_per_second must be positive' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT coalesce(jsonb_agg(jsonb_build_object('payload', jsonb_build_object(
			'id', gen_random_uuid(),
			'timestamp', start_ts + i::double precision / rate_per_second,
			'sequence', i,
			'event_type', (ARRAY['click', 'view', 'purchase'])[i % 3 + 1],
			'user_id', 'user_' || (i % 100),
			'data', jsonb_build_object('value', i * 10, 'metadata', '{"test": true}'::jsonb)))
			ORDER BY i), '[]')
	INTO batch
	FROM generate_series(0, count - 1) AS i;
	result := streamflow.ingest_batch(stream, batch);
	RETURN result.ingested;
END
$$;

-------------------------------------------------------------------------------
-- Capture: rows of any table become frames {"op","table","new","old"}
-------------------------------------------------------------------------------
CREATE FUNCTION @extschema@.capture()
RETURNS trigger
AS 'MODULE_PATHNAME', 'streamflow_capture'
LANGUAGE C;

-------------------------------------------------------------------------------
-- Retention (enforced by a pg_cron job)
-------------------------------------------------------------------------------

-- Deletes frames older than their stream's retention and expired dead letters.
CREATE FUNCTION @extschema@.enforce_retention()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
	d bigint;
BEGIN
	DELETE FROM streamflow.frames f
	USING streamflow.streams s
	WHERE f.stream_id = s.id AND s.retention IS NOT NULL
	  AND f.created_at < now() - s.retention;
	GET DIAGNOSTICS n = ROW_COUNT;
	DELETE FROM streamflow.dead_letters l
	USING streamflow.streams s
	WHERE l.stream_id = s.id AND s.dead_letter_queue ? 'retention_hours'
	  AND l.created_at < now() - make_interval(hours => (s.dead_letter_queue->>'retention_hours')::int);
	GET DIAGNOSTICS d = ROW_COUNT;
	RETURN n + d;
END
$$;

-- Schedules enforce_retention() with pg_cron; returns the job id.
CREATE FUNCTION @extschema@.schedule_retention(schedule text DEFAULT '*/5 * * * *')
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	job bigint;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'streamflow enforces stream retention with a pg_cron job.',
				  HINT = 'Add pg_cron to the shared_preload_libraries configuration variable in postgresql.conf, set cron.database_name to this database, and run CREATE EXTENSION pg_cron.';
	END IF;
	EXECUTE 'SELECT cron.schedule($1, $2, $3)'
		INTO job
		USING 'streamflow-retention', schedule, 'SELECT streamflow.enforce_retention()';
	RETURN job;
END
$$;

-- Removes the retention job; returns false when none was scheduled.
CREATE FUNCTION @extschema@.unschedule_retention()
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	done boolean;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
		RETURN false;
	END IF;
	EXECUTE 'SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1'
		INTO done USING 'streamflow-retention';
	RETURN coalesce(done, false);
END
$$;

-------------------------------------------------------------------------------
-- Tokens: API tokens for the worker's HTTP, SSE and WebSocket endpoints
-------------------------------------------------------------------------------
-- A token is shown once, by create_token(); only the SHA-256 hash of its
-- secret is stored.  streams holds stream ids (names given to create_token
-- are resolved to ids); NULL means every stream, present and future.  scopes
-- is a non-empty subset of {read, write}: read subscribes and fetches, write
-- publishes (write does not imply read).  A revoked token stays listed with
-- revoked_at set; its name can be given to a new token.
CREATE TABLE @extschema@.tokens (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL CHECK (name = btrim(name) AND name <> ''),
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	streams text[] CHECK (array_position(streams, NULL) IS NULL),
	scopes text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write'] AND cardinality(scopes) > 0),
	created_at timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz,
	revoked_at timestamptz
);
CREATE UNIQUE INDEX tokens_active_name ON @extschema@.tokens (name) WHERE revoked_at IS NULL;

-- The tokens without their hashes; active is false once revoked.
CREATE VIEW @extschema@.token_list AS
	SELECT name, streams, scopes, created_at, last_used_at, revoked_at,
		   revoked_at IS NULL AS active
	FROM @extschema@.tokens;

-- "sf_" and 32 random bytes in hex (pg_strong_random).
CREATE FUNCTION @extschema@.new_token_secret()
RETURNS text
AS 'MODULE_PATHNAME', 'streamflow_new_token_secret'
LANGUAGE C VOLATILE;

-- Creates a token and returns its secret: the only time it is shown.
CREATE FUNCTION @extschema@.create_token(name text, streams text[] DEFAULT NULL,
										 scopes text[] DEFAULT '{read}')
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tname text := btrim(create_token.name);
	ids text[];
	s text;
	secret text := streamflow.new_token_secret();
BEGIN
	IF tname IS NULL OR tname = '' THEN
		RAISE EXCEPTION 'a token needs a name'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The name given is empty or NULL.',
				  HINT = 'Name tokens after who uses them, e.g. create_token(''dashboard'').';
	END IF;
	IF scopes IS NULL OR cardinality(scopes) = 0 THEN
		RAISE EXCEPTION 'token "%" needs at least one scope', tname
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Valid scopes are read and write.';
	END IF;
	FOREACH s IN ARRAY scopes LOOP
		IF s IS NULL OR s NOT IN ('read', 'write') THEN
			RAISE EXCEPTION 'unknown token scope "%"', coalesce(s, 'NULL')
				USING ERRCODE = 'invalid_parameter_value', HINT = 'Valid scopes are read and write.';
		END IF;
	END LOOP;
	IF streams IS NOT NULL THEN
		IF cardinality(streams) = 0 THEN
			RAISE EXCEPTION 'token "%" names no stream', tname
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'An empty array would make a token that opens nothing.',
					  HINT = 'Pass NULL (the default) for a token valid on every stream.';
		END IF;
		FOREACH s IN ARRAY streams LOOP
			IF s IS NULL THEN
				RAISE EXCEPTION 'token "%" names a NULL stream', tname
					USING ERRCODE = 'invalid_parameter_value',
						  HINT = 'Give stream ids or names, or NULL instead of the whole array for every stream.';
			END IF;
			ids := ids || streamflow.stream_id(s);
		END LOOP;
		SELECT array_agg(DISTINCT i ORDER BY i) INTO ids FROM unnest(ids) i;
	END IF;
	BEGIN
		INSERT INTO streamflow.tokens (name, token_hash, streams, scopes)
		SELECT tname, sha256(convert_to(secret, 'UTF8')), ids,
			   array_agg(DISTINCT sc ORDER BY sc)
		FROM unnest(create_token.scopes) sc;
	EXCEPTION WHEN unique_violation THEN
		RAISE EXCEPTION 'token "%" already exists', tname
			USING ERRCODE = 'duplicate_object',
				  HINT = 'Revoke it first with streamflow.revoke_token(), or choose another name.';
	END;
	RETURN secret;
END
$$;

-- Revokes the active token called name; raises 42704 when there is none.
CREATE FUNCTION @extschema@.revoke_token(name text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE streamflow.tokens t SET revoked_at = now()
	WHERE t.name = btrim(revoke_token.name) AND t.revoked_at IS NULL;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'token "%" does not exist', revoke_token.name
			USING ERRCODE = 'undefined_object',
				  HINT = 'List active tokens with SELECT name FROM streamflow.token_list WHERE active.';
	END IF;
	RETURN true;
END
$$;

-- The worker's decision for a token on a stream ('ok', 'missing token',
-- 'invalid token', 'forbidden'), for applications that verify streamflow
-- tokens themselves; stream NULL checks the token and scope only.
CREATE FUNCTION @extschema@.check_token(token text, stream text DEFAULT NULL, scope text DEFAULT 'read')
RETURNS text
AS 'MODULE_PATHNAME', 'streamflow_check_token'
LANGUAGE C VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- A dropped stream leaves every token's list, so a new stream given the same
-- id later is not opened by tokens meant for the old one.
CREATE FUNCTION @extschema@.tokens_forget_stream()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE streamflow.tokens SET streams = array_remove(streams, OLD.id)
	WHERE OLD.id = ANY (streams);
	RETURN NULL;
END
$$;
CREATE TRIGGER tokens_forget_stream AFTER DELETE ON @extschema@.streams
	FOR EACH ROW EXECUTE FUNCTION @extschema@.tokens_forget_stream();

GRANT SELECT ON @extschema@.token_list TO streamflow_admin;
GRANT EXECUTE ON FUNCTION
	@extschema@.create_token(text, text[], text[]),
	@extschema@.revoke_token(text),
	@extschema@.check_token(text, text, text)
	TO streamflow_admin;

-------------------------------------------------------------------------------
-- Observability: stream_stats, health() (the worker's /metrics reads the same
-- shared-memory counters)
-------------------------------------------------------------------------------

-- The shared-memory counters of every tracked stream (none without preload).
CREATE FUNCTION @extschema@.stream_counters(
	OUT stream_id text, OUT received bigint, OUT duplicates bigint, OUT rejected bigint,
	OUT errors bigint, OUT sent bigint, OUT dropped bigint, OUT ring_frames bigint,
	OUT ring_last_sequence bigint, OUT subscribers integer, OUT queue_used bigint,
	OUT queue_capacity bigint, OUT last_data_received_at timestamptz,
	OUT latency_count bigint, OUT avg_latency_ms double precision,
	OUT p95_latency_ms double precision, OUT p99_latency_ms double precision, OUT dropped_late bigint)
RETURNS SETOF record
LANGUAGE c VOLATILE
AS 'MODULE_PATHNAME', 'streamflow_stream_counters';

COMMENT ON FUNCTION @extschema@.stream_counters() IS
'Per-stream counters kept in shared memory since the server started (a restart resets them): frames received, duplicates and rejections counted as ingest runs (including frames of transactions that later rolled back), frames the worker read from the commit ring, messages sent and dropped, transport errors, subscribers, queue use and commit-to-socket latency.';

-- Forgets a stream's shared-memory counters (create_stream: a new stream
-- reusing a dropped one's id starts from zero).
CREATE FUNCTION @extschema@.forget_stream_counters(stream_id text)
RETURNS void
LANGUAGE c STRICT VOLATILE
AS 'MODULE_PATHNAME', 'streamflow_forget_stream_counters';

-- One row per stream (DESIGN.md's columns).
CREATE VIEW @extschema@.stream_stats AS
SELECT s.id AS stream_id,
	coalesce(h.frames_received, 0) AS total_messages_received,
	coalesce(c.sent, 0) AS total_messages_sent,
	h.last_data_received_at,
	coalesce(c.rejected + c.errors, 0) AS error_count,
	CASE WHEN coalesce(c.received + c.duplicates + c.rejected + c.errors, 0) = 0 THEN 0::double precision
		ELSE (c.rejected + c.errors)::double precision / (c.received + c.duplicates + c.rejected + c.errors)
	END AS error_rate,
	c.avg_latency_ms,
	c.p95_latency_ms,
	c.p99_latency_ms,
	coalesce(c.subscribers, 0) AS subscribers,
	CASE WHEN coalesce(c.queue_capacity, 0) > 0
		THEN c.queue_used::double precision / c.queue_capacity ELSE 0::double precision
	END AS queue_utilization,
	coalesce(c.dropped, 0) AS dropped,
	coalesce(h.duplicates, 0) AS duplicates,
	coalesce(c.dropped_late, 0) AS dropped_late
FROM @extschema@.streams s
LEFT JOIN @extschema@.stream_state h ON h.stream_id = s.id
LEFT JOIN @extschema@.stream_counters() c ON c.stream_id = s.id;

COMMENT ON VIEW @extschema@.stream_stats IS
'One row per stream.  total_messages_received, duplicates and last_data_received_at are durable (streamflow.stream_state, committed frames only).  The other columns come from shared memory and are reset by a server restart: total_messages_sent, dropped, subscribers, queue_utilization (fullest subscriber queue / its capacity), dropped_late (frames a window dropped because their earliest window had closed) and avg/p95/p99_latency_ms (commit to socket write, from a histogram; null before the first delivery) are the worker''s; error_count is frames rejected (also those whose error rolled the transaction back) plus transport errors, and error_rate is error_count over every frame offered since the restart.  Streams beyond streamflow.max_streams_tracked show zeros.';

GRANT SELECT ON @extschema@.stream_stats TO streamflow_reader;
GRANT EXECUTE ON FUNCTION @extschema@.stream_counters() TO streamflow_reader;

-------------------------------------------------------------------------------
-- Outbound deliveries: every frame of a stream with destination_url is POSTed
-- there by the worker (src/outbound*.c), at least once, in order
-------------------------------------------------------------------------------

-- One row per committed frame still to deliver, written by ingest in the
-- frame's own transaction (src/outbound_queue.c), so a committed frame always
-- has its row and a rolled back one never does.  destination is the stream's
-- destination_url when the frame was stored.  The worker deletes the row on
-- a 2xx answer; any other outcome counts an attempt, records it and sets
-- next_attempt_at by the stream's retry_policy; after max_retries the row
-- moves to dead_letters.  Rows are sent oldest first per destination.
CREATE TABLE @extschema@.deliveries (
	id bigserial PRIMARY KEY,
	stream_id text NOT NULL,
	sequence bigint NOT NULL,
	destination text NOT NULL,
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	last_status integer,
	last_error text,
	last_attempt_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_destination_idx ON @extschema@.deliveries (destination, id);
CREATE INDEX deliveries_stream_idx ON @extschema@.deliveries (stream_id, sequence);

-- The worker's circuit breaker per destination, as it last changed: closed,
-- open (no attempt until opened_until) or half-open (one probe in flight).
CREATE TABLE @extschema@.destination_state (
	destination text PRIMARY KEY,
	circuit text NOT NULL CHECK (circuit IN ('closed', 'open', 'half-open')),
	consecutive_failures integer NOT NULL,
	opened_until timestamptz,
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Dead letters of deliveries name the frame and where it was going.
ALTER TABLE @extschema@.dead_letters
	ADD COLUMN sequence bigint,
	ADD COLUMN destination text,
	ADD COLUMN attempts integer;

-- Where a service receives deliveries when a stream's multiplexing names it.
ALTER TABLE @extschema@.services ADD COLUMN endpoint_url text;

-- The URLs a stream delivers to, in order (destination_url first, then the
-- enabled multiplexing destinations, service ids resolved to their
-- endpoint_url, each URL once), and whether every frame goes to each
-- (broadcast) or to one in turn by sequence (round-robin, the default).
-- urls is null when there are none.  Read by ingest (src/pipeline.c) and
-- by the worker (src/outbound_store.c).
CREATE FUNCTION @extschema@.delivery_targets(destination_url text, multiplexing jsonb,
	OUT urls text[], OUT broadcast boolean)
LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	SELECT array_agg(t.url ORDER BY t.ord),
		coalesce(multiplexing->>'strategy', 'round-robin') = 'broadcast'
	FROM (
		SELECT DISTINCT ON (a.url) a.url, a.ord
		FROM (
			SELECT destination_url AS url, 0::bigint AS ord WHERE destination_url IS NOT NULL
			UNION ALL
			SELECT CASE WHEN d.value ~* '^https?://' THEN d.value ELSE s.endpoint_url END, d.ord
			FROM jsonb_array_elements_text(
				CASE WHEN coalesce((multiplexing->>'enabled')::boolean, true)
					 AND jsonb_typeof(multiplexing->'destinations') = 'array'
				THEN multiplexing->'destinations' END) WITH ORDINALITY AS d(value, ord)
			LEFT JOIN streamflow.services s ON s.id = d.value
		) a
		WHERE a.url IS NOT NULL
		ORDER BY a.url, a.ord
	) t
$$;

-- Re-queues a stream's delivery dead letters (all, or those whose id is in
-- ids); returns how many.  Each goes to its own destination while that is
-- still one of the stream's (streamflow.delivery_targets) or the stream
-- broadcasts or has none now; otherwise to the destination the stream's
-- current destinations give its sequence (one destination_url: that one).  An id that is not a delivery
-- dead letter of the stream is an error (22023) and nothing is re-queued.
CREATE FUNCTION @extschema@.replay_dead_letters(stream text, ids bigint[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	sid text := streamflow.stream_id(stream);
	urls text[];
	broadcast boolean;
	bad bigint[];
	n integer;
BEGIN
	IF ids IS NOT NULL THEN
		SELECT array_agg(i ORDER BY i) INTO bad
		FROM unnest(ids) AS i
		WHERE i IS NULL OR NOT EXISTS (SELECT 1 FROM streamflow.dead_letters d
			WHERE d.id = i AND d.stream_id = sid AND d.destination IS NOT NULL);
		IF bad IS NOT NULL OR array_position(ids, NULL) IS NOT NULL THEN
			RAISE EXCEPTION 'dead letters % are not delivery dead letters of stream "%"',
				coalesce(array_to_string(bad, ', ', 'null'), 'null'), sid
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = 'Only frames that could not be delivered to a destination (dead_letters.destination is set) can be replayed; rejected frames cannot.',
					  HINT = format('List them with SELECT id, reason, last_error FROM streamflow.dead_letters WHERE stream_id = %L AND destination IS NOT NULL.', sid);
		END IF;
	END IF;
	SELECT t.urls, t.broadcast INTO urls, broadcast
	FROM streamflow.streams st, streamflow.delivery_targets(st.destination_url, st.multiplexing) t
	WHERE st.id = sid;
	WITH moved AS (
		DELETE FROM streamflow.dead_letters d
		WHERE d.stream_id = sid AND d.destination IS NOT NULL
		  AND (ids IS NULL OR d.id = ANY (ids))
		RETURNING d.id, d.sequence, d.destination
	)
	INSERT INTO streamflow.deliveries (stream_id, sequence, destination)
	SELECT sid, m.sequence,
		CASE WHEN urls IS NULL OR broadcast OR m.destination = ANY (urls) THEN m.destination
			 ELSE urls[1 + (m.sequence - 1) % cardinality(urls)] END
	FROM moved m ORDER BY m.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;

-- Delivery state per stream with a destination or anything pending: what is
-- pending, the oldest pending row (the one the others wait for) with its
-- attempts and last outcome, dead letters, the circuit of that row's
-- destination, and how many of the stream's destinations have a circuit
-- that is not closed (streamflow.destination_circuits has each).
CREATE VIEW @extschema@.delivery_state AS
SELECT s.id AS stream_id,
	s.destination_url,
	coalesce(p.pending, 0) AS pending,
	coalesce(p.retrying, 0) AS retrying,
	p.oldest_pending_at,
	h.sequence AS head_sequence,
	h.attempts AS head_attempts,
	h.next_attempt_at AS head_next_attempt_at,
	h.last_status,
	h.last_error,
	coalesce(l.dead_letters, 0) AS dead_letters,
	coalesce(c.circuit, 'closed') AS circuit,
	coalesce(c.consecutive_failures, 0) AS consecutive_failures,
	c.opened_until,
	coalesce(o.open_circuits, 0) AS open_circuits
FROM @extschema@.streams s
LEFT JOIN LATERAL (
	SELECT count(*) AS pending, count(*) FILTER (WHERE d.attempts > 0) AS retrying,
		min(d.created_at) AS oldest_pending_at
	FROM @extschema@.deliveries d WHERE d.stream_id = s.id
) p ON true
LEFT JOIN LATERAL (
	SELECT d.sequence, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.destination
	FROM @extschema@.deliveries d WHERE d.stream_id = s.id ORDER BY d.sequence LIMIT 1
) h ON true
LEFT JOIN LATERAL (
	SELECT count(*) AS dead_letters FROM @extschema@.dead_letters l
	WHERE l.stream_id = s.id AND l.destination IS NOT NULL
) l ON true
LEFT JOIN @extschema@.destination_state c ON c.destination = coalesce(h.destination, s.destination_url)
LEFT JOIN LATERAL (
	SELECT count(*) AS open_circuits
	FROM @extschema@.delivery_targets(s.destination_url, s.multiplexing) t,
		unnest(t.urls) AS u(url)
	JOIN @extschema@.destination_state x ON x.destination = u.url AND x.circuit <> 'closed'
) o ON true
WHERE s.destination_url IS NOT NULL OR s.multiplexing IS NOT NULL OR p.pending > 0
	OR l.dead_letters > 0;

GRANT SELECT ON @extschema@.deliveries, @extschema@.destination_state,
	@extschema@.delivery_state TO streamflow_reader;

-------------------------------------------------------------------------------
-- Privileges: nothing for PUBLIC; three roles for ordinary use
-------------------------------------------------------------------------------
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;

GRANT SELECT ON @extschema@.streams, @extschema@.services, @extschema@.frames,
	@extschema@.stream_state, @extschema@.stream_errors, @extschema@.dead_letters
	TO streamflow_reader;

GRANT EXECUTE ON FUNCTION
	@extschema@.stream_id(text),
	@extschema@.get_stream(text),
	@extschema@.get_service(text),
	@extschema@.frames(text, integer),
	@extschema@.frames_since(text, bigint, integer),
	@extschema@.latest_frame(text),
	@extschema@.normalize_stream_config(jsonb, boolean),
	@extschema@.normalize_service_config(jsonb),
	@extschema@.row_json(anyelement),
	@extschema@.validate(jsonb, jsonb),
	@extschema@.validation_errors(jsonb, jsonb),
	@extschema@.apply_bindings(jsonb, jsonb)
	TO streamflow_reader;

GRANT EXECUTE ON FUNCTION
	@extschema@.ingest(text, jsonb, bigint, integer, text, jsonb),
	@extschema@.ingest_batch(text, jsonb, text),
	@extschema@.generate_test_frames(text, integer, integer),
	@extschema@.capture()
	TO streamflow_writer;

GRANT EXECUTE ON FUNCTION
	@extschema@.create_stream(jsonb),
	@extschema@.create_stream(text, jsonb),
	@extschema@.update_stream(text, jsonb),
	@extschema@.drop_stream(text),
	@extschema@.create_service(jsonb),
	@extschema@.drop_service(text),
	@extschema@.enforce_retention(),
	@extschema@.schedule_retention(text),
	@extschema@.unschedule_retention(),
	@extschema@.replay_dead_letters(text, bigint[])
	TO streamflow_admin;

-------------------------------------------------------------------------------
-- Windows: tumbling and sliding aggregates of a stream, computed by the
-- worker as frames arrive (src/window_engine.c), their results stored in
-- window_results and published as frames of a derived stream named after the
-- window.  Definitions: src/window_config.c; over stored frames:
-- window_stats() and health() (src/window_stats.c).
-------------------------------------------------------------------------------

-- One row per window; the name is also its derived stream's name.
CREATE TABLE @extschema@.windows (
	name text PRIMARY KEY,
	stream_id text NOT NULL REFERENCES @extschema@.streams (id) ON DELETE CASCADE,
	derived_stream_id text NOT NULL REFERENCES @extschema@.streams (id) ON DELETE CASCADE,
	config jsonb NOT NULL,
	closed_through timestamptz,
	frames bigint NOT NULL DEFAULT 0,
	late_frames bigint NOT NULL DEFAULT 0,
	skipped_values bigint NOT NULL DEFAULT 0,
	groups_over_cap bigint NOT NULL DEFAULT 0,
	future_frames bigint NOT NULL DEFAULT 0,
	created_at timestamptz NOT NULL DEFAULT now(),
	replay_after_sequence bigint NOT NULL DEFAULT 0
);
CREATE INDEX windows_stream_idx ON @extschema@.windows (stream_id);

COMMENT ON TABLE @extschema@.windows IS
'Windows made by create_window().  config is normalised (durations in milliseconds, paths as "$.a.b").  closed_through is the end of the last window whose results are written (windows ending at or before it are never computed again); frames, late_frames (dropped: their earliest window had closed), skipped_values (values an aggregate could not take: missing, or not a number) groups_over_cap (frames of groups beyond max_groups) and future_frames (refused: an event time more than size + grace + 1 minute ahead of the wall clock) are written by the worker with each close.  replay_after_sequence: every frame of the stream with a sequence at or below it is in a closed window or was dropped, so a worker rebuilding or resyncing the window reads only the frames after it (create_window sets it to the stream''s last sequence; each close advances it to just below the lowest sequence an open window holds).  Dropping the window''s stream or its derived stream drops the window.';

-- One row per closed window and group: what the derived stream publishes.
CREATE TABLE @extschema@.window_results (
	window_name text NOT NULL REFERENCES @extschema@.windows (name) ON DELETE CASCADE,
	group_key jsonb NOT NULL,
	window_start timestamptz NOT NULL,
	window_end timestamptz NOT NULL,
	aggregates jsonb NOT NULL,
	frame_count bigint NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (window_name, window_start, group_key)
);

COMMENT ON TABLE @extschema@.window_results IS
'The results of closed windows: one row per window [window_start, window_end) and group (group_key is JSON null without group_by or for frames lacking the key), aggregates {"<output>": value} and frame_count, the frames of that group in the window.';

-- The config as create_window stores it; 22023 naming the key when it is wrong.
CREATE FUNCTION @extschema@.normalize_window_config(config jsonb)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'streamflow_normalize_window_config'
LANGUAGE C STABLE;

COMMENT ON FUNCTION @extschema@.normalize_window_config(jsonb) IS
'Checks a window config and returns it as create_window stores it (README "Windows").';

-- Creates a window over stream and its derived stream name (status active).
CREATE FUNCTION @extschema@.create_window(stream text, name text, config jsonb)
RETURNS @extschema@.windows
AS 'MODULE_PATHNAME', 'streamflow_create_window'
LANGUAGE C VOLATILE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.create_window(text, text, jsonb) IS
'Creates a window over a stream (by id or name): config {"type": "tumbling" | "sliding", "size", "slide" (sliding only, divides size), "grace", "time": "ingest" | {"path": ...}, "group_by", "max_groups", "aggregates": {"<output>": {"fn": "count" | "sum" | "avg" | "min" | "max" | "rate", "path"}}}.  Creates the active stream its results are published to, named after the window (42710 when a stream or window already has that name).  Windows that ended before the current slide began are never computed.';

-- Drops a window, its results and its derived stream with that stream's frames.
CREATE FUNCTION @extschema@.drop_window(name text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	derived text;
BEGIN
	DELETE FROM streamflow.windows w WHERE w.name = drop_window.name
	RETURNING w.derived_stream_id INTO derived;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'window "%" does not exist', name
			USING ERRCODE = 'undefined_object',
				  HINT = 'List windows with SELECT name, stream_id FROM streamflow.windows.';
	END IF;
	IF EXISTS (SELECT 1 FROM streamflow.streams WHERE id = derived) THEN
		PERFORM streamflow.drop_stream(derived);
	END IF;
	RETURN true;
END
$$;

COMMENT ON FUNCTION @extschema@.drop_window(text) IS
'Drops a window, its results and its derived stream (with that stream''s frames); 42704 when there is no such window.';

-- Tumbling windows over a stream's stored frames, as a live window computes them.
CREATE FUNCTION @extschema@.window_stats(stream text, size interval, "from" timestamptz,
	"to" timestamptz, path text, time_path text DEFAULT NULL, group_by text DEFAULT NULL)
RETURNS TABLE (group_key jsonb, window_start timestamptz, window_end timestamptz,
	frame_count bigint, count bigint, sum double precision, avg double precision,
	min double precision, max double precision, rate double precision)
AS 'MODULE_PATHNAME', 'streamflow_window_stats'
LANGUAGE C STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.window_stats(text, interval, timestamptz, timestamptz, text, text, text) IS
'One row per epoch-aligned window [window_start, window_start + size) and group, over the stored frames whose time (created_at, or the ISO-8601 string or epoch milliseconds at time_path) lies in [from, to); frames without a readable time are left out.  Equals the live tumbling window {"size": size, "time": time_path, "group_by": group_by, "aggregates": {"count": {"fn": "count", "path": path}, "sum"/"avg"/"min"/"max": {"fn": ..., "path": path}, "rate": {"fn": "rate"}}}: count is the frames whose value at path is present and not null (every frame when path is null), sum/avg/min/max take numbers only (null without path; avg, min, max null without numbers), rate is frame_count per second of size.  Unlike a live window it also counts frames a live window would have dropped as late.';

-- Per stream: frames and recorded rejections of the last period, as one window.
CREATE FUNCTION @extschema@.recent_stream_stats(period interval DEFAULT '1 minute')
RETURNS TABLE (stream_id text, frames bigint, rate double precision, errors bigint,
	error_rate double precision, avg_latency_ms double precision)
AS 'MODULE_PATHNAME', 'streamflow_recent_stream_stats'
LANGUAGE C STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.recent_stream_stats(interval) IS
'For every stream that stored a frame or recorded a rejection (streamflow.stream_errors) during the last period: frames, rate (frames per second over period), errors (recorded rejections), error_rate (errors / (frames + errors)) and avg_latency_ms (mean of the frames'' latency_ms).  Computed with the window code (one window of length period).';

-- The threshold alerts of health(), as {alert, stream_id, value, threshold}.
CREATE FUNCTION @extschema@.health_threshold_alerts(period interval DEFAULT '1 minute')
RETURNS TABLE (alert jsonb)
LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	WITH recent AS (
		SELECT * FROM streamflow.recent_stream_stats(period)
	), found AS (
		SELECT s.id AS stream_id, 'LOW_THROUGHPUT' AS alert, coalesce(r.rate, 0) AS value,
			1::double precision AS threshold
		FROM streamflow.streams s LEFT JOIN recent r ON r.stream_id = s.id
		WHERE s.status = 'active'
		UNION ALL
		SELECT st.stream_id, 'HIGH_QUEUE_UTILIZATION', st.queue_utilization, 0.8 FROM streamflow.stream_stats st
		UNION ALL
		SELECT r.stream_id, 'HIGH_ERROR_RATE', r.error_rate, 0.05 FROM recent r
		UNION ALL
		SELECT r.stream_id, 'HIGH_LATENCY', r.avg_latency_ms, 5000 FROM recent r
	)
	SELECT jsonb_build_object('alert', alert, 'stream_id', stream_id, 'value', value, 'threshold', threshold)
	FROM found
	WHERE CASE alert WHEN 'LOW_THROUGHPUT' THEN value < threshold ELSE value > threshold END
$$;

COMMENT ON FUNCTION @extschema@.health_threshold_alerts(interval) IS
'Seed 001''s threshold alerts over the last period (see health()).';

GRANT SELECT ON @extschema@.windows, @extschema@.window_results TO streamflow_reader;
REVOKE ALL ON FUNCTION
	@extschema@.normalize_window_config(jsonb),
	@extschema@.create_window(text, text, jsonb),
	@extschema@.drop_window(text),
	@extschema@.window_stats(text, interval, timestamptz, timestamptz, text, text, text),
	@extschema@.recent_stream_stats(interval),
	@extschema@.health_threshold_alerts(interval)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.normalize_window_config(jsonb),
	@extschema@.window_stats(text, interval, timestamptz, timestamptz, text, text, text),
	@extschema@.recent_stream_stats(interval),
	@extschema@.health_threshold_alerts(interval)
	TO streamflow_reader;
GRANT EXECUTE ON FUNCTION
	@extschema@.create_window(text, text, jsonb),
	@extschema@.drop_window(text)
	TO streamflow_admin;

-------------------------------------------------------------------------------
-- Windows, live side (src/window_engine.c, src/window_current.c): the worker
-- aggregates open windows in memory; window_current() asks it for them
-------------------------------------------------------------------------------

-- The partial values of a window's open windows, from the worker's memory.
CREATE FUNCTION @extschema@.window_current(name text)
RETURNS TABLE (group_key jsonb, window_start timestamptz, window_end timestamptz,
	aggregates jsonb, frame_count bigint)
LANGUAGE c STRICT VOLATILE
AS 'MODULE_PATHNAME', 'streamflow_window_current';

COMMENT ON FUNCTION @extschema@.window_current(text) IS
'The windows of a window definition that are still open (not yet written to window_results), with the aggregates of the frames the worker has counted so far, one row per window and group.  Asked of the worker through shared memory: 55000 when the worker is not running; an answer larger than streamflow.window_current_bytes is refused.';

REVOKE ALL ON FUNCTION @extschema@.window_current(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.window_current(text) TO streamflow_reader;

-- Outbound multiplexing and circuits: a stream delivers to its destination_url
-- and to its multiplexing destinations (http(s) URLs or service ids, resolved
-- to the service's endpoint_url); each destination has its own circuit.
-------------------------------------------------------------------------------

-- Checks a stream's multiplexing destinations that are service ids: the
-- service exists and has an http(s) endpoint_url (22023 naming the key).
CREATE FUNCTION @extschema@.check_stream_destinations()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	d record;
	url text;
BEGIN
	IF jsonb_typeof(NEW.multiplexing->'destinations') <> 'array' THEN
		RETURN NEW;
	END IF;
	FOR d IN SELECT value, ord - 1 AS i
			 FROM jsonb_array_elements_text(NEW.multiplexing->'destinations') WITH ORDINALITY AS e(value, ord)
			 WHERE value !~* '^https?://' LOOP
		IF NOT EXISTS (SELECT 1 FROM streamflow.services WHERE id = d.value) THEN
			RAISE EXCEPTION 'service "%" named by stream option "multiplexing.destinations[%]" does not exist', d.value, d.i
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'Create it first with streamflow.create_service(), with an endpoint_url, or give an http(s) URL.';
		END IF;
		SELECT endpoint_url INTO url FROM streamflow.services WHERE id = d.value;
		IF url IS NULL OR url !~* '^https?://' THEN
			RAISE EXCEPTION 'service "%" named by stream option "multiplexing.destinations[%]" has no http(s) endpoint_url', d.value, d.i
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = format('Its endpoint_url is %s.', coalesce(quote_literal(url), 'not set')),
					  HINT = 'Deliveries are POSTed to the service''s endpoint_url: create the service with an http:// or https:// endpoint_url.';
		END IF;
	END LOOP;
	RETURN NEW;
END
$$;

CREATE TRIGGER streams_check_destinations
	BEFORE INSERT OR UPDATE OF multiplexing ON @extschema@.streams
	FOR EACH ROW EXECUTE FUNCTION @extschema@.check_stream_destinations();

-- A service a stream's multiplexing delivers to cannot be dropped (2BP01).
CREATE FUNCTION @extschema@.check_service_unused()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	sid text;
BEGIN
	SELECT s.id INTO sid FROM streamflow.streams s
	WHERE s.multiplexing->'destinations' @> to_jsonb(OLD.id) LIMIT 1;
	IF sid IS NOT NULL THEN
		RAISE EXCEPTION 'service "%" is still used by a stream', OLD.id
			USING ERRCODE = 'dependent_objects_still_exist',
				  DETAIL = format('Stream "%s" delivers to it (multiplexing.destinations).', sid),
				  HINT = 'Remove it from the stream''s multiplexing destinations first.';
	END IF;
	RETURN OLD;
END
$$;

CREATE TRIGGER services_check_unused
	BEFORE DELETE ON @extschema@.services
	FOR EACH ROW EXECUTE FUNCTION @extschema@.check_service_unused();

-- Every destination of every stream with its circuit breaker (as the worker
-- last wrote it) and what is pending for it.
CREATE VIEW @extschema@.destination_circuits AS
SELECT s.id AS stream_id,
	u.url AS destination,
	coalesce(c.circuit, 'closed') AS circuit,
	coalesce(c.consecutive_failures, 0) AS consecutive_failures,
	c.opened_until,
	(SELECT count(*) FROM @extschema@.deliveries d
	 WHERE d.stream_id = s.id AND d.destination = u.url) AS pending
FROM @extschema@.streams s
CROSS JOIN LATERAL @extschema@.delivery_targets(s.destination_url, s.multiplexing) t
CROSS JOIN LATERAL unnest(t.urls) AS u(url)
LEFT JOIN @extschema@.destination_state c ON c.destination = u.url;

-- health()'s alert for a destination whose circuit is not closed (open, or
-- half-open while its probe is out): one row per stream and destination, in
-- health()'s alert shape (value: its failures in a row, at least 1;
-- threshold 0, so value > threshold always holds), plus the destination.
CREATE VIEW @extschema@.circuit_alerts AS
SELECT c.stream_id, 'CIRCUIT_OPEN'::text AS alert,
	greatest(c.consecutive_failures, 1)::double precision AS value,
	0::double precision AS threshold,
	c.destination, c.circuit, c.opened_until
FROM @extschema@.destination_circuits c
WHERE c.circuit <> 'closed';

REVOKE ALL ON FUNCTION @extschema@.delivery_targets(text, jsonb),
	@extschema@.check_stream_destinations(), @extschema@.check_service_unused() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.delivery_targets(text, jsonb) TO streamflow_reader;
GRANT SELECT ON @extschema@.destination_circuits, @extschema@.circuit_alerts TO streamflow_reader;

-------------------------------------------------------------------------------
-- health(): every source of alerts in one answer
-------------------------------------------------------------------------------

-- healthy, or degraded with the alerts of every source.
CREATE FUNCTION @extschema@.health(period interval DEFAULT '1 minute',
	OUT status text, OUT alerts jsonb)
LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
	WITH raised AS (
		SELECT a.alert FROM streamflow.health_threshold_alerts(period) a
		UNION ALL
		SELECT jsonb_build_object('alert', c.alert, 'stream_id', c.stream_id, 'value', c.value,
			'threshold', c.threshold, 'destination', c.destination)
		FROM streamflow.circuit_alerts c
		-- each further source of alerts is one line: UNION ALL SELECT <alert jsonb> FROM ...
	)
	SELECT CASE WHEN count(*) = 0 THEN 'healthy' ELSE 'degraded' END,
		coalesce(jsonb_agg(alert ORDER BY alert->>'stream_id', alert->>'alert', alert::text), '[]')
	FROM raised
$$;

COMMENT ON FUNCTION @extschema@.health(interval) IS
'healthy, or degraded with alerts [{alert, stream_id, value, threshold}] on seed 001''s thresholds, computed over the last period by recent_stream_stats() (the window code over stored frames, not lifetime counters): LOW_THROUGHPUT when an active stream''s throughput (frames stored during the last period divided by its length in seconds, i.e. frames per second) is below 1; HIGH_ERROR_RATE when the rejections recorded in stream_errors during the period exceed 0.05 of frames plus rejections; HIGH_LATENCY when the mean latency_ms of the period''s frames exceeds 5000 (5 s).  HIGH_QUEUE_UTILIZATION when a stream''s queue_utilization (stream_stats, now) exceeds 0.8.  CIRCUIT_OPEN (with the destination) while a destination''s circuit is not closed (circuit_alerts).  Inactive and paused streams are not expected to flow.';

REVOKE ALL ON FUNCTION @extschema@.health(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.health(interval) TO streamflow_reader;

-------------------------------------------------------------------------------
-- The worker's authorization cache (auth_cache.c): a statement that changes
-- tokens, or the ids and names of streams, makes the worker decide again
-- once its transaction commits.
-------------------------------------------------------------------------------

CREATE FUNCTION @extschema@.auth_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'streamflow_auth_changed'
LANGUAGE C;
REVOKE ALL ON FUNCTION @extschema@.auth_changed() FROM PUBLIC;

CREATE TRIGGER tokens_auth_changed
	AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF token_hash, streams, scopes, revoked_at
	ON @extschema@.tokens
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.auth_changed();
CREATE TRIGGER streams_auth_changed
	AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF id, name
	ON @extschema@.streams
	FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.auth_changed();
