// The commit ring end to end: frames committed by SQL sessions reach the
// worker exactly once each, in sequence order per stream, and GET /metrics
// shows what it saw; rolled-back transactions and savepoints contribute
// nothing; streamflow.notify = off still feeds the ring; a commit larger than
// the ring (on a second, throwaway cluster with a 64kB ring) is detected and
// counted as an overflow, never skipped silently.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { connect, freshStream } from './helpers.mjs';

const port = Number(process.env.STREAMFLOW_HTTP_PORT);
const base = `http://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clients = [];

after(async () => { await Promise.all(clients.map((c) => c.end().catch(() => {}))); });

// A connected client, ended after the tests.
async function client(config) {
  const c = config ? new pg.Client(config) : await connect();
  if (config) await c.connect();
  clients.push(c);
  return c;
}

// Parses Prometheus text into { 'name{labels}': value }.
function parseMetrics(text) {
  const out = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = line.match(/^(\S+) (\S+)$/);
    assert.ok(m, `metrics line in the text format: ${line}`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

// GET /metrics of the worker at url, parsed.
async function metrics(url = base) {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parseMetrics(await res.text());
}

// A per-stream metric's value, 0 when the stream has none yet.
const streamMetric = (m, name, id) => m[`${name}{stream_id="${id}"}`] ?? 0;

// Resolves with the metrics of the worker at url once it answers (it
// attaches to the ring before it listens), within ms.
async function workerUp(url, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    try { return await metrics(url); } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

before(() => workerUp(base, 15000));

// Waits until the worker has read the sentinel frame committed last to
// stream `id` (the ring is read in commit order: everything committed before
// it has been read too), then returns the metrics.
async function metricsAfterSentinel(db, id, url = base) {
  const { rows } = await db.query('SELECT (streamflow.ingest($1, \'{"sentinel": true}\')).sequence AS s', [id]);
  const seq = Number(rows[0].s);
  const deadline = Date.now() + 15000;
  for (;;) {
    const m = await metrics(url);
    if (streamMetric(m, 'streamflow_stream_ring_last_sequence', id) === seq) return m;
    if (Date.now() > deadline) throw new Error(`the worker never read sentinel ${id}/${seq}`);
    await sleep(50);
  }
}

test('committed frames from several sessions reach the worker exactly once; rollbacks add nothing', async () => {
  const db = await client();
  const id = await freshStream(db);
  const sentinel = await freshStream(db);
  const sessions = await Promise.all([1, 2, 3, 4].map(() => client()));

  // 4 sessions x 25 single-frame transactions, interleaved
  await Promise.all(sessions.map(async (s, i) => {
    for (let k = 0; k < 25; k++) {
      await s.query('SELECT streamflow.ingest($1, $2::jsonb)', [id, JSON.stringify({ session: i, k })]);
    }
  }));
  // one transaction of 10 frames, one batch of 5 with a duplicate and a rejected frame
  await db.query('BEGIN');
  for (let k = 0; k < 10; k++) await db.query('SELECT streamflow.ingest($1, \'{"tx": true}\')', [id]);
  await db.query('COMMIT');
  const { rows: [batch] } = await db.query(
    `SELECT * FROM streamflow.ingest_batch($1, $2::jsonb, 'skip')`,
    [id, JSON.stringify([{ sequence: 1000, payload: { b: 1 } }, { sequence: 1000, payload: { b: 1 } },
      { sequence: 1001, payload: 'not an object' }, { sequence: 1002, payload: { b: 2 } },
      { sequence: 1003, payload: { b: 3 } }])]);
  assert.deepEqual([batch.ingested, batch.duplicates, batch.rejected], [3, 1, 1]);

  // a rolled-back transaction and a rolled-back savepoint
  const rb = sessions[0];
  await rb.query('BEGIN');
  for (let k = 0; k < 3; k++) await rb.query('SELECT streamflow.ingest($1, \'{"rolled_back": true}\')', [id]);
  await rb.query('ROLLBACK');
  await rb.query('BEGIN');
  await rb.query('SELECT streamflow.ingest($1, \'{"kept": true}\')', [id]);
  await rb.query('SAVEPOINT s');
  await rb.query('SELECT streamflow.ingest($1, \'{"rolled_back": true}\')', [id]);
  await rb.query('SELECT streamflow.ingest($1, \'{"rolled_back": true}\')', [id]);
  await rb.query('ROLLBACK TO SAVEPOINT s');
  await rb.query('COMMIT');

  // streamflow.notify = off (superuser) still feeds the ring
  await rb.query('SET streamflow.notify = off');
  await rb.query('SELECT streamflow.ingest($1, \'{"quiet": true}\')', [id]);
  await rb.query('RESET streamflow.notify');

  const { rows: [stored] } = await db.query(
    'SELECT count(*)::int AS n, max(sequence)::int AS last FROM streamflow.frames WHERE stream_id = $1', [id]);
  assert.equal(stored.n, 100 + 10 + 3 + 1 + 1);
  assert.equal(await db.query('SELECT count(*)::int AS n FROM streamflow.frames WHERE stream_id = $1 AND payload ? \'rolled_back\'', [id])
    .then((r) => r.rows[0].n), 0);

  const m = await metricsAfterSentinel(db, sentinel);
  assert.equal(streamMetric(m, 'streamflow_stream_ring_frames_total', id), stored.n,
    'the worker read every committed frame once, and no rolled-back one');
  assert.equal(streamMetric(m, 'streamflow_stream_ring_last_sequence', id), stored.last);
  // ingest counts as it runs: the 5 rolled-back frames were received too
  assert.equal(streamMetric(m, 'streamflow_stream_received_total', id), stored.n + 5);
  assert.equal(streamMetric(m, 'streamflow_stream_duplicates_total', id), 1);
  assert.equal(streamMetric(m, 'streamflow_stream_rejected_total', id), 1);
  assert.equal(m.streamflow_ring_lag_bytes, m.streamflow_ring_written_bytes_total - m.streamflow_ring_read_bytes_total);

  // SQL sees the same counters; the view's totals are the durable ones
  const { rows: [sql] } = await db.query(
    `SELECT c.ring_frames::int, s.total_messages_received::int, s.duplicates::int, s.error_count::int
     FROM streamflow.stream_counters() c JOIN streamflow.stream_stats s USING (stream_id)
     WHERE stream_id = $1`, [id]);
  assert.deepEqual(sql, { ring_frames: stored.n, total_messages_received: stored.n, duplicates: 1, error_count: 1 });
});

test('the worker reads each stream in sequence order', async () => {
  const db = await client();
  const id = await freshStream(db);
  const sessions = await Promise.all([1, 2, 3].map(() => client()));
  await Promise.all(sessions.map(async (s) => {
    for (let k = 0; k < 20; k++) await s.query('SELECT streamflow.ingest($1, \'{}\')', [id]);
  }));
  // the last sequence the worker read is the highest one: nothing arrived out of order after it
  const m = await metricsAfterSentinel(db, id);
  assert.equal(streamMetric(m, 'streamflow_stream_ring_frames_total', id), 61);
  assert.equal(streamMetric(m, 'streamflow_stream_ring_last_sequence', id), 61);
});

test('GET /metrics has the histogram families and refuses other methods', async () => {
  const res = await fetch(`${base}/metrics`);
  const text = await res.text();
  assert.match(text, /^# TYPE streamflow_stream_delivery_latency_ms histogram$/m);
  assert.match(text, /^# TYPE streamflow_ring_overflows_total counter$/m);
  assert.match(text, /^streamflow_ring_size_bytes \d+$/m);
  const post = await fetch(`${base}/metrics`, { method: 'DELETE' });
  assert.equal(post.status, 405);
  assert.equal((await post.json()).error, 'method not allowed');
});

test('a commit larger than a 64kB ring is counted as an overflow, and the ring carries on', { timeout: 60000 }, async (t) => {
  const dir = path.join(path.dirname(process.env.PGHOST), 'ring-small');
  const pgPort = Number(process.env.PGPORT) + 2;
  const script = path.resolve(import.meta.dirname, '../../scripts/cluster.sh');
  const env = { ...process.env, STREAMFLOW_CLUSTER_CONF: 'streamflow.ring_size = 64kB' };
  execFileSync('bash', [script, 'stop', dir], { env, stdio: 'ignore' });
  execFileSync('rm', ['-rf', dir]);
  execFileSync('bash', [script, 'start', dir, String(pgPort), 'ring_small'], { env, stdio: 'inherit' });
  t.after(() => execFileSync('bash', [script, 'stop', dir], { env, stdio: 'inherit' }));
  const url = `http://127.0.0.1:${pgPort + 3000}`;
  const db = await client({ host: dir, port: pgPort, user: 'postgres', database: 'ring_small' });
  await db.query('CREATE EXTENSION streamflow');
  const id = await freshStream(db);

  const start = await workerUp(url, 15000);
  assert.equal(start.streamflow_ring_size_bytes, 64 * 1024);
  assert.equal(start.streamflow_ring_overflows_total, 0);

  // 2000 frames of ~150 bytes in one commit: about 5 times the ring
  const { rows: [r] } = await db.query(
    `SELECT * FROM streamflow.ingest_batch($1,
       (SELECT jsonb_agg(jsonb_build_object('payload', jsonb_build_object('i', i, 'pad', repeat('x', 60))))
        FROM generate_series(1, 2000) i))`, [id]);
  assert.equal(r.ingested, 2000);
  // the sentinel goes in only once the worker has seen the lap: committed
  // earlier, the lap could carry the sentinel away with it
  const lapDeadline = Date.now() + 15000;
  while ((await metrics(url)).streamflow_worker_ring_catch_ups_total < 1) {
    if (Date.now() > lapDeadline) throw new Error('the worker never noticed the lap');
    await sleep(50);
  }

  const m = await metricsAfterSentinel(db, id, url);
  assert.equal(m.streamflow_ring_overflows_total, 1, 'the lap is detected once');
  assert.equal(m.streamflow_worker_ring_catch_ups_total, 1);
  assert.ok(m.streamflow_ring_written_bytes_total > 64 * 1024);
  // the frames of the lapped commit were not read from the ring (the worker catches up from the table);
  // the sentinel committed after it was
  assert.equal(streamMetric(m, 'streamflow_stream_ring_frames_total', id), 1);
  assert.equal(streamMetric(m, 'streamflow_stream_ring_last_sequence', id), 2001);
});
