-- json_schema_refs.sql: $ref, definitions and $id in streamflow.validate(),
-- written from JSON Schema Core draft-07 (draft-handrews-json-schema-01):
-- 8 (base URI and $id), 8.3 ($ref: "All other properties in a "$ref" object
-- MUST be ignored"), 8.3.1 (JSON Pointer fragments, RFC 6901 with URI
-- percent-encoding), 8.2.3 / 9.2 (plain-name fragments via "$id": "#foo").
-- Refs that cannot be resolved inside the document (remote ones included) and
-- recursion that never descends into the instance are malformed schemas: 22023.
BEGIN;
SELECT plan(108);

\ir json_schema_helpers.psql

-- A schema that loops must fail one test, not hang the suite.
SET LOCAL statement_timeout = '10s';

-------------------------------------------------------------------------------
-- definitions + "#/definitions/..." (Validation 9, Core 8.3)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"definitions": {"pos": {"type": "integer", "minimum": 0}}, "properties": {"n": {"$ref": "#/definitions/pos"}}}',
	 '{"n": 1}', true, 'ref to a definition: a valid value passes'),
	('{"definitions": {"pos": {"type": "integer", "minimum": 0}}, "properties": {"n": {"$ref": "#/definitions/pos"}}}',
	 '{"n": -1}', false, 'ref to a definition: the definition''s minimum applies'),
	('{"definitions": {"pos": {"type": "integer", "minimum": 0}}, "properties": {"n": {"$ref": "#/definitions/pos"}}}',
	 '{"n": "x"}', false, 'ref to a definition: the definition''s type applies'),
	('{"definitions": {"pos": {"type": "integer", "minimum": 0}}, "items": {"$ref": "#/definitions/pos"}}',
	 '[0, 1, 2]', true, 'ref from items: every item valid'),
	('{"definitions": {"pos": {"type": "integer", "minimum": 0}}, "items": {"$ref": "#/definitions/pos"}}',
	 '[0, -1, 2]', false, 'ref from items: one item invalid'),
	('{"definitions": {"f": false, "t": true}, "properties": {"a": {"$ref": "#/definitions/f"}, "b": {"$ref": "#/definitions/t"}}}',
	 '{"a": 1}', false, 'ref to a false definition: invalid'),
	('{"definitions": {"f": false, "t": true}, "properties": {"a": {"$ref": "#/definitions/f"}, "b": {"$ref": "#/definitions/t"}}}',
	 '{"b": 1}', true, 'ref to a true definition: valid'),
	('{"definitions": {"f": false, "t": true}, "properties": {"a": {"$ref": "#/definitions/f"}, "b": {"$ref": "#/definitions/t"}}}',
	 '{}', true, 'ref to a false definition: not reached, valid'),
	('{"properties": {"a": {"type": "integer"}, "b": {"$ref": "#/properties/a"}}}',
	 '{"b": "x"}', false, 'ref to #/properties/a: a pointer outside definitions'),
	('{"properties": {"a": {"type": "integer"}, "b": {"$ref": "#/properties/a"}}}',
	 '{"b": 7}', true, 'ref to #/properties/a: valid'),
	('{"items": [{"type": "integer"}, {"$ref": "#/items/0"}]}',
	 '[1, 2]', true, 'ref to #/items/0: an array index in the pointer'),
	('{"items": [{"type": "integer"}, {"$ref": "#/items/0"}]}',
	 '[1, "x"]', false, 'ref to #/items/0: the first items schema applies to the second item'),
	('{"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/c"}, "c": {"type": "integer"}}, "properties": {"x": {"$ref": "#/definitions/a"}}}',
	 '{"x": 1}', true, 'a chain of refs a -> b -> c: valid'),
	('{"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/c"}, "c": {"type": "integer"}}, "properties": {"x": {"$ref": "#/definitions/a"}}}',
	 '{"x": "1"}', false, 'a chain of refs a -> b -> c: c''s type applies'),
	('{"definitions": {"inner": {"properties": {"v": {"$ref": "#/definitions/leaf"}}}, "leaf": {"enum": ["ok"]}}, "properties": {"o": {"$ref": "#/definitions/inner"}}}',
	 '{"o": {"v": "ok"}}', true, 'a definition that refs another definition below it: valid'),
	('{"definitions": {"inner": {"properties": {"v": {"$ref": "#/definitions/leaf"}}}, "leaf": {"enum": ["ok"]}}, "properties": {"o": {"$ref": "#/definitions/inner"}}}',
	 '{"o": {"v": "no"}}', false, 'a definition that refs another definition below it: invalid'),
	('{"definitions": {"a": {"type": "integer"}}, "allOf": [{"$ref": "#/definitions/a"}]}',
	 '1', true, 'ref in allOf at the root: valid'),
	('{"definitions": {"a": {"type": "integer"}}, "allOf": [{"$ref": "#/definitions/a"}]}',
	 '1.5', false, 'ref in allOf at the root: invalid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- $ref siblings are ignored in draft-07 (Core 8.3)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"definitions": {"a": {"type": "integer"}}, "properties": {"x": {"$ref": "#/definitions/a", "maximum": 0}}}',
	 '{"x": 5}', true, 'a maximum beside $ref is ignored'),
	('{"definitions": {"a": {"type": "integer"}}, "properties": {"x": {"$ref": "#/definitions/a", "maximum": 0}}}',
	 '{"x": "s"}', false, 'the $ref target still applies beside an ignored sibling'),
	('{"definitions": {"a": {"type": "integer"}}, "properties": {"x": {"$ref": "#/definitions/a", "type": "string"}}}',
	 '{"x": 3}', true, 'a type beside $ref is ignored'),
	('{"definitions": {"a": {}}, "properties": {"x": {"$ref": "#/definitions/a", "required": ["q"], "properties": {"p": false}}}}',
	 '{"x": {"p": 1}}', true, 'required and properties beside $ref are ignored')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- JSON Pointer escaping in refs: ~0 is ~, ~1 is /, then URI percent-decoding
-- (Core 8.3.1, RFC 6901 sections 4 and 6)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"definitions": {"a~b": {"const": 1}, "c/d": {"const": 2}, "e%f": {"const": 3}, "g h": {"const": 4}, "~1": {"const": 5}, "/": {"const": 6}},
	   "properties": {"t": {"$ref": "#/definitions/a~0b"}, "s": {"$ref": "#/definitions/c~1d"}, "p": {"$ref": "#/definitions/e%25f"},
	                  "sp": {"$ref": "#/definitions/g%20h"}, "o": {"$ref": "#/definitions/~01"}}}',
	 '{"t": 1}', true, '~0 in a pointer is ~: "a~0b" finds "a~b"'),
	('{"definitions": {"a~b": {"const": 1}, "c/d": {"const": 2}, "e%f": {"const": 3}, "g h": {"const": 4}, "~1": {"const": 5}, "/": {"const": 6}},
	   "properties": {"t": {"$ref": "#/definitions/a~0b"}, "s": {"$ref": "#/definitions/c~1d"}, "p": {"$ref": "#/definitions/e%25f"},
	                  "sp": {"$ref": "#/definitions/g%20h"}, "o": {"$ref": "#/definitions/~01"}}}',
	 '{"t": 2}', false, '~0 in a pointer: the target''s const applies'),
	('{"definitions": {"a~b": {"const": 1}, "c/d": {"const": 2}, "e%f": {"const": 3}, "g h": {"const": 4}, "~1": {"const": 5}, "/": {"const": 6}},
	   "properties": {"t": {"$ref": "#/definitions/a~0b"}, "s": {"$ref": "#/definitions/c~1d"}, "p": {"$ref": "#/definitions/e%25f"},
	                  "sp": {"$ref": "#/definitions/g%20h"}, "o": {"$ref": "#/definitions/~01"}}}',
	 '{"s": 2}', true, '~1 in a pointer is /: "c~1d" finds "c/d"'),
	('{"definitions": {"a~b": {"const": 1}, "c/d": {"const": 2}, "e%f": {"const": 3}, "g h": {"const": 4}, "~1": {"const": 5}, "/": {"const": 6}},
	   "properties": {"t": {"$ref": "#/definitions/a~0b"}, "s": {"$ref": "#/definitions/c~1d"}, "p": {"$ref": "#/definitions/e%25f"},
	                  "sp": {"$ref": "#/definitions/g%20h"}, "o": {"$ref": "#/definitions/~01"}}}',
	 '{"s": 1}', false, '~1 in a pointer: the target''s const applies'),
	('{"definitions": {"a~b": {"const": 1}, "c/d": {"const": 2}, "e%f": {"const": 3}, "g h": {"const": 4}, "~1": {"const": 5}, "/": {"const": 6}},
	   "properties": {"t": {"$ref": "#/definitions/a~0b"}, "s": {"$ref": "#/definitions/c~1d"}, "p": {"$ref": "#/definitions/e%25f"},
	                  "sp": {"$ref": "#/definitions/g%20h"}, "o": {"$ref": "#/definitions/~01"}}}',
	 '{"p": 3}', true, '%25 in a ref is percent-decoded: "e%25f" finds "e%f"'),
	('{"definitions": {"a~b": {"const": 1}, "c/d": {"const": 2}, "e%f": {"const": 3}, "g h": {"const": 4}, "~1": {"const": 5}, "/": {"const": 6}},
	   "properties": {"t": {"$ref": "#/definitions/a~0b"}, "s": {"$ref": "#/definitions/c~1d"}, "p": {"$ref": "#/definitions/e%25f"},
	                  "sp": {"$ref": "#/definitions/g%20h"}, "o": {"$ref": "#/definitions/~01"}}}',
	 '{"p": 1}', false, '%25 in a ref: the target''s const applies'),
	('{"definitions": {"a~b": {"const": 1}, "c/d": {"const": 2}, "e%f": {"const": 3}, "g h": {"const": 4}, "~1": {"const": 5}, "/": {"const": 6}},
	   "properties": {"t": {"$ref": "#/definitions/a~0b"}, "s": {"$ref": "#/definitions/c~1d"}, "p": {"$ref": "#/definitions/e%25f"},
	                  "sp": {"$ref": "#/definitions/g%20h"}, "o": {"$ref": "#/definitions/~01"}}}',
	 '{"sp": 4}', true, '%20 in a ref is a space: "g%20h" finds "g h"'),
	('{"definitions": {"a~b": {"const": 1}, "c/d": {"const": 2}, "e%f": {"const": 3}, "g h": {"const": 4}, "~1": {"const": 5}, "/": {"const": 6}},
	   "properties": {"t": {"$ref": "#/definitions/a~0b"}, "s": {"$ref": "#/definitions/c~1d"}, "p": {"$ref": "#/definitions/e%25f"},
	                  "sp": {"$ref": "#/definitions/g%20h"}, "o": {"$ref": "#/definitions/~01"}}}',
	 '{"o": 5}', true, '"~01" decodes to "~1" (~1 is replaced before ~0), not "/"'),
	('{"definitions": {"a~b": {"const": 1}, "c/d": {"const": 2}, "e%f": {"const": 3}, "g h": {"const": 4}, "~1": {"const": 5}, "/": {"const": 6}},
	   "properties": {"t": {"$ref": "#/definitions/a~0b"}, "s": {"$ref": "#/definitions/c~1d"}, "p": {"$ref": "#/definitions/e%25f"},
	                  "sp": {"$ref": "#/definitions/g%20h"}, "o": {"$ref": "#/definitions/~01"}}}',
	 '{"o": 6}', false, '"~01" does not find the "/" definition')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- A recursive tree: children refer back to the root "#"
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"type": "object", "required": ["value"], "additionalProperties": false,
	   "properties": {"value": {"type": "number"}, "children": {"type": "array", "items": {"$ref": "#"}}}}',
	 '{"value": 1}', true, 'tree: a leaf is valid'),
	('{"type": "object", "required": ["value"], "additionalProperties": false,
	   "properties": {"value": {"type": "number"}, "children": {"type": "array", "items": {"$ref": "#"}}}}',
	 '{"value": 1, "children": [{"value": 2, "children": [{"value": 3, "children": [{"value": 4}]}]}, {"value": 5, "children": []}]}',
	 true, 'tree: a four-level tree is valid'),
	('{"type": "object", "required": ["value"], "additionalProperties": false,
	   "properties": {"value": {"type": "number"}, "children": {"type": "array", "items": {"$ref": "#"}}}}',
	 '{"value": 1, "children": [{"value": 2, "children": [{"value": 3, "children": [{"value": "four"}]}]}]}',
	 false, 'tree: a bad value four levels down is invalid'),
	('{"type": "object", "required": ["value"], "additionalProperties": false,
	   "properties": {"value": {"type": "number"}, "children": {"type": "array", "items": {"$ref": "#"}}}}',
	 '{"value": 1, "children": [{"value": 2}, {"children": []}]}',
	 false, 'tree: a child missing the required value is invalid'),
	('{"type": "object", "required": ["value"], "additionalProperties": false,
	   "properties": {"value": {"type": "number"}, "children": {"type": "array", "items": {"$ref": "#"}}}}',
	 '{"value": 1, "children": [{"value": 2, "children": [{"value": 3, "extra": true}]}]}',
	 false, 'tree: an extra property deep down is invalid (the whole root schema applies)'),
	('{"type": "object", "required": ["value"], "additionalProperties": false,
	   "properties": {"value": {"type": "number"}, "children": {"type": "array", "items": {"$ref": "#"}}}}',
	 '{"value": 1, "children": [[]]}',
	 false, 'tree: a child that is not an object is invalid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- $id: base URI changes and resolution inside the document (Core 8.2, 8.3)
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"$id": "http://example.com/root.json", "definitions": {"item": {"$id": "http://example.com/item.json", "type": "integer"}},
	   "properties": {"i": {"$ref": "item.json"}}}',
	 '{"i": 1}', true, '$id: "item.json" resolves against the root $id to the embedded item.json'),
	('{"$id": "http://example.com/root.json", "definitions": {"item": {"$id": "http://example.com/item.json", "type": "integer"}},
	   "properties": {"i": {"$ref": "item.json"}}}',
	 '{"i": "x"}', false, '$id: the embedded item.json''s type applies'),
	('{"$id": "http://example.com/root.json", "definitions": {"item": {"$id": "http://example.com/item.json", "type": "integer"}},
	   "properties": {"i": {"$ref": "http://example.com/item.json"}}}',
	 '{"i": "x"}', false, '$id: an absolute ref to an embedded $id resolves'),
	('{"$id": "http://example.com/root.json", "definitions": {"item": {"$id": "item.json", "type": "integer"}},
	   "properties": {"i": {"$ref": "http://example.com/item.json"}}}',
	 '{"i": "x"}', false, '$id: a relative $id is resolved against the enclosing base'),
	('{"$id": "http://example.com/root.json", "definitions": {"item": {"$id": "item.json", "type": "integer"}},
	   "properties": {"i": {"$ref": "http://example.com/item.json"}}}',
	 '{"i": 2}', true, '$id: a relative $id is resolved against the enclosing base (valid)'),
	('{"definitions": {"A": {"$id": "#foo", "type": "integer"}}, "properties": {"a": {"$ref": "#foo"}}}',
	 '{"a": 1}', true, 'plain-name fragment "#foo": valid'),
	('{"definitions": {"A": {"$id": "#foo", "type": "integer"}}, "properties": {"a": {"$ref": "#foo"}}}',
	 '{"a": "x"}', false, 'plain-name fragment "#foo": the named schema applies'),
	('{"$id": "http://example.com/root.json", "definitions": {"A": {"$id": "#foo", "type": "integer"}},
	   "properties": {"a": {"$ref": "http://example.com/root.json#foo"}}}',
	 '{"a": "x"}', false, 'plain-name fragment with the full base URI resolves'),
	('{"$id": "http://example.com/root.json", "definitions": {"item": {"$id": "item.json", "definitions": {"pos": {"minimum": 0}}}},
	   "properties": {"p": {"$ref": "item.json#/definitions/pos"}}}',
	 '{"p": 1}', true, 'a pointer fragment is relative to the resource named by the ref: valid'),
	('{"$id": "http://example.com/root.json", "definitions": {"item": {"$id": "item.json", "definitions": {"pos": {"minimum": 0}}}},
	   "properties": {"p": {"$ref": "item.json#/definitions/pos"}}}',
	 '{"p": -1}', false, 'a pointer fragment is relative to the resource named by the ref: invalid'),
	('{"$id": "http://example.com/root.json", "definitions": {"int": {"type": "integer"}},
	   "properties": {"sub": {"$id": "http://example.com/sub.json", "definitions": {"int": {"type": "string"}},
	                          "properties": {"v": {"$ref": "#/definitions/int"}}}}}',
	 '{"sub": {"v": "x"}}', true, 'inside a subschema with its own $id, "#/..." is relative to that subschema'),
	('{"$id": "http://example.com/root.json", "definitions": {"int": {"type": "integer"}},
	   "properties": {"sub": {"$id": "http://example.com/sub.json", "definitions": {"int": {"type": "string"}},
	                          "properties": {"v": {"$ref": "#/definitions/int"}}}}}',
	 '{"sub": {"v": 1}}', false, 'inside a subschema with its own $id, the root''s definition is not used'),
	('{"$id": "http://example.com/root.json",
	   "properties": {"f": {"$id": "folder/", "definitions": {"x": {"$id": "x.json", "type": "integer"}}, "items": {"$ref": "x.json"}}}}',
	 '{"f": [1, 2]}', true, 'nested base URIs: "x.json" inside "folder/" is http://example.com/folder/x.json'),
	('{"$id": "http://example.com/root.json",
	   "properties": {"f": {"$id": "folder/", "definitions": {"x": {"$id": "x.json", "type": "integer"}}, "items": {"$ref": "x.json"}}}}',
	 '{"f": [1, "a"]}', false, 'nested base URIs: the folder''s x.json applies'),
	('{"$id": "http://example.com/root.json",
	   "definitions": {"f": {"$id": "folder/", "definitions": {"x": {"$id": "x.json", "type": "integer"}}}},
	   "properties": {"g": {"$ref": "folder/x.json"}}}',
	 '{"g": "a"}', false, 'nested base URIs: "folder/x.json" from the root finds it too'),
	('{"$id": "http://example.com/tree.json", "type": "object",
	   "properties": {"kids": {"items": {"$ref": "tree.json"}}, "n": {"type": "integer"}}}',
	 '{"n": 1, "kids": [{"n": 2, "kids": [{"n": "three"}]}]}', false, 'recursion through the root''s own $id: invalid deep down'),
	('{"$id": "http://example.com/tree.json", "type": "object",
	   "properties": {"kids": {"items": {"$ref": "tree.json"}}, "n": {"type": "integer"}}}',
	 '{"n": 1, "kids": [{"n": 2, "kids": [{"n": 3}]}]}', true, 'recursion through the root''s own $id: valid')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- More of Core 8: a "$ref" object's sibling "$id" is ignored too; "#" inside a
-- resource with its own $id is that resource; URNs as base URIs; pointers
-- with percent-encoded UTF-8, the empty member name and into unknown keywords
-------------------------------------------------------------------------------
SELECT is(pg_temp.v(s, i), r::text, d) FROM (VALUES
	('{"$id": "http://example.com/a/", "definitions": {"x": {"$id": "http://example.com/x.json", "type": "string"}, "y": {"$id": "x.json", "type": "integer"}},
	   "properties": {"p": {"$id": "http://example.com/", "$ref": "x.json"}}}',
	 '{"p": 1}', true, 'an $id beside $ref is ignored (8.3): "x.json" resolves against http://example.com/a/ to the integer schema'),
	('{"$id": "http://example.com/a/", "definitions": {"x": {"$id": "http://example.com/x.json", "type": "string"}, "y": {"$id": "x.json", "type": "integer"}},
	   "properties": {"p": {"$id": "http://example.com/", "$ref": "x.json"}}}',
	 '{"p": "s"}', false, 'an $id beside $ref is ignored (8.3): the string schema at http://example.com/x.json is not used'),
	('{"$id": "http://example.com/root.json", "type": "object",
	   "properties": {"sub": {"$id": "http://example.com/sub.json", "type": "object", "required": ["leaf"], "properties": {"inner": {"$ref": "#"}}}}}',
	 '{"sub": {"leaf": 1, "inner": {"leaf": 2}}}', true, '"#" inside a subschema with its own $id is that subschema: valid'),
	('{"$id": "http://example.com/root.json", "type": "object",
	   "properties": {"sub": {"$id": "http://example.com/sub.json", "type": "object", "required": ["leaf"], "properties": {"inner": {"$ref": "#"}}}}}',
	 '{"sub": {"leaf": 1, "inner": {}}}', false, '"#" inside a subschema with its own $id is that subschema, not the document root'),
	('{"$id": "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "definitions": {"bar": {"type": "string"}},
	   "properties": {"foo": {"$ref": "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0#/definitions/bar"}}}',
	 '{"foo": "s"}', true, 'a URN $id: a ref with the URN and a pointer resolves (valid)'),
	('{"$id": "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "definitions": {"bar": {"type": "string"}},
	   "properties": {"foo": {"$ref": "urn:uuid:0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0#/definitions/bar"}}}',
	 '{"foo": 1}', false, 'a URN $id: a ref with the URN and a pointer resolves (invalid)'),
	('{"$id": "http://example.com/r.json#", "definitions": {"a": {"type": "integer"}}, "properties": {"p": {"$ref": "http://example.com/r.json#/definitions/a"}}}',
	 '{"p": "x"}', false, 'a root $id with an empty fragment names the same resource'),
	('{"definitions": {"é": {"const": 1}}, "properties": {"a": {"$ref": "#/definitions/%C3%A9"}}}',
	 '{"a": 1}', true, 'a percent-encoded UTF-8 name in a pointer (%C3%A9 is é): valid'),
	('{"definitions": {"é": {"const": 1}}, "properties": {"a": {"$ref": "#/definitions/%C3%A9"}}}',
	 '{"a": 2}', false, 'a percent-encoded UTF-8 name in a pointer (%C3%A9 is é): invalid'),
	('{"definitions": {"": {"const": 7}}, "properties": {"a": {"$ref": "#/definitions/"}}}',
	 '{"a": 7}', true, 'a pointer ending in / names the empty member: valid'),
	('{"definitions": {"": {"const": 7}}, "properties": {"a": {"$ref": "#/definitions/"}}}',
	 '{"a": 2}', false, 'a pointer ending in / names the empty member: invalid'),
	('{"definitions": {"a~b": {"const": 1}}, "properties": {"a": {"$ref": "#/definitions/a%7E0b"}}}',
	 '{"a": 2}', false, 'percent-decoding comes before ~ unescaping: %7E0 is ~0'),
	('{"x-defs": {"a": {"type": "integer"}}, "properties": {"p": {"$ref": "#/x-defs/a"}}}',
	 '{"p": 1}', true, 'a pointer may reach a schema under an unknown keyword: valid'),
	('{"x-defs": {"a": {"type": "integer"}}, "properties": {"p": {"$ref": "#/x-defs/a"}}}',
	 '{"p": "x"}', false, 'a pointer may reach a schema under an unknown keyword: invalid'),
	('{"properties": {"a": {"type": "integer"}, "b": {"$ref": "#"}}}',
	 '{"b": {"a": "x"}}', false, '"#" from a property refers to the root schema'),
	('{"$id": "http://example.com/root.json", "definitions": {"int": {"type": "string"},
	   "item": {"$id": "item.json", "definitions": {"pos": {"$ref": "#/definitions/int"}, "int": {"type": "integer"}}}},
	   "properties": {"p": {"$ref": "#/definitions/item/definitions/pos"}}}',
	 '{"p": 1}', true, 'a pointer into an embedded resource: refs there resolve against its $id (valid)'),
	('{"$id": "http://example.com/root.json", "definitions": {"int": {"type": "string"},
	   "item": {"$id": "item.json", "definitions": {"pos": {"$ref": "#/definitions/int"}, "int": {"type": "integer"}}}},
	   "properties": {"p": {"$ref": "#/definitions/item/definitions/pos"}}}',
	 '{"p": "x"}', false, 'a pointer into an embedded resource: the root''s own definition is not used'),
	('{"$id": "http://example.com/a/b/root.json", "definitions": {"x": {"$id": "./c/../d.json", "type": "integer"}},
	   "properties": {"p": {"$ref": "http://example.com/a/b/d.json"}}}',
	 '{"p": "x"}', false, 'dot segments in an $id are removed (RFC 3986 5.2.4)'),
	('{"$id": "http://example.com/r.json", "definitions": {"x": {"$id": "s.json", "definitions": {"y": {"$id": "#bar", "type": "integer"}}}},
	   "properties": {"p": {"$ref": "s.json#bar"}}}',
	 '{"p": "x"}', false, 'a plain-name fragment belongs to its enclosing resource: s.json#bar')
) AS t(s, i, r, d);

-------------------------------------------------------------------------------
-- Refs that cannot be resolved are malformed schemas: 22023
-------------------------------------------------------------------------------
SELECT matches(pg_temp.v(s, i), '^error 22023: ', d) FROM (VALUES
	('{"properties": {"a": {"$ref": "#/definitions/missing"}}}', '{"a": 1}', 'a ref to a missing definition is 22023'),
	('{"definitions": {"x": {}}, "properties": {"a": {"$ref": "#/definitions/x/properties/y"}}}', '{"a": 1}', 'a pointer past the end of the document is 22023'),
	('{"items": [{}], "properties": {"a": {"$ref": "#/items/5"}}}', '{"a": 1}', 'a pointer to an array index out of range is 22023'),
	('{"properties": {"a": {"$ref": "#nope"}}}', '{"a": 1}', 'a plain-name fragment no $id defines is 22023'),
	('{"properties": {"a": {"$ref": "http://example.com/other.json"}}}', '{"a": 1}', 'a remote absolute ref is 22023'),
	('{"properties": {"a": {"$ref": "http://example.com/other.json#/definitions/x"}}}', '{"a": 1}', 'a remote ref with a pointer fragment is 22023'),
	('{"properties": {"a": {"$ref": "other.json"}}}', '{"a": 1}', 'a relative ref to a document not embedded is 22023'),
	('{"$id": "http://example.com/root.json", "properties": {"a": {"$ref": "other.json"}}}', '{"a": 1}', 'a relative ref resolving to a remote URI is 22023'),
	('{"$id": "http://example.com/root.json", "definitions": {"item": {"$id": "item.json"}}, "properties": {"a": {"$ref": "http://example.org/item.json"}}}', '{"a": 1}', 'a ref to another host than the embedded $id is 22023'),
	('{"properties": {"a": {"$ref": "#/definitions/missing"}}}', '{}', 'an unresolvable ref is 22023 even when the instance never reaches it'),
	('{"$ref": "http://example.com/schema.json"}', 'null', 'a remote ref at the root is 22023'),
	('{"$id": "http://example.com/r.json", "definitions": {"x": {"$id": "s.json", "definitions": {"y": {"$id": "#bar"}}}}, "properties": {"p": {"$ref": "#bar"}}}', '{"p": 1}',
	 'a plain-name fragment of an embedded resource is not one of the root (r.json#bar): 22023'),
	('{"definitions": {"c": {"const": {"$id": "#foo", "type": "string"}}}, "properties": {"a": {"$ref": "#foo"}}}', '{"a": 1}', 'an $id inside a const value is data, not an identifier: 22023'),
	('{"definitions": {"c": {"enum": [{"$id": "#foo"}]}}, "properties": {"a": {"$ref": "#foo"}}}', '{"a": 1}', 'an $id inside an enum value is data, not an identifier: 22023')
) AS t(s, i, d);

-------------------------------------------------------------------------------
-- Recursion that never descends into the instance is rejected (22023) and
-- returns promptly instead of looping (statement_timeout above)
-------------------------------------------------------------------------------
SELECT matches(pg_temp.v('{"$ref": "#"}', '1'), '^error 22023: ', '{"$ref": "#"} at the root is rejected with 22023');
SELECT matches(pg_temp.v('{"$ref": "#"}', '{}'), '^error 22023: ', '{"$ref": "#"} at the root is rejected for an object instance too');
SELECT matches(pg_temp.v('{"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "properties": {"x": {"$ref": "#/definitions/a"}}}', '{"x": 1}'),
	'^error 22023: ', 'definitions a -> b -> a by $ref are rejected with 22023');
SELECT matches(pg_temp.v('{"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}}, "properties": {"x": {"$ref": "#/definitions/a"}}}', '{}'),
	'^error 22023: ', 'definitions a -> b -> a are rejected even when the instance never reaches them');
SELECT matches(pg_temp.v('{"definitions": {"a": {"$ref": "#/definitions/a"}}, "items": {"$ref": "#/definitions/a"}}', '[1]'),
	'^error 22023: ', 'a definition that refs itself is rejected with 22023');
SELECT matches(pg_temp.v('{"allOf": [{"$ref": "#"}]}', '1'), '^error 22023: ', 'allOf [{"$ref": "#"}] is rejected with 22023');
SELECT matches(pg_temp.v('{"anyOf": [{"type": "integer"}, {"$ref": "#"}]}', '"x"'), '^error 22023: ', 'anyOf [.., {"$ref": "#"}] is rejected with 22023');
SELECT matches(pg_temp.v('{"not": {"$ref": "#"}}', '1'), '^error 22023: ', 'not {"$ref": "#"} is rejected with 22023');
SELECT matches(pg_temp.v('{"if": {"$ref": "#"}, "then": {}}', '1'), '^error 22023: ', 'if {"$ref": "#"} is rejected with 22023');
SELECT matches(pg_temp.v('{"if": true, "then": {"$ref": "#"}}', '1'), '^error 22023: ', 'then {"$ref": "#"} is rejected with 22023');
SELECT matches(pg_temp.v('{"dependencies": {"a": {"$ref": "#"}}}', '{"a": 1}'), '^error 22023: ', 'dependencies {"a": {"$ref": "#"}} (same instance) is rejected with 22023');
SELECT matches(pg_temp.v('{"definitions": {"a": {"allOf": [{"$ref": "#/definitions/b"}]}, "b": {"oneOf": [{"$ref": "#/definitions/a"}]}}, "items": {"$ref": "#/definitions/a"}}', '[1]'),
	'^error 22023: ', 'a cycle through allOf and oneOf between definitions is rejected with 22023');

-- Recursion that descends into the instance is legitimate
SELECT is(pg_temp.v('{"properties": {"next": {"$ref": "#"}}, "additionalProperties": false}', '{"next": {"next": {}}}'),
	'true', 'properties -> "#" descends into the instance and is accepted');
SELECT is(pg_temp.v('{"additionalProperties": {"$ref": "#"}, "type": "object"}', '{"a": {"b": {"c": 1}}}'),
	'false', 'additionalProperties -> "#" descends and validates (a leaf 1 is not an object)');
SELECT is(pg_temp.v('{"definitions": {"a": {"items": {"$ref": "#/definitions/b"}}, "b": {"properties": {"x": {"$ref": "#/definitions/a"}}}}, "allOf": [{"$ref": "#/definitions/a"}]}', '[{"x": [{"x": []}]}]'),
	'true', 'mutual recursion a -> b -> a that descends each step is accepted');

-------------------------------------------------------------------------------
-- Deep but legitimate recursion: instances nested 100 levels
-------------------------------------------------------------------------------
SELECT is(pg_temp.v('{"type": "object", "properties": {"next": {"$ref": "#"}}, "additionalProperties": false}',
	repeat('{"next": ', 100) || '{}' || repeat('}', 100)),
	'true', 'an object nested 100 levels validates against a recursive schema');
SELECT is(pg_temp.v('{"type": "object", "properties": {"next": {"$ref": "#"}}, "additionalProperties": false}',
	repeat('{"next": ', 100) || '{"bad": 1}' || repeat('}', 100)),
	'false', 'a violation 100 levels down is found');
SELECT is(pg_temp.errs('{"type": "object", "properties": {"next": {"$ref": "#"}}, "additionalProperties": false}',
	repeat('{"next": ', 100) || '{"bad": 1}' || repeat('}', 100)),
	'$' || repeat('.next', 100) || '.bad additionalProperties', 'the violation 100 levels down is reported at its full path');
SELECT is(pg_temp.v('{"type": ["array", "integer"], "items": {"$ref": "#"}}', repeat('[', 100) || '1' || repeat(']', 100)),
	'true', 'an array nested 100 levels validates against a recursive schema');
SELECT is(pg_temp.v('{"type": ["array", "integer"], "items": {"$ref": "#"}}', repeat('[', 100) || '"x"' || repeat(']', 100)),
	'false', 'a string 100 array levels down is invalid');
SELECT is(pg_temp.v('{"$id": "http://example.com/list.json", "definitions": {"node": {"type": "object", "required": ["v"], "properties": {"v": {"type": "integer"}, "next": {"$ref": "list.json#/definitions/node"}}}}, "allOf": [{"$ref": "#/definitions/node"}]}',
	repeat('{"v": 1, "next": ', 100) || '{"v": 2}' || repeat('}', 100)),
	'true', 'a linked list 100 nodes long validates through an $id-based pointer ref');

SELECT * FROM finish();
ROLLBACK;
