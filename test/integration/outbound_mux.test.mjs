// Outbound keep-alive and multiplexing over real HTTP on loopback (node
// receivers that verify every signature): many deliveries share a kept
// connection; a receiver closing the kept connection, idle or right after an
// answer, loses nothing; multiplexing delivers round-robin (by sequence) or
// broadcast, in order per destination, to URLs and to service ids (their
// endpoint_url); bad multiplexing configs are 22023 naming the key; in a
// broadcast beside a healthy destination, ones that answer 500, hang, close
// mid-response or do not listen end with every frame in dead_letters with
// its reason, their circuits open (destination_circuits, delivery_state,
// circuit_alerts), while the healthy one acknowledges every frame.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';
import { startReceiver, deadPort, until } from './receiver.mjs';

const secret = 'outbound-mux-secret-0123456789ab';
let db;
const receivers = [];
const services = [];

before(async () => { db = await connect(); });
after(async () => {
  for (const s of services) await db.query('SELECT streamflow.drop_service($1)', [s]).catch(() => {});
  for (const r of receivers) await r.close();
  await db.query('ALTER SYSTEM RESET streamflow.outbound_timeout');
  await db.query('ALTER SYSTEM RESET streamflow.outbound_circuit_cooldown');
  await db.query('SELECT pg_reload_conf()');
  await db.end();
});

// A receiver closed after the tests.
async function receiver(decide = () => 200) {
  const r = await startReceiver(secret, decide);
  receivers.push(r);
  return r;
}

// A stream with a webhook secret and the given config.
const stream = (config) => freshStream(db, {
  webhook_secret: secret, retry_policy: { max_retries: 3, backoff_ms: 50 }, ...config });

// Ingests frames {n} for n in from .. from + count - 1, in one transaction.
async function ingest(id, count, from = 1) {
  const frames = Array.from({ length: count }, (_, i) => ({ payload: { n: from + i } }));
  await db.query('SELECT * FROM streamflow.ingest_batch($1, $2::jsonb)', [id, JSON.stringify(frames)]);
}

// Pending delivery rows of a stream.
async function pending(id) {
  const { rows } = await db.query('SELECT count(*)::int AS n FROM streamflow.deliveries WHERE stream_id = $1', [id]);
  return rows[0].n;
}

// Delivery dead letters of a stream, per destination: [{sequence, last_error}].
async function deadLetters(id) {
  const { rows } = await db.query(
    'SELECT destination, sequence, last_error FROM streamflow.dead_letters WHERE stream_id = $1 AND destination IS NOT NULL ORDER BY id',
    [id]);
  const by = {};
  for (const row of rows) (by[row.destination] ??= []).push({ sequence: Number(row.sequence), last_error: row.last_error });
  return by;
}

// The SQLSTATE, message and hint a query fails with.
async function failure(sql, params) {
  try {
    await db.query(sql, params);
  } catch (e) {
    return { code: e.code, message: e.message, hint: e.hint };
  }
  assert.fail(`expected ${sql} to fail`);
}

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('keep-alive: 300 deliveries in order over a handful of connections', { timeout: 30000 }, async () => {
  const r = await receiver();
  const id = await stream({ destination_url: r.url });
  for (let b = 0; b < 3; b++) await ingest(id, 100, b * 100 + 1);
  await until('300 deliveries', () => r.delivered().length >= 300);
  await until('the queue to empty', async () => (await pending(id)) === 0);
  assert.deepEqual(r.delivered(), range(1, 300), 'each once, in order');
  assert.ok(r.requests.every((q) => q.signed), 'every POST signed');
  // one request per connection would be 300 connections
  assert.ok(r.connections() <= 10, `300 deliveries used ${r.connections()} connections`);
});

test('a receiver that closes the kept connection after answers and while idle loses nothing', { timeout: 40000 }, async () => {
  // every 7th answer ends with the server closing the connection
  const r = await receiver((q, all) => ((all.length + 1) % 7 === 0 ? 'close' : 200));
  r.server.keepAliveTimeout = 20; // idle kept connections are closed quickly too
  const id = await stream({ destination_url: r.url });
  for (let b = 0; b < 6; b++) {
    await ingest(id, 20, b * 20 + 1);
    // a pause longer than the server's keep-alive: the next batch finds it closed
    await new Promise((ok) => setTimeout(ok, 100));
  }
  await until('120 deliveries', () => r.delivered().length >= 120);
  await until('the queue to empty', async () => (await pending(id)) === 0);
  const got = r.delivered();
  assert.deepEqual([...new Set(got)].sort((a, b) => a - b), range(1, 120), 'every frame acknowledged');
  assert.deepEqual(got, [...got].sort((a, b) => a - b), 'in order');
  assert.deepEqual(await deadLetters(id), {}, 'no dead letters');
  assert.ok(r.connections() > 1, 'the server did close connections');
  assert.ok(r.requests.every((q) => q.signed));
});

test('round-robin: each frame to one destination by sequence, in order per destination, service ids resolved', { timeout: 30000 }, async () => {
  const [a, b, c] = [await receiver(), await receiver(), await receiver()];
  const svc = `svc_rr_${process.pid}`;
  await db.query('SELECT streamflow.create_service($1::jsonb)', [JSON.stringify({ id: svc, name: svc, endpoint_url: c.url })]);
  services.push(svc);
  const { rows: [got] } = await db.query('SELECT streamflow.get_service($1) AS s', [svc]);
  assert.equal(got.s.endpoint_url, c.url, 'get_service shows endpoint_url');
  const id = await stream({ multiplexing: { enabled: true, destinations: [a.url, b.url, svc], strategy: 'round-robin' } });
  await ingest(id, 15);
  await ingest(id, 15, 16);
  await until('30 deliveries', () => a.delivered().length + b.delivered().length + c.delivered().length >= 30);
  await until('the queue to empty', async () => (await pending(id)) === 0);
  assert.deepEqual(a.delivered(), range(1, 30).filter((s) => s % 3 === 1));
  assert.deepEqual(b.delivered(), range(1, 30).filter((s) => s % 3 === 2));
  assert.deepEqual(c.delivered(), range(1, 30).filter((s) => s % 3 === 0), 'the service id gets its turn');
  for (const r of [a, b, c]) assert.ok(r.requests.every((q) => q.signed && q.body.stream_id === id));
  const { rows } = await db.query('SELECT destination, circuit FROM streamflow.destination_circuits WHERE stream_id = $1 ORDER BY destination', [id]);
  assert.deepEqual(rows.map((x) => x.destination).sort(), [a.url, b.url, c.url].sort(), 'destination_circuits lists each');
  assert.ok(rows.every((x) => x.circuit === 'closed'));
  const drop = await failure('SELECT streamflow.drop_service($1)', [svc]);
  assert.equal(drop.code, '2BP01', 'a service a stream delivers to cannot be dropped');
});

test('broadcast: every frame to every destination, in order, destination_url included', { timeout: 30000 }, async () => {
  const [a, b, c] = [await receiver(), await receiver(), await receiver()];
  const id = await stream({ destination_url: a.url, multiplexing: { destinations: [b.url, c.url], strategy: 'broadcast' } });
  await ingest(id, 10);
  await ingest(id, 10, 11);
  await until('60 deliveries', () => a.delivered().length + b.delivered().length + c.delivered().length >= 60);
  await until('the queue to empty', async () => (await pending(id)) === 0);
  for (const r of [a, b, c]) {
    assert.deepEqual(r.delivered(), range(1, 20));
    assert.ok(r.requests.every((q) => q.signed));
  }
});

test('multiplexing that is disabled delivers only to destination_url; update_stream switches strategies', { timeout: 30000 }, async () => {
  const [a, b] = [await receiver(), await receiver()];
  const id = await stream({ destination_url: a.url, multiplexing: { enabled: false, destinations: [b.url] } });
  await ingest(id, 4);
  await until('4 deliveries', () => a.delivered().length >= 4);
  await db.query('SELECT streamflow.update_stream($1, $2::jsonb)', [id,
    JSON.stringify({ destination_url: null, multiplexing: { destinations: [a.url, b.url], strategy: 'broadcast' } })]);
  await ingest(id, 2, 5);
  await until('the queue to empty', async () => (await pending(id)) === 0 && b.delivered().length >= 2);
  assert.deepEqual(a.delivered(), range(1, 6));
  assert.deepEqual(b.delivered(), [5, 6], 'b only gets frames after it was enabled');
});

test('bad multiplexing configs and endpoint_urls are 22023 naming the key', async () => {
  const svcNoUrl = `svc_nourl_${process.pid}`;
  await db.query('SELECT streamflow.create_service($1::jsonb)', [JSON.stringify({ id: svcNoUrl, name: svcNoUrl })]);
  services.push(svcNoUrl);
  const cases = [
    [{ destinations: ['ws://127.0.0.1:1/x'] }, /multiplexing\.destinations\[0\]/],
    [{ destinations: ['http://'] }, /multiplexing\.destinations\[0\]/],
    [{ destinations: ['http://127.0.0.1:1/a', 'not a url'] }, /multiplexing\.destinations\[1\]/],
    [{ destinations: ['http://127.0.0.1:1/a', 'http://127.0.0.1:1/a'] }, /names "http:\/\/127\.0\.0\.1:1\/a" twice/],
    [{ destinations: [] }, /multiplexing\.destinations" must name at least one/],
    [{ enabled: true }, /multiplexing\.destinations" must name at least one/],
    [{ destinations: [42] }, /multiplexing\.destinations\[0\]" must be a string/],
    [{ destinations: 'http://127.0.0.1:1/a' }, /multiplexing\.destinations" must be an array/],
    [{ destinations: ['http://127.0.0.1:1/a'], strategy: 'random' }, /multiplexing\.strategy/],
    [{ destinations: ['http://127.0.0.1:1/a'], weights: [1] }, /multiplexing\.weights/],
    [{ destinations: ['svc_missing_zz'] }, /service "svc_missing_zz" named by stream option "multiplexing\.destinations\[0\]" does not exist/],
    [{ destinations: [svcNoUrl] }, /multiplexing\.destinations\[0\]" has no http\(s\) endpoint_url/],
  ];
  for (const [multiplexing, re] of cases) {
    const e = await failure('SELECT streamflow.create_stream($1::jsonb)',
      [JSON.stringify({ name: `bad_mux_${process.pid}`, multiplexing })]);
    assert.equal(e.code, '22023', JSON.stringify(multiplexing));
    assert.match(e.message, re, JSON.stringify(multiplexing));
  }
  // update_stream checks the same way and changes nothing
  const id = await stream({ multiplexing: { destinations: ['http://127.0.0.1:1/a'] } });
  const e = await failure('SELECT streamflow.update_stream($1, $2::jsonb)',
    [id, JSON.stringify({ multiplexing: { destinations: ['svc_missing_zz'] } })]);
  assert.equal(e.code, '22023');
  const { rows: [s] } = await db.query('SELECT streamflow.get_stream($1) AS s', [id]);
  assert.deepEqual(s.s.multiplexing.destinations, ['http://127.0.0.1:1/a']);
  await db.query('SELECT streamflow.drop_stream($1)', [id]);
  const svc = await failure('SELECT streamflow.create_service($1::jsonb)',
    [JSON.stringify({ name: 'bad endpoint', endpoint_url: 'ftp://127.0.0.1/x' })]);
  assert.equal(svc.code, '22023');
  assert.match(svc.message, /endpoint_url/);
});

test('broadcast beside faulty destinations: the healthy one gets every frame, the others dead-letter each with its reason, their circuits open', { timeout: 90000 }, async () => {
  await db.query("ALTER SYSTEM SET streamflow.outbound_timeout = '300ms'");
  await db.query("ALTER SYSTEM SET streamflow.outbound_circuit_cooldown = '100ms'");
  await db.query('SELECT pg_reload_conf()');
  await new Promise((ok) => setTimeout(ok, 300));
  const healthy = await receiver();
  const failing = await receiver(() => 500);
  const hanging = await receiver(() => 'hang');
  const partial = await receiver(() => 'partial');
  const dropping = await receiver(() => 'drop');
  const dead = `http://127.0.0.1:${await deadPort()}/hook`;
  const id = await stream({
    retry_policy: { max_retries: 1, backoff_ms: 20, exponential: false, jitter: false },
    multiplexing: { destinations: [healthy.url, failing.url, hanging.url, partial.url, dropping.url, dead], strategy: 'broadcast' },
  });
  const frames = 4;
  await ingest(id, frames);
  await until('the healthy destination to get every frame', () => healthy.delivered().length >= frames);
  assert.deepEqual(healthy.delivered(), range(1, frames));
  // while the others fail their circuits open: visible per destination and as alerts
  await until('circuits open for the failing destinations', async () => {
    const { rows } = await db.query('SELECT destination FROM streamflow.circuit_alerts WHERE stream_id = $1', [id]);
    return rows.length >= 4;
  }, 60000);
  await until('every frame settled', async () => (await pending(id)) === 0, 80000);
  const dl = await deadLetters(id);
  assert.equal(dl[healthy.url], undefined, 'nothing of the healthy destination is dead');
  const reasons = {
    [failing.url]: /HTTP 500: refused with 500/,
    [hanging.url]: /no answer within 300 ms/,
    [partial.url]: /closed in the middle of the answer/,
    [dropping.url]: /closed before an answer/,
    [dead]: /could not connect/,
  };
  for (const [url, re] of Object.entries(reasons)) {
    assert.deepEqual((dl[url] ?? []).map((x) => x.sequence), range(1, frames), `every frame of ${url} is a dead letter`);
    for (const x of dl[url]) assert.match(x.last_error, re, url);
  }
  const { rows: alerts } = await db.query(
    'SELECT destination, alert, value, threshold FROM streamflow.circuit_alerts WHERE stream_id = $1 ORDER BY destination', [id]);
  assert.ok(!alerts.some((a) => a.destination === healthy.url), 'no alert for the healthy destination');
  assert.ok(alerts.every((a) => a.alert === 'CIRCUIT_OPEN' && a.value > a.threshold));
  // health() raises the same alerts, naming the destination
  const { rows: [health] } = await db.query(
    `SELECT h.status, h.alerts, (SELECT coalesce(jsonb_agg(c.destination), '[]') FROM streamflow.circuit_alerts c
       WHERE c.stream_id = $1) AS open FROM streamflow.health() h`, [id]);
  const raised = health.alerts.filter((a) => a.alert === 'CIRCUIT_OPEN' && a.stream_id === id);
  assert.equal(health.status, 'degraded');
  assert.ok(raised.length >= 1, 'health() raises CIRCUIT_OPEN');
  assert.deepEqual(raised.map((a) => a.destination).sort(), health.open.sort());
  const { rows: [state] } = await db.query('SELECT open_circuits FROM streamflow.delivery_state WHERE stream_id = $1', [id]);
  assert.ok(Number(state.open_circuits) >= 1, 'delivery_state counts open circuits');
  for (const r of [failing, hanging, partial, dropping]) assert.ok(r.requests.every((q) => q.signed));
  await db.query('SELECT streamflow.drop_stream($1)', [id]);
});
