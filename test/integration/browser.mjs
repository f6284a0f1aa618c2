// Headless Chromium for the browser tests (Debian's chromium, installed by
// scripts/deps.sh), driven over the DevTools protocol with npm `ws`.
//
//   const value = await runPage(html, { timeoutMs });
//
// opens html in a fresh browser, served from a local HTTP server of its own
// (http://127.0.0.1:<another port>, so every request the page makes to the
// worker is cross-origin, as from a dashboard served elsewhere; a loopback
// page also passes Chromium's local network access checks, which a data: URL
// would not), and resolves with the first value the page passes to
// window.report(value) (JSON-serialisable).  An uncaught exception in the
// page, the browser dying, or timeoutMs without a report rejects, with the
// page's console output in the message.  launchBrowser() keeps one browser for
// several pages.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

export const chromiumPath = process.env.STREAMFLOW_CHROMIUM || '/usr/bin/chromium';

// Starts Chromium; resolves with { runPage(html, opts), close() }.
export async function launchBrowser({ startTimeoutMs = 20000 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'sf-chromium-'));
  const child = spawn(chromiumPath, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
    '--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1',
    `--user-data-dir=${profile}`, 'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const pages = await servePages();
  let cdp;
  try {
    const url = await devtoolsUrl(child, exited, startTimeoutMs);
    cdp = await Cdp.connect(url);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    pages.close();
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }

  return {
    origin: pages.origin,
    runPage: (html, opts) => openPage(cdp, exited, pages.add(html), opts),
    async close() {
      await cdp.send('Browser.close').catch(() => {});
      cdp.close();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      pages.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// One page in a browser of its own; resolves with what the page reports.
export async function runPage(html, opts = {}) {
  const browser = await launchBrowser();
  try {
    return await browser.runPage(html, opts);
  } finally {
    await browser.close();
  }
}

// A loopback HTTP server for the pages: add(html) returns the page's URL.
async function servePages() {
  const pages = new Map();
  const server = createServer((req, res) => {
    const html = pages.get(req.url);
    res.writeHead(html === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html ?? 'no such page');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    add(html) {
      const path = `/page/${pages.size + 1}`;
      pages.set(path, html);
      return origin + path;
    },
    close() { server.close(); server.closeAllConnections(); },
  };
}

// The browser's DevTools WebSocket URL, read from its stderr.
function devtoolsUrl(child, exited, ms) {
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start within ${ms} ms: ${err}`)), ms);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      err += chunk;
      const m = err.match(/DevTools listening on (ws:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code ?? signal}) before listening: ${err}`));
    });
  });
}

// Opens url in a new tab, waits for window.report(value), closes the tab.
async function openPage(cdp, exited, url, { timeoutMs = 15000 } = {}) {
  const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  const logs = [];
  let timer;
  const reported = new Promise((resolve, reject) => {
    cdp.on(sessionId, (method, params) => {
      if (method === 'Runtime.bindingCalled' && params.name === '__sfReport') {
        resolve(JSON.parse(params.payload));
      } else if (method === 'Runtime.consoleAPICalled') {
        logs.push(`${params.type}: ${params.args.map((a) => a.value ?? a.description).join(' ')}`);
      } else if (method === 'Runtime.exceptionThrown') {
        const d = params.exceptionDetails;
        reject(new Error(`uncaught in page: ${d.exception?.description ?? d.text}`));
      }
    });
    exited.then(() => reject(new Error('chromium exited')));
    timer = setTimeout(() => reject(new Error(`no report within ${timeoutMs} ms`)), timeoutMs);
  });
  reported.catch(() => {}); // awaited below; never an unhandled rejection meanwhile
  try {
    await cdp.send('Runtime.enable', {}, sessionId);
    await cdp.send('Runtime.addBinding', { name: '__sfReport' }, sessionId);
    await cdp.send('Page.enable', {}, sessionId);
    await cdp.send('Page.addScriptToEvaluateOnNewDocument', {
      source: 'window.report = (v) => window.__sfReport(JSON.stringify(v === undefined ? null : v));',
    }, sessionId);
    await cdp.send('Page.navigate', { url }, sessionId);
    return await reported;
  } catch (err) {
    if (logs.length) err.message += `\npage console:\n${logs.join('\n')}`;
    throw err;
  } finally {
    clearTimeout(timer);
    cdp.off(sessionId);
    await cdp.send('Target.closeTarget', { targetId }).catch(() => {});
  }
}

// A DevTools protocol connection: numbered commands, events per session.
class Cdp {
  static connect(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
      ws.once('open', () => resolve(new Cdp(ws)));
      ws.once('error', reject);
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    ws.on('message', (data) => this.receive(JSON.parse(data)));
    ws.on('close', () => {
      for (const { reject } of this.pending.values()) reject(new Error('DevTools connection closed'));
      this.pending.clear();
    });
  }

  // Sends a command (to a session when given); resolves with its result.
  send(method, params = {}, sessionId) {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new Error('DevTools connection closed'));
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  // Routes a message: a command's answer, or an event to its session's listener.
  receive(msg) {
    if (msg.id !== undefined) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
      else p.resolve(msg.result);
    } else if (msg.sessionId && this.listeners.has(msg.sessionId)) {
      this.listeners.get(msg.sessionId)(msg.method, msg.params);
    }
  }

  on(sessionId, fn) { this.listeners.set(sessionId, fn); }
  off(sessionId) { this.listeners.delete(sessionId); }
  close() { this.ws.close(); }
}
