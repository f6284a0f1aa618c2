-- setup: helpers shared by the other regression tests, which run after it
-- in the same database.

-- err(sql): runs sql and reports what it raised as a NOTICE
-- "SQLSTATE: message" with the error's DETAIL and HINT, or "no error".
CREATE PROCEDURE public.err(sql text) LANGUAGE plpgsql AS $f$
DECLARE
	st text; msg text; det text; hin text;
BEGIN
	EXECUTE sql;
	RAISE NOTICE 'no error';
EXCEPTION WHEN others THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
	msg := st || ': ' || msg;
	IF det <> '' AND hin <> '' THEN
		RAISE NOTICE USING MESSAGE = msg, DETAIL = det, HINT = hin;
	ELSIF det <> '' THEN
		RAISE NOTICE USING MESSAGE = msg, DETAIL = det;
	ELSIF hin <> '' THEN
		RAISE NOTICE USING MESSAGE = msg, HINT = hin;
	ELSE
		RAISE NOTICE USING MESSAGE = msg;
	END IF;
END
$f$;
