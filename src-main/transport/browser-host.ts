import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Dispatcher } from './dispatcher';

export interface BrowserHostOptions {
  dispatcher: Pick<Dispatcher, 'openSession'>;
  /** Folder of the built renderer (index.html and assets). */
  rendererDir: string;
  port?: number;
  /** Folder of finished exports, offered as downloads under /downloads/<file>. */
  downloadsDir?: string;
  /** Fixed token for tests; random otherwise. */
  token?: string;
  log?: (message: string) => void;
}

export interface BrowserHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const COOKIE = 'chronoscope_token';
const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
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
 */
export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let port = 0;

  const server: Server = createServer((request, response) => {
    const verdict = authorize(request, port, token);
    if (verdict !== 'ok') return reject(response, verdict);
    const download = downloadOf(request, options.downloadsDir);
    const served = download ? serveDownload(response, download) : serveStatic(request, response, rendererDir, port, token);
    served.catch(() => {
      if (!response.headersSent) reject(response, 500);
      else response.destroy();
    });
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const verdict = authorize(request, port, token);
    if (verdict !== 'ok' || new URL(request.url ?? '/', 'http://x').pathname !== '/ws') {
      socket.end(`HTTP/1.1 ${verdict === 'ok' ? 404 : verdict} ${verdict === 401 ? 'Unauthorized' : verdict === 403 ? 'Forbidden' : 'Not Found'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => attach(ws, options.dispatcher));
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

function attach(ws: WebSocket, dispatcher: Pick<Dispatcher, 'openSession'>): void {
  const session = dispatcher.openSession((message) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  });
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return;
    try {
      session.receive(JSON.parse(raw.toString()));
    } catch {
      ws.close(1003, 'messages must be JSON');
    }
  });
  ws.on('close', () => session.close());
  ws.on('error', () => session.close());
}

type Verdict = 'ok' | 401 | 403;

export function authorize(request: IncomingMessage, port: number, token: string): Verdict {
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  if (!allowedHosts.includes(request.headers.host ?? '')) return 403;
  const origin = request.headers.origin;
  if (origin !== undefined && !allowedHosts.map((h) => `http://${h}`).includes(origin)) return 403;
  const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
  const presented = url.searchParams.get('token') ?? readCookie(request.headers.cookie, COOKIE);
  return presented && sameSecret(presented, token) ? 'ok' : 401;
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

function reject(response: ServerResponse, status: 401 | 403 | 404 | 405 | 500): void {
  const text = { 401: 'Unauthorized: open the URL printed by `bun run serve` (it carries the token).', 403: 'Forbidden: wrong Host or Origin.', 404: 'Not found.', 405: 'Method not allowed.', 500: 'Internal error.' }[status];
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  response.end(text);
}

const DOWNLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/;

function downloadOf(request: IncomingMessage, downloadsDir: string | undefined): string | undefined {
  if (!downloadsDir || request.method !== 'GET') return undefined;
  const match = /^\/downloads\/([^/?#]+)/.exec(request.url ?? '');
  const name = match?.[1] ? decodeURIComponent(match[1]) : undefined;
  // Only plain names from the exports folder: no paths, no dot-files, no partial exports.
  return name && DOWNLOAD_NAME.test(name) && !name.endsWith('.part') ? join(resolve(downloadsDir), name) : undefined;
}

async function serveDownload(response: ServerResponse, file: string): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return reject(response, 404);
  response.writeHead(200, {
    'content-type': file.endsWith('.csv') ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
    'content-length': String(info.size),
    'content-disposition': `attachment; filename="${file.split(sep).pop()}"`,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  createReadStream(file).pipe(response);
}

async function serveStatic(request: IncomingMessage, response: ServerResponse, root: string, port: number, token: string): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return reject(response, 405);
  const url = new URL(request.url ?? '/', 'http://x');
  const relative = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
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
    headers['set-cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
  }
  response.writeHead(200, headers);
  if (request.method === 'HEAD') return void response.end();
  createReadStream(file).pipe(response);
}
