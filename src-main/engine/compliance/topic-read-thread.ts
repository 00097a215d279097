/**
 * Runs the compliance topic read (topic-read.ts) on a worker thread of its own: a million
 * messages are hundreds of megabytes of Fetch answers, and the collections their buffers
 * cause would pause the main process's event loop (the UI) for tens of milliseconds at a
 * time. The worker makes its own kafkajs client from the config the caller's was made with
 * (kafkaConfigOf); a client made elsewhere, or a build without the worker's bundle, reads on
 * the caller's thread.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Kafka, KafkaConfig } from 'kafkajs';
import { kafkaConfigOf } from '../connections/drivers';
import type { ScanProgress } from './pg-subject-data';
import { readTopic, type TopicRead, type TopicScope } from './topic-read';

export interface TopicReadJob {
  config: KafkaConfig;
  topic: string;
  scope: TopicScope;
  ids: string[];
}

export type TopicReadMessage =
  { type: 'progress'; done: number; total: number; message: string } | { type: 'done'; read: TopicRead } | { type: 'error'; name: string; message: string };

export async function readTopicOffThread(kafka: Kafka, topic: string, scope: TopicScope, ids: string[], scan: ScanProgress): Promise<TopicRead> {
  const config = kafkaConfigOf(kafka);
  const worker = config ? startWorker({ config, topic, scope: { ...scope }, ids }) : undefined;
  if (!worker) return readTopic(kafka, topic, scope, ids, scan);
  const abort = () => worker.postMessage('abort');
  scan.signal.addEventListener('abort', abort, { once: true });
  try {
    return await new Promise<TopicRead>((resolve, reject) => {
      let settled = false;
      worker.on('message', (message: TopicReadMessage) => {
        if (message.type === 'progress') {
          scan.progress(message.done, message.total, message.message);
        } else if (message.type === 'done') {
          settled = true;
          resolve(revived(message.read));
        } else {
          settled = true;
          reject(Object.assign(new Error(message.message), { name: message.name }));
        }
      });
      worker.on('error', (err) => {
        if (!settled) reject(err);
        settled = true;
      });
      worker.on('exit', (code) => {
        if (!settled) reject(new Error(`The topic scan's worker thread stopped (exit code ${code}).`));
        settled = true;
      });
      if (scan.signal.aborted) abort();
    });
  } finally {
    scan.signal.removeEventListener('abort', abort);
    void worker.terminate();
  }
}

/** Keys come back from the worker as Uint8Arrays: Buffers again. */
function revived(read: TopicRead): TopicRead {
  for (const copies of read.finding.keyed) copies.key = Buffer.from(copies.key.buffer, copies.key.byteOffset, copies.key.byteLength);
  return read;
}

/**
 * The worker: the source file beside this module run through tsx (tests, benches, `bun run
 * serve` from the sources: workers do not inherit tsx's loader on Node 20, so a small
 * bootstrap registers its require hook first), or the bundle electron-vite builds next to
 * the main process (out/main/topic-scan-worker.js).
 */
function startWorker(job: TopicReadJob): Worker | undefined {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const tsx = createRequire(self).resolve('tsx/cjs/api');
    const entry = fileURLToPath(new URL('./topic-scan-worker.ts', self));
    const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)});`;
    return new Worker(bootstrap, { eval: true, workerData: job, execArgv: [] });
  }
  const here = dirname(fileURLToPath(self));
  for (const bundled of [join(here, 'topic-scan-worker.js'), join(here, '..', 'topic-scan-worker.js')])
    if (existsSync(bundled)) return new Worker(bundled, { workerData: job });
  return undefined;
}
