/**
 * One fold worker thread (see fold-workers.ts): it holds the rows of the streams hashed
 * to it, parses the feed text the main process forwards, folds it with the built-in's
 * own folder, and answers with the rows to write already encoded as JSON text. Started
 * through fold-worker-main.ts, the composition root that gives it the built-ins.
 */
import { parentPort, workerData } from 'node:worker_threads';
import v8 from 'node:v8';
import { metadataString, type StoredEventView } from '../../stores/event-store';
import { DefinitionFailure, type ModelFolder, type ModelRow, type ReadModelDefinition, type RowChanges } from './read-model';
import { encodeRowGroups, type EncodedRowGroups } from './row-groups';

export interface FoldWorkerData {
  /** The built-in's key among the models the entry was given. */
  model: string;
  shape: { keyColumn: string; columns: string[] };
  /** This worker's share of the rows a folder caches. */
  cacheRows: number;
}

export type FoldRequest =
  | { id: number; op: 'missing'; texts: string[]; metadataKeys?: MetadataKeys }
  | { id: number; op: 'apply'; loaded: string }
  | { id: number; op: 'flush' }
  | { id: number; op: 'reset' };

/** Metadata keys holding the correlation and causation ids, where the store has no columns for them. */
export type MetadataKeys = { correlationId?: string; causationId?: string };

/** Milliseconds this worker spent on each part of its last answer. */
export interface FoldWorkerTimes {
  parseMs: number;
  foldMs: number;
  encodeMs: number;
}

export type FoldAnswer =
  | { id: number; ok: true; keys?: string[]; groups?: EncodedRowGroups; times: FoldWorkerTimes; heapUsed: number }
  | { id: number; ok: false; failure?: { definition: string; event: DefinitionFailure['event']; reason: string }; message: string };

export type FoldWorkerStarted = { type: 'ready' } | { type: 'failed'; message: string };

/** An event of the feed text as a definition's folder sees it: ids absent left out, ids kept in the metadata filled in (as readFeed does). */
function eventView(raw: StoredEventView & { correlationId?: string | null; causationId?: string | null }, keys: MetadataKeys | undefined): StoredEventView {
  if (raw.correlationId === null) delete raw.correlationId;
  if (raw.causationId === null) delete raw.causationId;
  if (keys) {
    const correlationId = raw.correlationId ?? metadataString(raw.metadata, keys.correlationId);
    const causationId = raw.causationId ?? metadataString(raw.metadata, keys.causationId);
    if (correlationId !== undefined) raw.correlationId = correlationId;
    if (causationId !== undefined) raw.causationId = causationId;
  }
  return raw as StoredEventView;
}

/** Serves the main process's requests for the model named in workerData, folded by `models[model]`. */
export function serveFoldWorker(models: Readonly<Record<string, ReadModelDefinition>>): void {
  const port = parentPort;
  if (!port) throw new Error('fold-worker runs only as a worker thread');
  const { model, shape, cacheRows } = workerData as FoldWorkerData;
  let folder: ModelFolder;
  let batch: StoredEventView[] = [];
  let missing: string[] = [];
  // Rows folded since the last flush, and those of the flush being committed: the shadow
  // does not hold them yet, so they stand in for what it answers when a key is loaded again.
  let unflushed: RowChanges = new Map();
  let flushing: RowChanges = new Map();
  const heapUsed = () => v8.getHeapStatistics().used_heap_size;

  const answer = async (request: FoldRequest): Promise<FoldAnswer> => {
    const times: FoldWorkerTimes = { parseMs: 0, foldMs: 0, encodeMs: 0 };
    let t = performance.now();
    if (request.op === 'missing') {
      batch = [];
      for (const text of request.texts) for (const raw of JSON.parse(text) as StoredEventView[]) batch.push(eventView(raw, request.metadataKeys));
      times.parseMs = performance.now() - t;
      t = performance.now();
      missing = await folder.missingKeys(batch);
      times.foldMs = performance.now() - t;
      // Rows not committed yet are not asked of the shadow: this worker holds them.
      const keys = missing.filter((key) => !unflushed.has(key) && !flushing.has(key));
      return { id: request.id, ok: true, keys, times, heapUsed: heapUsed() };
    }
    if (request.op === 'apply') {
      const loaded = new Map(Object.entries(JSON.parse(request.loaded) as Record<string, ModelRow>));
      for (const key of missing) {
        const pending = unflushed.has(key) ? unflushed : flushing.has(key) ? flushing : null;
        if (!pending) continue;
        const row = pending.get(key)!;
        if (row === null) loaded.delete(key);
        else loaded.set(key, row);
      }
      times.parseMs = performance.now() - t;
      t = performance.now();
      const changes = await folder.apply(batch, loaded);
      batch = [];
      for (const [key, row] of changes) unflushed.set(key, row);
      times.foldMs = performance.now() - t;
      return { id: request.id, ok: true, times, heapUsed: heapUsed() };
    }
    if (request.op === 'flush') {
      flushing = unflushed; // the flush before was committed: the main process flushes only then
      unflushed = new Map();
      const groups = encodeRowGroups(shape, flushing);
      times.encodeMs = performance.now() - t;
      return { id: request.id, ok: true, groups, times, heapUsed: heapUsed() };
    }
    await folder.reset();
    batch = [];
    unflushed = new Map();
    flushing = new Map();
    return { id: request.id, ok: true, times, heapUsed: heapUsed() };
  };

  const definition = models[model];
  const opening = definition ? definition.open({ cacheRows }) : Promise.reject(new Error(`No built-in read model ${model} in the fold worker`));
  opening.then(
    (opened) => {
      folder = opened;
      // One request at a time, in the order sent: a batch's `apply` follows its `missing`.
      let queue = Promise.resolve();
      port.on('message', (request: FoldRequest) => {
        queue = queue.then(async () => {
          try {
            port.postMessage(await answer(request));
          } catch (err) {
            const failure = err instanceof DefinitionFailure ? { definition: err.definition, event: err.event, reason: err.reason } : undefined;
            port.postMessage({ id: request.id, ok: false, ...(failure ? { failure } : {}), message: (err as Error).message } satisfies FoldAnswer);
          }
        });
      });
      port.postMessage({ type: 'ready' } satisfies FoldWorkerStarted);
    },
    (err: unknown) => port.postMessage({ type: 'failed', message: (err as Error).message } satisfies FoldWorkerStarted),
  );
}
