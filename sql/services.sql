-- services: create_service / get_service / drop_service and the service
-- config contract (seed 000, "Setup Procedures", steps 1 and 2).
CREATE EXTENSION streamflow;
\set SHOW_CONTEXT never

-- Seed 000's two service bodies, as they are sent.
CREATE TEMP TABLE input (label text PRIMARY KEY, body jsonb NOT NULL);
INSERT INTO input VALUES
('crawler', '{
  "name": "Web Crawler Service",
  "service_type": "data-processor",
  "workflow_id": "wf_campaign_123",
  "output_attributes": [
    {"name": "page_url", "type": "string"},
    {"name": "page_content", "type": "string"},
    {"name": "meta_data", "type": "object"}
  ],
  "supports_realtime": true,
  "stream_direction": "outbound"
}'),
('ai', '{
  "name": "AI Analysis Service",
  "service_type": "ai-engine",
  "workflow_id": "wf_campaign_123",
  "input_attributes": [
    {"name": "page_url", "type": "string"},
    {"name": "content", "type": "string"},
    {"name": "metadata", "type": "object"}
  ],
  "output_attributes": [
    {"name": "analysis_result", "type": "object"},
    {"name": "confidence_score", "type": "number"}
  ],
  "supports_realtime": true,
  "stream_direction": "bidirectional"
}');

--
-- The bodies verbatim: accepted, given a generated id, and every key sent comes back
--
CREATE TEMP TABLE created AS
SELECT label, streamflow.create_service(body) AS service FROM input;
SELECT label, service ->> 'id' ~ '^svc_[0-9a-f]{12}$' AS generated_id,
       service ? 'created_at' AS has_created_at
FROM created ORDER BY label;
SELECT c.label, i.key, i.value = s.value AS same
FROM created c JOIN input USING (label), jsonb_each(body) i
LEFT JOIN jsonb_each(streamflow.get_service(c.service ->> 'id')) s USING (key)
ORDER BY c.label, i.key COLLATE "C";
-- get_service gives what create_service returned
SELECT label, streamflow.get_service(service ->> 'id') = service AS same FROM created ORDER BY label;

--
-- With an explicit "id" (seed 000's svc_crawler_xyz / svc_ai_abc)
--
SELECT streamflow.create_service(body || '{"id": "svc_crawler_xyz"}') ->> 'id' AS id
FROM input WHERE label = 'crawler';
SELECT streamflow.create_service(body || '{"id": "svc_ai_abc"}') ->> 'id' AS id
FROM input WHERE label = 'ai';
SELECT id, name, service_type, workflow_id, supports_realtime, stream_direction,
       jsonb_array_length(input_attributes) AS inputs, jsonb_array_length(output_attributes) AS outputs
FROM streamflow.services WHERE id LIKE 'svc\_%\_%' ORDER BY id;

--
-- "service_id" is another name for "id"; giving both is an error
--
SELECT streamflow.create_service('{"service_id": "svc_alias", "name": "Alias Service"}') - 'created_at' AS service;
CALL public.err($$SELECT streamflow.create_service('{"service_id": "svc_a", "id": "svc_b", "name": "x"}')$$);

--
-- Only name is required; it is trimmed; attributes need only a name
--
SELECT streamflow.create_service('{"id": "svc_min", "name": "  Minimal  "}') - 'created_at' AS service;
SELECT streamflow.create_service('{"id": "svc_attrs", "name": "Attrs", "input_attributes": [
  {"name": " a ", "type": "any", "description": "anything", "required": true},
  {"name": "b"}], "output_attributes": []}') -> 'input_attributes' AS input_attributes;
-- every attribute type is accepted
SELECT streamflow.normalize_service_config(jsonb_build_object('name', 'n', 'output_attributes',
	jsonb_agg(jsonb_build_object('name', t, 'type', t)))) -> 'output_attributes' @> '[{"type": "null"}]' AS all_types
FROM unnest(ARRAY['string', 'number', 'integer', 'boolean', 'object', 'array', 'null', 'any']) t;
-- every stream_direction is accepted
SELECT d, streamflow.normalize_service_config(jsonb_build_object('name', 'n', 'stream_direction', d)) ->> 'stream_direction' AS accepted
FROM unnest(ARRAY['inbound', 'outbound', 'bidirectional']) d;

--
-- Rejections (22023), each naming the key
--
-- unknown keys, at the top and inside attributes
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "owner": "me"}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "input_attributes": [{"name": "a", "format": "uri"}]}')$$);
-- stream_direction
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "stream_direction": "sideways"}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "stream_direction": "source-to-destination"}')$$);
-- attribute types
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "output_attributes": [{"name": "a", "type": "string"}, {"name": "b", "type": "text"}]}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "input_attributes": [{"name": "a", "type": 1}]}')$$);
-- attributes: an array of objects with a name
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "input_attributes": [{"type": "string"}]}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "input_attributes": [{"name": ""}]}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "input_attributes": {"name": "a"}}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "output_attributes": ["page_url"]}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "input_attributes": [{"name": "a", "required": "yes"}]}')$$);
-- wrong types
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "supports_realtime": "true"}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "service_type": 3}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": "x", "workflow_id": ["wf"]}')$$);
-- name
CALL public.err($$SELECT streamflow.create_service('{"service_type": "ai-engine"}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": " "}')$$);
CALL public.err($$SELECT streamflow.create_service('{"name": false}')$$);
-- ids
CALL public.err($$SELECT streamflow.create_service('{"id": "svc bad", "name": "x"}')$$);
CALL public.err(format('SELECT streamflow.create_service(%L)', jsonb_build_object('id', repeat('s', 52), 'name', 'x')));
-- not an object
CALL public.err($$SELECT streamflow.create_service('[{"name": "x"}]')$$);
CALL public.err($$SELECT streamflow.create_service('"x"')$$);
CALL public.err($$SELECT streamflow.create_service(NULL)$$);
-- an id already taken (42710)
CALL public.err($$SELECT streamflow.create_service('{"id": "svc_crawler_xyz", "name": "Another Crawler"}')$$);
-- nothing was created by the rejected calls
SELECT count(*) AS services FROM streamflow.services;

--
-- get_service of an unknown service (42704)
--
CALL public.err($$SELECT streamflow.get_service('svc_nope')$$);

--
-- drop_service: refused while a stream uses it (2BP01), as source or destination
--
SELECT streamflow.create_stream('{"id": "stream_uses", "name": "Uses", "source_service_id": "svc_crawler_xyz",
  "destination_service_id": "svc_ai_abc"}') ->> 'id' AS stream;
CALL public.err($$SELECT streamflow.drop_service('svc_crawler_xyz')$$);
CALL public.err($$SELECT streamflow.drop_service('svc_ai_abc')$$);
SELECT count(*) AS still_there FROM streamflow.services WHERE id IN ('svc_crawler_xyz', 'svc_ai_abc');
-- once the stream lets go of one, that one can be dropped
SELECT streamflow.update_stream('Uses', '{"destination_service_id": null}') ? 'destination_service_id' AS uses_destination;
SELECT streamflow.drop_service('svc_ai_abc');
-- after drop_stream the other one too
SELECT streamflow.drop_stream('Uses');
SELECT streamflow.drop_service('svc_crawler_xyz');
SELECT id FROM streamflow.services WHERE id IN ('svc_crawler_xyz', 'svc_ai_abc');
-- unknown service (42704), also once dropped
CALL public.err($$SELECT streamflow.drop_service('svc_crawler_xyz')$$);
CALL public.err($$SELECT streamflow.get_service('svc_ai_abc')$$);
-- the id can be used again
SELECT streamflow.create_service('{"id": "svc_ai_abc", "name": "AI again"}') ->> 'name' AS name;

DROP EXTENSION streamflow CASCADE;
