// The worker remembers per connection whether its token may publish to (or
// subscribe to) a stream, and forgets it when tokens change: a publisher
// sending many frames costs one token lookup, and a revoked token or a
// narrowed scope is refused from the next batch of commands on.  Runs alone
// (scripts/test.sh runs worker*.test.mjs one by one): it counts the scans of
// the tokens' index, which other tests would add to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';
import { openWs, useNewToken } from './live_clients.mjs';

let db;
const opened = [];
const track = (c) => { opened.push(c); return c; };

before(async () => { db = await connect(); });
after(async () => {
  for (const c of opened) c.close();
  await db.end();
});

// A token for the streams, and its name.
async function token(streams = null, scopes = ['read', 'write']) {
  const secret = await useNewToken(db, streams, scopes);
  const { rows: [r] } = await db.query(
    'SELECT name FROM streamflow.token_list WHERE active ORDER BY created_at DESC LIMIT 1');
  return [secret, r.name];
}

// Publishes data to stream over c and resolves with the answer.
let seq = 0;
async function publish(c, stream, data = { n: 1 }) {
  const id = `m${++seq}`;
  c.send({ action: 'publish', stream, message_id: id, data });
  return Promise.race([
    c.waitFor((m) => m.message_id === id, 10000, `answer to ${id}`),
    c.waitForClose(10000).then((closed) => ({ closed })),
  ]);
}

// Scans of streamflow.tokens (token lookups) and frames inserted, as the statistics show them.
async function counters() {
  await db.query('SELECT pg_stat_clear_snapshot()');
  const { rows: [r] } = await db.query(`SELECT
      (SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE schemaname = 'streamflow' AND relname = 'tokens') AS lookups,
      (SELECT n_tup_ins FROM pg_stat_user_tables WHERE schemaname = 'streamflow' AND relname = 'frames') AS inserted`);
  return { lookups: Number(r.lookups), inserted: Number(r.inserted) };
}

test('a publisher sending many frames costs one token lookup, not one per frame', { timeout: 60000 }, async () => {
  const id = await freshStream(db);
  const [secret] = await token();
  const c = track(await openWs('/ws', { token: secret }));
  const start = await counters();
  const n = 200;
  for (let i = 0; i < n; i++) c.send({ action: 'publish', stream: id, message_id: `bulk${i}`, data: { i } });
  await c.waitFor(() => c.messages.filter((m) => m.type === 'ack').length === n, 20000, `${n} acks`);
  // the worker reports its statistics at most once a second, after a batch: publish until they show the frames
  let now;
  for (;;) {
    now = await counters();
    if (now.inserted >= start.inserted + n) break;
    assert.equal((await publish(c, id)).type, 'ack');
    await new Promise((r) => setTimeout(r, 200));
  }
  // a lookup, and the once-a-minute record of its use
  assert.ok(now.lookups - start.lookups <= 4, `${now.lookups - start.lookups} scans of the tokens for ${n} frames`);
});

test('a revoked token, or one whose scope or streams narrowed, is refused at the next publish', { timeout: 60000 }, async () => {
  const a = await freshStream(db);
  const b = await freshStream(db);
  const [secret, name] = await token();
  const c = track(await openWs('/ws', { token: secret }));
  for (let i = 0; i < 3; i++) assert.equal((await publish(c, a)).type, 'ack');
  assert.equal((await publish(c, b)).type, 'ack');

  await db.query('UPDATE streamflow.tokens SET streams = ARRAY[$1] WHERE name = $2 AND revoked_at IS NULL', [a, name]);
  assert.equal((await publish(c, a)).type, 'ack');
  const narrowed = await publish(c, b);
  assert.deepEqual([narrowed.type, narrowed.error], ['error', 'forbidden']);

  await db.query("UPDATE streamflow.tokens SET scopes = '{read}' WHERE name = $1 AND revoked_at IS NULL", [name]);
  const readOnly = await publish(c, a);
  assert.deepEqual([readOnly.type, readOnly.error], ['error', 'forbidden']);

  await db.query("UPDATE streamflow.tokens SET scopes = '{read,write}' WHERE name = $1 AND revoked_at IS NULL", [name]);
  assert.equal((await publish(c, a)).type, 'ack');
  await db.query('SELECT streamflow.revoke_token($1)', [name]);
  const revoked = await publish(c, a);
  assert.equal(revoked.closed.code, 1008);
  assert.equal(JSON.parse(revoked.closed.reason).error, 'invalid token');
  const { rows: [r] } = await db.query('SELECT count(*)::int AS n FROM streamflow.frames WHERE stream_id = $1', [a]);
  assert.equal(r.n, 5, 'nothing was stored after the revocation');
});

test('renaming streams: a name the token was allowed under now names another stream', { timeout: 60000 }, async () => {
  const a = await freshStream(db);
  const b = await freshStream(db);
  const [secret] = await token([a]);
  const c = track(await openWs('/ws', { token: secret }));
  await db.query("UPDATE streamflow.streams SET name = $1 || '_old' WHERE id = $1", [a]);
  await db.query("UPDATE streamflow.streams SET name = 'alias_' || $1 WHERE id = $1", [a]);
  assert.equal((await publish(c, `alias_${a}`)).type, 'ack');
  // the name moves to b, which the token may not write
  await db.query("UPDATE streamflow.streams SET name = $1 || '_a' WHERE id = $1", [a]);
  await db.query("UPDATE streamflow.streams SET name = 'alias_' || $1 WHERE id = $2", [a, b]);
  const moved = await publish(c, `alias_${a}`);
  assert.deepEqual([moved.type, moved.error], ['error', 'forbidden']);
});
