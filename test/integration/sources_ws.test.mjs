// WebSocket sources over real ws/wss on loopback: a stream with a ws(s)
// source_url holds a client connection (auth_headers in the handshake);
// every message becomes a frame, ingested in batches.  A server that drops
// the connection on purpose is reconnected (retry_policy backoff with
// jitter) and nothing it sent is lost; a peer that stops answering pings is
// found by the heartbeat; bad messages are rejected into stream_errors
// (source websocket_client), a message over streamflow.max_message_bytes
// closes the connection with 1009; an unresolvable name and an untrusted
// certificate are recorded.  Pause, resume, update and drop stop, start and
// restart the client without restarting the worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';
import { until } from './receiver.mjs';
import { startWsServer, payloads, frames, streamErrors, setGuc, sleep } from './sources.mjs';

let db;
const servers = [];
const streams = [];

before(async () => {
  db = await connect();
  // a quiet peer is pinged after 1 s and given 1 s more to answer
  await setGuc(db, 'streamflow.source_heartbeat', '1');
  await setGuc(db, 'streamflow.source_heartbeat_timeout', '1');
});
after(async () => {
  for (const s of streams) await db.query('SELECT streamflow.drop_stream($1)', [s]).catch(() => {});
  await setGuc(db, 'streamflow.source_heartbeat', null);
  await setGuc(db, 'streamflow.source_heartbeat_timeout', null);
  for (const s of servers) await s.close();
  await db.end();
});

// A WebSocket server closed after the tests.
async function server(onConnection, opts) {
  const s = await startWsServer(onConnection, opts);
  servers.push(s);
  return s;
}

// A stream following url, reconnecting after 50 ms doubling to 400 ms.
async function followed(url, extra = {}) {
  const id = await freshStream(db, {
    source_url: url, retry_policy: { backoff_ms: 50, max_backoff_ms: 400 }, ...extra,
  });
  streams.push(id);
  return id;
}

// Waits for a stream_errors row of the stream whose message matches re.
const errorMatching = (stream, re) => until(`an error matching ${re}`, async () =>
  (await streamErrors(db, stream)).find((e) => re.test(e.message)));

test('messages become frames in order, in batches, with the auth headers in the handshake', { timeout: 30000 }, async () => {
  const s = await server((ws) => {
    for (let i = 1; i <= 250; i++) ws.send(JSON.stringify({ i }));
    ws.send(JSON.stringify({ id: 'm-last', timestamp: '2025-11-06T13:00:02Z', data: { i: 251 } }));
  });
  const stream = await followed(s.url, {
    auth_headers: { Authorization: 'Bearer ws-token' }, batching: { batch_size: 50, batch_timeout_ms: 20 },
  });
  await until('251 frames', async () => (await payloads(db, stream)).length >= 251);
  assert.deepEqual(await payloads(db, stream), Array.from({ length: 251 }, (_, k) => ({ i: k + 1 })));
  assert.equal(s.connections[0].headers.authorization, 'Bearer ws-token');
  const f = await frames(db, stream);
  assert.equal(f[0].metadata.source, 'websocket_client');
  assert.equal(f[250].metadata.message_id, 'm-last');
  // fewer transactions than frames: frames of one batch share a commit
  const { rows } = await db.query(
    'SELECT count(DISTINCT xmin::text) AS txs FROM streamflow.frames WHERE stream_id = $1', [stream]);
  assert.ok(Number(rows[0].txs) < 251, `batched (${rows[0].txs} transactions)`);
});

test('a burst over the queue cap (10 batches, at least 1000) arrives complete and in order', { timeout: 60000 }, async () => {
  const n = 5000;
  const s = await server((ws) => { for (let i = 1; i <= n; i++) ws.send(JSON.stringify({ i })); });
  const stream = await followed(s.url, { batching: { batch_size: 1, batch_timeout_ms: 0 } });
  await until(`${n} frames`, async () => (await payloads(db, stream)).length >= n, 45000);
  const got = (await payloads(db, stream)).map((p) => p.i);
  assert.deepEqual(got, Array.from({ length: n }, (_, k) => k + 1));
  assert.equal(s.connections.length, 1, 'read again after the pause, on the same connection');
});

test('a server dropping connections on purpose: reconnects with backoff, nothing it sent is lost', { timeout: 60000 }, async () => {
  let next = 1;
  const s = await server((ws) => {
    // each connection: 5 messages, then the connection is cut (no close frame)
    for (let k = 0; k < 5; k++) ws.send(JSON.stringify({ n: next++ }));
    setTimeout(() => ws.terminate(), 100);
  });
  const stream = await followed(s.url, { batching: { batch_size: 100, batch_timeout_ms: 10 } });
  await until('5 connections', () => s.connections.length >= 5);
  const sent = next - 1;
  await until(`${sent} frames`, async () => (await payloads(db, stream)).length >= sent);
  const got = (await payloads(db, stream)).map((p) => p.n);
  assert.deepEqual(got.slice(0, sent), Array.from({ length: sent }, (_, k) => k + 1), 'every message once, in order');
  const errs = await streamErrors(db, stream);
  assert.ok(errs.length >= 4, 'each drop recorded');
  assert.ok(errs.every((e) => e.source === 'websocket_client'));
});

test('heartbeat: a healthy peer stays connected; a peer that stops answering pings is dropped and reconnected', { timeout: 60000 }, async () => {
  const healthy = await server((ws) => ws.send(JSON.stringify({ hello: 1 })));
  const h = await followed(healthy.url);
  await until('a frame from the healthy peer', async () => (await payloads(db, h)).length >= 1);
  await sleep(3500); // pings went out (after 1 s quiet) and were answered
  assert.equal(healthy.connections.length, 1, 'the answered pings kept the connection');
  assert.equal(healthy.connections[0].closed, false);

  const dead = await server((ws, i) => {
    ws.send(JSON.stringify({ connection: i }));
    // the peer goes silent: it reads nothing more, so it answers no ping
    ws._socket.pause();
  });
  const d = await followed(dead.url);
  await until('a second connection after the heartbeat gave up', () => dead.connections.length >= 2, 30000);
  await until('frames from both connections', async () => (await payloads(db, d)).length >= 2);
  const e = await errorMatching(d, /heartbeat/);
  assert.equal(e.source, 'websocket_client');
  assert.equal((await streamErrors(db, h)).length, 0, 'nothing recorded for the healthy peer');
});

test('invalid JSON and non-object messages are rejected and recorded; the next ones are stored', { timeout: 30000 }, async () => {
  const s = await server((ws) => {
    ws.send('{not json');
    ws.send('17');
    ws.send(JSON.stringify({ good: 1 }));
  });
  const stream = await followed(s.url, { batching: { batch_size: 1 } });
  await until('the good frame', async () => (await payloads(db, stream)).length >= 1);
  assert.deepEqual(await payloads(db, stream), [{ good: 1 }]);
  const errs = await until('2 rejections', async () => {
    const e = await streamErrors(db, stream);
    return e.length >= 2 && e;
  });
  assert.ok(errs.some((e) => /not JSON/.test(e.message) && e.raw_payload === '{not json'));
  assert.ok(errs.some((e) => /must be a JSON object/.test(e.message) && e.raw_payload === 17));
  assert.ok(errs.every((e) => e.source === 'websocket_client'));
  assert.equal(s.connections.length, 1, 'bad messages do not cost the connection');
});

test('a message over streamflow.max_message_bytes closes the connection with 1009', { timeout: 30000 }, async () => {
  const { rows } = await db.query("SELECT setting::int AS max FROM pg_settings WHERE name = 'streamflow.max_message_bytes'");
  const s = await server((ws, i) => {
    if (i === 0) ws.send(JSON.stringify({ pad: 'x'.repeat(rows[0].max + 10) }));
    else ws.send(JSON.stringify({ after: i }));
  });
  const stream = await followed(s.url);
  await until('the oversized connection closed', () => s.connections[0]?.closed);
  assert.equal(s.connections[0].closeCode, 1009);
  await errorMatching(stream, /larger than streamflow\.max_message_bytes/);
  await until('a frame from the next connection', async () => (await payloads(db, stream)).length >= 1);
  assert.equal((await payloads(db, stream))[0].after >= 1, true);
});

test('a name that does not resolve and an untrusted certificate are recorded, and retried', { timeout: 30000 }, async () => {
  const unresolved = await followed('ws://no-such-host.invalid/feed');
  const tls = await server(() => {}, { tls: true });
  const untrusted = await followed(tls.url);
  await errorMatching(unresolved, /could not connect to no-such-host\.invalid/);
  const e = await errorMatching(untrusted, /could not connect/);
  assert.match(e.message, /TLS/);
  await until('retries', async () => (await streamErrors(db, untrusted)).length >= 2);
  assert.equal(tls.connections.length, 0, 'no WebSocket connection past the refused handshake');
});

test('pause closes the connection, resume reopens it, update moves it, drop closes it', { timeout: 60000 }, async () => {
  const a = await server((ws, i) => ws.send(JSON.stringify({ from: 'a', i })));
  const b = await server((ws, i) => ws.send(JSON.stringify({ from: 'b', i })));
  const stream = await followed(a.url.replace('ws://', 'WS://')); // schemes are case-insensitive
  const patch = (p) => db.query('SELECT streamflow.update_stream($1, $2::jsonb)', [stream, JSON.stringify(p)]);
  await until('a frame from a', async () => (await payloads(db, stream)).length >= 1);

  await patch({ status: 'paused' });
  await until('the connection closed on pause', () => a.connections[0].closed);
  await sleep(1500);
  assert.equal(a.connections.length, 1, 'no reconnection while paused');

  await patch({ status: 'active' });
  await until('a new connection on resume', () => a.connections.length >= 2);
  await until('its frame', async () => (await payloads(db, stream)).length >= 2);

  await patch({ source_url: b.url });
  await until('the connection to a closed', () => a.connections.every((c) => c.closed));
  await until('a frame from b', async () => (await payloads(db, stream)).some((p) => p.from === 'b'));

  await db.query('SELECT streamflow.drop_stream($1)', [stream]);
  await until('the connection to b closed on drop', () => b.connections.every((c) => c.closed));
  await sleep(1500);
  assert.equal(b.connections.length, 1, 'no reconnection after drop');
});
