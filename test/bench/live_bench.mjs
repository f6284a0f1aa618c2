// Live delivery benchmarks: streamflow's worker side by side with the Node
// relay a user would write instead (test/bench/relay/relay.mjs: npm `pg`
// LISTEN on the bus + npm `ws` broadcast), on a running cluster (PG* env,
// STREAMFLOW_HTTP_PORT for the worker, streamflow.auth = none).  Run through
// live_bench.sh by make bench.
//
//   node live_bench.mjs [latency|fanout|idle ...]   (default: all three)
//
// Each workload runs its variants alternating (order rotated per repetition),
// BENCH_REPS repetitions (at least 3), and reports medians and the ratio to
// the relay:
//  - latency: commit -> subscriber latency p50/p95/p99 at 1k and 10k frames/s,
//    streamflow over WebSocket and SSE, the relay over WebSocket.  Every frame
//    carries the wall clock of its ingest statement (clock_timestamp(), ms);
//    the subscriber subtracts it from its own clock on receipt (same machine).
//    Two writers commit every 10 ms a batch of RATE/100 frames, SECS seconds.
//  - fanout: deliveries/s to 100 and 1,000 WebSocket subscribers of one
//    stream (FRAMES frames in 100-frame commits), and the CPU time the
//    delivering server spent: the 'streamflow http' worker, or the relay's
//    node process plus the PostgreSQL backend that feeds its LISTEN.
//  - idle: private RSS (RssAnon) of the worker and of the relay idle and with
//    IDLE idle WebSocket connections to a stream of default configuration.
// Prints one line per run, writes BENCH_OUT ({records, tables, goals}, read
// by scripts/bench_report.mjs) when set.
import pg from 'pg';
import WebSocket from 'ws';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const httpPort = Number(process.env.STREAMFLOW_HTTP_PORT);
const relayPort = Number(process.env.RELAY_PORT || httpPort + 1);
const reps = Math.max(3, Number(process.env.BENCH_REPS || 3));
const secs = Number(process.env.SECS || 5);
const fanoutFrames = Number(process.env.FRAMES || 1000);
const idleConnections = Number(process.env.IDLE || 10000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CLK_TCK = 100; // getconf CLK_TCK on Linux

// CPU seconds (user + system) pid has used so far.
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

// Private resident memory of pid in kB (RssAnon: the worker's VmRSS also
// counts the shared buffers and ring pages it has touched, which no
// connection costs).
const rss = (pid) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/RssAnon:\s+(\d+)/)[1]);

// Median of numbers.
function median(xs) {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

// The q-quantile of sorted xs.
const quantile = (xs, q) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))];

// The variants in an order rotated by the repetition number (lib.sh's rotate).
const rotate = (r, xs) => xs.map((_, i) => xs[(i + r) % xs.length]);

// Starts the relay; resolves with {proc, pid, backendPid}.
function startRelay() {
  const file = fileURLToPath(new URL('relay/relay.mjs', import.meta.url));
  const proc = spawn(process.execPath, [file, String(relayPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
    createInterface({ input: proc.stdout }).once('line', (line) => {
      const m = JSON.parse(line);
      resolve({ proc, pid: m.pid, backendPid: m.backend_pid });
    });
  });
}

// A fresh stream's id; deep (per-subscriber queues of 100,000 frames, so no
// run drops frames) or with the default configuration.
async function newStream(db, { deep = true } = {}) {
  const id = `bench_${process.pid}_${Date.now()}`;
  const config = deep ? { backpressure: { max_queue_size: 100000 } } : {};
  await db.query('SELECT streamflow.create_stream($1::jsonb)', [JSON.stringify({ id, name: id, ...config })]);
  return id;
}

// Opens a WebSocket subscriber; onFrame(t, receivedAt) per frame, t its embedded clock.
// streamflow sends seed 000's message (t in .data), the relay the NOTIFY payload (t in .payload).
function wsSubscriber(variant, id, onFrame) {
  const url = variant === 'relay_ws' ? `ws://127.0.0.1:${relayPort}/streams/${id}`
    : `ws://127.0.0.1:${httpPort}/streams/${id}/ws`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('message', (data) => {
      const now = performance.timeOrigin + performance.now();
      const m = JSON.parse(data);
      if (m.type === 'subscribed') resolve({ close: () => ws.terminate() });
      else if (m.type === undefined) onFrame((m.data ?? m.payload).t, now);
    });
    ws.on('error', reject);
  });
}

// Opens an SSE subscriber on streamflow's /events (plain node:http, parsing data: lines).
function sseSubscriber(id, onFrame) {
  return new Promise((resolve, reject) => {
    const req = http.get(`http://127.0.0.1:${httpPort}/streams/${id}/events`, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE: HTTP ${res.statusCode}`));
        return;
      }
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const now = performance.timeOrigin + performance.now();
        buf += chunk;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const event = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = event.split('\n').find((l) => l.startsWith('data: '));
          if (data) onFrame(JSON.parse(data.slice(6)).data.t, now);
        }
      });
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

const subscriber = (variant, id, onFrame) =>
  (variant === 'streamflow_sse' ? sseSubscriber(id, onFrame) : wsSubscriber(variant, id, onFrame));

// Ingests n frames stamped with their statement's wall clock, in one commit.
function ingestStamped(db, id, n) {
  return db.query(
    `SELECT streamflow.ingest_batch($1, (SELECT jsonb_agg(jsonb_build_object('payload',
       jsonb_build_object('t', extract(epoch FROM clock_timestamp()) * 1000, 'i', i)))
       FROM generate_series(1, $2) i))`, [id, n]);
}

// One latency run: RATE frames/s for SECS seconds to one subscriber.
async function latencyRun(writers, variant, rate) {
  const id = await newStream(writers[0]);
  const lat = [];
  const sub = await subscriber(variant, id, (t, now) => lat.push(now - t));
  await sleep(200);
  const perBatch = Math.max(1, Math.round(rate / 100));
  const start = Date.now();
  let sent = 0;
  let k = 0;
  const inflight = new Set();
  while (Date.now() - start < secs * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    while (sent + perBatch <= due) {
      const p = ingestStamped(writers[k++ % 2], id, perBatch).finally(() => inflight.delete(p));
      inflight.add(p);
      sent += perBatch;
      if (inflight.size >= 2) await Promise.race(inflight);
    }
    await sleep(2);
  }
  await Promise.all(inflight);
  const deadline = Date.now() + 10000;
  while (lat.length < sent && Date.now() < deadline) await sleep(20);
  sub.close();
  await writers[0].query('SELECT streamflow.drop_stream($1)', [id]);
  lat.sort((x, y) => x - y);
  return { achieved_rate: Math.round(sent / secs), frames: sent, received: lat.length,
    p50_ms: quantile(lat, 0.5), p95_ms: quantile(lat, 0.95), p99_ms: quantile(lat, 0.99), max_ms: lat.at(-1) };
}

// One fan-out run: FRAMES frames to n subscribers; deliveries/s and the server's CPU seconds.
async function fanoutRun(db, variant, n, serverPids) {
  const id = await newStream(db);
  let delivered = 0;
  let last = 0;
  const subs = [];
  for (let i = 0; i < n; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 100); j++) {
      batch.push(subscriber(variant, id, () => { delivered++; last = Date.now(); }));
    }
    subs.push(...(await Promise.all(batch)));
  }
  await sleep(200);
  const cpu0 = serverPids.reduce((s, p) => s + cpuSeconds(p), 0);
  const start = Date.now();
  for (let done = 0; done < fanoutFrames; done += 100) await ingestStamped(db, id, Math.min(100, fanoutFrames - done));
  const deadline = Date.now() + 120000;
  while (delivered < n * fanoutFrames && Date.now() < deadline) await sleep(10);
  const cpu = serverPids.reduce((s, p) => s + cpuSeconds(p), 0) - cpu0;
  for (const s of subs) s.close();
  await db.query('SELECT streamflow.drop_stream($1)', [id]);
  return { delivered, expected: n * fanoutFrames, seconds: (last - start) / 1000, cpu_seconds: cpu };
}

// n idle WebSocket subscribers of one stream; the server's RSS before and after.
async function idleRun(db, variant, n, pid) {
  const id = await newStream(db, { deep: false });
  const before = rss(pid);
  const subs = [];
  let failed = 0;
  for (let i = 0; i < n; i += 200) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 200); j++) batch.push(subscriber(variant, id, () => {}).catch(() => { failed++; }));
    subs.push(...(await Promise.all(batch)).filter(Boolean));
  }
  await sleep(1000);
  const after = rss(pid);
  for (const s of subs) s.close();
  await sleep(500);
  await db.query('SELECT streamflow.drop_stream($1)', [id]);
  return { connections: subs.length, failed, rss_idle_kb: before, rss_connected_kb: after,
    kb_per_connection: +((after - before) / Math.max(1, subs.length)).toFixed(2) };
}

const fmt = (x, d = 2) => (x == null ? '' : Number(x).toFixed(d));
const out = { records: [], tables: [], goals: [] };

async function latency(writers) {
  const variants = ['streamflow_ws', 'streamflow_sse', 'relay_ws'];
  const rows = [];
  for (const rate of [1000, 10000]) {
    const runs = Object.fromEntries(variants.map((v) => [v, []]));
    for (let r = 0; r < reps; r++) {
      for (const v of rotate(r, variants)) {
        const x = await latencyRun(writers, v, rate);
        runs[v].push(x);
        console.log(`latency rep ${r + 1}  ${rate} frames/s  ${v.padEnd(15)} p50 ${fmt(x.p50_ms)}  p95 ${fmt(x.p95_ms)}  ` +
          `p99 ${fmt(x.p99_ms)}  max ${fmt(x.max_ms)} ms  (${x.received}/${x.frames} received, ${x.achieved_rate}/s)`);
      }
    }
    const med = (v, k) => median(runs[v].map((x) => x[k]));
    for (const v of variants) {
      const lost = runs[v].reduce((s, x) => s + x.frames - x.received, 0);
      rows.push([`${rate.toLocaleString('en-US')} frames/s`, v, fmt(med(v, 'p50_ms')), fmt(med(v, 'p95_ms')),
        fmt(med(v, 'p99_ms')), fmt(med(v, 'p99_ms') / med('relay_ws', 'p99_ms')), fmt(med(v, 'max_ms')),
        String(med(v, 'achieved_rate')), String(lost)]);
    }
    if (rate === 10000) {
      const p99 = med('streamflow_ws', 'p99_ms');
      out.goals.push({ goal: 'commit -> WebSocket p99 <= 10 ms at 10k frames/s', case: `median of ${reps} runs`,
        target: '<= 10', measured: +p99.toFixed(2), met: p99 <= 10 });
    }
  }
  out.tables.push({
    title: `commit -> subscriber latency (ms; medians of ${reps} alternating runs of ${secs} s; p99 ratio to the relay, lower is better)`,
    columns: ['rate', 'variant', 'p50', 'p95', 'p99', 'p99 / relay', 'max', 'frames/s achieved', 'frames not received'],
    rows,
  });
}

async function fanout(db, worker, relay) {
  const variants = ['streamflow_ws', 'relay_ws'];
  const pids = { streamflow_ws: [worker], relay_ws: [relay.pid, relay.backendPid] };
  for (const n of [100, 1000]) {
    const perVariant = { streamflow_ws: [], relay_ws: [] };
    for (let r = 0; r < reps; r++) {
      for (const v of rotate(r, variants)) {
        const x = await fanoutRun(db, v, n, pids[v]);
        if (x.delivered !== x.expected) console.log(`fanout: ${v} delivered ${x.delivered} of ${x.expected}`);
        out.records.push({ workload: 'fanout', case: `${n} WebSocket subscribers, ${fanoutFrames} frames`, variant: v,
          baseline: 'relay_ws', rep: r + 1, frames: x.delivered, seconds: x.seconds, cpu_seconds: x.cpu_seconds });
        perVariant[v].push(x);
        console.log(`fanout rep ${r + 1}  ${n} subscribers  ${v.padEnd(15)} ${Math.round(x.delivered / x.seconds)} deliveries/s  ` +
          `${fmt(x.cpu_seconds)} CPU-s  (${x.delivered}/${x.expected})`);
      }
    }
    const rate = (v) => median(perVariant[v].map((x) => x.delivered / x.seconds));
    const perCpu = (v) => median(perVariant[v].map((x) => x.delivered / x.cpu_seconds));
    out.goals.push({ goal: 'fan-out >= 3 x the Node relay (deliveries/s)', case: `${n} subscribers`, target: 3,
      measured: +(rate('streamflow_ws') / rate('relay_ws')).toFixed(2), met: rate('streamflow_ws') / rate('relay_ws') >= 3 });
    out.goals.push({ goal: 'fan-out >= 3 x the Node relay (deliveries per server CPU-s)', case: `${n} subscribers`, target: 3,
      measured: +(perCpu('streamflow_ws') / perCpu('relay_ws')).toFixed(2), met: perCpu('streamflow_ws') / perCpu('relay_ws') >= 3 });
  }
}

async function idle(db, worker, relay) {
  const rows = [];
  for (const [v, pid] of [['streamflow_ws', worker], ['relay_ws', relay.pid]]) {
    const x = await idleRun(db, v, idleConnections, pid);
    console.log(`idle  ${v.padEnd(15)} ${x.connections} connections (${x.failed} failed): RSS ${x.rss_idle_kb} -> ${x.rss_connected_kb} kB, ${x.kb_per_connection} kB each`);
    rows.push([v === 'streamflow_ws' ? "worker ('streamflow http')" : 'relay (node)', String(x.rss_idle_kb),
      String(x.connections), String(x.rss_connected_kb), String(x.kb_per_connection), String(x.failed)]);
    if (v === 'streamflow_ws') {
      out.goals.push({ goal: '<= 16 KB per idle WebSocket connection (worker RSS)', case: `${x.connections} connections`,
        target: '<= 16', measured: x.kb_per_connection, met: x.kb_per_connection <= 16 });
    }
  }
  out.tables.push({
    title: 'memory: private resident memory (RssAnon) idle and with idle WebSocket connections (the relay\'s PostgreSQL backend not counted)',
    columns: ['server', 'RSS idle (kB)', 'connections', 'RSS connected (kB)', 'kB per connection', 'failed'],
    rows,
  });
}

const modes = process.argv.slice(2).length ? process.argv.slice(2) : ['latency', 'fanout', 'idle'];
const unknown = modes.filter((m) => !['latency', 'fanout', 'idle'].includes(m));
if (unknown.length) {
  console.error(`usage: live_bench.mjs [latency] [fanout] [idle] (unknown: ${unknown.join(' ')})`);
  process.exit(2);
}
const db = new pg.Client();
await db.connect();
const writer2 = new pg.Client();
await writer2.connect();
const { rows: [w] } = await db.query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'streamflow http'");
if (!w) throw new Error("no 'streamflow http' worker is running");
const relay = await startRelay();
console.log(`worker pid ${w.pid}, relay pid ${relay.pid} (its LISTEN backend ${relay.backendPid}); ${reps} repetitions`);
try {
  // idle first: the memory figures of a worker that has not delivered yet
  if (modes.includes('idle')) await idle(db, w.pid, relay);
  if (modes.includes('latency')) await latency([db, writer2]);
  if (modes.includes('fanout')) await fanout(db, w.pid, relay);
} finally {
  relay.proc.removeAllListeners('exit');
  relay.proc.kill();
  await db.end();
  await writer2.end();
}
if (process.env.BENCH_OUT) writeFileSync(process.env.BENCH_OUT, JSON.stringify(out, null, 2) + '\n');
for (const g of out.goals) console.log(`${g.met ? 'met  ' : 'SHORT'} ${g.goal} [${g.case}]: ${g.measured} (target ${g.target})`);
process.exit(0);
