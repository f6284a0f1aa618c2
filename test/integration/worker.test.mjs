// The transport worker over real HTTP: /health and 404 answers, and the
// worker surviving reloads, pg_terminate_backend, kill -9 and DROP DATABASE
// of another database.  Runs alone (scripts/test.sh): kill -9 of a backend
// makes the postmaster restart every backend.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pg from 'pg';

const port = Number(process.env.STREAMFLOW_HTTP_PORT);
const base = `http://127.0.0.1:${port}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let client;

// A connected client, retrying while the server restarts after a crash.
async function db() {
  if (client) return client;
  const deadline = Date.now() + 15000;
  for (;;) {
    const c = new pg.Client();
    c.on('error', () => { if (client === c) client = null; });
    try {
      await c.connect();
      client = c;
      return c;
    } catch (err) {
      await c.end().catch(() => {});
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

// The worker's pid, or null when it is not running.
async function workerPid() {
  const { rows } = await (await db()).query(
    "SELECT pid FROM pg_stat_activity WHERE backend_type = 'streamflow http'");
  return rows.length ? rows[0].pid : null;
}

// Resolves with the first 200 from /health within ms, else throws.
async function waitForHealth(ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const res = await fetch(`${base}/health`);
      if (res.status === 200) return res.json();
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`/health not answering within ${ms} ms`);
    await sleep(50);
  }
}

after(async () => { if (client) await client.end().catch(() => {}); });

test('STREAMFLOW_HTTP_PORT is set', () => {
  assert.ok(port > 0, 'scripts/test.sh exports the worker port');
});

test('GET /health answers 200 JSON with the database, uptime and stream count', async () => {
  await waitForHealth(5000);
  const res = await fetch(`${base}/health`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  const body = await res.json();
  assert.equal(body.status, 'ok');
  assert.equal(body.database, process.env.PGDATABASE);
  assert.ok(Number.isInteger(body.uptime_s) && body.uptime_s >= 0);
  assert.equal(body.extension, '0.1.0');
  const { rows } = await (await db()).query('SELECT count(*)::int AS n FROM streamflow.streams');
  assert.equal(body.streams, rows[0].n);
});

test('an unknown path answers 404 JSON naming the path', async () => {
  const res = await fetch(`${base}/no/such/path?x=1`);
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: 'not found', path: '/no/such/path' });
});

test('a known path with another method answers 405 JSON', async () => {
  const res = await fetch(`${base}/health`, { method: 'DELETE' });
  assert.equal(res.status, 405);
  assert.deepEqual(await res.json(), { error: 'method not allowed', path: '/health' });
});

test('concurrent requests are all answered', async () => {
  const answers = await Promise.all(
    Array.from({ length: 50 }, (_, i) => fetch(`${base}/${i % 2 ? 'health' : 'missing'}`)
      .then(async (r) => [r.status, await r.json()])));
  for (const [i, [status, body]] of answers.entries()) {
    if (i % 2) assert.equal(status, 200), assert.equal(body.status, 'ok');
    else assert.equal(status, 404), assert.equal(body.path, '/missing');
  }
});

test('an idle worker does not spin (CPU ticks over 2 s)', async () => {
  const pid = await workerPid();
  const ticks = () => {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  };
  const before = ticks();
  await sleep(2000);
  assert.ok(ticks() - before <= 2, 'at most 20 ms of CPU in 2 s of idling');
});

test('an error in a handler answers 500 JSON and the worker carries on', async () => {
  const c = await db();
  const pid = await workerPid();
  await c.query('ALTER TABLE streamflow.streams RENAME TO streams_away');
  try {
    const res = await fetch(`${base}/health`);
    assert.equal(res.status, 500);
    assert.deepEqual(await res.json(), { error: 'internal error', path: '/health' });
  } finally {
    await c.query('ALTER TABLE streamflow.streams_away RENAME TO streams');
  }
  assert.equal((await waitForHealth(2000)).status, 'ok');
  assert.equal(await workerPid(), pid, 'the same worker process');
});

test('pg_reload_conf keeps the worker serving (same process)', async () => {
  const pid = await workerPid();
  await (await db()).query('SELECT pg_reload_conf()');
  await sleep(300);
  await waitForHealth(2000);
  assert.equal(await workerPid(), pid);
});

test('a reload that changes streamflow.port moves the listener', async () => {
  const c = await db();
  const moved = port + 100;
  await c.query(`ALTER SYSTEM SET streamflow.port = ${moved}`);
  await c.query('SELECT pg_reload_conf()');
  try {
    const deadline = Date.now() + 5000;
    for (;;) {
      const res = await fetch(`http://127.0.0.1:${moved}/health`).catch(() => null);
      if (res && res.status === 200) break;
      assert.ok(Date.now() < deadline, 'the worker listens on the new port within 5 s');
      await sleep(100);
    }
  } finally {
    await c.query('ALTER SYSTEM RESET streamflow.port');
    await c.query('SELECT pg_reload_conf()');
  }
  await waitForHealth(5000);
});

test('pg_cron_318_pg_net_78: DROP DATABASE of another database is not held up by the worker', async () => {
  const c = await db();
  await c.query('DROP DATABASE IF EXISTS sf_worker_victim');
  await c.query('CREATE DATABASE sf_worker_victim');
  const started = Date.now();
  await c.query('DROP DATABASE sf_worker_victim');
  assert.ok(Date.now() - started < 3000, `DROP DATABASE took ${Date.now() - started} ms`);
  await waitForHealth(2000);
});

test('pg_terminate_backend: the worker exits and is restarted within bgw_restart_time', async () => {
  const pid = await workerPid();
  assert.ok(pid, 'the worker is running');
  const started = Date.now();
  await (await db()).query('SELECT pg_terminate_backend($1)', [pid]);
  let newPid;
  while ((newPid = await workerPid()) === pid || newPid === null) {
    assert.ok(Date.now() - started < 5000, 'a new worker within 5 s');
    await sleep(50);
  }
  await waitForHealth(5000);
  assert.ok(Date.now() - started < 5000);
});

test('kill -9: the postmaster restarts the worker and it serves again', async () => {
  const pid = await workerPid();
  assert.ok(pid, 'the worker is running');
  process.kill(pid, 'SIGKILL');
  client = null; // the crash restart ends every session
  await sleep(200);
  const body = await waitForHealth(15000);
  assert.equal(body.status, 'ok');
  const newPid = await workerPid();
  assert.ok(newPid && newPid !== pid);
});
