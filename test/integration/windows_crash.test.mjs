// A window across a worker kill: pg_terminate_backend of the 'streamflow
// http' backend while a window is open.  The restarted worker rebuilds the
// open window from streamflow.frames: results complete, none written twice.
// Runs alone (scripts/test.sh): the worker is gone for a moment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';
import { httpBase } from './live_clients.mjs';
import {
  AGGREGATES, sleep, waitFor, uniqueName, liveResults, expectedResults, assertSameResults,
} from './windows.mjs';

const db = await connect();
after(() => db.end());

// On a cluster just started, the worker (which answers window_current) may not be up yet.
before(async () => {
  await waitFor(async () => {
    try { return (await fetch(`${httpBase}/health`)).status === 200; } catch { return false; }
  }, 30000, 'the worker to answer /health');
});

// Resolves once a new worker (not oldPid) answers /health.
async function workerBack(oldPid) {
  await waitFor(async () => {
    const { rows } = await db.query(
      "SELECT pid FROM pg_stat_activity WHERE application_name = 'streamflow http' AND pid <> $1", [oldPid]);
    if (rows.length === 0) return false;
    try { return (await fetch(`${httpBase}/health`)).status === 200; } catch { return false; }
  }, 30000, 'the worker to come back');
}

test('worker killed mid-window: the restarted worker finishes the window with every frame, each result written once', { timeout: 120000 }, async () => {
  const size = 2000;
  const stream = await freshStream(db);
  const name = uniqueName('crashwin');
  const { rows: [w] } = await db.query('SELECT * FROM streamflow.create_window($1, $2, $3)', [stream, name,
    JSON.stringify({ type: 'sliding', size, slide: 1000, grace: 500, time: { path: '$.ts' }, group_by: '$.u', aggregates: AGGREGATES })]);
  const t0 = Math.floor(Date.now() / 1000) * 1000 + 6000;
  const batch = (from) => Array.from({ length: 20 }, (_, i) => ({ ts: t0 + ((from + i) * 137) % 1800, u: `u${i % 4}`, v: from + i }));
  const ingest = (payloads) => db.query(
    `SELECT streamflow.ingest_batch($1, (SELECT jsonb_agg(jsonb_build_object('payload', p)) FROM jsonb_array_elements($2::jsonb) p))`,
    [stream, JSON.stringify(payloads)]);

  await ingest(batch(0));
  // the worker holds the first half in memory, nothing is written yet
  await waitFor(async () => {
    const { rows } = await db.query('SELECT coalesce(sum(frame_count), 0)::int AS n FROM streamflow.window_current($1) WHERE window_end = to_timestamp($2 / 1000.0)', [name, t0 + 1000]);
    return rows[0].n > 0;
  }, 20000, 'window_current to show the first frames');
  const { rows: [{ n: before }] } = await db.query('SELECT count(*)::int AS n FROM streamflow.window_results WHERE window_name = $1', [name]);
  assert.equal(before, 0);

  const { rows: [{ pid }] } = await db.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'streamflow http'");
  await db.query('SELECT pg_terminate_backend($1)', [pid]);
  await ingest(batch(20)); // committed while the worker is down or restarting
  await workerBack(pid);
  await ingest(batch(40));

  // the last window holding a frame ends at t0 + 1000 + size
  await waitFor(async () => {
    const { rows } = await db.query(
      'SELECT extract(epoch FROM closed_through) * 1000 >= $2 AS done FROM streamflow.windows WHERE name = $1', [name, t0 + 1000 + size]);
    return rows[0].done;
  }, 60000, 'the window to close');
  const live = await liveResults(db, name);
  const expected = await expectedResults(db, stream, {
    sizeMs: size, slideMs: 1000, groupBy: 'u', timeSql: `(f.payload->>'ts')::bigint`,
  });
  assertSameResults(live, expected);
  const total = [...live.values()].filter((r) => Number(r.end_ms) === t0 + size).reduce((s, r) => s + Number(r.frame_count), 0);
  assert.equal(total, 60, 'the window [t0, t0 + size) has every frame');

  // each result published once: derived frames = results, no repeated window/group
  await sleep(1500);
  const { rows: derived } = await db.query(
    `SELECT payload->>'window_start' AS s, payload->'group' AS g FROM streamflow.frames WHERE stream_id = $1`, [w.derived_stream_id]);
  assert.equal(derived.length, live.size);
  assert.equal(new Set(derived.map((d) => `${d.s}|${JSON.stringify(d.g)}`)).size, derived.length);
  const { rows: [counters] } = await db.query('SELECT frames, late_frames FROM streamflow.windows WHERE name = $1', [name]);
  assert.equal(Number(counters.frames), 60);
  assert.equal(Number(counters.late_frames), 0);
});

test('worker killed right after a close: closed windows are not written again', { timeout: 120000 }, async () => {
  const stream = await freshStream(db);
  const name = uniqueName('crashwin2');
  const { rows: [w] } = await db.query('SELECT * FROM streamflow.create_window($1, $2, $3)', [stream, name,
    JSON.stringify({ type: 'tumbling', size: 1000, time: { path: '$.ts' }, group_by: '$.u', aggregates: AGGREGATES })]);
  const t0 = Math.floor(Date.now() / 1000) * 1000 + 3000;
  await db.query(`SELECT streamflow.ingest_batch($1, (SELECT jsonb_agg(jsonb_build_object('payload',
                    jsonb_build_object('ts', $2::bigint + i * 10, 'u', i % 3, 'v', i))) FROM generate_series(1, 30) i))`, [stream, t0]);
  const live = await waitFor(async () => {
    const r = await liveResults(db, name);
    return r.size === 3 ? r : null;
  }, 30000, 'the results');
  const { rows: [{ pid }] } = await db.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'streamflow http'");
  await db.query('SELECT pg_terminate_backend($1)', [pid]);
  await workerBack(pid);
  await sleep(2000); // a restarted worker's replay and a close or two
  assert.deepEqual(await liveResults(db, name), live);
  const { rows: [{ n }] } = await db.query('SELECT count(*)::int AS n FROM streamflow.frames WHERE stream_id = $1', [w.derived_stream_id]);
  assert.equal(n, 3);
});

// idx_tup_fetch of streamflow.frames: rows read through its indexes, by every backend.
async function framesFetched() {
  const { rows: [{ n }] } = await db.query(
    "SELECT idx_tup_fetch::bigint AS n FROM pg_stat_user_tables WHERE relid = 'streamflow.frames'::regclass");
  return Number(n);
}

test('window over a long stream: created and rebuilt after a kill reading only the frames after replay_after_sequence', { timeout: 180000 }, async () => {
  const size = 2000;
  const old = 200000;
  const stream = await freshStream(db);
  const name = uniqueName('crashwin3');
  // the old frames lie in the window's first window: counting one would change its results
  const t0 = Math.floor(Date.now() / 1000) * 1000 + 20000;
  await db.query(`SELECT streamflow.ingest_batch($1, (SELECT jsonb_agg(jsonb_build_object('payload',
                    jsonb_build_object('ts', $2::bigint + i % 1800, 'u', 'u' || i % 4, 'v', i))) FROM generate_series(1, $3) i))`,
  [stream, t0, old]);
  const { rows: [w] } = await db.query('SELECT * FROM streamflow.create_window($1, $2, $3)', [stream, name,
    JSON.stringify({ type: 'sliding', size, slide: 1000, grace: 500, time: { path: '$.ts' }, group_by: '$.u', aggregates: AGGREGATES })]);
  assert.equal(Number(w.replay_after_sequence), old, 'create_window sets the bound to the stream\'s last sequence');
  assert.ok(Date.now() < t0 - 3000, 'the old frames were ingested in time for this test');
  const batch = (from) => Array.from({ length: 20 }, (_, i) => ({ ts: t0 + ((from + i) * 137) % 1800, u: `u${i % 4}`, v: from + i }));
  const ingest = (payloads) => db.query(
    `SELECT streamflow.ingest_batch($1, (SELECT jsonb_agg(jsonb_build_object('payload', p)) FROM jsonb_array_elements($2::jsonb) p))`,
    [stream, JSON.stringify(payloads)]);

  await ingest(batch(0));
  // the new window resynced (answering only once it has) and took the new frames alone
  await waitFor(async () => {
    const { rows } = await db.query('SELECT coalesce(sum(frame_count), 0)::int AS n FROM streamflow.window_current($1) WHERE window_end = to_timestamp($2 / 1000.0)', [name, t0 + size]);
    return rows[0].n === 20;
  }, 20000, 'window_current to show the 20 new frames');

  const fetchedBefore = await framesFetched();
  const { rows: [{ pid }] } = await db.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'streamflow http'");
  await db.query('SELECT pg_terminate_backend($1)', [pid]);
  await ingest(batch(20));
  await workerBack(pid);
  await ingest(batch(40));
  await waitFor(async () => {
    const { rows } = await db.query(
      'SELECT extract(epoch FROM closed_through) * 1000 >= $2 AS done FROM streamflow.windows WHERE name = $1', [name, t0 + 1000 + size]);
    return rows[0].done;
  }, 60000, 'the window to close');
  // read before expectedResults, which reads the whole stream itself
  const fetched = (await framesFetched()) - fetchedBefore;
  assert.ok(fetched < old / 4, `the rebuild read ${fetched} frames through the index, not the ${old} old ones`);

  const live = await liveResults(db, name);
  const expected = await expectedResults(db, stream, {
    sizeMs: size, slideMs: 1000, groupBy: 'u', timeSql: `(f.payload->>'ts')::bigint`, accepted: `f.sequence > ${old}`,
  });
  assertSameResults(live, expected);
  const total = [...live.values()].filter((r) => Number(r.end_ms) === t0 + size).reduce((s, r) => s + Number(r.frame_count), 0);
  assert.equal(total, 60, 'the window [t0, t0 + size) has the 60 new frames, none of the old');
  await sleep(1500);
  const { rows: derived } = await db.query(
    `SELECT payload->>'window_start' AS s, payload->'group' AS g FROM streamflow.frames WHERE stream_id = $1`, [w.derived_stream_id]);
  assert.equal(derived.length, live.size);
  assert.equal(new Set(derived.map((d) => `${d.s}|${JSON.stringify(d.g)}`)).size, derived.length);
  // every window closed: the bound has moved past every frame applied
  const { rows: [row] } = await db.query('SELECT frames, late_frames, replay_after_sequence FROM streamflow.windows WHERE name = $1', [name]);
  assert.equal(Number(row.frames), 60);
  assert.equal(Number(row.late_frames), 0);
  assert.equal(Number(row.replay_after_sequence), old + 60);
});
