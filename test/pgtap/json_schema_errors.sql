-- json_schema_errors.sql: what streamflow.validation_errors() reports for a
-- violation of each draft-07 keyword (instance path written like jsonpath,
-- the failing keyword as spelled in the schema, a message naming what
-- matters), and which malformed schemas are rejected with 22023 naming the
-- keyword (draft-handrews-json-schema-validation-01 section 6: each "The value
-- of this keyword MUST be ...").
--
-- Reporting rules: allOf, $ref, if/then/else, properties, patternProperties,
-- items report their subschemas' violations (inner keyword, inner path);
-- anyOf, oneOf, not report one violation with their own keyword; a false
-- schema reports "false"; additionalProperties: false reports each extra
-- property at its own path; required reports at the object, naming the
-- missing property.  Where those rules leave the reporting open (e.g. the
-- schema forms of additionalItems, additionalProperties, dependencies) the
-- test accepts either reading and says so.
BEGIN;
SELECT plan(193);

SET client_encoding = 'UTF8';
\ir json_schema_helpers.psql

-------------------------------------------------------------------------------
-- One violation per keyword: path and keyword exactly
-------------------------------------------------------------------------------
SELECT is(pg_temp.errs(s, i), e, d) FROM (VALUES
	('{"type": "string"}', '1', '$ type', 'type at the root: path $'),
	('{"type": ["string", "null"]}', '1', '$ type', 'type given as an array: one violation'),
	('{"properties": {"name": {"type": "string"}}}', '{"name": 1}', '$.name type', 'type inside properties: path $.name'),
	('{"properties": {"items": {"items": {"type": "integer"}}}}', '{"items": [1, 2, "x"]}', '$.items[2] type', 'type inside items inside properties: path $.items[2]'),
	('{"enum": ["click", "view"]}', '"scroll"', '$ enum', 'enum'),
	('{"const": 1}', '2', '$ const', 'const'),
	('{"const": null}', '0', '$ const', 'const null: 0 is a violation (const present with value null)'),
	('{"const": null}', 'null', '', 'const null: null is no violation'),
	('{"multipleOf": 1.5}', '19', '$ multipleOf', 'multipleOf'),
	('{"maximum": 10}', '11', '$ maximum', 'maximum'),
	('{"exclusiveMaximum": 10}', '10', '$ exclusiveMaximum', 'exclusiveMaximum'),
	('{"minimum": 3}', '2', '$ minimum', 'minimum'),
	('{"exclusiveMinimum": 3}', '3', '$ exclusiveMinimum', 'exclusiveMinimum'),
	('{"maxLength": 3}', '"abcd"', '$ maxLength', 'maxLength'),
	('{"minLength": 5}', '"ab"', '$ minLength', 'minLength'),
	('{"pattern": "^usr_"}', '"bob"', '$ pattern', 'pattern'),
	('{"format": "date-time"}', '"yesterday"', '$ format', 'format'),
	('{"properties": {"ts": {"format": "date-time"}}}', '{"ts": "nope"}', '$.ts format', 'format inside properties: path $.ts'),
	('{"items": {"type": "integer"}}', '[1, "x", 3, "y"]', '$[1] type, $[3] type', 'items schema: one violation per bad item at its index'),
	('{"items": [{"type": "integer"}, {"type": "string"}]}', '["a", 2]', '$[0] type, $[1] type', 'items array: each position reports at its index'),
	('{"items": {"required": ["id"]}}', '[{"id": 1}, {}]', '$[1] required', 'required inside items: path $[1]'),
	('{"items": false}', '[1, 2]', '$[0] false, $[1] false', 'items false: keyword "false" at each item'),
	('{"maxItems": 2}', '[1, 2, 3]', '$ maxItems', 'maxItems'),
	('{"minItems": 1}', '[]', '$ minItems', 'minItems'),
	('{"uniqueItems": true}', '[1, 2, 1]', '$ uniqueItems', 'uniqueItems reports at the array'),
	('{"contains": {"type": "string"}}', '[1, 2]', '$ contains', 'contains reports once at the array, not per item'),
	('{"contains": {"type": "string"}}', '[]', '$ contains', 'contains: an empty array'),
	('{"maxProperties": 1}', '{"a": 1, "b": 2}', '$ maxProperties', 'maxProperties'),
	('{"minProperties": 2}', '{"a": 1}', '$ minProperties', 'minProperties'),
	('{"required": ["user_id"]}', '{}', '$ required', 'required reports at the object'),
	('{"properties": {"user": {"required": ["email"]}}}', '{"user": {}}', '$.user required', 'nested required reports at the nested object'),
	('{"patternProperties": {"^n_": {"type": "number"}}}', '{"n_a": "x", "n_b": 1, "n_c": "y"}', '$.n_a type, $.n_c type', 'patternProperties: each bad matching property at its path'),
	('{"properties": {"a": {}}, "additionalProperties": false}', '{"a": 1, "b": 2, "c d": 3}', '$."c d" additionalProperties, $.b additionalProperties', 'additionalProperties false: one violation per extra property, at its path'),
	('{"additionalProperties": false}', '{"x": {"y": 1}}', '$.x additionalProperties', 'additionalProperties false: one violation for an extra object, not for its contents'),
	('{"dependencies": {"card": ["billing_address"]}}', '{"card": 1}', '$ dependencies', 'dependencies (array form) reports at the object'),
	('{"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["a_field"]}, "else": {"required": ["b_field"]}}', '{"kind": "a"}', '$ required', 'then reports its inner violation'),
	('{"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["a_field"]}, "else": {"required": ["b_field"]}}', '{"kind": "b"}', '$ required', 'else reports its inner violation'),
	('{"if": {"type": "string"}, "then": {"maxLength": 1}, "else": {"properties": {"x": {"type": "string"}}}}', '{"x": 1}', '$.x type', 'else reports the inner path'),
	('{"if": {"const": 1}, "then": {"minimum": 0}}', '2', '', 'a failing if is not reported'),
	('{"allOf": [{"type": "integer"}, {"minimum": 10}]}', '5.5', '$ minimum, $ type', 'allOf reports the violations of each failing subschema'),
	('{"allOf": [{"properties": {"a": {"type": "string"}}}, {"properties": {"b": {"type": "string"}}}]}', '{"a": 1, "b": 2}', '$.a type, $.b type', 'allOf reports inner paths'),
	('{"anyOf": [{"type": "string"}, {"type": "boolean"}]}', '1', '$ anyOf', 'anyOf: one violation with keyword anyOf'),
	('{"properties": {"v": {"anyOf": [{"type": "string"}, {"type": "null"}]}}}', '{"v": 1}', '$.v anyOf', 'anyOf inside properties: at the property path'),
	('{"oneOf": [{"type": "string"}, {"type": "boolean"}]}', '1', '$ oneOf', 'oneOf with no match: one violation with keyword oneOf'),
	('{"oneOf": [{"type": "integer"}, {"minimum": 0}]}', '5', '$ oneOf', 'oneOf with two matches: one violation with keyword oneOf'),
	('{"not": {"type": "integer"}}', '1', '$ not', 'not'),
	('{"items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}', '["a", 1, null]', '$[2] oneOf', 'oneOf inside items: at the item'),
	('{"contains": false}', '[1]', '$ contains', 'contains false: keyword contains at the array'),
	('{"if": true, "then": false}', '1', '$ false', 'then false: the false subschema reports "false"'),
	('{"patternProperties": {"^x": false}}', '{"x1": 1, "x2": 2, "y": 3}', '$.x1 false, $.x2 false', 'patternProperties false: keyword "false" at each matching property'),
	('{"items": {"not": {"const": 0}}}', '[1, 0, 2, 0]', '$[1] not, $[3] not', 'not inside items: at each item'),
	('false', '1', '$ false', 'a false root schema: keyword "false" at $'),
	('false', '{"a": 1}', '$ false', 'a false root schema: one violation, not one per member'),
	('{"properties": {"a": false}}', '{"a": 1}', '$.a false', 'a false property schema: keyword "false" at the property'),
	('{"definitions": {"pos": {"minimum": 0}}, "properties": {"n": {"$ref": "#/definitions/pos"}}}', '{"n": -1}', '$.n minimum', '$ref reports the target''s keyword at the instance path'),
	('{"definitions": {"node": {"properties": {"kids": {"items": {"$ref": "#/definitions/node"}}, "v": {"type": "integer"}}}}, "properties": {"root": {"$ref": "#/definitions/node"}}}',
	 '{"root": {"v": 1, "kids": [{"v": 2}, {"v": 3, "kids": [{"v": "x"}]}]}}', '$.root.kids[1].kids[0].v type', 'recursive $ref: the full instance path of a deep violation'),
	('{"properties": {"a": {"properties": {"b": {"items": {"properties": {"c": {"type": "string"}}}}}}}}', '{"a": {"b": [{"c": "x"}, {"c": 1}]}}', '$.a.b[1].c type', 'a deep path mixes members and indexes')
) AS t(s, i, e, d);

-------------------------------------------------------------------------------
-- Paths: member names that are not plain identifiers are quoted
-------------------------------------------------------------------------------
SELECT is(pg_temp.errs(s, i), e, d) FROM (VALUES
	('{"properties": {"a b": {"type": "integer"}}}', '{"a b": "x"}', '$."a b" type', 'a name with a space is quoted'),
	('{"properties": {"1a": {"type": "string"}}}', '{"1a": 1}', '$."1a" type', 'a name starting with a digit is quoted'),
	('{"properties": {"a-b": {"type": "string"}}}', '{"a-b": 1}', '$."a-b" type', 'a name with a hyphen is quoted'),
	('{"properties": {"": {"type": "string"}}}', '{"": 1}', '$."" type', 'the empty name is quoted'),
	('{"properties": {"é": {"type": "string"}}}', '{"é": 1}', '$."é" type', 'a non-ASCII name is quoted'),
	('{"properties": {"$": {"type": "string"}}}', '{"$": 1}', '$."$" type', 'the name "$" is quoted'),
	('{"properties": {"a\"b": {"type": "string"}}}', '{"a\"b": 1}', '$."a\"b" type', 'a double quote inside a quoted name is escaped'),
	('{"properties": {"a\\b": {"type": "string"}}}', '{"a\\b": 1}', '$."a\\b" type', 'a backslash inside a quoted name is escaped'),
	('{"properties": {"_ok9": {"type": "string"}}}', '{"_ok9": 1}', '$._ok9 type', 'an identifier with underscore and digit is plain'),
	('{"properties": {"A_Z": {"type": "string"}}}', '{"A_Z": 1}', '$.A_Z type', 'an upper-case identifier is plain'),
	('{"properties": {"a\nb": {"type": "string"}}}', '{"a\nb": 1}', '$."a\nb" type', 'a newline inside a quoted name is escaped as \n, as jsonpath prints it'),
	('{"properties": {"x y": {"items": {"type": "string"}}}}', '{"x y": ["a", 1]}', '$."x y"[1] type', 'an index after a quoted name')
) AS t(s, i, e, d);

-------------------------------------------------------------------------------
-- Every violation is returned; a valid instance gives none
-------------------------------------------------------------------------------
SELECT is(pg_temp.errs(s, i), e, d) FROM (VALUES
	('{"properties": {"a": {"type": "integer"}, "b": {"type": "integer"}, "c": {"type": "integer"}}}', '{"a": "x", "b": "y", "c": "z"}',
	 '$.a type, $.b type, $.c type', 'three bad properties: three violations'),
	('{"type": "string", "minLength": 5, "pattern": "^a"}', '"bb"', '$ minLength, $ pattern', 'two keywords failing on one string: two violations'),
	('{"type": "integer", "minimum": 10, "multipleOf": 3}', '5', '$ minimum, $ multipleOf', 'two keywords failing on one number: two violations'),
	('{"type": "object", "required": ["id"], "properties": {"n": {"maximum": 5}, "tags": {"items": {"type": "string"}}}, "additionalProperties": false}',
	 '{"n": 6, "tags": ["a", 1], "x": 0}', '$ required, $.n maximum, $.tags[1] type, $.x additionalProperties', 'four different violations in one object'),
	('{"items": {"properties": {"q": {"minimum": 0}}}}', '[{"q": -1}, {"q": 1}, {"q": -2}, {"q": -3}]', '$[0].q minimum, $[2].q minimum, $[3].q minimum', 'a bad member in three of four items: three violations'),
	('{"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}', '{"a": 1}', '', 'a valid object: no violations'),
	('true', '1', '', 'schema true: no violations'),
	('{}', '{"x": [1]}', '', 'empty schema: no violations'),
	('{"anyOf": [{"type": "string"}, {"minimum": 2}]}', '3', '', 'a passing anyOf reports nothing of its failing branch'),
	('{"oneOf": [{"type": "string"}, {"minimum": 2}]}', '3', '', 'a passing oneOf reports nothing of its failing branch'),
	('{"not": {"type": "string"}}', '3', '', 'a passing not reports nothing')
) AS t(s, i, e, d);

-- validate() agrees with validation_errors()
SELECT is(pg_temp.v(s, i), (pg_temp.errs(s, i) = '')::text, d) FROM (VALUES
	('{"type": "object", "required": ["id"], "properties": {"n": {"maximum": 5}}, "additionalProperties": false}', '{"n": 6, "x": 0}', 'validate() is false exactly when validation_errors() has rows (invalid)'),
	('{"type": "object", "required": ["id"], "properties": {"n": {"maximum": 5}}, "additionalProperties": false}', '{"id": 1, "n": 5}', 'validate() is true exactly when validation_errors() is empty (valid)'),
	('{"oneOf": [{"type": "integer"}, {"minimum": 0}]}', '5', 'validate() and validation_errors() agree on oneOf'),
	('{"if": {"minimum": 0}, "then": {"multipleOf": 2}}', '-3', 'validate() and validation_errors() agree on if without a match')
) AS t(s, i, d);

-------------------------------------------------------------------------------
-- Where the reporting rules leave a choice, either reading is accepted
-------------------------------------------------------------------------------
SELECT matches(pg_temp.errs(s, i), e, d) FROM (VALUES
	('{"items": [{}], "additionalItems": false}', '[1, 2, 3]', '^(\$\[1\] additionalItems, \$\[2\] additionalItems|\$ additionalItems)$',
	 'additionalItems false: keyword additionalItems, per extra item or once at the array'),
	('{"items": [{}], "additionalItems": {"type": "integer"}}', '[null, 1, "x"]', '^\$\[2\] (type|additionalItems)$',
	 'additionalItems schema: only the third item, at $[2]'),
	('{"additionalProperties": {"type": "string"}}', '{"x": 1, "y": "s"}', '^\$\.x (type|additionalProperties)$',
	 'additionalProperties schema: only x, at $.x'),
	('{"dependencies": {"card": {"required": ["billing_address"]}}}', '{"card": 1}', '^\$ (required|dependencies)$',
	 'dependencies (schema form): one violation at the object'),
	('{"dependencies": {"bar": false}}', '{"bar": 1}', '^\$ (false|dependencies)$',
	 'dependencies false: one violation at the object'),
	('{"propertyNames": {"maxLength": 3}}', '{"ok": 1, "toolong": 2}', '^\$(\.toolong)? propertyNames$',
	 'propertyNames: one violation with keyword propertyNames, for the long name only'),
	('{"propertyNames": {"maxLength": 3}}', '{"toolong": 1, "toolong2": 2}', '^(\$ propertyNames, \$ propertyNames|\$\.toolong propertyNames, \$\.toolong2 propertyNames)$',
	 'propertyNames: two bad names, two violations'),
	('{"propertyNames": false}', '{"a": 1}', '^\$(\.a)? (propertyNames|false)$',
	 'propertyNames false: one violation'),
	('{"required": ["user_id", "event_type"]}', '{}', '^\$ required(, \$ required)?$',
	 'two missing required properties: keyword required at the object')
) AS t(s, i, e, d);

-------------------------------------------------------------------------------
-- Messages name what matters: the property, the limit, the expected type
-------------------------------------------------------------------------------
-- (the lookahead keeps an error text from passing for a message)
SELECT matches(pg_temp.msgs(s, i), '^(?!error [0-9A-Z]{5}: ).*(' || e || ')', d) FROM (VALUES
	('{"required": ["user_id"]}', '{}', 'user_id', 'required: the message names the missing property'),
	('{"required": ["user_id", "event_type"]}', '{"user_id": "u"}', 'event_type', 'required: the message names the one missing property'),
	('{"required": ["user_id", "event_type"]}', '{}', 'user_id.*event_type|event_type.*user_id', 'required: both missing properties are named'),
	('{"type": "string"}', '1', '\ystring\y', 'type: the message names the expected type'),
	('{"type": "integer"}', '"7"', '\yinteger\y', 'type: the message names integer'),
	('{"maximum": 10}', '11', '\y10\y', 'maximum: the message gives the limit'),
	('{"exclusiveMaximum": 10}', '10', '\y10\y', 'exclusiveMaximum: the message gives the limit'),
	('{"minimum": 3}', '2', '\y3\y', 'minimum: the message gives the limit'),
	('{"exclusiveMinimum": 3}', '3', '\y3\y', 'exclusiveMinimum: the message gives the limit'),
	('{"multipleOf": 1.5}', '19', '\y1\.5\y', 'multipleOf: the message gives the divisor'),
	('{"maxLength": 3}', '"abcdefgh"', '\y3\y', 'maxLength: the message gives the limit'),
	('{"minLength": 5}', '"ab"', '\y5\y', 'minLength: the message gives the limit'),
	('{"maxItems": 2}', '[1, 1, 1, 1]', '\y2\y', 'maxItems: the message gives the limit'),
	('{"minItems": 3}', '[]', '\y3\y', 'minItems: the message gives the limit'),
	('{"maxProperties": 1}', '{"a": 0, "b": 0, "c": 0, "d": 0}', '\y1\y', 'maxProperties: the message gives the limit'),
	('{"minProperties": 2}', '{}', '\y2\y', 'minProperties: the message gives the limit'),
	('{"pattern": "^usr_[a-z0-9]+$"}', '"bob"', '\^usr_\[a-z0-9\]\+\$', 'pattern: the message gives the pattern'),
	('{"format": "date-time"}', '"yesterday"', 'date-time', 'format: the message names the format'),
	('{"dependencies": {"card": ["billing_address"]}}', '{"card": 1}', 'billing_address', 'dependencies: the message names the missing dependent property'),
	('{"if": {"properties": {"kind": {"const": "a"}}}, "then": {"required": ["a_field"]}, "else": {"required": ["b_field"]}}', '{"kind": "b"}', 'b_field', 'else: the inner required message names b_field'),
	('{"enum": ["click", "view", "conversion"]}', '"scroll"', '.', 'enum: the message is not empty'),
	('{"anyOf": [{"type": "string"}, {"type": "boolean"}]}', '1', '.', 'anyOf: the message is not empty'),
	('{"properties": {"a": {}}, "additionalProperties": false}', '{"zzz_extra": 1}', '.', 'additionalProperties: the message is not empty')
) AS t(s, i, e, d);

-------------------------------------------------------------------------------
-- Malformed schemas: 22023, the message naming the keyword
-------------------------------------------------------------------------------
SELECT matches(pg_temp.v(s, i), '^error 22023: .*' || k, d) FROM (VALUES
	('{"type": "strin"}', '"x"', '\ytype\y', 'type "strin" (unknown type name)'),
	('{"type": "any"}', '"x"', '\ytype\y', 'type "any" (a draft-03 type name)'),
	('{"type": 5}', '"x"', '\ytype\y', 'type 5'),
	('{"type": ["string", "strin"]}', '"x"', '\ytype\y', 'type array with an unknown name'),
	('{"type": ["string", 5]}', '"x"', '\ytype\y', 'type array with a number'),
	('{"items": [{"type": "strin"}]}', '[]', '\ytype\y', 'an unknown type name inside items, with an empty instance array'),
	('{"enum": "x"}', '"x"', '\yenum\y', 'enum "x" (not an array)'),
	('{"multipleOf": 0}', '1', '\ymultipleOf\y', 'multipleOf 0 (must be > 0)'),
	('{"multipleOf": -1}', '1', '\ymultipleOf\y', 'multipleOf -1'),
	('{"multipleOf": "2"}', '1', '\ymultipleOf\y', 'multipleOf "2" (a string)'),
	('{"multipleOf": 0}', '"x"', '\ymultipleOf\y', 'multipleOf 0 is rejected even for an instance it would ignore'),
	('{"maximum": "5"}', '1', '\ymaximum\y', 'maximum "5"'),
	('{"minimum": null}', '1', '\yminimum\y', 'minimum null'),
	('{"maximum": 5, "exclusiveMaximum": true}', '1', '\yexclusiveMaximum\y', 'exclusiveMaximum true (the draft-04 boolean form)'),
	('{"exclusiveMinimum": "0"}', '1', '\yexclusiveMinimum\y', 'exclusiveMinimum "0"'),
	('{"maxLength": -1}', '"x"', '\ymaxLength\y', 'maxLength -1'),
	('{"maxLength": 1.5}', '"x"', '\ymaxLength\y', 'maxLength 1.5'),
	('{"maxLength": "3"}', '"x"', '\ymaxLength\y', 'maxLength "3"'),
	('{"maxLength": -1}', '5', '\ymaxLength\y', 'maxLength -1 is rejected even for a number instance'),
	('{"minLength": -1}', '"x"', '\yminLength\y', 'minLength -1'),
	('{"properties": {"a": {"minLength": "x"}}}', '{}', '\yminLength\y', 'minLength "x" nested in properties, instance without the property'),
	('{"pattern": "("}', '"x"', '\ypattern\y', 'pattern "(" (invalid regular expression)'),
	('{"pattern": 5}', '"x"', '\ypattern\y', 'pattern 5'),
	('{"items": 5}', '[]', '\yitems\y', 'items 5'),
	('{"items": [5]}', '[]', '\yitems\y', 'items [5]'),
	('{"items": [{}], "additionalItems": 5}', '[]', '\yadditionalItems\y', 'additionalItems 5'),
	('{"maxItems": -1}', '[]', '\ymaxItems\y', 'maxItems -1'),
	('{"minItems": 1.5}', '[]', '\yminItems\y', 'minItems 1.5'),
	('{"uniqueItems": "yes"}', '[]', '\yuniqueItems\y', 'uniqueItems "yes"'),
	('{"contains": 5}', '[]', '\ycontains\y', 'contains 5'),
	('{"maxProperties": -1}', '{}', '\ymaxProperties\y', 'maxProperties -1'),
	('{"minProperties": "1"}', '{}', '\yminProperties\y', 'minProperties "1"'),
	('{"required": "a"}', '{}', '\yrequired\y', 'required "a" (not an array)'),
	('{"required": [1]}', '{}', '\yrequired\y', 'required [1] (not strings)'),
	('{"required": ["a", "a"]}', '{}', '\yrequired\y', 'required ["a", "a"] (not unique)'),
	('{"properties": []}', '{}', '\yproperties\y', 'properties [] (not an object)'),
	('{"properties": {"a": 5}}', '{}', '\yproperties\y', 'properties {"a": 5} (a member is not a schema)'),
	('{"patternProperties": {"(": {}}}', '{}', '\ypatternProperties\y', 'patternProperties with an invalid regular expression as a key'),
	('{"patternProperties": []}', '{}', '\ypatternProperties\y', 'patternProperties []'),
	('{"additionalProperties": 5}', '{}', '\yadditionalProperties\y', 'additionalProperties 5'),
	('{"dependencies": {"a": 5}}', '{}', '\ydependencies\y', 'dependencies {"a": 5}'),
	('{"dependencies": {"a": [1]}}', '{}', '\ydependencies\y', 'dependencies {"a": [1]} (not strings)'),
	('{"dependencies": []}', '{}', '\ydependencies\y', 'dependencies []'),
	('{"propertyNames": 5}', '{}', '\ypropertyNames\y', 'propertyNames 5'),
	('{"allOf": []}', '1', '\yallOf\y', 'allOf [] (must be non-empty)'),
	('{"allOf": {}}', '1', '\yallOf\y', 'allOf {} (not an array)'),
	('{"anyOf": []}', '1', '\yanyOf\y', 'anyOf []'),
	('{"anyOf": [{}, 5]}', '1', '\yanyOf\y', 'anyOf with a member that is not a schema'),
	('{"oneOf": "x"}', '1', '\yoneOf\y', 'oneOf "x"'),
	('{"not": 5}', '1', '"not"', 'not 5 (the message quotes "not")'),
	('{"if": 5, "then": {}}', '1', '"if"', 'if 5 (the message quotes "if")'),
	('{"if": {}, "then": 5}', '1', '\ythen\y', 'then 5'),
	('{"$ref": 5}', '1', '\$ref\y', '$ref 5'),
	('{"$id": 5}', '1', '\$id\y', '$id 5'),
	('{"definitions": 5}', '1', '\ydefinitions\y', 'definitions 5'),
	('{"definitions": {"a": {"minLength": -1}}}', '1', '\yminLength\y', 'an unreferenced definition with minLength -1'),
	('{"format": 5}', '"x"', '\yformat\y', 'format 5'),
	('{"const": 1, "properties": {"p": {"maxItems": "2"}}}', '1', '\ymaxItems\y', 'a nested malformed keyword beside a valid const')
) AS t(s, i, k, d);

-- A schema must be an object or a boolean (Core 4.3)
SELECT matches(pg_temp.v(s, '1'), '^error 22023: ', d) FROM (VALUES
	('5', 'the schema 5 is 22023'),
	('"x"', 'the schema "x" is 22023'),
	('[]', 'the schema [] is 22023'),
	('null', 'the schema null is 22023')
) AS t(s, d);

-- validation_errors() rejects malformed schemas the same way
SELECT matches(pg_temp.errs('{"minLength": -1}', '"x"'), '^error 22023: .*\yminLength\y', 'validation_errors(): minLength -1 is 22023 naming minLength');
SELECT matches(pg_temp.errs('{"properties": {"a": {"$ref": "http://example.com/x.json"}}}', '{}'), '^error 22023: ', 'validation_errors(): a remote $ref is 22023');
SELECT matches(pg_temp.errs('5', '1'), '^error 22023: ', 'validation_errors(): the schema 5 is 22023');

-------------------------------------------------------------------------------
-- Unknown keywords and annotations are ignored (Core 4.3.1, Validation 10)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"foo": 5}', '1', true, 'an unknown keyword is ignored'),
	('{"x-thing": {"type": 5}}', '1', true, 'an unknown keyword holding a malformed-looking schema is ignored'),
	('{"minimum": 1, "maximun": 100}', '500', true, 'a misspelt keyword is ignored (maximun)'),
	('{"$schema": "http://json-schema.org/draft-07/schema#", "$comment": "c", "title": "t", "description": "d", "default": 5, "examples": [1], "readOnly": true, "writeOnly": false}',
	 '"x"', true, 'annotation keywords do not constrain'),
	('{"contentMediaType": "application/json", "contentEncoding": "base64"}', '"not base64 json"', true, 'contentMediaType/contentEncoding do not constrain'),
	('{"dependentRequired": {"a": ["b"]}}', '{"a": 1}', true, 'the 2019-09 keyword dependentRequired is unknown in draft-07'),
	('{"unevaluatedProperties": false}', '{"x": 1}', true, 'the 2019-09 keyword unevaluatedProperties is unknown in draft-07'),
	('{"prefixItems": [{"type": "string"}]}', '[1]', true, 'the 2020-12 keyword prefixItems is unknown in draft-07'),
	('{"maxLength": 2.0}', '"ab"', true, 'maxLength 2.0 is an integer value (well-formed)'),
	('{"maxLength": 2.0}', '"abc"', false, 'maxLength 2.0 is applied as 2')
) AS t(s, i, r, d);
SELECT is(pg_temp.errs('{"foo": 5, "type": "string"}', '1'), '$ type', 'an unknown keyword beside type: only type reports');

-- Every message is non-empty.
CREATE FUNCTION pg_temp.blank_messages(schema text, instance text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	n int;
BEGIN
	SELECT count(*) INTO n FROM streamflow.validation_errors(schema::jsonb, instance::jsonb) e
	WHERE e.message IS NULL OR btrim(e.message) = '';
	RETURN n::text;
EXCEPTION WHEN OTHERS THEN
	RETURN 'error ' || SQLSTATE || ': ' || SQLERRM;
END
$f$;
SELECT is(pg_temp.blank_messages(
	'{"type": "object", "required": ["id"], "properties": {"n": {"maximum": 5}, "tags": {"items": {"type": "string"}, "uniqueItems": true}, "c": {"const": 1}}, "additionalProperties": false}',
	'{"n": 6, "tags": ["a", "a", 1], "x": 0, "c": 2}'), '0', 'no violation has an empty message');

SELECT * FROM finish();
ROLLBACK;
