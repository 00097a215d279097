/**
 * The browser-mode transport (the renderer's WebSocket client and its session
 * check) against the real host, stopped and started again on the same port:
 * unreachable → keeps reconnecting; up with another token → stops and waits
 * for the operator; up with the same token → reconnects by itself.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import NodeWebSocket from 'ws';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import { startBrowserHost, type BrowserHost } from '../../../src-main/transport/browser-host';
import { randomToken } from '../../../src-main/transport/token-source';
import type { ServerMessage } from '../../../src-shared/wire';
import { SESSION_CHECK_PATH } from '../../../src-shared/wire';
import type { LinkState } from '../../../src-renderer/src/client/link-state';
import { isTokenRefused } from '../../../src-renderer/src/client/session-check';
import { connectWebSocket, type WebSocketConnection } from '../../../src-renderer/src/client/websocket-transport';
import { failOnOutputMismatch } from '../engine-support';

/** The browser's WebSocket, counted: a failed handshake is reported through close, as in a browser. */
let socketsOpened = 0;
class BrowserLikeWebSocket extends NodeWebSocket {
  constructor(url: string) {
    super(url);
    socketsOpened += 1;
    this.on('error', () => undefined);
  }
}

let engine: Engine;
let dataDir: string;
let rendererDir: string;
let connection: WebSocketConnection | undefined;
let hosts: BrowserHost[] = [];
const savedWebSocket = globalThis.WebSocket;

beforeAll(async () => {
  (globalThis as { WebSocket: unknown }).WebSocket = BrowserLikeWebSocket;
  dataDir = await mkdtemp(join(tmpdir(), 'chrono-reconnect-'));
  rendererDir = join(dataDir, 'renderer');
  await mkdir(rendererDir);
  await writeFile(join(rendererDir, 'index.html'), '<!doctype html><title>Chronoscope</title>');
  engine = createEngine({ dataDir, mode: 'browser', log: () => undefined, onOutputMismatch: failOnOutputMismatch });
});
afterAll(async () => {
  (globalThis as { WebSocket: unknown }).WebSocket = savedWebSocket;
  await engine.dispose();
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(async () => {
  connection?.close();
  connection = undefined;
  for (const host of hosts) await host.close();
  hosts = [];
});

async function serve(token: string, port?: number): Promise<BrowserHost> {
  const host = await startBrowserHost({ dispatcher: engine.dispatcher, rendererDir, token, ...(port ? { port } : {}) });
  hosts.push(host);
  return host;
}

async function stop(host: BrowserHost): Promise<void> {
  await host.close();
  hosts = hosts.filter((h) => h !== host);
}

function connect(host: BrowserHost, token: string): WebSocketConnection {
  const query = `?token=${encodeURIComponent(token)}`;
  connection = connectWebSocket({
    url: `ws://127.0.0.1:${host.port}/ws${query}`,
    initialDelayMs: 20,
    maxDelayMs: 100,
    isTokenRefused: () => isTokenRefused(`http://127.0.0.1:${host.port}${SESSION_CHECK_PATH}${query}`),
  });
  return connection;
}

async function until(connection: WebSocketConnection, accept: (state: LinkState) => boolean, what: string): Promise<LinkState> {
  await expect
    .poll(() => accept(connection.link.get()), { timeout: 10_000, message: `link never became ${what}: ${JSON.stringify(connection.link.get())}` })
    .toBe(true);
  return connection.link.get();
}

/** One real call over the transport: its result message. */
function call(connection: WebSocketConnection): Promise<ServerMessage> {
  const id = `call-${Math.random()}`;
  return new Promise((resolve) => {
    const stopListening = connection.transport.onMessage((message) => {
      if (message.id !== id || message.t !== 'result') return;
      stopListening();
      resolve(message);
    });
    connection.transport.send({ t: 'call', id, op: 'app.info', input: {} });
  });
}

describe('browser-mode transport across a restart of the host', () => {
  it('keeps reconnecting while the host is down, then stops once it is up with another token, and tries again only when asked', async () => {
    const token = randomToken();
    const first = await serve(token);
    const link = connect(first, token);
    await until(link, (s) => s.status === 'connected', 'connected');
    expect(await call(link)).toMatchObject({ ok: true });

    await stop(first);
    await until(link, (s) => s.status === 'reconnecting' && s.attempt >= 3, 'reconnecting three times');
    expect(link.link.get()).toMatchObject({ status: 'reconnecting', everConnected: true });

    await serve(randomToken(), first.port);
    expect(await until(link, (s) => s.status === 'refused', 'refused')).toEqual({ status: 'refused', everConnected: true, checking: false });

    // Nothing more is tried by itself (ten times the longest backoff)…
    const tried = socketsOpened;
    await new Promise((done) => setTimeout(done, 1_000));
    expect(socketsOpened).toBe(tried);
    expect(link.link.get().status).toBe('refused');
    // …and a call says why instead of "reconnecting".
    expect(await call(link)).toMatchObject({ ok: false, error: { code: 'unavailable', message: expect.stringContaining('restarted with a new token') } });

    // Asked, it tries once: still refused, no counter.
    link.link.retryNow();
    expect(link.link.get()).toEqual({ status: 'refused', everConnected: true, checking: true });
    expect(await until(link, (s) => s.status === 'refused' && !s.checking, 'refused again')).toEqual({
      status: 'refused',
      everConnected: true,
      checking: false,
    });
    expect(socketsOpened).toBe(tried + 1);
  });

  it('with the token kept across the restart, reconnects by itself and calls work again', async () => {
    const token = randomToken();
    const first = await serve(token);
    const link = connect(first, token);
    await until(link, (s) => s.status === 'connected' && s.generation === 1, 'connected');

    await stop(first);
    await until(link, (s) => s.status === 'reconnecting', 'reconnecting');
    await serve(token, first.port);
    await until(link, (s) => s.status === 'connected' && s.generation === 2, 'connected again');
    expect(await call(link)).toMatchObject({ ok: true });
  });

  it('refused, then the host goes away: back to reconnecting, and in once a host with its token is back', async () => {
    const token = randomToken();
    const first = await serve(token);
    const link = connect(first, token);
    await until(link, (s) => s.status === 'connected', 'connected');
    await stop(first);
    const stranger = await serve(randomToken(), first.port);
    await until(link, (s) => s.status === 'refused', 'refused');

    await stop(stranger);
    link.link.retryNow();
    await until(link, (s) => s.status === 'reconnecting', 'reconnecting (the host is down now)');
    await serve(token, first.port);
    await until(link, (s) => s.status === 'connected', 'connected');
  });
});
