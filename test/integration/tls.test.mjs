// The worker serves https and wss when streamflow.tls_cert_file and tls_key_file are set:
// a second throwaway cluster (PG port + 6, HTTP + 3006) with a self-signed certificate made
// by openssl, curl over https, npm ws over wss, and plain http refused on that port.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import WebSocket from 'ws';

const root = path.join(path.dirname(process.env.PGHOST), 'tls');
const dataDir = path.join(root, 'cluster');
const pgPort = Number(process.env.PGPORT) + 6;
const httpPort = pgPort + 3000;
const script = path.resolve(import.meta.dirname, '../../scripts/cluster.sh');
const cert = path.join(root, 'server.crt');
const key = path.join(root, 'server.key');
let db;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const curl = (...args) => spawnSync('curl', ['-sS', '--max-time', '5', ...args], { encoding: 'utf8' });

// Waits until the worker answers /health over https.
async function httpsUp(ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = curl('--cacert', cert, `https://localhost:${httpPort}/health`);
    if (r.status === 0) return JSON.parse(r.stdout);
    if (Date.now() > deadline) throw new Error(`no https answer: ${r.stderr}`);
    await sleep(200);
  }
}

before(async () => {
  execFileSync('bash', [script, 'stop', dataDir], { stdio: 'ignore' });
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  execFileSync('chown', ['postgres:', key, cert]);
  const env = {
    ...process.env,
    STREAMFLOW_CLUSTER_CONF: [
      `streamflow.tls_cert_file = '${cert}'`,
      `streamflow.tls_key_file = '${key}'`,
      "streamflow.auth = 'none'",
    ].join('\n'),
  };
  execFileSync('bash', [script, 'start', dataDir, String(pgPort), 'tls'], { env, stdio: 'inherit' });
  db = new pg.Client({ host: dataDir, port: pgPort, user: 'postgres', database: 'tls' });
  await db.connect();
  await db.query('CREATE EXTENSION streamflow');
  await db.query(`SELECT streamflow.create_stream('{"id": "tls_feed", "name": "tls feed"}')`);
});

after(async () => {
  await db?.end();
  execFileSync('bash', [script, 'stop', dataDir], { stdio: 'inherit' });
});

test('https: /health and REST answer over TLS with the configured certificate', { timeout: 30000 }, async () => {
  const health = await httpsUp(15000);
  assert.equal(health.status, 'ok');
  const r = curl('--cacert', cert, `https://localhost:${httpPort}/streams/tls_feed`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).id, 'tls_feed');
});

test('an untrusted client refuses the self-signed certificate; plain http gets no answer', { timeout: 30000 }, async () => {
  await httpsUp(15000);
  const untrusted = curl(`https://localhost:${httpPort}/health`);
  assert.notEqual(untrusted.status, 0, 'curl without --cacert must refuse the certificate');
  assert.match(untrusted.stderr, /certificate/i);
  const plain = curl(`http://127.0.0.1:${httpPort}/health`);
  assert.ok(plain.status !== 0 || !plain.stdout.includes('"status":"ok"'), 'no clear-text answer');
});

test('wss: a subscriber receives a frame committed in SQL, and a publish is acknowledged', { timeout: 30000 }, async () => {
  await httpsUp(15000);
  const ws = new WebSocket(`wss://localhost:${httpPort}/streams/tls_feed/ws`, { ca: fs.readFileSync(cert) });
  const messages = [];
  const waitFor = (pred) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(messages)}`)), 10000);
    const check = () => {
      const m = messages.find(pred);
      if (m) { clearTimeout(timer); ws.off('message', check); resolve(m); }
    };
    ws.on('message', (data) => { messages.push(JSON.parse(String(data))); check(); });
  });
  const subscribed = waitFor((m) => m.type === 'subscribed');
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  await subscribed;

  const pushed = waitFor((m) => m.data?.over === 'sql');
  await db.query(`SELECT streamflow.ingest('tls_feed', '{"over": "sql"}')`);
  const frame = await pushed;
  assert.equal(frame.stream_id, 'tls_feed');

  const ack = waitFor((m) => m.type === 'ack' && m.message_id === 'tls-1');
  ws.send(JSON.stringify({ message_id: 'tls-1', data: { over: 'wss' } }));
  const a = await ack;
  const { rows } = await db.query('SELECT payload FROM streamflow.frames WHERE stream_id = $1 AND sequence = $2',
    ['tls_feed', a.sequence]);
  assert.deepEqual(rows[0].payload, { over: 'wss' });
  ws.close();
});
