// The relay a user would write instead of streamflow's live delivery: one
// npm `pg` connection LISTENs on the bus channel "datastreams/<id>" of every
// stream someone subscribed to, and npm `ws` broadcasts each NOTIFY payload
// as it is ({"stream_id", "sequence", "status", "latency_ms", "payload"}) to
// that stream's WebSocket subscribers.  The benchmark baseline of
// test/bench/live_bench.mjs.
//
//   node relay.mjs PORT        (PG* environment for the database)
//
// ws://127.0.0.1:PORT/streams/<id>: subscribes to <id>; the relay answers
// {"type": "subscribed"} once its LISTEN is in effect.  Prints
// {"listening": PORT, "pid": ..., "backend_pid": ...} when ready (backend_pid:
// the PostgreSQL backend that delivers its notifications, whose CPU time
// belongs to the relay too).
import pg from 'pg';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const db = new pg.Client();
await db.connect();
const { rows: [{ pid: backendPid }] } = await db.query('SELECT pg_backend_pid() AS pid');

const subscribers = new Map(); // stream id -> Set of sockets
const listening = new Map(); // stream id -> Promise of its LISTEN

// The channel name quoted as an SQL identifier.
const channelIdent = (id) => `"${`datastreams/${id}`.replaceAll('"', '""')}"`;

db.on('notification', (n) => {
  const id = n.channel.slice('datastreams/'.length);
  const set = subscribers.get(id);
  if (!set) return;
  for (const ws of set) ws.send(n.payload);
});
db.on('error', (err) => {
  console.error(`relay: database connection lost: ${err.message}`);
  process.exit(1);
});

// LISTENs on the stream's channel once.
function listen(id) {
  if (!listening.has(id)) listening.set(id, db.query(`LISTEN ${channelIdent(id)}`));
  return listening.get(id);
}

const wss = new WebSocketServer({ host: '127.0.0.1', port, maxPayload: 64 * 1024 });
wss.on('connection', async (ws, req) => {
  const m = /^\/streams\/([^/?]+)$/.exec(req.url);
  if (!m) {
    ws.close(1008, 'use /streams/<id>');
    return;
  }
  const id = decodeURIComponent(m[1]);
  if (!subscribers.has(id)) subscribers.set(id, new Set());
  subscribers.get(id).add(ws);
  ws.on('close', () => subscribers.get(id)?.delete(ws));
  ws.on('error', () => subscribers.get(id)?.delete(ws));
  try {
    await listen(id);
    ws.send('{"type": "subscribed"}');
  } catch (err) {
    ws.close(1011, err.message.slice(0, 100));
  }
});
wss.on('listening', () => console.log(JSON.stringify({ listening: port, pid: process.pid, backend_pid: backendPid })));
