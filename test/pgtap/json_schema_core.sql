-- json_schema_core.sql: streamflow.validate() against the JSON Schema draft-07
-- validation keywords (draft-handrews-json-schema-validation-01) and boolean
-- schemas (draft-handrews-json-schema-01 section 4.3.1), written from the
-- specification.  Every case is (schema, instance, expected validity); the
-- section number in each group's header is the Validation spec's.
BEGIN;
SELECT plan(475);

SET client_encoding = 'UTF8';
\ir json_schema_helpers.psql

-------------------------------------------------------------------------------
-- Boolean schemas and the empty schema (Core 4.3.1, 4.3.2)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('true', 'null', true, 'schema true: null is valid'),
	('true', '{"a": [1, 2]}', true, 'schema true: an object is valid'),
	('true', '1e308', true, 'schema true: a huge number is valid'),
	('false', 'null', false, 'schema false: null is invalid'),
	('false', '{}', false, 'schema false: an empty object is invalid'),
	('false', '[]', false, 'schema false: an empty array is invalid'),
	('false', '0', false, 'schema false: 0 is invalid'),
	('false', '""', false, 'schema false: the empty string is invalid'),
	('{}', 'null', true, 'empty schema: null is valid'),
	('{}', '"x"', true, 'empty schema: a string is valid'),
	('{}', '[1, "a", {}]', true, 'empty schema: an array is valid'),
	('{}', '{"k": false}', true, 'empty schema: an object is valid'),
	('{}', '-1.5', true, 'empty schema: a negative fraction is valid'),
	('{}', 'false', true, 'empty schema: false is valid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- type (6.1.1)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"type": "null"}', 'null', true, 'type null: null is valid'),
	('{"type": "null"}', 'false', false, 'type null: false is not null'),
	('{"type": "null"}', '0', false, 'type null: 0 is not null'),
	('{"type": "null"}', '""', false, 'type null: "" is not null'),
	('{"type": "boolean"}', 'true', true, 'type boolean: true is valid'),
	('{"type": "boolean"}', 'false', true, 'type boolean: false is valid'),
	('{"type": "boolean"}', '0', false, 'type boolean: 0 is not a boolean'),
	('{"type": "boolean"}', '"true"', false, 'type boolean: "true" is not a boolean'),
	('{"type": "boolean"}', 'null', false, 'type boolean: null is not a boolean'),
	('{"type": "object"}', '{}', true, 'type object: {} is valid'),
	('{"type": "object"}', '[]', false, 'type object: [] is not an object'),
	('{"type": "object"}', 'null', false, 'type object: null is not an object'),
	('{"type": "array"}', '[]', true, 'type array: [] is valid'),
	('{"type": "array"}', '{}', false, 'type array: {} is not an array'),
	('{"type": "array"}', '"[]"', false, 'type array: the string "[]" is not an array'),
	('{"type": "number"}', '1', true, 'type number: 1 is a number'),
	('{"type": "number"}', '-1.5e-10', true, 'type number: -1.5e-10 is a number'),
	('{"type": "number"}', '1e308', true, 'type number: 1e308 is a number'),
	('{"type": "number"}', '"1"', false, 'type number: "1" is not a number'),
	('{"type": "number"}', 'true', false, 'type number: true is not a number'),
	('{"type": "string"}', '""', true, 'type string: "" is a string'),
	('{"type": "string"}', '"1"', true, 'type string: "1" is a string'),
	('{"type": "string"}', '1', false, 'type string: 1 is not a string'),
	('{"type": "string"}', 'null', false, 'type string: null is not a string'),
	('{"type": "integer"}', '1', true, 'type integer: 1 is an integer'),
	('{"type": "integer"}', '-3', true, 'type integer: -3 is an integer'),
	('{"type": "integer"}', '1.0', true, 'type integer: 1.0 is an integer (zero fractional part, 6.1.1)'),
	('{"type": "integer"}', '0.0', true, 'type integer: 0.0 is an integer'),
	('{"type": "integer"}', '1.5', false, 'type integer: 1.5 is not an integer'),
	('{"type": "integer"}', '1e-2', false, 'type integer: 1e-2 is not an integer'),
	('{"type": "integer"}', '1e308', true, 'type integer: 1e308 is an integer'),
	('{"type": "integer"}', '1.0e2', true, 'type integer: 1.0e2 is an integer'),
	('{"type": "integer"}', '123456789012345678901234567890', true, 'type integer: an integer beyond int64 is an integer'),
	('{"type": "integer"}', '1.000000000000000000001', false, 'type integer: 1.000000000000000000001 is not an integer (no rounding to double)'),
	('{"type": "integer"}', 'true', false, 'type integer: true is not an integer'),
	('{"type": "integer"}', '1.5e400', true, 'type integer: 1.5e400 (beyond double range) is an integer'),
	('{"type": "integer"}', '1e-400', false, 'type integer: 1e-400 is not an integer (and not 0)'),
	('{"type": "integer"}', '"1"', false, 'type integer: "1" is not an integer'),
	('{"type": ["string", "null"]}', 'null', true, 'type [string, null]: null is valid'),
	('{"type": ["string", "null"]}', '"x"', true, 'type [string, null]: a string is valid'),
	('{"type": ["string", "null"]}', '1', false, 'type [string, null]: 1 is neither'),
	('{"type": ["integer"]}', '1.5', false, 'type [integer]: 1.5 is invalid'),
	('{"type": ["integer"]}', '2', true, 'type [integer]: 2 is valid'),
	('{"type": ["array", "object"]}', '[]', true, 'type [array, object]: [] is valid'),
	('{"type": ["array", "object"]}', '{}', true, 'type [array, object]: {} is valid'),
	('{"type": ["array", "object"]}', '"{}"', false, 'type [array, object]: a string is invalid'),
	('{"type": ["number", "boolean"]}', 'false', true, 'type [number, boolean]: false is valid'),
	('{"type": ["number", "boolean"]}', 'null', false, 'type [number, boolean]: null is invalid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- enum (6.1.2): equality is JSON equality (4.2.2): 1 = 1.0, false <> 0
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"enum": [1, 2, 3]}', '2', true, 'enum [1,2,3]: 2 is a member'),
	('{"enum": [1, 2, 3]}', '4', false, 'enum [1,2,3]: 4 is not a member'),
	('{"enum": [1, 2, 3]}', '"1"', false, 'enum [1,2,3]: "1" is not 1'),
	('{"enum": [1]}', '1.0', true, 'enum [1]: 1.0 equals 1'),
	('{"enum": [1.0]}', '1', true, 'enum [1.0]: 1 equals 1.0'),
	('{"enum": [0]}', 'false', false, 'enum [0]: false is not 0'),
	('{"enum": [false]}', '0', false, 'enum [false]: 0 is not false'),
	('{"enum": [true]}', '1', false, 'enum [true]: 1 is not true'),
	('{"enum": [false]}', 'false', true, 'enum [false]: false is a member'),
	('{"enum": [null]}', 'null', true, 'enum [null]: null is a member'),
	('{"enum": [null]}', '0', false, 'enum [null]: 0 is not null'),
	('{"enum": [null]}', '""', false, 'enum [null]: "" is not null'),
	('{"enum": [null]}', '{}', false, 'enum [null]: {} is not null'),
	('{"enum": ["a", null]}', 'null', true, 'enum ["a", null]: null is a member'),
	('{"enum": [{"a": 1}, [1, 2]]}', '{"a": 1}', true, 'enum with an object: the equal object is a member'),
	('{"enum": [{"a": 1}, [1, 2]]}', '{"a": 1.0}', true, 'enum with an object: {"a": 1.0} equals {"a": 1}'),
	('{"enum": [{"a": 1}, [1, 2]]}', '{"a": 1, "b": 2}', false, 'enum with an object: an object with an extra key is not a member'),
	('{"enum": [{"a": 1}, [1, 2]]}', '{"a": "1"}', false, 'enum with an object: {"a": "1"} is not a member'),
	('{"enum": [{"a": 1}, [1, 2]]}', '{}', false, 'enum with an object: {} is not a member'),
	('{"enum": [{"a": 1}, [1, 2]]}', '[1, 2]', true, 'enum with an array: the equal array is a member'),
	('{"enum": [{"a": 1}, [1, 2]]}', '[1.0, 2]', true, 'enum with an array: [1.0, 2] equals [1, 2]'),
	('{"enum": [{"a": 1}, [1, 2]]}', '[2, 1]', false, 'enum with an array: order matters, [2, 1] is not a member'),
	('{"enum": [{"a": 1}, [1, 2]]}', '[1, 2, 3]', false, 'enum with an array: a longer array is not a member'),
	('{"enum": [{"b": 1, "a": 2}]}', '{"a": 2, "b": 1}', true, 'enum: key order does not matter'),
	('{"enum": [[false]]}', '[0]', false, 'enum [[false]]: [0] is not a member'),
	('{"enum": [{"a": false}]}', '{"a": 0}', false, 'enum [{"a": false}]: {"a": 0} is not a member'),
	('{"enum": [{"a": null}]}', '{}', false, 'enum [{"a": null}]: {} (key absent) is not a member'),
	('{"enum": []}', '1', false, 'enum []: nothing is a member'),
	('{"enum": [0]}', '-0', true, 'enum [0]: -0 equals 0'),
	('{"enum": [1e400]}', '10e399', true, 'enum [1e400]: 10e399 equals 1e400'),
	('{"enum": ["x"]}', '"x "', false, 'enum ["x"]: "x " is not "x"')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- const (6.1.3)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"const": 2}', '2', true, 'const 2: 2 is valid'),
	('{"const": 2}', '2.0', true, 'const 2: 2.0 is valid'),
	('{"const": 2}', '"2"', false, 'const 2: "2" is invalid'),
	('{"const": 2}', '3', false, 'const 2: 3 is invalid'),
	('{"const": false}', 'false', true, 'const false: false is valid'),
	('{"const": false}', '0', false, 'const false: 0 is invalid'),
	('{"const": false}', 'null', false, 'const false: null is invalid'),
	('{"const": 0}', 'false', false, 'const 0: false is invalid'),
	('{"const": 1}', 'true', false, 'const 1: true is invalid'),
	('{"const": null}', 'null', true, 'const null: null is valid'),
	('{"const": null}', '0', false, 'const null: 0 is invalid'),
	('{"const": null}', 'false', false, 'const null: false is invalid'),
	('{"const": null}', '""', false, 'const null: "" is invalid'),
	('{"const": null}', '{}', false, 'const null: {} is invalid'),
	('{"const": {"a": [1, {"b": null}]}}', '{"a": [1, {"b": null}]}', true, 'const nested: an equal document is valid'),
	('{"const": {"a": [1, {"b": null}]}}', '{"a": [1.0, {"b": null}]}', true, 'const nested: 1.0 for 1 deep inside is still equal'),
	('{"const": {"a": [1, {"b": null}]}}', '{"a": [1, {"b": false}]}', false, 'const nested: false for null deep inside is invalid'),
	('{"const": {"a": [1, {"b": null}]}}', '{"a": [1, {}]}', false, 'const nested: a missing null member is invalid'),
	('{"const": {"a": [1, {"b": null}]}}', '{"a": [1, {"b": null}], "c": 1}', false, 'const nested: an extra member is invalid'),
	('{"const": []}', '[]', true, 'const []: [] is valid'),
	('{"const": []}', '{}', false, 'const []: {} is invalid'),
	('{"const": []}', '[null]', false, 'const []: [null] is invalid'),
	('{"const": ""}', '""', true, 'const "": "" is valid'),
	('{"const": ""}', 'null', false, 'const "": null is invalid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- multipleOf (6.2.1): exact decimal division
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"multipleOf": 2}', '10', true, 'multipleOf 2: 10 is valid'),
	('{"multipleOf": 2}', '7', false, 'multipleOf 2: 7 is invalid'),
	('{"multipleOf": 2}', '0', true, 'multipleOf 2: 0 is valid'),
	('{"multipleOf": 2}', '-4', true, 'multipleOf 2: -4 is valid'),
	('{"multipleOf": 2}', '"7"', true, 'multipleOf 2: a string is ignored'),
	('{"multipleOf": 1.5}', '4.5', true, 'multipleOf 1.5: 4.5 is valid'),
	('{"multipleOf": 1.5}', '19', false, 'multipleOf 1.5: 19 is invalid'),
	('{"multipleOf": 1.5}', '3', true, 'multipleOf 1.5: 3 is valid'),
	('{"multipleOf": 0.0001}', '0.0075', true, 'multipleOf 0.0001: 0.0075 is valid (exact)'),
	('{"multipleOf": 0.0001}', '0.00751', false, 'multipleOf 0.0001: 0.00751 is invalid'),
	('{"multipleOf": 0.1}', '0.3', true, 'multipleOf 0.1: 0.3 is valid (no binary float error)'),
	('{"multipleOf": 0.01}', '19.99', true, 'multipleOf 0.01: 19.99 is valid (no binary float error)'),
	('{"multipleOf": 1}', '1.0', true, 'multipleOf 1: 1.0 is valid'),
	('{"multipleOf": 1}', '12345678901234567890.5', false, 'multipleOf 1: 12345678901234567890.5 is invalid'),
	('{"multipleOf": 5}', '1e308', true, 'multipleOf 5: 1e308 is valid'),
	('{"multipleOf": 3}', '1e308', false, 'multipleOf 3: 1e308 is invalid (10^308 mod 3 = 1)'),
	('{"multipleOf": 2}', '1.5e400', true, 'multipleOf 2: 1.5e400 is valid'),
	('{"multipleOf": 1e-300}', '1e300', true, 'multipleOf 1e-300: 1e300 is valid'),
	('{"multipleOf": 0.5}', 'null', true, 'multipleOf 0.5: null is ignored')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- maximum, exclusiveMaximum, minimum, exclusiveMinimum (6.2.2 - 6.2.5)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"maximum": 3}', '3', true, 'maximum 3: 3 is valid (inclusive)'),
	('{"maximum": 3}', '3.0', true, 'maximum 3: 3.0 is valid'),
	('{"maximum": 3}', '3.0001', false, 'maximum 3: 3.0001 is invalid'),
	('{"maximum": 3}', '-100', true, 'maximum 3: -100 is valid'),
	('{"maximum": 3}', '"10"', true, 'maximum 3: the string "10" is ignored'),
	('{"maximum": 3}', 'true', true, 'maximum 3: a boolean is ignored'),
	('{"maximum": 3}', '[10]', true, 'maximum 3: an array is ignored'),
	('{"maximum": 9223372036854775807}', '9223372036854775808', false, 'maximum int64 max: int64 max + 1 is invalid'),
	('{"maximum": 9223372036854775807}', '9223372036854775807', true, 'maximum int64 max: int64 max is valid'),
	('{"exclusiveMaximum": 3}', '3', false, 'exclusiveMaximum 3: 3 is invalid'),
	('{"exclusiveMaximum": 3}', '3.0', false, 'exclusiveMaximum 3: 3.0 is invalid'),
	('{"exclusiveMaximum": 3}', '2.9999', true, 'exclusiveMaximum 3: 2.9999 is valid'),
	('{"exclusiveMaximum": 3}', '"x"', true, 'exclusiveMaximum 3: a string is ignored'),
	('{"minimum": 1.1}', '1.1', true, 'minimum 1.1: 1.1 is valid (inclusive)'),
	('{"minimum": 1.1}', '1.10', true, 'minimum 1.1: 1.10 is valid'),
	('{"minimum": 1.1}', '1.09', false, 'minimum 1.1: 1.09 is invalid'),
	('{"minimum": 1.1}', 'null', true, 'minimum 1.1: null is ignored'),
	('{"minimum": -2}', '-2', true, 'minimum -2: -2 is valid'),
	('{"minimum": -2}', '-2.0001', false, 'minimum -2: -2.0001 is invalid'),
	('{"minimum": 0.1}', '0.09999999999999999999', false, 'minimum 0.1: 0.09999999999999999999 is invalid (exact comparison)'),
	('{"minimum": -1e400}', '-1e401', false, 'minimum -1e400: -1e401 is invalid'),
	('{"maximum": 1e400}', '1e400', true, 'maximum 1e400: 1e400 is valid'),
	('{"exclusiveMinimum": 1.1}', '1.1', false, 'exclusiveMinimum 1.1: 1.1 is invalid'),
	('{"exclusiveMinimum": 1.1}', '1.1000001', true, 'exclusiveMinimum 1.1: 1.1000001 is valid'),
	('{"exclusiveMinimum": 1.1}', '{}', true, 'exclusiveMinimum 1.1: an object is ignored'),
	('{"maximum": 5, "exclusiveMaximum": 5}', '5', false, 'maximum 5 and exclusiveMaximum 5: 5 is invalid'),
	('{"maximum": 5, "exclusiveMaximum": 6}', '5.5', false, 'maximum 5 and exclusiveMaximum 6: 5.5 is invalid (both apply)'),
	('{"minimum": 5, "exclusiveMinimum": 5}', '5', false, 'minimum 5 and exclusiveMinimum 5: 5 is invalid'),
	('{"minimum": 0, "maximum": 0}', '0', true, 'minimum 0 and maximum 0: 0 is valid'),
	('{"minimum": 0, "maximum": 0}', '-0.0', true, 'minimum 0 and maximum 0: -0.0 is valid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- maxLength, minLength (6.3.1, 6.3.2): characters are code points (RFC 7159)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"maxLength": 2}', '"f"', true, 'maxLength 2: "f" is valid'),
	('{"maxLength": 2}', '"fo"', true, 'maxLength 2: "fo" is valid (inclusive)'),
	('{"maxLength": 2}', '"foo"', false, 'maxLength 2: "foo" is invalid'),
	('{"maxLength": 2}', '"💩💩"', true, 'maxLength 2: two U+1F4A9 (8 bytes, 4 UTF-16 units) are 2 characters'),
	('{"maxLength": 2}', '"ééé"', false, 'maxLength 2: "ééé" is 3 characters'),
	('{"maxLength": 2}', '"éé"', true, 'maxLength 2: "éé" is 2 characters (4 bytes)'),
	('{"maxLength": 1}', '"💩"', true, 'maxLength 1: U+1F4A9 is 1 character'),
	('{"maxLength": 1}', '"\ud83d\udca9"', true, 'maxLength 1: U+1F4A9 written as a surrogate-pair escape is 1 character'),
	('{"maxLength": 1}', '"\u00e9"', true, 'maxLength 1: \u00e9 is 1 character'),
	('{"maxLength": 1}', '"\n"', true, 'maxLength 1: the escape \n is 1 character'),
	('{"maxLength": 1}', '100', true, 'maxLength 1: a number is ignored'),
	('{"maxLength": 1}', '[1, 2, 3]', true, 'maxLength 1: an array is ignored'),
	('{"maxLength": 1}', '{"a": 1, "b": 2}', true, 'maxLength 1: an object is ignored'),
	('{"maxLength": 0}', '""', true, 'maxLength 0: "" is valid'),
	('{"maxLength": 0}', '"a"', false, 'maxLength 0: "a" is invalid'),
	('{"minLength": 2}', '"f"', false, 'minLength 2: "f" is invalid'),
	('{"minLength": 2}', '"fo"', true, 'minLength 2: "fo" is valid (inclusive)'),
	('{"minLength": 2}', '"💩"', false, 'minLength 2: U+1F4A9 (2 UTF-16 units, 4 bytes) is 1 character'),
	('{"minLength": 2}', '"é"', false, 'minLength 2: "é" (2 bytes) is 1 character'),
	('{"minLength": 1}', '""', false, 'minLength 1: "" is invalid'),
	('{"minLength": 1}', 'null', true, 'minLength 1: null is ignored'),
	('{"maxLength": 10000000000}', '"abc"', true, 'maxLength 10^10 (beyond int32): "abc" is valid'),
	('{"minLength": 10000000000}', '"abc"', false, 'minLength 10^10 (beyond int32): "abc" is invalid'),
	('{"maxLength": 1e400}', '"abc"', true, 'maxLength 1e400 (a non-negative integer; 6.3.1 sets no upper bound): "abc" is valid'),
	('{"minLength": 5}', '1', true, 'minLength 5: a number is ignored')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- pattern (6.3.3): not implicitly anchored
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"pattern": "^a*$"}', '"aaa"', true, 'pattern ^a*$: "aaa" matches'),
	('{"pattern": "^a*$"}', '"aab"', false, 'pattern ^a*$: "aab" does not match'),
	('{"pattern": "^a*$"}', '""', true, 'pattern ^a*$: "" matches'),
	('{"pattern": "a+"}', '"xxaxx"', true, 'pattern a+: matches anywhere in "xxaxx" (not anchored)'),
	('{"pattern": "a+"}', '"xxx"', false, 'pattern a+: "xxx" does not match'),
	('{"pattern": "^a"}', '"ab"', true, 'pattern ^a: "ab" matches'),
	('{"pattern": "^a"}', '"ba"', false, 'pattern ^a: "ba" does not match'),
	('{"pattern": "b$"}', '"ab"', true, 'pattern b$: "ab" matches'),
	('{"pattern": "b$"}', '"ba"', false, 'pattern b$: "ba" does not match'),
	('{"pattern": "[0-9]{3}"}', '"ab123cd"', true, 'pattern [0-9]{3}: "ab123cd" matches'),
	('{"pattern": "[0-9]{3}"}', '"ab12cd"', false, 'pattern [0-9]{3}: "ab12cd" does not match'),
	('{"pattern": "^\\d+$"}', '"123"', true, 'pattern ^\d+$: "123" matches'),
	('{"pattern": "^\\d+$"}', '"12a"', false, 'pattern ^\d+$: "12a" does not match'),
	('{"pattern": "^.$"}', '"é"', true, 'pattern ^.$: "é" is one character'),
	('{"pattern": "^a"}', '123', true, 'pattern ^a: a number is ignored'),
	('{"pattern": "^a"}', 'null', true, 'pattern ^a: null is ignored'),
	('{"pattern": "^a"}', '["b"]', true, 'pattern ^a: an array is ignored'),
	('{"pattern": "^usr_[a-z0-9]+$"}', '"usr_abc123"', true, 'pattern ^usr_[a-z0-9]+$: "usr_abc123" matches'),
	('{"pattern": "^usr_[a-z0-9]+$"}', '"usr_ABC"', false, 'pattern ^usr_[a-z0-9]+$: matching is case-sensitive')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- items, additionalItems (6.4.1, 6.4.2)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"items": {"type": "integer"}}', '[1, 2, 3]', true, 'items schema: every item an integer is valid'),
	('{"items": {"type": "integer"}}', '[1, "x"]', false, 'items schema: one string item is invalid'),
	('{"items": {"type": "integer"}}', '["x", 1]', false, 'items schema: a bad first item is invalid'),
	('{"items": {"type": "integer"}}', '[]', true, 'items schema: [] is valid'),
	('{"items": {"type": "integer"}}', '{"0": "x"}', true, 'items schema: an object is ignored'),
	('{"items": {"type": "integer"}}', '"x"', true, 'items schema: a string is ignored'),
	('{"items": [{"type": "integer"}, {"type": "string"}]}', '[1, "a"]', true, 'items array: each position matches'),
	('{"items": [{"type": "integer"}, {"type": "string"}]}', '["a", 1]', false, 'items array: swapped positions are invalid'),
	('{"items": [{"type": "integer"}, {"type": "string"}]}', '[1, 2]', false, 'items array: a bad second item is invalid'),
	('{"items": [{"type": "integer"}, {"type": "string"}]}', '[1]', true, 'items array: a shorter array is valid'),
	('{"items": [{"type": "integer"}, {"type": "string"}]}', '[]', true, 'items array: [] is valid'),
	('{"items": [{"type": "integer"}, {"type": "string"}]}', '[1, "a", null, {}]', true, 'items array: extra items are valid without additionalItems'),
	('{"items": false}', '[]', true, 'items false: [] is valid'),
	('{"items": false}', '[1]', false, 'items false: any item is invalid'),
	('{"items": true}', '[1, "x"]', true, 'items true: any items are valid'),
	('{"items": [true, false]}', '[1]', true, 'items [true, false]: one item is valid'),
	('{"items": [true, false]}', '[1, 2]', false, 'items [true, false]: a second item is invalid'),
	('{"items": {"items": {"type": "integer"}}}', '[[1], [2, 3]]', true, 'nested items: arrays of integers are valid'),
	('{"items": {"items": {"type": "integer"}}}', '[[1], [2, "3"]]', false, 'nested items: a string deep inside is invalid'),
	('{"items": [{}], "additionalItems": false}', '[1]', true, 'additionalItems false: no extra item is valid'),
	('{"items": [{}], "additionalItems": false}', '[]', true, 'additionalItems false: [] is valid'),
	('{"items": [{}], "additionalItems": false}', '[1, 2]', false, 'additionalItems false: an extra item is invalid'),
	('{"items": [{}], "additionalItems": {"type": "integer"}}', '[null, 1, 2]', true, 'additionalItems schema: integer extras are valid'),
	('{"items": [{}], "additionalItems": {"type": "integer"}}', '[null, 1, "x"]', false, 'additionalItems schema: a string extra is invalid'),
	('{"items": [{}], "additionalItems": {"type": "integer"}}', '["x"]', true, 'additionalItems schema: does not apply to items covered by items'),
	('{"items": [{"type": "integer"}], "additionalItems": true}', '[1, "a"]', true, 'additionalItems true: any extra item is valid'),
	('{"items": {}, "additionalItems": false}', '[1, 2, 3]', true, 'additionalItems is ignored when items is a schema'),
	('{"items": {"type": "integer"}, "additionalItems": {"type": "string"}}', '[1, 2]', true, 'additionalItems schema is ignored when items is a schema'),
	('{"additionalItems": false}', '[1, 2]', true, 'additionalItems is ignored when items is absent'),
	('{"items": [{}, {}], "additionalItems": false}', '{"a": 1, "b": 2, "c": 3}', true, 'additionalItems false: an object is ignored')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- maxItems, minItems (6.4.3, 6.4.4)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"maxItems": 2}', '[1, 2]', true, 'maxItems 2: two items are valid (inclusive)'),
	('{"maxItems": 2}', '[1, 2, 3]', false, 'maxItems 2: three items are invalid'),
	('{"maxItems": 2}', '"abc"', true, 'maxItems 2: a string is ignored'),
	('{"maxItems": 2}', '{"a": 1, "b": 2, "c": 3}', true, 'maxItems 2: an object is ignored'),
	('{"maxItems": 0}', '[]', true, 'maxItems 0: [] is valid'),
	('{"maxItems": 0}', '[null]', false, 'maxItems 0: [null] is invalid'),
	('{"minItems": 1}', '[]', false, 'minItems 1: [] is invalid'),
	('{"minItems": 1}', '[1]', true, 'minItems 1: one item is valid (inclusive)'),
	('{"minItems": 1}', '""', true, 'minItems 1: a string is ignored'),
	('{"minItems": 100000000000000000000}', '[1]', false, 'minItems 10^20 (a non-negative integer; 6.4.4 sets no upper bound): [1] is invalid'),
	('{"maxItems": 100000000000000000000}', '[1]', true, 'maxItems 10^20: [1] is valid'),
	('{"maxProperties": 1000000000000}', '{"a": 1}', true, 'maxProperties 10^12: one property is valid'),
	('{"minItems": 2}', '[[1, 2, 3]]', false, 'minItems 2: one nested array is one item')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- uniqueItems (6.4.5): equality is JSON equality
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"uniqueItems": true}', '[1, 2]', true, 'uniqueItems: [1, 2] is unique'),
	('{"uniqueItems": true}', '[1, 1]', false, 'uniqueItems: [1, 1] is not unique'),
	('{"uniqueItems": true}', '[1, 2, 1]', false, 'uniqueItems: [1, 2, 1] (non-adjacent duplicate) is not unique'),
	('{"uniqueItems": true}', '[1, 1.0]', false, 'uniqueItems: [1, 1.0] is not unique'),
	('{"uniqueItems": true}', '[0, false]', true, 'uniqueItems: [0, false] is unique'),
	('{"uniqueItems": true}', '[1, true]', true, 'uniqueItems: [1, true] is unique'),
	('{"uniqueItems": true}', '["1", 1]', true, 'uniqueItems: ["1", 1] is unique'),
	('{"uniqueItems": true}', '[null, null]', false, 'uniqueItems: [null, null] is not unique'),
	('{"uniqueItems": true}', '[{"a": 1, "b": 2}, {"b": 2, "a": 1}]', false, 'uniqueItems: objects differing only in key order are equal'),
	('{"uniqueItems": true}', '[{"a": 1}, {"a": 2}]', true, 'uniqueItems: [{"a":1}, {"a":2}] is unique'),
	('{"uniqueItems": true}', '[{"a": false}, {"a": 0}]', true, 'uniqueItems: {"a": false} and {"a": 0} differ'),
	('{"uniqueItems": true}', '[[1], [1]]', false, 'uniqueItems: [[1], [1]] is not unique'),
	('{"uniqueItems": true}', '[[1], [2]]', true, 'uniqueItems: [[1], [2]] is unique'),
	('{"uniqueItems": true}', '[[1, 2], [2, 1]]', true, 'uniqueItems: [[1, 2], [2, 1]] is unique (array order matters)'),
	('{"uniqueItems": true}', '[{"a": [1, {"b": 1}]}, {"a": [1, {"b": 1.0}]}]', false, 'uniqueItems: deeply equal documents (1 vs 1.0) are not unique'),
	('{"uniqueItems": true}', '[{}, []]', true, 'uniqueItems: {} and [] differ'),
	('{"uniqueItems": true}', '[1e400, 10e399]', false, 'uniqueItems: [1e400, 10e399] is not unique'),
	('{"uniqueItems": true}', '["a", "b", "a"]', false, 'uniqueItems: ["a", "b", "a"] is not unique'),
	('{"uniqueItems": true}', '[]', true, 'uniqueItems: [] is unique'),
	('{"uniqueItems": true}', '"aa"', true, 'uniqueItems: a string is ignored'),
	('{"uniqueItems": false}', '[1, 1]', true, 'uniqueItems false: duplicates are valid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- contains (6.4.6)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"contains": {"minimum": 5}}', '[1, 6]', true, 'contains minimum 5: [1, 6] is valid'),
	('{"contains": {"minimum": 5}}', '[1, 2]', false, 'contains minimum 5: [1, 2] is invalid'),
	('{"contains": {"minimum": 5}}', '[]', false, 'contains: an empty array is invalid'),
	('{"contains": {"minimum": 5}}', '["x"]', true, 'contains minimum 5: ["x"] is valid (minimum ignores strings)'),
	('{"contains": {"minimum": 5}}', '"x"', true, 'contains: a string is ignored'),
	('{"contains": {"minimum": 5}}', '{}', true, 'contains: an object is ignored'),
	('{"contains": {"const": "x"}}', '["y", "x"]', true, 'contains const x: ["y", "x"] is valid'),
	('{"contains": {"const": "x"}}', '["y", "z"]', false, 'contains const x: ["y", "z"] is invalid'),
	('{"contains": true}', '[]', false, 'contains true: [] is invalid'),
	('{"contains": true}', '[1]', true, 'contains true: [1] is valid'),
	('{"contains": false}', '[1]', false, 'contains false: [1] is invalid'),
	('{"contains": false}', '[]', false, 'contains false: [] is invalid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- maxProperties, minProperties, required (6.5.1 - 6.5.3)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"maxProperties": 1}', '{}', true, 'maxProperties 1: {} is valid'),
	('{"maxProperties": 1}', '{"a": 1}', true, 'maxProperties 1: one property is valid (inclusive)'),
	('{"maxProperties": 1}', '{"a": 1, "b": 2}', false, 'maxProperties 1: two properties are invalid'),
	('{"maxProperties": 1}', '[1, 2]', true, 'maxProperties 1: an array is ignored'),
	('{"maxProperties": 1}', '"ab"', true, 'maxProperties 1: a string is ignored'),
	('{"minProperties": 1}', '{}', false, 'minProperties 1: {} is invalid'),
	('{"minProperties": 1}', '{"a": null}', true, 'minProperties 1: a null-valued property counts'),
	('{"minProperties": 1}', '[]', true, 'minProperties 1: an array is ignored'),
	('{"required": ["a", "b"]}', '{"a": 1, "b": 2}', true, 'required [a, b]: both present is valid'),
	('{"required": ["a", "b"]}', '{"a": 1}', false, 'required [a, b]: b missing is invalid'),
	('{"required": ["a", "b"]}', '{}', false, 'required [a, b]: {} is invalid'),
	('{"required": ["a", "b"]}', '{"a": null, "b": null}', true, 'required [a, b]: null values are present'),
	('{"required": ["a", "b"]}', '{"A": 1, "B": 2}', false, 'required [a, b]: names are case-sensitive'),
	('{"required": ["a", "b"]}', '[]', true, 'required: an array is ignored'),
	('{"required": ["a", "b"]}', '"a"', true, 'required: a string is ignored'),
	('{"required": ["length"]}', '[1]', true, 'required [length]: an array is ignored'),
	('{"required": []}', '{}', true, 'required []: {} is valid'),
	('{"required": ["a b"]}', '{"a b": 0}', true, 'required ["a b"]: a name with a space is found')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- properties, patternProperties, additionalProperties (6.5.4 - 6.5.6)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}', '{"a": 1, "b": "x"}', true, 'properties: both match'),
	('{"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}', '{"a": "x"}', false, 'properties: a bad a is invalid'),
	('{"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}', '{"a": 1, "b": 2}', false, 'properties: a bad b is invalid'),
	('{"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}', '{"c": []}', true, 'properties: other properties are not checked'),
	('{"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}', '{}', true, 'properties: absent properties are not required'),
	('{"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}', '["x"]', true, 'properties: an array is ignored'),
	('{"properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}', '"x"', true, 'properties: a string is ignored'),
	('{"properties": {"a": false}}', '{}', true, 'properties {a: false}: {} is valid'),
	('{"properties": {"a": false}}', '{"a": 1}', false, 'properties {a: false}: any a is invalid'),
	('{"properties": {"a": false}}', '{"b": 1}', true, 'properties {a: false}: other properties are valid'),
	('{"properties": {"a": true}}', '{"a": 1}', true, 'properties {a: true}: any a is valid'),
	('{"properties": {"a b": {"type": "string"}}}', '{"a b": 1}', false, 'properties: a name with a space is matched exactly'),
	('{"properties": {"a": {"properties": {"b": {"type": "integer"}}}}}', '{"a": {"b": "x"}}', false, 'nested properties: a bad inner value is invalid'),
	('{"properties": {"a": {"properties": {"b": {"type": "integer"}}}}}', '{"a": {"b": 1}}', true, 'nested properties: a good inner value is valid'),
	('{"patternProperties": {"^a": {"type": "integer"}, "b$": {"minimum": 10}}}', '{"ab": 12}', true, 'patternProperties: "ab" matches both patterns and satisfies both'),
	('{"patternProperties": {"^a": {"type": "integer"}, "b$": {"minimum": 10}}}', '{"ab": 5}', false, 'patternProperties: "ab" fails the second matching pattern'),
	('{"patternProperties": {"^a": {"type": "integer"}, "b$": {"minimum": 10}}}', '{"ab": 10.5}', false, 'patternProperties: "ab" fails the first matching pattern'),
	('{"patternProperties": {"^a": {"type": "integer"}, "b$": {"minimum": 10}}}', '{"xb": 5}', false, 'patternProperties: "xb" matches b$ only and fails it'),
	('{"patternProperties": {"^a": {"type": "integer"}, "b$": {"minimum": 10}}}', '{"ax": 5}', true, 'patternProperties: "ax" matches ^a only and passes'),
	('{"patternProperties": {"^a": {"type": "integer"}, "b$": {"minimum": 10}}}', '{"c": "anything"}', true, 'patternProperties: an unmatched name is not checked'),
	('{"patternProperties": {"f.o": {"type": "string"}}}', '{"xxfooxx": 1}', false, 'patternProperties: patterns are not anchored'),
	('{"patternProperties": {"f.o": {"type": "string"}}}', '[1]', true, 'patternProperties: an array is ignored'),
	('{"additionalProperties": false}', '{}', true, 'additionalProperties false: {} is valid'),
	('{"additionalProperties": false}', '{"a": 1}', false, 'additionalProperties false alone: any property is invalid'),
	('{"additionalProperties": false}', '[1]', true, 'additionalProperties false: an array is ignored'),
	('{"properties": {"a": {}}, "patternProperties": {"^x": {}}, "additionalProperties": false}', '{"a": 1, "x1": 2}', true, 'additionalProperties false: names from properties and patternProperties are allowed'),
	('{"properties": {"a": {}}, "patternProperties": {"^x": {}}, "additionalProperties": false}', '{"xyz": 1}', true, 'additionalProperties false: a name matching a pattern is allowed'),
	('{"properties": {"a": {}}, "patternProperties": {"^x": {}}, "additionalProperties": false}', '{"a": 1, "b": 2}', false, 'additionalProperties false: "b" is additional'),
	('{"properties": {"a": {}}, "patternProperties": {"^x": {}}, "additionalProperties": false}', '{"ax": 1}', false, 'additionalProperties false: "ax" is neither "a" nor ^x'),
	('{"properties": {"a": {"type": "integer"}}, "additionalProperties": false}', '{"a": "x"}', false, 'additionalProperties false: a listed property still obeys its schema'),
	('{"properties": {"a": {}}, "additionalProperties": {"type": "boolean"}}', '{"a": 1, "b": true}', true, 'additionalProperties schema: listed a is exempt, b is a boolean'),
	('{"properties": {"a": {}}, "additionalProperties": {"type": "boolean"}}', '{"a": 1, "b": 1}', false, 'additionalProperties schema: b is not a boolean'),
	('{"additionalProperties": {"type": "integer"}}', '{"x": 1, "y": 2}', true, 'additionalProperties schema alone: applies to all, all valid'),
	('{"additionalProperties": {"type": "integer"}}', '{"x": 1, "y": "2"}', false, 'additionalProperties schema alone: one invalid'),
	('{"additionalProperties": true}', '{"x": 1}', true, 'additionalProperties true: anything goes'),
	('{"patternProperties": {"^n_": {}}, "additionalProperties": {"type": "string"}}', '{"n_1": 1, "s": "x"}', true, 'additionalProperties schema: a pattern-matched name is exempt'),
	('{"properties": {"a": {"type": "integer"}}, "patternProperties": {"a": {"minimum": 5}}}', '{"a": 3}', false, 'a name in properties that also matches a pattern obeys both (fails pattern)'),
	('{"properties": {"a": {"type": "integer"}}, "patternProperties": {"a": {"minimum": 5}}}', '{"a": 6.5}', false, 'a name in properties that also matches a pattern obeys both (fails properties)'),
	('{"properties": {"a": {"type": "integer"}}, "patternProperties": {"a": {"minimum": 5}}}', '{"a": 6}', true, 'a name in properties that also matches a pattern obeys both (passes)')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- dependencies (6.5.7), propertyNames (6.5.8)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"dependencies": {"bar": ["foo"]}}', '{}', true, 'dependencies array: {} is valid'),
	('{"dependencies": {"bar": ["foo"]}}', '{"foo": 1}', true, 'dependencies array: foo alone is valid'),
	('{"dependencies": {"bar": ["foo"]}}', '{"bar": 2}', false, 'dependencies array: bar without foo is invalid'),
	('{"dependencies": {"bar": ["foo"]}}', '{"foo": 1, "bar": 2}', true, 'dependencies array: bar with foo is valid'),
	('{"dependencies": {"bar": ["foo"]}}', '{"baz": 1}', true, 'dependencies array: unrelated property is valid'),
	('{"dependencies": {"bar": ["foo"]}}', '["bar"]', true, 'dependencies: an array instance is ignored'),
	('{"dependencies": {"quux": ["foo", "bar"]}}', '{"quux": 1, "foo": 1}', false, 'dependencies array: one of two dependents missing is invalid'),
	('{"dependencies": {"quux": ["foo", "bar"]}}', '{"quux": 1, "foo": 1, "bar": 1}', true, 'dependencies array: all dependents present is valid'),
	('{"dependencies": {"bar": []}}', '{"bar": 1}', true, 'dependencies empty array: bar alone is valid'),
	('{"dependencies": {"bar": {"properties": {"foo": {"type": "integer"}}, "required": ["foo"]}}}', '{"bar": 1, "foo": 2}', true, 'dependencies schema: satisfied'),
	('{"dependencies": {"bar": {"properties": {"foo": {"type": "integer"}}, "required": ["foo"]}}}', '{"bar": 1}', false, 'dependencies schema: required foo missing'),
	('{"dependencies": {"bar": {"properties": {"foo": {"type": "integer"}}, "required": ["foo"]}}}', '{"bar": 1, "foo": "x"}', false, 'dependencies schema: foo of the wrong type'),
	('{"dependencies": {"bar": {"properties": {"foo": {"type": "integer"}}, "required": ["foo"]}}}', '{"foo": "x"}', true, 'dependencies schema: not applied when bar is absent'),
	('{"dependencies": {"bar": false}}', '{"bar": 1}', false, 'dependencies false: bar present is invalid'),
	('{"dependencies": {"bar": false}}', '{"foo": 1}', true, 'dependencies false: bar absent is valid'),
	('{"dependencies": {"bar": false}}', '{}', true, 'dependencies false: {} is valid'),
	('{"dependencies": {"bar": true}}', '{"bar": 1}', true, 'dependencies true: bar present is valid'),
	('{"propertyNames": {"maxLength": 3}}', '{"f": 1, "foo": 2}', true, 'propertyNames maxLength 3: short names are valid'),
	('{"propertyNames": {"maxLength": 3}}', '{"foobar": 1}', false, 'propertyNames maxLength 3: "foobar" is invalid'),
	('{"propertyNames": {"maxLength": 3}}', '{}', true, 'propertyNames: {} is valid'),
	('{"propertyNames": {"maxLength": 3}}', '[1, 2, 3, 4]', true, 'propertyNames: an array is ignored'),
	('{"propertyNames": {"maxLength": 3}}', '"foobar"', true, 'propertyNames: a string is ignored'),
	('{"propertyNames": {"pattern": "^a+$"}}', '{"aa": 1}', true, 'propertyNames pattern: "aa" matches'),
	('{"propertyNames": {"pattern": "^a+$"}}', '{"aa": 1, "aab": 2}', false, 'propertyNames pattern: "aab" does not match'),
	('{"propertyNames": {"minLength": 1}}', '{"": 1}', false, 'propertyNames minLength 1: the empty name is invalid'),
	('{"propertyNames": {"type": "string", "maxLength": 2}}', '{"ab": {"abcdef": 1}}', true, 'propertyNames: applies to names, not values or nested names'),
	('{"propertyNames": false}', '{}', true, 'propertyNames false: {} is valid'),
	('{"propertyNames": false}', '{"a": 1}', false, 'propertyNames false: any property is invalid'),
	('{"propertyNames": true}', '{"a": 1}', true, 'propertyNames true: any property is valid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- if, then, else (6.6)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"if": {"const": 1}}', '2', true, 'if alone: has no effect when it fails'),
	('{"if": {"const": 1}}', '1', true, 'if alone: has no effect when it passes'),
	('{"if": false}', '1', true, 'if false alone: has no effect'),
	('{"then": {"const": 1}}', '2', true, 'then without if is ignored'),
	('{"else": {"const": 1}}', '2', true, 'else without if is ignored'),
	('{"then": false, "else": false}', '2', true, 'then and else false without if are ignored'),
	('{"if": {"type": "integer"}, "then": {"minimum": 10}, "else": {"type": "string"}}', '12', true, 'if/then/else: integer >= 10 passes then'),
	('{"if": {"type": "integer"}, "then": {"minimum": 10}, "else": {"type": "string"}}', '5', false, 'if/then/else: integer < 10 fails then'),
	('{"if": {"type": "integer"}, "then": {"minimum": 10}, "else": {"type": "string"}}', '"x"', true, 'if/then/else: a string passes else'),
	('{"if": {"type": "integer"}, "then": {"minimum": 10}, "else": {"type": "string"}}', '5.5', false, 'if/then/else: 5.5 is not an integer and fails else'),
	('{"if": {"type": "integer"}, "then": {"minimum": 10}, "else": {"type": "string"}}', 'null', false, 'if/then/else: null fails else'),
	('{"if": {"minimum": 0}, "then": {"multipleOf": 2}}', '-3', true, 'if/then: then is not applied when if fails'),
	('{"if": {"minimum": 0}, "then": {"multipleOf": 2}}', '3', false, 'if/then: then applies when if passes'),
	('{"if": {"minimum": 0}, "then": {"multipleOf": 2}}', '4', true, 'if/then: then passes'),
	('{"if": {"minimum": 0}, "else": {"multipleOf": 2}}', '-3', false, 'if/else: else applies when if fails'),
	('{"if": {"minimum": 0}, "else": {"multipleOf": 2}}', '3', true, 'if/else: else is not applied when if passes'),
	('{"if": {"minimum": 0}, "else": {"multipleOf": 2}}', '-4', true, 'if/else: else passes'),
	('{"if": false, "then": {"const": 1}, "else": {"const": 2}}', '2', true, 'if false: else applies and passes'),
	('{"if": false, "then": {"const": 1}, "else": {"const": 2}}', '1', false, 'if false: then is never applied'),
	('{"if": true, "then": false}', '1', false, 'if true, then false: everything is invalid'),
	('{"if": {"required": ["a"]}, "then": {"required": ["b"]}}', '{}', true, 'if/then: a failing if is not itself a failure'),
	('{"if": {"required": ["a"]}, "then": {"required": ["b"]}}', '{"a": 1}', false, 'if/then: a without b fails then'),
	('{"if": {"required": ["a"]}, "then": {"required": ["b"]}}', '{"a": 1, "b": 1}', true, 'if/then: a with b passes')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- allOf, anyOf, oneOf, not (6.7)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"allOf": [{"type": "integer"}, {"minimum": 5}]}', '6', true, 'allOf: both pass'),
	('{"allOf": [{"type": "integer"}, {"minimum": 5}]}', '4', false, 'allOf: second fails'),
	('{"allOf": [{"type": "integer"}, {"minimum": 5}]}', '6.5', false, 'allOf: first fails'),
	('{"allOf": [true, true]}', '"x"', true, 'allOf [true, true]: valid'),
	('{"allOf": [true, false]}', '"x"', false, 'allOf [true, false]: invalid'),
	('{"allOf": [{}]}', 'null', true, 'allOf [{}]: valid'),
	('{"anyOf": [{"type": "string"}, {"minimum": 5}]}', '"x"', true, 'anyOf: first passes'),
	('{"anyOf": [{"type": "string"}, {"minimum": 5}]}', '6', true, 'anyOf: second passes'),
	('{"anyOf": [{"type": "string"}, {"minimum": 5}]}', '3', false, 'anyOf: neither passes'),
	('{"anyOf": [{"type": "string"}, {"minimum": 5}]}', 'null', true, 'anyOf: null passes minimum (which ignores non-numbers)'),
	('{"anyOf": [false, false]}', '1', false, 'anyOf [false, false]: invalid'),
	('{"anyOf": [false, true]}', '1', true, 'anyOf [false, true]: valid'),
	('{"oneOf": [{"type": "integer"}, {"minimum": 2}]}', '1', true, 'oneOf: only the first passes'),
	('{"oneOf": [{"type": "integer"}, {"minimum": 2}]}', '2.5', true, 'oneOf: only the second passes'),
	('{"oneOf": [{"type": "integer"}, {"minimum": 2}]}', '3', false, 'oneOf: two passing subschemas are invalid'),
	('{"oneOf": [{"type": "integer"}, {"minimum": 2}]}', '1.5', false, 'oneOf: no passing subschema is invalid'),
	('{"oneOf": [true, true]}', '1', false, 'oneOf [true, true]: invalid'),
	('{"oneOf": [true, false]}', '1', true, 'oneOf [true, false]: valid'),
	('{"oneOf": [true]}', '1', true, 'oneOf [true]: valid'),
	('{"oneOf": [{}, {"type": "null"}]}', 'null', false, 'oneOf [{}, type null]: null passes both'),
	('{"oneOf": [{}, {"type": "null"}]}', '1', true, 'oneOf [{}, type null]: 1 passes only {}'),
	('{"oneOf": [{"anyOf": [{"type": "string"}, {"type": "boolean"}]}, {"const": "x"}]}', '"y"', true, 'oneOf with nested anyOf: "y" passes only the anyOf'),
	('{"oneOf": [{"anyOf": [{"type": "string"}, {"type": "boolean"}]}, {"const": "x"}]}', '"x"', false, 'oneOf with nested anyOf: "x" passes both'),
	('{"oneOf": [{"anyOf": [{"type": "string"}, {"type": "boolean"}]}, {"const": "x"}]}', 'true', true, 'oneOf with nested anyOf: true passes only the anyOf'),
	('{"oneOf": [{"anyOf": [{"type": "string"}, {"type": "boolean"}]}, {"const": "x"}]}', '1', false, 'oneOf with nested anyOf: 1 passes neither'),
	('{"oneOf": [{"required": ["a"]}, {"required": ["b"]}, {"required": ["c"]}]}', '{"a": 1, "b": 2}', false, 'oneOf of three: two passing is invalid'),
	('{"oneOf": [{"required": ["a"]}, {"required": ["b"]}, {"required": ["c"]}]}', '{"c": 1}', true, 'oneOf of three: exactly the third passing is valid'),
	('{"not": {"type": "integer"}}', '"x"', true, 'not integer: a string is valid'),
	('{"not": {"type": "integer"}}', '1', false, 'not integer: 1 is invalid'),
	('{"not": {}}', 'null', false, 'not {}: everything is invalid'),
	('{"not": true}', '1', false, 'not true: everything is invalid'),
	('{"not": false}', '1', true, 'not false: everything is valid'),
	('{"not": {"not": {"type": "integer"}}}', '1', true, 'not not integer: 1 is valid'),
	('{"not": {"not": {"type": "integer"}}}', '"x"', false, 'not not integer: "x" is invalid'),
	('{"not": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}}', '"x"', true, 'not anyOf: a string is valid'),
	('{"not": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}}', 'true', false, 'not anyOf: true is invalid'),
	('{"properties": {"a": {"not": {"const": 1}}}}', '{"a": 1}', false, 'not inside properties: a = 1 is invalid'),
	('{"properties": {"a": {"not": {"const": 1}}}}', '{"a": 2}', true, 'not inside properties: a = 2 is valid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- format (7): the formats streamflow checks; unknown formats and non-strings pass
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"format": "date-time"}', '"2025-12-01T10:30:00Z"', true, 'format date-time: RFC 3339 UTC is valid'),
	('{"format": "date-time"}', '"1963-06-19T08:30:06.283185+01:00"', true, 'format date-time: fraction and offset are valid'),
	('{"format": "date-time"}', '"2025-12-01T10:30:00"', false, 'format date-time: no offset is invalid'),
	('{"format": "date-time"}', '"2025-13-01T10:30:00Z"', false, 'format date-time: month 13 is invalid'),
	('{"format": "date-time"}', '"06/19/1963 08:30:06 PST"', false, 'format date-time: another date notation is invalid'),
	('{"format": "date-time"}', '"1990-02-31T15:59:59Z"', false, 'format date-time: February 31 is invalid'),
	('{"format": "date"}', '"2024-02-29"', true, 'format date: 2024-02-29 is valid (leap year)'),
	('{"format": "date"}', '"2023-02-29"', false, 'format date: 2023-02-29 is invalid'),
	('{"format": "date"}', '"2025-1-01"', false, 'format date: a one-digit month is invalid'),
	('{"format": "time"}', '"08:30:06Z"', true, 'format time: 08:30:06Z is valid'),
	('{"format": "time"}', '"25:00:00Z"', false, 'format time: hour 25 is invalid'),
	('{"format": "email"}', '"joe.bloggs@example.com"', true, 'format email: joe.bloggs@example.com is valid'),
	('{"format": "email"}', '"2962"', false, 'format email: "2962" is invalid'),
	('{"format": "hostname"}', '"www.example.com"', true, 'format hostname: www.example.com is valid'),
	('{"format": "hostname"}', '"-starts-with-hyphen.example"', false, 'format hostname: a label starting with a hyphen is invalid'),
	('{"format": "hostname"}', '"not_a_valid_host_name"', false, 'format hostname: underscores are invalid'),
	('{"format": "ipv4"}', '"192.168.0.1"', true, 'format ipv4: 192.168.0.1 is valid'),
	('{"format": "ipv4"}', '"256.0.0.1"', false, 'format ipv4: 256.0.0.1 is invalid'),
	('{"format": "ipv4"}', '"1.2.3"', false, 'format ipv4: three parts are invalid'),
	('{"format": "ipv6"}', '"::1"', true, 'format ipv6: ::1 is valid'),
	('{"format": "ipv6"}', '"1:2:3:4:5:6:7:8"', true, 'format ipv6: eight groups are valid'),
	('{"format": "ipv6"}', '"12345::"', false, 'format ipv6: a five-digit group is invalid'),
	('{"format": "uri"}', '"http://foo.bar/?baz=qux#quux"', true, 'format uri: an absolute URI is valid'),
	('{"format": "uri"}', '"//foo.bar/?baz=qux#quux"', false, 'format uri: a relative reference is not a URI'),
	('{"format": "uri-reference"}', '"/abc"', true, 'format uri-reference: a relative path is valid'),
	('{"format": "json-pointer"}', '"/foo/bar~0/baz~1/%a"', true, 'format json-pointer: escaped tokens are valid'),
	('{"format": "json-pointer"}', '"/foo/bar~"', false, 'format json-pointer: a bare ~ is invalid'),
	('{"format": "json-pointer"}', '"a"', false, 'format json-pointer: not starting with / is invalid'),
	('{"format": "regex"}', '"([abc])+\\s+$"', true, 'format regex: a valid regex is valid'),
	('{"format": "regex"}', '"^(abc]"', false, 'format regex: an unbalanced regex is invalid'),
	('{"format": "email"}', '12', true, 'format email: a number is ignored'),
	('{"format": "x-unknown-format"}', '"anything"', true, 'an unknown format passes')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- Keywords combine: every keyword of a schema applies (Core 4.3)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"type": "string", "minLength": 2, "pattern": "^a"}', '"ab"', true, 'type + minLength + pattern: all pass'),
	('{"type": "string", "minLength": 2, "pattern": "^a"}', '"a"', false, 'type + minLength + pattern: minLength fails'),
	('{"type": "string", "minLength": 2, "pattern": "^a"}', '"ba"', false, 'type + minLength + pattern: pattern fails'),
	('{"type": "string", "minLength": 2, "pattern": "^a"}', '12', false, 'type + minLength + pattern: type fails'),
	('{"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}', '{"n": 1}', true, 'object with required integer: valid'),
	('{"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}', '{"n": 0}', false, 'object with required integer: below minimum'),
	('{"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}', '{}', false, 'object with required integer: missing'),
	('{"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}, "required": ["n"]}', '[{"n": 1}]', false, 'object with required integer: an array is not an object')
) AS t(s, i, r, d);

-- One query, several schemas: each row is validated against its own schema
SELECT results_eq(
	$$SELECT streamflow.validate(s::jsonb, i::jsonb) FROM (VALUES
		(1, '{"type": "integer"}', '1'), (2, '{"type": "string"}', '1'), (3, '{"type": "integer"}', '1'),
		(4, '{"minimum": 5}', '1'), (5, '{"maximum": 5}', '1'), (6, '{"minimum": 5}', '1')) AS t(n, s, i) ORDER BY n$$,
	$$VALUES (true), (false), (true), (false), (true), (false)$$,
	'alternating schemas in one query: no result comes from another row''s schema');
SELECT is(streamflow.validate(NULL, '1'), NULL, 'validate() is strict: a null schema gives null');

SELECT * FROM finish();
ROLLBACK;
