// Live delivery benchmarks against a running cluster (PG* env for SQL,
// STREAMFLOW_HTTP_PORT for the worker, streamflow.auth = none):
//
//   node live_bench.mjs latency RATE SECONDS   commit -> WebSocket latency at RATE frames/s
//   node live_bench.mjs fanout SUBSCRIBERS FRAMES   deliveries/s to N WebSocket subscribers
//   node live_bench.mjs idle CONNECTIONS       worker RSS with N idle WebSocket connections
//
// Latency: every frame carries the wall-clock time of its ingest statement
// (clock_timestamp(), ms); the subscriber subtracts it from its own clock on
// receipt (same machine).  The generator commits every 10 ms a batch of
// RATE/100 frames.  Prints one JSON line.
import pg from 'pg';
import WebSocket from 'ws';
import { readFileSync } from 'node:fs';

const port = Number(process.env.STREAMFLOW_HTTP_PORT);
const wsBase = `ws://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const [mode, a, b] = process.argv.slice(2);

// A fresh stream's id.
async function stream(db, config = {}) {
  const id = `bench_${process.pid}_${Date.now()}`;
  await db.query('SELECT streamflow.create_stream($1::jsonb)', [JSON.stringify({ id, name: id, ...config })]);
  return id;
}

// Opens a subscribed WebSocket on stream; onFrame(message, receivedAt).
function subscriber(id, onFrame) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/streams/${id}/ws`);
    ws.on('message', (data) => {
      const now = Date.now() + (performance.now() % 1);
      const m = JSON.parse(data);
      if (m.type === 'subscribed') resolve(ws);
      else if (m.type === undefined) onFrame(m, now);
    });
    ws.on('error', reject);
  });
}

// The q-quantile of sorted xs.
const quantile = (xs, q) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))];

// Ingests n frames stamped with their statement's wall clock, in one commit.
function ingestStamped(db, id, n) {
  return db.query(
    `SELECT streamflow.ingest_batch($1, (SELECT jsonb_agg(jsonb_build_object('payload',
       jsonb_build_object('t', extract(epoch FROM clock_timestamp()) * 1000, 'i', i)))
       FROM generate_series(1, $2) i))`, [id, n]);
}

async function latency(rate, seconds) {
  const db = new pg.Client();
  await db.connect();
  const id = await stream(db, { backpressure: { max_queue_size: 100000 } });
  const lat = [];
  const ws = await subscriber(id, (m, now) => lat.push(now - m.data.t));
  const perBatch = Math.max(1, Math.round(rate / 100));
  // two writers, so a slow commit does not hold the rate back
  const writers = [db, new pg.Client()];
  await writers[1].connect();
  const start = Date.now();
  let sent = 0;
  let k = 0;
  const inflight = new Set();
  while (Date.now() - start < seconds * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    while (sent + perBatch <= due) {
      const w = writers[k++ % 2];
      const p = ingestStamped(w, id, perBatch).finally(() => inflight.delete(p));
      inflight.add(p);
      sent += perBatch;
      if (inflight.size >= 2) await Promise.race(inflight);
    }
    await sleep(2);
  }
  await Promise.all(inflight);
  const deadline = Date.now() + 10000;
  while (lat.length < sent && Date.now() < deadline) await sleep(20);
  ws.terminate();
  await Promise.all(writers.map((w) => w.end()));
  lat.sort((x, y) => x - y);
  return {
    mode: 'latency', target_rate: rate, achieved_rate: Math.round(sent / seconds), frames: sent,
    received: lat.length, p50_ms: +quantile(lat, 0.5).toFixed(2), p95_ms: +quantile(lat, 0.95).toFixed(2),
    p99_ms: +quantile(lat, 0.99).toFixed(2), max_ms: +lat.at(-1).toFixed(2),
  };
}

async function fanout(n, frames) {
  const db = new pg.Client();
  await db.connect();
  const id = await stream(db, { backpressure: { max_queue_size: 100000 } });
  let delivered = 0;
  let last = 0;
  const sockets = [];
  for (let i = 0; i < n; i++) {
    sockets.push(await subscriber(id, () => { delivered++; last = Date.now(); }));
  }
  const start = Date.now();
  for (let done = 0; done < frames; done += 100) await ingestStamped(db, id, Math.min(100, frames - done));
  const deadline = Date.now() + 120000;
  while (delivered < n * frames && Date.now() < deadline) await sleep(20);
  const secs = (last - start) / 1000;
  for (const s of sockets) s.terminate();
  await db.end();
  return { mode: 'fanout', subscribers: n, frames, delivered, seconds: +secs.toFixed(2),
    deliveries_per_s: Math.round(delivered / secs) };
}

// Resident set size of pid in kB.
const rss = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);

async function idle(n) {
  const db = new pg.Client();
  await db.connect();
  const { rows: [w] } = await db.query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'streamflow http'");
  const id = await stream(db);
  const before = rss(w.pid);
  const sockets = [];
  let failed = 0;
  for (let i = 0; i < n; i += 200) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 200); j++) batch.push(subscriber(id, () => {}).catch(() => { failed++; }));
    sockets.push(...(await Promise.all(batch)).filter(Boolean));
  }
  await sleep(1000);
  const after = rss(w.pid);
  const { rows: [s] } = await db.query('SELECT subscribers FROM streamflow.stream_stats WHERE stream_id = $1', [id]);
  for (const s2 of sockets) s2.terminate();
  await db.end();
  return { mode: 'idle', connections: sockets.length, failed, subscribers_seen: Number(s.subscribers),
    worker_rss_before_kb: before, worker_rss_after_kb: after,
    kb_per_connection: +((after - before) / sockets.length).toFixed(2) };
}

const run = { latency: () => latency(Number(a), Number(b)), fanout: () => fanout(Number(a), Number(b)), idle: () => idle(Number(a)) }[mode];
if (!run) {
  console.error('usage: live_bench.mjs latency RATE SECONDS | fanout SUBSCRIBERS FRAMES | idle CONNECTIONS');
  process.exit(2);
}
console.log(JSON.stringify(await run()));
process.exit(0);
