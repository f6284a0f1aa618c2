// Inbound webhooks over real HTTP: POST /webhooks/stream/{id} with seed 000's
// payload, signed with HMAC-SHA256 of the raw body (X-Streamflow-Signature),
// every answer (200/400/401/404/409/413/415) and the worker still serving
// after each bad request.  Webhooks need no token: the signature is the proof.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import { connect, freshStream, collectNotifications } from './helpers.mjs';

const port = Number(process.env.STREAMFLOW_HTTP_PORT);
const base = `http://127.0.0.1:${port}`;
const secret = 'whsec-0123456789abcdef-test';
let db;
let stream;

before(async () => {
  db = await connect();
  stream = await freshStream(db, {
    webhook_secret: secret,
    data_schema: { type: 'object', required: ['attribute1'] },
  });
});
after(async () => { await db.end(); });

const sign = (body, key = secret) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;

// POSTs a raw body (string or Buffer) to the stream's webhook, signed with key unless told otherwise.
function hook(body, { id = stream, key = secret, signature, type = 'application/json' } = {}) {
  const headers = { 'content-type': type };
  const sig = signature === undefined ? sign(body, key) : signature;
  if (sig !== null) headers['x-streamflow-signature'] = sig;
  return fetch(`${base}/webhooks/stream/${encodeURIComponent(id)}`, { method: 'POST', headers, body });
}

const payload = (extra = {}) => JSON.stringify({
  webhook_id: 'wh_abc123',
  event_type: 'data.updated',
  timestamp: '2025-11-06T13:00:00Z',
  stream_id: stream,
  data: { attribute1: 'value1', attribute2: 123 },
  ...extra,
});

async function stillServing() {
  assert.equal((await fetch(`${base}/health`)).status, 200);
}

// The newest stream_errors row of the stream.
async function lastError(id = stream) {
  const { rows } = await db.query(
    'SELECT source, violations FROM streamflow.stream_errors WHERE stream_id = $1 ORDER BY id DESC LIMIT 1', [id]);
  return rows[0];
}

test('a signed seed 000 payload is stored (200), visible in SQL and to a LISTENer, with its message_id', async () => {
  const listener = await connect();
  await listener.query(`LISTEN "datastreams/${stream}"`);
  const heard = collectNotifications(listener, `datastreams/${stream}`, 1, 5000);
  const res = await hook(payload({ message_id: 'msg-1' }));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.received, true);
  assert.equal(body.message_id, 'msg-1');
  assert.ok(body.sequence > 0);
  const { rows } = await db.query(
    'SELECT payload, metadata FROM streamflow.frames WHERE stream_id = $1 AND sequence = $2', [stream, body.sequence]);
  assert.deepEqual(rows[0].payload, { attribute1: 'value1', attribute2: 123 });
  assert.equal(rows[0].metadata.message_id, 'msg-1');
  assert.equal(rows[0].metadata.event_type, 'data.updated');
  assert.equal(rows[0].metadata.webhook_id, 'wh_abc123');
  const notes = await heard;
  await listener.end();
  assert.equal(notes[0].sequence, body.sequence);
  // every transport's message carries the message_id
  const token = (await db.query('SELECT streamflow.create_token($1, $2, $3) AS t',
    [`wh_${Math.random()}`, [stream], ['read']])).rows[0].t;
  const latest = await (await fetch(`${base}/streams/${stream}/latest`,
    { headers: { authorization: `Bearer ${token}` } })).json();
  assert.equal(latest.message_id, 'msg-1');
});

test('without message_id the webhook_id is the message id; without both, stream:sequence', async () => {
  const a = await (await hook(payload())).json();
  assert.equal(a.message_id, 'wh_abc123');
  const bare = JSON.stringify({ event_type: 'ping', data: { attribute1: 'x' } });
  const b = await (await hook(bare)).json();
  assert.equal(b.message_id, `${stream}:${b.sequence}`);
});

test('bad, missing and malformed signatures answer 401; so does a stream without a secret', async () => {
  const body = payload();
  const wrongKey = await hook(body, { key: 'not-the-secret-at-all' });
  assert.equal(wrongKey.status, 401);
  assert.equal((await wrongKey.json()).error, 'invalid signature');
  const tampered = await hook(body.replace('value1', 'value2'), { signature: sign(body) });
  assert.equal(tampered.status, 401);
  const missing = await hook(body, { signature: null });
  assert.equal(missing.status, 401);
  assert.match((await missing.json()).detail, /no X-Streamflow-Signature/);
  for (const bad of ['sha1=abc', 'sha256=xyz', `sha256=${'g'.repeat(64)}`, sign(body).slice(0, 40)]) {
    const res = await hook(body, { signature: bad });
    assert.equal(res.status, 401, bad);
  }
  const { rows } = await db.query(
    'SELECT error_count FROM streamflow.stream_stats WHERE stream_id = $1', [stream]);
  assert.ok(Number(rows[0].error_count) >= 7, 'each refused signature counts as an error of the stream');
  const unsigned = await freshStream(db);
  const noSecret = await hook(body, { id: unsigned });
  assert.equal(noSecret.status, 401);
  assert.match((await noSecret.json()).detail, /has no webhook secret/);
  await stillServing();
});

test('rotating the secret: the old one stops working, the new one works', async () => {
  const s = await freshStream(db, { webhook_secret: 'first-secret-0123456789' });
  const body = JSON.stringify({ event_type: 'e', data: { n: 1 } });
  assert.equal((await hook(body, { id: s, key: 'first-secret-0123456789' })).status, 200);
  await db.query('SELECT streamflow.update_stream($1, $2)', [s, { webhook_secret: 'second-secret-0123456789' }]);
  assert.equal((await hook(body, { id: s, key: 'first-secret-0123456789' })).status, 401);
  assert.equal((await hook(body, { id: s, key: 'second-secret-0123456789' })).status, 200);
});

test('an invalid payload answers 400 with violations, recorded in stream_errors as webhook', async () => {
  const cases = [
    [JSON.stringify({ event_type: 'e' }), '$.data required'],
    [JSON.stringify({ event_type: 'e', data: [1] }), '$.data type'],
    [JSON.stringify({ data: { attribute1: 1 } }), '$.event_type required'],
    [JSON.stringify({ event_type: 'e', data: { attribute1: 1 }, extra: 1 }), '$.extra additionalProperties'],
    [JSON.stringify({ event_type: 'e', data: { attribute1: 1 }, stream_id: 'another' }), '$.stream_id const'],
    [JSON.stringify({ event_type: 'e', data: { other: 1 } }), '$.data required'],
    ['[1,2]', '$ type'],
  ];
  for (const [body, expected] of cases) {
    const res = await hook(body);
    assert.equal(res.status, 400, body);
    const answer = await res.json();
    assert.equal(answer.error, 'invalid payload');
    const found = answer.violations.map((v) => `${v.path} ${v.keyword}`);
    assert.ok(found.includes(expected), `${body}: ${found.join(', ')}`);
    const row = await lastError();
    assert.equal(row.source, 'webhook');
    assert.deepEqual(row.violations, answer.violations);
  }
  await stillServing();
});

test('malformed JSON and invalid UTF-8 (signed) answer 400; a wrong Content-Type 415', async () => {
  const malformed = await hook('{"event_type": "e", "data": {');
  assert.equal(malformed.status, 400);
  assert.match((await malformed.json()).error, /invalid input syntax for type json/);
  const bytes = Buffer.concat([Buffer.from('{"event_type":"e","data":{"attribute1":"'),
    Buffer.from([0xff, 0xfe]), Buffer.from('"}}')]);
  const utf8 = await hook(bytes);
  assert.equal(utf8.status, 400);
  assert.match((await utf8.json()).error, /invalid byte sequence/);
  const text = await hook(payload(), { type: 'text/plain' });
  assert.equal(text.status, 415);
  await stillServing();
});

test('unknown stream 404, paused stream 409, oversize body 413 (with and without Content-Length)', async () => {
  const missing = await hook(payload(), { id: `no_such_${process.pid}` });
  assert.equal(missing.status, 404);
  const paused = await freshStream(db, { status: 'paused', webhook_secret: secret });
  const res = await hook(JSON.stringify({ event_type: 'e', data: { n: 1 } }), { id: paused });
  assert.equal(res.status, 409);
  assert.match((await res.json()).error, /paused/);
  const big = payload({ data: { attribute1: 'x'.repeat(1100 * 1024) } });
  const tooBig = await hook(big);
  assert.equal(tooBig.status, 413);
  assert.equal((await tooBig.json()).error, 'payload too large');
  const out = await new Promise((resolve, reject) => {
    const child = execFile('curl', ['-s', '-w', '\n%{http_code}', '-X', 'POST',
      '-H', 'content-type: application/json', '-H', `x-streamflow-signature: ${sign(big)}`,
      '-H', 'Transfer-Encoding: chunked', '--data-binary', '@-', `${base}/webhooks/stream/${stream}`],
    { maxBuffer: 1 << 20 }, (err, stdout) => (err && !stdout ? reject(err) : resolve(stdout.trim())));
    child.stdin.on('error', () => {});
    child.stdin.end(big);
  });
  assert.equal(out.split('\n').pop(), '413');
  await stillServing();
});

test('a chunked, signed upload (curl) is verified over the decoded body', async () => {
  const body = payload({ message_id: 'chunked-1' });
  const out = await new Promise((resolve, reject) => {
    const child = execFile('curl', ['-s', '-w', '\n%{http_code}', '-X', 'POST',
      '-H', 'content-type: application/json', '-H', `x-streamflow-signature: ${sign(body)}`,
      '-H', 'Transfer-Encoding: chunked', '--data-binary', '@-', `${base}/webhooks/stream/${stream}`],
    (err, stdout) => (err && !stdout ? reject(err) : resolve(stdout.trim())));
    child.stdin.write(body.slice(0, 10));
    child.stdin.end(body.slice(10));
  });
  const [answer, code] = out.split('\n');
  assert.equal(code, '200');
  assert.equal(JSON.parse(answer).message_id, 'chunked-1');
});
