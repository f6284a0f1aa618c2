// Live windows (src/window_engine.c) against a plain SQL GROUP BY over the
// accepted frames: tumbling and sliding, event and ingest time, with and
// without group_by, late and out-of-order frames; window_stats equals live;
// window_current while a window is open, and its errors; frames too far
// ahead of the wall clock refused (future_frames).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { connect, freshStream } from './helpers.mjs';
import { httpBase } from './live_clients.mjs';
import {
  AGGREGATES, waitFor, uniqueName, liveResults, expectedResults, assertSameResults,
} from './windows.mjs';

const db = await connect();
after(() => db.end());

// On a cluster just started, the worker (which answers window_current) may not be up yet.
before(async () => {
  await waitFor(async () => {
    try { return (await fetch(`${httpBase}/health`)).status === 200; } catch { return false; }
  }, 30000, 'the worker to answer /health');
});

// Creates a window on stream; its row.
async function createWindow(stream, config) {
  const name = uniqueName('win');
  const { rows } = await db.query('SELECT * FROM streamflow.create_window($1, $2, $3)',
    [stream, name, JSON.stringify(config)]);
  return rows[0];
}

// Ingests payloads in one transaction.
async function ingest(stream, payloads) {
  await db.query(`SELECT streamflow.ingest_batch($1, (SELECT jsonb_agg(jsonb_build_object('payload', p))
                  FROM jsonb_array_elements($2::jsonb) p))`, [stream, JSON.stringify(payloads)]);
}

// Resolves once closed_through of window name reached endMs.
async function closedThrough(name, endMs, ms = 60000) {
  await waitFor(async () => {
    const { rows } = await db.query(
      `SELECT extract(epoch FROM closed_through) * 1000 >= $2 AS done FROM streamflow.windows WHERE name = $1`,
      [name, endMs]);
    return rows[0]?.done;
  }, ms, `window ${name} to close through ${endMs}`);
}

test('tumbling, event time, group_by: late and out-of-order frames; results = GROUP BY over accepted frames; derived frames; window_current; window_stats', { timeout: 120000 }, async () => {
  const size = 2000;
  const stream = await freshStream(db);
  const w = await createWindow(stream, {
    type: 'tumbling', size, grace: 1000, time: { path: '$.ts' }, group_by: '$.u', aggregates: AGGREGATES,
  });
  // two windows well ahead of now (never late however slow this machine is),
  // frames sent out of order and interleaved, some values not numbers
  const t0 = Math.floor(Date.now() / size) * size + 4 * size;
  const frames = [];
  for (let i = 0; i < 40; i++) {
    const ts = t0 + ((i * 7919) % (2 * size));
    const p = { ts, v: i % 9 === 0 ? 'x' : i * 1.5, late: false };
    if (i % 5 !== 0) p.u = `user${i % 3}`;
    if (i % 11 === 0) delete p.v;
    frames.push(p);
  }
  frames.reverse();
  // late: their windows closed before the window was created
  const late = [1, 2, 3].map((k) => ({ ts: t0 - 60000 - k * size, v: 1000, u: 'user0', late: true }));
  await ingest(stream, frames.slice(0, 20));
  await ingest(stream, late);
  await ingest(stream, frames.slice(20));

  // open: window_current has them all, nothing is written yet
  const current = await waitFor(async () => {
    const { rows } = await db.query('SELECT * FROM streamflow.window_current($1)', [w.name]);
    const n = rows.reduce((s, r) => s + Number(r.frame_count), 0);
    return n === frames.length ? rows : null;
  }, 20000, 'window_current to show every frame');
  assert.ok(current.every((r) => new Date(r.window_end).getTime() > Date.now() - 1000));

  await closedThrough(w.name, t0 + 2 * size);
  const live = await liveResults(db, w.name);
  const expected = await expectedResults(db, stream, {
    sizeMs: size, slideMs: size, groupBy: 'u', timeSql: `(f.payload->>'ts')::bigint`,
    accepted: `NOT (f.payload->>'late')::boolean`,
  });
  assert.ok(expected.size >= 4, 'several windows and groups');
  assertSameResults(live, expected);
  // window_current's partial values were the final ones
  for (const r of current) {
    const key = `${JSON.stringify(r.group_key)}|${new Date(r.window_start).getTime()}|${new Date(r.window_end).getTime()}`;
    assert.deepEqual(r.aggregates, live.get(key).aggregates);
  }

  // one derived frame per result, same payload
  const { rows: derived } = await db.query(
    'SELECT payload FROM streamflow.frames WHERE stream_id = $1 ORDER BY sequence', [w.derived_stream_id]);
  assert.equal(derived.length, live.size);
  for (const { payload } of derived) {
    const key = `${JSON.stringify(payload.group)}|${new Date(payload.window_start).getTime()}|${new Date(payload.window_end).getTime()}`;
    assert.equal(payload.window, w.name);
    assert.deepEqual(payload.aggregates, live.get(key).aggregates);
    assert.equal(Number(payload.frame_count), Number(live.get(key).frame_count));
  }

  // counters: late frames in windows and stream_stats
  const counters = await waitFor(async () => {
    const { rows } = await db.query('SELECT * FROM streamflow.windows WHERE name = $1', [w.name]);
    return Number(rows[0].late_frames) === late.length ? rows[0] : null;
  }, 20000, 'late_frames to be written');
  assert.equal(Number(counters.frames), frames.length);
  assert.ok(Number(counters.skipped_values) > 0);
  const { rows: [stats] } = await db.query('SELECT dropped_late FROM streamflow.stream_stats WHERE stream_id = $1', [stream]);
  assert.equal(Number(stats.dropped_late), late.length);

  // window_stats over the same frames equals the live results
  const { rows: ws } = await db.query(
    `SELECT * FROM streamflow.window_stats($1, $2::interval, to_timestamp($3 / 1000.0), to_timestamp($4 / 1000.0), '$.v', '$.ts', '$.u')`,
    [stream, `${size} milliseconds`, t0, t0 + 2 * size]);
  assert.equal(ws.length, live.size);
  for (const r of ws) {
    const got = live.get(`${JSON.stringify(r.group_key)}|${new Date(r.window_start).getTime()}|${new Date(r.window_end).getTime()}`);
    assert.ok(got, 'window_stats row has a live result');
    assert.equal(Number(r.frame_count), Number(got.frame_count));
    assert.equal(Number(r.count), Number(got.aggregates.n_v));
    for (const [col, agg] of [['sum', 'sum_v'], ['avg', 'avg_v'], ['min', 'min_v'], ['max', 'max_v'], ['rate', 'rate']]) {
      if (got.aggregates[agg] === null) assert.equal(r[col], null);
      else assert.ok(Math.abs(r[col] - got.aggregates[agg]) < 1e-9, `${col}: ${r[col]} vs ${got.aggregates[agg]}`);
    }
  }
});

test('sliding, ingest time, no group_by: every window holding a frame equals the GROUP BY over created_at', { timeout: 120000 }, async () => {
  const size = 3000;
  const slide = 1000;
  const stream = await freshStream(db);
  const w = await createWindow(stream, { type: 'sliding', size, slide, grace: 2000, aggregates: AGGREGATES });
  // batches over a few seconds: frames in several panes
  for (let b = 0; b < 4; b++) {
    await ingest(stream, Array.from({ length: 10 }, (_, i) => ({ v: b * 10 + i })));
    await new Promise((r) => setTimeout(r, 700));
  }
  const { rows: [{ last }] } = await db.query(
    'SELECT (extract(epoch FROM max(created_at)) * 1000)::bigint AS last FROM streamflow.frames WHERE stream_id = $1', [stream]);
  await closedThrough(w.name, Math.floor(Number(last) / slide) * slide + size);
  const live = await liveResults(db, w.name);
  const expected = await expectedResults(db, stream, {
    sizeMs: size, slideMs: slide, groupBy: null,
    timeSql: 'floor(extract(epoch FROM f.created_at) * 1000)::bigint',
  });
  assert.ok(expected.size >= size / slide, 'each frame in size / slide windows');
  assertSameResults(live, expected);
  const { rows: [{ n }] } = await db.query('SELECT count(*)::int AS n FROM streamflow.frames WHERE stream_id = $1', [w.derived_stream_id]);
  assert.equal(n, live.size);
});

test('sliding, event time, group_by, max_groups: frames of groups past the cap are counted and recorded, not aggregated', { timeout: 120000 }, async () => {
  const size = 2000;
  const stream = await freshStream(db);
  const w = await createWindow(stream, {
    type: 'sliding', size, slide: 1000, time: { path: '$.ts' }, group_by: '$.g', max_groups: 3, aggregates: AGGREGATES,
  });
  const t0 = Math.floor(Date.now() / 1000) * 1000 + 5000;
  // groups a, b, c fill the cap; d and e come after and are refused
  const frames = [];
  for (let i = 0; i < 30; i++) frames.push({ ts: t0 + (i * 97) % 1900, g: ['a', 'b', 'c'][i % 3], v: i });
  await ingest(stream, frames);
  await ingest(stream, [{ ts: t0, g: 'd', v: 1 }, { ts: t0 + 10, g: 'e', v: 2 }]);
  // the last window holding a frame ends at t0 + 1000 + size
  await closedThrough(w.name, t0 + 1000 + size);
  const live = await liveResults(db, w.name);
  const expected = await expectedResults(db, stream, {
    sizeMs: size, slideMs: 1000, groupBy: 'g', timeSql: `(f.payload->>'ts')::bigint`,
    accepted: `f.payload->>'g' IN ('a', 'b', 'c')`,
  });
  assertSameResults(live, expected);
  const row = await waitFor(async () => {
    const { rows } = await db.query('SELECT groups_over_cap FROM streamflow.windows WHERE name = $1', [w.name]);
    return Number(rows[0].groups_over_cap) === 2 ? rows[0] : null;
  }, 20000, 'groups_over_cap');
  assert.ok(row);
  const { rows: errors } = await db.query(
    `SELECT raw_payload, violations FROM streamflow.stream_errors WHERE stream_id = $1 AND source = 'window'`, [stream]);
  assert.equal(errors.length, 1, 'one stream_errors row per minute');
  assert.equal(errors[0].raw_payload.g, 'd');
  assert.match(errors[0].violations[0].message, /max_groups/);
});

test('window_current: unknown window 42704; an answer over streamflow.window_current_bytes is refused with a hint', { timeout: 120000 }, async () => {
  await assert.rejects(db.query("SELECT * FROM streamflow.window_current('no_such_window')"),
    (err) => err.code === '42704');
  const stream = await freshStream(db);
  const w = await createWindow(stream, {
    type: 'tumbling', size: 600000, group_by: '$.g', max_groups: 50000, aggregates: AGGREGATES,
  });
  await db.query(`SELECT streamflow.ingest_batch($1, (SELECT jsonb_agg(jsonb_build_object('payload',
                    jsonb_build_object('g', 'group-number-' || i, 'v', i))) FROM generate_series(1, 15000) i))`, [stream]);
  await assert.rejects(
    waitFor(async () => {
      await db.query('SELECT * FROM streamflow.window_current($1)', [w.name]);
      return false;
    }, 30000, 'window_current to refuse'),
    (err) => {
      assert.equal(err.code, '54000');
      assert.match(err.hint, /streamflow\.window_current_bytes/);
      return true;
    });
  await db.query('SELECT streamflow.drop_window($1)', [w.name]);
});

test('event time too far ahead: refused by the window and counted in future_frames, no pane held', { timeout: 120000 }, async () => {
  const size = 1000;
  const stream = await freshStream(db);
  const w = await createWindow(stream, { type: 'tumbling', size, time: { path: '$.ts' }, aggregates: AGGREGATES });
  const t0 = Math.floor(Date.now() / size) * size + 3 * size;
  const now = Date.now();
  // accepted: inside the next windows; refused: far beyond size + grace + 1 minute ahead
  await ingest(stream, [{ ts: t0 + 10, v: 1 }, { ts: t0 + 20, v: 2 }, { ts: now + 86400000, v: 3 }, { ts: now + 600000, v: 4 }]);
  await closedThrough(w.name, t0 + size);
  const live = await liveResults(db, w.name);
  const expected = await expectedResults(db, stream, {
    sizeMs: size, slideMs: size, groupBy: null, timeSql: `(f.payload->>'ts')::bigint`,
    accepted: `(f.payload->>'v')::int <= 2`,
  });
  assertSameResults(live, expected);
  assert.equal(live.size, 1);
  await waitFor(async () => {
    const { rows } = await db.query('SELECT future_frames, frames FROM streamflow.windows WHERE name = $1', [w.name]);
    return Number(rows[0].future_frames) === 2 && Number(rows[0].frames) === 2;
  }, 20000, 'future_frames = 2, frames = 2');
  // the refused frames left no open window behind
  const { rows: open } = await db.query('SELECT * FROM streamflow.window_current($1)', [w.name]);
  assert.deepEqual(open, []);
});

test('window_current in a database the worker does not serve: 55000 naming streamflow.database', { timeout: 120000 }, async () => {
  const other = `sf_other_${process.pid}`;
  await db.query(`DROP DATABASE IF EXISTS ${other}`);
  await db.query(`CREATE DATABASE ${other}`);
  const o = new pg.Client({ database: other });
  try {
    await o.connect();
    await o.query('CREATE EXTENSION streamflow');
    const stream = await freshStream(o);
    const name = uniqueName('otherwin');
    await o.query('SELECT streamflow.create_window($1, $2, $3)',
      [stream, name, JSON.stringify({ type: 'tumbling', size: 60000, aggregates: { n: { fn: 'count' } } })]);
    await assert.rejects(o.query('SELECT * FROM streamflow.window_current($1)', [name]), (err) => {
      assert.equal(err.code, '55000');
      assert.match(err.message, /another database/);
      assert.match(err.hint, /streamflow\.database/);
      return true;
    });
    // the worker keeps answering in its own database
    const own = await freshStream(db);
    const w = await createWindow(own, { type: 'tumbling', size: 60000, aggregates: { n: { fn: 'count' } } });
    await waitFor(async () => {
      const { rows } = await db.query('SELECT count(*)::int AS n FROM streamflow.window_current($1)', [w.name]);
      return rows[0].n === 0;
    }, 20000, 'window_current in the served database');
  } finally {
    await o.end().catch(() => {});
    await db.query(`DROP DATABASE IF EXISTS ${other} WITH (FORCE)`);
  }
});
