// Outbound deliveries survive a crash: with frames pending and one request
// in flight, the worker is killed with SIGKILL (the postmaster then restarts
// every backend, as after any crash); once it is back every frame reaches
// the destination, in order from the first frame not acknowledged.  Runs
// alone (scripts/test.sh): the crash restart ends every session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startReceiver, until } from './receiver.mjs';

const secret = 'outbound-crash-secret-0123456789';
let db;
let r;

// A connected client, retried while the server restarts after the crash.
async function connect() {
  return until('a connection', async () => {
    const c = new pg.Client();
    try {
      await c.connect();
      await c.query('SELECT 1');
      return c;
    } catch {
      await c.end().catch(() => {});
      return null;
    }
  }, 30000);
}

before(async () => { db = await connect(); });
after(async () => {
  await r?.close();
  await db.end().catch(() => {});
});

test('deliveries pending when the worker is killed are sent after the restart', { timeout: 60000 }, async () => {
  let answering = false;
  r = await startReceiver(secret, () => (answering ? 200 : 'hang'));
  const stream = `crash_${process.pid}`;
  await db.query('SELECT streamflow.create_stream($1::jsonb)', [JSON.stringify({
    id: stream, name: stream, destination_url: r.url, webhook_secret: secret,
    retry_policy: { max_retries: 10, backoff_ms: 50 },
  })]);
  const frames = Array.from({ length: 5 }, (_, i) => ({ payload: { n: i + 1 } }));
  await db.query('SELECT * FROM streamflow.ingest_batch($1, $2::jsonb)', [stream, JSON.stringify(frames)]);
  await until('the first request in flight', () => r.requests.length === 1);

  const { rows } = await db.query("SELECT pid FROM pg_stat_activity WHERE backend_type = 'streamflow http'");
  assert.equal(rows.length, 1);
  answering = true;
  process.kill(rows[0].pid, 'SIGKILL');
  await db.end().catch(() => {});
  db = await connect();

  await until('5 frames acknowledged', () => r.delivered().length === 5, 45000);
  assert.deepEqual(r.delivered(), [1, 2, 3, 4, 5], 'in order, each acknowledged once');
  assert.equal(r.requests[0].answer, 'hang', 'the first request was the one in flight');
  assert.ok(r.requests.every((q) => q.signed));
  await until('the queue to empty', async () => {
    const q = await db.query('SELECT count(*)::int AS n FROM streamflow.deliveries WHERE stream_id = $1', [stream]);
    return q.rows[0].n === 0;
  });
  await db.query('SELECT streamflow.drop_stream($1)', [stream]);
});
