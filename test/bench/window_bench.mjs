// Windows benchmark (issue 6), a make bench Node client (scripts/bench.sh):
//   throughput: ingest_batch of 100 ~200-byte frames per transaction, one
//     client, for SECS seconds into a stream with 0, 1 and 10 active windows
//     (tumbling 1 s, group_by over 100 users, count/sum/avg/max), variants
//     alternating, REPS repetitions; records per run, baseline 0 windows.
//   close delay: a steady trickle of frames into a stream with one 500 ms
//     tumbling window (grace 0); for every result, the derived frame's
//     created_at (the close transaction's start) minus window_end + grace;
//     p50/p95/max, goal p95 < 100 ms.
//   Each throughput run also records the worker's CPU seconds (/proc, the
//   'streamflow http' backend: the windows' cost lands there, not in the
//   ingesting backend) and the worker's ring catch-ups (/metrics; a catch-up
//   means the worker fell behind and reread frames from the table).
// Output: one JSON line per run, and BENCH_OUT {records, goals}.
// Standalone: PGHOST=... PGPORT=... PGUSER=postgres PGDATABASE=... \
//   STREAMFLOW_HTTP_PORT=<PGPORT + 3000> SECS=3 BENCH_REPS=3 node test/bench/window_bench.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';

const SECS = Number(process.env.SECS || process.env.BENCH_SECS || 3);
const REPS = Number(process.env.BENCH_REPS || 3);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const db = new pg.Client();
await db.connect();

const WINDOW = (i) => ({
  type: 'tumbling', size: 1000, group_by: '$.user_id',
  aggregates: { n: { fn: 'count' }, total: { fn: 'sum', path: '$.value' }, mean: { fn: 'avg', path: '$.value' }, top: { fn: 'max', path: `$.value` } },
  max_groups: 1000 + i,
});

// A stream with n windows; its id.
async function setup(n) {
  const id = `bench_win_${n}`;
  await db.query('SELECT streamflow.drop_window(name) FROM streamflow.windows WHERE stream_id = $1', [id]);
  await db.query('SELECT streamflow.drop_stream($1) FROM streamflow.streams WHERE id = $1', [id]);
  await db.query('SELECT streamflow.create_stream($1::jsonb)', [JSON.stringify({ name: id, id })]);
  for (let i = 0; i < n; i++)
    await db.query('SELECT streamflow.create_window($1, $2, $3)', [id, `${id}_w${i}`, JSON.stringify(WINDOW(i))]);
  return id;
}

const batch = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({
  payload: { user_id: `user_${i}`, value: i * 1.5, event_type: 'view', pad: 'x'.repeat(120) },
})));

// CPU seconds (user + system) of the worker so far; null when not readable here.
const CLK_TCK = 100;
async function workerCpu() {
  const { rows } = await db.query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'streamflow http'");
  if (rows.length === 0) return null;
  try {
    const f = readFileSync(`/proc/${rows[0].pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch { return null; }
}

// The worker's ring catch-ups so far (from /metrics); null without the HTTP port.
async function catchUps() {
  const port = process.env.STREAMFLOW_HTTP_PORT;
  if (!port) return null;
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = text.match(/^streamflow_worker_ring_catch_ups_total (\d+)/m);
    return m ? Number(m[1]) : null;
  } catch { return null; }
}

// Frames per second ingested into stream for SECS seconds.
async function ingestRun(stream) {
  let frames = 0;
  const t0 = process.hrtime.bigint();
  const end = Date.now() + SECS * 1000;
  while (Date.now() < end) {
    await db.query('SELECT streamflow.ingest_batch($1, $2::jsonb)', [stream, batch]);
    frames += 100;
  }
  return { frames, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const records = [];
const variants = [0, 1, 10];
const streams = {};
for (const n of variants) streams[n] = await setup(n);
await sleep(1500); // the worker loads the windows
const caseName = 'ingest_batch of 100 frames, 1 client';
for (let r = 1; r <= REPS; r++) {
  for (let k = 0; k < variants.length; k++) {
    const n = variants[(k + r) % variants.length];
    const [cpu0, laps0] = [await workerCpu(), await catchUps()];
    const { frames, seconds } = await ingestRun(streams[n]);
    await sleep(500); // the worker finishes the run's frames
    const [cpu1, laps1] = [await workerCpu(), await catchUps()];
    const rec = {
      workload: 'window', case: caseName, variant: `${n}_windows`, baseline: '0_windows', rep: r, frames, seconds, cpu_seconds: null,
      worker_cpu_seconds: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0,
      worker_catch_ups: laps0 === null || laps1 === null ? null : laps1 - laps0,
    };
    records.push(rec);
    console.log(JSON.stringify(rec));
  }
}

// Close delay: the worker's close after window end + grace, as the derived frames' created_at.
const delayStream = 'bench_win_delay';
await setup(0);
await db.query('SELECT streamflow.drop_window(name) FROM streamflow.windows WHERE stream_id = $1', [delayStream]);
await db.query('SELECT streamflow.drop_stream($1) FROM streamflow.streams WHERE id = $1', [delayStream]);
await db.query('SELECT streamflow.create_stream($1::jsonb)', [JSON.stringify({ name: delayStream, id: delayStream })]);
const delayWindow = `${delayStream}_w`;
const { rows: [w] } = await db.query('SELECT * FROM streamflow.create_window($1, $2, $3)',
  [delayStream, delayWindow, JSON.stringify({ type: 'tumbling', size: 500, aggregates: { n: { fn: 'count' } } })]);
await sleep(3000); // the worker finishes the throughput runs' frames first
const trickleEnd = Date.now() + Math.max(SECS, 5) * 1000;
while (Date.now() < trickleEnd) {
  await db.query('SELECT streamflow.ingest($1, $2)', [delayStream, { v: 1 }]);
  await sleep(20);
}
await sleep(1500);
const { rows: delays } = await db.query(
  `SELECT extract(epoch FROM f.created_at - (f.payload->>'window_end')::timestamptz) * 1000 AS ms
   FROM streamflow.frames f WHERE f.stream_id = $1 ORDER BY ms`, [w.derived_stream_id]);
const ms = delays.map((d) => Number(d.ms));
const pct = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))];
const delay = { workload: 'window_delay', windows: ms.length, p50_ms: pct(0.5), p95_ms: pct(0.95), max_ms: ms[ms.length - 1] };
console.log(JSON.stringify(delay));

// medians per variant, for the goal lines
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const rate = (n) => median(records.filter((x) => x.variant === `${n}_windows`).map((x) => x.frames / x.seconds));
const ratios = { one: rate(1) / rate(0), ten: rate(10) / rate(0) };
// worker CPU microseconds per frame, median per variant
const cpuPerFrame = (n) => {
  const a = records.filter((x) => x.variant === `${n}_windows` && x.worker_cpu_seconds !== null).map((x) => x.worker_cpu_seconds * 1e6 / x.frames);
  return a.length ? median(a) : null;
};
const laps = (n) => records.filter((x) => x.variant === `${n}_windows`).reduce((s, x) => s + (x.worker_catch_ups || 0), 0);
console.log(JSON.stringify({
  workload: 'window_ratio', frames_per_s_0: rate(0), frames_per_s_1: rate(1), frames_per_s_10: rate(10),
  ratio_1_window: ratios.one, ratio_10_windows: ratios.ten,
  worker_cpu_us_per_frame: { 0: cpuPerFrame(0), 1: cpuPerFrame(1), 10: cpuPerFrame(10) },
  worker_catch_ups: { 0: laps(0), 1: laps(1), 10: laps(10) },
}));
const goals = [
  { goal: 'ingest throughput with 10 windows within 10 % of 0 windows (median ratio)', case: caseName, target: '>= 0.90', measured: ratios.ten.toFixed(3), met: ratios.ten >= 0.9 },
  { goal: 'window result frame within 100 ms of window end + grace (p95)', case: 'close delay, 500 ms tumbling', target: '< 100 ms', measured: `${delay.p95_ms?.toFixed(1)} ms`, met: delay.p95_ms < 100 },
];
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify({ records, goals, delay, ratios }) + '\n');
await db.end();
