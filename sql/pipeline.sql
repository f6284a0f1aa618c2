-- pipeline: attribute bindings, then data_schema, inside ingest() and
-- ingest_batch() (DESIGN.md "Order inside ingest"), with seed 000's
-- "Crawler to AI Stream" and its binding example.
CREATE EXTENSION streamflow;
\set SHOW_CONTEXT never

SELECT streamflow.create_service('{"id": "svc_crawler_xyz", "name": "Web Crawler Service", "service_type": "data-processor", "workflow_id": "wf_campaign_123", "output_attributes": [{"name": "page_url", "type": "string"}, {"name": "page_content", "type": "string"}, {"name": "meta_data", "type": "object"}], "supports_realtime": true, "stream_direction": "outbound"}') ->> 'id' AS service;
SELECT streamflow.create_service('{"id": "svc_ai_abc", "name": "AI Analysis Service", "service_type": "ai-engine", "workflow_id": "wf_campaign_123", "input_attributes": [{"name": "page_url", "type": "string"}, {"name": "content", "type": "string"}, {"name": "metadata", "type": "object"}], "supports_realtime": true, "stream_direction": "bidirectional"}') ->> 'id' AS service;

-- Seed 000, Procedure 1, step 3, verbatim (with an id to refer to it)
SELECT streamflow.create_stream('{
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
}') ->> 'id' AS stream;

-- the crawler sends {page_url, page_content, meta_data}; the AI service gets {page_url, content, metadata}
SELECT sequence, payload FROM streamflow.ingest('Crawler to AI Stream',
  '{"page_url": "https://example.com/pricing", "page_content": "<h1>Pricing</h1>", "meta_data": {"status": 200, "lang": "en"}}');

-- a frame without page_url is rejected, naming it
CALL err($$SELECT streamflow.ingest('crawler_ai', '{"page_content": "<p>orphan</p>", "meta_data": {}}')$$);
-- several problems at once: all listed, with the bound names
CALL err($$SELECT streamflow.ingest('crawler_ai', '{"page_url": "see above", "page_content": 42, "meta_data": "none"}')$$);

-- a batch: raise (all or nothing), skip (count), dead_letter (record)
CALL err($$SELECT streamflow.ingest_batch('crawler_ai', '[{"payload": {"page_url": "https://a.example", "page_content": "a"}}, {"payload": {"page_content": "b"}}]')$$);
SELECT * FROM streamflow.ingest_batch('crawler_ai', '[{"payload": {"page_url": "https://a.example", "page_content": "a"}}, {"payload": {"page_content": "b"}}]', 'skip');
SELECT * FROM streamflow.ingest_batch('crawler_ai', '[{"payload": {"page_url": "https://c.example", "page_content": "c"}}, {"payload": {"page_url": "https://d.example"}}]', 'dead_letter');
SELECT source, raw_payload, jsonb_pretty(violations) AS violations FROM streamflow.stream_errors;
SELECT reason, frame FROM streamflow.dead_letters;
SELECT sequence, payload FROM streamflow.frames_since('crawler_ai', 0);
SELECT last_sequence, frames_received, rejected FROM streamflow.stream_state WHERE stream_id = 'crawler_ai';

-- seed 000's binding example: nested paths, lowercase, sum, required
SELECT streamflow.create_stream('{"id": "events", "name": "events", "attribute_bindings": [
  {"source_attribute": "user_data.email", "destination_attribute": "contact.email", "transform": "lowercase", "required": true},
  {"source_attribute": "analytics.page_views", "destination_attribute": "metrics.views", "transform": "sum", "aggregation_window_ms": 60000},
  {"source_attribute": "status", "destination_attribute": "system_status", "transform": "passthrough", "required": true}]}') ->> 'id' AS stream;
SELECT payload FROM streamflow.ingest('events', '{"user_data": {"email": "Ann@Example.COM"}, "analytics": {"page_views": 3}, "status": "ok"}');
SELECT payload FROM streamflow.ingest('events', '{"user_data": {"email": "BOB@example.com"}, "analytics": {"page_views": [2, 2]}, "status": "ok"}');
CALL err($$SELECT streamflow.ingest('events', '{"analytics": {"page_views": "lots"}}')$$);

-- a malformed schema is refused when the stream is created or updated, never at ingest
CALL err($$SELECT streamflow.create_stream('{"name": "bad", "data_schema": {"type": "strin"}}')$$);
CALL err($$SELECT streamflow.update_stream('crawler_ai', '{"data_schema": {"properties": {"page_url": {"pattern": "[a-"}}}}')$$);
CALL err($$SELECT streamflow.update_stream('crawler_ai', '{"data_schema": {"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"}}')$$);
-- a new schema applies to the very next frame
SELECT streamflow.update_stream('crawler_ai', '{"data_schema": {"required": ["metadata"]}}') -> 'data_schema' AS data_schema;
CALL err($$SELECT streamflow.ingest('crawler_ai', '{"page_url": "https://e.example", "page_content": "e"}')$$);

DROP EXTENSION streamflow CASCADE;
