// The worker under duress, over real HTTP: a statement that waits too long
// is canceled by streamflow.worker_statement_timeout and answered 503 while
// the loop serves on; DROP DATABASE of the worker's own database (plain: 55006
// like any session; WITH (FORCE): the worker is terminated, the launcher logs
// once and waits, and starts it again when the database is back).  Runs alone
// (scripts/test.sh): it moves the worker to another database.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pg from 'pg';

const base = `http://127.0.0.1:${Number(process.env.STREAMFLOW_HTTP_PORT)}`;
const serverLog = `${process.env.PGHOST}/server.log`;
const ownDb = `sf_own_${process.pid}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let db;

// A connected client.
async function connect() {
  const c = new pg.Client();
  await c.connect();
  return c;
}

// [status, json] of GET path, or [0, null] when nothing listens.
async function get(path) {
  try {
    const res = await fetch(`${base}${path}`);
    return [res.status, await res.json()];
  } catch {
    return [0, null];
  }
}

// Waits until /health answers 200 for database name; returns the body.
async function healthIn(name) {
  for (let i = 0; ; i++) {
    const [status, body] = await get('/health');
    if (status === 200 && body.database === name) return body;
    assert.ok(i < 300, `/health answers for database ${name} (last: ${status} ${JSON.stringify(body)})`);
    await sleep(50);
  }
}

// The pids of the worker processes of a backend_type.
async function pids(type) {
  const { rows } = await db.query('SELECT pid FROM pg_stat_activity WHERE backend_type = $1', [type]);
  return rows.map((r) => r.pid);
}

// Lines of the server log matching re.
const logLines = (re) => readFileSync(serverLog, 'utf8').split('\n').filter((l) => re.test(l));

before(async () => { db = await connect(); });

after(async () => {
  await db.query('ALTER SYSTEM RESET streamflow.worker_statement_timeout');
  await db.query('ALTER SYSTEM RESET streamflow.database');
  await db.query('SELECT pg_reload_conf()');
  await healthIn(process.env.PGDATABASE).catch(() => {});
  await db.query(`DROP DATABASE IF EXISTS ${ownDb} WITH (FORCE)`);
  await db.end();
});

test('a launcher with no database runs beside one http worker', async () => {
  assert.equal((await pids('streamflow launcher')).length, 1);
  assert.equal((await pids('streamflow http')).length, 1);
  const { rows } = await db.query(
    "SELECT datname FROM pg_stat_activity WHERE backend_type = 'streamflow launcher'");
  assert.equal(rows[0].datname, null, 'DROP DATABASE never waits for the launcher');
});

test('worker_statement_timeout: a request stuck on a lock is answered 503 and the worker serves on', { timeout: 30000 }, async () => {
  await db.query("ALTER SYSTEM SET streamflow.worker_statement_timeout = '300ms'");
  await db.query('SELECT pg_reload_conf()');
  const [pid] = await pids('streamflow http');
  const locker = await connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE streamflow.streams IN ACCESS EXCLUSIVE MODE');
    const answers = await Promise.all([get('/health'), get('/health'), get('/no/such')]);
    for (const [status, body] of answers.slice(0, 2)) {
      assert.equal(status, 503);
      assert.deepEqual(body, { error: 'canceling statement due to statement timeout', path: '/health' });
    }
    assert.equal(answers[2][0], 404, 'a request that needs no database is answered meanwhile');
    const { rows } = await db.query(
      "SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.backend_type = 'streamflow http' AND NOT l.granted");
    assert.equal(rows[0].n, 0, 'the worker no longer waits on the lock');
  } finally {
    await locker.query('ROLLBACK');
    await locker.end();
  }
  const [status, body] = await get('/health');
  assert.equal(status, 200);
  assert.equal(body.status, 'ok');
  assert.deepEqual(await pids('streamflow http'), [pid], 'the same worker process');
});

test('the worker moves to another database on reload', async () => {
  await db.query(`CREATE DATABASE ${ownDb}`);
  await db.query(`ALTER SYSTEM SET streamflow.database = '${ownDb}'`);
  await db.query('SELECT pg_reload_conf()');
  const body = await healthIn(ownDb);
  assert.equal(body.extension, 'not installed');
});

test('plain DROP DATABASE of the worker\'s database fails like with any session (55006)', async () => {
  await assert.rejects(db.query(`DROP DATABASE ${ownDb}`), (err) => {
    assert.equal(err.code, '55006');
    assert.equal(err.message, `database "${ownDb}" is being accessed by other users`);
    assert.equal(err.detail, 'There is 1 other session using the database.');
    return true;
  });
  await healthIn(ownDb);
});

test('DROP DATABASE ... WITH (FORCE) of the worker\'s database: the worker ends, the launcher waits quietly', async () => {
  const waits = new RegExp(`streamflow worker waits for database "${ownDb}" to exist`);
  const fatal = new RegExp(`FATAL: .*database .*${ownDb}|FATAL: .*database \\d+ does not exist`);
  const fatalBefore = logLines(fatal).length;
  await db.query(`DROP DATABASE ${ownDb} WITH (FORCE)`);
  for (let i = 0; logLines(waits).length === 0; i++) {
    assert.ok(i < 200, 'the launcher logs that it waits for the database');
    await sleep(50);
  }
  // long enough for several restarts had the worker been left to FATAL-loop
  await sleep(2500);
  assert.equal(logLines(waits).length, 1, 'said once');
  assert.equal(logLines(fatal).length, fatalBefore, 'no FATAL about the missing database');
  assert.deepEqual(await pids('streamflow http'), []);
  assert.equal((await pids('streamflow launcher')).length, 1);
  assert.equal((await get('/health'))[0], 0, 'nothing listens meanwhile');
});

test('the database created again: the launcher finds it without a reload', async () => {
  await db.query(`CREATE DATABASE ${ownDb}`);
  await healthIn(ownDb);
});

test('back to the test database', async () => {
  await db.query('ALTER SYSTEM RESET streamflow.database');
  await db.query('SELECT pg_reload_conf()');
  const body = await healthIn(process.env.PGDATABASE);
  assert.equal(body.extension, '0.1.0');
});

test('pg_terminate_backend of the launcher: its worker goes with it, and one of each comes back', async () => {
  const [launcher] = await pids('streamflow launcher');
  const [worker] = await pids('streamflow http');
  await db.query('SELECT pg_terminate_backend($1)', [launcher]);
  for (let i = 0; ; i++) {
    const l = await pids('streamflow launcher');
    const w = await pids('streamflow http');
    if (l.length === 1 && l[0] !== launcher && w.length === 1 && w[0] !== worker) break;
    assert.ok(i < 200, `a new launcher and a new worker (now ${l} / ${w})`);
    await sleep(50);
  }
  await healthIn(process.env.PGDATABASE);
  await sleep(1500);
  assert.equal((await pids('streamflow http')).length, 1, 'never two workers');
});
