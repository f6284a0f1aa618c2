// Per-subscriber backpressure with a client that stops reading (its socket
// paused): each strategy applies to that subscriber only, while a reading
// subscriber of the same stream receives everything; drops are counted in
// stream_stats.  And the commit ring lapped by one huge commit: subscribers
// catch up from streamflow.frames without a gap.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { connect, freshStream } from './helpers.mjs';
import { openWs, sequences, range, useNewToken, withToken } from './live_clients.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let db;
const opened = [];
const track = (c) => { opened.push(c); return c; };

before(async () => {
  db = await connect();
  await useNewToken(db);
});
after(async () => {
  for (const c of opened) c.close();
  await db.end();
});

// Ingests n frames of about pad bytes each, in one statement per 50.
async function ingestMany(client, stream, n, pad) {
  for (let done = 0; done < n; done += 50) {
    await client.query(
      `SELECT streamflow.ingest_batch($1,
         (SELECT jsonb_agg(jsonb_build_object('payload', jsonb_build_object('i', i, 'pad', repeat('x', $3))))
          FROM generate_series(1, $2) i))`, [stream, Math.min(50, n - done), pad]);
  }
}

// The stream's row of stream_stats.
async function stats(stream) {
  const { rows: [s] } = await db.query('SELECT * FROM streamflow.stream_stats WHERE stream_id = $1', [stream]);
  return s;
}

// Polls stream_stats until pred(row) holds (the worker reports about once a second).
async function statsUntil(stream, pred, what, ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await stats(stream);
    if (s && pred(s)) return s;
    if (Date.now() > deadline) throw new Error(`stream_stats never showed ${what}: ${JSON.stringify(s)}`);
    await sleep(100);
  }
}

// Opens a reading subscriber and a paused one on a fresh stream with the
// given backpressure, floods it with n frames of 20kB (far more than the
// socket buffers hold), and resumes the paused one.
async function flood(backpressure, n = 400) {
  const id = await freshStream(db, { backpressure });
  const reader = track(await openWs(`/streams/${id}/ws`));
  const slow = track(await openWs(`/streams/${id}/ws`));
  await reader.waitFor((m) => m.type === 'subscribed');
  await slow.waitFor((m) => m.type === 'subscribed');
  slow.ws._socket.pause();
  await ingestMany(db, id, n, 20000);
  // the reader is never held back by the paused subscriber
  await reader.waitForFrame(n, 30000);
  assert.deepEqual(sequences(reader.frames()), range(1, n));
  return { id, reader, slow };
}

// Once the paused client reads again: ingests one frame at a time until one
// reaches it (while its queue is still full the newest are dropped); returns
// the last sequence ingested.
async function sentinelUntilDelivered(slow, id, n) {
  for (let seq = n + 1; seq <= n + 60; seq++) {
    await ingestMany(db, id, 1, 10);
    try {
      await slow.waitForFrame(seq, 1000);
      return seq;
    } catch { /* dropped: its queue had not drained yet */ }
  }
  throw new Error('no frame reached the resumed subscriber');
}

// Asserts that seqs strictly increase.
function assertIncreasing(seqs) {
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `sequence ${seqs[i]} after ${seqs[i - 1]}`);
}

test('drop_oldest: the paused subscriber loses the oldest frames, keeps receiving the newest, every drop counted', { timeout: 60000 }, async () => {
  const n = 400;
  const { id, slow } = await flood({ max_queue_size: 5, strategy: 'drop_oldest' }, n);
  await statsUntil(id, (r) => Number(r.dropped) > 0, 'drops');
  slow.ws._socket.resume();
  const last = await sentinelUntilDelivered(slow, id, n);
  const got = sequences(slow.frames());
  assertIncreasing(got);
  assert.ok(got.length < n, `frames were dropped (${got.length} of ${n} delivered)`);
  const final = await statsUntil(id, (r) => Number(r.dropped) + Number(r.total_messages_sent) >= 2 * last, 'every frame sent or dropped');
  assert.equal(Number(final.dropped), last - got.length, 'every drop counted');
});

test('drop_newest: the paused subscriber keeps what it had queued and misses the newest', { timeout: 60000 }, async () => {
  const n = 400;
  const { id, slow } = await flood({ max_queue_size: 5, strategy: 'drop_newest' }, n);
  await statsUntil(id, (r) => Number(r.dropped) > 0, 'drops');
  slow.ws._socket.resume();
  const last = await sentinelUntilDelivered(slow, id, n);
  const got = sequences(slow.frames());
  assertIncreasing(got);
  assert.ok(!got.includes(n), 'the newest frame of the flood was dropped');
  const final = await statsUntil(id, (r) => Number(r.dropped) + Number(r.total_messages_sent) >= 2 * last, 'every frame sent or dropped');
  assert.equal(Number(final.dropped), last - got.length, 'every drop counted');
});

test('block: the paused subscriber is paused, not the worker; it catches up from storage with nothing lost', { timeout: 60000 }, async () => {
  const n = 400;
  const { id, slow } = await flood({ max_queue_size: 5, strategy: 'block' }, n);
  slow.ws._socket.resume();
  await slow.waitForFrame(n, 30000);
  assert.deepEqual(sequences(slow.frames()), range(1, n));
  const s = await stats(id);
  assert.equal(Number(s.dropped), 0);
});

test('sample: while full, 1 arriving frame in 10 replaces the oldest queued; the rest are counted as dropped', { timeout: 60000 }, async () => {
  const n = 400;
  const { id, slow } = await flood({ max_queue_size: 5, strategy: 'sample' }, n);
  await statsUntil(id, (r) => Number(r.dropped) > 0, 'drops');
  slow.ws._socket.resume();
  const last = await sentinelUntilDelivered(slow, id, n);
  const got = sequences(slow.frames());
  assertIncreasing(got);
  assert.ok(got.length < n);
  const final = await statsUntil(id, (r) => Number(r.dropped) + Number(r.total_messages_sent) >= 2 * last, 'every frame sent or dropped');
  assert.equal(Number(final.dropped), last - got.length, 'every drop counted');
});

test('a commit that laps a 64kB commit ring: subscribers catch up from streamflow.frames, no gap, no repeat', { timeout: 60000 }, async (t) => {
  const dir = path.join(path.dirname(process.env.PGHOST), 'live-ring-small');
  const pgPort = Number(process.env.PGPORT) + 4;
  const script = path.resolve(import.meta.dirname, '../../scripts/cluster.sh');
  const env = { ...process.env, STREAMFLOW_CLUSTER_CONF: 'streamflow.ring_size = 64kB' };
  execFileSync('bash', [script, 'stop', dir], { env, stdio: 'ignore' });
  execFileSync('rm', ['-rf', dir]);
  execFileSync('bash', [script, 'start', dir, String(pgPort), 'live_ring_small'], { env, stdio: 'inherit' });
  t.after(() => execFileSync('bash', [script, 'stop', dir], { env, stdio: 'inherit' }));
  const small = new pg.Client({ host: dir, port: pgPort, user: 'postgres', database: 'live_ring_small' });
  await small.connect();
  t.after(() => small.end());
  await small.query('CREATE EXTENSION streamflow');
  const id = await freshStream(small);

  const { rows: [{ s: secret }] } = await small.query(
    "SELECT streamflow.create_token('live_ring', NULL, '{read,write}') AS s");
  const wsPath = withToken(`/streams/${id}/ws`, secret);
  const base = `ws://127.0.0.1:${pgPort + 3000}`;
  const { default: WebSocket } = await import('ws');
  const got = [];
  let subscribed;
  let onFrame2001;
  const done = new Promise((resolve, reject) => {
    onFrame2001 = resolve;
    setTimeout(() => reject(new Error(`frame 2001 never came; got ${got.length} frames, last ${got.slice(-5)}`)), 40000).unref();
  });
  // the handler is attached before open: the first message may come with the handshake
  const onMessage = (d) => {
    const m = JSON.parse(d.toString());
    if (m.type === 'subscribed') subscribed = m;
    else if (m.sequence !== undefined) got.push(m.sequence);
    if (m.sequence === 2001) onFrame2001();
  };
  // the worker listens a moment after the cluster starts
  let ws;
  for (let tries = 0; ; tries++) {
    ws = new WebSocket(base + wsPath);
    ws.on('message', onMessage);
    const ok = await new Promise((r) => { ws.once('open', () => r(true)); ws.once('error', () => r(false)); });
    if (ok) break;
    if (tries > 150) throw new Error('worker of the small-ring cluster not listening');
    await sleep(100);
  }
  t.after(() => ws.terminate());
  for (let i = 0; !subscribed; i++) {
    if (i > 500) throw new Error('never subscribed');
    await sleep(20);
  }
  // 2000 frames of ~150 bytes in one commit: about 5 times the ring
  await small.query(
    `SELECT streamflow.ingest_batch($1,
       (SELECT jsonb_agg(jsonb_build_object('payload', jsonb_build_object('i', i, 'pad', repeat('x', 60))))
        FROM generate_series(1, 2000) i))`, [id]);
  await small.query('SELECT streamflow.ingest($1, $2)', [id, { sentinel: true }]);
  await done;
  assert.deepEqual(got, range(1, 2001));
});
