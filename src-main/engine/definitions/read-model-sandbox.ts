/**
 * Rebuilds' user read-model definitions in the definitions sandbox: each runs in a
 * worker thread (read-model-worker.cjs, with read-model-prelude.js evaluated before the
 * definition), in a vm context with JavaScript built-ins only (no require, timers,
 * process, code generation from strings), under a memory limit and a time limit per
 * batch: the same isolation as time travel's sandbox.ts, and a slot of the same
 * `sandboxPool`, so rebuilds and replays together stay under its cap.
 *
 * A definition assigns `definition`:
 *   definition = {
 *     name: 'balances',
 *     handles: { types: ['AccountOpened', 'MoneyDeposited'] },   // or { categories: ['Account'] }
 *     key(event) { return event.streamId; },                      // null/undefined: not for this model
 *     apply(row, event) { return { ...row, balance: 1 }; },       // a row, null (delete) or undefined (unchanged)
 *     columns: { account_id: { type: 'text', primaryKey: true }, balance: { type: 'bigint', notNull: true, default: 0 } }, // optional
 *     projector: 'balances',                                      // optional: the checkpoint of the projector that keeps it
 *   };
 * Events have streamId, category, version, type, data, metadata, timestamp, position, eventId.
 */
import { Worker } from 'node:worker_threads';
import type { StoredEventView } from '../../stores/event-store';
import {
  DefinitionFailure,
  eventRef,
  FOLDER_CACHE_ROWS,
  type Handles,
  type ModelFolder,
  type ModelRow,
  type ReadModelDefinition,
  type RowChanges,
} from '../rebuild/read-model';
import { definitionFilename, sandboxHint } from './sandbox';
import { externalMemoryMessage, parseAnswer, startPooledWorker, type FailedAnswer } from './sandbox-host';
import type { SandboxPool } from './sandbox-pool';
import { READ_MODEL_PRELUDE_TEXT, READ_MODEL_WORKER_TEXT } from './sandbox-text.generated';

export const READ_MODEL_TIMEOUT_MS = 10_000;
export const READ_MODEL_MEMORY_MB = 256;

export interface ReadModelSandboxOptions {
  /** Time limit of one evaluation (the definition's load, one batch's keys or fold). */
  timeoutMs?: number;
  /** Old-generation heap of the worker, in MB; also the limit on what the definition holds outside the heap (ArrayBuffers). */
  memoryMb?: number;
  /** The pool whose slot each worker holds while it lives; the process-wide one by default. */
  pool?: SandboxPool;
}

type OkAnswer = { ok: true; info?: unknown; keys?: unknown; changes?: unknown };
type Answer = OkAnswer | FailedAnswer;

type WorkerMessage = { type: 'loaded'; result: string } | { id: number; result: string };

interface LoadedInfo {
  name?: string;
  handles: Handles;
  versioned: boolean;
  /** The target table's columns as the definition declares them (JSON, checked where a table is created from them). */
  columns?: unknown;
  /** The checkpoint name of the projector that keeps the model. */
  projector?: string;
}

/** What the definition said it handles, checked field by field (it was written by the definition's code). */
function loadedInfo(raw: unknown): LoadedInfo {
  const info = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const h = (info.handles !== null && typeof info.handles === 'object' ? info.handles : {}) as Record<string, unknown>;
  const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined);
  const handles: Handles = {};
  const types = strings(h.types);
  const categories = strings(h.categories);
  if (types) handles.types = types;
  if (categories) handles.categories = categories;
  return {
    ...(typeof info.name === 'string' ? { name: info.name } : {}),
    handles,
    versioned: info.versioned === true,
    ...(info.columns !== undefined && info.columns !== null ? { columns: info.columns } : {}),
    ...(typeof info.projector === 'string' && info.projector.trim() ? { projector: info.projector.trim().slice(0, 255) } : {}),
  };
}

/** The wire form of an event for a definition. */
function eventForDefinition(e: StoredEventView) {
  return {
    streamId: e.streamId,
    category: e.category,
    version: e.version,
    type: e.type,
    data: e.data,
    metadata: e.metadata,
    timestamp: e.timestamp,
    position: e.position ?? null,
    eventId: e.eventId,
  };
}

class SandboxFolder implements ModelFolder {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private batch: readonly StoredEventView[] = [];
  private dead: Error | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly name: string,
    private readonly timeoutMs: number,
    private readonly memoryMb: number,
  ) {
    worker.on('message', (msg: WorkerMessage) => {
      if (!('id' in msg)) return;
      this.pending.get(msg.id)?.resolve(parseAnswer<OkAnswer>(msg.result));
      this.pending.delete(msg.id);
    });
    worker.on('error', (err) =>
      this.die(new Error(`Definition ${name}: the sandbox stopped (${/memory/i.test(err.message) ? `over its ${memoryMb} MB limit` : err.message})`)),
    );
    worker.on('exit', () => this.die(new Error(`Definition ${name}: the sandbox worker exited`)));
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private ask(message: Record<string, unknown>): Promise<Answer> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  /** The answer's fields, or the failure it reports (naming the event the definition failed on). */
  private check(answer: Answer): Extract<Answer, { ok: true }> {
    if (answer.ok) return answer;
    if (answer.memory) {
      // Past its limit outside the heap: the worker holds that memory until it ends.
      const err = new Error(externalMemoryMessage(this.name, this.memoryMb));
      this.die(err);
      void this.worker.terminate();
      throw err;
    }
    const event = this.batch[answer.index];
    const reason = answer.timeout
      ? `a batch took longer than ${this.timeoutMs} ms`
      : `${answer.error.name}: ${answer.error.message}${sandboxHint(answer.error.message)}`;
    if (event) throw new DefinitionFailure(this.name, eventRef(event), reason);
    const first = this.batch[0];
    if (first) throw new DefinitionFailure(this.name, eventRef(first), `${reason} (in the batch starting at this event)`);
    throw new Error(`Definition ${this.name}: ${reason}`);
  }

  async missingKeys(events: readonly StoredEventView[]): Promise<string[]> {
    this.batch = events;
    const answer = this.check(await this.ask({ op: 'missing', events: JSON.stringify(events.map(eventForDefinition)), limit: FOLDER_CACHE_ROWS }));
    return Array.isArray(answer.keys) ? answer.keys.filter((k): k is string => typeof k === 'string') : [];
  }

  async apply(_events: readonly StoredEventView[], loaded: Map<string, ModelRow>): Promise<RowChanges> {
    const answer = this.check(await this.ask({ op: 'apply', loaded: JSON.stringify(Object.fromEntries(loaded)) }));
    const changes: RowChanges = new Map();
    if (!Array.isArray(answer.changes)) return changes;
    for (const entry of answer.changes as unknown[]) {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
      const row: unknown = entry[1];
      changes.set(entry[0], row !== null && typeof row === 'object' && !Array.isArray(row) ? (row as ModelRow) : null);
    }
    return changes;
  }

  async reset(): Promise<void> {
    this.check(await this.ask({ op: 'reset' }));
  }

  async close(): Promise<void> {
    this.die(new Error(`Definition ${this.name}: the folder is closed`));
    await this.worker.terminate();
  }
}

/** Starts a worker for the definition, once a slot of the pool is free; the slot is released when the worker exits, however it ends. */
async function startWorker(name: string, source: string, options: ReadModelSandboxOptions): Promise<{ worker: Worker; info: LoadedInfo }> {
  const timeoutMs = options.timeoutMs ?? READ_MODEL_TIMEOUT_MS;
  const memoryMb = options.memoryMb ?? READ_MODEL_MEMORY_MB;
  const worker = await startPooledWorker(READ_MODEL_WORKER_TEXT, {
    pool: options.pool,
    workerData: { prelude: READ_MODEL_PRELUDE_TEXT, source, filename: definitionFilename(name), timeoutMs },
    memoryMb,
    youngGenerationMb: Math.max(4, Math.min(32, memoryMb / 8)),
  });
  let answer: Answer;
  try {
    answer = await new Promise<Answer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Definition ${name} did not load within ${timeoutMs} ms`)), timeoutMs + 2000);
      worker.once('message', (msg: WorkerMessage) => {
        clearTimeout(timer);
        resolve(parseAnswer<OkAnswer>(msg.result));
      });
      worker.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`Definition ${name}: the sandbox stopped (${/memory/i.test(err.message) ? `over its ${memoryMb} MB limit` : err.message})`));
      });
    });
  } catch (err) {
    await worker.terminate();
    throw err;
  }
  if (!answer.ok) {
    await worker.terminate();
    if (answer.memory) throw new Error(externalMemoryMessage(name, memoryMb));
    const reason = answer.timeout ? `did not finish loading within ${timeoutMs} ms` : `${answer.error.name}: ${answer.error.message}`;
    throw new Error(`Definition ${name} failed to load: ${reason}. Definitions run with JavaScript built-ins only (no require, import or timers).`);
  }
  return { worker, info: loadedInfo(answer.info) };
}

/** A user definition from its source; loads it once to learn what it handles. */
export async function userReadModel(name: string, source: string, options: ReadModelSandboxOptions = {}): Promise<ReadModelDefinition> {
  const probe = await startWorker(name, source, options);
  await probe.worker.terminate();
  return {
    name,
    handles: probe.info.handles,
    versioned: probe.info.versioned,
    ...(probe.info.columns !== undefined ? { declaredColumns: probe.info.columns } : {}),
    ...(probe.info.projector !== undefined ? { projector: probe.info.projector } : {}),
    open: async () => {
      const { worker } = await startWorker(name, source, options);
      return new SandboxFolder(worker, name, options.timeoutMs ?? READ_MODEL_TIMEOUT_MS, options.memoryMb ?? READ_MODEL_MEMORY_MB);
    },
  };
}
