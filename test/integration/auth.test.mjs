// Tokens over real HTTP: /health is open; stream routes need a token
// (Authorization: Bearer or ?access_token=) with the stream and scope, and
// streamflow.auth = none turns the checks off.  The stream route checks run
// once GET /streams/{id} and POST /streams/{id}/frames are routed (the rest
// branch); until then they are skipped, saying so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';

const base = `http://127.0.0.1:${Number(process.env.STREAMFLOW_HTTP_PORT)}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let db;
let streamA;
let streamB;
const secrets = {};
let routed = false;

// GET or POST path with an optional bearer token; resolves [status, json].
async function call(path, { token, method = 'GET', body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: body && JSON.stringify(body) });
  const text = await res.text();
  return [res.status, text ? JSON.parse(text) : null];
}

// Sets streamflow.auth and waits until the worker answers accordingly.
async function setAuth(mode) {
  await db.query(`ALTER SYSTEM SET streamflow.auth = '${mode}'`);
  await db.query('SELECT pg_reload_conf()');
  const want = mode === 'none' ? 200 : 401;
  for (let i = 0; ; i++) {
    const [status] = await call(`/streams/${streamA}`);
    if (status === want) return;
    assert.ok(i < 100, `the worker applies streamflow.auth = ${mode} after a reload`);
    await sleep(50);
  }
}

before(async () => {
  db = await connect();
  for (let i = 0; (await fetch(`${base}/health`).catch(() => null))?.status !== 200; i++) {
    assert.ok(i < 200, 'the worker answers /health');
    await sleep(50);
  }
  streamA = await freshStream(db);
  streamB = await freshStream(db);
  const token = async (name, streams, scopes) => {
    const { rows } = await db.query('SELECT streamflow.create_token($1, $2, $3) AS s',
      [`${name}_${streamA}`, streams, scopes]);
    secrets[name] = rows[0].s;
  };
  await token('readA', [streamA], ['read']);
  await token('writeA', [streamA], ['write']);
  await token('all', null, ['read', 'write']);
  await token('revoked', null, ['read']);
  await db.query('SELECT streamflow.revoke_token($1)', [`revoked_${streamA}`]);
  // a route that is not there answers the worker's generic 404 for a stream that exists
  const [status, body] = await call(`/streams/${streamA}`, { token: secrets.all });
  routed = !(status === 404 && body && body.error === 'not found');
});

after(async () => {
  await db.query('ALTER SYSTEM RESET streamflow.auth').catch(() => {});
  await db.query('SELECT pg_reload_conf()').catch(() => {});
  await db.end();
});

test('/health is open: no token needed, a bad one ignored', async () => {
  const [status, body] = await call('/health');
  assert.equal(status, 200);
  assert.equal(body.status, 'ok');
  const [status2] = await call('/health', { token: 'sf_not_a_token' });
  assert.equal(status2, 200);
});

test('the worker runs with streamflow.auth = token by default', async () => {
  const { rows } = await db.query("SELECT setting FROM pg_settings WHERE name = 'streamflow.auth'");
  assert.equal(rows[0].setting, 'token');
});

function routeTest(name, fn) {
  test(name, async (t) => {
    if (!routed) return t.skip('GET /streams/{id} is not routed in this build (rest branch not merged)');
    await fn();
  });
}

routeTest('no token: 401 {"error":"missing token"}', async () => {
  const [status, body] = await call(`/streams/${streamA}`);
  assert.equal(status, 401);
  assert.equal(body.error, 'missing token');
});

routeTest('an unknown, a malformed or a revoked token: 401 {"error":"invalid token"}', async () => {
  for (const token of ['sf_' + '0'.repeat(64), 'garbage', secrets.revoked, secrets.readA.toUpperCase()]) {
    const [status, body] = await call(`/streams/${streamA}`, { token });
    assert.equal(status, 401, token);
    assert.equal(body.error, 'invalid token');
  }
});

routeTest('another scheme than Bearer counts as no token', async () => {
  const res = await fetch(`${base}/streams/${streamA}`, { headers: { authorization: `Basic ${secrets.readA}` } });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error, 'missing token');
});

routeTest('a read token reads its stream, by header or ?access_token=', async () => {
  const [status, body] = await call(`/streams/${streamA}`, { token: secrets.readA });
  assert.equal(status, 200);
  assert.equal(body.id, streamA);
  const res = await fetch(`${base}/streams/${streamA}?access_token=${secrets.readA}`);
  assert.equal(res.status, 200);
  const { rows } = await db.query(
    'SELECT last_used_at IS NOT NULL AS used FROM streamflow.token_list WHERE name = $1', [`readA_${streamA}`]);
  assert.equal(rows[0].used, true, 'the token records its use');
});

routeTest('a token scoped to one stream: 403 on another', async () => {
  const [status, body] = await call(`/streams/${streamB}`, { token: secrets.readA });
  assert.equal(status, 403);
  assert.equal(body.error, 'forbidden');
});

routeTest('write needs the write scope, and write does not read', async () => {
  const frame = { sequence: 1, payload: { n: 1 } };
  let [status, body] = await call(`/streams/${streamA}/frames`, { method: 'POST', body: frame, token: secrets.readA });
  assert.equal(status, 403, JSON.stringify(body));
  [status, body] = await call(`/streams/${streamA}/frames`, { method: 'POST', body: frame, token: secrets.writeA });
  assert.equal(status, 201, JSON.stringify(body));
  [status] = await call(`/streams/${streamA}`, { token: secrets.writeA });
  assert.equal(status, 403);
  const { rows } = await db.query('SELECT count(*)::int AS n FROM streamflow.frames WHERE stream_id = $1', [streamA]);
  assert.equal(rows[0].n, 1, 'only the allowed write stored a frame');
});

routeTest('revoking a token takes effect on the next request', async () => {
  const { rows } = await db.query('SELECT streamflow.create_token($1, $2) AS s', [`late_${streamA}`, [streamA]]);
  assert.equal((await call(`/streams/${streamA}`, { token: rows[0].s }))[0], 200);
  await db.query('SELECT streamflow.revoke_token($1)', [`late_${streamA}`]);
  assert.equal((await call(`/streams/${streamA}`, { token: rows[0].s }))[0], 401);
});

routeTest('streamflow.auth = none (reload) opens every route; token restores the checks', async () => {
  await setAuth('none');
  try {
    const [status, body] = await call(`/streams/${streamB}`);
    assert.equal(status, 200);
    assert.equal(body.id, streamB);
  } finally {
    await setAuth('token');
  }
  assert.equal((await call(`/streams/${streamB}`))[0], 401);
});
