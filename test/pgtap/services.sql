-- services.sql: create_service / get_service / drop_service and the services a
-- stream refers to (seed 000, "Setup Procedures").
BEGIN;
SELECT plan(35);

\ir helpers.psql

-------------------------------------------------------------------------------
-- The seed's service bodies
-------------------------------------------------------------------------------
SELECT is(streamflow.create_service($j${"id": "svc_crawler_xyz", "name": "Web Crawler Service", "service_type": "data-processor", "workflow_id": "wf_campaign_123", "output_attributes": [{"name": "page_url", "type": "string"}, {"name": "page_content", "type": "string"}, {"name": "meta_data", "type": "object"}], "supports_realtime": true, "stream_direction": "outbound"}$j$) - 'created_at',
	$j${"id": "svc_crawler_xyz", "name": "Web Crawler Service", "service_type": "data-processor", "workflow_id": "wf_campaign_123", "output_attributes": [{"name": "page_url", "type": "string"}, {"name": "page_content", "type": "string"}, {"name": "meta_data", "type": "object"}], "supports_realtime": true, "stream_direction": "outbound"}$j$::jsonb,
	'seed 000 step 1 body is accepted and returned with its id');
SELECT is(streamflow.get_service('svc_crawler_xyz') - 'created_at',
	$j${"id": "svc_crawler_xyz", "name": "Web Crawler Service", "service_type": "data-processor", "workflow_id": "wf_campaign_123", "output_attributes": [{"name": "page_url", "type": "string"}, {"name": "page_content", "type": "string"}, {"name": "meta_data", "type": "object"}], "supports_realtime": true, "stream_direction": "outbound"}$j$::jsonb,
	'get_service returns the stored service');
SELECT ok(streamflow.get_service('svc_crawler_xyz') ? 'created_at', 'get_service reports created_at');
SELECT is(streamflow.create_service($j${"service_id": "svc_ai_abc", "name": "AI Analysis Service", "service_type": "ai-engine", "workflow_id": "wf_campaign_123", "input_attributes": [{"name": "page_url", "type": "string"}, {"name": "content", "type": "string"}, {"name": "metadata", "type": "object"}], "output_attributes": [{"name": "analysis_result", "type": "object"}, {"name": "confidence_score", "type": "number"}], "supports_realtime": true, "stream_direction": "bidirectional"}$j$)->>'id',
	'svc_ai_abc', 'seed 000 step 2 body is accepted; service_id is another name for id');
SELECT results_eq(
	$$SELECT name, service_type, workflow_id, supports_realtime, stream_direction, jsonb_array_length(input_attributes)
	  FROM streamflow.services WHERE id = 'svc_ai_abc'$$,
	$$VALUES ('AI Analysis Service'::text, 'ai-engine'::text, 'wf_campaign_123'::text, true, 'bidirectional'::text, 3)$$,
	'the service is listed in streamflow.services');
SELECT matches(streamflow.create_service('{"name": "no id given"}')->>'id', '^svc_[A-Za-z0-9]+$',
	'a service created without id gets a seed-style id (svc_...)');
SELECT is(streamflow.create_service('{"name": "  Trimmed Service  ", "id": "svc_trim"}')->>'name', 'Trimmed Service',
	'a service name is trimmed');
SELECT is(streamflow.create_service('{"name": "minimal", "id": "svc_min"}') - 'created_at',
	'{"id": "svc_min", "name": "minimal"}'::jsonb, 'unset service keys are left out, not returned as null');
SELECT is((SELECT count(*)::int FROM unnest(ARRAY['inbound', 'outbound', 'bidirectional']) d
           WHERE streamflow.normalize_service_config(jsonb_build_object('name', 'n', 'stream_direction', d))->>'stream_direction' = d),
	3, 'stream_direction accepts inbound, outbound, bidirectional');

-------------------------------------------------------------------------------
-- Rejections
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.create_service('{"service_type": "x"}')$$,
	'22023', 'service option "name" is required', 'a service name is required (22023)');
SELECT throws_ok($$SELECT streamflow.create_service('{"name": " "}')$$,
	'22023', 'service option "name" must not be empty', 'a blank service name is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_service('{"name": "x", "owner": "me"}')$$,
	'22023', 'unknown service option "owner"', 'an unknown service key is rejected (22023)');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_service('{"name": "x", "owner": "me"}')$$),
	'Valid options are: name, id, service_type, workflow_id, input_attributes, output_attributes, supports_realtime, stream_direction, endpoint_url.',
	'the unknown service key error hints the valid keys');
SELECT throws_ok($$SELECT streamflow.create_service('{"name": "x", "stream_direction": "up"}')$$,
	'22023', 'invalid value "up" for service option "stream_direction"', 'an unknown stream_direction is rejected (22023)');
SELECT is(pg_temp.sf_hint($$SELECT streamflow.create_service('{"name": "x", "stream_direction": "up"}')$$),
	'Valid values are: inbound, outbound, bidirectional.', 'the stream_direction error hints the allowed values');
SELECT throws_ok($$SELECT streamflow.create_service('{"name": "x", "input_attributes": [{"name": "a", "type": "date"}]}')$$,
	'22023', 'invalid value "date" for service option "input_attributes[0].type"', 'an attribute type is checked (22023)');
SELECT throws_ok($$SELECT streamflow.create_service('{"name": "x", "output_attributes": [{"name": "a"}, {"name": "b", "colour": "red"}]}')$$,
	'22023', 'unknown service option "output_attributes[1].colour"', 'an unknown attribute key is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_service('{"name": "x", "input_attributes": [{"type": "string"}]}')$$,
	'22023', 'service option "input_attributes[0].name" is required', 'an attribute needs a name (22023)');
SELECT throws_ok($$SELECT streamflow.create_service('{"name": "x", "input_attributes": {"name": "a"}}')$$,
	'22023', 'service option "input_attributes" must be an array of objects', 'attributes must be an array (22023)');
SELECT throws_ok($$SELECT streamflow.create_service('{"name": "x", "supports_realtime": "yes"}')$$,
	'22023', 'service option "supports_realtime" must be true or false', 'supports_realtime must be a boolean (22023)');
SELECT throws_ok($$SELECT streamflow.create_service('{"name": "x", "id": "svc bad"}')$$,
	'22023', 'invalid value "svc bad" for service option "id"', 'a service id is checked (22023)');
SELECT throws_ok($$SELECT streamflow.create_service('["x"]')$$,
	'22023', 'a service config must be a JSON object', 'a service config must be an object (22023)');
SELECT throws_ok($$SELECT streamflow.create_service('{"id": "svc_crawler_xyz", "name": "again"}')$$,
	'42710', 'service "svc_crawler_xyz" already exists', 'a duplicate service id is rejected (42710)');
SELECT throws_ok($$SELECT streamflow.get_service('svc_nope')$$,
	'42704', 'service "svc_nope" does not exist', 'get_service of an unknown service raises 42704');

-------------------------------------------------------------------------------
-- Streams refer to existing services only
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "orphan", "source_service_id": "svc_missing"}'::jsonb)$$,
	'22023', 'service "svc_missing" named by stream option "source_service_id" does not exist',
	'a stream naming a missing source service is rejected (22023)');
SELECT throws_ok($$SELECT streamflow.create_stream('{"name": "orphan", "source_service_id": "svc_crawler_xyz", "destination_service_id": "svc_missing"}'::jsonb)$$,
	'22023', 'service "svc_missing" named by stream option "destination_service_id" does not exist',
	'a stream naming a missing destination service is rejected (22023)');
SELECT is(streamflow.create_stream('{"name": "wired", "id": "stream_wired", "source_service_id": "svc_crawler_xyz", "destination_service_id": "svc_ai_abc"}'::jsonb)->>'destination_service_id',
	'svc_ai_abc', 'a stream naming existing services is created');
SELECT throws_ok($$SELECT streamflow.update_stream('stream_wired', '{"destination_service_id": "svc_missing"}')$$,
	'22023', 'service "svc_missing" named by stream option "destination_service_id" does not exist',
	'update_stream cannot point a stream at a missing service (22023)');
SELECT throws_ok($$SELECT streamflow.drop_service('svc_ai_abc')$$,
	'2BP01', 'service "svc_ai_abc" is still used by a stream', 'a service a stream uses cannot be dropped (2BP01)');
SELECT throws_ok($$SELECT streamflow.drop_service('svc_nope')$$,
	'42704', 'service "svc_nope" does not exist', 'drop_service of an unknown service raises 42704');
SELECT ok(NOT streamflow.update_stream('stream_wired', '{"destination_service_id": null}') ? 'destination_service_id',
	'update_stream can unlink a service');
SELECT is(streamflow.drop_service('svc_ai_abc'), true, 'an unused service is dropped');
SELECT throws_ok($$SELECT streamflow.get_service('svc_ai_abc')$$,
	'42704', 'service "svc_ai_abc" does not exist', 'a dropped service is gone');
SELECT lives_ok($$SELECT streamflow.drop_stream('stream_wired')$$, 'dropping the stream ...');
SELECT is(streamflow.drop_service('svc_crawler_xyz'), true, '... frees its service to be dropped');

SELECT * FROM finish();
ROLLBACK;
