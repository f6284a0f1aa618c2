// A webhook receiver for the outbound tests: a node HTTP server on loopback
// that checks every POST's X-Streamflow-Signature (HMAC-SHA256 of the raw
// body with the stream's secret), keeps what arrived, and answers as the test
// says: a status, 'hang' (never answers), 'drop' (closes the connection
// without an answer), 'partial' (a 200 whose body stops half way: the
// connection closes mid-response) or 'close' (a 200, then the server closes
// the kept connection).  connections() counts the TCP connections accepted.
import http from 'node:http';
import { createHmac, timingSafeEqual } from 'node:crypto';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts a receiver; decide(request) returns a status or 'hang'.
export async function startReceiver(secret, decide = () => 200) {
  const requests = [];
  const hanging = new Set();
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const given = req.headers['x-streamflow-signature'] ?? '';
      const expected = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
      const signed = given.length === expected.length &&
        timingSafeEqual(Buffer.from(given), Buffer.from(expected));
      let body = null;
      try { body = JSON.parse(raw.toString('utf8')); } catch { /* kept as null */ }
      const r = { method: req.method, url: req.url, headers: req.headers, body, signed };
      const answer = decide(r, requests);
      r.answer = answer;
      requests.push(r);
      if (answer === 'hang') { hanging.add(res); return; }
      if (answer === 'drop') { req.socket.destroy(); return; }
      if (answer === 'partial') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
        res.write('only part of it', () => req.socket.destroy());
        return;
      }
      if (answer === 'close') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok', () => req.socket.destroy());
        return;
      }
      res.writeHead(answer, { 'content-type': 'text/plain' });
      res.end(answer >= 300 ? `refused with ${answer}` : 'ok');
    });
  });
  server.keepAliveTimeout = 1000;
  server.on('connection', () => { connections++; });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hook`,
    server,
    requests,
    connections: () => connections,
    // the sequences answered 2xx, in the order they were answered
    delivered: () => requests.filter((r) => (r.answer >= 200 && r.answer < 300) || r.answer === 'close')
      .map((r) => r.body.sequence),
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// A loopback port nothing listens on (bound, then closed).
export async function deadPort() {
  const s = http.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

// Polls check() every 50 ms until it returns a truthy value (returned), or fails after ms.
export async function until(what, check, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// A fresh self-signed certificate for 127.0.0.1 (trusted by nobody): {key, cert}.
export async function selfSignedCert() {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/sf-tls-`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
    '-keyout', `${dir}/key.pem`, '-out', `${dir}/cert.pem`, '-days', '1'], { stdio: 'ignore' });
  const pair = { key: readFileSync(`${dir}/key.pem`), cert: readFileSync(`${dir}/cert.pem`) };
  rmSync(dir, { recursive: true });
  return pair;
}

// An HTTPS server on loopback with a fresh self-signed certificate (trusted
// by nobody); resolves with its url, what reached it and close().
export async function startUntrustedTls() {
  const https = await import('node:https');
  const requests = [];
  const server = https.createServer(await selfSignedCert(),
    (req, res) => { requests.push(req.url); res.writeHead(200); res.end('ok'); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${server.address().port}/hook`,
    requests,
    async close() { server.closeAllConnections(); await new Promise((resolve) => server.close(resolve)); },
  };
}
