-- streams: create_stream / update_stream / get_stream / drop_stream and the
-- stream config contract (DESIGN.md, "Streams and services").
CREATE EXTENSION streamflow;
\set SHOW_CONTEXT never

-- The request bodies of the seeds, kept as they are sent.
CREATE TEMP TABLE input (label text PRIMARY KEY, body jsonb NOT NULL);
INSERT INTO input VALUES
('market', '{"name": "Market Data Feed", "symbol": "eth-usd", "description": "Ethereum price feed",
  "frequency": "1s", "sla_ms": 1000, "status": "active",
  "metadata": {"source": "exchange-api", "env": "production"}}'),
('crawler', '{
  "name": "Crawler to AI Stream",
  "source_service_id": "svc_crawler_xyz",
  "destination_service_id": "svc_ai_abc",
  "stream_type": "websocket",
  "direction": "bidirectional",
  "data_format": "json",
  "realtime_protocol": "wss",
  "buffer_size": 100,
  "attribute_bindings": [
    {"source_attribute": "page_url", "destination_attribute": "page_url", "transform": "passthrough"},
    {"source_attribute": "page_content", "destination_attribute": "content", "transform": "passthrough"},
    {"source_attribute": "meta_data", "destination_attribute": "metadata", "transform": "passthrough"}
  ],
  "data_schema": {
    "type": "object",
    "required": ["page_url", "content"],
    "properties": {
      "page_url": {"type": "string", "format": "uri"},
      "content": {"type": "string"},
      "metadata": {"type": "object"}
    }
  },
  "retry_policy": {"max_retries": 3, "backoff_ms": 1000}
}');

--
-- Seed 002's "Create Stream" body, verbatim, through create_stream(jsonb)
--
-- the result is the stream as get_stream shows it; the id is generated
SELECT streamflow.create_stream(body) - 'id' - 'created_at' - 'updated_at' AS created
FROM input WHERE label = 'market';
SELECT id ~ '^stream_[0-9a-f]{12}$' AS generated_id, created_at = updated_at AS same_times
FROM streamflow.streams WHERE name = 'Market Data Feed';
-- every key sent comes back with the value sent, except symbol (upper-cased)
SELECT i.key, i.value = s.value AS same, s.value AS stored
FROM input, jsonb_each(body) i
LEFT JOIN jsonb_each(streamflow.get_stream('Market Data Feed')) s USING (key)
WHERE label = 'market' ORDER BY i.key COLLATE "C";
-- the stream is found by id as well as by name
SELECT streamflow.get_stream(id) = streamflow.get_stream(name) AS same_stream,
       streamflow.stream_id(name) = id AS stream_id_resolves
FROM streamflow.streams WHERE name = 'Market Data Feed';

--
-- Seed 000 Procedure 1 Step 3 ("Crawler to AI Stream"): its services first
--
SELECT streamflow.create_service('{"id": "svc_crawler_xyz", "name": "Web Crawler Service",
  "service_type": "data-processor", "workflow_id": "wf_campaign_123",
  "output_attributes": [{"name": "page_url", "type": "string"},
    {"name": "page_content", "type": "string"}, {"name": "meta_data", "type": "object"}],
  "supports_realtime": true, "stream_direction": "outbound"}') ->> 'id' AS source_service;
SELECT streamflow.create_service('{"id": "svc_ai_abc", "name": "AI Analysis Service",
  "service_type": "ai-engine", "workflow_id": "wf_campaign_123",
  "input_attributes": [{"name": "page_url", "type": "string"},
    {"name": "content", "type": "string"}, {"name": "metadata", "type": "object"}],
  "output_attributes": [{"name": "analysis_result", "type": "object"},
    {"name": "confidence_score", "type": "number"}],
  "supports_realtime": true, "stream_direction": "bidirectional"}') ->> 'id' AS destination_service;
SELECT streamflow.create_stream(body) ->> 'name' AS created
FROM input WHERE label = 'crawler';
-- every key sent comes back unchanged
SELECT i.key, i.value = s.value AS same
FROM input, jsonb_each(body) i
LEFT JOIN jsonb_each(streamflow.get_stream('Crawler to AI Stream')) s USING (key)
WHERE label = 'crawler' ORDER BY i.key COLLATE "C";
-- and the keys not sent have their defaults
SELECT s.key, s.value
FROM input, jsonb_each(streamflow.get_stream(body ->> 'name')) s
WHERE label = 'crawler' AND NOT body ? s.key AND s.key NOT IN ('id', 'created_at', 'updated_at')
ORDER BY s.key COLLATE "C";

--
-- Every documented key is accepted (and normalised where the contract says so)
--
SELECT key, value FROM jsonb_each(streamflow.create_stream('{
  "id": "stream_full", "name": "  Full Stream  ", "symbol": "  btc-usd ", "description": "all keys",
  "frequency": "250ms", "sla_ms": -5, "status": "paused", "metadata": {"a": 1},
  "account_id": "acct_1", "stream_type": "webhook", "direction": "source-to-destination",
  "data_format": "text", "realtime_protocol": "https", "buffer_size": 1, "polling_interval_ms": 500,
  "retry_policy": {"max_retries": 0, "backoff_ms": 0, "max_backoff_ms": 30000, "exponential": true, "jitter": false},
  "data_schema": true,
  "attribute_bindings": [
    {"source_attribute": "items", "destination_attribute": "big", "transform": "filter", "jsonpath": "$[*] ? (@ > 10)", "required": true},
    {"source_attribute": "items", "destination_attribute": "prices", "transform": "map", "jsonpath": "$[*].price"},
    {"source_attribute": "n", "destination_attribute": "total", "transform": "sum", "aggregation_window_ms": 60000}],
  "source_service_id": "svc_crawler_xyz", "destination_service_id": "svc_ai_abc",
  "source_url": "wss://feed.example.com/ws", "destination_url": "https://hooks.example.com/in",
  "auth_headers": {"Authorization": "Bearer x"},
  "backpressure": {"max_queue_size": 1000, "strategy": "drop_oldest"},
  "batching": {"batch_size": 100, "batch_timeout_ms": 0},
  "dead_letter_queue": {"enabled": true, "max_retries": 3, "queue_service_id": "svc_dlq", "retention_hours": 168},
  "multiplexing": {"enabled": true, "destinations": ["https://a.example.com/in", "https://b.example.com/in"], "strategy": "broadcast"},
  "aggregation": {"enabled": true, "sources": ["svc_crawler_1", "svc_crawler_2"], "merge_strategy": "merge", "deduplication": true, "dedup_key": "page_url"},
  "retention": "7 days",
  "webhook_secret": "0123456789abcdef0123"}') - 'created_at' - 'updated_at' - 'retention') ORDER BY key COLLATE "C";
-- name trimmed, symbol trimmed and upper-cased, sla_ms clamped to 0
SELECT name, symbol, sla_ms, status, retention = '7 days' AS retention_7_days
FROM streamflow.streams WHERE id = 'stream_full';
-- get_stream gives retention as an interval's text
SELECT (streamflow.get_stream('stream_full') ->> 'retention')::interval = '7 days' AS retention_7_days;

--
-- webhook_secret is write-only: stored apart, never listed
--
SELECT stream_id, webhook_secret FROM streamflow.stream_secrets;
SELECT count(*) AS secret_in_get_stream FROM streamflow.streams
WHERE streamflow.get_stream(id)::text LIKE '%0123456789abcdef%';
SELECT count(*) AS secret_in_listing FROM streamflow.streams s WHERE to_jsonb(s)::text LIKE '%0123456789abcdef%';
SELECT attname FROM pg_attribute
WHERE attrelid = 'streamflow.streams'::regclass AND attname LIKE '%secret%';
-- rotated by update_stream (the result does not show it either), removed with null
SELECT streamflow.update_stream('stream_full', '{"webhook_secret": "fedcba9876543210fedcba"}') ? 'webhook_secret' AS shown;
SELECT stream_id, webhook_secret FROM streamflow.stream_secrets;
SELECT streamflow.update_stream('stream_full', '{"webhook_secret": null}') ? 'webhook_secret' AS shown;
SELECT count(*) AS secrets FROM streamflow.stream_secrets;
CALL public.err($$SELECT streamflow.create_stream('{"name": "s", "webhook_secret": "short"}')$$);
CALL public.err($$SELECT streamflow.update_stream('stream_full', '{"webhook_secret": "0123456789abcde"}')$$);

--
-- "stream_id" is another name for "id"; giving both is an error
--
SELECT streamflow.create_stream('{"name": "Alias", "stream_id": "stream_alias"}') ->> 'id' AS id;
CALL public.err($$SELECT streamflow.create_stream('{"name": "Alias2", "id": "a", "stream_id": "b"}')$$);

--
-- An untyped literal holding the whole config resolves to create_stream(text)
-- and is taken as the config
--
SELECT streamflow.create_stream('{"name": "Untyped", "id": "stream_untyped", "symbol": "abc"}')
	- 'created_at' - 'updated_at' AS created;
SELECT streamflow.create_stream('  {"name": "Untyped2", "id": "stream_untyped2"}') ->> 'id' AS id;
-- a plain name with a config; the name argument wins over a "name" in config
SELECT streamflow.create_stream('Named', '{"id": "stream_named", "sla_ms": 50}')
	- 'created_at' - 'updated_at' AS created;
SELECT streamflow.create_stream('Named2', '{"id": "stream_named2", "name": "ignored"}') ->> 'name' AS name;
SELECT streamflow.create_stream(' Named3 ') ->> 'name' AS name;

--
-- Ids: letters, digits, "_", "-", ".", ":", starting alphanumeric, at most 51 characters
--
SELECT streamflow.create_stream('Id ok', '{"id": "A1_b-c.d:e"}') ->> 'id' AS id;
SELECT streamflow.create_stream('Id 51', jsonb_build_object('id', repeat('x', 51))) ->> 'id' = repeat('x', 51) AS id_51;
CALL public.err(format('SELECT streamflow.create_stream(%L)', jsonb_build_object('name', 'Id 52', 'id', repeat('x', 52))));
CALL public.err($$SELECT streamflow.create_stream('{"name": "Bad id", "id": "has space"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "Bad id", "id": "slash/id"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "Bad id", "id": "_leading"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "Bad id", "id": ""}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "Bad id", "id": "é"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "Bad id", "id": 42}')$$);

--
-- Duplicates: ids and names share one namespace (42710)
--
CALL public.err($$SELECT streamflow.create_stream('{"name": "Market Data Feed"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "Other", "id": "stream_full"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "stream_full"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "Other", "id": "Named"}')$$);
CALL public.err($$SELECT streamflow.create_stream('  Market Data Feed  ')$$);

--
-- name: required, a non-empty string
--
CALL public.err($$SELECT streamflow.create_stream('{"symbol": "x"}'::jsonb)$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": null}'::jsonb)$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "   "}'::jsonb)$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": 7}'::jsonb)$$);
CALL public.err($$SELECT streamflow.create_stream('', '{}')$$);

--
-- The config must be an object
--
CALL public.err($$SELECT streamflow.create_stream('[]'::jsonb)$$);
CALL public.err($$SELECT streamflow.create_stream('"Market"'::jsonb)$$);
CALL public.err($$SELECT streamflow.create_stream(NULL::jsonb)$$);
CALL public.err($$SELECT streamflow.create_stream(NULL::text)$$);

--
-- Unknown keys are rejected at every level, naming the key
--
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "foo": 1}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "Name": "U"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "retry_policy": {"max_retries": 1, "foo": 2}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "backpressure": {"size": 2}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "batching": {"batch_size": 2, "x": 1}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "dead_letter_queue": {"retention_days": 2}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "multiplexing": {"mode": "x"}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "aggregation": {"window": 1}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "fn": "x"}]}')$$);

--
-- Values checked against their lists
--
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "status": "bogus"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "status": "ACTIVE"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "stream_type": "grpc"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "direction": "destination-to-source"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "data_format": "xml"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "realtime_protocol": "ftp"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "backpressure": {"strategy": "drop_all"}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "multiplexing": {"strategy": "random"}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "transform": "passthrough"}, {"source_attribute": "a", "destination_attribute": "b", "transform": "reverse"}]}')$$);
-- every transform of seed 000's table is accepted
SELECT streamflow.normalize_stream_config(jsonb_build_object('name', 'n', 'attribute_bindings',
	jsonb_agg(jsonb_build_object('source_attribute', 'a', 'destination_attribute', t, 'transform', t)
		|| CASE WHEN t IN ('filter', 'map') THEN '{"jsonpath": "$"}'::jsonb ELSE '{}' END)))
	-> 'attribute_bindings' @> '[{"transform": "json_stringify"}]' AS all_transforms
FROM unnest(ARRAY['passthrough', 'lowercase', 'uppercase', 'sum', 'average', 'count', 'filter',
	'map', 'flatten', 'json_parse', 'json_stringify']) t;

--
-- attribute_bindings: filter and map need a valid jsonpath; source and destination required
--
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "transform": "filter"}]}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "transform": "map", "jsonpath": null}]}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "transform": "filter", "jsonpath": "$ ? (@ >"}]}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "jsonpath": 5}]}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "attribute_bindings": [{"source_attribute": "a"}]}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "attribute_bindings": {"source_attribute": "a"}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "attribute_bindings": ["a"]}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "aggregation_window_ms": 0}]}')$$);

--
-- Wrong JSON types, each naming its key (and nested path)
--
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "sla_ms": "1000"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "sla_ms": 1.5}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "sla_ms": 3000000000}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "symbol": ["x"]}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "description": 1}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "metadata": "x"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "metadata": [1]}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "buffer_size": 0}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "polling_interval_ms": true}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "retry_policy": {"exponential": "yes"}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "retry_policy": {"max_retries": -1}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "retry_policy": 3}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "data_schema": "object"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "auth_headers": {"X-Key": 1}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "auth_headers": ["x"]}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "multiplexing": {"destinations": ["a", 2]}}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "source_service_id": 1}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "frequency": "1 second"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "frequency": 1}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "frequency": "0s"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "frequency": "-1s"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "source_url": "ftp://example.com/x"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "destination_url": "https://"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "dead_letter_queue": {"retention_hours": 0}}')$$);

--
-- retention: a positive interval
--
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "retention": "forever"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "retention": "-1 day"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "retention": "0"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "retention": 7}')$$);
SELECT (streamflow.create_stream('Retained', '{"id": "stream_retained", "retention": "36 hours"}') ->> 'retention')::interval
	= '36 hours' AS retention_36_hours;

--
-- source_service_id / destination_service_id must name existing services (22023)
--
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "source_service_id": "svc_nope"}')$$);
CALL public.err($$SELECT streamflow.create_stream('{"name": "u", "source_service_id": "svc_crawler_xyz", "destination_service_id": "svc_nope"}')$$);

-- nothing was created by any rejected call
SELECT CASE WHEN id ~ '^stream_[0-9a-f]{12}$' THEN '(generated)' ELSE left(id, 20) END AS id, name
FROM streamflow.streams ORDER BY name COLLATE "C";

--
-- update_stream: seed 002's partial update; the keys not given stay
--
SELECT streamflow.update_stream('Market Data Feed', '{"status": "paused", "sla_ms": 2000}')
	- 'id' - 'created_at' - 'updated_at' AS updated;
SELECT updated_at >= created_at AS touched FROM streamflow.streams WHERE name = 'Market Data Feed';
-- by id too; values are normalised as on create
SELECT streamflow.update_stream(id, '{"symbol": " btc-eur ", "sla_ms": -1, "description": "BTC"}')
	- 'id' - 'created_at' - 'updated_at' AS updated
FROM streamflow.streams WHERE name = 'Market Data Feed';
-- an empty patch changes nothing
SELECT streamflow.update_stream('Market Data Feed', '{}') - 'updated_at'
	= streamflow.get_stream('Market Data Feed') - 'updated_at' AS unchanged;
-- a nested object is replaced as a whole
SELECT streamflow.update_stream('Crawler to AI Stream', '{"retry_policy": {"max_retries": 5}}') -> 'retry_policy' AS retry_policy;
-- null clears an optional key; keys with a default go back to it
SELECT streamflow.update_stream('Market Data Feed',
	'{"description": null, "symbol": null, "frequency": null, "status": null, "sla_ms": null, "metadata": null}')
	- 'id' - 'created_at' - 'updated_at' AS cleared;
SELECT streamflow.update_stream('Crawler to AI Stream', '{"source_service_id": null, "attribute_bindings": null}')
	?| ARRAY['source_service_id', 'attribute_bindings'] AS still_there;
-- name cannot be cleared
CALL public.err($$SELECT streamflow.update_stream('Market Data Feed', '{"name": null}')$$);
CALL public.err($$SELECT streamflow.update_stream('Market Data Feed', '{"name": " "}')$$);
-- id cannot change (giving the same id is accepted)
CALL public.err($$SELECT streamflow.update_stream('stream_full', '{"id": "stream_other"}')$$);
CALL public.err($$SELECT streamflow.update_stream('stream_full', '{"stream_id": "stream_other"}')$$);
SELECT streamflow.update_stream('stream_full', '{"id": "stream_full", "description": "same id"}') ->> 'description' AS description;
-- patches are validated like configs
CALL public.err($$SELECT streamflow.update_stream('stream_full', '{"foo": 1}')$$);
CALL public.err($$SELECT streamflow.update_stream('stream_full', '{"status": "stopped"}')$$);
CALL public.err($$SELECT streamflow.update_stream('stream_full', '{"retry_policy": {"foo": 1}}')$$);
CALL public.err($$SELECT streamflow.update_stream('stream_full', '{"retention": "-2 days"}')$$);
CALL public.err($$SELECT streamflow.update_stream('stream_full', '{"source_service_id": "svc_nope"}')$$);
CALL public.err($$SELECT streamflow.update_stream('stream_full', '[]')$$);
CALL public.err($$SELECT streamflow.update_stream('stream_full', NULL)$$);
-- rename; conflicts with another stream's name or id (42710)
CALL public.err($$SELECT streamflow.update_stream('stream_full', '{"name": "Market Data Feed"}')$$);
CALL public.err($$SELECT streamflow.update_stream('stream_full', '{"name": "stream_named"}')$$);
SELECT streamflow.update_stream('stream_full', '{"name": " Full Stream "}') ->> 'name' AS same_name;
SELECT streamflow.update_stream('Full Stream', '{"name": "Renamed Stream"}') ->> 'name' AS renamed;
SELECT streamflow.get_stream('Renamed Stream') ->> 'id' AS id;
CALL public.err($$SELECT streamflow.get_stream('Full Stream')$$);
-- unknown stream (42704)
CALL public.err($$SELECT streamflow.update_stream('no such stream', '{"sla_ms": 1}')$$);
-- nothing rejected was applied
SELECT name, status, sla_ms, description FROM streamflow.streams WHERE id = 'stream_full';

--
-- drop_stream: removes the stream with its frames, state and secret
--
SELECT streamflow.create_stream('{"id": "stream_doomed", "name": "Doomed", "webhook_secret": "0123456789abcdef"}') ->> 'id' AS id;
SELECT (streamflow.ingest('Doomed', '{"n": 1}')).sequence;
SELECT (streamflow.ingest('stream_doomed', '{"n": 2}')).sequence;
SELECT (SELECT count(*) FROM streamflow.frames WHERE stream_id = 'stream_doomed') AS frames,
       (SELECT count(*) FROM streamflow.stream_state WHERE stream_id = 'stream_doomed') AS state,
       (SELECT count(*) FROM streamflow.stream_secrets WHERE stream_id = 'stream_doomed') AS secrets;
SELECT streamflow.drop_stream('Doomed');
SELECT (SELECT count(*) FROM streamflow.frames WHERE stream_id = 'stream_doomed') AS frames,
       (SELECT count(*) FROM streamflow.stream_state WHERE stream_id = 'stream_doomed') AS state,
       (SELECT count(*) FROM streamflow.stream_secrets WHERE stream_id = 'stream_doomed') AS secrets,
       (SELECT count(*) FROM streamflow.streams WHERE id = 'stream_doomed') AS streams;
-- by id as well
SELECT streamflow.drop_stream('stream_named2');
-- unknown stream (42704)
CALL public.err($$SELECT streamflow.drop_stream('Doomed')$$);
CALL public.err($$SELECT streamflow.get_stream('Doomed')$$);
CALL public.err($$SELECT streamflow.stream_id('Doomed')$$);
-- the name is free again
SELECT streamflow.create_stream('{"id": "stream_doomed", "name": "Doomed"}') ->> 'id' AS id;

-- the listing
SELECT CASE WHEN id ~ '^stream_[0-9a-f]{12}$' THEN '(generated)' ELSE left(id, 20) END AS id, name, status, sla_ms
FROM streamflow.streams ORDER BY name COLLATE "C";

DROP EXTENSION streamflow CASCADE;
