// The worker's live hub frees what it no longer needs: the entry of a
// stream whose subscribers left (also a dropped stream), and those a
// refused subscribe or an unsubscribe looked up, shown by /metrics'
// streamflow_live_streams.  Runs alone (scripts/test.sh runs
// worker*.test.mjs one by one), so no other test's subscribers count.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';
import { openWs, openSse, useNewToken, httpBase } from './live_clients.mjs';

let db;
const opened = [];

before(async () => {
  db = await connect();
  await useNewToken(db);
});
after(async () => {
  for (const c of opened) c.close();
  await db.end();
});

// The hub's stream count from /metrics.
async function liveStreams() {
  const text = await (await fetch(`${httpBase}/metrics`)).text();
  const m = text.match(/^streamflow_live_streams (\d+)$/m);
  assert.ok(m, 'streamflow_live_streams is in /metrics');
  return Number(m[1]);
}

// Resolves once pred(count) holds.
async function untilLiveStreams(pred) {
  for (;;) {
    const n = await liveStreams();
    if (pred(n)) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('hub entries are freed when the last subscriber leaves, the stream dropped or not', { timeout: 60000 }, async () => {
  const before = await liveStreams();
  const streams = [];
  for (let i = 0; i < 6; i++) streams.push(await freshStream(db));
  const c = await openWs('/ws');
  opened.push(c);
  for (const s of streams) {
    c.send({ action: 'subscribe', stream: s });
    await c.waitFor((m) => m.stream === s && m.type === 'subscribed');
  }
  const sse = await openSse(streams[0]);
  opened.push(sse);
  // looked up, never subscribed: an unsubscribe, and a subscribe the token may not make
  const others = [await freshStream(db), await freshStream(db)];
  c.send({ action: 'unsubscribe', stream: others[0] });
  await c.waitFor((m) => m.stream === others[0] && m.error === 'not subscribed');
  const reader = await useNewToken(db, [streams[1]], ['read']);
  await useNewToken(db); // the clients below present a token for every stream again
  const narrow = await openWs('/ws', { token: reader });
  opened.push(narrow);
  narrow.send({ action: 'subscribe', stream: others[1] });
  await narrow.waitFor((m) => m.stream === others[1] && m.type === 'error');
  assert.ok(await liveStreams() >= before + 6);

  // unsubscribed, dropped while subscribed, or left by closing the connection
  c.send({ action: 'unsubscribe', stream: streams[5] });
  await c.waitFor((m) => m.stream === streams[5] && m.type === 'unsubscribed');
  await db.query('SELECT streamflow.drop_stream($1)', [streams[4]]);
  c.close();
  // streams[0] still has its SSE subscriber
  await untilLiveStreams((n) => n <= before + 1);
  sse.close();
  await untilLiveStreams((n) => n <= before);

  // a freed entry comes back with the stream's settings on the next subscribe
  await db.query(`SELECT streamflow.update_stream($1, '{"batching": {"batch_size": 2, "batch_timeout_ms": 60000}}')`, [streams[0]]);
  const again = await openWs(`/streams/${streams[0]}/ws`);
  opened.push(again);
  await again.waitFor((m) => m.type === 'subscribed');
  await db.query("SELECT streamflow.ingest_batch($1, '[{\"payload\": {\"n\": 1}}, {\"payload\": {\"n\": 2}}]')", [streams[0]]);
  await again.waitForFrame(2);
  assert.equal(again.batches, 1, 'the two frames came as one batch');
});
