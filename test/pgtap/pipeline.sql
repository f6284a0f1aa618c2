-- pipeline.sql: bindings then data_schema inside ingest and ingest_batch:
-- seed 000's "Crawler to AI Stream" end to end, every on_error mode,
-- stream_errors and dead_letters, schemas refused at create/update time,
-- the compiled pipeline following update_stream, windowed aggregates.
BEGIN;
SELECT plan(45);

\ir helpers.psql

-------------------------------------------------------------------------------
-- Seed 000, Procedure 1: services and the Crawler to AI stream, verbatim
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.create_service('{"id": "svc_crawler_xyz", "name": "Web Crawler Service",
	"service_type": "data-processor", "workflow_id": "wf_campaign_123",
	"output_attributes": [{"name": "page_url", "type": "string"}, {"name": "page_content", "type": "string"}, {"name": "meta_data", "type": "object"}],
	"supports_realtime": true, "stream_direction": "outbound"}')$$, 'the crawler service is created');
SELECT lives_ok($$SELECT streamflow.create_service('{"id": "svc_ai_abc", "name": "AI Analysis Service",
	"service_type": "ai-engine", "workflow_id": "wf_campaign_123",
	"input_attributes": [{"name": "page_url", "type": "string"}, {"name": "content", "type": "string"}, {"name": "metadata", "type": "object"}],
	"output_attributes": [{"name": "analysis_result", "type": "object"}, {"name": "confidence_score", "type": "number"}],
	"supports_realtime": true, "stream_direction": "bidirectional"}')$$, 'the AI service is created');
SELECT lives_ok($$SELECT streamflow.create_stream('{
	"id": "crawler_ai",
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
}')$$, 'the seed''s Crawler to AI stream is created verbatim');

SELECT is(
	(SELECT payload FROM streamflow.ingest('Crawler to AI Stream',
		'{"page_url": "https://example.com/a", "page_content": "<h1>Hi</h1>", "meta_data": {"lang": "en"}}')),
	'{"page_url": "https://example.com/a", "content": "<h1>Hi</h1>", "metadata": {"lang": "en"}}'::jsonb,
	'a {page_url, page_content, meta_data} frame is stored as {page_url, content, metadata}');
SELECT is(
	(SELECT payload FROM streamflow.ingest('crawler_ai', '{"page_url": "https://example.com/b", "page_content": "x", "extra": 1}')),
	'{"page_url": "https://example.com/b", "content": "x"}'::jsonb,
	'only bound attributes are stored; a missing optional source is left out');
SELECT throws_ok(
	$$SELECT streamflow.ingest('crawler_ai', '{"page_content": "no url", "meta_data": {}}')$$,
	'22023', 'frame rejected by stream "crawler_ai"',
	'a frame missing page_url is rejected with 22023');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('crawler_ai', '{"page_content": "no url", "meta_data": {}}')$$),
	'$.payload: is missing the required property "page_url" (required)',
	'the rejection names page_url, its path and the keyword');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('crawler_ai', '{"page_url": "not a uri", "page_content": 5, "meta_data": []}')$$),
	E'$.payload.content: expected string, got number (type)\n$.payload.metadata: expected object, got array (type)\n$.payload.page_url: is not a valid uri (format)',
	'every violation of the bound payload is listed, one per line, with bound names');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'crawler_ai'), 2,
	'rejected frames are not stored');
SELECT is((SELECT last_sequence FROM streamflow.stream_state WHERE stream_id = 'crawler_ai'), 2::bigint,
	'a rejected frame does not take a sequence');

-------------------------------------------------------------------------------
-- ingest_batch: raise, skip, dead_letter
-------------------------------------------------------------------------------
SELECT throws_ok(
	$$SELECT streamflow.ingest_batch('crawler_ai', '[{"payload": {"page_url": "https://a.example", "page_content": "ok"}}, {"payload": {"page_content": "bad"}}]')$$,
	'22023', 'frame 1 of the batch rejected by stream "crawler_ai"', 'raise: one invalid frame fails the batch');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest_batch('crawler_ai', '[{"payload": {"page_url": "https://a.example", "page_content": "ok"}}, {"payload": {"page_content": "bad"}}]')$$),
	'$[1].payload: is missing the required property "page_url" (required)', 'raise: the detail is rooted at the batch item');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'crawler_ai'), 2, 'raise: nothing of the batch is stored');

SELECT results_eq(
	$$SELECT ingested, duplicates, rejected FROM streamflow.ingest_batch('crawler_ai', '[{"payload": {"page_url": "https://a.example", "page_content": "ok"}}, {"payload": {"page_content": "bad"}}, {"payload": {"page_url": "https://b.example", "page_content": "ok"}}]', 'skip')$$,
	$$VALUES (2, 0, 1)$$, 'skip: valid frames stored, the invalid one counted');
SELECT is((SELECT count(*)::int FROM streamflow.stream_errors WHERE stream_id = 'crawler_ai'), 0, 'skip: nothing recorded in stream_errors');
SELECT is((SELECT rejected FROM streamflow.stream_state WHERE stream_id = 'crawler_ai'), 1::bigint, 'skip: stream_state.rejected counts it');

SELECT results_eq(
	$$SELECT ingested, duplicates, rejected FROM streamflow.ingest_batch('crawler_ai', '[{"payload": {"page_url": "https://c.example", "page_content": "ok"}}, {"sequence": 77, "payload": {"page_url": "mailto:x@y.z", "page_content": ["not", "text"]}}]', 'dead_letter')$$,
	$$VALUES (1, 0, 1)$$, 'dead_letter: the valid frame stored, the invalid one rejected');
SELECT results_eq(
	$$SELECT source, raw_payload, violations FROM streamflow.stream_errors WHERE stream_id = 'crawler_ai'$$,
	$$VALUES ('sql'::text, '{"sequence": 77, "payload": {"page_url": "mailto:x@y.z", "page_content": ["not", "text"]}}'::jsonb,
	          '[{"path": "$[1].payload.content", "keyword": "type", "message": "expected string, got array"}]'::jsonb)$$,
	'dead_letter: stream_errors keeps the frame as received and the violations of the bound payload');
SELECT is((SELECT frame->'payload' FROM streamflow.dead_letters WHERE stream_id = 'crawler_ai'),
	'{"page_url": "mailto:x@y.z", "page_content": ["not", "text"]}'::jsonb, 'dead_letter: the dead letter holds the payload as received');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'crawler_ai' AND payload ? 'content'), 5,
	'every stored frame is in bound form');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'crawler_ai' AND payload ? 'page_content'), 0,
	'no stored frame keeps a source attribute name');

-------------------------------------------------------------------------------
-- Bindings violations come before the schema, with the payload's own paths
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.create_stream('{"id": "views", "name": "views",
	"attribute_bindings": [
		{"source_attribute": "user_data.email", "destination_attribute": "contact.email", "transform": "lowercase", "required": true},
		{"source_attribute": "analytics.page_views", "destination_attribute": "metrics.views", "transform": "sum"},
		{"source_attribute": "status", "destination_attribute": "system_status", "transform": "passthrough", "required": true}],
	"data_schema": {"properties": {"metrics": {"properties": {"views": {"maximum": 100}}}}}}')$$,
	'seed 000''s binding example makes a stream');
SELECT is((SELECT payload FROM streamflow.ingest('views', '{"user_data": {"email": "Ann@Example.COM"}, "analytics": {"page_views": [1, 2, 3]}, "status": "ok"}')),
	'{"contact": {"email": "ann@example.com"}, "metrics": {"views": 6}, "system_status": "ok"}'::jsonb,
	'nested destinations are created and transforms applied');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('views', '{"analytics": {"page_views": [1, "2"]}, "status": "ok"}')$$) ~ 'user_data\.email',
	true, 'a missing required source attribute is named');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('views', '{"user_data": {"email": "a@b.c"}, "analytics": {"page_views": [90, 20]}, "status": "ok"}')$$),
	'$.payload.metrics.views: 110 is greater than the maximum 100 (maximum)',
	'the schema validates the bound payload');
SELECT throws_ok($$SELECT streamflow.ingest('views', '{"user_data": {"email": "a@b.c"}, "analytics": {"page_views": "many"}, "status": "ok"}')$$,
	'22023', 'frame rejected by stream "views"', 'sum of a string is a violation, not an internal error');

-------------------------------------------------------------------------------
-- Schemas are checked when a stream is created or updated
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "bad", "data_schema": {"properties": {"a": {"minLength": -1}}}}')$$,
	'22023', 'invalid JSON Schema in stream option "data_schema": "minLength" must be a non-negative integer',
	'create_stream refuses a malformed schema, naming the keyword');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.create_stream('{"name": "bad", "data_schema": {"properties": {"a": {"minLength": -1}}}}')$$),
	'The keyword is at #/properties/a.', 'the detail gives the keyword''s location');
SELECT throws_ok($$SELECT streamflow.update_stream('crawler_ai', '{"data_schema": {"pattern": "("}}')$$,
	'22023', NULL, 'update_stream refuses an invalid pattern');
SELECT throws_ok($$SELECT streamflow.update_stream('crawler_ai', '{"data_schema": {"$ref": "https://example.com/other.json"}}')$$,
	'22023', 'invalid JSON Schema in stream option "data_schema": "$ref" cannot be resolved: "https://example.com/other.json" is not defined in this schema',
	'remote references are refused, not fetched');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "bad", "data_schema": 5}')$$,
	'22023', NULL, 'a schema that is neither object nor boolean is refused');
SELECT is((SELECT data_schema->'required' FROM streamflow.streams WHERE id = 'crawler_ai'), '["page_url", "content"]'::jsonb,
	'a refused update leaves the schema as it was');

-------------------------------------------------------------------------------
-- The cached pipeline follows update_stream
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.update_stream('crawler_ai', '{"data_schema": {"required": ["metadata"]}}')$$,
	'the schema is replaced');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('crawler_ai', '{"page_url": "https://x.example", "page_content": "y"}')$$),
	'$.payload: is missing the required property "metadata" (required)', 'the next frame meets the new schema');
SELECT lives_ok($$SELECT streamflow.update_stream('crawler_ai', '{"data_schema": null, "attribute_bindings": null}')$$,
	'schema and bindings are removed');
SELECT is((SELECT payload FROM streamflow.ingest('crawler_ai', '{"page_content": "raw"}')), '{"page_content": "raw"}'::jsonb,
	'without bindings and schema the payload is stored as it is');
SELECT lives_ok($$SELECT streamflow.update_stream('crawler_ai', '{"data_schema": true}')$$, 'a boolean schema is accepted');
SELECT lives_ok($$SELECT streamflow.update_stream('crawler_ai', '{"data_schema": false}')$$, 'so is false');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.ingest('crawler_ai', '{"a": 1}')$$),
	'$.payload: no value is allowed here (the schema is false) (false)', 'a false schema rejects every frame');

-------------------------------------------------------------------------------
-- Windowed aggregates within one transaction (time-based expiry is tested by
-- test/integration/pipeline.test.mjs, which can let time pass between commits)
-------------------------------------------------------------------------------
SELECT lives_ok($$SELECT streamflow.create_stream('{"id": "win", "name": "win", "attribute_bindings": [
	{"source_attribute": "n", "destination_attribute": "total", "transform": "sum", "aggregation_window_ms": 60000},
	{"source_attribute": "n", "destination_attribute": "seen", "transform": "count", "aggregation_window_ms": 60000}]}')$$,
	'a stream with windowed sum and count');
SELECT results_eq(
	$$SELECT (streamflow.ingest('win', '{"n": 5}', 1)).payload UNION ALL SELECT (streamflow.ingest('win', '{"n": [1, 2]}', 2)).payload
	  UNION ALL SELECT (streamflow.ingest('win', '{"n": 100}', 1)).payload$$,
	$$VALUES ('{"total": 5, "seen": 1}'::jsonb), ('{"total": 8, "seen": 3}'::jsonb), ('{"total": 5, "seen": 1}'::jsonb)$$,
	'each frame stores the window including itself; a re-sent sequence returns the stored frame and adds nothing');
SELECT is((SELECT (ingest_batch).ingested FROM (SELECT streamflow.ingest_batch('win', '[{"payload": {"n": 1}}, {"sequence": 2, "payload": {"n": 1000}}, {"payload": {"n": 2}}]')) b),
	2, 'a batch with a duplicate stores the others');
SELECT is((SELECT array_agg(payload->'total' ORDER BY sequence)::text FROM streamflow.frames WHERE stream_id = 'win'),
	'{5,8,9,11}', 'the duplicate in the batch did not count in the window');

SELECT lives_ok($$SELECT streamflow.update_stream('win', '{"data_schema": {"properties": {"total": {"maximum": 50}}}}')$$,
	'the windowed stream gets a schema on its aggregate');
SELECT results_eq(
	$$SELECT ingested, duplicates, rejected FROM streamflow.ingest_batch('win', '[{"sequence": 20, "payload": {"n": 100}}, {"sequence": 20, "payload": {"n": 5}}, {"sequence": 20, "payload": {"n": 7}}]', 'skip')$$,
	$$VALUES (1, 1, 1)$$,
	'a sequence whose first frame is rejected is stored from its next valid frame; a later repeat is a duplicate');

SELECT * FROM finish();
ROLLBACK;
