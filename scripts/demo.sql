-- The demo workflow: seed 000's crawler → AI services and stream, seed 002's
-- market data feed, seed 001's clickstream, and a table captured into a stream.
CREATE EXTENSION IF NOT EXISTS streamflow;
CREATE EXTENSION IF NOT EXISTS pg_cron;

SELECT streamflow.create_service('{
  "id": "svc_crawler_xyz", "name": "Web Crawler Service", "service_type": "data-processor",
  "workflow_id": "wf_campaign_123",
  "output_attributes": [{"name": "page_url", "type": "string"}, {"name": "page_content", "type": "string"},
                        {"name": "meta_data", "type": "object"}],
  "supports_realtime": true, "stream_direction": "outbound"}') ->> 'id' AS service;
SELECT streamflow.create_service('{
  "id": "svc_ai_abc", "name": "AI Analysis Service", "service_type": "ai-engine",
  "workflow_id": "wf_campaign_123",
  "input_attributes": [{"name": "page_url", "type": "string"}, {"name": "content", "type": "string"},
                       {"name": "metadata", "type": "object"}],
  "output_attributes": [{"name": "analysis_result", "type": "object"}, {"name": "confidence_score", "type": "number"}],
  "supports_realtime": true, "stream_direction": "bidirectional"}') ->> 'id' AS service;

SELECT streamflow.create_stream('{
  "id": "crawler_to_ai", "name": "Crawler to AI Stream",
  "source_service_id": "svc_crawler_xyz", "destination_service_id": "svc_ai_abc",
  "stream_type": "websocket", "direction": "bidirectional", "data_format": "json",
  "realtime_protocol": "wss", "buffer_size": 100,
  "attribute_bindings": [
    {"source_attribute": "page_url", "destination_attribute": "page_url", "transform": "passthrough"},
    {"source_attribute": "page_content", "destination_attribute": "content", "transform": "passthrough"},
    {"source_attribute": "meta_data", "destination_attribute": "metadata", "transform": "passthrough"}],
  "data_schema": {"type": "object", "required": ["page_url", "content"],
                  "properties": {"page_url": {"type": "string", "format": "uri"},
                                 "content": {"type": "string"}, "metadata": {"type": "object"}}},
  "retry_policy": {"max_retries": 3, "backoff_ms": 1000}}') ->> 'id' AS stream;

SELECT streamflow.create_stream('{
  "id": "market_data", "name": "Market Data Feed", "symbol": "eth-usd",
  "description": "Ethereum price feed", "frequency": "1s", "sla_ms": 1000, "status": "active",
  "metadata": {"source": "exchange-api", "env": "demo"}, "retention": "1 day"}') ->> 'id' AS stream;

SELECT streamflow.create_stream('{
  "id": "clickstream", "name": "Clickstream", "description": "seed 001 test events",
  "stream_type": "sse", "retention": "1 hour"}') ->> 'id' AS stream;

SELECT streamflow.create_stream('{"id": "orders", "name": "Orders", "description": "rows of demo_orders"}') ->> 'id' AS stream;

CREATE TABLE demo_orders (id serial PRIMARY KEY, customer text NOT NULL, amount numeric NOT NULL,
                          created_at timestamptz NOT NULL DEFAULT now());
CREATE TRIGGER demo_orders_capture AFTER INSERT OR UPDATE OR DELETE ON demo_orders
  FOR EACH ROW EXECUTE FUNCTION streamflow.capture('orders');

SELECT streamflow.schedule_retention('* * * * *') AS retention_job;
SELECT streamflow.generate_test_frames('clickstream', 20, 10) AS seeded_frames;
