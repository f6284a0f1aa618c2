// Helpers for the sources tests: real servers on loopback that a stream's
// source_url points at (an HTTP server answering polls, a WebSocket server,
// plain or TLS with an untrusted certificate), and queries on what the
// worker stored for a stream.
import http from 'node:http';
import https from 'node:https';
import { WebSocketServer } from 'ws';
import { selfSignedCert } from './receiver.mjs';

// An HTTP server: answer(req, n) gets the request (url, headers, since) and
// how many came before, and writes the answer on res itself
// (answer(req, n, res)), or returns {status, body} (body: a string or a
// value sent as JSON).
export async function startPollServer(answer) {
  const requests = [];
  const open = new Set();
  const server = http.createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const url = new URL(req.url, 'http://x');
    const r = { path: url.pathname, since: url.searchParams.get('since'), headers: req.headers };
    requests.push(r);
    const out = answer(r, requests.length - 1, res);
    if (out === undefined) return;
    const body = typeof out.body === 'string' ? out.body : JSON.stringify(out.body);
    res.writeHead(out.status ?? 200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/data`,
    requests,
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// A WebSocket server (wss with an untrusted certificate when tls);
// onConnection(ws, index, req) runs for every connection.
export async function startWsServer(onConnection, { tls = false } = {}) {
  const server = tls ? https.createServer(await selfSignedCert()) : http.createServer();
  const wss = new WebSocketServer({ server });
  const connections = [];
  wss.on('connection', (ws, req) => {
    const c = { ws, headers: req.headers, closeCode: null, closed: false };
    connections.push(c);
    ws.on('close', (code) => { c.closed = true; c.closeCode = code; });
    ws.on('error', () => {});
    onConnection(ws, connections.length - 1, req);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `${tls ? 'wss' : 'ws'}://127.0.0.1:${server.address().port}/feed`,
    connections,
    async close() {
      for (const c of connections) c.ws.terminate();
      wss.close();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// The payloads of a stream's frames in sequence order.
export async function payloads(db, stream) {
  const { rows } = await db.query(
    'SELECT payload FROM streamflow.frames WHERE stream_id = $1 ORDER BY sequence', [stream]);
  return rows.map((r) => r.payload);
}

// A stream's frames (sequence, payload, metadata) in sequence order.
export async function frames(db, stream) {
  const { rows } = await db.query(
    'SELECT sequence, payload, metadata FROM streamflow.frames WHERE stream_id = $1 ORDER BY sequence', [stream]);
  return rows;
}

// A stream's stream_errors rows: {source, raw_payload, message}.
export async function streamErrors(db, stream) {
  const { rows } = await db.query(
    `SELECT source, raw_payload, violations->0->>'message' AS message
       FROM streamflow.stream_errors WHERE stream_id = $1 ORDER BY id`, [stream]);
  return rows;
}

// The stream's error_count in stream_stats.
export async function errorCount(db, stream) {
  const { rows } = await db.query(
    'SELECT error_count FROM streamflow.stream_stats WHERE stream_id = $1', [stream]);
  return rows.length ? Number(rows[0].error_count) : 0;
}

// Sets (value) or resets (null) a GUC and reloads the configuration.
export async function setGuc(db, name, value) {
  if (value === null) await db.query(`ALTER SYSTEM RESET ${name}`);
  else await db.query(`ALTER SYSTEM SET ${name} = '${value}'`);
  await db.query('SELECT pg_reload_conf()');
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
