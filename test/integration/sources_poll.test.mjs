// Polled sources over real HTTP on loopback: a stream with an http(s)
// source_url is polled by the worker with its auth_headers; a JSON array, an
// object with "messages" (its cursor carried to the next poll as ?since=,
// its next_poll_after_ms honoured) or a single object become frames.  Failed
// polls (invalid JSON, 500, a body over streamflow.source_max_body, an
// endless body, nothing listening, a name that does not resolve, an
// untrusted certificate) are recorded in stream_errors and counted, and the
// source keeps polling.  Pausing, resuming, updating and dropping the stream
// stop, start and restart the poller without restarting the worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';
import { deadPort, startUntrustedTls, until } from './receiver.mjs';
import {
  startPollServer, payloads, frames, streamErrors, errorCount, setGuc, sleep,
} from './sources.mjs';

let db;
const servers = [];
const streams = [];

before(async () => { db = await connect(); });
after(async () => {
  for (const s of streams) await db.query('SELECT streamflow.drop_stream($1)', [s]).catch(() => {});
  await setGuc(db, 'streamflow.source_max_body', null);
  await setGuc(db, 'streamflow.source_timeout', null);
  for (const s of servers) await s.close();
  await db.end();
});

// A poll server closed after the tests.
async function server(answer) {
  const s = await startPollServer(answer);
  servers.push(s);
  return s;
}

// A stream polling url every 100 ms with a short retry backoff.
async function polled(url, extra = {}) {
  const id = await freshStream(db, {
    source_url: url, polling_interval_ms: 100,
    retry_policy: { max_retries: 2, backoff_ms: 50, max_backoff_ms: 200 }, ...extra,
  });
  streams.push(id);
  return id;
}

// Waits for a stream_errors row of the stream whose message matches re.
const errorMatching = (stream, re) => until(`an error matching ${re}`, async () =>
  (await streamErrors(db, stream)).find((e) => re.test(e.message)));

test('auth_headers that would break the request are refused with 22023', async () => {
  for (const headers of [{ 'X-Ok\r\nX-Evil': 'a' }, { Authorization: 'Bearer a\r\nX-Evil: 1' }, { '': 'a' }, { 'Bad Name': 'a' }]) {
    await assert.rejects(
      freshStream(db, { source_url: 'http://127.0.0.1:1/data', auth_headers: headers }),
      (e) => e.code === '22023' && /not a valid HTTP header/.test(e.message) && /control characters/.test(e.hint),
      JSON.stringify(headers));
  }
});

test('a JSON array becomes frames, with the auth headers sent', { timeout: 30000 }, async () => {
  const s = await server((r, n) => ({ body: n === 0 ? [{ a: 1 }, { a: 2 }, { a: 3 }] : [] }));
  const stream = await polled(s.url, { auth_headers: { Authorization: 'Bearer src-token', 'X-Client-ID': 'c1' } });
  await until('3 frames', async () => (await payloads(db, stream)).length >= 3);
  await until('a second poll', () => s.requests.length >= 2);
  assert.deepEqual(await payloads(db, stream), [{ a: 1 }, { a: 2 }, { a: 3 }]);
  assert.equal(s.requests[0].headers.authorization, 'Bearer src-token');
  assert.equal(s.requests[0].headers['x-client-id'], 'c1');
  const f = await frames(db, stream);
  assert.equal(f[0].metadata.source, 'poller');
});

test('seed 000\'s {"messages": [...]}: data is the payload, the cursor is carried as ?since=', { timeout: 30000 }, async () => {
  // 1st poll: a cursor given by the answer; 2nd: messages with sequences
  // (the last one is the cursor); then nothing new
  const s = await server((r, n) => {
    if (n === 0) {
      return { body: { messages: [{ id: 'm1', timestamp: '2025-11-06T13:00:01Z', data: { v: 1 } }], since: 'cursor A', next_poll_after_ms: 100 } };
    }
    if (n === 1) {
      return { body: { messages: [{ id: 'm2', sequence: 6, data: { v: 2 } }, { id: 'm3', sequence: 7, data: { v: 3 }, metadata: { origin: 'x' } }] } };
    }
    return { body: { messages: [], next_poll_after_ms: 100 } };
  });
  const stream = await polled(s.url);
  await until('3 frames and a 3rd poll', async () =>
    (await payloads(db, stream)).length >= 3 && s.requests.length >= 3);
  assert.deepEqual(await payloads(db, stream), [{ v: 1 }, { v: 2 }, { v: 3 }]);
  assert.deepEqual(s.requests.slice(0, 3).map((r) => r.since), [null, 'cursor A', '7']);
  const f = await frames(db, stream);
  assert.equal(f[0].metadata.message_id, 'm1');
  assert.equal(f[0].metadata.timestamp, '2025-11-06T13:00:01Z');
  assert.equal(f[2].metadata.origin, 'x');
  assert.equal(f[2].metadata.source, 'poller');
});

test('a single object is one frame; a non-object message is rejected and recorded', { timeout: 30000 }, async () => {
  const s = await server((r, n) => ({ body: n === 0 ? { temperature: 21.5 } : n === 1 ? [42, { ok: true }] : [] }));
  const stream = await polled(s.url);
  await until('2 frames', async () => (await payloads(db, stream)).length >= 2);
  assert.deepEqual(await payloads(db, stream), [{ temperature: 21.5 }, { ok: true }]);
  const e = await errorMatching(stream, /must be a JSON object/);
  assert.equal(e.source, 'poller');
  assert.equal(e.raw_payload, 42);
});

test('streamflow\'s own GET /streams/{id}/poll as a source: frames copied once, in order, by since', { timeout: 30000 }, async () => {
  const upstream = await freshStream(db, { polling_interval_ms: 100 });
  streams.push(upstream);
  const { rows } = await db.query("SELECT streamflow.create_token($1, $2, '{read}') AS s", [`src_${upstream}`, [upstream]]);
  const frames3 = [1, 2, 3].map((k) => ({ payload: { k }, metadata: { note: `n${k}` } }));
  await db.query('SELECT * FROM streamflow.ingest_batch($1, $2::jsonb)', [upstream, JSON.stringify(frames3)]);
  const url = `http://127.0.0.1:${process.env.STREAMFLOW_HTTP_PORT}/streams/${upstream}/poll`;
  const copy = await polled(url, { auth_headers: { Authorization: `Bearer ${rows[0].s}` } });
  await until('3 copied frames', async () => (await payloads(db, copy)).length >= 3);
  await db.query('SELECT * FROM streamflow.ingest($1, $2::jsonb)', [upstream, JSON.stringify({ k: 4 })]);
  await until('the 4th frame', async () => (await payloads(db, copy)).length >= 4);
  await sleep(500); // a few more polls, each with since = 4
  assert.deepEqual(await payloads(db, copy), [{ k: 1 }, { k: 2 }, { k: 3 }, { k: 4 }]);
  const f = await frames(db, copy);
  assert.equal(f[0].metadata.note, 'n1');
  assert.equal(f[0].metadata.source, 'poller');
  assert.deepEqual(await streamErrors(db, copy), []);
});

test('invalid JSON fails the poll (recorded, counted) and the poll is retried', { timeout: 30000 }, async () => {
  const s = await server((r, n) => (n < 2 ? { body: '{"messages": [oops' } : { body: [{ fixed: true }] }));
  const stream = await polled(s.url);
  const e = await errorMatching(stream, /not JSON/);
  assert.equal(e.source, 'poller');
  assert.equal(e.raw_payload.source_url, s.url);
  await until('the frame after the source recovered', async () => (await payloads(db, stream)).length >= 1);
  assert.deepEqual((await payloads(db, stream))[0], { fixed: true });
  assert.ok(await errorCount(db, stream) >= 2, 'both failures counted');
});

test('a 500 is recorded and the source keeps polling', { timeout: 30000 }, async () => {
  const s = await server((r, n) => (n < 3 ? { status: 500, body: 'boom' } : { body: [{ after: 500 }] }));
  const stream = await polled(s.url.replace('http://', 'HTTP://')); // schemes are case-insensitive
  const e = await errorMatching(stream, /HTTP 500/);
  assert.equal(e.source, 'poller');
  await until('the frame after the 500s', async () => (await payloads(db, stream)).length >= 1);
  assert.ok(s.requests.length >= 4);
});

test('a body over streamflow.source_max_body fails the poll', { timeout: 30000 }, async () => {
  await setGuc(db, 'streamflow.source_max_body', '64kB');
  const big = JSON.stringify(Array.from({ length: 5000 }, (_, i) => ({ i, pad: 'x'.repeat(40) })));
  assert.ok(big.length > 64 * 1024);
  const s = await server(() => ({ body: big }));
  const stream = await polled(s.url);
  await errorMatching(stream, /larger than streamflow\.source_max_body/);
  assert.equal((await payloads(db, stream)).length, 0, 'nothing of the too large body stored');
  await db.query('SELECT streamflow.update_stream($1, $2::jsonb)', [stream, JSON.stringify({ status: 'paused' })]);
  await setGuc(db, 'streamflow.source_max_body', null);
});

test('an endless body times out (streamflow.source_timeout) and is polled again', { timeout: 30000 }, async () => {
  await setGuc(db, 'streamflow.source_timeout', '500ms');
  const timers = [];
  const s = await server((r, n, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
    const t = setInterval(() => res.write('{"n": 1},'), 20);
    timers.push(t);
    res.on('close', () => clearInterval(t));
    return undefined;
  });
  const stream = await polled(s.url);
  await errorMatching(stream, /no complete answer within streamflow\.source_timeout/);
  await until('another poll after the timeout', () => s.requests.length >= 2);
  assert.equal((await payloads(db, stream)).length, 0);
  await db.query('SELECT streamflow.update_stream($1, $2::jsonb)', [stream, JSON.stringify({ status: 'paused' })]);
  await setGuc(db, 'streamflow.source_timeout', null);
  timers.forEach(clearInterval);
});

test('a source not listening, a name that does not resolve and an untrusted certificate are recorded', { timeout: 30000 }, async () => {
  const refused = await polled(`http://127.0.0.1:${await deadPort()}/data`);
  const unresolved = await polled('http://no-such-host.invalid/data');
  const tls = await startUntrustedTls();
  servers.push(tls);
  const untrusted = await polled(tls.url);
  for (const [stream, what] of [[refused, 'refused'], [unresolved, 'unresolvable'], [untrusted, 'untrusted']]) {
    const e = await errorMatching(stream, /could not connect/);
    assert.equal(e.source, 'poller', what);
  }
  assert.equal(tls.requests.length, 0, 'no request passed the refused handshake');
  await until('a retry of the refused source', async () => (await streamErrors(db, refused)).length >= 2);
});

test('pause stops the poller, resume starts it, update restarts it on the new url, drop ends it', { timeout: 60000 }, async () => {
  const a = await server(() => ({ body: [] }));
  const b = await server(() => ({ body: [{ from: 'b' }] }));
  const stream = await polled(a.url);
  const patch = (p) => db.query('SELECT streamflow.update_stream($1, $2::jsonb)', [stream, JSON.stringify(p)]);
  await until('polls of a', () => a.requests.length >= 2);

  await patch({ status: 'paused' });
  await sleep(1500); // the worker rereads the streams once a second
  const paused = a.requests.length;
  await sleep(1000);
  assert.equal(a.requests.length, paused, 'no poll while paused');

  await patch({ status: 'active' });
  await until('polls after resume', () => a.requests.length > paused + 1);

  await patch({ source_url: b.url, auth_headers: { 'X-New': 'yes' } });
  await until('a frame from b', async () => (await payloads(db, stream)).length >= 1);
  assert.deepEqual((await payloads(db, stream))[0], { from: 'b' });
  assert.equal(b.requests[0].headers['x-new'], 'yes');
  await sleep(1500);
  const aAfter = a.requests.length;
  await sleep(1000);
  assert.equal(a.requests.length, aAfter, 'a no longer polled');

  await db.query('SELECT streamflow.drop_stream($1)', [stream]);
  await sleep(1500);
  const bAfter = b.requests.length;
  await sleep(1000);
  assert.equal(b.requests.length, bAfter, 'no poll after drop');
});
