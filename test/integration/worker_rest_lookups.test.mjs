// An HTTP ingest (POST /streams/{id}/frames) looks its stream up once,
// with its head, and answers the stored frame from memory instead of
// reading it back; the answer is the same frame GET returns.  Runs alone
// (scripts/test.sh runs worker*.test.mjs one by one): it counts table scans,
// which other tests would add to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';
import { useNewToken, httpBase } from './live_clients.mjs';

let db;
let token;

before(async () => {
  db = await connect();
  token = await useNewToken(db);
});
after(async () => { await db.end(); });

const post = (stream, body) => fetch(`${httpBase}/streams/${stream}/frames`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  body: JSON.stringify(body),
});

// Scans of streamflow.streams and of streamflow.frames' index, and frames inserted.
async function counters() {
  await db.query('SELECT pg_stat_clear_snapshot()');
  const { rows: [r] } = await db.query(`SELECT
      (SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relid = 'streamflow.streams'::regclass) AS streams,
      (SELECT coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relid = 'streamflow.frames'::regclass) AS frames,
      (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relid = 'streamflow.frames'::regclass) AS inserted`);
  return { streams: Number(r.streams), frames: Number(r.frames), inserted: Number(r.inserted) };
}

test('a POSTed frame costs one lookup of its stream and no read-back', { timeout: 60000 }, async () => {
  const id = await freshStream(db);
  const n = 50;
  const start = await counters();
  for (let i = 0; i < n; i++) assert.equal((await post(id, { payload: { i } })).status, 201);
  // the worker reports its statistics at most once a second: post until they show the frames
  let now;
  let posted = n;
  for (;;) {
    now = await counters();
    if (now.inserted >= start.inserted + n) break;
    assert.equal((await post(id, { payload: { i: posted++ } })).status, 201);
    await new Promise((r) => setTimeout(r, 200));
  }
  const perFrame = (k) => (now[k] - start[k]) / (now.inserted - start.inserted);
  // before: three lookups of the stream (authorize, resolve, lock) and a read-back of each frame
  assert.ok(perFrame('streams') < 2, `${perFrame('streams')} scans of streamflow.streams per frame`);
  assert.ok(perFrame('frames') < 1.5, `${perFrame('frames')} index scans of streamflow.frames per frame (the insert's conflict check is one)`);
});

test('the answer rendered from memory is the stored frame, by id or by name; a repeat answers 200 from storage', async () => {
  const id = await freshStream(db);
  await db.query("UPDATE streamflow.streams SET name = $1 || '_named' WHERE id = $1", [id]);
  const first = await post(id, { payload: { a: 1 }, metadata: { m: 'x' }, latency_ms: 7, status: 'late' });
  assert.equal(first.status, 201);
  const byName = await post(`${id}_named`, { sequence: 5, payload: { b: 2 } });
  assert.equal(byName.status, 201);
  const again = await post(id, { sequence: 5, payload: { b: 3 } });
  assert.equal(again.status, 200);
  const answers = [await first.json(), await byName.json(), await again.json()];
  const stored = await (await fetch(`${httpBase}/streams/${id}/frames?limit=10`,
    { headers: { authorization: `Bearer ${token}` } })).json();
  assert.deepEqual(answers, [stored[1], stored[0], stored[0]]);
  assert.deepEqual(answers[2].data, { b: 2 });
});
