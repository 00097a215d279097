import { ChronoError } from './errors';
import type { InputOf, OperationName, ResultOf, StreamDataOf } from './operations';
import type { ClientMessage, Envelope, Progress, ServerMessage } from './wire';

/** Anything that carries client messages to a host and its answers back. */
export interface Transport {
  send(message: ClientMessage): void;
  onMessage(listener: (message: ServerMessage) => void): () => void;
}

export interface CallHandlers<N extends OperationName> {
  onData?: (data: StreamDataOf<N>) => void;
  onProgress?: (progress: Progress) => void;
}

/**
 * A running call. Only plain functions and a promise of an envelope: this shape
 * survives Electron's contextBridge, which drops error classes and AbortSignals.
 */
export interface CallHandle<N extends OperationName> {
  id: string;
  result: Promise<Envelope<ResultOf<N>>>;
  cancel(): void;
}

/** The bridge-safe core: what the preload exposes and the WebSocket client implements. */
export interface ChronoscopeBridge {
  start<N extends OperationName>(op: N, input: InputOf<N>, handlers?: CallHandlers<N>): CallHandle<N>;
}

export interface CallOptions<N extends OperationName> extends CallHandlers<N> {
  signal?: AbortSignal;
}

/** What the renderer uses: promises that reject with `ChronoError`, cancellation by AbortSignal. */
export interface ChronoscopeClient {
  call<N extends OperationName>(op: N, input: InputOf<N>, options?: CallOptions<N>): Promise<ResultOf<N>>;
  start: ChronoscopeBridge['start'];
}

let sequence = 0;
function newOperationId(): string {
  sequence += 1;
  const random = Math.random().toString(36).slice(2, 10);
  return `op-${Date.now().toString(36)}-${sequence}-${random}`;
}

export function createBridge(transport: Transport): ChronoscopeBridge {
  type Pending = { handlers: CallHandlers<OperationName>; settle: (envelope: Envelope<unknown>) => void };
  const pending = new Map<string, Pending>();

  transport.onMessage((message) => {
    const call = pending.get(message.id);
    if (!call) return;
    switch (message.t) {
      case 'data':
        call.handlers.onData?.(message.data as never);
        break;
      case 'progress':
        call.handlers.onProgress?.(message.progress);
        break;
      case 'result':
        pending.delete(message.id);
        call.settle(message.ok ? { ok: true, data: message.data } : { ok: false, error: message.error });
        break;
    }
  });

  return {
    start(op, input, handlers = {}) {
      const id = newOperationId();
      const result = new Promise<Envelope<never>>((resolve) => {
        pending.set(id, { handlers: handlers as CallHandlers<OperationName>, settle: resolve as (e: Envelope<unknown>) => void });
      });
      try {
        transport.send({ t: 'call', id, op, input });
      } catch (err) {
        pending.get(id)?.settle({ ok: false, error: { code: 'unavailable', message: `Could not reach Chronoscope: ${String(err)}` } });
        pending.delete(id);
      }
      return {
        id,
        result,
        cancel: () => {
          if (pending.has(id)) transport.send({ t: 'cancel', id });
        },
      };
    },
  };
}

/** Wraps the bridge with rejecting promises and AbortSignal support. */
export function createClient(bridge: ChronoscopeBridge): ChronoscopeClient {
  return {
    start: bridge.start.bind(bridge),
    async call(op, input, options = {}) {
      const { signal, ...handlers } = options;
      if (signal?.aborted) throw new ChronoError('cancelled', 'The operation was cancelled.');
      const handle = bridge.start(op, input, handlers);
      const onAbort = () => handle.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const envelope = await handle.result;
        if (!envelope.ok) throw ChronoError.fromPayload(envelope.error);
        return envelope.data;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}
