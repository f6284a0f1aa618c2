-- use_after_free_stream_id.sql: stream_id() must return memory that outlives
-- its own SPI connection.
--
-- Bug: streamflow_stream_id() (src/stream_head.c) builds its text result after
-- SPI_execute_plan() has switched CurrentMemoryContext to the SPI procedure
-- context, which SPI_finish() then deletes: the caller gets freed memory.
-- Calling a SQL-language function after stream_id() in the same target list
-- reuses that memory and the backend dies with SIGSEGV in text_to_cstring.
-- The same dangling value feeds get_stream(), frames(), frames_since() and
-- latest_frame(), which all filter on stream_id(stream).
--
-- A crash takes the whole cluster through recovery, so this file is named to
-- run after the other pgTAP files.
BEGIN;
SELECT plan(6);

SELECT lives_ok($$SELECT streamflow.create_stream('{"name": "uaf stream", "id": "stream_uaf"}'::jsonb)$$,
	'a stream to resolve is created');
SELECT lives_ok($$SELECT streamflow.ingest('stream_uaf', '{"n": 1}')$$, 'it has a frame');

-- stream_id() evaluated many times, each result used after later allocations
SELECT is((SELECT count(*)::int FROM generate_series(1, 200) i
           WHERE streamflow.stream_id(CASE WHEN i % 2 = 0 THEN 'uaf stream' ELSE 'stream_uaf' END) = 'stream_uaf'),
	200, 'stream_id() resolves name and id to the id, every time');
SELECT is((SELECT count(*)::int FROM generate_series(1, 200) i, LATERAL streamflow.frames('uaf stream') f),
	200, 'frames() finds the stream''s frame on every call');
SELECT is((SELECT count(*)::int FROM generate_series(1, 200) i
           WHERE streamflow.get_stream('uaf stream')->>'id' = 'stream_uaf'),
	200, 'get_stream() finds the stream on every call');

-- The crash repro: stream_id() followed by a SQL function in one target list.
SELECT is(x.id, x.via_get_stream, 'stream_id() and get_stream() agree in one target list (crashed the backend)')
FROM (SELECT streamflow.stream_id('uaf stream') AS id,
             streamflow.get_stream('uaf stream')->>'id' AS via_get_stream) x;

SELECT * FROM finish();
ROLLBACK;
