-- One tick of the demo feeder: clicks, a price, sometimes an order.
SELECT streamflow.generate_test_frames('clickstream', 5, 5);
SELECT streamflow.ingest('market_data',
  jsonb_build_object('price', round((1850 + 25 * sin(extract(epoch FROM now()) / 30) + random())::numeric, 2),
                     'volume', round((random() * 2000)::numeric, 2), 'timestamp', now()),
  latency_ms => (random() * 1200)::int);
INSERT INTO demo_orders (customer, amount)
  SELECT 'customer_' || (random() * 50)::int, round((random() * 200)::numeric, 2) WHERE random() < 0.3;
