// Live delivery end to end with real clients (npm ws, npm eventsource, pg):
// WebSocket publish -> SQL; SQL ingest -> WebSocket, SSE and a LISTENer at
// once; replays (from_sequence, Last-Event-ID) that meet live delivery with
// no gap and no repeat; batching; every bad input closed or answered while
// the other clients keep receiving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream, collectNotifications } from './helpers.mjs';
import { openWs, openSse, sequences, range, httpBase, useNewToken, withToken } from './live_clients.mjs';

let db;
const opened = [];
const track = (c) => { opened.push(c); return c; };

before(async () => {
  db = await connect();
  await useNewToken(db);
});
after(async () => {
  for (const c of opened) c.close();
  await db.end();
});

// Ingests n frames {i} into stream in one statement; returns the last sequence.
async function ingestMany(stream, n, pad = 0) {
  const { rows: [r] } = await db.query(
    `SELECT * FROM streamflow.ingest_batch($1,
       (SELECT jsonb_agg(jsonb_build_object('payload', jsonb_build_object('i', i, 'pad', repeat('x', $3))))
        FROM generate_series(1, $2) i))`, [stream, n, pad]);
  return Number(r.last_sequence);
}

test('publish over /streams/{id}/ws is acknowledged with its sequence and visible in SQL', async () => {
  const id = await freshStream(db);
  const c = track(await openWs(`/streams/${id}/ws`));
  await c.waitFor((m) => m.type === 'subscribed');
  c.send({ message_id: 'm-1', data: { temp: 21.5 }, metadata: { source: 'sensor-7' } });
  const ack = await c.waitFor((m) => m.type === 'ack');
  assert.equal(ack.message_id, 'm-1');
  assert.equal(ack.sequence, 1);
  const { rows } = await db.query(
    'SELECT sequence, payload, metadata FROM streamflow.frames WHERE stream_id = $1', [id]);
  assert.deepEqual(rows, [{ sequence: '1', payload: { temp: 21.5 },
    metadata: { source: 'sensor-7', message_id: 'm-1' } }]);
  // the publisher, subscribed too, gets its own frame pushed with the message_id
  const pushed = await c.waitForFrame(1);
  assert.equal(pushed.message_id, 'm-1');
  assert.equal(pushed.stream_id, id);
  assert.deepEqual(pushed.data, { temp: 21.5 });
});

test('a rejected publish is answered with its violations, recorded in stream_errors, and its batch-mates are stored', async () => {
  const id = await freshStream(db, { data_schema: { type: 'object', required: ['v'], properties: { v: { type: 'number' } } } });
  const c = track(await openWs('/ws'));
  // sent together: they share a transaction, the bad one must not fail the others
  c.send({ action: 'publish', stream: id, message_id: 'a', data: { v: 1 } });
  c.send({ action: 'publish', stream: id, message_id: 'b', data: { v: 'not a number' } });
  c.send({ action: 'publish', stream: id, message_id: 'c', data: { v: 3 } });
  c.send({ action: 'publish', stream: 'no_such_stream_xyz', message_id: 'd', data: { v: 4 } });
  c.send({ action: 'publish', stream: id, message_id: 'e', payload: { v: 5 } });
  const b = await c.waitFor((m) => m.message_id === 'b');
  assert.equal(b.type, 'error');
  // paths name what the client sent: data, not the stored frame's payload
  assert.equal(b.violations[0].path, '$.data.v');
  assert.equal(b.violations[0].keyword, 'type');
  const e = await c.waitFor((m) => m.message_id === 'e');
  assert.deepEqual([e.violations[0].path, e.violations[0].keyword, e.violations[0].message],
    ['$.data', 'required', 'data is required']);
  const d = await c.waitFor((m) => m.message_id === 'd');
  assert.equal(d.type, 'error');
  assert.match(d.error, /does not exist/);
  const a = await c.waitFor((m) => m.message_id === 'a');
  const cc = await c.waitFor((m) => m.message_id === 'c');
  assert.deepEqual([a.type, a.sequence, cc.type, cc.sequence], ['ack', 1, 'ack', 2]);
  const { rows } = await db.query(
    "SELECT source, raw_payload->>'message_id' AS mid FROM streamflow.stream_errors WHERE stream_id = $1 ORDER BY id", [id]);
  assert.deepEqual(rows, [{ source: 'websocket', mid: 'b' }, { source: 'websocket', mid: 'e' }]);
});

test('SQL ingest reaches a WebSocket, an SSE client and a LISTENer, in order, each frame once', async () => {
  const id = await freshStream(db);
  const ws = track(await openWs(`/streams/${id}/ws`));
  await ws.waitFor((m) => m.type === 'subscribed');
  const sse = track(await openSse(id));
  const listener = await connect();
  await listener.query(`LISTEN "datastreams/${id}"`);
  const notes = collectNotifications(listener, `datastreams/${id}`, 5, 10000);
  for (let i = 1; i <= 5; i++) await db.query('SELECT streamflow.ingest($1, $2)', [id, { i }]);
  await ws.waitForFrame(5);
  await sse.waitForId(5);
  assert.deepEqual(sequences(ws.frames()), range(1, 5));
  assert.deepEqual(sequences(sse.events), range(1, 5));
  assert.deepEqual(sse.events.map((e) => e.event), Array(5).fill('frame'));
  assert.deepEqual(sse.events.map((e) => e.data.data.i), range(1, 5));
  const got = await notes;
  assert.deepEqual(got.map((n) => n.sequence), range(1, 5));
  await listener.end();
});

test('SSE answers text/event-stream with CORS and no-store; an unknown stream 404 JSON; a bad Last-Event-ID 400', async () => {
  const id = await freshStream(db);
  const ctl = new AbortController();
  const res = await fetch(`${httpBase}${withToken(`/streams/${id}/events`)}`, { signal: ctl.signal });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  ctl.abort();
  const missing = await fetch(`${httpBase}${withToken('/streams/no_such_stream_xyz/events')}`);
  assert.equal(missing.status, 404);
  assert.deepEqual(await missing.json(), { error: 'stream not found', stream: 'no_such_stream_xyz' });
  const bad = await fetch(`${httpBase}${withToken(`/streams/${id}/events`)}`, { headers: { 'Last-Event-ID': 'abc' } });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /Last-Event-ID/);
});

test('SSE resumes after Last-Event-ID (header or query) from storage, then live: no gap, no repeat', async () => {
  const id = await freshStream(db);
  await ingestMany(id, 10);
  const byHeader = track(await openSse(id, { headers: { 'Last-Event-ID': '4' } }));
  const byQuery = track(await openSse(id, { query: '?last_event_id=7' }));
  await byHeader.waitForId(10);
  await byQuery.waitForId(10);
  await ingestMany(id, 5);
  await byHeader.waitForId(15);
  await byQuery.waitForId(15);
  assert.deepEqual(sequences(byHeader.events), range(5, 15));
  assert.deepEqual(sequences(byQuery.events), range(8, 15));
  assert.deepEqual(byHeader.events.map((e) => e.id), range(5, 15).map(String));
});

test('subscribe with from_sequence replays in pages while frames keep committing, then continues live', { timeout: 60000 }, async () => {
  const id = await freshStream(db, { backpressure: { max_queue_size: 50, strategy: 'drop_oldest' } });
  await ingestMany(id, 1200);
  const c = track(await openWs('/ws'));
  c.send({ action: 'subscribe', stream: id, from_sequence: 3 });
  const sub = await c.waitFor((m) => m.type === 'subscribed');
  assert.equal(sub.stream, id);
  assert.equal(sub.last_sequence, 1200);
  // commits during the replay: read from storage or live, never twice
  const writer = (async () => { for (let i = 0; i < 20; i++) await ingestMany(id, 10); })();
  await writer;
  await c.waitForFrame(1400, 30000);
  assert.deepEqual(sequences(c.frames()), range(3, 1400));
  // the replay used queue-sized pages: nothing was dropped for it
  const { rows: [s] } = await db.query('SELECT dropped FROM streamflow.stream_stats WHERE stream_id = $1', [id]);
  assert.equal(Number(s.dropped), 0);
});

test('/streams/{id}/ws?from_sequence replays, and unsubscribe stops the pushes', async () => {
  const id = await freshStream(db);
  await ingestMany(id, 4);
  const c = track(await openWs(`/streams/${id}/ws?from_sequence=2`));
  await c.waitForFrame(4);
  assert.deepEqual(sequences(c.frames()), range(2, 4));
  const other = track(await openWs(`/streams/${id}/ws`));
  await other.waitFor((m) => m.type === 'subscribed');
  c.send({ action: 'unsubscribe', stream: id });
  await c.waitFor((m) => m.type === 'unsubscribed');
  await ingestMany(id, 1);
  await other.waitForFrame(5);
  // the same commit reached the other subscriber: c, unsubscribed, got nothing
  assert.deepEqual(sequences(c.frames()), range(2, 4));
});

test('batching delivers JSON arrays of up to batch_size messages over WebSocket and several events per SSE write', async () => {
  const id = await freshStream(db, { batching: { batch_size: 4, batch_timeout_ms: 50 } });
  const c = track(await openWs(`/streams/${id}/ws`));
  await c.waitFor((m) => m.type === 'subscribed');
  const sse = track(await openSse(id));
  await ingestMany(id, 10);
  await c.waitForFrame(10);
  await sse.waitForId(10);
  assert.deepEqual(sequences(c.frames()), range(1, 10));
  assert.deepEqual(sequences(sse.events), range(1, 10));
  assert.ok(c.batches >= 3, `10 messages in batches of at most 4 are at least 3 arrays (got ${c.batches})`);
});

test('bad input: each gets its close code or error, and another subscriber keeps receiving', async () => {
  const id = await freshStream(db);
  const witness = track(await openWs(`/streams/${id}/ws`));
  await witness.waitFor((m) => m.type === 'subscribed');

  const cases = [
    ['malformed JSON', '{"action": "subscribe", ', 1007, /malformed JSON/],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 1007, /invalid UTF-8/],
  ];
  for (const [what, payload, code, reason] of cases) {
    const c = track(await openWs('/ws'));
    c.ws.send(payload, { binary: false });
    const closed = await c.waitForClose();
    assert.equal(closed.code, code, what);
    assert.match(JSON.parse(closed.reason).error, reason, what);
  }

  const big = track(await openWs('/ws'));
  big.send(JSON.stringify({ action: 'publish', stream: id, data: { pad: 'x'.repeat(1024 * 1024 + 10) } }));
  const bigClose = await big.waitForClose();
  assert.equal(bigClose.code, 1009);
  assert.equal(JSON.parse(bigClose.reason).error, 'message too big');

  const bin = track(await openWs('/ws'));
  bin.ws.send(Buffer.from('{}'), { binary: true });
  assert.equal((await bin.waitForClose()).code, 1003);

  // refused at connect: the handshake completes, then a close with the reason
  for (const [path, error] of [
    ['/nowhere', 'unknown WebSocket path'],
    [`/streams/${id}/ws?from_sequence=x`, 'from_sequence must be a non-negative integer'],
    ['/streams/no_such_stream_xyz/ws', 'stream not found'],
  ]) {
    const r = track(await openWs(path));
    const closed = await r.waitForClose();
    assert.equal(closed.code, 1008, path);
    assert.equal(JSON.parse(closed.reason).error, error, path);
  }

  // errors that leave the connection open
  const c = track(await openWs('/ws'));
  c.send('[1, 2]');
  c.send({ action: 'dance', stream: id });
  c.send({ action: 'subscribe' });
  c.send({ action: 'subscribe', stream: 'no_such_stream_xyz' });
  c.send({ action: 'unsubscribe', stream: id });
  c.send({ action: 'publish', stream: id, message_id: 'scalar', data: 5 });
  c.send({ action: 'subscribe', stream: id, from_sequence: -2 });
  await c.waitFor(() => c.messages.filter((m) => m.type === 'error').length === 7);
  assert.deepEqual(c.messages.filter((m) => m.type === 'error').map((m) => m.error), [
    'a message must be a JSON object',
    'unknown action "dance": expected subscribe, unsubscribe or publish',
    'subscribe needs a "stream" (id or name)',
    'stream not found',
    'not subscribed',
    'frame rejected',
    'from_sequence must be a non-negative integer',
  ]);
  assert.equal(c.closed, null, 'the connection stays open');

  await ingestMany(id, 1);
  await witness.waitForFrame(1);
  assert.equal(witness.closed, null);
});

test('auth: tokens from the access_token query or Authorization header; read scope to subscribe, write to publish', async () => {
  const id = await freshStream(db);
  const other = await freshStream(db);
  const { rows: [{ s: readOnly }] } = await db.query(
    "SELECT streamflow.create_token($1, $2, '{read}') AS s", [`ro_${id}`, [id]]);

  // no token, a wrong token: 1008 on WebSocket, 401 on SSE
  for (const token of [null, 'sf_not_a_real_token']) {
    const c = track(await openWs(`/streams/${id}/ws`, { token }));
    const closed = await c.waitForClose();
    assert.equal(closed.code, 1008);
    assert.ok(JSON.parse(closed.reason).error.length > 0);
    const res = await fetch(`${httpBase}${withToken(`/streams/${id}/events`, token)}`);
    assert.equal(res.status, 401);
    assert.ok((await res.json()).error);
  }

  // a read-only token scoped to one stream: subscribes there, cannot publish,
  // cannot subscribe elsewhere (an error message; the connection stays open)
  const c = track(await openWs('/ws', { token: readOnly }));
  c.send({ action: 'subscribe', stream: id });
  await c.waitFor((m) => m.type === 'subscribed');
  c.send({ action: 'subscribe', stream: other });
  c.send({ action: 'publish', stream: id, message_id: 'nope', data: { x: 1 } });
  const denied = await c.waitFor((m) => m.type === 'error' && m.stream === other);
  assert.ok(denied.error.length > 0);
  const noWrite = await c.waitFor((m) => m.message_id === 'nope');
  assert.equal(noWrite.type, 'error');
  const { rows } = await db.query('SELECT count(*)::int AS n FROM streamflow.frames WHERE stream_id = $1', [id]);
  assert.equal(rows[0].n, 0);
  const sseForbidden = await fetch(`${httpBase}${withToken(`/streams/${other}/events`, readOnly)}`);
  assert.equal(sseForbidden.status, 403);

  // the Authorization header works too (non-browser clients)
  const { rows: [{ s: rw }] } = await db.query(
    "SELECT streamflow.create_token($1, NULL, '{read,write}') AS s", [`rw_${id}`]);
  const h = track(await openWs(`/streams/${id}/ws`, { token: null, headers: { Authorization: `Bearer ${rw}` } }));
  await h.waitFor((m) => m.type === 'subscribed');
  h.send({ message_id: 'yes', data: { x: 2 } });
  assert.equal((await h.waitFor((m) => m.message_id === 'yes')).type, 'ack');
  await c.waitForFrame(1);
  assert.equal(c.closed, null);
});

test('one transaction mixing frames over and under ring_max_message: each pushed whole, in order', async () => {
  const id = await freshStream(db);
  const c = track(await openWs(`/streams/${id}/ws`));
  await c.waitFor((m) => m.type === 'subscribed');
  const big = 'y'.repeat(100 * 1024); // over the default 64 kB: passed as a reference, read from storage
  await db.query(`SELECT streamflow.ingest_batch($1, $2::jsonb)`, [id, JSON.stringify([
    { payload: { n: 1 } }, { payload: { n: 2, big } }, { payload: { n: 3 } }, { payload: { n: 4, big } }, { payload: { n: 5 } }])]);
  await c.waitForFrame(5);
  assert.deepEqual(sequences(c.frames()), range(1, 5));
  assert.deepEqual(c.frames().map((f) => [f.data.n, f.data.big?.length ?? 0]),
    [[1, 0], [2, big.length], [3, 0], [4, big.length], [5, 0]]);
});
