// Two sessions ingesting into one stream at once: no frame is lost and no
// sequence is assigned twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, freshStream } from './helpers.mjs';

const PER_SESSION = 400;

// Ingests PER_SESSION frames from one session, some single, some batched.
async function writer(client, stream, tag) {
  for (let i = 0; i < PER_SESSION; i++) {
    if (i % 4 === 3) {
      await client.query('SELECT streamflow.ingest_batch($1, $2::jsonb)', [
        stream, JSON.stringify([{ payload: { tag, i } }]),
      ]);
    } else {
      await client.query('SELECT streamflow.ingest($1, $2::jsonb)', [stream, JSON.stringify({ tag, i })]);
    }
  }
}

test('concurrent ingest into one stream loses nothing and never reuses a sequence', async () => {
  const admin = await connect();
  const a = await connect();
  const b = await connect();
  try {
    const stream = await freshStream(admin);
    await Promise.all([writer(a, stream, 'a'), writer(b, stream, 'b')]);

    const { rows } = await admin.query(
      `SELECT count(*)::int AS n, count(DISTINCT sequence)::int AS distinct_seqs,
              min(sequence)::int AS lo, max(sequence)::int AS hi,
              count(*) FILTER (WHERE payload->>'tag' = 'a')::int AS from_a,
              count(*) FILTER (WHERE payload->>'tag' = 'b')::int AS from_b
         FROM streamflow.frames WHERE stream_id = $1`, [stream]);
    assert.deepEqual(rows[0], {
      n: 2 * PER_SESSION, distinct_seqs: 2 * PER_SESSION, lo: 1, hi: 2 * PER_SESSION,
      from_a: PER_SESSION, from_b: PER_SESSION,
    });

    // each session's own frames keep their order
    const order = await admin.query(
      `SELECT payload->>'tag' AS tag, array_agg((payload->>'i')::int ORDER BY sequence) AS seen
         FROM streamflow.frames WHERE stream_id = $1 GROUP BY 1 ORDER BY 1`, [stream]);
    for (const row of order.rows) {
      assert.deepEqual(row.seen, Array.from({ length: PER_SESSION }, (_, i) => i), `session ${row.tag} in order`);
    }

    const state = await admin.query('SELECT last_sequence::int, frames_received::int FROM streamflow.stream_state WHERE stream_id = $1', [stream]);
    assert.deepEqual(state.rows[0], { last_sequence: 2 * PER_SESSION, frames_received: 2 * PER_SESSION });
    await admin.query('SELECT streamflow.drop_stream($1)', [stream]);
  } finally {
    await Promise.all([admin.end(), a.end(), b.end()]);
  }
});
