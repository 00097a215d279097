/**
 * Rebuild folds in worker threads, the main process only coordinating. The store writes
 * each range of the feed as JSON text, split by a hash of the stream id (readFeedText);
 * each part goes untouched to the fold worker that owns those streams and holds their
 * rows (a built-in keyed by stream: a row is only ever folded by one worker). Workers
 * answer with the rows to write already encoded; the main process forwards that text to
 * PostgreSQL with the position reached, one transaction per batch, as foldFeed does.
 *
 * Pipelined: while batch k is committed, batch k+1 is folded in the workers and batch
 * k+2 read, so both cores and PostgreSQL work at once.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FeedTextPage } from '../../stores/event-store';
import { keepHeapWithinBudget } from '../memory/heap-budget';
import { DEFAULT_BATCH_EVENTS, RebuildCancelled, type FoldProgress, type FoldTimings, type RebuildFeed } from './feed-fold';
import type { FoldAnswer, FoldRequest, FoldWorkerData, FoldWorkerStarted, FoldWorkerTimes, MetadataKeys } from './fold-worker';
import { DefinitionFailure, FOLDER_CACHE_ROWS, type Handles, type ReadModelDefinition } from './read-model';
import type { EncodedRowGroups } from './row-groups';

/** Old-generation heap of each fold worker (its row cache and two batches). */
export const FOLD_WORKER_MEMORY_MB = 192;
/**
 * Young generation of each fold worker: big enough that a batch's events die young
 * (measured: a third less CPU than 16 MB), small as it counts in the process's memory.
 */
const FOLD_WORKER_YOUNG_MB = 32;
const FIRST_BATCH_EVENTS = 2_500;
/** Connections reading the feed at once (sub-ranges of positions). */
const READERS = 3;
/** Batches folded ahead of the commit in flight at most (a crash loses at most these and the commit's own). */
const MAX_UNCOMMITTED_BATCHES = 8;

export type TextFeed = RebuildFeed & Required<Pick<RebuildFeed, 'readFeedText'>>;

/** Where the batch's rows go: loaded as JSON text by key, written with the position reached. */
export interface TextShadowSink {
  /** `{key: row}` as JSON text for the keys found. */
  loadText(keys: readonly string[]): Promise<string>;
  commit(groups: readonly EncodedRowGroups[], position: string, events: number): Promise<void>;
}

/** What the fold workers did, summed over them (for benches and the job's summary). */
export interface FoldWorkerStats {
  workers: number;
  parseMs: number;
  foldMs: number;
  encodeMs: number;
  /** The highest heap in use seen in each worker, summed. */
  heapPeakBytes: number;
}

/** Whether a definition can be folded by the workers of a feed. */
export function foldsInWorkers(definition: ReadModelDefinition, feed: RebuildFeed): feed is TextFeed {
  return definition.workerFold !== undefined && definition.keyedByStream === true && typeof feed.readFeedText === 'function';
}

/** Starts a fold worker: from sources (tsx) through a bootstrap, bundled from fold-worker.js next to the main bundle. */
function startThread(workerData: FoldWorkerData, memoryMb: number): Worker {
  const self = import.meta.url;
  const resourceLimits = { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: FOLD_WORKER_YOUNG_MB };
  if (!self.endsWith('.ts')) {
    // The bundle keeps shared code in chunks/: the entry sits beside the main bundle.
    const entry = [new URL('./fold-worker.js', self), new URL('../fold-worker.js', self)].find((url) => existsSync(fileURLToPath(url)));
    if (!entry) throw new Error('fold-worker.js is missing from the application bundle');
    return new Worker(entry, { workerData, resourceLimits });
  }
  // Module hooks are not inherited by workers on Node 20: use tsx's in-thread require hook instead.
  const tsx = createRequire(self).resolve('tsx/cjs/api');
  const main = fileURLToPath(new URL('./fold-worker-main.ts', self));
  const bootstrap = `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(main)});`;
  return new Worker(bootstrap, { eval: true, workerData, execArgv: [], resourceLimits });
}

/** A request before its id is given. */
type Unsent<T> = T extends unknown ? Omit<T, 'id'> : never;

/** N fold workers of one built-in; requests go to all of them at once, answers come back in order. */
/** Fold workers a rebuild starts when not told how many. */
const MAX_DEFAULT_WORKERS = 4;

export class FoldWorkers {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (answer: FoldAnswer) => void; reject: (err: Error) => void }>();
  private dead: Error | undefined;
  readonly stats: FoldWorkerStats;
  private readonly heapPeaks: number[];

  private constructor(
    private readonly threads: Worker[],
    private readonly name: string,
  ) {
    this.stats = { workers: threads.length, parseMs: 0, foldMs: 0, encodeMs: 0, heapPeakBytes: 0 };
    this.heapPeaks = threads.map(() => 0);
    threads.forEach((thread, index) => {
      thread.on('message', (answer: FoldAnswer | FoldWorkerStarted) => {
        if (!('id' in answer)) return;
        if (answer.ok) this.count(index, answer.times, answer.heapUsed);
        this.pending.get(answer.id)?.resolve(answer);
        this.pending.delete(answer.id);
      });
      thread.on('error', (err) =>
        this.die(new Error(`The fold worker of ${name} stopped (${/memory/i.test(err.message) ? `over its heap limit` : err.message})`)),
      );
      thread.on('exit', () => this.die(new Error(`The fold worker of ${name} exited`)));
    });
  }

  static async start(
    definition: ReadModelDefinition,
    shape: FoldWorkerData['shape'],
    options: { workers?: number; memoryMb?: number } = {},
  ): Promise<FoldWorkers> {
    // One per core up to a few: each reserves its heap, and PostgreSQL needs cores too.
    const count = Math.max(1, options.workers ?? Math.min(availableParallelism(), MAX_DEFAULT_WORKERS));
    const threads: Worker[] = [];
    try {
      for (let i = 0; i < count; i++)
        threads.push(
          // The workers share the cache of one folder: each holds the rows of its share of the streams.
          startThread(
            { model: definition.workerFold!.model, shape, cacheRows: Math.ceil(FOLDER_CACHE_ROWS / count) },
            options.memoryMb ?? FOLD_WORKER_MEMORY_MB,
          ),
        );
      await Promise.all(
        threads.map(
          (thread) =>
            new Promise<void>((resolve, reject) => {
              thread.once('message', (started: FoldWorkerStarted) =>
                started.type === 'ready' ? resolve() : reject(new Error(`The fold worker of ${definition.name} failed to start: ${started.message}`)),
              );
              thread.once('error', reject);
            }),
        ),
      );
    } catch (err) {
      await Promise.all(threads.map((t) => t.terminate()));
      throw err;
    }
    return new FoldWorkers(threads, definition.name);
  }

  get size(): number {
    return this.threads.length;
  }

  private count(index: number, times: FoldWorkerTimes, heapUsed: number): void {
    this.stats.parseMs += times.parseMs;
    this.stats.foldMs += times.foldMs;
    this.stats.encodeMs += times.encodeMs;
    this.heapPeaks[index] = Math.max(this.heapPeaks[index]!, heapUsed);
    this.stats.heapPeakBytes = this.heapPeaks.reduce((a, b) => a + b, 0);
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private ask(index: number, request: Unsent<FoldRequest>): Promise<FoldAnswer & { ok: true }> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<FoldAnswer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.threads[index]!.postMessage({ ...request, id });
    }).then((answer) => {
      if (answer.ok) return answer as FoldAnswer & { ok: true };
      if (answer.failure) throw new DefinitionFailure(answer.failure.definition, answer.failure.event, answer.failure.reason);
      throw new Error(`${this.name}: ${answer.message}`);
    });
  }

  /** Hands each worker its part of the batch; answers the keys each needs loaded. */
  missing(parts: readonly string[][], metadataKeys: MetadataKeys | undefined): Promise<string[][]> {
    return Promise.all(parts.map(async (texts, i) => (await this.ask(i, { op: 'missing', texts, ...(metadataKeys ? { metadataKeys } : {}) })).keys ?? []));
  }

  /** Folds each worker's part with its loaded rows (`{key: row}` JSON text); the rows changed wait for `flush`. */
  async apply(loaded: readonly string[]): Promise<void> {
    await Promise.all(loaded.map((text, i) => this.ask(i, { op: 'apply', loaded: text })));
  }

  /** The rows changed since the last flush, encoded for writing (call once the previous flush is committed). */
  flush(): Promise<EncodedRowGroups[]> {
    return Promise.all(this.threads.map(async (_, i) => (await this.ask(i, { op: 'flush' })).groups ?? { deleted: [], upserts: [] }));
  }

  async close(): Promise<void> {
    this.die(new Error(`The fold workers of ${this.name} are closed`));
    await Promise.all(this.threads.map((t) => t.terminate()));
  }
}

export interface WorkerFoldOptions {
  feed: TextFeed;
  handles: Handles;
  workers: FoldWorkers;
  sink: TextShadowSink;
  /** Exclusive start. */
  after: string;
  /** Inclusive end. */
  horizon: string;
  signal?: AbortSignal;
  batchEvents?: number;
  readers?: number;
  eventsBefore?: number;
  onProgress?(progress: FoldProgress): void;
}

interface TextBatch {
  /** Per worker, the texts of the sub-ranges read, in position order. */
  parts: string[][];
  metadataKeys?: MetadataKeys;
  events: number;
  end: bigint;
}

/**
 * Folds (after, horizon] in the workers; returns the position reached (cancelling throws
 * once the batch being committed is in), or null when the store cannot write its feed as
 * text (nothing was folded: use foldFeed).
 */
export async function foldFeedInWorkers(options: WorkerFoldOptions): Promise<{ position: string; events: number; timings: FoldTimings } | null> {
  const { feed, handles, workers, sink, signal } = options;
  const horizon = BigInt(options.horizon);
  const batchEvents = options.batchEvents ?? DEFAULT_BATCH_EVENTS;
  const readers = options.readers ?? READERS;
  const startPosition = BigInt(options.after);
  const started = performance.now();
  const timings: FoldTimings = { readMs: 0, foldMs: 0, writeMs: 0 };
  let position = startPosition;
  let events = 0;
  const total = options.eventsBefore ?? 0;
  let readFrom = startPosition;
  let readDone = readFrom >= horizon;
  let density = 1; // handled events per position
  let batchTarget = Math.min(batchEvents, FIRST_BATCH_EVENTS);
  let unsupported = false;

  /** The next stretch of positions, sized from the density seen so far, read as `readers` sub-ranges at once. */
  const readBatch = async (): Promise<TextBatch | null> => {
    const t = performance.now();
    const target = batchTarget;
    batchTarget = Math.min(batchEvents, batchTarget * 2);
    const span = BigInt(Math.max(1000, Math.ceil(target / Math.max(density, 1e-4))));
    const stretchEnd = readFrom + span < horizon ? readFrom + span : horizon;
    const width = (stretchEnd - readFrom) / BigInt(readers) + 1n;
    const ranges: [bigint, bigint][] = [];
    for (let from = readFrom; from < stretchEnd; from += width) ranges.push([from, from + width < stretchEnd ? from + width : stretchEnd]);
    const cap = Math.ceil(target / ranges.length) + 1000;
    const pages = await Promise.all(
      ranges.map(([from, to]) =>
        feed.readFeedText({
          afterPosition: from.toString(),
          throughPosition: to.toString(),
          limit: cap,
          ...(handles.types?.length ? { eventTypes: handles.types } : {}),
          ...(handles.categories?.length ? { categories: handles.categories } : {}),
          parts: workers.size,
        }),
      ),
    );
    if (pages.some((p) => p === null)) {
      unsupported = true;
      return null;
    }
    const batch: TextBatch = { parts: Array.from({ length: workers.size }, () => []), events: 0, end: readFrom };
    for (const [i, page] of (pages as FeedTextPage[]).entries()) {
      if (page.metadataKeys) batch.metadataKeys = page.metadataKeys;
      page.parts.forEach((text, w) => page.counts[w]! > 0 && batch.parts[w]!.push(text));
      batch.events += page.counts.reduce((a, b) => a + b, 0);
      batch.end = BigInt(page.end);
      if (batch.end < ranges[i]![1]) break; // filled before its end: later sub-ranges are read again from here next time
    }
    if (batch.end > readFrom) density = Math.max(batch.events / Number(batch.end - readFrom), 1e-4);
    readFrom = batch.end;
    readDone = batch.end >= horizon;
    timings.readMs += performance.now() - t;
    return batch;
  };

  // A read ahead fails while this batch folds: it is awaited (and thrown) in turn, never an unhandled rejection meanwhile.
  const ahead = () => {
    const read = readBatch();
    read.catch(() => undefined);
    return read;
  };
  let next: Promise<TextBatch | null> | undefined = readDone ? undefined : ahead();
  let committing: Promise<void> | undefined;
  let commitRunning = false;
  /** Batches folded since the last flush, and the position and count they reach. */
  let unflushedBatches = 0;
  let folded = startPosition;
  let foldedEvents = 0;
  let foldedTotal = total;

  /** Commits what the workers folded since the last flush, with the position it reaches (after the commit before it). */
  const flushAndCommit = async (): Promise<void> => {
    let t = performance.now();
    await committing; // one commit at a time, in order: each carries the position reached
    timings.writeMs += performance.now() - t;
    t = performance.now();
    const groups = await workers.flush();
    timings.foldMs += performance.now() - t;
    const end = folded;
    const counted = { events: foldedEvents, total: foldedTotal };
    unflushedBatches = 0;
    const commitStarted = performance.now();
    commitRunning = true;
    committing = sink.commit(groups, end.toString(), counted.total).then(
      () => {
        commitRunning = false;
        timings.writeMs += performance.now() - commitStarted;
        position = end;
        events = counted.events;
        keepHeapWithinBudget();
        const seconds = (performance.now() - started) / 1000;
        const positionsPerSecond = seconds > 0 ? Number(end - startPosition) / seconds : 0;
        options.onProgress?.({
          position: end.toString(),
          horizon: horizon.toString(),
          events: counted.events,
          eventsPerSecond: seconds > 0 ? Math.round(counted.events / seconds) : 0,
          etaSeconds: positionsPerSecond > 0 ? Math.round(Number(horizon - end) / positionsPerSecond) : null,
        });
      },
      (err: unknown) => {
        commitRunning = false;
        throw err;
      },
    );
    committing.catch(() => undefined); // awaited before the next commit or at the end; not unhandled meanwhile
  };

  try {
    while (next) {
      const batch = await next;
      if (!batch) {
        if (unsupported && folded === startPosition) return null;
        throw new Error('The store stopped writing its feed as text in the middle of a rebuild');
      }
      if (signal?.aborted) throw new RebuildCancelled();
      next = readDone ? undefined : ahead(); // read ahead while this batch is folded
      let t = performance.now();
      const keys = await workers.missing(batch.parts, batch.metadataKeys);
      timings.foldMs += performance.now() - t;
      t = performance.now();
      // Keys changed but not committed are held by the workers (they are not asked for): what the shadow answers is final.
      const loaded = await Promise.all(keys.map((k) => (k.length ? sink.loadText(k) : Promise.resolve('{}'))));
      timings.writeMs += performance.now() - t;
      t = performance.now();
      await workers.apply(loaded);
      timings.foldMs += performance.now() - t;
      folded = batch.end;
      foldedEvents += batch.events;
      foldedTotal += batch.events;
      unflushedBatches += 1;
      // While PostgreSQL commits, folding goes on and the next commit takes all of it:
      // the slower the writes, the bigger each commit (a row touched again is written once).
      if (!commitRunning || unflushedBatches >= MAX_UNCOMMITTED_BATCHES) await flushAndCommit();
    }
    if (unflushedBatches > 0 && folded > startPosition) await flushAndCommit();
    await committing;
  } catch (err) {
    void next?.catch(() => undefined);
    // The batch being committed ends (committed or not) before the run reports how it ended.
    await committing?.catch(() => undefined);
    throw err;
  } finally {
    await next?.catch(() => undefined);
  }
  return { position: position.toString(), events, timings: { ...timings, workers: { ...workers.stats } } };
}
