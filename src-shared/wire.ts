import type { ErrorPayload } from './errors';

/**
 * Messages exchanged by both hosts of the contract (Electron IPC and the
 * browser-mode WebSocket). Every message of one call carries its operation id,
 * so progress, streamed data and cancellation find their call.
 */
export interface Progress {
  done: number;
  total?: number;
  message?: string;
}

export type ClientMessage = { t: 'call'; id: string; op: string; input: unknown } | { t: 'cancel'; id: string };

export type ServerMessage =
  | { t: 'result'; id: string; ok: true; data: unknown }
  | { t: 'result'; id: string; ok: false; error: ErrorPayload }
  | { t: 'data'; id: string; data: unknown }
  | { t: 'progress'; id: string; progress: Progress };

/** What a call ends with: a value or an error, never a throw across the boundary. */
export type Envelope<T> = { ok: true; data: T } | { ok: false; error: ErrorPayload };

export function isClientMessage(value: unknown): value is ClientMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (typeof m.id !== 'string' || m.id.length === 0 || m.id.length > 100) return false;
  if (m.t === 'cancel') return true;
  return m.t === 'call' && typeof m.op === 'string';
}

/**
 * Browser mode's session check: 204 when the token presented (query or cookie) is
 * accepted, 401 when it is not. A tab whose WebSocket will not open asks it whether
 * the host is up with another token (it restarted) or simply not reachable.
 */
export const SESSION_CHECK_PATH = '/session';
