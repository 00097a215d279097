import { request } from 'node:http';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import { startBrowserHost, tokenCookieName, type BrowserHost } from '../../../src-main/transport/browser-host';
import { failOnOutputMismatch } from '../engine-support';

/** Raw HTTP, so the test controls Host and Origin exactly as an attacker could. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function upgrade(port: number, path: string, headers: Record<string, string>): Promise<number | 'open'> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => undefined);
  });
}

describe('browser mode host security', () => {
  let engine: Engine;
  let host: BrowserHost;
  let origin: string;
  let rendererDir: string;

  beforeAll(async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chrono-host-'));
    rendererDir = join(dataDir, 'renderer');
    await mkdir(rendererDir);
    await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Chronoscope</title>');
    await writeFile(join(dataDir, 'secret.txt'), 'outside the renderer');
    engine = createEngine({ dataDir, mode: 'browser', log: () => undefined, onOutputMismatch: failOnOutputMismatch });
    await mkdir(engine.exportsDir, { recursive: true });
    await writeFile(join(engine.exportsDir, 'feed.ndjson'), '{"type":"X"}\n');
    await writeFile(join(engine.exportsDir, 'half.ndjson.part'), 'partial');
    host = await startBrowserHost({ dispatcher: engine.dispatcher, rendererDir, downloadsDir: engine.exportsDir });
    origin = `http://127.0.0.1:${host.port}`;
  });
  afterAll(async () => {
    await host.close();
    await engine.dispose();
  });

  it('binds to loopback and prints a URL carrying the token', () => {
    expect(host.url).toBe(`http://127.0.0.1:${host.port}/?token=${host.token}`);
    expect(host.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the app with the token, and sets a strict, short-lived cookie named for its port, and CSP', async () => {
    const res = await get(host.port, `/?token=${host.token}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^chronoscope_token_${host.port}=`));
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(setCookie)?.[1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(12 * 60 * 60);
    const cookie = setCookie.split(';')[0]!;
    expect((await get(host.port, '/index.html', { cookie })).status).toBe(200);
    // The old port-blind name no longer authenticates.
    expect((await get(host.port, '/index.html', { cookie: `chronoscope_token=${host.token}` })).status).toBe(401);
  });

  it('runs beside a second instance on another port: each cookie opens only its own host', async () => {
    const other = await startBrowserHost({ dispatcher: engine.dispatcher, rendererDir });
    try {
      const cookieOf = async (h: BrowserHost) => String((await get(h.port, `/?token=${h.token}`)).headers['set-cookie']).split(';')[0]!;
      const mine = await cookieOf(host);
      const theirs = await cookieOf(other);
      expect(mine.split('=')[0]).toBe(tokenCookieName(host.port));
      expect(theirs.split('=')[0]).toBe(tokenCookieName(other.port));
      // A browser sends every 127.0.0.1 cookie to every port: both hosts see both cookies.
      const jar = `${mine}; ${theirs}`;
      expect((await get(host.port, '/index.html', { cookie: jar })).status).toBe(200);
      expect((await get(other.port, '/index.html', { cookie: jar })).status).toBe(200);
      expect((await get(host.port, '/index.html', { cookie: theirs })).status).toBe(401);
      expect((await get(other.port, '/index.html', { cookie: mine })).status).toBe(401);
      // The other host's token under this host's cookie name is refused too.
      expect((await get(host.port, '/index.html', { cookie: `${tokenCookieName(host.port)}=${other.token}` })).status).toBe(401);
      for (const [h, cookie] of [
        [host, jar],
        [other, jar],
      ] as const) {
        const ws = new WebSocket(`ws://127.0.0.1:${h.port}/ws`, { headers: { origin: `http://127.0.0.1:${h.port}`, cookie } });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        ws.close();
      }
      expect(await upgrade(other.port, '/ws', { origin: `http://127.0.0.1:${other.port}`, cookie: mine })).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('answers the session check: 204 for an accepted token (URL or cookie), 401 otherwise, 403 for a foreign Origin', async () => {
    const cookie = `${tokenCookieName(host.port)}=${host.token}`;
    const accepted = await get(host.port, `/session?token=${host.token}`);
    expect(accepted.status).toBe(204);
    expect(accepted.headers['cache-control']).toBe('no-store');
    expect(accepted.headers['set-cookie']).toBeUndefined();
    expect((await get(host.port, '/session', { cookie })).status).toBe(204);
    expect((await get(host.port, '/session')).status).toBe(401);
    expect((await get(host.port, '/session?token=from-before-a-restart')).status).toBe(401);
    expect((await get(host.port, `/session?token=${host.token}`, { origin: 'http://evil.example' })).status).toBe(403);
  });

  it('lets a tab with an old token in its URL back in once the cookie carries the current one (the new URL opened in another tab)', async () => {
    const stale = 'x'.repeat(host.token.length);
    const cookie = `${tokenCookieName(host.port)}=${host.token}`;
    expect((await get(host.port, `/session?token=${stale}`, { cookie })).status).toBe(204);
    expect(await upgrade(host.port, `/ws?token=${stale}`, { origin, cookie })).toBe('open');
    // Neither current: refused, whichever carries what.
    expect(await upgrade(host.port, `/ws?token=${stale}`, { origin, cookie: `${tokenCookieName(host.port)}=${stale}` })).toBe(401);
    expect((await get(host.port, `/index.html?token=${stale}`, { cookie: `${tokenCookieName(host.port + 1)}=${host.token}` })).status).toBe(401);
  });

  it('rejects a missing token (401)', async () => {
    expect((await get(host.port, '/')).status).toBe(401);
    expect(await upgrade(host.port, '/ws', { origin })).toBe(401);
  });

  it('rejects a wrong token (401)', async () => {
    expect((await get(host.port, '/?token=not-the-token')).status).toBe(401);
    expect((await get(host.port, '/', { cookie: 'chronoscope_token=guess' })).status).toBe(401);
    // One character off (never the same one: a token ending in "x" made "…x" the right token, 1 run in 64).
    const wrong = `${host.token.slice(0, -1)}${host.token.endsWith('x') ? 'y' : 'x'}`;
    expect(await upgrade(host.port, `/ws?token=${wrong}`, { origin })).toBe(401);
  });

  it('rejects a foreign Origin even with the right token (403)', async () => {
    expect((await get(host.port, `/?token=${host.token}`, { origin: 'http://evil.example' })).status).toBe(403);
    expect(await upgrade(host.port, `/ws?token=${host.token}`, { origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade(host.port, `/ws?token=${host.token}`, { origin: `http://127.0.0.1:${host.port + 1}` })).toBe(403);
  });

  it('rejects a rebinding Host header (403)', async () => {
    expect((await get(host.port, `/?token=${host.token}`, { host: `attacker.example:${host.port}` })).status).toBe(403);
    expect(await upgrade(host.port, `/ws?token=${host.token}`, { host: 'attacker.example', origin: 'http://attacker.example' })).toBe(403);
  });

  it('does not serve files outside the renderer folder', async () => {
    const res = await get(host.port, `/..%2Fsecret.txt?token=${host.token}`);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside the renderer');
  });

  it('offers finished exports as downloads, with the token only', async () => {
    const ok = await get(host.port, `/downloads/feed.ndjson?token=${host.token}`);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-disposition']).toBe('attachment; filename="feed.ndjson"');
    expect(ok.body).toBe('{"type":"X"}\n');
    expect((await get(host.port, '/downloads/feed.ndjson')).status).toBe(401);
    expect((await get(host.port, `/downloads/half.ndjson.part?token=${host.token}`)).status).toBe(404);
    expect((await get(host.port, `/downloads/..%2F..%2Fsecret.txt?token=${host.token}`)).status).toBe(404);
  });

  it('answers operations over an authorised WebSocket', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { headers: { origin } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const reply = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (raw) => resolve(JSON.parse(String(raw)))));
    ws.send(JSON.stringify({ t: 'call', id: 'c1', op: 'connections.add', input: { name: '', settings: { kind: 'postgres' } } }));
    const answer = await reply;
    ws.close();
    expect(answer).toMatchObject({ t: 'result', id: 'c1', ok: false, error: { code: 'invalid_input' } });
    expect(String((answer.error as { message: string }).message)).toContain('settings.host');
  });
});
