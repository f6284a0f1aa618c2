// The frame pipeline across sessions and transactions: a schema changed by
// one session applies to the next frame another session ingests (the
// compiled-pipeline cache notices), and windowed binding aggregates slide
// with time, each frame stored with the aggregate that includes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Ingests a payload and returns the stored payload.
async function ingest(client, stream, payload, sequence = null) {
  const { rows } = await client.query(
    'SELECT payload FROM streamflow.ingest($1, $2::jsonb, $3)', [stream, JSON.stringify(payload), sequence]);
  return rows[0].payload;
}

// The SQLSTATE, message and detail of a failing ingest (null when it succeeds).
async function ingestError(client, stream, payload) {
  try {
    await ingest(client, stream, payload);
    return null;
  } catch (e) {
    return { code: e.code, message: e.message, detail: e.detail };
  }
}

test('a schema updated by another session applies to the next frame', async () => {
  const admin = await connect();
  const writer = await connect();
  try {
    const stream = await freshStream(admin, { data_schema: { required: ['a'] } });
    assert.deepEqual(await ingest(writer, stream, { a: 1 }), { a: 1 }); // compiled and cached here
    assert.equal((await ingestError(writer, stream, { b: 1 })).code, '22023');

    await admin.query('SELECT streamflow.update_stream($1, $2::jsonb)',
      [stream, JSON.stringify({ data_schema: { required: ['b'] } })]);
    assert.deepEqual(await ingest(writer, stream, { b: 1 }), { b: 1 });
    const err = await ingestError(writer, stream, { a: 1 });
    assert.equal(err.code, '22023');
    assert.match(err.detail, /\$\.payload: is missing the required property "b" \(required\)/);

    await admin.query('SELECT streamflow.update_stream($1, $2::jsonb)',
      [stream, JSON.stringify({ data_schema: null, attribute_bindings: [
        { source_attribute: 'a', destination_attribute: 'x.y', transform: 'passthrough' }] })]);
    assert.deepEqual(await ingest(writer, stream, { a: 7 }), { x: { y: 7 } });
  } finally {
    await admin.end();
    await writer.end();
  }
});

test('a windowed sum covers the trailing window, counting only stored frames', async () => {
  const client = await connect();
  try {
    const stream = await freshStream(client, {
      attribute_bindings: [
        { source_attribute: 'views', destination_attribute: 'views', transform: 'passthrough' },
        { source_attribute: 'views', destination_attribute: 'views_window', transform: 'sum',
          aggregation_window_ms: 1500 },
        { source_attribute: 'views', destination_attribute: 'frames_window', transform: 'count',
          aggregation_window_ms: 1500 },
        { source_attribute: 'views', destination_attribute: 'avg_window', transform: 'average',
          aggregation_window_ms: 1500 },
      ],
      data_schema: { properties: { views: { maximum: 100 } } },
    });
    assert.deepEqual(await ingest(client, stream, { views: 5 }, 1),
      { views: 5, views_window: 5, frames_window: 1, avg_window: 5 });
    assert.deepEqual(await ingest(client, stream, { views: 7 }, 2),
      { views: 7, views_window: 12, frames_window: 2, avg_window: 6 });
    // a duplicate and a frame the schema rejects do not count
    assert.deepEqual(await ingest(client, stream, { views: 50 }, 2), { views: 7, views_window: 12, frames_window: 2, avg_window: 6 });
    assert.equal((await ingestError(client, stream, { views: 1000 })).code, '22023');
    const { rows } = await client.query(
      `SELECT * FROM streamflow.ingest_batch($1, $2::jsonb, 'skip')`,
      [stream, JSON.stringify([{ payload: { views: 1 } }, { payload: { views: 500 } }, { payload: { views: 2 } }])]);
    assert.equal(rows[0].ingested, 2);
    assert.equal(rows[0].rejected, 1);
    const batch = await client.query(
      `SELECT payload FROM streamflow.frames WHERE stream_id = $1 AND sequence > 2 ORDER BY sequence`, [stream]);
    assert.deepEqual(batch.rows.map((r) => r.payload.views_window), [13, 15]);

    await sleep(1700); // everything so far leaves the window
    assert.deepEqual(await ingest(client, stream, { views: 3 }),
      { views: 3, views_window: 3, frames_window: 1, avg_window: 3 });
  } finally {
    await client.end();
  }
});
