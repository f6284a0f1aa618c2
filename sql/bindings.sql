-- bindings: apply_bindings() and seed 000's "Attribute Bindings" and
-- "Transform Functions" (DESIGN.md, "SQL contract").
CREATE EXTENSION streamflow;
\set SHOW_CONTEXT never

--
-- Seed 000's attribute_bindings example, verbatim, on a matching payload:
-- the output holds only the bound attributes, in nested destinations.
--
SELECT jsonb_pretty(streamflow.apply_bindings($j$[
    {"source_attribute": "user_data.email", "destination_attribute": "contact.email", "transform": "lowercase", "required": true},
    {"source_attribute": "analytics.page_views", "destination_attribute": "metrics.views", "transform": "sum", "aggregation_window_ms": 60000},
    {"source_attribute": "status", "destination_attribute": "system_status", "transform": "passthrough", "required": true}
  ]$j$,
  '{"user_data": {"email": "Ada@Example.COM", "name": "Ada"}, "analytics": {"page_views": [3, 4, 5]}, "status": "online", "noise": true}'))
  AS seed_example;

--
-- Seed 000's transform table, one row each: the value and what it becomes
--
CREATE TEMP TABLE transform_table (n int, transform text, jsonpath text, value jsonb);
INSERT INTO transform_table VALUES
	(1, 'passthrough', NULL, '"value"'),
	(2, 'lowercase', NULL, '"Hello"'),
	(3, 'uppercase', NULL, '"Hello"'),
	(4, 'sum', NULL, '[1, 2, 3]'),
	(5, 'average', NULL, '[10, 20, 30]'),
	(6, 'count', NULL, '["a", "b", "c"]'),
	(7, 'filter', '$ ? (@ > 10)', '[5, 15, 25]'),
	(8, 'filter', '$ > 10', '[5, 15, 25]'),
	(9, 'map', '$.price', '[{"price": 1}, {"price": 2}]'),
	(10, 'map', '$ * 2', '[1, 2]'),
	(11, 'flatten', NULL, '[[1, 2], [3, 4]]'),
	(12, 'json_parse', NULL, '"{\"a\":1}"'),
	(13, 'json_stringify', NULL, '{"a": 1}');
SELECT transform, jsonpath, value,
	streamflow.apply_bindings(
		jsonb_build_array(jsonb_strip_nulls(jsonb_build_object('source_attribute', 'v',
			'destination_attribute', 'out', 'transform', transform, 'jsonpath', jsonpath))),
		jsonb_build_object('v', value))->'out' AS result
FROM transform_table ORDER BY n;

--
-- Aggregates of empty and null values
--
SELECT streamflow.apply_bindings('[
	{"source_attribute": "e", "destination_attribute": "sum_empty", "transform": "sum"},
	{"source_attribute": "e", "destination_attribute": "average_empty", "transform": "average"},
	{"source_attribute": "e", "destination_attribute": "count_empty", "transform": "count"},
	{"source_attribute": "n", "destination_attribute": "count_null", "transform": "count"},
	{"source_attribute": "one", "destination_attribute": "count_one", "transform": "count"}]',
	'{"e": [], "n": null, "one": "x"}') AS aggregates;

--
-- Paths: array indexes in both syntaxes, destinations that build arrays,
-- the later of two bindings to one destination wins, a missing optional
-- source writes nothing
--
SELECT jsonb_pretty(streamflow.apply_bindings('[
	{"source_attribute": "items[0].name", "destination_attribute": "names[0]"},
	{"source_attribute": "items.1.name", "destination_attribute": "names[1]"},
	{"source_attribute": "items[1].tags", "destination_attribute": "last.tags", "transform": "json_stringify"},
	{"source_attribute": "status", "destination_attribute": "state"},
	{"source_attribute": "override", "destination_attribute": "state"},
	{"source_attribute": "absent", "destination_attribute": "nothing"}]',
	'{"items": [{"name": "a"}, {"name": "b", "tags": ["x", "y"]}], "status": "old", "override": "new"}')) AS paths;

--
-- Violations: 22023, one DETAIL line per failing binding ("path: message (keyword)")
--
CALL public.err($$SELECT streamflow.apply_bindings('[{"source_attribute": "user_data.email", "destination_attribute": "contact.email", "required": true}]', '{"user_data": {}}')$$);
CALL public.err($$SELECT streamflow.apply_bindings('[
	{"source_attribute": "views", "destination_attribute": "total", "transform": "sum"},
	{"source_attribute": "email", "destination_attribute": "email", "transform": "lowercase"},
	{"source_attribute": "groups", "destination_attribute": "all", "transform": "flatten"},
	{"source_attribute": "raw", "destination_attribute": "parsed", "transform": "json_parse"},
	{"source_attribute": "items", "destination_attribute": "big", "transform": "filter", "jsonpath": "$ > 10"}]',
	'{"views": [1, "2"], "email": 42, "groups": {"a": [1]}, "raw": "{\"a\" 1}", "items": {"a": 11}}')$$);
CALL public.err($$SELECT streamflow.apply_bindings('[{"source_attribute": "a..b", "destination_attribute": "x[1"}]', '{}')$$);

--
-- Bad binding configs are rejected like create_stream rejects them
--
CALL public.err($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "b", "colour": "red"}]', '{}')$$);
CALL public.err($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "b", "transform": "reverse"}]', '{}')$$);
CALL public.err($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "b", "transform": "filter"}]', '{}')$$);

DROP TABLE transform_table;
DROP EXTENSION streamflow CASCADE;
