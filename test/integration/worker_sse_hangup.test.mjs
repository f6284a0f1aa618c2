// SSE peers that hang up are found without the worker spinning: a client
// that closes its EventSource connection is freed (its subscription ends),
// and many such hang-ups cost the worker next to no CPU time.  Runs alone
// (scripts/test.sh runs worker*.test.mjs one by one): it reads the worker's
// CPU time, which other tests' traffic would add to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { connect, freshStream } from './helpers.mjs';
import { useNewToken, withToken, httpPort } from './live_clients.mjs';

let db;

before(async () => {
  db = await connect();
  await useNewToken(db);
});
after(async () => { await db.end(); });

// The worker's CPU time (user + system) in clock ticks, from /proc.
async function workerCpuTicks() {
  const { rows: [r] } = await db.query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'streamflow http'");
  const fields = readFileSync(`/proc/${r.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

// The stream's subscribers as the stats view shows them.
async function subscribers(stream) {
  const { rows: [r] } = await db.query('SELECT subscribers FROM streamflow.stream_stats WHERE stream_id = $1', [stream]);
  return r.subscribers;
}

async function until(pred) {
  while (!(await pred())) await new Promise((r) => setTimeout(r, 20));
}

// Opens an SSE request and resolves once the 200 headers arrived; the caller destroys it.
function openEvents(stream) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: httpPort, path: withToken(`/streams/${stream}/events`) }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
      resolve(req);
    });
    req.on('error', () => {});
  });
}

test('hung-up SSE peers are freed, without the worker spinning', { timeout: 120000 }, async () => {
  const id = await freshStream(db);
  const n = 30;
  const ticks = await workerCpuTicks();
  for (let i = 0; i < n; i++) {
    const req = await openEvents(id);
    await until(async () => (await subscribers(id)) === 1);
    req.destroy();
    await until(async () => (await subscribers(id)) === 0);
  }
  const used = (await workerCpuTicks()) - ticks;
  // a tick is 10 ms: spinning until each hang-up is noticed would cost tens of ticks
  assert.ok(used < n / 2, `the worker used ${used} ticks of CPU for ${n} hang-ups`);
});
