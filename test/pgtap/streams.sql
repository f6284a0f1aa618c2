-- streams.sql: create_stream / get_stream / update_stream / drop_stream and
-- the stream config rules of DESIGN.md ("Streams and services").
BEGIN;
SELECT plan(139);

\ir helpers.psql

-- A stream's config as get_stream returns it, without the server-made keys.
CREATE FUNCTION pg_temp.sf_cfg(stream text) RETURNS jsonb LANGUAGE sql AS $f$
	SELECT streamflow.get_stream(stream) - 'id' - 'created_at' - 'updated_at'
$f$;

-------------------------------------------------------------------------------
-- Seed bodies are accepted verbatim and round-trip through get_stream
-------------------------------------------------------------------------------
SELECT lives_ok(
	$$SELECT streamflow.create_stream($j${"name": "Market Data Feed", "symbol": "eth-usd", "description": "Ethereum price feed", "frequency": "1s", "sla_ms": 1000, "status": "active", "metadata": {"source": "exchange-api", "env": "production"}}$j$::jsonb)$$,
	'seed 002 body "Market Data Feed" is accepted verbatim');
SELECT is(pg_temp.sf_cfg('Market Data Feed'),
	$j${"name": "Market Data Feed", "symbol": "ETH-USD", "description": "Ethereum price feed", "frequency": "1s", "sla_ms": 1000, "status": "active", "metadata": {"source": "exchange-api", "env": "production"}}$j$::jsonb,
	'Market Data Feed round-trips through get_stream, symbol upper-cased to ETH-USD');
SELECT matches(streamflow.get_stream('Market Data Feed')->>'id', '^stream_[A-Za-z0-9]+$',
	'a stream created without id gets a seed-style id (stream_...)');
SELECT is(streamflow.get_stream(streamflow.get_stream('Market Data Feed')->>'id'),
	streamflow.get_stream('Market Data Feed'),
	'a stream is found by id and by name alike');
SELECT is((SELECT id FROM streamflow.streams WHERE name = 'Market Data Feed'), streamflow.get_stream('Market Data Feed')->>'id',
	'get_stream reports the id the streamflow.streams listing shows');
SELECT results_eq(
	$$SELECT name, symbol, description, frequency, sla_ms, status, metadata FROM streamflow.streams WHERE name = 'Market Data Feed'$$,
	$$VALUES ('Market Data Feed'::text, 'ETH-USD'::text, 'Ethereum price feed'::text, '1s'::text, 1000, 'active'::text,
	          '{"source": "exchange-api", "env": "production"}'::jsonb)$$,
	'the streamflow.streams listing shows the stored config');
SELECT ok(streamflow.get_stream('Market Data Feed') ? 'created_at' AND streamflow.get_stream('Market Data Feed') ? 'updated_at',
	'get_stream reports created_at and updated_at');

-- Seed 000, Procedure 1: the two services first, then the stream.
SELECT lives_ok(
	$$SELECT streamflow.create_service($j${"id": "svc_crawler_xyz", "name": "Web Crawler Service", "service_type": "data-processor", "workflow_id": "wf_campaign_123", "output_attributes": [{"name": "page_url", "type": "string"}, {"name": "page_content", "type": "string"}, {"name": "meta_data", "type": "object"}], "supports_realtime": true, "stream_direction": "outbound"}$j$)$$,
	'seed 000 step 1 service (svc_crawler_xyz) is created');
SELECT lives_ok(
	$$SELECT streamflow.create_service($j${"id": "svc_ai_abc", "name": "AI Analysis Service", "service_type": "ai-engine", "workflow_id": "wf_campaign_123", "input_attributes": [{"name": "page_url", "type": "string"}, {"name": "content", "type": "string"}, {"name": "metadata", "type": "object"}], "output_attributes": [{"name": "analysis_result", "type": "object"}, {"name": "confidence_score", "type": "number"}], "supports_realtime": true, "stream_direction": "bidirectional"}$j$)$$,
	'seed 000 step 2 service (svc_ai_abc) is created');
SELECT lives_ok($$SELECT streamflow.create_stream($j$
{
  "name": "Crawler to AI Stream",
  "source_service_id": "svc_crawler_xyz",
  "destination_service_id": "svc_ai_abc",
  "stream_type": "websocket",
  "direction": "bidirectional",
  "data_format": "json",
  "realtime_protocol": "wss",
  "buffer_size": 100,
  "attribute_bindings": [
    {
      "source_attribute": "page_url",
      "destination_attribute": "page_url",
      "transform": "passthrough"
    },
    {
      "source_attribute": "page_content",
      "destination_attribute": "content",
      "transform": "passthrough"
    },
    {
      "source_attribute": "meta_data",
      "destination_attribute": "metadata",
      "transform": "passthrough"
    }
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
  "retry_policy": {
    "max_retries": 3,
    "backoff_ms": 1000
  }
}$j$::jsonb)$$,
	'seed 000 "Crawler to AI Stream" body (Procedure 1, Step 3) is accepted verbatim');
SELECT is(pg_temp.sf_cfg('Crawler to AI Stream') - 'status' - 'sla_ms' - 'metadata', $j$
{
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
}$j$::jsonb,
	'Crawler to AI Stream round-trips through get_stream (bindings, schema, retry policy unchanged)');
SELECT is(pg_temp.sf_cfg('Crawler to AI Stream') - 'name' - 'source_service_id' - 'destination_service_id'
	- 'stream_type' - 'direction' - 'data_format' - 'realtime_protocol' - 'buffer_size'
	- 'attribute_bindings' - 'data_schema' - 'retry_policy',
	'{"status": "inactive", "sla_ms": 0, "metadata": {}}'::jsonb,
	'defaults: status inactive, sla_ms 0, metadata {} and nothing else added');

-- The two create_stream variants
SELECT is(streamflow.create_stream('{"name": "untyped literal", "symbol": "abc"}')->>'name', 'untyped literal',
	'an untyped JSON literal given alone is taken as the whole config');
SELECT is(streamflow.create_stream('named by argument', '{"symbol": "def"}') - 'id' - 'created_at' - 'updated_at',
	'{"name": "named by argument", "symbol": "DEF", "status": "inactive", "sla_ms": 0, "metadata": {}}'::jsonb,
	'create_stream(name, config) takes the name from its first argument');
SELECT is(streamflow.create_stream('argument wins', '{"name": "config name"}')->>'name', 'argument wins',
	'create_stream(name, config): the name argument overrides a name in config');
CREATE TEMP TABLE sf_returned AS SELECT streamflow.create_stream('{"name": "returned"}'::jsonb) AS r;
SELECT is((SELECT r FROM sf_returned), streamflow.get_stream('returned'),
	'create_stream returns the stream as get_stream does');
SELECT is(streamflow.create_stream('{"name": "given id", "id": "stream_given1"}'::jsonb)->>'id', 'stream_given1',
	'a supplied id is kept');
SELECT is(streamflow.create_stream('{"name": "aliased id", "stream_id": "stream_alias1"}'::jsonb)->>'id', 'stream_alias1',
	'stream_id is accepted as another name for id');

-------------------------------------------------------------------------------
-- name: required, a string, trimmed, not empty
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.create_stream('{"symbol": "x"}'::jsonb)$$,
	'22023', 'stream option "name" is required', 'name is required (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "   "}'::jsonb)$$,
	'22023', 'stream option "name" must not be empty', 'a blank name is rejected after trimming (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": 123}'::jsonb)$$,
	'22023', 'stream option "name" must be a string', 'name must be a string (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": null}'::jsonb)$$,
	'22023', 'stream option "name" is required', 'a null name counts as missing (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream(NULL::jsonb)$$,
	'22023', NULL, 'a null config is rejected with 22023, not a constraint violation');
SELECT is(streamflow.create_stream('{"name": "  Padded Name \t "}'::jsonb)->>'name', 'Padded Name',
	'name is trimmed');
SELECT is(streamflow.get_stream('Padded Name')->>'name', 'Padded Name', 'the trimmed name finds the stream');

-------------------------------------------------------------------------------
-- symbol, sla_ms, status
-------------------------------------------------------------------------------
SELECT is(streamflow.create_stream('{"name": "sym", "symbol": "  btc-usd  "}'::jsonb)->>'symbol', 'BTC-USD',
	'symbol is trimmed and upper-cased');
SELECT is((streamflow.create_stream('{"name": "neg sla", "sla_ms": -250}'::jsonb)->>'sla_ms')::int, 0,
	'a negative sla_ms becomes 0');
SELECT is((SELECT sla_ms FROM streamflow.streams WHERE name = 'neg sla'), 0, 'the stored sla_ms is 0');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "sla_ms": "1000"}'::jsonb)$$,
	'22023', 'stream option "sla_ms" must be an integer', 'sla_ms must be a number (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "sla_ms": 1.5}'::jsonb)$$,
	'22023', 'stream option "sla_ms" must be an integer between -2147483648 and 2147483647',
	'sla_ms must be an integer (22023)');
SELECT is(streamflow.create_stream('{"name": "default status"}'::jsonb)->>'status', 'inactive',
	'status defaults to inactive');
SELECT is(streamflow.create_stream('{"name": "paused one", "status": "paused"}'::jsonb)->>'status', 'paused',
	'status paused is accepted');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "status": "running"}'::jsonb)$$,
	'22023', 'invalid value "running" for stream option "status"', 'status other than inactive|active|paused is rejected (22023)');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_stream('{"name": "s", "status": "running"}'::jsonb)$$),
	'Valid values are: inactive, active, paused.', 'the status error hints the allowed values');

-------------------------------------------------------------------------------
-- stream_type, direction, backpressure.strategy, transforms
-------------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM unnest(ARRAY['websocket', 'sse', 'polling', 'webhook']) t
           WHERE streamflow.normalize_stream_config(jsonb_build_object('name', 'n', 'stream_type', t))->>'stream_type' = t),
	4, 'stream_type accepts websocket, sse, polling, webhook');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "stream_type": "mqtt"}'::jsonb)$$,
	'22023', 'invalid value "mqtt" for stream option "stream_type"', 'an unknown stream_type is rejected (22023)');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_stream('{"name": "s", "stream_type": "mqtt"}'::jsonb)$$),
	'Valid values are: websocket, sse, polling, webhook.', 'the stream_type error hints the allowed values');
SELECT is((SELECT count(*)::int FROM unnest(ARRAY['source-to-destination', 'bidirectional']) t
           WHERE streamflow.normalize_stream_config(jsonb_build_object('name', 'n', 'direction', t))->>'direction' = t),
	2, 'direction accepts source-to-destination and bidirectional');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "direction": "sideways"}'::jsonb)$$,
	'22023', 'invalid value "sideways" for stream option "direction"', 'an unknown direction is rejected (22023)');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_stream('{"name": "s", "direction": "sideways"}'::jsonb)$$),
	'Valid values are: source-to-destination, bidirectional.', 'the direction error hints the allowed values');
SELECT is((SELECT count(*)::int FROM unnest(ARRAY['drop_oldest', 'drop_newest', 'block', 'sample']) t
           WHERE streamflow.normalize_stream_config(jsonb_build_object('name', 'n', 'backpressure',
                 jsonb_build_object('max_queue_size', 10, 'strategy', t)))#>>'{backpressure,strategy}' = t),
	4, 'backpressure.strategy accepts drop_oldest, drop_newest, block, sample');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "backpressure": {"strategy": "drop_all"}}'::jsonb)$$,
	'22023', 'invalid value "drop_all" for stream option "backpressure.strategy"',
	'an unknown backpressure.strategy is rejected, naming the nested key (22023)');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_stream('{"name": "s", "backpressure": {"strategy": "drop_all"}}'::jsonb)$$),
	'Valid values are: drop_oldest, drop_newest, block, sample.', 'the backpressure.strategy error hints the allowed values');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "backpressure": {"max_queue_size": 0}}'::jsonb)$$,
	'22023', 'stream option "backpressure.max_queue_size" must be at least 1', 'backpressure.max_queue_size must be positive (22023)');
SELECT is((SELECT count(*)::int FROM unnest(ARRAY['passthrough', 'lowercase', 'uppercase', 'sum', 'average', 'count',
                                                  'filter', 'map', 'flatten', 'json_parse', 'json_stringify']) t
           WHERE streamflow.normalize_stream_config(jsonb_build_object('name', 'n', 'attribute_bindings',
                 jsonb_build_array(jsonb_build_object('source_attribute', 'a', 'destination_attribute', 'b',
                                                      'transform', t, 'jsonpath', '$')))) IS NOT NULL),
	11, 'every transform of the seed 000 table is accepted');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "transform": "explode"}]}'::jsonb)$$,
	'22023', 'invalid value "explode" for stream option "attribute_bindings[0].transform"',
	'an unknown transform is rejected, naming the binding (22023)');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_stream('{"name": "s", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "transform": "explode"}]}'::jsonb)$$),
	'Valid values are: passthrough, lowercase, uppercase, sum, average, count, filter, map, flatten, json_parse, json_stringify.',
	'the transform error hints the allowed transforms');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "transform": "filter"}]}'::jsonb)$$,
	'22023', 'stream option "attribute_bindings[0].jsonpath" is required by transform "filter"',
	'transform filter needs a jsonpath (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "transform": "map"}]}'::jsonb)$$,
	'22023', 'stream option "attribute_bindings[0].jsonpath" is required by transform "map"',
	'transform map needs a jsonpath (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "transform": "filter", "jsonpath": "$ ? ("}]}'::jsonb)$$,
	'22023', 'invalid value "$ ? (" for stream option "attribute_bindings[0].jsonpath"',
	'a jsonpath that does not parse is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "attribute_bindings": [{"source_attribute": "a"}]}'::jsonb)$$,
	'22023', 'stream option "attribute_bindings[0].destination_attribute" is required',
	'a binding needs destination_attribute (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "attribute_bindings": {"source_attribute": "a"}}'::jsonb)$$,
	'22023', 'stream option "attribute_bindings" must be an array of objects',
	'attribute_bindings must be an array (22023)');

-------------------------------------------------------------------------------
-- Unknown keys, top level and nested
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "bogus": 1}'::jsonb)$$,
	'22023', 'unknown stream option "bogus"', 'an unknown top-level key is rejected, not ignored (22023)');
SELECT matches(pg_temp.sf_hint($$SELECT streamflow.create_stream('{"name": "s", "bogus": 1}'::jsonb)$$),
	'^Valid options are: name, id, symbol, .*webhook_secret\.$', 'the unknown-key error hints the valid options');
SELECT throws_ok($$SELECT streamflow.create_stream('s', '{"bogus": 1}')$$,
	'22023', 'unknown stream option "bogus"', 'create_stream(name, config) rejects unknown keys too (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "retry_policy": {"max_retries": 3, "oops": true}}'::jsonb)$$,
	'22023', 'unknown stream option "retry_policy.oops"', 'an unknown key in retry_policy is rejected (22023)');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_stream('{"name": "s", "retry_policy": {"max_retries": 3, "oops": true}}'::jsonb)$$),
	'Valid options are: max_retries, backoff_ms, max_backoff_ms, exponential, jitter.',
	'the nested unknown-key error hints the nested options');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "backpressure": {"strategy": "block", "max_size": 1}}'::jsonb)$$,
	'22023', 'unknown stream option "backpressure.max_size"', 'an unknown key in backpressure is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "batching": {"size": 1}}'::jsonb)$$,
	'22023', 'unknown stream option "batching.size"', 'an unknown key in batching is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "dead_letter_queue": {"ttl": 1}}'::jsonb)$$,
	'22023', 'unknown stream option "dead_letter_queue.ttl"', 'an unknown key in dead_letter_queue is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "multiplexing": {"mode": "x"}}'::jsonb)$$,
	'22023', 'unknown stream option "multiplexing.mode"', 'an unknown key in multiplexing is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "aggregation": {"window": 1}}'::jsonb)$$,
	'22023', 'unknown stream option "aggregation.window"', 'an unknown key in aggregation is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "attribute_bindings": [{"source_attribute": "a", "destination_attribute": "b", "bogus": 1}]}'::jsonb)$$,
	'22023', 'unknown stream option "attribute_bindings[0].bogus"', 'an unknown key in a binding is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "id": "a1", "stream_id": "a1"}'::jsonb)$$,
	'22023', 'stream option "id" is given twice', 'id and its alias stream_id together are rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('[{"name": "s"}]'::jsonb)$$,
	'22023', 'a stream config must be a JSON object', 'a config that is not an object is rejected (22023)');

-------------------------------------------------------------------------------
-- Other values checked (each rejection is 22023 naming the key)
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "metadata": [1]}'::jsonb)$$,
	'22023', 'stream option "metadata" must be an object', 'metadata must be an object');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "frequency": "often"}'::jsonb)$$,
	'22023', 'invalid value "often" for stream option "frequency"', 'frequency must be a duration such as 1s');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "retention": "forever"}'::jsonb)$$,
	'22023', 'invalid value "forever" for stream option "retention"', 'retention must be an interval');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "retention": "-1 day"}'::jsonb)$$,
	'22023', 'stream option "retention" must be a positive interval', 'retention must be positive');
SELECT is(streamflow.create_stream('{"name": "kept 7 days", "retention": "7 days"}'::jsonb)->>'retention', '7 days',
	'a retention interval is stored');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "webhook_secret": "short"}'::jsonb)$$,
	'22023', 'stream option "webhook_secret" must be at least 16 bytes long', 'webhook_secret must be 16 bytes or more');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "id": "bad id!"}'::jsonb)$$,
	'22023', 'invalid value "bad id!" for stream option "id"', 'an id with characters outside [A-Za-z0-9_.:-] is rejected');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "source_url": "ftp://example.com/x"}'::jsonb)$$,
	'22023', 'invalid value "ftp://example.com/x" for stream option "source_url"', 'source_url must be http(s)/ws(s)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "destination_url": "https://"}'::jsonb)$$,
	'22023', 'invalid value "https://" for stream option "destination_url"', 'destination_url must name a host');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "buffer_size": 0}'::jsonb)$$,
	'22023', 'stream option "buffer_size" must be at least 1', 'buffer_size must be positive');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "polling_interval_ms": 0}'::jsonb)$$,
	'22023', 'stream option "polling_interval_ms" must be at least 1', 'polling_interval_ms must be positive');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "data_format": "xml"}'::jsonb)$$,
	'22023', 'invalid value "xml" for stream option "data_format"', 'data_format must be json, text or binary');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "realtime_protocol": "mqtt"}'::jsonb)$$,
	'22023', 'invalid value "mqtt" for stream option "realtime_protocol"', 'realtime_protocol is checked');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "auth_headers": {"Authorization": 1}}'::jsonb)$$,
	'22023', 'stream option "auth_headers.Authorization" must be a string', 'auth_headers values must be strings');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "data_schema": "object"}'::jsonb)$$,
	'22023', 'stream option "data_schema" must be a JSON Schema (an object or a boolean)', 'data_schema must be a JSON Schema');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "retry_policy": {"max_retries": -1}}'::jsonb)$$,
	'22023', 'stream option "retry_policy.max_retries" must be at least 0', 'retry_policy.max_retries must not be negative');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "retry_policy": {"exponential": "yes"}}'::jsonb)$$,
	'22023', 'stream option "retry_policy.exponential" must be true or false', 'retry_policy.exponential must be a boolean');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "dead_letter_queue": {"enabled": true, "retention_hours": 0}}'::jsonb)$$,
	'22023', 'stream option "dead_letter_queue.retention_hours" must be at least 1', 'dead_letter_queue.retention_hours must be positive');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "multiplexing": {"strategy": "random"}}'::jsonb)$$,
	'22023', 'invalid value "random" for stream option "multiplexing.strategy"', 'multiplexing.strategy is checked');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "batching": {"batch_size": 0}}'::jsonb)$$,
	'22023', 'stream option "batching.batch_size" must be at least 1', 'batching.batch_size must be positive');
SELECT lives_ok($$SELECT streamflow.create_stream($j${"name": "every key", "id": "stream_every", "symbol": "e", "description": "d",
	"frequency": "250ms", "sla_ms": 5, "status": "active", "metadata": {"a": 1}, "account_id": "acct-1",
	"stream_type": "webhook", "direction": "source-to-destination", "data_format": "json", "realtime_protocol": "https",
	"buffer_size": 10, "polling_interval_ms": 500,
	"retry_policy": {"max_retries": 1, "backoff_ms": 2, "max_backoff_ms": 3, "exponential": true, "jitter": false},
	"data_schema": true, "attribute_bindings": [], "source_url": "wss://feed.example.com/ws",
	"destination_url": "https://sink.example.com/hook", "auth_headers": {"Authorization": "Bearer x"},
	"backpressure": {"max_queue_size": 100, "strategy": "sample"}, "batching": {"batch_size": 10, "batch_timeout_ms": 0},
	"dead_letter_queue": {"enabled": true, "max_retries": 2, "retention_hours": 24, "queue_service_id": "q"},
	"multiplexing": {"enabled": true, "destinations": ["https://a.example.com/in", "https://b.example.com/in"], "strategy": "broadcast"},
	"aggregation": {"enabled": false, "sources": ["x"], "merge_strategy": "latest", "deduplication": true, "dedup_key": "id"},
	"retention": "1 day", "webhook_secret": "0123456789abcdef0123"}$j$::jsonb)$$,
	'a config using every documented key is accepted');

SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "s", "symbol": 42}'::jsonb)$$,
	'22023', 'stream option "symbol" must be a string', 'symbol must be a string');
SELECT is(streamflow.create_stream(jsonb_build_object('name', 'long id', 'id', 's' || repeat('x', 50)))->>'id', 's' || repeat('x', 50),
	'an id of 51 characters is accepted (datastreams/<id> fits a NOTIFY channel name)');
SELECT throws_ok($$SELECT streamflow.create_stream(jsonb_build_object('name', 'too long id', 'id', 's' || repeat('x', 51)))$$,
	'22023', 'invalid value "s' || repeat('x', 51) || '" for stream option "id"', 'an id of 52 characters is rejected');

-- The stream fragments of seed 000's data specifications are accepted.
SELECT lives_ok($$SELECT streamflow.create_stream($j${"name": "seed sse", "stream_type": "sse", "realtime_protocol": "http-sse", "data_format": "json", "direction": "source-to-destination", "polling_interval_ms": null}$j$::jsonb)$$,
	'seed 000 SSE specification (with "polling_interval_ms": null) is accepted');
SELECT lives_ok($$SELECT streamflow.create_stream($j${"name": "seed polling", "stream_type": "polling", "realtime_protocol": "http-polling", "polling_interval_ms": 5000, "data_format": "json", "direction": "source-to-destination", "buffer_size": 50}$j$::jsonb)$$,
	'seed 000 polling specification is accepted');
SELECT lives_ok($$SELECT streamflow.create_stream($j${"name": "seed ws", "stream_type": "websocket", "realtime_protocol": "wss", "data_format": "json", "direction": "bidirectional", "buffer_size": 100, "retry_policy": {"max_retries": 3, "backoff_ms": 1000, "max_backoff_ms": 10000}}$j$::jsonb)$$,
	'seed 000 WebSocket specification is accepted');
SELECT lives_ok($$SELECT streamflow.create_stream($j${"name": "seed bindings", "attribute_bindings": [{"source_attribute": "user_data.email", "destination_attribute": "contact.email", "transform": "lowercase", "required": true}, {"source_attribute": "analytics.page_views", "destination_attribute": "metrics.views", "transform": "sum", "aggregation_window_ms": 60000}, {"source_attribute": "status", "destination_attribute": "system_status", "transform": "passthrough", "required": true}]}$j$::jsonb)$$,
	'seed 000 attribute bindings example is accepted');
SELECT lives_ok($$SELECT streamflow.create_service(jsonb_build_object('name', s, 'id', s, 'endpoint_url', 'https://' || s || '.example.com/in'))
	FROM unnest(ARRAY['svc_analyzer_1', 'svc_analyzer_2', 'svc_backup']) AS s$$,
	'services with an endpoint_url for seed 000''s multiplexing example');
SELECT lives_ok($$SELECT streamflow.create_stream($j${"name": "seed advanced", "stream_type": "websocket", "multiplexing": {"enabled": true, "destinations": ["svc_analyzer_1", "svc_analyzer_2", "svc_backup"], "strategy": "round-robin"}, "aggregation": {"enabled": true, "sources": ["svc_crawler_1", "svc_crawler_2"], "merge_strategy": "merge", "deduplication": true, "dedup_key": "page_url"}, "dead_letter_queue": {"enabled": true, "max_retries": 3, "queue_service_id": "svc_dlq", "retention_hours": 168}}$j$::jsonb)$$,
	'seed 000 multiplexing, aggregation and dead_letter_queue examples are accepted');

-------------------------------------------------------------------------------
-- Duplicates (42710) and unknown streams (42704)
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "Market Data Feed"}'::jsonb)$$,
	'42710', 'stream "Market Data Feed" already exists', 'a duplicate name is rejected (42710)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "other", "id": "stream_given1"}'::jsonb)$$,
	'42710', 'stream "stream_given1" already exists', 'a duplicate id is rejected (42710)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "stream_given1"}'::jsonb)$$,
	'42710', 'stream "stream_given1" already exists', 'a name equal to another stream''s id is rejected (42710)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "other", "id": "returned"}'::jsonb)$$,
	'42710', 'stream "returned" already exists', 'an id equal to another stream''s name is rejected (42710)');
SELECT throws_ok($$SELECT streamflow.get_stream('no such stream')$$,
	'42704', 'stream "no such stream" does not exist', 'get_stream of an unknown stream raises 42704');
SELECT throws_ok($$SELECT streamflow.update_stream('no such stream', '{"description": "x"}')$$,
	'42704', 'stream "no such stream" does not exist', 'update_stream of an unknown stream raises 42704');
SELECT throws_ok($$SELECT streamflow.drop_stream('no such stream')$$,
	'42704', 'stream "no such stream" does not exist', 'drop_stream of an unknown stream raises 42704');
SELECT throws_ok($$SELECT streamflow.stream_id('no such stream')$$,
	'42704', 'stream "no such stream" does not exist', 'stream_id of an unknown stream raises 42704');

-------------------------------------------------------------------------------
-- update_stream: a partial patch
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "patch me", "id": "stream_patch", "symbol": "aaa", "description": "before", "sla_ms": 100, "metadata": {"k": "v"}, "frequency": "1s"}'::jsonb)$$,
	'stream to patch is created');
SELECT is(streamflow.update_stream('patch me', '{"description": "after"}') - 'created_at' - 'updated_at',
	'{"id": "stream_patch", "name": "patch me", "symbol": "AAA", "description": "after", "sla_ms": 100, "status": "inactive", "metadata": {"k": "v"}, "frequency": "1s"}'::jsonb,
	'update_stream changes the given key only; the others stay');
SELECT is(streamflow.update_stream('stream_patch', '{"symbol": " bbb ", "sla_ms": -7}') - 'created_at' - 'updated_at',
	'{"id": "stream_patch", "name": "patch me", "symbol": "BBB", "description": "after", "sla_ms": 0, "status": "inactive", "metadata": {"k": "v"}, "frequency": "1s"}'::jsonb,
	'a patch is normalised like a config: symbol upper-cased, negative sla_ms 0');
SELECT is(streamflow.update_stream('Market Data Feed', '{"status": "paused", "sla_ms": 2000}') - 'id' - 'created_at' - 'updated_at',
	$j${"name": "Market Data Feed", "symbol": "ETH-USD", "description": "Ethereum price feed", "frequency": "1s", "sla_ms": 2000, "status": "paused", "metadata": {"source": "exchange-api", "env": "production"}}$j$::jsonb,
	'seed 002 PATCH body {"status": "paused", "sla_ms": 2000} updates only those keys');
SELECT is(streamflow.update_stream('stream_patch', '{"sla_ms": null, "metadata": null}') - 'id' - 'created_at' - 'updated_at' - 'name' - 'symbol' - 'description' - 'frequency' - 'status',
	'{"sla_ms": 0, "metadata": {}}'::jsonb,
	'null sla_ms / metadata in a patch reset them to their defaults 0 / {}');
SELECT ok(NOT streamflow.update_stream('stream_patch', '{"description": null}') ? 'description',
	'null in a patch clears the key');
SELECT is(streamflow.update_stream('stream_patch', '{"status": "paused"}')->>'status', 'paused',
	'update_stream can pause a stream');
SELECT is(streamflow.update_stream('stream_patch', '{"status": "active", "retention": "2 hours"}')->>'retention', '02:00:00',
	'update_stream sets the retention interval');
SELECT is(streamflow.update_stream('stream_patch', '{"name": "  patched  "}')->>'name', 'patched',
	'update_stream renames (trimmed)');
SELECT is(streamflow.get_stream('patched')->>'id', 'stream_patch', 'the renamed stream is found by its new name');
SELECT throws_ok($$SELECT streamflow.get_stream('patch me')$$,
	'42704', 'stream "patch me" does not exist', 'the old name no longer resolves');
SELECT is(streamflow.update_stream('stream_patch', '{"stream_id": "stream_patch"}')->>'id', 'stream_patch',
	'a patch may repeat the stream''s own id');
SELECT is(streamflow.update_stream('stream_patch', '{}') - 'updated_at', streamflow.get_stream('stream_patch') - 'updated_at',
	'an empty patch changes nothing');
SELECT throws_ok($$SELECT streamflow.update_stream('stream_patch', '{"name": null}')$$,
	'22023', 'stream option "name" cannot be removed', 'a patch cannot remove the name (22023)');
SELECT throws_ok($$SELECT streamflow.update_stream('stream_patch', '{"id": "stream_other"}')$$,
	'22023', 'stream option "id" cannot be changed', 'a patch cannot change the id (22023)');
SELECT throws_ok($$SELECT streamflow.update_stream('stream_patch', '{"colour": "red"}')$$,
	'22023', 'unknown stream option "colour"', 'a patch with an unknown key is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.update_stream('stream_patch', '{"backpressure": {"strategy": "drop_all"}}')$$,
	'22023', 'invalid value "drop_all" for stream option "backpressure.strategy"', 'a patch value is validated (22023)');
SELECT throws_ok($$SELECT streamflow.update_stream('stream_patch', '{"status": "stopped"}')$$,
	'22023', 'invalid value "stopped" for stream option "status"', 'a patch status is validated (22023)');
SELECT throws_ok($$SELECT streamflow.update_stream('stream_patch', '{"name": "Market Data Feed"}')$$,
	'42710', 'stream "Market Data Feed" already exists', 'renaming onto another stream''s name is rejected (42710)');
SELECT throws_ok($$SELECT streamflow.update_stream('stream_patch', '{"name": "stream_given1"}')$$,
	'42710', 'stream "stream_given1" already exists', 'renaming onto another stream''s id is rejected (42710)');

-------------------------------------------------------------------------------
-- webhook_secret is write-only
-------------------------------------------------------------------------------
SELECT ok(NOT (streamflow.create_stream('{"name": "signed", "id": "stream_signed", "webhook_secret": "s3cr3t-s3cr3t-s3cr3t"}'::jsonb) ? 'webhook_secret'),
	'create_stream does not return the webhook secret');
SELECT ok(NOT (streamflow.get_stream('signed') ? 'webhook_secret'), 'get_stream does not return the webhook secret');
SELECT ok(position('s3cr3t' IN streamflow.get_stream('signed')::text) = 0, 'the secret value appears nowhere in get_stream');
SELECT is_empty($$SELECT s.id FROM streamflow.streams s WHERE to_jsonb(s)::text LIKE '%s3cr3t%'$$,
	'the secret value appears nowhere in the streamflow.streams listing');
SELECT is((SELECT webhook_secret FROM streamflow.stream_secrets WHERE stream_id = 'stream_signed'), 's3cr3t-s3cr3t-s3cr3t',
	'the secret is kept in streamflow.stream_secrets');
SELECT ok(NOT (streamflow.update_stream('signed', '{"webhook_secret": "r0tat3d-r0tat3d-r0tat3d"}') ? 'webhook_secret'),
	'update_stream does not return the webhook secret');
SELECT is((SELECT webhook_secret FROM streamflow.stream_secrets WHERE stream_id = 'stream_signed'), 'r0tat3d-r0tat3d-r0tat3d',
	'update_stream rotates the secret');
SELECT is((SELECT webhook_secret FROM streamflow.stream_secrets WHERE stream_id = 'stream_signed'
           AND streamflow.update_stream('signed', '{"description": "x"}') IS NOT NULL), 'r0tat3d-r0tat3d-r0tat3d',
	'a patch without webhook_secret keeps the secret');
SELECT lives_ok($$SELECT streamflow.update_stream('signed', '{"webhook_secret": null}')$$, 'a null webhook_secret is accepted');
SELECT is_empty($$SELECT 1 FROM streamflow.stream_secrets WHERE stream_id = 'stream_signed'$$,
	'a null webhook_secret removes the secret');

-------------------------------------------------------------------------------
-- drop_stream
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.update_stream('signed', '{"webhook_secret": "another-secret-value"}')$$, 'secret set again');
SELECT lives_ok($$SELECT streamflow.ingest('signed', '{"x": 1}')$$, 'a frame is stored in the stream to drop');
SELECT is(streamflow.drop_stream('signed'), true, 'drop_stream returns true');
SELECT throws_ok($$SELECT streamflow.get_stream('stream_signed')$$,
	'42704', 'stream "stream_signed" does not exist', 'a dropped stream no longer exists');
SELECT is_empty($$SELECT 1 FROM streamflow.frames WHERE stream_id = 'stream_signed'
                  UNION ALL SELECT 1 FROM streamflow.stream_state WHERE stream_id = 'stream_signed'
                  UNION ALL SELECT 1 FROM streamflow.stream_secrets WHERE stream_id = 'stream_signed'$$,
	'drop_stream removes its frames, state and secret');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "signed", "id": "stream_signed"}'::jsonb)$$,
	'the name and id of a dropped stream can be reused');

SELECT * FROM finish();
ROLLBACK;
