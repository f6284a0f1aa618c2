// Outbound webhooks over real HTTP on loopback: every committed frame of a
// stream with destination_url is POSTed to a node receiver as seed 000's
// webhook payload, signed with the stream's secret, once and in order; a
// 500 is retried, a destination that hangs times out and ends in
// dead_letters with its last error, one not listening has its connection
// error recorded, a hanging destination does not hold up another one, and
// replay_dead_letters sends dead letters again.  Bad arguments get SQLSTATEs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';
import { startReceiver, startUntrustedTls, deadPort, until } from './receiver.mjs';

const secret = 'outbound-secret-0123456789abcdef';
let db;
const receivers = [];

before(async () => {
  db = await connect();
  await setTimeout_('2s');
});
after(async () => {
  await db.query('ALTER SYSTEM RESET streamflow.outbound_timeout');
  await db.query('SELECT pg_reload_conf()');
  for (const r of receivers) await r.close();
  await db.end();
});

// Sets streamflow.outbound_timeout and waits until the worker has it.
async function setTimeout_(value) {
  await db.query(`ALTER SYSTEM SET streamflow.outbound_timeout = '${value}'`);
  await db.query('SELECT pg_reload_conf()');
}

// A receiver that is closed after the tests.
async function receiver(decide) {
  const r = await startReceiver(secret, decide);
  receivers.push(r);
  return r;
}

// A stream delivering to url, with a webhook secret and the given retry_policy.
const outStream = (url, retry_policy = { max_retries: 3, backoff_ms: 50 }, extra = {}) =>
  freshStream(db, { destination_url: url, webhook_secret: secret, retry_policy, ...extra });

// Ingests n frames {n: i} in one transaction.
async function ingest(stream, n, from = 1) {
  const frames = Array.from({ length: n }, (_, i) => ({ payload: { n: from + i } }));
  await db.query('SELECT * FROM streamflow.ingest_batch($1, $2::jsonb)', [stream, JSON.stringify(frames)]);
}

// Pending delivery rows of a stream.
async function pending(stream) {
  const { rows } = await db.query(
    'SELECT sequence, attempts, last_status, last_error FROM streamflow.deliveries WHERE stream_id = $1 ORDER BY id',
    [stream]);
  return rows;
}

// Delivery dead letters of a stream.
async function deadLetters(stream) {
  const { rows } = await db.query(
    'SELECT id, sequence, attempts, reason, last_error, destination, frame FROM streamflow.dead_letters WHERE stream_id = $1 AND destination IS NOT NULL ORDER BY id',
    [stream]);
  return rows;
}

test('committed frames arrive signed, once and in commit order; rolled back ones never', { timeout: 30000 }, async () => {
  const r = await receiver(() => 200);
  const stream = await outStream(r.url);
  for (let b = 0; b < 5; b++) await ingest(stream, 10, b * 10 + 1);
  await db.query('BEGIN');
  await ingest(stream, 3, 1000);
  await db.query('ROLLBACK');
  await ingest(stream, 1, 51);
  await until('51 deliveries', () => r.delivered().length >= 51);
  await until('the queue to empty', async () => (await pending(stream)).length === 0);

  const seqs = r.requests.map((q) => q.body.sequence);
  assert.deepEqual(seqs, Array.from({ length: 51 }, (_, i) => i + 1), 'each frame once, in order');
  for (const q of r.requests) {
    assert.equal(q.signed, true, 'X-Streamflow-Signature is the HMAC of the body');
    assert.equal(q.method, 'POST');
    assert.equal(q.url, '/hook');
    assert.equal(q.headers['content-type'], 'application/json');
    assert.deepEqual(Object.keys(q.body), ['webhook_id', 'event_type', 'timestamp', 'stream_id', 'sequence', 'data']);
    assert.equal(q.body.stream_id, stream);
    assert.equal(q.body.webhook_id, `wh_${stream}_${q.body.sequence}`);
    assert.equal(q.body.event_type, 'frame.created');
    assert.ok(!Number.isNaN(Date.parse(q.body.timestamp)));
  }
  assert.deepEqual(r.requests.map((q) => q.body.data.n), Array.from({ length: 51 }, (_, i) => i + 1));
  const { rows } = await db.query('SELECT total_messages_sent FROM streamflow.stream_stats WHERE stream_id = $1', [stream]);
  assert.equal(Number(rows[0].total_messages_sent), 51);
});

test('a stream without a webhook secret is delivered unsigned', { timeout: 20000 }, async () => {
  const r = await receiver(() => 200);
  const stream = await freshStream(db, { destination_url: r.url });
  await ingest(stream, 2);
  await until('2 deliveries', () => r.delivered().length >= 2);
  assert.deepEqual(r.requests.map((q) => q.headers['x-streamflow-signature']), [undefined, undefined]);
});

test('500 then 200: retried until acknowledged; later frames wait their turn', { timeout: 30000 }, async () => {
  const failures = new Map();
  const r = await receiver((q) => {
    const seen = failures.get(q.body.sequence) ?? 0;
    failures.set(q.body.sequence, seen + 1);
    return q.body.sequence === 1 && seen < 2 ? 500 : 200;
  });
  const stream = await outStream(r.url, { max_retries: 5, backoff_ms: 30, exponential: true, jitter: true });
  await ingest(stream, 3);
  await until('3 deliveries', () => r.delivered().length >= 3);
  assert.deepEqual(r.requests.map((q) => [q.body.sequence, q.answer]),
    [[1, 500], [1, 500], [1, 200], [2, 200], [3, 200]],
    'frame 1 three times, the others only after it');
  await until('the queue to empty', async () => (await pending(stream)).length === 0);
  assert.deepEqual(await deadLetters(stream), []);
});

test('a failed attempt is recorded with its status and answer', { timeout: 20000 }, async () => {
  const r = await receiver(() => 503);
  const stream = await outStream(r.url, { max_retries: 3, backoff_ms: 3600000 });
  await ingest(stream, 2);
  const [row] = await until('a recorded attempt', async () => {
    const rows = await pending(stream);
    return rows.length && rows[0].attempts === 1 ? rows : null;
  });
  assert.equal(row.last_status, 503);
  assert.equal(row.last_error, 'HTTP 503: refused with 503');
  assert.equal(r.requests.length, 1, 'frame 2 waits behind frame 1');
  const { rows } = await db.query(
    'SELECT pending, retrying, head_sequence, head_attempts, last_status FROM streamflow.delivery_state WHERE stream_id = $1', [stream]);
  assert.deepEqual(rows[0], { pending: '2', retrying: '1', head_sequence: '1', head_attempts: 1, last_status: 503 });
  await db.query('SELECT streamflow.drop_stream($1)', [stream]);
  assert.deepEqual(await pending(stream), [], 'drop_stream forgets its deliveries');
});

test('a destination that never answers: timeouts, retries, then a dead letter with the last error', { timeout: 30000 }, async () => {
  await setTimeout_('300ms');
  const r = await receiver(() => 'hang');
  const stream = await outStream(r.url, { max_retries: 2, backoff_ms: 20 });
  await ingest(stream, 1);
  const [dl] = await until('a dead letter', async () => {
    const rows = await deadLetters(stream);
    return rows.length ? rows : null;
  });
  assert.equal(dl.sequence, '1');
  assert.equal(dl.attempts, 3, 'the first attempt and max_retries retries');
  assert.equal(dl.reason, 'delivery failed');
  assert.equal(dl.last_error, 'no answer within 300 ms (streamflow.outbound_timeout)');
  assert.equal(dl.destination, r.url);
  assert.deepEqual(dl.frame.payload, { n: 1 });
  assert.equal(r.requests.length, 3);
  assert.deepEqual(await pending(stream), []);
  const { rows } = await db.query('SELECT dropped, error_count FROM streamflow.stream_stats WHERE stream_id = $1', [stream]);
  assert.equal(Number(rows[0].dropped), 1);
  assert.equal(Number(rows[0].error_count), 3);

  // replay_dead_letters: the stream now points at a receiver that answers
  const ok = await receiver(() => 200);
  await db.query('SELECT streamflow.update_stream($1, $2::jsonb)', [stream, JSON.stringify({ destination_url: ok.url })]);
  const replayed = await db.query('SELECT streamflow.replay_dead_letters($1) AS n', [stream]);
  assert.equal(replayed.rows[0].n, 1);
  assert.deepEqual(await deadLetters(stream), []);
  await until('the replayed frame', () => ok.delivered().length === 1);
  assert.equal(ok.requests[0].body.sequence, 1);
  assert.equal(ok.requests[0].signed, true);
  await setTimeout_('2s');
});

test('a destination not listening: the connection error is recorded, then a dead letter', { timeout: 30000 }, async () => {
  // two destinations (a destination is one queue in commit order, whatever the stream)
  const url = `http://127.0.0.1:${await deadPort()}/hook`;
  const slow = await outStream(`${url}?slow`, { max_retries: 1, backoff_ms: 3600000 });
  const fast = await outStream(`${url}?fast`, { max_retries: 0 });
  await ingest(slow, 1);
  await ingest(fast, 2);
  const [row] = await until('a recorded connection error', async () => {
    const rows = await pending(slow);
    return rows.length && rows[0].attempts === 1 ? rows : null;
  });
  assert.equal(row.last_status, null);
  assert.match(row.last_error, /^could not connect: /);
  const dls = await until('2 dead letters', async () => {
    const rows = await deadLetters(fast);
    return rows.length === 2 ? rows : null;
  });
  assert.deepEqual(dls.map((d) => [d.sequence, d.attempts]), [['1', 1], ['2', 1]]);
  for (const d of dls) assert.match(d.last_error, /^could not connect: /);

  // replaying chosen ids, and ids that are not delivery dead letters of the stream
  await assert.rejects(db.query('SELECT streamflow.replay_dead_letters($1, $2)', [fast, [dls[0].id, 0]]), (err) => {
    assert.equal(err.code, '22023');
    assert.equal(err.message, `dead letters 0 are not delivery dead letters of stream "${fast}"`);
    return true;
  });
  await assert.rejects(db.query('SELECT streamflow.replay_dead_letters($1, $2)', [fast, [null]]), { code: '22023' });
  await assert.rejects(db.query("SELECT streamflow.replay_dead_letters('no_such_stream')"), { code: '42704' });
  assert.equal((await deadLetters(fast)).length, 2, 'a refused replay re-queues nothing');
  const ok = await receiver(() => 200);
  await db.query('SELECT streamflow.update_stream($1, $2::jsonb)', [fast, JSON.stringify({ destination_url: ok.url })]);
  const { rows } = await db.query('SELECT streamflow.replay_dead_letters($1, $2) AS n', [fast, [dls[1].id]]);
  assert.equal(rows[0].n, 1);
  await until('the replayed frame', () => ok.delivered().length === 1);
  assert.equal(ok.requests[0].body.sequence, 2);
  assert.deepEqual((await deadLetters(fast)).map((d) => d.sequence), ['1']);
  await db.query('SELECT streamflow.drop_stream($1)', [slow]);
});

test('https to a server with an untrusted certificate is refused, the error recorded', { timeout: 30000 }, async () => {
  const tls = await startUntrustedTls();
  receivers.push(tls);
  const stream = await outStream(tls.url, { max_retries: 0 });
  await ingest(stream, 1);
  const [dl] = await until('a dead letter', async () => {
    const rows = await deadLetters(stream);
    return rows.length ? rows : null;
  });
  assert.match(dl.last_error, /^could not connect: /);
  assert.deepEqual(tls.requests, [], 'no request got through');
});

test('circuit breaker: opens after failures in a row, one probe after the cooldown closes it', { timeout: 30000 }, async () => {
  await db.query("ALTER SYSTEM SET streamflow.outbound_circuit_failures = 2");
  await db.query("ALTER SYSTEM SET streamflow.outbound_circuit_cooldown = '2s'");
  await db.query('SELECT pg_reload_conf()');
  try {
    const r = await receiver((q, seen) => (seen.length < 2 ? 500 : 200));
    const stream = await outStream(r.url, { max_retries: 10, backoff_ms: 10, exponential: false, jitter: false });
    await ingest(stream, 3);
    const open = await until('the circuit to open', async () => {
      const { rows } = await db.query('SELECT circuit, consecutive_failures, opened_until IS NOT NULL AS until FROM streamflow.delivery_state WHERE stream_id = $1', [stream]);
      return rows[0].circuit === 'open' ? rows[0] : null;
    });
    assert.deepEqual(open, { circuit: 'open', consecutive_failures: 2, until: true });
    assert.equal(r.requests.length, 2, 'nothing is sent while it is open');
    await until('3 deliveries', () => r.delivered().length === 3);
    assert.deepEqual(r.requests.map((q) => [q.body.sequence, q.answer]), [[1, 500], [1, 500], [1, 200], [2, 200], [3, 200]]);
    await until('the circuit to close', async () => {
      const { rows } = await db.query('SELECT circuit, consecutive_failures FROM streamflow.destination_state WHERE destination = $1', [r.url]);
      return rows[0].circuit === 'closed' && rows[0].consecutive_failures === 0;
    });
  } finally {
    await db.query('ALTER SYSTEM RESET streamflow.outbound_circuit_failures');
    await db.query('ALTER SYSTEM RESET streamflow.outbound_circuit_cooldown');
    await db.query('SELECT pg_reload_conf()');
  }
});

test('a hanging destination does not hold up another', { timeout: 30000 }, async () => {
  await setTimeout_('60s');
  const stuck = await receiver(() => 'hang');
  const fine = await receiver(() => 200);
  const a = await outStream(stuck.url);
  const b = await outStream(fine.url);
  await ingest(a, 3);
  await until('the stuck request', () => stuck.requests.length === 1);
  await ingest(b, 20);
  await until('20 deliveries to the other destination', () => fine.delivered().length === 20);
  assert.deepEqual(fine.delivered(), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.equal(stuck.requests.length, 1, 'the stuck destination still has its one request in flight');
  assert.deepEqual((await pending(a)).map((p) => [p.sequence, p.attempts]), [['1', 0], ['2', 0], ['3', 0]]);
  await db.query('SELECT streamflow.drop_stream($1)', [a]);
  await setTimeout_('2s');
});

test('deliveries are queued in the frame\'s transaction, one row per stored frame', async () => {
  const stream = await outStream('http://127.0.0.1:9/never', { max_retries: 1, backoff_ms: 3600000 });
  await db.query('BEGIN');
  await db.query('SELECT streamflow.ingest($1, $2::jsonb, 7)', [stream, '{"x": 1}']);
  await db.query('SELECT * FROM streamflow.ingest_batch($1, $2::jsonb)', [stream, '[{"sequence": 7, "payload": {"y": 1}}, {"payload": {"y": 2}}]']);
  const { rows } = await db.query('SELECT sequence FROM streamflow.deliveries WHERE stream_id = $1 ORDER BY id', [stream]);
  await db.query('ROLLBACK');
  assert.deepEqual(rows.map((x) => x.sequence), ['7', '8'], 'a duplicate gets no second row');
  assert.deepEqual(await pending(stream), []);
  await db.query('SELECT streamflow.drop_stream($1)', [stream]);
});
