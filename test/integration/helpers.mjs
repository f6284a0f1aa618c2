// Shared helpers for the integration tests: connections to the throwaway
// cluster started by scripts/test.sh (PGHOST/PGPORT/PGUSER/PGDATABASE).
import pg from 'pg';

// Opens a connected client; the caller ends it.
export async function connect() {
  const client = new pg.Client();
  await client.connect();
  return client;
}

// Creates a fresh stream with a unique id and returns that id.
export async function freshStream(client, config = {}) {
  const id = `it_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  await client.query('SELECT streamflow.create_stream($1::jsonb)', [
    JSON.stringify({ name: id, id, ...config }),
  ]);
  return id;
}

// Resolves with the notifications a client receives on channel until
// `count` arrived or `ms` passed.
export function collectNotifications(client, channel, count, ms) {
  return new Promise((resolve) => {
    const got = [];
    const timer = setTimeout(done, ms);
    function onNotify(msg) {
      if (msg.channel !== channel) return;
      got.push(JSON.parse(msg.payload));
      if (got.length >= count) done();
    }
    function done() {
      clearTimeout(timer);
      client.removeListener('notification', onNotify);
      resolve(got);
    }
    client.on('notification', onNotify);
  });
}
