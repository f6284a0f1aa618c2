// Outbound deliveries per second to local receivers (node HTTP servers on
// loopback answering 200 at once): frames are committed first, then the
// clock runs until the last one is acknowledged.  Cases: 1 destination,
// 10 destinations, and 10 destinations beside one that never answers.
// Usage: node outbound_bench.mjs (PGHOST/PGPORT/PGDATABASE/PGUSER set).
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const total = Number(process.env.FRAMES ?? 5000);
const db = new pg.Client();
await db.connect();

// A receiver counting POSTs; hang: never answers.
async function receiver(hang = false) {
  const r = { count: 0 };
  r.server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      r.count++;
      if (!hang) { res.writeHead(200); res.end(); }
    });
  });
  await new Promise((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${r.server.address().port}/`;
  return r;
}

// Deliveries/s of total frames spread over n destinations (plus one hanging).
async function run(n, withHanging) {
  const receivers = [];
  for (let i = 0; i < n; i++) receivers.push(await receiver());
  const stuck = withHanging ? await receiver(true) : null;
  const streams = [];
  const all = stuck ? [...receivers, stuck] : receivers;
  for (const [i, r] of all.entries()) {
    const id = `bench_out_${process.pid}_${n}_${i}`;
    await db.query('SELECT streamflow.create_stream($1::jsonb)', [JSON.stringify({
      id, name: id, destination_url: r.url, webhook_secret: 'bench-secret-0123456789',
      retry_policy: { max_retries: 1, backoff_ms: 60000 } })]);
    streams.push(id);
  }
  // the frames are committed before the worker may start (one transaction)
  const per = Math.ceil(total / n);
  const frames = JSON.stringify(Array.from({ length: per }, (_, k) => ({ payload: { k, text: 'x'.repeat(100) } })));
  const start = process.hrtime.bigint();
  await db.query('BEGIN');
  for (const id of streams) await db.query('SELECT streamflow.ingest_batch($1, $2::jsonb)', [id, frames]);
  await db.query('COMMIT');
  const want = per * n;
  while (receivers.reduce((s, r) => s + r.count, 0) < want) await new Promise((ok) => setTimeout(ok, 5));
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  for (const id of streams) await db.query('SELECT streamflow.drop_stream($1)', [id]);
  for (const r of all) { r.server.closeAllConnections(); r.server.close(); }
  return { delivered: want, secs, rate: want / secs, stuck: stuck ? stuck.count : null };
}

const records = [];
for (const [n, hang] of [[1, false], [10, false], [10, true]]) {
  const r = await run(n, hang);
  records.push({ workload: 'outbound', case: `${n} destination(s)${hang ? ' + 1 hanging' : ''}`,
    variant: 'streamflow', baseline: 'streamflow', rep: 1, frames: r.delivered, seconds: r.secs, cpu_seconds: null });
  console.log(`${n} destination(s)${hang ? ' + 1 hanging' : ''}: ${r.delivered} deliveries in ${r.secs.toFixed(2)} s = ${Math.round(r.rate)}/s` +
    (hang ? ` (the hanging one received ${r.stuck} request(s))` : ''));
}
// make bench (scripts/bench.sh) merges this into bench-results.json
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify({ records }) + '\n');
await db.end();
