// WebSocket keep-alive: the worker pings every WebSocket
// streamflow.ws_ping_interval seconds after its last pong, a client that
// answers stays open however long it idles, and a peer that stops answering
// is closed streamflow.ws_ping_timeout seconds later and its subscription
// freed.  Runs alone (scripts/test.sh runs worker*.test.mjs one by one): it
// lowers the interval for the whole cluster.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import crypto from 'node:crypto';
import { connect, freshStream } from './helpers.mjs';
import { openWs, openSse, useNewToken, withToken, httpPort } from './live_clients.mjs';

let db;
const opened = [];

before(async () => {
  db = await connect();
  await useNewToken(db);
  await db.query("ALTER SYSTEM SET streamflow.ws_ping_interval = '1s'");
  await db.query("ALTER SYSTEM SET streamflow.ws_ping_timeout = '1s'");
  await db.query('SELECT pg_reload_conf()');
});
after(async () => {
  for (const c of opened) c.close();
  await db.query('ALTER SYSTEM RESET streamflow.ws_ping_interval');
  await db.query('ALTER SYSTEM RESET streamflow.ws_ping_timeout');
  await db.query('SELECT pg_reload_conf()');
  await db.end();
});

// A WebSocket client written on a bare socket that never answers pings: it
// records the opcodes of the frames the server sends and when the server
// ends the connection.
function deafWs(path) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(httpPort, '127.0.0.1');
    const peer = { opcodes: [], closed: false, waiters: [] };
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const notify = () => { for (const w of [...peer.waiters]) w(); };
    peer.waitFor = (pred, ms, what) => new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`timed out waiting for ${what}; got ${peer.opcodes}`)), ms);
      const check = () => { if (pred()) { clearTimeout(timer); peer.waiters.splice(peer.waiters.indexOf(check), 1); res(); } };
      peer.waiters.push(check);
      check();
    });
    peer.destroy = () => sock.destroy();
    sock.on('connect', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`
        + `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!buf.subarray(0, end).toString().startsWith('HTTP/1.1 101')) return reject(new Error(buf.toString()));
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolve(peer);
      }
      // server frames are unmasked; lengths here are short (< 126) or 16-bit
      while (buf.length >= 2) {
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); off = 4; }
        if (buf.length < off + len) return;
        peer.opcodes.push(buf[0] & 0x0f);
        buf = buf.subarray(off + len);
      }
      notify();
    });
    sock.on('close', () => { peer.closed = true; notify(); });
    sock.on('error', reject);
  });
}

// The stream's subscribers as the stats view shows them.
async function subscribers(stream) {
  const { rows: [r] } = await db.query('SELECT subscribers FROM streamflow.stream_stats WHERE stream_id = $1', [stream]);
  return r.subscribers;
}

// Opens WebSockets until one is pinged within 3 s (the worker applies the
// reload as soon as it sees it; connections opened before keep their timer).
async function pingedWs(path) {
  for (;;) {
    const c = await openWs(path);
    opened.push(c);
    c.pings = 0;
    const pinged = new Promise((resolve) => c.ws.on('ping', () => { c.pings++; resolve(true); }));
    if (await Promise.race([pinged, new Promise((r) => setTimeout(() => r(false), 3000))])) return c;
    c.close();
  }
}

test('an idle WebSocket that answers pings stays open, and still receives; SSE is not pinged nor closed', { timeout: 60000 }, async () => {
  const id = await freshStream(db);
  const c = await pingedWs(`/streams/${id}/ws`);
  const sse = await openSse(id);
  opened.push(sse);
  let reopened = 0;
  sse.es.addEventListener('open', () => { reopened++; });
  // several ping intervals and pong timeouts, idle
  await new Promise((resolve) => { const t = setInterval(() => { if (c.pings >= 4) { clearInterval(t); resolve(); } }, 50); });
  assert.equal(c.closed, null);
  await db.query("SELECT streamflow.ingest($1, '{\"n\": 1}')", [id]);
  await c.waitForFrame(1);
  await sse.waitForId(1);
  assert.equal(reopened, 0, 'the SSE connection was never closed');
});

test('a peer that stops answering pings is closed and its subscription freed', { timeout: 60000 }, async () => {
  const id = await freshStream(db);
  await pingedWs('/ws'); // the reload reached the worker
  const deaf = await deafWs(withToken(`/streams/${id}/ws`));
  await deaf.waitFor(() => deaf.opcodes.length > 0, 10000, 'the subscribed message');
  assert.equal(await subscribers(id), 1);
  await deaf.waitFor(() => deaf.opcodes.includes(0x9), 10000, 'a ping');
  await deaf.waitFor(() => deaf.closed, 10000, 'the close');
  for (;;) {
    if (await subscribers(id) === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  deaf.destroy();
});
