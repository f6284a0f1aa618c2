// When the transaction serving a batch of WebSocket commands fails, each
// client is told what really happened: a subscribe or unsubscribe answered
// before the failure stands and is in force; publishes (rolled back) and
// commands not reached run again on their own, so only the command at fault
// gets the error.  Commands that arrive while the worker is busy are served
// together: the test holds a stream's head row locked so that the worker
// waits on it, queues a batch behind it, and lets it go.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';
import { openWs, useNewToken } from './live_clients.mjs';

let db;
let blocker;
const opened = [];
const track = (c) => { opened.push(c); return c; };

before(async () => {
  db = await connect();
  blocker = await connect();
  await useNewToken(db);
});
after(async () => {
  for (const c of opened) c.close();
  await db.end();
  await blocker.end();
});

// Resolves once the worker waits for a lock.
async function workerWaitsForLock() {
  for (;;) {
    const { rows } = await db.query(
      "SELECT 1 FROM pg_stat_activity WHERE backend_type = 'streamflow http' AND wait_event_type = 'Lock'");
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Sends the [client, message] pairs while the worker is held up, so that
// they are served as one batch, then lets the worker go.
async function sendAsOneBatch(sends) {
  const held = await freshStream(db);
  const holder = track(await openWs('/ws'));
  await blocker.query('BEGIN');
  try {
    await blocker.query('SELECT 1 FROM streamflow.stream_state WHERE stream_id = $1 FOR UPDATE', [held]);
    holder.send({ action: 'publish', stream: held, message_id: 'held', data: { held: true } });
    await workerWaitsForLock();
    await Promise.all(sends.map(([c, m]) => new Promise((resolve, reject) =>
      c.ws.send(JSON.stringify(m), (err) => (err ? reject(err) : resolve())))));
  } finally {
    await blocker.query('COMMIT');
  }
  await holder.waitFor((m) => m.message_id === 'held' && m.type === 'ack');
}

// A stream whose frames a deferred trigger refuses at commit; dropped by the returned function.
async function streamFailingAtCommit() {
  const id = await freshStream(db);
  const fn = `public.${id}_refuse`;
  await db.query(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS
    $$BEGIN RAISE EXCEPTION 'refused at commit'; END$$`);
  await db.query(`CREATE CONSTRAINT TRIGGER ${id}_refuse AFTER INSERT ON streamflow.frames
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.stream_id = '${id}') EXECUTE FUNCTION ${fn}()`);
  return [id, async () => {
    await db.query(`DROP TRIGGER ${id}_refuse ON streamflow.frames`);
    await db.query(`DROP FUNCTION ${fn}()`);
  }];
}

// The typed replies c got about stream.
const about = (c, stream) => c.messages.filter((m) => m.stream === stream && m.type !== undefined);

test('a batch failing at commit: the subscribe stands, the innocent publish is stored, only the guilty one fails', async () => {
  const a = await freshStream(db);
  const b = await freshStream(db);
  const [doomed, drop] = await streamFailingAtCommit();
  const c = track(await openWs('/ws'));
  const c2 = track(await openWs('/ws'));
  try {
    await sendAsOneBatch([
      [c, { action: 'subscribe', stream: a }],
      [c, { action: 'publish', stream: doomed, message_id: 'doomed', data: { x: 1 } }],
      [c2, { action: 'publish', stream: b, message_id: 'innocent', data: { x: 2 } }],
    ]);
    const guilty = await c.waitFor((m) => m.message_id === 'doomed');
    assert.equal(guilty.type, 'error');
    assert.match(guilty.error, /refused at commit/);
    const innocent = await c2.waitFor((m) => m.message_id === 'innocent');
    assert.deepEqual([innocent.type, innocent.sequence], ['ack', 1]);
  } finally {
    await drop();
  }
  const { rows } = await db.query('SELECT stream_id, sequence FROM streamflow.frames WHERE stream_id IN ($1, $2)', [b, doomed]);
  assert.deepEqual(rows, [{ stream_id: b, sequence: '1' }]);
  // told subscribed, and subscribed: frames of a are pushed
  assert.deepEqual(about(c, a).map((m) => m.type), ['subscribed']);
  await db.query("SELECT streamflow.ingest($1, '{\"n\": 1}')", [a]);
  await c.waitForFrame(1);
});

test('a batch failing half-way: commands not reached are served, and what each client is told holds', async () => {
  const a = await freshStream(db);
  const x = await freshStream(db);
  const broken = await freshStream(db);
  // a setting ingest never wrote: reading the stream's delivery settings raises
  await db.query(`UPDATE streamflow.streams SET backpressure = '{"max_queue_size": "many"}' WHERE id = $1`, [broken]);
  const c = track(await openWs('/ws'));
  c.send({ action: 'subscribe', stream: x });
  await c.waitFor((m) => m.stream === x && m.type === 'subscribed');
  try {
    await sendAsOneBatch([
      [c, { action: 'subscribe', stream: broken }],
      [c, { action: 'subscribe', stream: a }],
      [c, { action: 'unsubscribe', stream: x }],
    ]);
    const err = await c.waitFor((m) => m.stream === broken);
    assert.equal(err.type, 'error');
    assert.match(err.error, /invalid input syntax for type integer/);
    await c.waitFor((m) => m.stream === x && m.type !== 'subscribed');
    await c.waitFor((m) => m.stream === a);
  } finally {
    await db.query('SELECT streamflow.drop_stream($1)', [broken]);
  }
  assert.deepEqual(about(c, a).map((m) => m.type), ['subscribed']);
  assert.deepEqual(about(c, x).map((m) => m.type), ['subscribed', 'unsubscribed']);
  // the hub agrees: frames of a arrive, frames of x no longer do
  await db.query("SELECT streamflow.ingest($1, '{\"n\": 1}')", [x]);
  await db.query("SELECT streamflow.ingest($1, '{\"n\": 1}')", [a]);
  const pushed = await c.waitForFrame(1);
  assert.equal(pushed.stream_id, a);
  c.send({ action: 'subscribe', stream: x, from_sequence: 1 });
  await c.waitFor((m) => m.stream_id === x && m.sequence === 1);
  assert.equal(c.frames().filter((f) => f.stream_id === x).length, 1, 'frame 1 of x came only from the replay');
});
