// Live delivery across a worker crash, and a subscriber that never reads.
// Runs alone (scripts/test.sh): kill -9 of the worker makes the postmaster
// restart every backend, and the slow-client timeout is lowered here.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { openWs, openSse, sequences, range, httpBase, useNewToken, withToken } from './live_clients.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let client;
const opened = [];

// A connected client, retrying while the server restarts after a crash.
async function db() {
  if (client) return client;
  const deadline = Date.now() + 20000;
  for (;;) {
    const c = new pg.Client();
    c.on('error', () => { if (client === c) client = null; });
    try {
      await c.connect();
      client = c;
      return c;
    } catch (err) {
      await c.end().catch(() => {});
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

// Runs a query, reconnecting once when the connection died in a crash.
async function query(sql, args) {
  try {
    return await (await db()).query(sql, args);
  } catch (err) {
    client = null;
    return (await db()).query(sql, args);
  }
}

// Resolves once the worker answers /health again.
async function workerUp(ms = 20000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try { if ((await fetch(`${httpBase}/health`)).status === 200) return; } catch { /* restarting */ }
    if (Date.now() > deadline) throw new Error('worker not back');
    await sleep(100);
  }
}

after(async () => {
  for (const c of opened) c.close();
  await query('ALTER SYSTEM RESET streamflow.slow_client_timeout_ms').catch(() => {});
  await query('ALTER SYSTEM RESET streamflow.sse_heartbeat_ms').catch(() => {});
  await query('SELECT pg_reload_conf()').catch(() => {});
  if (client) await client.end().catch(() => {});
});

test('kill -9 of the worker mid-stream: clients reconnect with from_sequence / Last-Event-ID and miss nothing', { timeout: 90000 }, async () => {
  await workerUp();
  await useNewToken(await db());
  const id = `crash_${process.pid}_${Date.now()}`;
  await query('SELECT streamflow.create_stream($1::jsonb)', [JSON.stringify({ name: id, id })]);
  const ws = await openWs(`/streams/${id}/ws`);
  opened.push(ws);
  await ws.waitFor((m) => m.type === 'subscribed');
  const sse = await openSse(id);
  opened.push(sse);

  // a writer keeps committing while the worker is killed
  let writing = true;
  let written = 0;
  const writer = (async () => {
    while (writing) {
      try {
        await query('SELECT streamflow.ingest($1, $2)', [id, { n: written + 1 }]);
        written++;
      } catch { await sleep(50); }
    }
  })();
  while (written < 20) await sleep(10);
  const { rows: [w] } = await query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'streamflow http'");
  process.kill(w.pid, 'SIGKILL');
  await ws.waitForClose(20000);
  sse.close();
  await workerUp();
  while (written < 60) await sleep(10);

  const lastWs = Math.max(0, ...sequences(ws.frames()));
  const lastSse = Math.max(0, ...sequences(sse.events));
  const ws2 = await openWs(`/streams/${id}/ws?from_sequence=${lastWs + 1}`);
  opened.push(ws2);
  const sse2 = await openSse(id, { headers: { 'Last-Event-ID': String(lastSse) } });
  opened.push(sse2);
  writing = false;
  await writer;
  const { rows: [h] } = await query('SELECT max(sequence)::int AS last FROM streamflow.frames WHERE stream_id = $1', [id]);
  await ws2.waitForFrame(h.last, 20000);
  await sse2.waitForId(h.last, 20000);
  assert.deepEqual([...sequences(ws.frames()), ...sequences(ws2.frames())], range(1, h.last));
  assert.deepEqual([...sequences(sse.events), ...sequences(sse2.events)], range(1, h.last));
});

test('a subscriber that never reads is closed after streamflow.slow_client_timeout_ms; the others carry on', { timeout: 60000 }, async () => {
  await workerUp();
  await query("ALTER SYSTEM SET streamflow.slow_client_timeout_ms = '1500ms'");
  await query('SELECT pg_reload_conf()');
  await sleep(300); // the worker rereads its configuration when the SIGHUP wakes it
  const id = `slow_${process.pid}_${Date.now()}`;
  await query('SELECT streamflow.create_stream($1::jsonb)',
    [JSON.stringify({ name: id, id, backpressure: { max_queue_size: 5, strategy: 'block' } })]);
  const reader = await openWs(`/streams/${id}/ws`);
  const slow = await openWs(`/streams/${id}/ws`);
  opened.push(reader, slow);
  await reader.waitFor((m) => m.type === 'subscribed');
  await slow.waitFor((m) => m.type === 'subscribed');
  slow.ws._socket.pause();
  for (let i = 0; i < 8; i++) {
    await query(`SELECT streamflow.ingest_batch($1, (SELECT jsonb_agg(jsonb_build_object('payload',
      jsonb_build_object('i', i, 'pad', repeat('x', 20000)))) FROM generate_series(1, 50) i))`, [id]);
  }
  await reader.waitForFrame(400, 30000);
  // the worker drops the slow one: the stream is left with one subscriber
  const deadline = Date.now() + 30000;
  for (;;) {
    const { rows: [s] } = await query('SELECT subscribers FROM streamflow.stream_stats WHERE stream_id = $1', [id]);
    if (s && Number(s.subscribers) === 1) break;
    if (Date.now() > deadline) throw new Error('the slow subscriber was never closed');
    await sleep(200);
  }
  slow.ws._socket.resume();
  await slow.waitForClose(20000);
  await query('SELECT streamflow.ingest($1, $2)', [id, { after: true }]);
  await reader.waitForFrame(401);
  assert.equal(reader.closed, null);
  assert.deepEqual(sequences(reader.frames()), range(1, 401));
});

test('an idle SSE stream gets comment heartbeats and outlives lws keepalive_timeout (5 s)', { timeout: 30000 }, async () => {
  await workerUp();
  await useNewToken(await db());
  await query("ALTER SYSTEM SET streamflow.sse_heartbeat_ms = '500ms'");
  await query('SELECT pg_reload_conf()');
  await sleep(300); // the worker rereads its configuration when the SIGHUP wakes it
  const id = `hb_${process.pid}_${Date.now()}`;
  await query('SELECT streamflow.create_stream($1::jsonb)', [JSON.stringify({ name: id, id })]);
  const ctl = new AbortController();
  const res = await fetch(`${httpBase}${withToken(`/streams/${id}/events`)}`, { signal: ctl.signal });
  assert.equal(res.status, 200);
  const reader = res.body.getReader();
  let text = '';
  const start = Date.now();
  // read for 6.5 s: past keepalive_timeout, the answer is still open
  while (Date.now() - start < 6500) {
    const { value, done } = await reader.read();
    assert.equal(done, false, 'the event stream ended');
    text += Buffer.from(value).toString();
  }
  await query('SELECT streamflow.ingest($1, $2)', [id, { late: true }]);
  while (!text.includes('id: 1\n')) {
    const { value, done } = await reader.read();
    assert.equal(done, false, 'the event stream ended');
    text += Buffer.from(value).toString();
  }
  ctl.abort();
  assert.ok(text.split(': heartbeat\n\n').length - 1 >= 3, `heartbeats in ${JSON.stringify(text.slice(0, 200))}`);
  assert.match(text, /id: 1\nevent: frame\ndata: \{.*"late": true.*\}\n\n/);
});

test('SSE clients that hang up are released, and the worker goes back to sleep (no spinning)', { timeout: 30000 }, async () => {
  await workerUp();
  await useNewToken(await db());
  const id = `hangup_${process.pid}_${Date.now()}`;
  await query('SELECT streamflow.create_stream($1::jsonb)', [JSON.stringify({ name: id, id })]);
  for (let i = 0; i < 3; i++) {
    const ctl = new AbortController();
    const res = await fetch(`${httpBase}${withToken(`/streams/${id}/events`)}`, { signal: ctl.signal });
    assert.equal(res.status, 200);
    ctl.abort();
  }
  const deadline = Date.now() + 10000;
  for (;;) {
    const { rows: [s] } = await query('SELECT subscribers FROM streamflow.stream_stats WHERE stream_id = $1', [id]);
    if (s && Number(s.subscribers) === 0) break;
    if (Date.now() > deadline) throw new Error('the hung-up SSE subscribers were never released');
    await sleep(100);
  }
  const { rows: [w] } = await query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'streamflow http'");
  const ticks = () => {
    const f = readFileSync(`/proc/${w.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  };
  const before = ticks();
  await sleep(2000);
  assert.ok(ticks() - before <= 2, 'at most 20 ms of CPU in 2 s of idling');
});
