import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { generateCopyBatches, type CopyBatch } from './copy-format';
import type { GenerateOptions } from './generate';

export interface CopySourceOptions {
  /** Generate and serialise on a worker thread (default), or on the calling thread. */
  worker?: boolean;
  /** Batches the worker may have ready ahead of the writer (the bounded queue). */
  queue?: number;
}

/**
 * Starts copy-worker. Run from TypeScript sources (tsx), a worker does not
 * inherit tsx's loader on Node 20, so a small bootstrap registers it first.
 */
function startWorker(workerData: unknown): Worker {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new Worker(new URL('./copy-worker.js', self), { workerData });
  const entry = new URL('./copy-worker.ts', self).href;
  // Module hooks are not inherited by workers on Node 20: use tsx's in-thread require hook instead.
  const tsx = createRequire(self).resolve('tsx/cjs/api');
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(fileURLToPath(entry))});`;
  return new Worker(bootstrap, { eval: true, workerData, execArgv: [] });
}

/**
 * COPY-ready batches for `options`, deterministic from the seed. With a worker,
 * generation overlaps the database work; the queue between them is bounded
 * (credits), so a slow database stalls the generator instead of filling memory.
 */
export async function* copyBatches(options: GenerateOptions, source: CopySourceOptions = {}): AsyncGenerator<CopyBatch> {
  if (source.worker === false) {
    yield* generateCopyBatches(options);
    return;
  }
  const worker = startWorker({ options, credits: Math.max(1, source.queue ?? 3) });
  const ready: CopyBatch[] = [];
  let finished = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (msg: { type: 'batch'; batch: CopyBatch } | { type: 'done' } | { type: 'error'; message: string }) => {
    if (msg.type === 'batch') ready.push(msg.batch);
    else if (msg.type === 'done') finished = true;
    else failure = new Error(`generator worker failed: ${msg.message}`);
    signal();
  });
  worker.on('error', (err) => {
    failure = err;
    signal();
  });
  worker.on('exit', (code) => {
    if (!finished && !failure) failure = new Error(`generator worker exited early (code ${code})`);
    signal();
  });
  try {
    for (;;) {
      const batch = ready.shift();
      if (batch) {
        // Structured clone turned Buffers into plain Uint8Arrays: give pg its Buffers back.
        for (const key of batch.subjectKeys) key.key = Buffer.from(key.key.buffer, key.key.byteOffset, key.key.byteLength);
        yield batch;
        worker.postMessage({ credit: 1 }); // handed to the writer: the worker may prepare one more
        continue;
      }
      if (failure) throw failure;
      if (finished) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    await worker.terminate(); // also once done: nothing must keep the process alive
  }
}
