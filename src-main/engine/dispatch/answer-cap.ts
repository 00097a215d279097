import { ChronoError } from '../../../src-shared/errors';
import type { ServerMessage } from '../../../src-shared/wire';

/**
 * Largest answer (one result, stream item or progress, as JSON bytes) either host sends
 * to a peer. Until the peer has read it, the host holds the whole text (a WebSocket's
 * send buffer, Chromium's IPC queue) and the renderer then parses and renders all of it
 * at once: 8 MB is far above what a screen shows (a page of events, a typical aggregate's
 * state) and keeps the 16 calls a window may run at once under ~128 MB of pending text.
 */
export const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/** A message as the text a host sends, or undefined when it cannot be serialized at all (a string longer than V8 allows). */
export function encodeAnswer(message: ServerMessage): { json: string; bytes: number } | { json: undefined; bytes: number } {
  try {
    const json = JSON.stringify(message);
    return { json, bytes: Buffer.byteLength(json, 'utf8') };
  } catch {
    return { json: undefined, bytes: Infinity };
  }
}

export function describeBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'more than V8 can hold in one string';
  return bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} kB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The refusal of an answer over the cap. `kept` is the host's sentence saying where the
 * answer was saved instead (browser mode's downloads), when it kept it.
 */
export function oversizedAnswer(op: string, kind: 'result' | 'data', bytes: number, limit: number, kept?: string): ChronoError {
  const size = `${kind === 'result' ? `The answer to ${op}` : `One update of ${op}`} is ${describeBytes(bytes)}, more than the ${describeBytes(limit)} one answer may carry`;
  const advice = kept
    ? `. ${kept}`
    : kind === 'result'
      ? ': narrow the request (an earlier version, a shorter range, fewer steps or items) and try again.'
      : ': the view was stopped. Narrow it (a filter, a smaller page) and open it again.';
  return new ChronoError('unavailable', `${size}${advice}`, { bytes: Number.isFinite(bytes) ? bytes : null, limit, ...(kept ? { kept: true } : {}) });
}
