// Outbound deliveries per second to local receivers (node HTTP servers on
// loopback answering 200 at once).  FRAMES frames are committed in one
// transaction, then the clock runs from the commit until the last one is
// acknowledged (OUTBOUND_FRAMES: 20000, 10000 with BENCH_QUICK=1).  Cases, each run with keep-alive on and off
// (streamflow.outbound_keep_alive) alternately, REPS times:
//   - 1, 10 and 100 destinations: one stream multiplexing round-robin over
//     them (each destination gets FRAMES / n frames, in order);
//   - 10 destinations beside 1 hanging: the same 10-destination stream, and a
//     second stream committed in the same transaction whose destination never
//     answers; the healthy destinations' rate is reported next to the same
//     run without the hanging stream.
// Usage: node outbound_bench.mjs (PGHOST/PGPORT/PGDATABASE/PGUSER set;
// OUTBOUND_FRAMES, OUTBOUND_REPS (default BENCH_REPS, else 3; 1 when quick);
// BENCH_OUT: where to write the JSON records for make bench).
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import pg from 'pg';

// make bench's FRAMES (1000 in quick mode) is too few to leave start-up
// costs behind: this client has a knob of its own
const quick = process.env.BENCH_QUICK === '1';
const total = Number(process.env.OUTBOUND_FRAMES ?? (quick ? 10000 : 20000));
const reps = Number(process.env.OUTBOUND_REPS ?? (quick ? 1 : process.env.BENCH_REPS ?? 3));
const db = new pg.Client();
await db.connect();
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

// A receiver counting POSTs; hang: never answers.
async function receiver(hang = false) {
  const r = { count: 0, pending: new Set() };
  r.server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (hang) { r.pending.add(res); return; }
      r.count++;
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${r.server.address().port}/`;
  return r;
}

// Turns keep-alive on or off and lets the worker reread its configuration.
async function keepAlive(on) {
  await db.query(`ALTER SYSTEM SET streamflow.outbound_keep_alive = ${on ? 'on' : 'off'}`);
  await db.query('SELECT pg_reload_conf()');
  await sleep(300);
}

let serial = 0;
// A stream delivering round-robin to urls (or to its one url).
async function stream(urls) {
  const id = `bench_out_${process.pid}_${serial++}`;
  await db.query('SELECT streamflow.create_stream($1::jsonb)', [JSON.stringify({
    id, name: id, webhook_secret: 'bench-secret-0123456789',
    retry_policy: { max_retries: 1, backoff_ms: 60000 },
    multiplexing: { destinations: urls, strategy: 'round-robin' } })]);
  return id;
}

// Seconds until total frames over n healthy destinations are acknowledged
// (with a hanging destination's stream committed beside them when hang).
async function run(n, hang) {
  const receivers = [];
  for (let i = 0; i < n; i++) receivers.push(await receiver());
  const stuck = hang ? await receiver(true) : null;
  const healthy = await stream(receivers.map((r) => r.url));
  const stuckStream = stuck ? await stream([stuck.url]) : null;
  const frames = JSON.stringify(Array.from({ length: total }, (_, k) => ({ payload: { k, text: 'x'.repeat(100) } })));
  await db.query('BEGIN');
  await db.query('SELECT streamflow.ingest_batch($1, $2::jsonb)', [healthy, frames]);
  if (stuckStream) await db.query('SELECT streamflow.ingest_batch($1, $2::jsonb)', [stuckStream, frames]);
  await db.query('COMMIT');
  const start = process.hrtime.bigint();
  while (receivers.reduce((s, r) => s + r.count, 0) < total) await sleep(2);
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  for (const id of [healthy, stuckStream]) if (id) await db.query('SELECT streamflow.drop_stream($1)', [id]);
  for (const r of [...receivers, stuck]) {
    if (!r) continue;
    for (const res of r.pending) res.destroy();
    r.server.closeAllConnections();
    r.server.close();
  }
  return secs;
}

const records = [];
const cases = [
  { name: '1 destination', n: 1, hang: false },
  { name: '10 destinations', n: 10, hang: false },
  { name: '100 destinations', n: 100, hang: false },
  { name: '10 destinations beside 1 hanging', n: 10, hang: true },
];
for (let rep = 1; rep <= reps; rep++) {
  for (const c of cases) {
    // alternate which variant goes first
    const order = rep % 2 ? [true, false] : [false, true];
    for (const on of order) {
      await keepAlive(on);
      const secs = await run(c.n, c.hang);
      const variant = on ? 'keep-alive' : 'connection per request';
      records.push({ workload: 'outbound', case: c.name, variant, baseline: 'connection per request',
        rep, frames: total, seconds: secs, cpu_seconds: null });
      // the hanging case beside its no-hang twin: healthy destinations' rate, same settings
      if (c.hang) {
        records.push({ workload: 'outbound', case: `10 healthy destinations' rate (${variant})`, variant: 'beside 1 hanging',
          baseline: 'alone', rep, frames: total, seconds: secs, cpu_seconds: null });
        const alone = records.find((r) => r.case === '10 destinations' && r.variant === variant && r.rep === rep);
        records.push({ ...alone, case: `10 healthy destinations' rate (${variant})`, variant: 'alone', baseline: 'alone' });
      }
      console.log(JSON.stringify({ bench: 'outbound', case: c.name, variant, rep, frames: total,
        seconds: Number(secs.toFixed(3)), deliveries_per_s: Math.round(total / secs) }));
    }
  }
}
await db.query('ALTER SYSTEM RESET streamflow.outbound_keep_alive');
await db.query('SELECT pg_reload_conf()');
// make bench (scripts/bench.sh) merges this into bench-results.json
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify({ records }) + '\n');
await db.end();
