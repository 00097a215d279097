import type { Transport } from '../../../src-shared/client';
import type { ErrorPayload } from '../../../src-shared/errors';
import type { ClientMessage, ServerMessage } from '../../../src-shared/wire';
import { createLinkStore, type LinkMonitor } from './link-state';

export interface WebSocketTransportOptions {
  url: string;
  initialDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Asked when a socket fails to open: true when the host answered but refused our token
   * (it restarted with a new one). The browser hides the handshake's status, hence a question of its own.
   */
  isTokenRefused?: () => Promise<boolean>;
}

export interface WebSocketConnection {
  transport: Transport;
  link: LinkMonitor;
  close(): void;
}

/**
 * Browser mode's transport: one WebSocket to the host, reopened with
 * exponential backoff while the host cannot be reached. A host that answers but
 * refuses the token is not retried: only the operator can fix that (open the new
 * URL), so the link waits for their retryNow(). Calls made while the socket is
 * opening wait for it; calls made while it is down, and calls still running when
 * it drops, end at once with an `unavailable` error instead of hanging.
 */
export function connectWebSocket(options: WebSocketTransportOptions): WebSocketConnection {
  const initialDelayMs = options.initialDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 10_000;
  const link = createLinkStore({ status: 'connecting', attempt: 1 });
  const listeners = new Set<(message: ServerMessage) => void>();
  const inFlight = new Set<string>();
  let waiting: ClientMessage[] = [];
  let socket: WebSocket | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failedAttempts = 0;
  let generation = 0;
  let closedByUs = false;
  /** Set while the host refuses our token: no timer runs, only retryNow() tries again. */
  let refused = false;

  const deliver = (message: ServerMessage) => {
    for (const listener of listeners) listener(message);
  };
  const fail = (id: string, error: ErrorPayload) => {
    inFlight.delete(id);
    queueMicrotask(() => deliver({ t: 'result', id, ok: false, error }));
  };
  const failEverything = (message: string) => {
    for (const id of [...inFlight]) fail(id, { code: 'unavailable', message });
    waiting = [];
  };

  function open(): void {
    retryTimer = undefined;
    const ws = new WebSocket(options.url);
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      refused = false;
      failedAttempts = 0;
      generation += 1;
      link.set({ status: 'connected', generation });
      const queued = waiting;
      waiting = [];
      for (const message of queued) ws.send(JSON.stringify(message));
    };
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      const message = parseServerMessage(event.data);
      if (!message) return;
      if (message.t === 'result') inFlight.delete(message.id);
      deliver(message);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = undefined;
      failEverything('The connection to Chronoscope was lost before this call finished.');
      if (closedByUs) return;
      // A socket that was open dropped (the host stopped): try again. One that never opened may have been refused.
      if (opened || !options.isTokenRefused) return scheduleRetry();
      void options.isTokenRefused().then(
        (tokenRefused) => afterFailedOpen(tokenRefused),
        () => afterFailedOpen(false),
      );
    };
  }

  function afterFailedOpen(tokenRefused: boolean): void {
    if (closedByUs || socket !== undefined || retryTimer !== undefined) return; // something else has moved on
    if (!tokenRefused) return scheduleRetry();
    refused = true;
    failedAttempts = 0; // should the host then go away, reconnecting starts from the shortest wait
    link.set({ status: 'refused', everConnected: generation > 0, checking: false });
  }

  function scheduleRetry(): void {
    refused = false;
    failedAttempts += 1;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** (failedAttempts - 1));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4)); // jitter: many tabs do not retry in lockstep
    link.set({ status: 'reconnecting', attempt: failedAttempts, retryAt: Date.now() + delay, everConnected: generation > 0 });
    retryTimer = setTimeout(open, delay);
  }

  const transport: Transport = {
    send(message) {
      if (message.t === 'cancel') {
        cancel(message.id);
        return;
      }
      inFlight.add(message.id);
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
      else if (socket?.readyState === WebSocket.CONNECTING) waiting.push(message);
      else
        fail(message.id, {
          code: 'unavailable',
          message: refused ? REFUSED_MESSAGE : 'Chronoscope is not reachable right now; it is reconnecting. Try again in a moment.',
        });
    },
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };

  function cancel(id: string): void {
    if (!inFlight.has(id)) return;
    const queuedIndex = waiting.findIndex((m) => m.id === id);
    if (queuedIndex >= 0) {
      waiting.splice(queuedIndex, 1);
      fail(id, { code: 'cancelled', message: 'The operation was cancelled.' });
    } else if (socket?.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ t: 'cancel', id } satisfies ClientMessage));
    }
  }

  open();

  return {
    transport,
    link: {
      get: link.get,
      subscribe: link.subscribe,
      retryNow() {
        if (closedByUs) return;
        if (refused && socket === undefined) {
          link.set({ status: 'refused', everConnected: generation > 0, checking: true });
          open();
          return;
        }
        if (retryTimer === undefined) return;
        clearTimeout(retryTimer);
        open();
      },
    },
    close() {
      closedByUs = true;
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      socket?.close();
    },
  };
}

const REFUSED_MESSAGE = 'Chronoscope refused this tab: its server restarted with a new token. Open the new URL printed in its terminal.';

function parseServerMessage(text: string): ServerMessage | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string') return value as ServerMessage;
  } catch {
    // a malformed frame is dropped; the call it belonged to ends when the socket does
  }
  return undefined;
}
