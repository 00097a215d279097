import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Engine } from '../../src-main/engine/engine';
import { registerIpcHost } from '../../src-main/electron/ipc-host';
import { IPC_CALL, IPC_MESSAGE } from '../../src-main/electron/electron-types';
import { CLASSIC_EVENTS_DDL } from '../../src-main/stores/postgres/classic-schema';
import { startBrowserHost, type BrowserHost } from '../../src-main/transport/browser-host';
import type { Dispatcher } from '../../src-main/engine/dispatch/dispatcher';
import type { ServerMessage } from '../../src-shared/wire';
import { createTestEngine, engineCaller, postgresConnection } from '../integration/engine-support';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';

/**
 * Big answers to peers that do not read them (issue 20, item 10): 16 calls each
 * answered with a 16 MB state once took a browser-mode server from 405 MB to
 * 1,239 MB. The host runs in this process, so its memory is this process's.
 */

const MB = 1024 * 1024;

/** A user definition whose state, after any deposit, is one string of `megabytes` MB. */
const blobDefinition = (name: string, megabytes: number) => `
definition = {
  name: '${name}',
  appliesTo: { categories: ['Account'] },
  init: () => ({ blob: '' }),
  handlers: { MoneyDeposited() { return { blob: 'x'.repeat(${megabytes} * 1024 * 1024) }; } },
};
`;

// A real collection before each reading, so the figures are what is still held, not garbage.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
/** `held`: what this process's main heap and its buffers still hold (unsent frames are strings or buffers); `rss` also counts sandbox workers. */
async function memory(): Promise<{ rss: number; held: number }> {
  // Twice, a turn apart: what the first collection only unlinks (weakly held, finalized) goes in the second.
  collectGarbage();
  await sleep(100);
  collectGarbage();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, held: heapUsed + external };
}
const inMb = (bytes: number) => Math.round(bytes / MB);

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function openSocket(host: BrowserHost): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { headers: { origin: `http://127.0.0.1:${host.port}` }, maxPayload: 64 * MB });
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('close', (code, reason) => reject(new Error(`closed ${code} ${String(reason)}`)));
  });
}

function download(host: BrowserHost, path: string): Promise<{ status: number; type: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path: `${path}?token=${host.token}`, headers: { host: `127.0.0.1:${host.port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('big answers to slow readers', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  /** Calls whose result the real dispatcher has handed to the host (ids only: keeping the answers would hold them). */
  let handedToHost: Set<string>;
  const logged: string[] = [];
  const hosts: BrowserHost[] = [];

  /** A browser-mode host on the engine's dispatcher, counting the results it is given. */
  async function startHost(): Promise<BrowserHost> {
    const dispatcher: Pick<Dispatcher, 'openSession'> = {
      openSession: (send, options) =>
        engine.dispatcher.openSession((message, json) => {
          if (message.t === 'result') handedToHost.add(message.id);
          send(message, json);
        }, options),
    };
    const host = await startBrowserHost({
      dispatcher,
      rendererDir: await mkdtemp(join(tmpdir(), 'chrono-bigans-renderer-')),
      downloadsDir: engine.exportsDir,
      log: (line) => logged.push(line),
    });
    hosts.push(host);
    return host;
  }

  const stateCall = (id: string, definition: string) =>
    JSON.stringify({ t: 'call', id, op: 'timeTravel.state', input: { connectionId, streamId: 'account-1', target: { version: 2 }, definition } });

  beforeAll(async () => {
    db = await createTestDatabase('bigans');
    await db.pool.query(CLASSIC_EVENTS_DDL);
    for (const [type, version, data] of [
      ['AccountOpened', 1, { ownerId: 'o-1' }],
      ['MoneyDeposited', 2, { amountCents: 100 }],
    ] as const) {
      await db.pool.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES ($1, 'account-1', 'Account', $2, $3, $4)`,
        [randomUUID(), type, version, data],
      );
    }
    engine = await createTestEngine('bigans');
    const call = engineCaller(() => engine);
    connectionId = (await call('connections.add', postgresConnection('Big answers', db.url))).id;
    await call('stores.configure', { connectionId, preset: 'classic' });
    const folder = await mkdtemp(join(tmpdir(), 'chrono-bigans-defs-'));
    await writeFile(join(folder, 'huge.js'), blobDefinition('huge', 16));
    await writeFile(join(folder, 'large.js'), blobDefinition('large', 6));
    const looked = await call('timeTravel.setDefinitionsFolder', { path: folder });
    await call('timeTravel.setDefinitionsFolder', { path: folder, listingHash: looked.listing.listingHash });
    await mkdir(engine.exportsDir, { recursive: true });
  }, 180_000);

  afterAll(async () => {
    for (const host of hosts) await host.close();
    await engine?.dispose();
    await db?.drop();
  });

  it('refuses a 16 MB state to a socket that never reads, offers it as a download, and holds no answer in memory', async () => {
    handedToHost = new Set();
    const host = await startHost();
    const ws = await openSocket(host);
    ws.pause(); // this client never reads: its kernel buffer fills and the server's sends queue up
    const before = await memory();
    const ids = Array.from({ length: 16 }, (_, i) => `huge-${i}`);
    for (const id of ids) ws.send(stateCall(id, 'user:huge'));
    await until(() => ids.every((id) => handedToHost.has(id)), 50_000, '16 answers');
    const after = await memory();
    console.log(
      `16 x 16 MB states to a non-reading socket: held ${inMb(before.held)} -> ${inMb(after.held)} MB, rss ${inMb(before.rss)} -> ${inMb(after.rss)} MB`,
    );
    // The old host held all 16 answers as unsent frames: 256 MB and more.
    expect(after.held - before.held).toBeLessThan(16 * MB);

    const answers = new Map<string, Extract<ServerMessage, { t: 'result' }>>();
    ws.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as ServerMessage;
      if (message.t === 'result') answers.set(message.id, message);
    });
    ws.resume();
    await until(() => answers.size === ids.length, 30_000, 'the client to read the 16 answers');
    const message = (answers.get('huge-0') as { error?: { message: string } }).error?.message ?? '';
    expect(answers.get('huge-0')).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(message).toMatch(
      /^The answer to timeTravel\.state is 16\.0 MB, more than the 8\.0 MB one answer may carry\. It was saved as a file instead: download it from \/downloads\/timeTravel-state-[\w-]+\.json\.$/,
    );
    const saved = await download(host, /(\/downloads\/\S+)\.$/.exec(message)![1]!);
    expect(saved.status).toBe(200);
    expect(saved.type).toMatch(/^application\/json/);
    expect((JSON.parse(saved.body) as { state: { blob: string } }).state.blob).toHaveLength(16 * MB);
    ws.terminate();
  });

  it('holds the new calls of a socket that stops reading, and closes it once its unread answers stay over the ceiling', async () => {
    handedToHost = new Set();
    logged.length = 0;
    const host = await startHost();
    const ws = await openSocket(host);
    const closed = new Promise<number>((done) => ws.once('close', (code) => done(code)));
    ws.pause();
    const before = await memory();
    const first = Array.from({ length: 16 }, (_, i) => `large-${i}`);
    for (const id of first) ws.send(stateCall(id, 'user:large'));
    await until(() => first.every((id) => handedToHost.has(id)), 50_000, '16 answers of 6 MB');
    const peak = await memory();

    // 96 MB wait unread: the next 16 calls must wait too, not add 96 MB more.
    const second = Array.from({ length: 16 }, (_, i) => `later-${i}`);
    for (const id of second) ws.send(stateCall(id, 'user:large'));
    await sleep(3000);
    const held = await memory();
    expect(second.filter((id) => handedToHost.has(id))).toEqual([]);

    // Over the 32 MB ceiling for 10 s: closed, and what it pinned is let go.
    await until(() => logged.some((line) => line.includes('closed a socket that left')), 20_000, 'the server to give up on the socket');
    await sleep(1500); // the closing handshake cannot pass the unread bytes: the socket is cut a second later
    const released = await memory();
    ws.resume(); // only a reading client notices that its socket is gone
    expect(await Promise.race([closed, sleep(20_000).then(() => 'still open')])).not.toBe('still open');
    console.log(
      `16 x 6 MB states to a non-reading socket: held ${inMb(before.held)} -> ${inMb(peak.held)} MB, after 16 more calls ${inMb(held.held)} MB, after the close ${inMb(released.held)} MB; rss ${inMb(before.rss)} -> ${inMb(peak.rss)} -> ${inMb(held.rss)} -> ${inMb(released.rss)} MB`,
    );
    expect(held.held - peak.held).toBeLessThan(16 * MB);
    expect(released.held - before.held).toBeLessThan(16 * MB);
    expect(logged.some((line) => /closed a socket that left [\d.]+ MB of answers unread for 10000 ms/.test(line))).toBe(true);
  });

  it('answers the held calls once the client reads again', async () => {
    handedToHost = new Set();
    const host = await startHost();
    const ws = await openSocket(host);
    const answers = new Map<string, { ok: boolean; data?: { state: { blob: string } } }>();
    ws.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as ServerMessage;
      if (message.t === 'result') answers.set(message.id, message as never);
    });
    ws.pause();
    // 30 MB unread: past the high-water mark, under the ceiling that would close the socket.
    const first = Array.from({ length: 5 }, (_, i) => `first-${i}`);
    for (const id of first) ws.send(stateCall(id, 'user:large'));
    await until(() => first.every((id) => handedToHost.has(id)), 30_000, '5 answers');
    ws.send(stateCall('waiting', 'user:large'));
    await sleep(1000);
    expect(handedToHost.has('waiting')).toBe(false);

    ws.resume();
    await until(() => answers.size === 6, 30_000, 'all 6 answers, the held call among them');
    for (const [id, answer] of answers) expect(answer.ok && answer.data?.state.blob.length, id).toBe(6 * MB);
    ws.terminate();
  });

  it('refuses a ninth socket from the same client with a close reason, and admits one again when another closes', async () => {
    const host = await startHost();
    const open = await Promise.all(Array.from({ length: 8 }, () => openSocket(host)));
    const ninth = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${host.token}`, { headers: { origin: `http://127.0.0.1:${host.port}` } });
    ninth.on('error', () => undefined);
    const [code, reason] = await new Promise<[number, string]>((done) => {
      ninth.once('close', (c, r) => done([c, String(r)]));
      setTimeout(() => done([ninth.readyState, 'still open after 5 s']), 5000);
    });
    expect(code).toBe(1013);
    expect(reason).toBe('8 Chronoscope tabs are already connected: close one, then reload this tab.');

    const gone = new Promise((done) => open[0]!.once('close', done));
    open[0]!.close();
    await gone;
    // The server counts the socket out when its side has closed too: a moment after the client's.
    let admitted: WebSocket | undefined;
    for (let attempt = 0; !admitted && attempt < 50; attempt++) admitted = await openSocket(host).catch(() => sleep(100).then(() => undefined));
    if (!admitted) throw new Error('no socket was admitted after one closed');
    const again = admitted;
    // Admitted sockets still work: an unknown operation is answered, not refused.
    const answer = new Promise<ServerMessage>((done) => again.once('message', (raw) => done(JSON.parse(String(raw)) as ServerMessage)));
    again.send(JSON.stringify({ t: 'call', id: 'x', op: 'no.such.operation', input: {} }));
    expect(await answer).toMatchObject({ t: 'result', id: 'x', ok: false, error: { code: 'unknown_operation' } });
    for (const ws of [...open.slice(1), again]) ws.terminate();
  });

  it('refuses an over-cap state in the desktop app too, with a sentence saying to narrow the request', async () => {
    const ipcMain = new EventEmitter();
    const received: ServerMessage[] = [];
    const sender = Object.assign(new EventEmitter(), {
      id: 1,
      isDestroyed: () => false,
      send: (channel: string, message: ServerMessage) => channel === IPC_MESSAGE && received.push(message),
    });
    const stop = registerIpcHost(ipcMain as never, engine.dispatcher, () => true);
    try {
      ipcMain.emit(IPC_CALL, { sender, senderFrame: { url: 'file:///renderer/index.html' } }, JSON.parse(stateCall('desk-1', 'user:huge')) as unknown);
      await until(() => received.some((m) => m.t === 'result'), 30_000, 'the answer');
      expect(received.find((m) => m.t === 'result')).toEqual({
        t: 'result',
        id: 'desk-1',
        ok: false,
        error: {
          code: 'unavailable',
          message:
            'The answer to timeTravel.state is 16.0 MB, more than the 8.0 MB one answer may carry: narrow the request (an earlier version, a shorter range, fewer steps or items) and try again.',
          details: { bytes: expect.any(Number), limit: 8 * MB },
        },
      });
    } finally {
      stop();
    }
  });
});
