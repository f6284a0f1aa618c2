// WebSocket and SSE clients for the live-delivery tests and benchmarks:
// real npm `ws` and `eventsource` clients, with helpers that wait for
// messages instead of sleeping.
import WebSocket from 'ws';
import { EventSource } from 'eventsource';

export const httpPort = Number(process.env.STREAMFLOW_HTTP_PORT);
export const httpBase = `http://127.0.0.1:${httpPort}`;
export const wsBase = `ws://127.0.0.1:${httpPort}`;

// The token the clients present (?access_token=, as browsers must), or null.
let token = null;

// Creates a token with read and write on every stream and makes the clients
// present it; returns the secret.
export async function useNewToken(db, streams = null, scopes = ['read', 'write']) {
  const name = `live_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const { rows: [r] } = await db.query('SELECT streamflow.create_token($1, $2, $3) AS s', [name, streams, scopes]);
  token = r.s;
  return token;
}

// path with the current token as access_token (none when auth is false).
export function withToken(path, auth = token) {
  if (!auth) return path;
  return `${path}${path.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(auth)}`;
}

// Resolves when pred(item) holds for an item of list (checked now and on
// every push), or rejects after ms naming what was awaited.
function waitIn(box, pred, ms, what) {
  return new Promise((resolve, reject) => {
    const hit = box.items.find(pred);
    if (hit !== undefined) return resolve(hit);
    const timer = setTimeout(() => {
      box.waiters.delete(check);
      reject(new Error(`timed out after ${ms} ms waiting for ${what}; got ${JSON.stringify(box.items).slice(0, 600)}`));
    }, ms);
    function check(item) {
      if (!pred(item)) return false;
      clearTimeout(timer);
      resolve(item);
      return true;
    }
    box.waiters.add(check);
  });
}

// A list that wakes waiters on push.
function makeBox() {
  const box = { items: [], waiters: new Set() };
  box.push = (item) => {
    box.items.push(item);
    for (const w of [...box.waiters]) if (w(item)) box.waiters.delete(w);
  };
  return box;
}

// Opens a WebSocket to path; resolves once open.  The returned client keeps
// every message (parsed JSON; arrays of a batch are flattened) and its close.
export function openWs(path, options = {}) {
  const ws = new WebSocket(`${wsBase}${withToken(path, options.token === undefined ? token : options.token)}`,
    options.protocol ?? [], options);
  const box = makeBox();
  const client = {
    ws,
    messages: box.items,
    closed: null,
    // frames pushed (messages with a sequence and no type)
    frames: () => box.items.filter((m) => m.type === undefined && m.sequence !== undefined),
    send: (obj) => ws.send(typeof obj === 'string' || Buffer.isBuffer(obj) ? obj : JSON.stringify(obj)),
    waitFor: (pred, ms = 10000, what = 'a message') => waitIn(box, pred, ms, what),
    waitForFrame: (seq, ms = 10000) =>
      waitIn(box, (m) => m.type === undefined && m.sequence === seq, ms, `frame ${seq}`),
    waitForClose: (ms = 10000) => new Promise((resolve, reject) => {
      if (client.closed) return resolve(client.closed);
      const timer = setTimeout(() => reject(new Error('no close')), ms);
      ws.once('close', () => { clearTimeout(timer); resolve(client.closed); });
    }),
    close: () => { try { ws.terminate(); } catch { /* already closed */ } },
  };
  ws.on('message', (data) => {
    const text = data.toString();
    let parsed;
    try { parsed = JSON.parse(text); } catch { parsed = { unparsable: text }; }
    if (Array.isArray(parsed)) {
      client.batches = (client.batches ?? 0) + 1;
      for (const m of parsed) box.push(m);
    } else box.push(parsed);
  });
  ws.on('close', (code, reason) => { client.closed = { code, reason: reason.toString() }; });
  ws.on('error', () => { /* the close event follows */ });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('close', (code, reason) => reject(Object.assign(new Error(`closed ${code} before open`), { code, reason: reason.toString() })));
  });
}

// Opens an EventSource on a stream's /events; headers go on every request
// (Last-Event-ID for a first connection).  Events are kept as
// {id, event, data (parsed)}.
export function openSse(stream, { headers = {}, query = '', auth = token } = {}) {
  const box = makeBox();
  const es = new EventSource(`${httpBase}${withToken(`/streams/${stream}/events${query}`, auth)}`, {
    fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, ...headers } }),
  });
  es.addEventListener('frame', (e) => box.push({ id: e.lastEventId, event: e.type, data: JSON.parse(e.data) }));
  const client = {
    es,
    events: box.items,
    waitForId: (seq, ms = 10000) => waitIn(box, (e) => Number(e.id) === seq, ms, `event ${seq}`),
    close: () => es.close(),
  };
  return new Promise((resolve, reject) => {
    es.onopen = () => resolve(client);
    es.onerror = (err) => { if (es.readyState === EventSource.CLOSED) reject(err); };
  });
}

// The sequences of items (frames or events), in arrival order.
export const sequences = (items) => items.map((m) => (m.data?.sequence ?? m.sequence));

// [from, from+1, ..., to]
export const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
