import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { EXPORT_FILE_NAME } from '../../src-shared/schemas/exports';
import { isClientMessage, SESSION_CHECK_PATH } from '../../src-shared/wire';
import type { Dispatcher, SessionOptions } from '../engine/dispatch/dispatcher';
import { SOCKET_FLOW, socketFlow, type FlowLimits } from './socket-flow';

export interface BrowserHostOptions {
  dispatcher: Pick<Dispatcher, 'openSession'>;
  /** Folder of the built renderer (index.html and assets). */
  rendererDir: string;
  port?: number;
  /** Folder of finished exports, offered as downloads under /downloads/<file>. */
  downloadsDir?: string;
  /** The token to accept (serve's token file or CHRONOSCOPE_TOKEN, or a test's); random otherwise. */
  token?: string;
  log?: (message: string) => void;
  /** Back-pressure marks; SOCKET_FLOW unless a test sets smaller ones. */
  flow?: FlowLimits;
  /** Largest answer sent (tests); MAX_ANSWER_BYTES otherwise. */
  maxAnswerBytes?: number;
}

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Cookies ignore ports: one name per port keeps two instances on this machine apart. */
export const tokenCookieName = (port: number): string => `chronoscope_token_${port}`;
/** Twelve hours: a working day in one tab; after that, the printed URL again. */
const COOKIE_MAX_AGE_SECONDS = 12 * 60 * 60;
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/**
 * Open sockets per client address. Every tab keeps one; each may run 16 calls and 16
 * streams and hold its unread answers, so a loop opening sockets would multiply all of
 * that. The token is one per server and every peer is on loopback, so in practice this
 * bounds the tabs of this machine: far more than anyone keeps open on one console.
 */
export const MAX_SOCKETS_PER_CLIENT = 8;
/** "Try again later": the refused tab reconnects on its own once another one closes. */
export const TOO_MANY_SOCKETS_CODE = 1013;
export const TOO_MANY_SOCKETS_REASON = `${MAX_SOCKETS_PER_CLIENT} Chronoscope tabs are already connected: close one, then reload this tab.`;
/** Operations whose over-cap result is saved for download instead of lost: states and their comparisons. */
const DOWNLOADABLE_ANSWER = /^timeTravel\./;
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * Browser mode: the built renderer and the operation contract over WebSocket,
 * on 127.0.0.1 only. Every request must carry the session token (URL or cookie),
 * a Host naming this loopback port (defeats DNS rebinding) and, when present,
 * an Origin of this server (defeats cross-site pages): 401/403 otherwise.
 * Malformed input of any kind is answered (400) or the socket closed; nothing
 * a peer sends may throw out of a handler and end the process.
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let port = 0;

  const log = options.log ?? (() => undefined);
  const socketsPerClient = new Map<string, number>();
  const sessionOptions: SessionOptions = {
    ...(options.maxAnswerBytes ? { maxAnswerBytes: options.maxAnswerBytes } : {}),
    ...(options.downloadsDir ? { keepOversized: keepForDownload(options.downloadsDir) } : {}),
  };

  /** Counts the socket against its client's limit; refuses it (closed with a reason) past the limit. */
  function admit(ws: WebSocket, client: string): boolean {
    const open = socketsPerClient.get(client) ?? 0;
    if (open >= MAX_SOCKETS_PER_CLIENT) {
      ws.close(TOO_MANY_SOCKETS_CODE, TOO_MANY_SOCKETS_REASON);
      return false;
    }
    socketsPerClient.set(client, open + 1);
    ws.once('close', () => {
      const left = (socketsPerClient.get(client) ?? 1) - 1;
      if (left > 0) socketsPerClient.set(client, left);
      else socketsPerClient.delete(client);
    });
    return true;
  }

  const server: Server = createServer((request, response) => {
    response.on('error', () => response.destroy());
    try {
      const verdict = authorize(request, port, token);
      if (verdict !== 'ok') return reject(response, verdict);
      const target = requestTarget(request, port)!;
      // A tab whose WebSocket will not open asks here whether its token still counts (204) or not (401).
      if (target.pathname === SESSION_CHECK_PATH) return void response.writeHead(204, { 'cache-control': 'no-store' }).end();
      const download = downloadOf(request, target, options.downloadsDir);
      if (download === 'bad') return reject(response, 400);
      const served = download ? serveDownload(response, download) : serveStatic(request, response, target, rendererDir, port, token);
      served.catch((err: unknown) => fail(response, err, log));
    } catch (err) {
      fail(response, err, log);
    }
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node drops its own error listener from upgraded sockets: a peer reset must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    try {
      const verdict = authorize(request, port, token);
      const status = verdict !== 'ok' ? verdict : requestTarget(request, port)?.pathname !== '/ws' ? 404 : undefined;
      if (status) {
        socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      const client = request.socket.remoteAddress ?? 'unknown';
      sockets.handleUpgrade(request, socket, head, (ws) => {
        if (admit(ws, client)) attach(ws, options.dispatcher, sessionOptions, options.flow ?? SOCKET_FLOW, log);
      });
    } catch (err) {
      log(`browser host: upgrade failed: ${err instanceof Error ? err.message : String(err)}`);
      socket.destroy();
    }
  });

  await new Promise<void>((resolvePromise, rejectPromise) => {
    server.once('error', rejectPromise);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolvePromise());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/?token=${token}`;

  return {
    url,
    port,
    token,
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

function attach(
  ws: WebSocket,
  dispatcher: Pick<Dispatcher, 'openSession'>,
  sessionOptions: SessionOptions,
  limits: FlowLimits,
  log: (message: string) => void,
): void {
  const session = dispatcher.openSession((_message, json) => flow.send(json), sessionOptions);
  const flow = socketFlow(
    ws,
    (message) => {
      try {
        session.receive(message);
      } catch (err) {
        log(`browser host: message failed: ${err instanceof Error ? err.message : String(err)}`);
        ws.close(1011, 'internal error');
      }
    },
    limits,
    log,
  );
  ws.on('message', (raw, isBinary) => {
    const message = isBinary ? undefined : parseMessage(raw);
    if (message === undefined) return ws.close(1003, 'messages must be JSON text');
    if (!isClientMessage(message)) return ws.close(1008, 'not a Chronoscope message');
    flow.receive(message);
  });
  const end = () => {
    flow.stop();
    session.close();
  };
  // Invalid UTF-8 (1007) and oversized frames (1009) are closed by ws itself and reported here.
  ws.on('close', end);
  ws.on('error', end);
}

/** Saves an over-cap state (or comparison) in the downloads folder and says where to fetch it. */
function keepForDownload(downloadsDir: string): NonNullable<SessionOptions['keepOversized']> {
  return async (op, data) => {
    if (!DOWNLOADABLE_ANSWER.test(op)) return undefined;
    const name = `${op.replace(/\W+/g, '-')}-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.json`;
    await writeFile(join(resolve(downloadsDir), name), JSON.stringify(data));
    return `It was saved as a file instead: download it from /downloads/${name}.`;
  };
}

function parseMessage(raw: RawData): unknown {
  try {
    return JSON.parse(Buffer.isBuffer(raw) ? raw.toString('utf8') : Buffer.concat(Array.isArray(raw) ? raw : [Buffer.from(raw)]).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

type Verdict = 'ok' | 400 | 401 | 403;

/** The request target as a URL, or undefined when it cannot be parsed (`http://[/`). */
function requestTarget(request: IncomingMessage, port: number): URL | undefined {
  try {
    return new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
  } catch {
    return undefined;
  }
}

export function authorize(request: IncomingMessage, port: number, token: string): Verdict {
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!allowedHosts.includes(request.headers.host ?? '')) return 403;
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedHosts.map((h) => `http://${h}`).includes(origin)) return 403;
  const url = requestTarget(request, port);
  if (!url) return 400;
  // An absolute-form target (`GET http://other/ HTTP/1.1`) names its host too; it must be this server as well.
  if (!allowedHosts.includes(url.host)) return 403;
  // Either one may be current: a tab keeps the token it was opened with, while opening the new URL
  // after a restart (in any tab) renews the cookie, and that lets the older tab back in.
  const presented = [url.searchParams.get('token'), readCookie(request.headers.cookie, tokenCookieName(port))];
  return presented.some((candidate) => candidate && sameSecret(candidate, token)) ? 'ok' : 401;
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

type Status = 400 | 401 | 403 | 404 | 405 | 500;
const STATUS_TEXT: Record<Status, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  500: 'Internal Server Error',
};

function reject(response: ServerResponse, status: Status): void {
  const text = {
    400: 'Bad request: the address could not be read. Open the URL printed by `bun run serve`.',
    401: 'Unauthorized: this address carries no valid token. Open the URL on the "Open:" line printed by `bun run serve`; after a restart, its new one.',
    403: 'Forbidden: wrong Host or Origin.',
    404: 'Not found.',
    405: 'Method not allowed.',
    500: 'Internal error.',
  }[status];
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
}

function fail(response: ServerResponse, err: unknown, log: (message: string) => void): void {
  log(`browser host: request failed: ${err instanceof Error ? err.message : String(err)}`);
  if (!response.headersSent) reject(response, 500);
  else response.destroy();
}

/** A percent-decoded path segment, or undefined for broken escapes (`%E0%A4%A`) and NUL. */
function decodePath(encoded: string): string | undefined {
  try {
    const decoded = decodeURIComponent(encoded);
    return decoded.includes('\0') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/** Sends a file; a read failure midway ends the response instead of throwing. */
function sendFile(response: ServerResponse, file: string): void {
  pipeline(createReadStream(file), response, () => undefined);
}

function downloadOf(request: IncomingMessage, target: URL, downloadsDir: string | undefined): string | 'bad' | undefined {
  if (!downloadsDir || request.method !== 'GET') return undefined;
  const match = /^\/downloads\/([^/]+)/.exec(target.pathname);
  if (!match?.[1]) return undefined;
  const name = decodePath(match[1]);
  if (name === undefined) return 'bad';
  // Only plain names from the exports folder: no paths, no dot-files, no partial exports.
  return EXPORT_FILE_NAME.test(name) && !name.endsWith('.part') ? join(resolve(downloadsDir), name) : undefined;
}

/** Downloads are always attachments (never rendered here), typed so the browser names and opens them right. */
const DOWNLOAD_TYPES: Record<string, string> = {
  '.csv': 'text/csv; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.ndjson': 'application/x-ndjson; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
};

async function serveDownload(response: ServerResponse, file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return reject(response, 404);
  response.writeHead(200, {
    'content-type': DOWNLOAD_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': String(info.size),
    'content-disposition': `attachment; filename="${file.split(sep).pop()}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  sendFile(response, file);
}

async function serveStatic(request: IncomingMessage, response: ServerResponse, target: URL, root: string, port: number, token: string): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return reject(response, 405);
  const path = decodePath(target.pathname);
  if (path === undefined) return reject(response, 400);
  const relative = normalize(path).replace(/^([/\\])+/, '');
  let file = join(root, relative || 'index.html');
  if (!file.startsWith(root + sep) && file !== root) return reject(response, 404);
  let info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) {
    file = join(file, 'index.html');
    info = await stat(file).catch(() => undefined);
  }
  if (!info?.isFile()) return reject(response, 404);
  const headers: Record<string, string> = {
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': String(info.size),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
  if (extname(file) === '.html') {
    headers['content-security-policy'] = [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
    // The cookie lets assets and reloads through without the token in every URL.
    headers['set-cookie'] = `${tokenCookieName(port)}=${token}; Max-Age=${COOKIE_MAX_AGE_SECONDS}; HttpOnly; SameSite=Strict; Path=/`;
  }
  response.writeHead(200, headers);
  if (request.method === 'HEAD') return void response.end();
  sendFile(response, file);
}
