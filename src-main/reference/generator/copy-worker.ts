/**
 * Worker-thread entry: generates and serialises COPY batches while the main
 * thread streams them to Postgres. Flow control is by credits: the worker posts
 * a batch only while it holds one, and the main thread returns a credit each
 * time it has handed a batch to the COPY stream, so at most `credits` batches
 * are ever in flight (bounded memory whatever the total).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { generateCopyBatches } from './copy-format';
import type { GenerateOptions } from './generate';

interface WorkerInput {
  options: GenerateOptions;
  credits: number;
}

const port = parentPort;
if (port) {
  const { options, credits: initial } = workerData as WorkerInput;
  let credits = initial;
  let wake: (() => void) | undefined;
  port.on('message', (msg: { credit?: number }) => {
    credits += msg.credit ?? 0;
    wake?.();
  });
  void (async () => {
    try {
      for (const batch of generateCopyBatches(options)) {
        while (credits <= 0) await new Promise<void>((resolve) => (wake = resolve));
        credits--;
        const buf = batch.copy;
        // The buffer owns its memory (large Buffer.from): transfer it instead of copying.
        const transfer = buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength ? [buf.buffer as ArrayBuffer] : [];
        port.postMessage({ type: 'batch', batch }, transfer);
      }
      port.postMessage({ type: 'done' });
    } catch (err) {
      port.postMessage({ type: 'error', message: (err as Error).stack ?? String(err) });
    }
    port.removeAllListeners('message');
  })();
}
