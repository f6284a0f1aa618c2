-- windows: create_window / drop_window and their config contract, the
-- windows table as the listing, window_stats() over hand-inserted frames
-- (compared with a plain GROUP BY written here), and health() over the last
-- period (README "Windows").  The live engine is tested in
-- test/integration/windows*.test.mjs.
CREATE EXTENSION streamflow;
\set SHOW_CONTEXT never

SELECT streamflow.create_stream('{"id": "clicks", "name": "clicks", "status": "active"}') ->> 'id' AS clicks;

-------------------------------------------------------------------------------
-- Definitions and listing
-------------------------------------------------------------------------------
SELECT name, stream_id, config, frames, late_frames, skipped_values, groups_over_cap
FROM streamflow.create_window('clicks', 'views_per_min',
	'{"type": "tumbling", "size": "1 minute", "aggregates": {"views": {"fn": "count"}}}');
SELECT name, config
FROM streamflow.create_window('clicks', 'avg_price_5m',
	'{"type": "sliding", "size": 300000, "slide": "10 s", "grace": "2 seconds",
	  "time": {"path": "$.ts"}, "group_by": "user.id", "max_groups": 50,
	  "aggregates": {"avg_price": {"fn": "avg", "path": "$.price"}, "n": {"fn": "count", "path": "price"},
	                 "lo": {"fn": "min", "path": "items[0].price"}, "hi": {"fn": "max", "path": "price"},
	                 "total": {"fn": "sum", "path": "price"}, "per_s": {"fn": "rate"}}}');
-- closed_through is the start of the slide holding now(): aligned, at most now()
SELECT name,
	(extract(epoch FROM closed_through) * 1000)::bigint % (config->>'size')::bigint = 0 AS aligned_to_size,
	closed_through <= now() AND closed_through > now() - interval '1 minute' AS recent
FROM streamflow.windows WHERE name = 'views_per_min';
SELECT (extract(epoch FROM closed_through) * 1000)::bigint % 10000 = 0 AS aligned_to_slide,
	closed_through <= now() AND closed_through > now() - interval '10 seconds' AS recent
FROM streamflow.windows WHERE name = 'avg_price_5m';
-- listing: the table itself; each window has its active derived stream
SELECT w.name, w.stream_id, s.name AS derived_stream, s.status, s.metadata
FROM streamflow.windows w JOIN streamflow.streams s ON s.id = w.derived_stream_id
ORDER BY w.name;
-- the stored config is normal: normalising it again changes nothing
SELECT bool_and(streamflow.normalize_window_config(config) = config) AS stable FROM streamflow.windows;
SELECT streamflow.normalize_window_config('{"type": "tumbling", "size": "1 day 2 hours", "time": "ingest", "grace": 0,
	"group_by": "$[0]", "aggregates": {"r": {"fn": "rate", "path": "$.bytes"}}}') AS normalised;

-- privileges: readers list windows and run window_stats, admins create them
SELECT has_table_privilege('streamflow_reader', 'streamflow.windows', 'SELECT') AS reader_lists,
	has_table_privilege('streamflow_reader', 'streamflow.window_results', 'SELECT') AS reader_results,
	has_function_privilege('streamflow_reader', 'streamflow.window_stats(text, interval, timestamptz, timestamptz, text, text, text)', 'EXECUTE') AS reader_stats,
	has_function_privilege('streamflow_writer', 'streamflow.create_window(text, text, jsonb)', 'EXECUTE') AS writer_creates,
	has_function_privilege('streamflow_admin', 'streamflow.create_window(text, text, jsonb)', 'EXECUTE') AS admin_creates,
	has_function_privilege('streamflow_admin', 'streamflow.drop_window(text)', 'EXECUTE') AS admin_drops,
	has_function_privilege('public', 'streamflow.create_window(text, text, jsonb)', 'EXECUTE') AS public_creates;

-------------------------------------------------------------------------------
-- Bad definitions: 22023 naming the key, nothing created
-------------------------------------------------------------------------------
CREATE TEMP TABLE bad (label text, config jsonb);
INSERT INTO bad VALUES
('unknown key',         '{"type": "tumbling", "size": 1000, "window": 5, "aggregates": {"n": {"fn": "count"}}}'),
('unknown fn',          '{"type": "tumbling", "size": 1000, "aggregates": {"p": {"fn": "median", "path": "price"}}}'),
('sum without path',    '{"type": "tumbling", "size": 1000, "aggregates": {"s": {"fn": "sum"}}}'),
('avg without path',    '{"type": "tumbling", "size": 1000, "aggregates": {"s": {"fn": "avg"}}}'),
('min without path',    '{"type": "tumbling", "size": 1000, "aggregates": {"s": {"fn": "min"}}}'),
('max without path',    '{"type": "tumbling", "size": 1000, "aggregates": {"s": {"fn": "max"}}}'),
('slide > size',        '{"type": "sliding", "size": 1000, "slide": 2000, "aggregates": {"n": {"fn": "count"}}}'),
('slide not dividing',  '{"type": "sliding", "size": "1 minute", "slide": "7 s", "aggregates": {"n": {"fn": "count"}}}'),
('slide on tumbling',   '{"type": "tumbling", "size": 1000, "slide": 500, "aggregates": {"n": {"fn": "count"}}}'),
('sliding, no slide',   '{"type": "sliding", "size": 1000, "aggregates": {"n": {"fn": "count"}}}'),
('size 0',              '{"type": "tumbling", "size": 0, "aggregates": {"n": {"fn": "count"}}}'),
('size negative',       '{"type": "tumbling", "size": "-1 minute", "aggregates": {"n": {"fn": "count"}}}'),
('slide 0',             '{"type": "sliding", "size": 1000, "slide": 0, "aggregates": {"n": {"fn": "count"}}}'),
('grace negative',      '{"type": "tumbling", "size": 1000, "grace": -5, "aggregates": {"n": {"fn": "count"}}}'),
('empty aggregates',    '{"type": "tumbling", "size": 1000, "aggregates": {}}'),
('no aggregates',       '{"type": "tumbling", "size": 1000}'),
('max_groups 0',        '{"type": "tumbling", "size": 1000, "max_groups": 0, "aggregates": {"n": {"fn": "count"}}}'),
('bad group_by path',   '{"type": "tumbling", "size": 1000, "group_by": "user..id", "aggregates": {"n": {"fn": "count"}}}'),
('bad value path',      '{"type": "tumbling", "size": 1000, "aggregates": {"s": {"fn": "sum", "path": "items[x]"}}}'),
('empty time path',     '{"type": "tumbling", "size": 1000, "time": {"path": "$"}, "aggregates": {"n": {"fn": "count"}}}'),
('bad time',            '{"type": "tumbling", "size": 1000, "time": "event", "aggregates": {"n": {"fn": "count"}}}'),
('no type',             '{"size": 1000, "aggregates": {"n": {"fn": "count"}}}'),
('bad type',            '{"type": "hopping", "size": 1000, "aggregates": {"n": {"fn": "count"}}}'),
('size in months',      '{"type": "tumbling", "size": "1 month", "aggregates": {"n": {"fn": "count"}}}'),
('size not an interval','{"type": "tumbling", "size": "soon", "aggregates": {"n": {"fn": "count"}}}'),
('sub-millisecond',     '{"type": "tumbling", "size": "1.5 ms", "aggregates": {"n": {"fn": "count"}}}'),
('size fraction',       '{"type": "tumbling", "size": 1.5, "aggregates": {"n": {"fn": "count"}}}'),
('too many slides',     '{"type": "sliding", "size": "1 hour", "slide": "1 s", "aggregates": {"n": {"fn": "count"}}}'),
('aggregate key',       '{"type": "tumbling", "size": 1000, "aggregates": {"n": {"fn": "count", "filter": "x"}}}'),
('aggregate not object','{"type": "tumbling", "size": 1000, "aggregates": {"n": "count"}}'),
('not an object',       '[1, 2]');
DO $$
DECLARE
	b record;
BEGIN
	FOR b IN SELECT * FROM bad LOOP
		RAISE NOTICE '-- %', b.label;
		CALL public.err(format('SELECT streamflow.create_window(%L, %L, %L)', 'clicks', 'bad_window', b.config));
	END LOOP;
END
$$;
CALL err($$SELECT streamflow.create_window('clicks', 'x', NULL)$$);
CALL err($$SELECT streamflow.create_window('clicks', '  ', '{"type": "tumbling", "size": 1000, "aggregates": {"n": {"fn": "count"}}}')$$);
-- names: a window's stream takes its name, so neither may exist
CALL err($$SELECT streamflow.create_window('clicks', 'views_per_min', '{"type": "tumbling", "size": 1000, "aggregates": {"n": {"fn": "count"}}}')$$);
CALL err($$SELECT streamflow.create_window('clicks', 'clicks', '{"type": "tumbling", "size": 1000, "aggregates": {"n": {"fn": "count"}}}')$$);
CALL err($$SELECT streamflow.create_window('nowhere', 'w', '{"type": "tumbling", "size": 1000, "aggregates": {"n": {"fn": "count"}}}')$$);
SELECT count(*) AS windows, (SELECT count(*) FROM streamflow.streams) AS streams FROM streamflow.windows;

-------------------------------------------------------------------------------
-- drop_window: the window, its results and its derived stream go
-------------------------------------------------------------------------------
INSERT INTO streamflow.window_results (window_name, group_key, window_start, window_end, aggregates, frame_count)
VALUES ('views_per_min', 'null', '2024-01-01 00:00+00', '2024-01-01 00:01+00', '{"views": 1}', 1);
SELECT streamflow.drop_window('views_per_min') AS dropped;
SELECT count(*) AS results_left FROM streamflow.window_results;
SELECT name FROM streamflow.streams ORDER BY name;
CALL err($$SELECT streamflow.drop_window('views_per_min')$$);
-- dropping the derived stream drops its window too
SELECT streamflow.drop_stream('avg_price_5m') AS dropped_stream;
SELECT count(*) AS windows_left FROM streamflow.windows;

-------------------------------------------------------------------------------
-- window_stats over frames with known created_at, against a plain GROUP BY
-------------------------------------------------------------------------------
-- 60 frames, one every 7 s from 2024-01-01 00:00:03 UTC; users u0, u1, a
-- JSON null user and no user at all; prices that are numbers (halves, so
-- sums are exact), strings, JSON null, booleans or missing.
INSERT INTO streamflow.frames (stream_id, sequence, payload, created_at)
SELECT 'clicks', i,
	jsonb_strip_nulls(jsonb_build_object(
		'user', CASE i % 4 WHEN 0 THEN '"u0"'::jsonb WHEN 1 THEN '"u1"' WHEN 2 THEN NULL END)
	) || CASE WHEN i % 4 = 3 THEN '{"user": null}'::jsonb ELSE '{}' END
	  || CASE i % 9 WHEN 0 THEN '{"price": "12"}'::jsonb WHEN 1 THEN '{"price": null}' WHEN 2 THEN '{}'
	                WHEN 3 THEN '{"price": true}' ELSE jsonb_build_object('price', (i % 13) / 2.0) END,
	timestamptz '2024-01-01 00:00:03+00' + (i - 1) * interval '7 seconds'
FROM generate_series(1, 60) i;

CREATE TEMP VIEW expected_stats AS
SELECT coalesce(payload->'user', 'null') AS group_key,
	date_bin('1 minute', created_at, timestamptz 'epoch') AS window_start,
	count(*) AS frame_count,
	count(*) FILTER (WHERE payload->'price' IS NOT NULL AND payload->'price' <> 'null') AS count,
	coalesce(sum(num), 0) AS sum, avg(num) AS avg, min(num) AS min, max(num) AS max,
	count(*) / 60.0::float8 AS rate
FROM (SELECT payload, created_at,
		CASE WHEN jsonb_typeof(payload->'price') = 'number' THEN (payload->>'price')::float8 END AS num
	  FROM streamflow.frames WHERE stream_id = 'clicks'
	    AND created_at >= '2024-01-01 00:01:00+00' AND created_at < '2024-01-01 00:05:30+00') f
GROUP BY 1, 2;

SELECT * FROM streamflow.window_stats('clicks', '1 minute', '2024-01-01 00:01:00+00',
	'2024-01-01 00:05:30+00', 'price', group_by => '$.user');
-- the same rows as the GROUP BY, both ways
SELECT count(*) AS differences FROM (
	(SELECT group_key, window_start, frame_count, count, sum, avg, min, max, rate
	 FROM streamflow.window_stats('clicks', '1 minute', '2024-01-01 00:01:00+00', '2024-01-01 00:05:30+00', 'price', NULL, 'user')
	 EXCEPT SELECT * FROM expected_stats)
	UNION ALL
	(SELECT * FROM expected_stats
	 EXCEPT SELECT group_key, window_start, frame_count, count, sum, avg, min, max, rate
	 FROM streamflow.window_stats('clicks', '1 minute', '2024-01-01 00:01:00+00', '2024-01-01 00:05:30+00', 'price', NULL, 'user'))
) d;
-- window_end is window_start + size; the last window is cut at "to"
SELECT bool_and(window_end = window_start + interval '1 minute') AS ends, max(window_start) AS last_start
FROM streamflow.window_stats('clicks', '1 minute', '2024-01-01 00:01:00+00', '2024-01-01 00:05:30+00', 'price');
-- without group_by: one group; without path: count is frames, no sum/avg/min/max
SELECT group_key, window_start, frame_count, count, sum, avg, min, max, rate
FROM streamflow.window_stats('clicks', '2 minutes', '2024-01-01 00:00:00+00', '2024-01-01 00:10:00+00', NULL);
SELECT window_start, frame_count, count, sum
FROM streamflow.window_stats('clicks', '2 minutes', '2024-01-01 00:00:00+00', '2024-01-01 00:10:00+00', '$.price');
SELECT window_start, sum(frame_count) AS frames,
	(SELECT count(*) FROM streamflow.frames WHERE stream_id = 'clicks'
	   AND date_bin('2 minutes', created_at, timestamptz 'epoch') = s.window_start) AS by_sql
FROM streamflow.window_stats('clicks', '2 minutes', '2024-01-01 00:00:00+00', '2024-01-01 00:10:00+00', NULL) s
GROUP BY window_start ORDER BY window_start;

-- event time: ISO-8601 strings (with and without a zone) and epoch
-- milliseconds; frames whose time is missing or unreadable are left out
SELECT streamflow.create_stream('{"id": "sensor", "name": "sensor"}') ->> 'id' AS sensor;
INSERT INTO streamflow.frames (stream_id, sequence, payload, created_at) VALUES
('sensor', 1, '{"ts": "2024-03-01T10:00:05Z", "v": 1}', '2020-01-01'),
('sensor', 2, '{"ts": "2024-03-01T12:00:59.999+02:00", "v": 2}', '2020-01-01'),
('sensor', 3, '{"ts": "2024-03-01 10:01:00", "v": 4}', '2020-01-01'),
('sensor', 4, '{"ts": 1709287265000, "v": 8}', '2020-01-01'),
('sensor', 5, '{"ts": 1709287200000.5, "v": 16}', '2020-01-01'),
('sensor', 6, '{"ts": "yesterday", "v": 32}', '2020-01-01'),
('sensor', 7, '{"ts": "2024-02-30T10:00:00Z", "v": 64}', '2020-01-01'),
('sensor', 8, '{"ts": "2024-03-01T10:00:00 Europe/Paris", "v": 128}', '2020-01-01'),
('sensor', 9, '{"v": 256}', '2020-01-01'),
('sensor', 10, '{"ts": {"at": 1}, "v": 512}', '2020-01-01'),
('sensor', 11, '{"ts": "2024-03-01T09:59:59.999999Z", "v": 1024}', '2020-01-01');
SELECT window_start, frame_count, sum
FROM streamflow.window_stats('sensor', '1 minute', '2024-03-01 09:00+00', '2024-03-01 11:00+00', 'v', '$.ts');
SELECT count(*) AS by_ingest_time
FROM streamflow.window_stats('sensor', '1 minute', '2024-03-01 09:00+00', '2024-03-01 11:00+00', 'v');

-- bad arguments
CALL err($$SELECT * FROM streamflow.window_stats('clicks', '1 month', now(), now(), 'price')$$);
CALL err($$SELECT * FROM streamflow.window_stats('clicks', '0 s', now(), now(), 'price')$$);
CALL err($$SELECT * FROM streamflow.window_stats('clicks', '1 minute', now(), now() - interval '1 s', 'price')$$);
CALL err($$SELECT * FROM streamflow.window_stats('clicks', '1 minute', now() - interval '1 hour', now(), 'price..x')$$);
CALL err($$SELECT * FROM streamflow.window_stats('clicks', '1 minute', now() - interval '1 hour', now(), 'price', '')$$);
CALL err($$SELECT * FROM streamflow.window_stats('clicks', '1 minute', NULL, now(), 'price')$$);
CALL err($$SELECT * FROM streamflow.window_stats('nowhere', '1 minute', now() - interval '1 hour', now(), 'price')$$);

-------------------------------------------------------------------------------
-- health(): the last period's frames and recorded rejections
-------------------------------------------------------------------------------
SELECT streamflow.update_stream('clicks', '{"status": "paused"}') ->> 'status' AS clicks_status;
-- hot: 120 frames now (2/s over a minute), latency_ms 9000 (30) or 5000 (90),
-- mean 6000; 10 rejections recorded (dead_letter): error rate 10 / 130
SELECT streamflow.create_stream('{"id": "hot", "name": "hot", "status": "active", "data_schema": {"required": ["v"]}}') ->> 'id' AS hot;
SELECT ingested, rejected FROM streamflow.ingest_batch('hot',
	(SELECT jsonb_agg(jsonb_build_object('payload', jsonb_build_object('v', i), 'latency_ms', CASE WHEN i <= 30 THEN 9000 ELSE 5000 END))
	 FROM generate_series(1, 120) i));
SELECT ingested, rejected FROM streamflow.ingest_batch('hot',
	(SELECT jsonb_agg(jsonb_build_object('payload', jsonb_build_object('w', i))) FROM generate_series(1, 10) i), 'dead_letter');
SELECT stream_id, frames, rate, errors, round(error_rate::numeric, 4) AS error_rate, avg_latency_ms
FROM streamflow.recent_stream_stats('1 minute') ORDER BY stream_id;
SELECT * FROM streamflow.health();
-- frames stored before the period do not count (sensor's and clicks' are
-- older, and so is this frame of hot's)
INSERT INTO streamflow.frames (stream_id, sequence, payload, created_at, latency_ms)
VALUES ('hot', 1000, '{"v": 0}', now() - interval '2 minutes', 100000);
SELECT frames, avg_latency_ms FROM streamflow.recent_stream_stats() WHERE stream_id = 'hot';
CALL err($$SELECT streamflow.health('1 month')$$);

DROP EXTENSION streamflow CASCADE;
