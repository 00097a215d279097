import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * pglite-socket (0.2.x) runs every wire message of every connection through one
 * queue and keeps a connection's messages together only inside a transaction.
 * A parameterized query outside one is several messages (Parse, Bind, Describe,
 * Execute, Sync), so two connections querying at once interleave them and get
 * "unnamed prepared statement does not exist" or each other's rows. This keeps
 * an extended-protocol exchange together too: once a connection sends Parse/Bind/
 * Describe/Execute/Close/Flush, the queue serves only it until its Sync.
 */

interface QueuedMessage {
  handlerId: number;
  message: Uint8Array;
  resolve: (bytes: number) => void;
  reject: (err: Error) => void;
  onData: (data: Uint8Array) => void;
}

interface QueueInternals {
  queue: QueuedMessage[];
  processing: boolean;
  lastHandlerId: number | null;
  db: {
    isInTransaction(): boolean;
    runExclusive<T>(fn: () => Promise<T>): Promise<T>;
    execProtocolRawStream(message: Uint8Array, options: { onRawData: (data: Uint8Array) => void }): Promise<unknown>;
  };
  processQueue(): Promise<void>;
  clearQueueForHandler(handlerId: number): void;
}

/** Message types that open (or continue) an extended-protocol exchange; 'S' (Sync) closes it. */
const EXTENDED = new Set(['P', 'B', 'D', 'E', 'C', 'H'].map((c) => c.charCodeAt(0)));
const SYNC = 'S'.charCodeAt(0);

export function keepExtendedQueriesTogether(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue?: QueueInternals }).queryQueue;
  if (!queue || !Array.isArray(queue.queue) || typeof queue.processQueue !== 'function' || !queue.db) {
    throw new Error('pglite-socket changed its internals: review keepExtendedQueriesTogether before upgrading');
  }
  let exchangeOpen = false;
  const clear = queue.clearQueueForHandler.bind(queue);
  queue.clearQueueForHandler = (handlerId) => {
    // A connection that left mid-exchange must not hold the queue for ever.
    if (handlerId === queue.lastHandlerId) exchangeOpen = false;
    clear(handlerId);
  };
  queue.processQueue = async function processQueue(this: QueueInternals): Promise<void> {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        let next: QueuedMessage | undefined;
        if ((exchangeOpen || this.db.isInTransaction()) && this.lastHandlerId !== null) {
          const index = this.queue.findIndex((q) => q.handlerId === this.lastHandlerId);
          // Nothing yet from the connection holding the database: wait for its next message.
          if (index === -1) break;
          next = this.queue.splice(index, 1)[0];
        } else {
          next = this.queue.shift();
        }
        if (!next) break;
        const message = next;
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(message.message, {
              onRawData: (data) => {
                bytes += data.length;
                message.onData(data);
              },
            }),
          );
        } catch (err) {
          message.reject(err as Error);
          continue;
        }
        const type = message.message[0];
        if (type === SYNC) exchangeOpen = false;
        else if (type !== undefined && EXTENDED.has(type)) exchangeOpen = true;
        this.lastHandlerId = message.handlerId;
        message.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  }.bind(queue);
}
