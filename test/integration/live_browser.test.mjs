// Headless Chromium (browser.mjs): a page from another origin opens a
// WebSocket and an EventSource on a stream (the token in access_token, since
// browsers cannot set headers on either), publishes over the WebSocket, and
// sees its frame acknowledged and pushed on both.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './browser.mjs';
import { connect, freshStream } from './helpers.mjs';
import { useNewToken, withToken, httpBase, wsBase } from './live_clients.mjs';

let browser;
let db;

before(async () => {
  db = await connect();
  await useNewToken(db);
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  await db.end();
});

test('a page publishes over WebSocket and receives the frame on the WebSocket and an EventSource', async () => {
  const id = await freshStream(db);
  const wsUrl = wsBase + withToken(`/streams/${id}/ws`);
  const sseUrl = httpBase + withToken(`/streams/${id}/events`);
  const got = await browser.runPage(`<!doctype html><script>
    const seen = { ack: null, ws: null, sse: null };
    const done = () => { if (seen.ack && seen.ws && seen.sse) report(seen); };
    const es = new EventSource(${JSON.stringify(sseUrl)});
    es.addEventListener('frame', (e) => { seen.sse = { id: e.lastEventId, data: JSON.parse(e.data) }; done(); });
    es.onopen = () => {
      const ws = new WebSocket(${JSON.stringify(wsUrl)});
      ws.onmessage = (e) => {
        const m = JSON.parse(e.data);
        if (m.type === 'subscribed') ws.send(JSON.stringify({ message_id: 'from-browser', data: { where: 'chromium' } }));
        else if (m.type === 'ack') seen.ack = m;
        else if (m.type === undefined) seen.ws = m;
        done();
      };
      ws.onclose = (e) => report({ closed: e.code, reason: e.reason });
    };
  </script>`, { timeoutMs: 20000 });
  assert.equal(got.closed, undefined, `WebSocket closed: ${JSON.stringify(got)}`);
  assert.deepEqual(got.ack, { type: 'ack', message_id: 'from-browser', stream: id, sequence: 1 });
  assert.equal(got.ws.message_id, 'from-browser');
  assert.deepEqual(got.ws.data, { where: 'chromium' });
  assert.equal(got.sse.id, '1');
  assert.equal(got.sse.data.message_id, 'from-browser');
  const { rows } = await db.query('SELECT payload FROM streamflow.frames WHERE stream_id = $1', [id]);
  assert.deepEqual(rows, [{ payload: { where: 'chromium' } }]);
});
