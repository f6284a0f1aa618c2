// The bus seen from another session: a LISTENer receives each frame only
// after the ingesting transaction commits, and never for a rollback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream, collectNotifications } from './helpers.mjs';

let listener;
let writer;
let stream;
let channel;

before(async () => {
  listener = await connect();
  writer = await connect();
  stream = await freshStream(writer, { sla_ms: 100 });
  channel = `datastreams/${stream}`;
  await listener.query(`LISTEN "${channel}"`);
});

after(async () => {
  await writer.query('SELECT streamflow.drop_stream($1)', [stream]);
  await listener.end();
  await writer.end();
});

test('announcement arrives after commit, not before', async () => {
  await writer.query('BEGIN');
  await writer.query('SELECT streamflow.ingest($1, $2::jsonb, latency_ms => 250)', [stream, '{"price": 1850.5}']);
  const early = await collectNotifications(listener, channel, 1, 300);
  assert.equal(early.length, 0, 'nothing is announced while the transaction is open');

  const arriving = collectNotifications(listener, channel, 1, 5000);
  await writer.query('COMMIT');
  const [msg] = await arriving;
  assert.ok(msg, 'the committed frame is announced');
  assert.deepEqual(msg, {
    stream_id: stream,
    sequence: 1,
    status: 'late',
    latency_ms: 250,
    payload: { price: 1850.5 },
  });
});

test('a rolled-back frame is never announced, and its sequence is reused', async () => {
  await writer.query('BEGIN');
  await writer.query('SELECT streamflow.ingest($1, $2::jsonb)', [stream, '{"doomed": true}']);
  await writer.query('ROLLBACK');
  const none = await collectNotifications(listener, channel, 1, 500);
  assert.deepEqual(none, [], 'no announcement after ROLLBACK');

  const arriving = collectNotifications(listener, channel, 1, 5000);
  await writer.query('SELECT streamflow.ingest($1, $2::jsonb)', [stream, '{"kept": true}']);
  const [msg] = await arriving;
  assert.equal(msg.sequence, 2);
  assert.deepEqual(msg.payload, { kept: true });
});

test('a rolled-back savepoint drops only its own frames', async () => {
  const arriving = collectNotifications(listener, channel, 2, 3000);
  await writer.query('BEGIN');
  await writer.query('SELECT streamflow.ingest($1, $2::jsonb)', [stream, '{"n": "a"}']);
  await writer.query('SAVEPOINT s');
  await writer.query('SELECT streamflow.ingest($1, $2::jsonb)', [stream, '{"n": "b"}']);
  await writer.query('ROLLBACK TO SAVEPOINT s');
  await writer.query('SELECT streamflow.ingest($1, $2::jsonb)', [stream, '{"n": "c"}']);
  await writer.query('COMMIT');
  const got = await arriving;
  assert.deepEqual(got.map((m) => m.payload.n), ['a', 'c']);
});

test('a duplicate frame is not announced again', async () => {
  const { rows } = await writer.query('SELECT sequence FROM streamflow.latest_frame($1)', [stream]);
  const seq = Number(rows[0].sequence);
  await writer.query('SELECT streamflow.ingest($1, $2::jsonb, $3)', [stream, '{"again": true}', seq]);
  const none = await collectNotifications(listener, channel, 1, 500);
  assert.deepEqual(none, []);
});

test('a payload too large for NOTIFY is announced as a reference', async () => {
  const big = { blob: 'x'.repeat(9000) };
  const arriving = collectNotifications(listener, channel, 1, 5000);
  const { rows } = await writer.query('SELECT sequence FROM streamflow.ingest($1, $2::jsonb)', [stream, JSON.stringify(big)]);
  const [msg] = await arriving;
  assert.equal(msg.sequence, Number(rows[0].sequence));
  assert.equal(msg.payload_omitted, true);
  assert.equal(msg.payload, undefined);
  const stored = await writer.query('SELECT payload FROM streamflow.frames_since($1, $2, 1)', [stream, msg.sequence - 1]);
  assert.deepEqual(stored.rows[0].payload, big, 'the full payload is in storage');
});

test('a large batch is announced frame by frame up to notify_max_frames, then coalesced', async () => {
  const frames = JSON.stringify(Array.from({ length: 5 }, (_, i) => ({ payload: { i } })));
  let arriving = collectNotifications(listener, channel, 5, 5000);
  await writer.query('SELECT streamflow.ingest_batch($1, $2::jsonb)', [stream, frames]);
  let got = await arriving;
  assert.deepEqual(got.map((m) => m.payload.i), [0, 1, 2, 3, 4], 'one announcement per frame, in order');

  await writer.query('SET streamflow.notify_max_frames = 3');
  arriving = collectNotifications(listener, channel, 2, 1000);
  const { rows } = await writer.query('SELECT * FROM streamflow.ingest_batch($1, $2::jsonb)', [stream, frames]);
  got = await arriving;
  await writer.query('RESET streamflow.notify_max_frames');
  assert.equal(got.length, 1, 'one coalesced reference for the transaction');
  assert.deepEqual(got[0], {
    stream_id: stream,
    coalesced: true,
    count: 5,
    first_sequence: Number(rows[0].first_sequence),
    last_sequence: Number(rows[0].last_sequence),
  });
});
