-- capture.sql: the capture(stream) trigger function turns rows of any table
-- into frames {"op", "table", "new", "old"}, row-level and statement-level.
BEGIN;
SELECT plan(34);

CREATE SCHEMA sf_tap_capture;
CREATE TABLE sf_tap_capture.items (id int PRIMARY KEY, label text, qty numeric);
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "row changes", "id": "stream_rows"}'::jsonb)$$, 'a stream for row-level capture');
SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "statement changes", "id": "stream_stmts"}'::jsonb)$$, 'a stream for statement-level capture');

-------------------------------------------------------------------------------
-- Row level
-------------------------------------------------------------------------------
SELECT lives_ok($$CREATE TRIGGER items_rows AFTER INSERT OR UPDATE OR DELETE ON sf_tap_capture.items
                  FOR EACH ROW EXECUTE FUNCTION streamflow.capture('row changes')$$,
	'a row-level capture trigger is created with the stream name as argument');
SELECT lives_ok($$INSERT INTO sf_tap_capture.items VALUES (1, 'apple', 1.5), (2, 'pear', 2)$$, 'rows are inserted');
SELECT lives_ok($$UPDATE sf_tap_capture.items SET qty = 3 WHERE id = 1$$, 'a row is updated');
SELECT lives_ok($$DELETE FROM sf_tap_capture.items WHERE id = 2$$, 'a row is deleted');
SELECT results_eq(
	$$SELECT sequence, payload FROM streamflow.frames_since('row changes', 0)$$,
	$$VALUES (1::bigint, '{"op": "INSERT", "table": "sf_tap_capture.items", "new": {"id": 1, "label": "apple", "qty": 1.5}, "old": null}'::jsonb),
	         (2::bigint, '{"op": "INSERT", "table": "sf_tap_capture.items", "new": {"id": 2, "label": "pear", "qty": 2}, "old": null}'::jsonb),
	         (3::bigint, '{"op": "UPDATE", "table": "sf_tap_capture.items", "new": {"id": 1, "label": "apple", "qty": 3}, "old": {"id": 1, "label": "apple", "qty": 1.5}}'::jsonb),
	         (4::bigint, '{"op": "DELETE", "table": "sf_tap_capture.items", "new": null, "old": {"id": 2, "label": "pear", "qty": 2}}'::jsonb)$$,
	'row-level: one frame per row, {"op","table","new","old"} with the schema-qualified table');
SELECT is((SELECT status FROM streamflow.streams WHERE id = 'stream_rows'), 'active', 'captured frames activate the stream');
DROP TRIGGER items_rows ON sf_tap_capture.items;

SELECT lives_ok($$CREATE TRIGGER items_before BEFORE INSERT ON sf_tap_capture.items
                  FOR EACH ROW EXECUTE FUNCTION streamflow.capture('stream_rows')$$,
	'a BEFORE row-level capture trigger (stream given by id) is created');
SELECT results_eq($$INSERT INTO sf_tap_capture.items VALUES (5, 'plum', 5) RETURNING id, label, qty$$,
	$$VALUES (5, 'plum'::text, 5::numeric)$$, 'a BEFORE capture trigger hands the row on unchanged');
SELECT is((streamflow.latest_frame('stream_rows')).payload->'new', '{"id": 5, "label": "plum", "qty": 5}'::jsonb,
	'the BEFORE trigger captured the row');
DROP TRIGGER items_before ON sf_tap_capture.items;

-------------------------------------------------------------------------------
-- Statement level with transition tables
-------------------------------------------------------------------------------
SELECT lives_ok($$CREATE TRIGGER items_ins AFTER INSERT ON sf_tap_capture.items REFERENCING NEW TABLE AS new_rows
                  FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('statement changes')$$, 'statement-level INSERT trigger');
SELECT lives_ok($$CREATE TRIGGER items_upd AFTER UPDATE ON sf_tap_capture.items REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                  FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('statement changes')$$, 'statement-level UPDATE trigger');
SELECT lives_ok($$CREATE TRIGGER items_del AFTER DELETE ON sf_tap_capture.items REFERENCING OLD TABLE AS old_rows
                  FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('statement changes')$$, 'statement-level DELETE trigger');
SELECT lives_ok($$INSERT INTO sf_tap_capture.items VALUES (10, 'fig', 1), (11, 'kiwi', 2)$$, 'two rows inserted in one statement');
SELECT results_eq(
	$$SELECT payload FROM streamflow.frames_since('statement changes', 0)$$,
	$$VALUES ('{"op": "INSERT", "table": "sf_tap_capture.items", "new": {"id": 10, "label": "fig", "qty": 1}, "old": null}'::jsonb),
	         ('{"op": "INSERT", "table": "sf_tap_capture.items", "new": {"id": 11, "label": "kiwi", "qty": 2}, "old": null}'::jsonb)$$,
	'statement-level INSERT: one frame per inserted row');
SELECT lives_ok($$UPDATE sf_tap_capture.items SET qty = qty * 10 WHERE id >= 10$$, 'two rows updated in one statement');
SELECT results_eq(
	$$SELECT payload->'old'->>'id', payload->'old'->>'qty', payload->'new'->>'id', payload->'new'->>'qty', payload->>'op'
	  FROM streamflow.frames_since('statement changes', 2) ORDER BY payload->'old'->>'id'$$,
	$$VALUES ('10', '1', '10', '10', 'UPDATE'), ('11', '2', '11', '20', 'UPDATE')$$,
	'statement-level UPDATE: one frame per row, old and new of the same row paired');
SELECT lives_ok($$DELETE FROM sf_tap_capture.items WHERE id >= 10$$, 'two rows deleted in one statement');
SELECT results_eq(
	$$SELECT payload FROM streamflow.frames_since('statement changes', 4)$$,
	$$VALUES ('{"op": "DELETE", "table": "sf_tap_capture.items", "new": null, "old": {"id": 10, "label": "fig", "qty": 10}}'::jsonb),
	         ('{"op": "DELETE", "table": "sf_tap_capture.items", "new": null, "old": {"id": 11, "label": "kiwi", "qty": 20}}'::jsonb)$$,
	'statement-level DELETE: one frame per deleted row');
SELECT lives_ok($$INSERT INTO sf_tap_capture.items SELECT 99, 'none', 0 WHERE false$$, 'a statement changing no row ...');
SELECT is((SELECT count(*)::int FROM streamflow.frames WHERE stream_id = 'stream_stmts'), 6, '... sends no frame');
DROP TRIGGER items_ins ON sf_tap_capture.items;
DROP TRIGGER items_upd ON sf_tap_capture.items;
DROP TRIGGER items_del ON sf_tap_capture.items;

SELECT lives_ok($$CREATE TRIGGER items_trunc AFTER TRUNCATE ON sf_tap_capture.items
                  FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('statement changes');
                  TRUNCATE sf_tap_capture.items$$, 'TRUNCATE with a capture trigger');
SELECT is((streamflow.latest_frame('statement changes')).payload,
	'{"op": "TRUNCATE", "table": "sf_tap_capture.items", "new": null, "old": null}'::jsonb,
	'TRUNCATE sends one frame with op TRUNCATE');
DROP TRIGGER items_trunc ON sf_tap_capture.items;

-------------------------------------------------------------------------------
-- Rejections
-------------------------------------------------------------------------------
CREATE TRIGGER items_no_ref AFTER INSERT OR UPDATE OR DELETE ON sf_tap_capture.items
	FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('statement changes');
SELECT throws_ok($$INSERT INTO sf_tap_capture.items VALUES (20, 'x', 0)$$,
	'55000', 'statement-level capture of INSERT needs transition tables',
	'a statement-level INSERT trigger without REFERENCING is an error (55000)');
DROP TRIGGER items_no_ref ON sf_tap_capture.items;

CREATE TRIGGER items_no_ref_ud AFTER UPDATE OR DELETE ON sf_tap_capture.items
	FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('statement changes');
SELECT throws_ok($$UPDATE sf_tap_capture.items SET qty = 0$$,
	'55000', 'statement-level capture of UPDATE needs transition tables',
	'a statement-level UPDATE trigger without REFERENCING is an error (55000)');
SELECT throws_ok($$DELETE FROM sf_tap_capture.items$$,
	'55000', 'statement-level capture of DELETE needs transition tables',
	'a statement-level DELETE trigger without REFERENCING is an error (55000)');
DROP TRIGGER items_no_ref_ud ON sf_tap_capture.items;

CREATE TRIGGER items_new_only AFTER UPDATE ON sf_tap_capture.items REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('statement changes');
SELECT throws_ok($$UPDATE sf_tap_capture.items SET qty = 0$$,
	'55000', 'statement-level capture of UPDATE needs transition tables',
	'a statement-level UPDATE trigger needs both OLD and NEW TABLE (55000)');
DROP TRIGGER items_new_only ON sf_tap_capture.items;

CREATE TRIGGER items_no_arg AFTER INSERT ON sf_tap_capture.items
	FOR EACH ROW EXECUTE FUNCTION streamflow.capture();
SELECT throws_ok($$INSERT INTO sf_tap_capture.items VALUES (21, 'x', 0)$$,
	'22023', 'capture() takes exactly one argument, the stream', 'capture() without a stream argument is an error (22023)');
DROP TRIGGER items_no_arg ON sf_tap_capture.items;

CREATE TRIGGER items_two_args AFTER INSERT ON sf_tap_capture.items
	FOR EACH ROW EXECUTE FUNCTION streamflow.capture('row changes', 'statement changes');
SELECT throws_ok($$INSERT INTO sf_tap_capture.items VALUES (22, 'x', 0)$$,
	'22023', 'capture() takes exactly one argument, the stream', 'capture() with two arguments is an error (22023)');
DROP TRIGGER items_two_args ON sf_tap_capture.items;

CREATE TRIGGER items_missing AFTER INSERT ON sf_tap_capture.items
	FOR EACH ROW EXECUTE FUNCTION streamflow.capture('no such stream');
SELECT throws_ok($$INSERT INTO sf_tap_capture.items VALUES (23, 'x', 0)$$,
	'42704', 'stream "no such stream" does not exist', 'capturing into an unknown stream fails the statement (42704)');
DROP TRIGGER items_missing ON sf_tap_capture.items;

SELECT throws_ok($$SELECT streamflow.capture()$$,
	'39P01', 'capture() must be called as a trigger', 'capture() called directly is an error');

SELECT lives_ok($$SELECT streamflow.update_stream('row changes', '{"status": "paused"}')$$, 'the row stream is paused');
CREATE TRIGGER items_paused AFTER INSERT ON sf_tap_capture.items
	FOR EACH ROW EXECUTE FUNCTION streamflow.capture('row changes');
SELECT throws_ok($$INSERT INTO sf_tap_capture.items VALUES (24, 'x', 0)$$,
	'55000', 'stream "stream_rows" is paused', 'capturing into a paused stream fails the statement (55000)');
DROP TRIGGER items_paused ON sf_tap_capture.items;

SELECT * FROM finish();
ROLLBACK;
