-- bindings.sql: apply_bindings() and the attribute binding engine: seed 000's
-- "Attribute Bindings" and "Transform Functions", paths, required attributes,
-- wrong-type violations and bad binding configs.
BEGIN;
SELECT plan(113);

\ir helpers.psql

-- The one-binding config {"source_attribute": "v", "destination_attribute": "out", ...}.
CREATE FUNCTION pg_temp.sf_binding(transform text, jsonpath text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $f$
	SELECT jsonb_build_array(jsonb_strip_nulls(jsonb_build_object('source_attribute', 'v',
		'destination_attribute', 'out', 'transform', transform, 'jsonpath', jsonpath)))
$f$;
-- What one transform makes of value (apply_bindings on {"v": value}, then "out").
CREATE FUNCTION pg_temp.sf_t(transform text, value jsonb, jsonpath text DEFAULT NULL) RETURNS jsonb
LANGUAGE sql AS $f$
	SELECT streamflow.apply_bindings(pg_temp.sf_binding(transform, jsonpath), jsonb_build_object('v', value))->'out'
$f$;
-- The statement running that transform, for throws_ok and sf_detail.
CREATE FUNCTION pg_temp.sf_t_sql(transform text, value jsonb, jsonpath text DEFAULT NULL) RETURNS text
LANGUAGE sql AS $f$
	SELECT format('SELECT streamflow.apply_bindings(%L, %L)',
		pg_temp.sf_binding(transform, jsonpath), jsonb_build_object('v', value))
$f$;

-------------------------------------------------------------------------------
-- Seed 000, "Transform Functions": every row of the table, exact results
-------------------------------------------------------------------------------
SELECT is(pg_temp.sf_t('passthrough', '"value"'), '"value"', 'passthrough: "value" -> "value"');
SELECT is(pg_temp.sf_t('passthrough', '{"a": [1, {"b": null}]}'), '{"a": [1, {"b": null}]}', 'passthrough keeps containers as they are');
SELECT is(pg_temp.sf_t(NULL, '[1, "x"]'), '[1, "x"]', 'a binding without transform is passthrough');
SELECT is(pg_temp.sf_t('lowercase', '"Hello"'), '"hello"', 'lowercase: "Hello" -> "hello"');
SELECT is(pg_temp.sf_t('uppercase', '"Hello"'), '"HELLO"', 'uppercase: "Hello" -> "HELLO"');
SELECT is(pg_temp.sf_t('lowercase', '"ÀÉÎ Straße ΣΑΣ"') #>> '{}', lower('ÀÉÎ Straße ΣΑΣ'), 'lowercase folds like PostgreSQL''s lower() with the default collation');
SELECT is(pg_temp.sf_t('uppercase', '"àéî straße σας"') #>> '{}', upper('àéî straße σας'), 'uppercase folds like PostgreSQL''s upper() with the default collation');
SELECT is(pg_temp.sf_t('sum', '[1, 2, 3]'), '6', 'sum: [1,2,3] -> 6');
SELECT is(pg_temp.sf_t('average', '[10, 20, 30]'), '20', 'average: [10,20,30] -> 20');
SELECT is(pg_temp.sf_t('average', '[10, 20, 30]')::text, '20', 'average prints 20, not 20.0000000000000000');
SELECT is(pg_temp.sf_t('count', '["a", "b", "c"]'), '3', 'count: [a,b,c] -> 3');
SELECT is(pg_temp.sf_t('filter', '[5, 15, 25]', '$ ? (@ > 10)'), '[15, 25]', 'filter with a filter expression "$ ? (@ > 10)"');
SELECT is(pg_temp.sf_t('filter', '[5, 15, 25]', '$ > 10'), '[15, 25]', 'filter with a predicate "$ > 10"');
SELECT is(pg_temp.sf_t('map', '[{"price": 1}, {"price": 2}]', '$.price'), '[1, 2]', 'map "$.price" over [{"price":1},{"price":2}] -> [1,2]');
SELECT is(pg_temp.sf_t('map', '[1, 2]', '$ * 2'), '[2, 4]', 'map "$ * 2" over [1,2] -> [2,4]');
SELECT is(pg_temp.sf_t('flatten', '[[1, 2], [3, 4]]'), '[1, 2, 3, 4]', 'flatten: [[1,2],[3,4]] -> [1,2,3,4]');
SELECT is(pg_temp.sf_t('json_parse', to_jsonb('{"a":1}'::text)), '{"a": 1}', 'json_parse: "{\"a\":1}" -> {"a":1}');
SELECT is(pg_temp.sf_t('json_stringify', '{"a": 1}'), to_jsonb('{"a":1}'::text), 'json_stringify: {"a":1} -> "{\"a\":1}"');

-------------------------------------------------------------------------------
-- Seed 000, "Attribute Bindings": the example config, verbatim
-------------------------------------------------------------------------------
SELECT is(streamflow.apply_bindings($j$[
    {"source_attribute": "user_data.email", "destination_attribute": "contact.email", "transform": "lowercase", "required": true},
    {"source_attribute": "analytics.page_views", "destination_attribute": "metrics.views", "transform": "sum", "aggregation_window_ms": 60000},
    {"source_attribute": "status", "destination_attribute": "system_status", "transform": "passthrough", "required": true}
  ]$j$, '{"user_data": {"email": "Ada@Example.COM", "name": "Ada"}, "analytics": {"page_views": [3, 4, 5]}, "status": "online", "noise": 1}'),
	'{"contact": {"email": "ada@example.com"}, "metrics": {"views": 12}, "system_status": "online"}',
	'seed example: output holds only the bound attributes; windowed sum over one call is the frame''s sum');

-------------------------------------------------------------------------------
-- Aggregates: empty, null, single values, decimals
-------------------------------------------------------------------------------
SELECT is(pg_temp.sf_t('sum', '[]'), '0', 'sum of [] is 0');
SELECT is(pg_temp.sf_t('average', '[]'), 'null', 'average of [] is null');
SELECT is(pg_temp.sf_t('count', '[]'), '0', 'count of [] is 0');
SELECT is(pg_temp.sf_t('sum', 'null'), '0', 'sum of null is 0 (null holds no values)');
SELECT is(pg_temp.sf_t('average', 'null'), 'null', 'average of null is null');
SELECT is(pg_temp.sf_t('count', 'null'), '0', 'count of null is 0');
SELECT is(pg_temp.sf_t('sum', '7.5'), '7.5', 'sum of a lone number is that number');
SELECT is(pg_temp.sf_t('average', '7.5'), '7.5', 'average of a lone number is that number');
SELECT is(pg_temp.sf_t('count', '"x"'), '1', 'count of a lone value is 1');
SELECT is(pg_temp.sf_t('count', '[null, {}, [], 0]'), '4', 'count counts items of any type, null included');
SELECT is(pg_temp.sf_t('sum', '[1.25, 2.75, 0.000]')::text, '4', 'sum trims trailing zeros: 1.25 + 2.75 + 0.000 -> 4');
SELECT is(pg_temp.sf_t('average', '[1, 2]')::text, '1.5', 'average [1,2] -> 1.5');
SELECT is(pg_temp.sf_t('average', '[10, 20, 31]')::text, '20.3333333333333333', 'a non-terminating average keeps numeric''s division scale');
SELECT is(pg_temp.sf_t('sum', '[-1, 1e2, 0.5]')::text, '99.5', 'sum handles negatives, exponents and fractions exactly');

-------------------------------------------------------------------------------
-- filter, map, flatten beyond the seed rows
-------------------------------------------------------------------------------
SELECT is(pg_temp.sf_t('filter', '[{"p": 5}, {"p": 50}, {"q": 1}, "x"]', '$.p > 10'), '[{"p": 50}]',
	'filter with a predicate on a member; items where the path does not apply are dropped, not errors');
SELECT is(pg_temp.sf_t('filter', '[{"ok": true, "n": 1}, {"ok": false, "n": 2}, {"n": 3}, {"ok": null, "n": 4}]', '$.ok'),
	'[{"n": 1, "ok": true}]', 'filter keeps items whose first result is neither false nor null, nor empty');
SELECT is(pg_temp.sf_t('filter', '[]', '$ > 1'), '[]', 'filter of [] is []');
SELECT is(pg_temp.sf_t('filter', '[1, 2]', '$ ? (@ / 0 > 1)'), '[]', 'jsonpath errors (division by zero) are silent: the item is dropped');
SELECT is(pg_temp.sf_t('map', '[{"price": 1}, {}, 3]', '$.price'), '[1, null, null]', 'map yields null for items where the path finds nothing');
SELECT is(pg_temp.sf_t('map', '[{"price": 1}, {"price": 2}]', '$[*].price'), '[1, 2]', 'map "$[*].price" (the config hint''s form) works per item too');
SELECT is(pg_temp.sf_t('map', '[{"tags": ["a", "b"]}]', '$.tags[*]'), '["a"]', 'map keeps the first result of each item');
SELECT is(pg_temp.sf_t('map', '{"price": 7}', '$.price'), '7', 'map of a non-array evaluates on the value itself');
SELECT is(pg_temp.sf_t('map', '{"price": 7}', '$.cost'), 'null', 'map of a non-array is null when the path finds nothing');
SELECT is(pg_temp.sf_t('flatten', '[[1, [2]], 3, [], [{"a": [4]}]]'), '[1, [2], 3, {"a": [4]}]', 'flatten goes one level deep and keeps non-array items');
SELECT is(pg_temp.sf_t('flatten', '[]'), '[]', 'flatten of [] is []');

-------------------------------------------------------------------------------
-- json_parse and json_stringify
-------------------------------------------------------------------------------
SELECT is(pg_temp.sf_t('json_parse', to_jsonb(' [1, "two", {"three": [true, null]}] '::text)), '[1, "two", {"three": [true, null]}]', 'json_parse: surrounding blanks and nesting');
SELECT is(pg_temp.sf_t('json_parse', to_jsonb('1.50'::text))::text, '1.50', 'json_parse of a number keeps its digits');
SELECT is(pg_temp.sf_t('json_parse', to_jsonb('"caf\u00e9 \n"'::text)), to_jsonb(E'café \n'::text), 'json_parse de-escapes strings');
SELECT is(pg_temp.sf_t('json_parse', to_jsonb('null'::text)), 'null', 'json_parse of "null" is JSON null');
SELECT is(pg_temp.sf_t('json_stringify', '{"b": [1, "x", null, true, {"c": {}}], "a": 1.50}') #>> '{}',
	'{"a":1.50,"b":[1,"x",null,true,{"c":{}}]}', 'json_stringify is compact at every depth (jsonb key order)');
SELECT is(pg_temp.sf_t('json_stringify', to_jsonb(E'quote" back\\ tab\t nl\n ctl\u0001 é €'::text)) #>> '{}',
	E'"quote\\" back\\\\ tab\\t nl\\n ctl\\u0001 é €"', 'json_stringify escapes like JSON.stringify and leaves non-ASCII as is');
SELECT is(pg_temp.sf_t('json_stringify', '"s"') #>> '{}', '"s"', 'json_stringify of a string quotes it');
SELECT is(pg_temp.sf_t('json_stringify', 'null') #>> '{}', 'null', 'json_stringify of null is "null"');
SELECT is(pg_temp.sf_t('json_stringify', '[]') #>> '{}', '[]', 'json_stringify of [] is "[]"');
SELECT is(pg_temp.sf_t('json_parse', pg_temp.sf_t('json_stringify', '{"k": ["é", {"n": -1.5e3}]}')), '{"k": ["é", {"n": -1500}]}',
	'json_parse(json_stringify(x)) gives x back');
SELECT is(length(pg_temp.sf_t('json_stringify', (repeat('[', 5000) || repeat(']', 5000))::jsonb) #>> '{}'), 10000,
	'json_stringify of a value nested 5000 deep works');

-------------------------------------------------------------------------------
-- Paths: nesting, array indexes in both syntaxes, destinations
-------------------------------------------------------------------------------
SELECT is(streamflow.apply_bindings('[{"source_attribute": "a.b.c", "destination_attribute": "x.y.z"}]', '{"a": {"b": {"c": 1}}}'),
	'{"x": {"y": {"z": 1}}}', 'nested source and destination paths');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "items[1].name", "destination_attribute": "n"}]', '{"items": [{"name": "a"}, {"name": "b"}]}'),
	'{"n": "b"}', 'source index with brackets: items[1].name');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "items.1.name", "destination_attribute": "n"}]', '{"items": [{"name": "a"}, {"name": "b"}]}'),
	'{"n": "b"}', 'source index as a dotted digits segment: items.1.name');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "m[0][1]", "destination_attribute": "n"}]', '{"m": [[1, 2], [3]]}'),
	'{"n": 2}', 'consecutive brackets index nested arrays');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "o.0", "destination_attribute": "n"}]', '{"o": {"0": "key"}}'),
	'{"n": "key"}', 'a digits segment is a key when the value is an object');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "o[0]", "destination_attribute": "n"}]', '{"o": {"0": "key"}}'),
	'{}', 'a bracket index never reads an object key');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "items[5]", "destination_attribute": "n"}, {"source_attribute": "s.x", "destination_attribute": "m"}]', '{"items": [1], "s": "str"}'),
	'{}', 'an index past the end, or a key under a scalar, is missing');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "v", "destination_attribute": "list[2]"}]', '{"v": "x"}'),
	'{"list": [null, null, "x"]}', 'a destination index creates an array padded with null');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "list[1].name"}, {"source_attribute": "b", "destination_attribute": "list[0]"}]', '{"a": "x", "b": "y"}'),
	'{"list": ["y", {"name": "x"}]}', 'destination indexes extend the same array; objects inside arrays');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "v", "destination_attribute": "c.0"}]', '{"v": 1}'),
	'{"c": {"0": 1}}', 'a dotted digits segment in a destination is an object key');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "m", "destination_attribute": "meta"}, {"source_attribute": "v", "destination_attribute": "meta.b"}]', '{"m": {"a": 1, "b": 0}, "v": 2}'),
	'{"meta": {"a": 1, "b": 2}}', 'writing below an object written earlier updates it');

-------------------------------------------------------------------------------
-- Binding order, missing and null values
-------------------------------------------------------------------------------
SELECT is(streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "x"}, {"source_attribute": "b", "destination_attribute": "x"}]', '{"a": 1, "b": 2}'),
	'{"x": 2}', 'two bindings to the same destination: the later wins');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "b", "destination_attribute": "x.y"}, {"source_attribute": "a", "destination_attribute": "x"}]', '{"a": 1, "b": 2}'),
	'{"x": 1}', 'a later binding to a parent replaces what was below it');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "x"}, {"source_attribute": "b", "destination_attribute": "x"}]', '{"a": 1}'),
	'{"x": 1}', 'a missing optional source does not overwrite an earlier binding');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "gone", "destination_attribute": "x"}]', '{"a": 1}'),
	'{}', 'a missing optional source writes nothing');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "x", "required": true}]', '{"a": null}'),
	'{"x": null}', 'a JSON null is present: required is satisfied and null is written');
SELECT is(streamflow.apply_bindings('[]', '{"a": 1}'), '{"a": 1}', 'no bindings: the data passes unchanged, as in a stream without bindings');
SELECT is((SELECT array_agg(streamflow.apply_bindings(b, d) ORDER BY i) FROM (VALUES
		(1, '[{"source_attribute": "a", "destination_attribute": "x"}]'::jsonb, '{"a": 1}'::jsonb),
		(2, '[{"source_attribute": "a", "destination_attribute": "x"}]', '{"a": 2}'),
		(3, '[{"source_attribute": "a", "destination_attribute": "y"}]', '{"a": 3}')) t(i, b, d)),
	ARRAY['{"x": 1}', '{"x": 2}', '{"y": 3}']::jsonb[], 'rows of one query with the same and with changed bindings');

-------------------------------------------------------------------------------
-- required: a missing source attribute is a 22023 naming path and keyword
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.apply_bindings('[{"source_attribute": "user_data.email", "destination_attribute": "contact.email", "required": true}]', '{"user_data": {}}')$$,
	'22023', 'attribute bindings rejected the data', 'a missing required attribute raises 22023');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.apply_bindings('[{"source_attribute": "user_data.email", "destination_attribute": "contact.email", "required": true}]', '{"user_data": {}}')$$),
	'$.user_data.email: required attribute "user_data.email" is missing (required)', 'the DETAIL names the path and the keyword required');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.apply_bindings('[{"source_attribute": "items[2].id", "destination_attribute": "x", "required": true}]', '{"items": []}')$$),
	'$.items[2].id: required attribute "items[2].id" is missing (required)', 'a missing required indexed attribute');

-------------------------------------------------------------------------------
-- Wrong types are violations (22023), never other errors
-------------------------------------------------------------------------------
SELECT throws_ok(pg_temp.sf_t_sql('sum', '[1, "2", 3]'), '22023', 'attribute bindings rejected the data', 'sum of a string item raises 22023');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('sum', '[1, "2", 3]')), '$.v[1]: sum needs numbers; item 1 is a string (sum)', 'sum names the index of the string item');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('sum', '"12"')), '$.v: sum needs numbers; the value is a string (sum)', 'sum of a lone string');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('average', '[1, null]')), '$.v[1]: average needs numbers; item 1 is null (average)', 'average of a null item');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('sum', '[[1]]')), '$.v[0]: sum needs numbers; item 0 is an array (sum)', 'sum does not descend into nested arrays');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('lowercase', '42')), '$.v: lowercase needs a string; the value is a number (lowercase)', 'lowercase of a number');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('uppercase', 'null')), '$.v: uppercase needs a string; the value is null (uppercase)', 'uppercase of null');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('flatten', '{"a": [1]}')), '$.v: flatten needs an array; the value is an object (flatten)', 'flatten of an object');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('filter', '{"a": 1}', '$ > 1')), '$.v: filter needs an array; the value is an object (filter)', 'filter of an object');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('filter', '"abc"', '$ > 1')), '$.v: filter needs an array; the value is a string (filter)', 'filter of a string');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('json_parse', to_jsonb('{"a" 1}'::text))), '$.v: json_parse needs valid JSON text: Expected ":", but found "1" (json_parse)', 'json_parse of invalid JSON carries the parser''s reason');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('json_parse', to_jsonb('[1, 2'::text))), '$.v: json_parse needs valid JSON text: The input string ended unexpectedly (json_parse)', 'json_parse of truncated JSON');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('json_parse', to_jsonb('"\u0000"'::text))), '$.v: json_parse needs valid JSON text: \u0000 cannot be converted to text (json_parse)', 'json_parse of \u0000 is a violation, not an error');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('json_parse', to_jsonb('[1e999999]'::text))), '$.v: json_parse needs valid JSON text: the number 1e999999 is beyond the range of PostgreSQL''s numeric type (json_parse)', 'json_parse of a number numeric cannot hold');
SELECT is(pg_temp.sf_detail(pg_temp.sf_t_sql('json_parse', '{"a": 1}')), '$.v: json_parse needs a string; the value is an object (json_parse)', 'json_parse of a non-string');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "x", "transform": "sum"}, {"source_attribute": "b", "destination_attribute": "y", "transform": "lowercase"}, {"source_attribute": "c", "destination_attribute": "z", "required": true}, {"source_attribute": "d", "destination_attribute": "w"}]', '{"a": "1", "b": 2, "d": 4}')$$),
	E'$.a: sum needs numbers; the value is a string (sum)\n$.b: lowercase needs a string; the value is a number (lowercase)\n$.c: required attribute "c" is missing (required)',
	'every failing binding is reported, one line each, in binding order');
SELECT throws_ok(pg_temp.sf_t_sql('filter', '[1]', '$ ? (@ > $min)'), '22023', 'stream option "attribute_bindings[0].jsonpath" uses the variable $min, but bindings pass no variables', 'a jsonpath with variables is refused with the bindings, before any data');
SELECT throws_ok(pg_temp.sf_t_sql('json_parse', to_jsonb(repeat('[', 200000) || repeat(']', 200000))), '54001', NULL,
	'json_parse of text nested 200000 deep hits the stack depth limit cleanly');

-------------------------------------------------------------------------------
-- Paths the config layer accepts but that are no paths are violations
-------------------------------------------------------------------------------
SELECT is(pg_temp.sf_detail($$SELECT streamflow.apply_bindings('[{"source_attribute": "a..b", "destination_attribute": "x"}]', '{}')$$),
	'$: source_attribute "a..b" has an empty segment (source_attribute)', 'an empty source segment');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.apply_bindings('[{"source_attribute": "a[x]", "destination_attribute": "x"}]', '{}')$$),
	'$: source_attribute "a[x]" has a malformed array index (source_attribute)', 'a malformed source bracket');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "x."}]', '{"a": 1}')$$),
	'$: destination_attribute "x." has an empty segment (destination_attribute)', 'an empty destination segment');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "x[1"}]', '{"a": 1}')$$),
	'$: destination_attribute "x[1" has a malformed array index (destination_attribute)', 'an unclosed destination bracket');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "[0]"}]', '{"a": 1}')$$),
	'$: destination_attribute "[0]" must start with a key, since the output is an object (destination_attribute)', 'a destination starting with an index');
SELECT is(pg_temp.sf_detail($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "x[65536]"}]', '{"a": 1}')$$),
	'$: destination_attribute "x[65536]" has an array index above 65535 (destination_attribute)', 'a destination index too large to pad');

-------------------------------------------------------------------------------
-- Bad binding configs are rejected like create_stream rejects them
-------------------------------------------------------------------------------
SELECT throws_ok($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "b", "colour": "red"}]', '{}')$$,
	'22023', 'unknown stream option "attribute_bindings[0].colour"', 'an unknown binding key');
SELECT throws_ok($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "b", "transform": "reverse"}]', '{}')$$,
	'22023', 'invalid value "reverse" for stream option "attribute_bindings[0].transform"', 'an unknown transform');
SELECT throws_ok($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "b", "transform": "filter"}]', '{}')$$,
	'22023', 'stream option "attribute_bindings[0].jsonpath" is required by transform "filter"', 'filter without jsonpath');
SELECT throws_ok($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "b", "transform": "map"}]', '{}')$$,
	'22023', 'stream option "attribute_bindings[0].jsonpath" is required by transform "map"', 'map without jsonpath');
SELECT throws_ok($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "b", "transform": "filter", "jsonpath": "$ ? ("}]', '{}')$$,
	'22023', 'invalid value "$ ? (" for stream option "attribute_bindings[0].jsonpath"', 'an invalid jsonpath');
SELECT throws_ok($$SELECT streamflow.apply_bindings('[{"destination_attribute": "b"}]', '{}')$$,
	'22023', 'stream option "attribute_bindings[0].source_attribute" is required', 'a binding without source_attribute');
SELECT throws_ok($$SELECT streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "b", "aggregation_window_ms": 0}]', '{}')$$,
	'22023', 'stream option "attribute_bindings[0].aggregation_window_ms" must be at least 1', 'aggregation_window_ms below 1');
SELECT throws_ok($$SELECT streamflow.apply_bindings('{"source_attribute": "a"}', '{}')$$,
	'22023', 'stream option "attribute_bindings" must be an array of objects', 'bindings that are not an array');

-- found by the fuzzer (make fuzz): a destination written as an array, then as an object
SELECT is(streamflow.apply_bindings('[{"source_attribute": "a", "destination_attribute": "x[0]"}, {"source_attribute": "a", "destination_attribute": "x.y"}]', '{"a": 1}'),
	'{"x": {"y": 1}}'::jsonb, 'a later binding turns an array destination into an object without crashing');
-- and a jsonpath variable with a non-ASCII name is refused like any other
SELECT throws_ok($$SELECT streamflow.apply_bindings('[{"source_attribute": "n", "destination_attribute": "f", "transform": "filter", "jsonpath": "$ ? (@ > $é)"}]', '{"n": [1, 2]}')$$,
	'22023', 'stream option "attribute_bindings[0].jsonpath" uses the variable $é, but bindings pass no variables',
	'a non-ASCII jsonpath variable is refused with the bindings');

-- variables are found in the compiled jsonpath, wherever they stand
SELECT throws_ok($j$SELECT streamflow.apply_bindings('[{"source_attribute": "n", "destination_attribute": "f", "transform": "filter", "jsonpath": "$ ? (@ > $''x)"}]', '{"n": [1]}')$j$,
	'22023', NULL, 'a punctuation-named variable is refused with the bindings (found by the fuzzer)');
SELECT throws_ok($j$SELECT streamflow.apply_bindings('[{"source_attribute": "n", "destination_attribute": "f", "transform": "map", "jsonpath": "$[$i to last]"}]', '{"n": [1]}')$j$,
	'22023', 'stream option "attribute_bindings[0].jsonpath" uses the variable $i, but bindings pass no variables',
	'a variable inside an array subscript is refused');
SELECT is(streamflow.apply_bindings('[{"source_attribute": "n", "destination_attribute": "f", "transform": "filter", "jsonpath": "$ ? (@ == \"$y\")"}]', '{"n": ["$y", "z"]}'),
	'{"f": ["$y"]}'::jsonb, 'a "$y" inside a string literal is text, not a variable');

SELECT * FROM finish();
ROLLBACK;
