import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

/**
 * Browser mode must survive whatever arrives on its port: every malformed
 * request gets a 4xx, every bad WebSocket frame an error or a close, and the
 * next honest request is still answered. The host runs in a process of its
 * own, as `serve` does, so a throw out of a handler shows as a dead process.
 */

const REPO = resolve(import.meta.dirname, '../../..');

/** Writes raw bytes on a fresh TCP connection; resolves with the status line of the answer ('' if the connection closed without one). */
function rawStatus(port: number, bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const finish = () => {
      socket.destroy();
      resolve(received.split('\r\n')[0] ?? '');
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n')) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? finish() : reject(err)));
    socket.write(bytes);
  });
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(port: number, token: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { headers: { origin: `http://127.0.0.1:${port}` } });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

type Outcome = { closed: number } | { message: Record<string, unknown> };

/** What the server does after one frame: answers with a message or closes the socket. */
function nextOutcome(ws: WebSocket): Promise<Outcome> {
  return new Promise((resolve) => {
    ws.once('message', (raw) => resolve({ message: JSON.parse(String(raw)) as Record<string, unknown> }));
    ws.once('close', (code) => resolve({ closed: code }));
    ws.on('error', () => undefined);
  });
}

describe('browser mode host robustness', () => {
  let child: ChildProcess;
  let dataDir: string;
  let host: { port: number; token: string; exportsDir: string };
  let exit: Promise<string>;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'chrono-robust-'));
    await mkdir(join(dataDir, 'renderer'));
    await writeFile(join(dataDir, 'renderer', 'index.html'), '<!doctype html><title>Chronoscope</title>');
    child = spawn(join(REPO, 'node_modules/.bin/tsx'), [join(REPO, 'test/integration/engine/fixtures/browser-host-process.ts'), dataDir], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
    exit = new Promise((done) => child.once('exit', (code, signal) => done(`host process exited (code ${code}, signal ${signal}): ${stderr.slice(-2000)}`)));
    const firstLine = new Promise<string>((done) => createInterface({ input: child.stdout! }).once('line', done));
    host = JSON.parse(await Promise.race([firstLine, exit.then((why) => Promise.reject(new Error(why)))])) as typeof host;
    await writeFile(join(host.exportsDir, 'feed.ndjson'), '{"type":"X"}\n');
  });
  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exit;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The honest request that must keep working after every attack. */
  async function stillServing(after: string): Promise<void> {
    const status = await get(host.port, `/?token=${host.token}`).catch((err: Error) => err.message);
    if (status !== 200) throw new Error(`After "${after}" the host no longer serves (${status}). ${child.exitCode !== null ? await exit : ''}`);
  }

  const requestLines = (): Array<[string, string]> => {
    const h = `127.0.0.1:${host.port}`;
    const t = host.token;
    return [
      ['bracket URL without token', `GET http://[/ HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['bracket URL with token', `GET http://[/?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['absolute-form URL', `GET http://${h}/?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['absolute-form URL, foreign host', `GET http://evil.example/?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['absolute-form URL, bad port', `GET http://127.0.0.1:99999/ HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['truncated percent sequence', `GET /%E0%A4%A?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['lone percent', `GET /%?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['percent in the token', `GET /?token=%ZZ HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['bad download name', `GET /downloads/%E0%A4%A?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['bad download name without token', `GET /downloads/%E0%A4%A HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['download of a lone percent', `GET /downloads/%?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['download of an encoded NUL', `GET /downloads/feed%00.ndjson?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['encoded NUL in a path', `GET /index.html%00?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['raw NUL in the request line', `GET /\0?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['overlong URL', `GET /${'a'.repeat(100_000)}?token=${t} HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['not HTTP at all', 'HELLO\r\n\r\n'],
      ['header without a colon', `GET /?token=${t} HTTP/1.1\r\nHost: ${h}\r\nbroken header\r\n\r\n`],
      ['NUL in a header value', `GET /?token=${t} HTTP/1.1\r\nHost: ${h}\r\nX-Test: a\0b\r\n\r\n`],
      ['missing Host', `GET /?token=${t} HTTP/1.1\r\n\r\n`],
      ['HTTP/1.0 without Host', `GET /?token=${t} HTTP/1.0\r\n\r\n`],
      ['bracket Host', `GET /?token=${t} HTTP/1.1\r\nHost: [\r\n\r\n`],
      ['empty Host', `GET /?token=${t} HTTP/1.1\r\nHost:\r\n\r\n`],
      ['two Hosts', `GET /?token=${t} HTTP/1.1\r\nHost: evil.example\r\nHost: ${h}\r\n\r\n`],
      ['bad Origin', `GET /?token=${t} HTTP/1.1\r\nHost: ${h}\r\nOrigin: http://[\r\n\r\n`],
      ['cookie of percents', `GET / HTTP/1.1\r\nHost: ${h}\r\nCookie: chronoscope_token_${host.port}=%E0%A4%A; =; ;;=x\r\n\r\n`],
      ['cookie without a value', `GET / HTTP/1.1\r\nHost: ${h}\r\nCookie: chronoscope_token_${host.port}\r\n\r\n`],
      ['huge cookie', `GET / HTTP/1.1\r\nHost: ${h}\r\nCookie: chronoscope_token_${host.port}=${'x'.repeat(60_000)}\r\n\r\n`],
      ['unknown method', `BREW / HTTP/1.1\r\nHost: ${h}\r\n\r\n`],
      ['POST with a body', `POST /?token=${t} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 3\r\n\r\nabc`],
      ['bad Content-Length', `POST /?token=${t} HTTP/1.1\r\nHost: ${h}\r\nContent-Length: -1\r\n\r\n`],
      [
        'upgrade with bracket URL',
        `GET http://[/ HTTP/1.1\r\nHost: ${h}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ],
      [
        'upgrade with percent URL',
        `GET /ws%?token=${t} HTTP/1.1\r\nHost: ${h}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ],
      [
        'upgrade with a bad key',
        `GET /ws?token=${t} HTTP/1.1\r\nHost: ${h}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n`,
      ],
      ['upgrade without a key', `GET /ws?token=${t} HTTP/1.1\r\nHost: ${h}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n`],
      [
        'upgrade with a bad version',
        `GET /ws?token=${t} HTTP/1.1\r\nHost: ${h}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 99\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ],
      ['upgrade to something else', `GET /ws?token=${t} HTTP/1.1\r\nHost: ${h}\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n`],
      [
        'upgrade without token',
        `GET /ws HTTP/1.1\r\nHost: ${h}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
      ],
    ];
  };

  it('answers every malformed request with a 4xx (or a plain 200 for legal absolute-form) and keeps serving', async () => {
    const answers: Record<string, string> = {};
    for (const [name, bytes] of requestLines()) {
      answers[name] = await rawStatus(host.port, bytes);
      await stillServing(name);
    }
    for (const [name, status] of Object.entries(answers)) {
      const legal = name === 'absolute-form URL';
      expect(status, name).toMatch(legal ? /^HTTP\/1\.1 200 / : /^HTTP\/1\.1 4\d\d /);
    }
  });

  it('answers 400 to bad percent sequences and unparsable URLs that carry the token', async () => {
    const h = `127.0.0.1:${host.port}`;
    for (const target of [
      `http://[/?token=${host.token}`,
      `/downloads/%E0%A4%A?token=${host.token}`,
      `/%E0%A4%A?token=${host.token}`,
      `/downloads/%?token=${host.token}`,
    ]) {
      expect(await rawStatus(host.port, `GET ${target} HTTP/1.1\r\nHost: ${h}\r\n\r\n`), target).toMatch(/^HTTP\/1\.1 400 /);
      await stillServing(target);
    }
  });

  it('closes a WebSocket on frames that are not Chronoscope messages, and keeps serving others', async () => {
    const frames: Array<[string, (ws: WebSocket) => void, number]> = [
      ['invalid JSON', (ws) => ws.send('{"t":'), 1003],
      ['binary frame', (ws) => ws.send(Buffer.from([1, 2, 3]), { binary: true }), 1003],
      ['invalid UTF-8', (ws) => ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false }), 1007],
      ['JSON that is not a message', (ws) => ws.send('[1,2,3]'), 1008],
      ['message of the wrong shape', (ws) => ws.send(JSON.stringify({ t: 'call', id: 42, op: null })), 1008],
      ['null', (ws) => ws.send('null'), 1008],
      ['deep nesting', (ws) => ws.send('['.repeat(200_000)), 1003],
      ['huge frame', (ws) => ws.send('x'.repeat(11 * 1024 * 1024)), 1009],
    ];
    const outcomes: Record<string, Outcome> = {};
    for (const [name, send, _code] of frames) {
      const ws = await openSocket(host.port, host.token);
      const outcome = nextOutcome(ws);
      send(ws);
      outcomes[name] = await outcome;
      ws.terminate();
      await stillServing(name);
    }
    for (const [name, , code] of frames) expect(outcomes[name], name).toEqual({ closed: code });

    // An unknown operation with a well-formed message is an error answer, not a close.
    const ws = await openSocket(host.port, host.token);
    const outcome = nextOutcome(ws);
    ws.send(JSON.stringify({ t: 'call', id: 'x1', op: 'no.such.operation', input: { '\u0000': 1 } }));
    expect(await outcome).toMatchObject({ message: { t: 'result', id: 'x1', ok: false, error: { code: 'unknown_operation' } } });
    ws.close();
  });
});
