// REST and polling over real HTTP: every route, every status, bad input
// (malformed JSON, invalid UTF-8, wrong Content-Type, oversize bodies with and
// without Content-Length, chunked uploads, half requests), tokens, and after
// each bad input the worker still serving /health and other clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { connect, freshStream, collectNotifications } from './helpers.mjs';

const port = Number(process.env.STREAMFLOW_HTTP_PORT);
const base = `http://127.0.0.1:${port}`;
let db;
let stream;       // a stream with a data_schema requiring "v"
let readToken;    // read on stream
let writeToken;   // write on stream
let rwToken;      // read and write on every stream

before(async () => {
  db = await connect();
  stream = await freshStream(db, {
    polling_interval_ms: 250,
    data_schema: { type: 'object', required: ['v'] },
  });
  const tok = async (streams, scopes) => (await db.query(
    'SELECT streamflow.create_token($1, $2, $3) AS t',
    [`rest_${Math.random()}`, streams, scopes])).rows[0].t;
  readToken = await tok([stream], ['read']);
  writeToken = await tok([stream], ['write']);
  rwToken = await tok(null, ['read', 'write']);
});
after(async () => { await db.end(); });

const auth = (t = rwToken) => ({ authorization: `Bearer ${t}` });
const json = (t = rwToken) => ({ ...auth(t), 'content-type': 'application/json' });
const post = (path, body, headers = json()) =>
  fetch(`${base}${path}`, { method: 'POST', headers, body });

// The worker answers /health and a read of the stream: it survived.
async function stillServing() {
  const h = await fetch(`${base}/health`);
  assert.equal(h.status, 200);
  const r = await fetch(`${base}/streams/${stream}`, { headers: auth() });
  assert.equal(r.status, 200);
}

// POSTs pieces with curl as a chunked upload read from stdin; resolves "body\nstatus".
function curlChunked(path, pieces) {
  return new Promise((resolve, reject) => {
    const child = execFile('curl', ['-s', '-w', '\n%{http_code}', '-X', 'POST',
      '-H', `authorization: Bearer ${rwToken}`, '-H', 'content-type: application/json',
      '-H', 'Transfer-Encoding: chunked', '--data-binary', '@-', `${base}${path}`],
    { maxBuffer: 1 << 20 }, (err, stdout) => (err && !stdout ? reject(err) : resolve(stdout.trim())));
    child.stdin.on('error', () => {});
    for (const p of pieces) child.stdin.write(p);
    child.stdin.end();
  });
}

// Sends raw bytes on a socket and resolves with everything read until close.
function rawRequest(bytes, { endAfterWrite = false } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => { got += d.toString('latin1'); });
    s.on('error', () => resolve(got));
    s.on('close', () => resolve(got));
    s.write(bytes);
    if (endAfterWrite) s.end();
    s.setTimeout(30000, () => { s.destroy(); reject(new Error('no answer within 30 s')); });
  });
}

test('GET /streams lists streams as get_stream shows them, never the webhook secret', async () => {
  const secretStream = await freshStream(db, { webhook_secret: 'a-secret-of-16-bytes-or-more' });
  const res = await fetch(`${base}/streams`, { headers: auth() });
  assert.equal(res.status, 200);
  const list = await res.json();
  const mine = list.find((s) => s.id === stream);
  const { rows } = await db.query('SELECT streamflow.get_stream($1) AS s', [stream]);
  assert.deepEqual(mine, rows[0].s);
  assert.ok(list.some((s) => s.id === secretStream));
  assert.ok(!JSON.stringify(list).includes('a-secret-of-16-bytes'));
  assert.ok(list.every((s) => !('webhook_secret' in s)));
});

test('GET /streams with a token limited to one stream lists only that stream', async () => {
  const res = await fetch(`${base}/streams`, { headers: auth(readToken) });
  assert.equal(res.status, 200);
  assert.deepEqual((await res.json()).map((s) => s.id), [stream]);
});

test('GET /streams/{id} by id and by name; unknown stream 404 JSON', async () => {
  const named = await freshStream(db);
  const { rows } = await db.query('SELECT name FROM streamflow.streams WHERE id = $1', [named]);
  const byName = await fetch(`${base}/streams/${encodeURIComponent(rows[0].name)}`, { headers: auth() });
  assert.equal(byName.status, 200);
  assert.equal((await byName.json()).id, named);
  const missing = await fetch(`${base}/streams/no_such_stream_${process.pid}`, { headers: auth() });
  assert.equal(missing.status, 404);
  const body = await missing.json();
  assert.match(body.error, /does not exist/);
  assert.equal(body.code, '42704');
});

test('POST /streams/{id}/frames stores the frame (201), visible in SQL and to a LISTENer', async () => {
  const listener = await connect();
  await listener.query(`LISTEN "datastreams/${stream}"`);
  const heard = collectNotifications(listener, `datastreams/${stream}`, 1, 5000);
  const res = await post(`/streams/${stream}/frames`,
    JSON.stringify({ payload: { v: 1 }, latency_ms: 7, metadata: { message_id: 'm-1' } }));
  assert.equal(res.status, 201);
  const frame = await res.json();
  assert.equal(frame.stream_id, stream);
  assert.deepEqual(frame.data, { v: 1 });
  assert.equal(frame.message_id, 'm-1');
  assert.equal(frame.latency_ms, 7);
  assert.equal(frame.status, 'ok');
  const { rows } = await db.query('SELECT sequence, payload FROM streamflow.frames($1, 1)', [stream]);
  assert.equal(Number(rows[0].sequence), frame.sequence);
  assert.deepEqual(rows[0].payload, { v: 1 });
  const notes = await heard;
  await listener.end();
  assert.equal(notes.length, 1);
  assert.equal(notes[0].sequence, frame.sequence);
});

test('POST the same sequence again answers 200 with the stored frame (idempotent)', async () => {
  const first = await post(`/streams/${stream}/frames`, JSON.stringify({ sequence: 1000, payload: { v: 'a' } }));
  assert.equal(first.status, 201);
  const again = await post(`/streams/${stream}/frames`, JSON.stringify({ sequence: 1000, payload: { v: 'b' } }));
  assert.equal(again.status, 200);
  assert.deepEqual((await again.json()).data, { v: 'a' });
});

test('an invalid frame answers 400 with its violations, recorded in stream_errors as http', async () => {
  const res = await post(`/streams/${stream}/frames`, JSON.stringify({ payload: { w: 1 }, bogus: 1 }));
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error, 'invalid frame');
  const keywords = body.violations.map((v) => `${v.path} ${v.keyword}`);
  assert.ok(keywords.includes('$.bogus additionalProperties'), keywords.join(', '));
  const { rows } = await db.query(
    "SELECT violations FROM streamflow.stream_errors WHERE stream_id = $1 AND source = 'http' ORDER BY id DESC LIMIT 1",
    [stream]);
  assert.deepEqual(rows[0].violations, body.violations);
  const schema = await post(`/streams/${stream}/frames`, JSON.stringify({ payload: { w: 1 } }));
  assert.equal(schema.status, 400);
  assert.equal((await schema.json()).violations[0].keyword, 'required');
  const notObject = await post(`/streams/${stream}/frames`, '42');
  assert.equal(notObject.status, 400);
  assert.equal((await notObject.json()).violations[0].keyword, 'type');
  await stillServing();
});

test('malformed JSON, invalid UTF-8 and a wrong Content-Type are refused with a JSON reason', async () => {
  const malformed = await post(`/streams/${stream}/frames`, '{"payload": {');
  assert.equal(malformed.status, 400);
  assert.match((await malformed.json()).error, /invalid input syntax for type json/);
  const utf8 = await post(`/streams/${stream}/frames`,
    Buffer.concat([Buffer.from('{"payload":{"v":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')]));
  assert.equal(utf8.status, 400);
  assert.match((await utf8.json()).error, /invalid byte sequence for encoding "UTF8"/);
  const nul = await post(`/streams/${stream}/frames`, Buffer.from('{"payload":{"v":"\0"}}'));
  assert.equal(nul.status, 400);
  const form = await post(`/streams/${stream}/frames`, 'payload=1',
    { ...auth(), 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(form.status, 415);
  assert.equal((await form.json()).error, 'unsupported media type');
  const latin1 = await post(`/streams/${stream}/frames`, '{"payload":{"v":1}}',
    { ...auth(), 'content-type': 'application/json; charset=iso-8859-1' });
  assert.equal(latin1.status, 415);
  const utf8Declared = await post(`/streams/${stream}/frames`, '{"payload":{"v":"é"}}',
    { ...auth(), 'content-type': 'application/json; charset="UTF-8"' });
  assert.equal(utf8Declared.status, 201);
  await stillServing();
});

test('bad requests about a stream count in its error_count once: transport errors and rejections', async () => {
  const s = await freshStream(db, { data_schema: { type: 'object', required: ['v'] } });
  const errors = async () => Number((await db.query(
    'SELECT error_count FROM streamflow.stream_stats WHERE stream_id = $1', [s])).rows[0].error_count);
  const before = await errors();
  assert.equal((await post(`/streams/${s}/frames`, '{"payload":')).status, 400);
  assert.equal(await errors(), before + 1, 'malformed JSON is a transport error');
  assert.equal((await post(`/streams/${s}/frames`, '{"payload":{}}')).status, 400);
  assert.equal(await errors(), before + 2, 'a rejected frame counts once, as rejected');
  assert.equal((await post(`/streams/${s}/frames`, 'x', { ...auth(), 'content-type': 'text/plain' })).status, 415);
  assert.equal(await errors(), before + 3);
  assert.equal((await post(`/streams/${s}/frames`, '{"payload":{"v":1}}')).status, 201);
  assert.equal(await errors(), before + 3);
});

test('a paused stream answers 409; an unknown stream 404', async () => {
  const paused = await freshStream(db, { status: 'paused' });
  const res = await post(`/streams/${paused}/frames`, JSON.stringify({ payload: { v: 1 } }));
  assert.equal(res.status, 409);
  assert.match((await res.json()).error, /paused/);
  const missing = await post(`/streams/nope_${process.pid}/frames`, JSON.stringify({ payload: { v: 1 } }));
  assert.equal(missing.status, 404);
});

test('GET frames (newest first, limit), latest (404 when empty) and bad limits', async () => {
  const s = await freshStream(db);
  const empty = await fetch(`${base}/streams/${s}/latest`, { headers: auth() });
  assert.equal(empty.status, 404);
  assert.equal((await empty.json()).error, 'no frames');
  for (let i = 1; i <= 3; i++) {
    assert.equal((await post(`/streams/${s}/frames`, JSON.stringify({ payload: { i } }))).status, 201);
  }
  const frames = await (await fetch(`${base}/streams/${s}/frames?limit=2`, { headers: auth() })).json();
  assert.deepEqual(frames.map((f) => f.sequence), [3, 2]);
  const { rows } = await db.query('SELECT sequence FROM streamflow.frames($1, 2)', [s]);
  assert.deepEqual(rows.map((r) => Number(r.sequence)), [3, 2]);
  const latest = await (await fetch(`${base}/streams/${s}/latest`, { headers: auth() })).json();
  assert.equal(latest.sequence, 3);
  for (const bad of ['abc', '-1', '1.5', '']) {
    const res = await fetch(`${base}/streams/${s}/frames?limit=${bad}`, { headers: auth() });
    assert.equal(res.status, 400, `limit=${bad}`);
    assert.match((await res.json()).error, /query parameter "limit"/);
  }
});

test('GET poll returns frames after since with next_poll_after_ms', async () => {
  const s = await freshStream(db, { polling_interval_ms: 750 });
  const plain = await freshStream(db);
  for (let i = 1; i <= 4; i++) await db.query('SELECT streamflow.ingest($1, $2)', [s, { i }]);
  const res = await fetch(`${base}/streams/${s}/poll?since=1&limit=2`, { headers: auth() });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(body.messages.map((m) => m.sequence), [2, 3]);
  assert.equal(body.next_poll_after_ms, 750);
  assert.equal(body.last_sequence, 3);
  const rest = await (await fetch(`${base}/streams/${s}/poll?since=${body.last_sequence}`, { headers: auth() })).json();
  assert.deepEqual(rest.messages.map((m) => m.sequence), [4]);
  const none = await (await fetch(`${base}/streams/${plain}/poll`, { headers: auth() })).json();
  assert.deepEqual(none.messages, []);
  assert.equal(none.next_poll_after_ms, 1000, 'the documented default');
  assert.equal((await fetch(`${base}/streams/${s}/poll?since=x`, { headers: auth() })).status, 400);
});

test('tokens: 401 without or with a wrong token, 403 outside scope or stream', async () => {
  const other = await freshStream(db);
  const none = await fetch(`${base}/streams/${stream}`);
  assert.equal(none.status, 401);
  assert.equal((await none.json()).error, 'missing token');
  const wrong = await fetch(`${base}/streams/${stream}`, { headers: auth('sf_wrong') });
  assert.equal(wrong.status, 401);
  assert.equal((await wrong.json()).error, 'invalid token');
  assert.equal((await fetch(`${base}/streams/${stream}/frames`, { headers: auth(readToken) })).status, 200);
  assert.equal((await fetch(`${base}/streams/${stream}/frames?access_token=${readToken}`)).status, 200);
  const forbidden = await fetch(`${base}/streams/${other}`, { headers: auth(readToken) });
  assert.equal(forbidden.status, 403);
  assert.equal((await forbidden.json()).error, 'forbidden');
  assert.equal((await post(`/streams/${stream}/frames`, '{"payload":{"v":1}}', json(readToken))).status, 403);
  assert.equal((await post(`/streams/${stream}/frames`, '{"payload":{"v":1}}', json(writeToken))).status, 201);
  assert.equal((await fetch(`${base}/streams/${stream}/latest`, { headers: auth(writeToken) })).status, 403);
  await stillServing();
});

test('a body over max_message_bytes answers 413, with and without Content-Length', async () => {
  const big = `{"payload":{"v":"${'x'.repeat(1100 * 1024)}"}}`;
  const withLength = await post(`/streams/${stream}/frames`, big);
  assert.equal(withLength.status, 413);
  assert.equal((await withLength.json()).error, 'payload too large');
  // chunked: no Content-Length, refused once the decoded body passes the limit
  const [body, code] = (await curlChunked(`/streams/${stream}/frames`, [big])).split('\n');
  assert.equal(code, '413');
  assert.equal(JSON.parse(body).error, 'payload too large');
  await stillServing();
});

test('a chunked upload (curl) is decoded and stored; POST without a length is 411', async () => {
  const [body, code] = (await curlChunked(`/streams/${stream}/frames`,
    ['{"payload":', '{"v":"chunked"}}'])).split('\n');
  assert.equal(code, '201');
  assert.deepEqual(JSON.parse(body).data, { v: 'chunked' });
  const noLength = await rawRequest(
    `POST /streams/${stream}/frames HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Authorization: Bearer ${rwToken}\r\n\r\n{"payload":{"v":1}}`, { endAfterWrite: true });
  assert.match(noLength, /^HTTP\/1\.1 411/);
  assert.match(noLength, /"length required"/);
  const badChunks = await rawRequest(
    `POST /streams/${stream}/frames HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Transfer-Encoding: chunked\r\nAuthorization: Bearer ${rwToken}\r\n\r\nzz\r\n`);
  assert.match(badChunks, /^HTTP\/1\.1 400/);
  assert.match(badChunks, /chunked body is malformed/);
  await stillServing();
});

test('slowloris: half a request and a body trickle hold only their own connection, then are closed', async () => {
  // half the headers, never finished
  const half = net.connect(port, '127.0.0.1');
  half.write(`GET /streams/${stream} HTTP/1.1\r\nHost: x\r\nX-Slow: `);
  const halfClosed = new Promise((r) => half.on('close', r));
  half.on('error', () => {});
  // a body announced but trickled a byte a second
  const trickle = net.connect(port, '127.0.0.1');
  trickle.on('error', () => {});
  let trickleAnswer = '';
  trickle.on('data', (d) => { trickleAnswer += d; });
  trickle.write(`POST /streams/${stream}/frames HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
    `Authorization: Bearer ${rwToken}\r\nContent-Length: 100000\r\n\r\n{`);
  const timer = setInterval(() => { if (!trickle.destroyed) trickle.write(' '); }, 1000);
  const trickleClosed = new Promise((r) => trickle.on('close', r));
  // meanwhile everyone else is served
  await stillServing();
  const res = await post(`/streams/${stream}/frames`, JSON.stringify({ payload: { v: 'meanwhile' } }));
  assert.equal(res.status, 201);
  await halfClosed;
  await trickleClosed;
  clearInterval(timer);
  assert.match(trickleAnswer, /^HTTP\/1\.1 408/);
  await stillServing();
});

test('unknown route 404 and wrong method 405, as JSON', async () => {
  const res = await fetch(`${base}/streams/${stream}/nothing`, { headers: auth() });
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error, 'not found');
  const del = await fetch(`${base}/streams/${stream}/frames`, { method: 'DELETE', headers: auth() });
  assert.equal(del.status, 405);
});
