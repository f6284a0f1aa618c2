-- capture: the capture(stream) trigger function turns rows of any table into
-- frames {"op", "table", "new", "old"}, row-level and statement-level
-- (transition tables), INSERT, UPDATE, DELETE and TRUNCATE.
CREATE EXTENSION streamflow;
\set SHOW_CONTEXT never

-- take(stream): the frames captured since the last take, oldest first (they
-- are deleted from streamflow.frames so that each check shows only its own).
CREATE FUNCTION pg_temp.take(stream text) RETURNS TABLE (sequence bigint, payload jsonb)
LANGUAGE sql AS $f$
	WITH taken AS (DELETE FROM streamflow.frames f WHERE f.stream_id = stream
	               RETURNING f.sequence, f.payload)
	SELECT * FROM taken ORDER BY 1
$f$;

SELECT streamflow.create_stream('{"id": "cap", "name": "Captured Rows"}') ->> 'id' AS id;

--
-- Row-level AFTER INSERT OR UPDATE OR DELETE: one frame per row
--
CREATE TABLE items (id int PRIMARY KEY, name text, price numeric, tags text[], extra jsonb, listed date);
CREATE TRIGGER items_capture AFTER INSERT OR UPDATE OR DELETE ON items
	FOR EACH ROW EXECUTE FUNCTION streamflow.capture('cap');
INSERT INTO items VALUES (1, 'apple', 1.25, '{red,fruit}', '{"origin": "NZ"}', '2025-12-01');
SELECT * FROM pg_temp.take('cap');
-- the first captured frame made the stream active
SELECT status FROM streamflow.streams WHERE id = 'cap';
UPDATE items SET price = 1.50, tags = NULL WHERE id = 1;
SELECT * FROM pg_temp.take('cap');
DELETE FROM items WHERE id = 1;
SELECT * FROM pg_temp.take('cap');
-- multi-row statements: one frame per row, in the order the rows were changed
INSERT INTO items (id, name) VALUES (2, 'pear'), (3, 'plum'), (4, 'fig');
SELECT * FROM pg_temp.take('cap');
UPDATE items SET name = upper(name) WHERE id IN (2, 4);
SELECT sequence, payload ->> 'op' AS op, payload #>> '{old,name}' AS old_name, payload #>> '{new,name}' AS new_name
FROM pg_temp.take('cap');
DELETE FROM items;
SELECT sequence, payload ->> 'op' AS op, payload -> 'old' ->> 'id' AS old_id, payload -> 'new' AS new
FROM pg_temp.take('cap');
-- a statement changing no row sends nothing
UPDATE items SET name = 'none' WHERE false;
SELECT count(*) AS frames FROM pg_temp.take('cap');
-- captured frames are counted like any others
SELECT frames_received, duplicates, rejected FROM streamflow.stream_state WHERE stream_id = 'cap';

--
-- The stream may be named by its name; a schema-qualified, quoted table name is reported as is
--
CREATE SCHEMA shop;
CREATE TABLE shop."Order Lines" (line int, qty int);
CREATE TRIGGER lines_capture AFTER INSERT ON shop."Order Lines"
	FOR EACH ROW EXECUTE FUNCTION streamflow.capture('Captured Rows');
INSERT INTO shop."Order Lines" VALUES (1, 5);
SELECT * FROM pg_temp.take('cap');

--
-- BEFORE row triggers capture too and hand the row on unchanged
--
CREATE TABLE notes (id int PRIMARY KEY, body text);
CREATE TRIGGER notes_capture BEFORE INSERT OR UPDATE OR DELETE ON notes
	FOR EACH ROW EXECUTE FUNCTION streamflow.capture('cap');
INSERT INTO notes VALUES (1, 'first'), (2, 'second');
SELECT * FROM notes ORDER BY id;
UPDATE notes SET body = 'changed' WHERE id = 2;
SELECT * FROM notes ORDER BY id;
DELETE FROM notes WHERE id = 1;
SELECT * FROM notes ORDER BY id;
SELECT * FROM pg_temp.take('cap');
-- INSERT ... RETURNING sees the row as inserted
INSERT INTO notes VALUES (3, 'third') RETURNING *;
SELECT count(*) AS frames FROM pg_temp.take('cap');

--
-- Statement-level triggers with transition tables: one batch per statement,
-- one frame per row
--
CREATE TABLE stock (sku text PRIMARY KEY, qty int);
CREATE TRIGGER stock_ins AFTER INSERT ON stock REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('cap');
CREATE TRIGGER stock_upd AFTER UPDATE ON stock REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('cap');
CREATE TRIGGER stock_del AFTER DELETE ON stock REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('cap');
INSERT INTO stock VALUES ('a', 1), ('b', 2), ('c', 3);
SELECT * FROM pg_temp.take('cap');
-- UPDATE: each old row paired with its new row, also when the key changes
UPDATE stock SET qty = qty * 10, sku = sku || '2' WHERE sku <> 'b';
SELECT * FROM pg_temp.take('cap');
UPDATE stock SET qty = qty + 1;
SELECT count(*) AS frames,
       bool_and((payload #>> '{new,qty}')::int = (payload #>> '{old,qty}')::int + 1) AS paired,
       bool_and(payload #>> '{new,sku}' = payload #>> '{old,sku}') AS same_sku
FROM pg_temp.take('cap');
DELETE FROM stock WHERE sku IN ('a2', 'b');
SELECT * FROM pg_temp.take('cap');
-- a statement changing no row sends nothing
DELETE FROM stock WHERE false;
INSERT INTO stock SELECT 'x', 1 WHERE false;
SELECT count(*) AS frames FROM pg_temp.take('cap');
-- one batch: a statement of many rows gets consecutive sequences
INSERT INTO stock SELECT 'n' || i, i FROM generate_series(1, 50) i;
SELECT count(*) AS frames, max(sequence) - min(sequence) + 1 AS span,
       bool_and(payload ->> 'op' = 'INSERT' AND payload -> 'old' = 'null') AS all_inserts
FROM pg_temp.take('cap');

--
-- TRUNCATE (statement-level): one frame with no rows
--
CREATE TRIGGER stock_truncate AFTER TRUNCATE ON stock
	FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('cap');
TRUNCATE stock;
SELECT * FROM pg_temp.take('cap');
CREATE TRIGGER notes_truncate BEFORE TRUNCATE ON notes
	FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('cap');
TRUNCATE notes;
SELECT count(*) AS notes FROM notes;
SELECT * FROM pg_temp.take('cap');

--
-- Statement-level without the transition tables it needs: a clear error, and
-- the statement does not happen
--
CREATE TABLE plain (id int);
CREATE TRIGGER plain_ins AFTER INSERT ON plain FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('cap');
CALL public.err($$INSERT INTO plain VALUES (1)$$);
DROP TRIGGER plain_ins ON plain;
INSERT INTO plain VALUES (1);
CREATE TRIGGER plain_upd AFTER UPDATE ON plain REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('cap');
CALL public.err($$UPDATE plain SET id = 2$$);
DROP TRIGGER plain_upd ON plain;
CREATE TRIGGER plain_del BEFORE DELETE ON plain FOR EACH STATEMENT EXECUTE FUNCTION streamflow.capture('cap');
CALL public.err($$DELETE FROM plain$$);
DROP TRIGGER plain_del ON plain;
SELECT * FROM plain;
SELECT count(*) AS frames FROM pg_temp.take('cap');

--
-- capture() needs exactly one argument, and can only be called as a trigger
--
CREATE TRIGGER plain_noarg AFTER INSERT ON plain FOR EACH ROW EXECUTE FUNCTION streamflow.capture();
CALL public.err($$INSERT INTO plain VALUES (3)$$);
DROP TRIGGER plain_noarg ON plain;
CREATE TRIGGER plain_twoargs AFTER INSERT ON plain FOR EACH ROW EXECUTE FUNCTION streamflow.capture('cap', 'other');
CALL public.err($$INSERT INTO plain VALUES (3)$$);
DROP TRIGGER plain_twoargs ON plain;
CALL public.err($$SELECT streamflow.capture()$$);
SELECT * FROM plain;

--
-- The stream must exist and accept frames; otherwise the write itself fails
--
CREATE TRIGGER plain_nostream AFTER INSERT ON plain FOR EACH ROW EXECUTE FUNCTION streamflow.capture('no such stream');
CALL public.err($$INSERT INTO plain VALUES (4)$$);
DROP TRIGGER plain_nostream ON plain;
CREATE TRIGGER plain_capture AFTER INSERT ON plain FOR EACH ROW EXECUTE FUNCTION streamflow.capture('cap');
SELECT streamflow.update_stream('cap', '{"status": "paused"}') ->> 'status' AS status;
CALL public.err($$INSERT INTO plain VALUES (5)$$);
SELECT streamflow.update_stream('cap', '{"status": "active"}') ->> 'status' AS status;
SELECT * FROM plain;
SELECT count(*) AS frames FROM pg_temp.take('cap');

--
-- A rolled-back statement or transaction leaves no frames
--
BEGIN;
INSERT INTO items VALUES (10, 'rolled back');
ROLLBACK;
SELECT count(*) AS frames FROM pg_temp.take('cap');
INSERT INTO notes VALUES (2, 'kept');
SELECT count(*) AS frames FROM pg_temp.take('cap');
-- a failed statement: the BEFORE trigger had ingested row 20 when the
-- duplicate key failed the statement, and that frame went with it
CALL public.err($$INSERT INTO notes VALUES (20, 'new'), (2, 'duplicate')$$);
SELECT * FROM notes ORDER BY id;
SELECT count(*) AS frames FROM pg_temp.take('cap');
BEGIN;
INSERT INTO items VALUES (11, 'kept');
SAVEPOINT s;
INSERT INTO items VALUES (12, 'rolled back to savepoint');
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT sequence, payload #>> '{new,name}' AS name FROM pg_temp.take('cap');
SELECT stream_id, last_sequence, frames_received FROM streamflow.stream_state WHERE stream_id = 'cap';

DROP TABLE items, notes, stock, plain, shop."Order Lines";
DROP SCHEMA shop;
DROP EXTENSION streamflow CASCADE;
