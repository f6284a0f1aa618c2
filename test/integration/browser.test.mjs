// Headless Chromium (browser.mjs) against the worker: a page served from
// another origin fetches /health cross-origin, with and without a CORS
// preflight, and reads an error answer; what the page reports comes back
// over the DevTools protocol.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './browser.mjs';

const base = `http://127.0.0.1:${Number(process.env.STREAMFLOW_HTTP_PORT)}`;
let browser;

// A page that fetches path with init and reports {status, body}; a fetch the
// browser's CORS check refuses reports {error}.
function fetchPage(path, init = {}) {
  return `<!doctype html><script>
    fetch(${JSON.stringify(base + path)}, ${JSON.stringify(init)})
      .then(async (r) => report({ status: r.status, body: await r.json() }))
      .catch((e) => report({ error: String(e) }));
  </script>`;
}

before(async () => { browser = await launchBrowser(); });
after(async () => { if (browser) await browser.close(); });

test('the harness reports what a page passes to report()', async () => {
  const got = await browser.runPage('<script>report({ origin: location.origin, sum: 1 + 1 })</script>');
  assert.deepEqual(got, { origin: browser.origin, sum: 2 });
  assert.notEqual(browser.origin, base, 'the page is of another origin than the worker');
});

test('the harness rejects on an uncaught exception, naming it', async () => {
  await assert.rejects(browser.runPage('<script>throw new Error("boom")</script>', { timeoutMs: 5000 }),
    /uncaught in page: Error: boom/);
});

test('a page fetches /health cross-origin (Access-Control-Allow-Origin: *)', async () => {
  const got = await browser.runPage(fetchPage('/health'));
  assert.equal(got.error, undefined, got.error);
  assert.equal(got.status, 200);
  assert.equal(got.body.status, 'ok');
  assert.equal(got.body.database, process.env.PGDATABASE);
  const res = await fetch(`${base}/health`);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
});

test('an Authorization header passes the CORS preflight', async () => {
  const got = await browser.runPage(fetchPage('/health', { headers: { Authorization: 'Bearer sf_x' } }));
  assert.equal(got.error, undefined, got.error);
  assert.equal(got.status, 200);
  assert.equal(got.body.status, 'ok');
});

test('an error answer is readable by the page', async () => {
  const got = await browser.runPage(fetchPage('/no/such/path'));
  assert.equal(got.status, 404);
  assert.deepEqual(got.body, { error: 'not found', path: '/no/such/path' });
});

test('OPTIONS answers the preflight: 204 with the CORS headers', async () => {
  const res = await fetch(`${base}/health`, {
    method: 'OPTIONS',
    headers: { origin: 'null', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.match(res.headers.get('access-control-allow-headers'), /authorization/);
  assert.match(res.headers.get('access-control-allow-methods'), /GET/);
});
