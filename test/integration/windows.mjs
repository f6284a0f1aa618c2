// Helpers of the windows integration tests: bounded polling, and the plain
// SQL GROUP BY over a stream's stored frames that live window results must
// equal.
import assert from 'node:assert/strict';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns a truthy value; throws after ms.
export async function waitFor(fn, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

// A unique name for a stream or window of this test run.
export function uniqueName(prefix) {
  return `${prefix}_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
}

// The aggregates every test window computes over $.v (count without and with path).
export const AGGREGATES = {
  frames: { fn: 'count' },
  n_v: { fn: 'count', path: '$.v' },
  sum_v: { fn: 'sum', path: '$.v' },
  avg_v: { fn: 'avg', path: '$.v' },
  min_v: { fn: 'min', path: '$.v' },
  max_v: { fn: 'max', path: '$.v' },
  rate: { fn: 'rate' },
};

// The results of window `name` as {key -> row}, key = group|start_ms|end_ms.
export async function liveResults(db, name) {
  const { rows } = await db.query(
    `SELECT group_key, (extract(epoch FROM window_start) * 1000)::bigint AS start_ms,
            (extract(epoch FROM window_end) * 1000)::bigint AS end_ms, aggregates, frame_count
     FROM streamflow.window_results WHERE window_name = $1`, [name]);
  return keyed(rows);
}

// The same rows computed by SQL: every window [e - size, e) (e a multiple of
// slide, epoch aligned) holding an accepted frame, grouped by groupBy (a
// top-level key, or null), over the frame time `timeSql` in epoch ms.
export async function expectedResults(db, stream, { sizeMs, slideMs, groupBy, timeSql, accepted = 'true' }) {
  const groupSql = groupBy ? `coalesce(f.payload->'${groupBy}', 'null'::jsonb)` : `'null'::jsonb`;
  const { rows } = await db.query(
    `WITH f AS (
       SELECT ${groupSql} AS g, ${timeSql} AS t, f.payload->'v' AS v
       FROM streamflow.frames f WHERE f.stream_id = $1 AND (${accepted})
     ), w AS (
       SELECT f.*, e.e AS end_ms
       FROM f, LATERAL generate_series((floor(f.t / $3::bigint) * $3::bigint + $3::bigint)::bigint,
                                       (floor(f.t / $3::bigint) * $3::bigint + $2::bigint)::bigint, $3::bigint) AS e(e)
     )
     SELECT g AS group_key, end_ms - $2::bigint AS start_ms, end_ms, count(*)::bigint AS frame_count,
       jsonb_build_object(
         'frames', count(*),
         'n_v', count(*) FILTER (WHERE v IS NOT NULL AND v <> 'null'::jsonb),
         'sum_v', coalesce(sum((v #>> '{}')::float8) FILTER (WHERE jsonb_typeof(v) = 'number'), 0),
         'avg_v', avg((v #>> '{}')::float8) FILTER (WHERE jsonb_typeof(v) = 'number'),
         'min_v', min((v #>> '{}')::float8) FILTER (WHERE jsonb_typeof(v) = 'number'),
         'max_v', max((v #>> '{}')::float8) FILTER (WHERE jsonb_typeof(v) = 'number'),
         'rate', count(*) / ($2::bigint / 1000.0)) AS aggregates
     FROM w GROUP BY g, end_ms`,
    [stream, sizeMs, slideMs]);
  return keyed(rows);
}

function keyed(rows) {
  const out = new Map();
  for (const r of rows) out.set(`${JSON.stringify(r.group_key)}|${r.start_ms}|${r.end_ms}`, r);
  return out;
}

// Asserts two keyed result sets hold the same windows with the same values.
export function assertSameResults(live, expected) {
  assert.deepEqual([...live.keys()].sort(), [...expected.keys()].sort());
  for (const [key, want] of expected) {
    const got = live.get(key);
    assert.equal(Number(got.frame_count), Number(want.frame_count), `frame_count of ${key}`);
    for (const [agg, value] of Object.entries(want.aggregates)) {
      const g = got.aggregates[agg];
      if (value === null) assert.equal(g, null, `${agg} of ${key}`);
      else assert.ok(Math.abs(Number(g) - Number(value)) <= 1e-9 * Math.max(1, Math.abs(value)),
        `${agg} of ${key}: live ${g}, SQL ${value}`);
    }
  }
}
