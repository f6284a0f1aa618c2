-- json_schema: streamflow.validate() and validation_errors() (JSON Schema
-- draft-07) on the data_schema of seed 000 ("Data Schema Validation"), and
-- what a malformed schema raises.
CREATE EXTENSION streamflow;
\set SHOW_CONTEXT never

-- Seed 000's data_schema, verbatim.
CREATE TEMP TABLE seed_schema (schema jsonb);
INSERT INTO seed_schema VALUES ('{
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["user_id", "event_type"],
    "properties": {
      "user_id": {
        "type": "string",
        "pattern": "^usr_[a-z0-9]+$"
      },
      "event_type": {
        "type": "string",
        "enum": ["click", "view", "conversion"]
      },
      "timestamp": {
        "type": "string",
        "format": "date-time"
      },
      "metadata": {
        "type": "object",
        "additionalProperties": true
      }
    }
  }');

CREATE TEMP TABLE events (n int, event jsonb);
INSERT INTO events VALUES
	-- valid
	(1, '{"user_id": "usr_abc123", "event_type": "click", "timestamp": "2025-12-01T10:30:00Z"}'),
	(2, '{"user_id": "usr_7", "event_type": "view"}'),
	(3, '{"user_id": "usr_x", "event_type": "conversion", "metadata": {"campaign": "q4", "value": 19.99, "tags": ["a"]}}'),
	(4, '{"user_id": "usr_x", "event_type": "click", "referrer": "not in the schema, allowed"}'),
	-- invalid
	(5, '{"user_id": "usr_abc123"}'),
	(6, '{"user_id": "user_42", "event_type": "click"}'),
	(7, '{"user_id": "usr_ABC", "event_type": "click"}'),
	(8, '{"user_id": "usr_abc", "event_type": "scroll"}'),
	(9, '{"user_id": "usr_abc", "event_type": "click", "timestamp": "yesterday"}'),
	(10, '{"user_id": "usr_abc", "event_type": "click", "metadata": "campaign q4"}'),
	(11, '{"user_id": 42, "event_type": "click"}'),
	(12, '["usr_abc", "click"]');

--
-- validate(): true for the first four events, false for the rest
--
SELECT n, streamflow.validate(s.schema, e.event) AS valid, e.event
FROM events e, seed_schema s ORDER BY n;

--
-- validation_errors(): one row per violation, with the instance path and the
-- schema keyword that failed
--
SELECT n, v.path, v.keyword
FROM events e, seed_schema s, streamflow.validation_errors(s.schema, e.event) v
ORDER BY n, v.path COLLATE "C", v.keyword COLLATE "C";

-- A valid event has no violations
SELECT count(*) AS violations
FROM seed_schema s, streamflow.validation_errors(s.schema, '{"user_id": "usr_1", "event_type": "view"}') v;

-- One event breaking four rules: every violation is listed, with its message
SELECT v.path, v.keyword, v.message
FROM seed_schema s, streamflow.validation_errors(s.schema,
	'{"user_id": "USR-1", "event_type": "purchase", "timestamp": "2025-13-01T10:30:00Z", "metadata": []}') v
ORDER BY v.path COLLATE "C", v.keyword COLLATE "C";

-- Both required properties missing: reported at the object, naming them
SELECT v.path, v.keyword, v.message
FROM seed_schema s, streamflow.validation_errors(s.schema, '{}') v
ORDER BY v.path COLLATE "C", v.keyword COLLATE "C", v.message COLLATE "C";

--
-- Nested instances: paths name members and indexes, quoting odd member names
--
SELECT path, keyword, message
FROM streamflow.validation_errors(
	'{"type": "object", "properties": {"orders": {"type": "array", "items": {"type": "object",
	   "required": ["qty"], "properties": {"qty": {"type": "integer", "minimum": 1}},
	   "additionalProperties": false}}}}',
	'{"orders": [{"qty": 2}, {"qty": 0}, {"qty": 1, "unit price": 3}, {}]}')
ORDER BY path COLLATE "C", keyword COLLATE "C";

-- anyOf, oneOf and not report once, under their own keyword
SELECT path, keyword
FROM streamflow.validation_errors(
	'{"properties": {"a": {"anyOf": [{"type": "string"}, {"type": "null"}]},
	                 "b": {"oneOf": [{"type": "integer"}, {"minimum": 0}]},
	                 "c": {"not": {"const": 0}}}}',
	'{"a": 1, "b": 5, "c": 0}')
ORDER BY path COLLATE "C";

-- A recursive schema: a tree whose children are trees
SELECT streamflow.validate(
	'{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"},
	   "children": {"type": "array", "items": {"$ref": "#"}}}}',
	'{"name": "root", "children": [{"name": "a"}, {"name": "b", "children": [{"name": "c"}]}]}') AS valid_tree;
SELECT path, keyword
FROM streamflow.validation_errors(
	'{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"},
	   "children": {"type": "array", "items": {"$ref": "#"}}}}',
	'{"name": "root", "children": [{"name": "a"}, {"name": "b", "children": [{"name": 3}, {}]}]}')
ORDER BY path COLLATE "C", keyword COLLATE "C";

--
-- Malformed schemas are errors (22023) that name the keyword
--
CALL public.err($$SELECT streamflow.validate('{"type": "strin"}', '"x"')$$);
CALL public.err($$SELECT streamflow.validate('{"minLength": -1}', '"x"')$$);
CALL public.err($$SELECT streamflow.validate('{"pattern": "("}', '"x"')$$);
CALL public.err($$SELECT streamflow.validate('{"required": ["a", "a"]}', '{}')$$);
CALL public.err($$SELECT * FROM streamflow.validation_errors('{"properties": {"a": {"maximum": "5"}}}', '{}')$$);
CALL public.err($$SELECT streamflow.validate('5', '5')$$);
-- a remote $ref cannot be resolved; a ref to the root from the root never ends
CALL public.err($$SELECT streamflow.validate('{"$ref": "http://example.com/event.json"}', '{}')$$);
CALL public.err($$SELECT streamflow.validate('{"$ref": "#"}', '{}')$$);

DROP EXTENSION streamflow CASCADE;
