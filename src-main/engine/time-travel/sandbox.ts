/**
 * Runs a projection definition (plain JavaScript, see resources/projections/README.md)
 * over events off the main thread.
 *
 * Isolation, layer by layer:
 * - a `worker_threads` Worker with `resourceLimits` (heap cap): a huge allocation
 *   kills that worker only;
 * - inside it, a `node:vm` context made from a null-prototype object, with
 *   `codeGeneration: {strings: false, wasm: false}` (no eval / new Function, so no
 *   `this.constructor.constructor('return process')()`), and no host objects in it:
 *   only strings and numbers cross the boundary (events go in as JSON text and are
 *   parsed by the context's own JSON; states come out as JSON text);
 * - every evaluation runs with a `timeout`, microtasks included
 *   (`microtaskMode: 'afterEvaluate'`), and the parent keeps its own watchdog that
 *   terminates the worker if it stops answering.
 *
 * The event being applied is published in a SharedArrayBuffer, so even when the
 * worker dies (out of memory) the error names the event. A failed run is dead:
 * start another one.
 */
import { Worker } from 'node:worker_threads';
import type { StoredEventView } from '../../stores/event-store';

export const DEFAULT_BATCH_TIMEOUT_MS = 2000;
export const DEFAULT_MEMORY_MB = 64;
export const DEFAULT_BATCH_SIZE = 1000;

export interface SandboxOptions {
  /** Time limit of one evaluation (a definition load, one `apply` batch). */
  timeoutMs?: number;
  /** Old-generation heap of the worker, in MB. */
  memoryMb?: number;
  /** Start from this state instead of `definition.init()` (e.g. a snapshot's). */
  initialState?: unknown;
}

export interface DefinitionInfo {
  name: string;
  appliesTo: { types?: string[]; categories?: string[]; streamPrefix?: string };
  handlerTypes: string[];
  hasAny: boolean;
  upcasterTypes: string[];
}

export interface SandboxEventRef {
  streamId: string;
  version: number;
  type: string;
}

export type SandboxErrorKind = 'definition' | 'handler' | 'timeout' | 'memory' | 'crashed' | 'closed';

export class SandboxError extends Error {
  constructor(
    message: string,
    readonly kind: SandboxErrorKind,
    readonly event?: SandboxEventRef,
    /** `definition:account.js:12:7`, when the error came from the definition's code. */
    readonly location?: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

/** An event as a definition's upcasters turned it, before its handler saw it. */
export interface UpcastEvent {
  type: string;
  data: unknown;
  metadata: unknown;
}

export interface SandboxStep {
  event: SandboxEventRef;
  before: unknown;
  after: unknown;
  /** Present when an upcaster changed the event. */
  upcast?: UpcastEvent;
}

export interface ApplyOptions {
  /** Return each event's before/after states (for a step-through window). */
  steps?: boolean;
  /** Return the state after the batch (default true). */
  state?: boolean;
}

export interface ApplyResult {
  state?: unknown;
  steps?: SandboxStep[];
  applied: number;
}

/**
 * The wire form of a batch: `{s: streamId, c: category, k?: metadataKeys, e: [tuple, ...]}` with one
 * REPLAY_TUPLE per event (the stream's id and category once, not per event), so the
 * worker parses as little JSON as it can; the prelude rebuilds the event objects a
 * definition sees. A tuple may carry its own streamId / category at indexes 9 and 10;
 * `k` names metadata keys to read a null correlation / causation id from.
 */
export const REPLAY_TUPLE = ['version', 'type', 'data', 'metadata', 'timestamp', 'position', 'eventId', 'correlationId', 'causationId', 'streamId', 'category'] as const;

/** Encodes events for `applyEncoded`. */
export function encodeBatch(events: readonly StoredEventView[]): string {
  const first = events[0];
  const streamId = first?.streamId ?? '';
  const category = first?.category ?? null;
  const tuples = events.map((e) => {
    const tuple: unknown[] = [e.version, e.type, e.data, e.metadata, e.timestamp, e.position ?? null, e.eventId, e.correlationId ?? null, e.causationId ?? null];
    if (e.streamId !== streamId || e.category !== category) tuple.push(e.streamId, e.category);
    return tuple;
  });
  return JSON.stringify({ s: streamId, c: category, e: tuples });
}

/** Evaluated in the context BEFORE the definition: captures the built-ins it needs, so a definition cannot tamper with them. */
const PRELUDE = String.raw`
const __chronoscope = (() => {
  'use strict';
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const hasOwn = Object.hasOwn;
  const keys = Object.keys;
  const isArray = Array.isArray;
  const Str = String;
  const store = Atomics.store;
  const progressBuffer = new SharedArrayBuffer(8);
  const progress = new Int32Array(progressBuffer);
  let def = null;
  let state;

  function errorInfo(e) {
    try {
      if (e !== null && typeof e === 'object') {
        return { name: Str(e.name), message: Str(e.message), stack: typeof e.stack === 'string' ? e.stack : '' };
      }
      return { name: 'Error', message: 'threw ' + Str(e), stack: '' };
    } catch (_) {
      return { name: 'Error', message: 'threw a value that cannot be described', stack: '' };
    }
  }

  function load() {
    const d = globalThis.definition;
    if (d === null || typeof d !== 'object') throw new TypeError('the script must assign an object to the global "definition"');
    if (typeof d.name !== 'string' || d.name.length === 0) throw new TypeError('definition.name must be a non-empty string');
    if (typeof d.init !== 'function') throw new TypeError('definition.init must be a function returning the initial state');
    const handlers = d.handlers === undefined ? {} : d.handlers;
    if (handlers === null || typeof handlers !== 'object') throw new TypeError('definition.handlers must be an object of functions');
    for (const k of keys(handlers)) if (typeof handlers[k] !== 'function') throw new TypeError('definition.handlers.' + k + ' is not a function');
    if (d.any !== undefined && typeof d.any !== 'function') throw new TypeError('definition.any must be a function');
    const upcasters = d.upcasters === undefined ? {} : d.upcasters;
    if (upcasters === null || typeof upcasters !== 'object') throw new TypeError('definition.upcasters must be an object');
    const a = d.appliesTo === undefined ? {} : d.appliesTo;
    const appliesTo = {};
    if (a && isArray(a.types)) appliesTo.types = a.types.map(Str);
    if (a && isArray(a.categories)) appliesTo.categories = a.categories.map(Str);
    if (a && typeof a.streamPrefix === 'string') appliesTo.streamPrefix = a.streamPrefix;
    def = { name: d.name, init: d.init, handlers: handlers, any: d.any, upcasters: upcasters };
    return stringify({ name: d.name, appliesTo: appliesTo, handlerTypes: keys(handlers), hasAny: typeof d.any === 'function', upcasterTypes: keys(upcasters) });
  }

  function reset(stateJson) {
    state = stateJson === undefined ? def.init() : parse(stateJson);
    if (state === undefined) throw new TypeError('definition.init() returned undefined');
    return 'ok';
  }

  function upcast(event) {
    for (let guard = 0; guard < 100; guard++) {
      const byVersion = hasOwn(def.upcasters, event.type) ? def.upcasters[event.type] : undefined;
      if (!byVersion) return event;
      const meta = event.metadata !== null && typeof event.metadata === 'object' ? event.metadata : {};
      const from = typeof meta.schemaVersion === 'number' ? meta.schemaVersion : 1;
      const fn = hasOwn(byVersion, Str(from)) ? byVersion[from] : undefined;
      if (typeof fn !== 'function') return event;
      const next = fn(event);
      if (next === null || typeof next !== 'object') throw new TypeError('upcaster ' + event.type + ' v' + from + ' returned ' + Str(next));
      const nextMeta = next.metadata !== null && typeof next.metadata === 'object' ? next.metadata : {};
      if (nextMeta.schemaVersion === from || nextMeta.schemaVersion === undefined) next.metadata = Object.assign({}, nextMeta, { schemaVersion: from + 1 });
      event = next;
    }
    throw new RangeError('upcasters of ' + event.type + ' do not terminate');
  }

  // The event object a definition sees, from one tuple of the wire form (see REPLAY_TUPLE).
  function idOf(batch, t, index, key) {
    if (t[index] !== null || !batch.k || typeof batch.k[key] !== 'string') return t[index];
    const m = t[3];
    const v = m !== null && typeof m === 'object' && !isArray(m) && hasOwn(m, batch.k[key]) ? m[batch.k[key]] : undefined;
    return typeof v === 'string' ? v : typeof v === 'number' ? Str(v) : null;
  }

  function eventOf(batch, t) {
    return {
      streamId: t.length > 9 ? t[9] : batch.s,
      category: t.length > 10 ? t[10] : batch.c,
      version: t[0],
      position: t[5],
      eventId: t[6],
      type: t[1],
      timestamp: t[4],
      data: t[2],
      metadata: t[3],
      correlationId: idOf(batch, t, 7, 'correlationId'),
      causationId: idOf(batch, t, 8, 'causationId'),
    };
  }

  function apply(batchJson, wantSteps, wantState) {
    const batch = parse(batchJson);
    const events = batch.e;
    const steps = wantSteps ? [] : undefined;
    for (let i = 0; i < events.length; i++) {
      store(progress, 0, i);
      try {
        const raw = eventOf(batch, events[i]);
        const before = wantSteps ? stringify(state) : undefined;
        const event = upcast(raw);
        const fn = hasOwn(def.handlers, event.type) ? def.handlers[event.type] : def.any;
        if (typeof fn === 'function') {
          const next = fn(state, event);
          if (next === undefined) throw new TypeError('the handler of ' + event.type + ' returned undefined (return the state, changed or not)');
          state = next;
        }
        if (steps) {
          // An upcaster ran: the event as the handler saw it goes beside the stored one.
          const upcastEvent = event !== raw ? parse(stringify({ type: event.type, data: event.data === undefined ? null : event.data, metadata: event.metadata === undefined ? null : event.metadata })) : undefined;
          steps.push({ before: before === undefined ? null : parse(before), after: parse(stringify(state)), upcast: upcastEvent });
        }
      } catch (e) {
        return stringify({ ok: false, index: i, error: errorInfo(e) });
      }
    }
    store(progress, 0, -1);
    return stringify({ ok: true, state: wantState ? state : undefined, steps: steps });
  }

  function current() {
    return stringify({ ok: true, state: state });
  }

  return { progressBuffer: progressBuffer, load: load, reset: reset, apply: apply, current: current, errorInfo: errorInfo };
})();
`;

/** The worker's own code (CommonJS, evaluated by `new Worker(code, {eval: true})`). */
const WORKER = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const vm = require('node:vm');
const { prelude, source, filename, timeoutMs } = workerData;
const ctx = vm.createContext(Object.create(null), {
  name: filename,
  codeGeneration: { strings: false, wasm: false },
  microtaskMode: 'afterEvaluate',
});
const run = (code, file) => new vm.Script(code, { filename: file }).runInContext(ctx, { timeout: timeoutMs, breakOnSigint: false });
function describe(e) {
  if (e && e.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return { kind: 'timeout', name: 'TimeoutError', message: String(e.message), stack: '' };
  return { kind: 'error', name: String(e && e.name), message: String(e && e.message), stack: String(e && e.stack) };
}
// Only primitives go in, as a plain data property (never through a setter the definition could define).
const setInput = (value) => Object.defineProperty(ctx, '__input', { value, writable: true, configurable: true, enumerable: false });
let progress;
try {
  run(prelude, 'chronoscope:prelude');
  progress = run('__chronoscope.progressBuffer', 'chronoscope:call');
} catch (e) {
  parentPort.postMessage({ type: 'fatal', error: describe(e) });
}
parentPort.postMessage({ type: 'progress', buffer: progress });
let loaded = false;
try {
  run(source, filename);
  const info = run('__chronoscope.load()', 'chronoscope:call');
  loaded = true;
  parentPort.postMessage({ type: 'loaded', info: String(info) });
} catch (e) {
  parentPort.postMessage({ type: 'load-failed', error: describe(e) });
}
parentPort.on('message', (msg) => {
  if (!loaded) return;
  try {
    if (msg.op === 'reset') {
      setInput(msg.state);
      run(msg.state === undefined ? '__chronoscope.reset()' : '__chronoscope.reset(__input)', 'chronoscope:call');
      setInput(undefined);
      parentPort.postMessage({ id: msg.id, ok: true, result: '{"ok":true}' });
    } else if (msg.op === 'apply') {
      setInput(msg.batch);
      const out = run('__chronoscope.apply(__input, ' + (msg.steps ? 'true' : 'false') + ', ' + (msg.state ? 'true' : 'false') + ')', 'chronoscope:call');
      setInput(undefined);
      parentPort.postMessage({ id: msg.id, ok: true, result: String(out) });
    } else if (msg.op === 'current') {
      parentPort.postMessage({ id: msg.id, ok: true, result: String(run('__chronoscope.current()', 'chronoscope:call')) });
    }
  } catch (e) {
    parentPort.postMessage({ id: msg.id, ok: false, error: describe(e) });
  }
});
`;

interface WireError {
  kind?: string;
  name: string;
  message: string;
  stack: string;
}

type WorkerMessage =
  | { type: 'progress'; buffer: SharedArrayBuffer | undefined }
  | { type: 'loaded'; info: string }
  | { type: 'load-failed' | 'fatal'; error: WireError }
  | { id: number; ok: true; result: string }
  | { id: number; ok: false; error: WireError };

interface Pending {
  resolve: (result: string) => void;
  reject: (err: Error) => void;
  batch: readonly SandboxEventRef[];
  timer: NodeJS.Timeout;
}

/** `definition:account.js`: the file name the definition's stack frames carry. */
export function definitionFilename(name: string): string {
  const safe = name.replace(/[^\w.-]+/g, '_') || 'definition';
  return `definition:${safe.endsWith('.js') ? safe : `${safe}.js`}`;
}

/**
 * The first stack frame in the definition's own file: `definition:account.js:12:7`.
 * A syntax error carries no column (`definition:account.js:12` heads its stack).
 */
export function definitionLocation(stack: string, filename: string): { location: string; line: number } | undefined {
  const escaped = filename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`(${escaped}):(\\d+):(\\d+)`).exec(stack) ?? new RegExp(`(${escaped}):(\\d+)`).exec(stack);
  if (!m || m[2] === undefined) return undefined;
  return { location: m[0], line: Number(m[2]) };
}

const HOST_ONLY = /^(?:(?:require|process|module|exports|global|Buffer|setTimeout|setInterval|fetch) is not defined|Cannot use import statement|Unexpected token 'export')/;

/** Why a Node-style script fails here: definitions see JavaScript built-ins only. */
export function sandboxHint(message: string): string {
  return HOST_ONLY.test(message) ? '. Definitions run in a sandbox with JavaScript built-ins only: no require, import, export, process or timers.' : '';
}

function describeEvent(e: SandboxEventRef | undefined): string {
  return e ? ` at event ${e.type} (stream ${e.streamId}, version ${e.version})` : '';
}

/** One definition loaded in its own worker; keeps the state between `apply` calls. */
export class Sandbox {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private progress: Int32Array | undefined;
  private dead: SandboxError | undefined;
  private exited = false;

  private constructor(
    private readonly worker: Worker,
    private readonly filename: string,
    private readonly timeoutMs: number,
    readonly info: DefinitionInfo,
  ) {}

  /** Loads the definition in a fresh worker and initialises the state. */
  static async start(source: string, name: string, options: SandboxOptions = {}): Promise<Sandbox> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_BATCH_TIMEOUT_MS;
    const memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
    const filename = definitionFilename(name);
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: { prelude: PRELUDE, source, filename, timeoutMs },
      resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.max(4, Math.min(16, memoryMb / 4)), stackSizeMb: 4 },
      stdout: true,
      stderr: true,
      env: {},
    });
    let progress: Int32Array | undefined;
    const info = await new Promise<DefinitionInfo>((resolve, reject) => {
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new SandboxError(`Definition ${name} did not load within ${timeoutMs} ms`, 'timeout'));
      }, timeoutMs + 2000);
      const fail = (err: SandboxError): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        void worker.terminate();
        reject(err);
      };
      const onMessage = (msg: WorkerMessage): void => {
        if ('type' in msg && msg.type === 'progress') {
          if (msg.buffer) progress = new Int32Array(msg.buffer);
        } else if ('type' in msg && msg.type === 'loaded') {
          clearTimeout(timer);
          worker.off('message', onMessage);
          worker.off('error', onError);
          resolve(JSON.parse(msg.info) as DefinitionInfo);
        } else if ('type' in msg) {
          const where = definitionLocation(msg.error.stack, filename);
          const reason = msg.error.kind === 'timeout' ? `did not finish loading within ${timeoutMs} ms` : `failed to load: ${msg.error.name}: ${msg.error.message}`;
          fail(new SandboxError(`Definition ${name} ${reason}${where ? ` (${where.location})` : ''}${sandboxHint(msg.error.message)}`, msg.type === 'fatal' ? 'crashed' : msg.error.kind === 'timeout' ? 'timeout' : 'definition', undefined, where?.location, where?.line));
        }
      };
      const onError = (err: Error): void => fail(memoryOrCrash(err, name, undefined, memoryMb));
      worker.on('message', onMessage);
      worker.once('error', onError);
    });
    const sandbox = new Sandbox(worker, filename, timeoutMs, info);
    sandbox.progress = progress;
    worker.on('message', (msg: WorkerMessage) => sandbox.onMessage(msg));
    worker.on('error', (err) => sandbox.die(memoryOrCrash(err, info.name, sandbox.currentEvent(), memoryMb)));
    worker.on('exit', () => {
      sandbox.exited = true;
      sandbox.die(new SandboxError(`Definition ${info.name}: the sandbox worker exited${describeEvent(sandbox.currentEvent())}`, 'crashed', sandbox.currentEvent()));
    });
    await sandbox.reset(options.initialState);
    return sandbox;
  }

  private batch: readonly SandboxEventRef[] = [];

  /** Replaces the state: `definition.init()` when `state` is undefined. */
  reset(state?: unknown): Promise<void> {
    return this.enqueue({ op: 'reset', state: state === undefined ? undefined : JSON.stringify(state) }, []).then(() => undefined);
  }

  /** Folds the events, in order, into the state. */
  apply(events: readonly StoredEventView[], options: ApplyOptions = {}): Promise<ApplyResult> {
    const refs = events.map((e) => ({ streamId: e.streamId, version: e.version, type: e.type }));
    return this.applyEncoded(encodeBatch(events), refs, options);
  }

  /** Folds a batch already in wire form (`encodeBatch`, or a store's ReplayPage); `refs` name its events in errors. */
  applyEncoded(batch: string, refs: readonly SandboxEventRef[], options: ApplyOptions = {}): Promise<ApplyResult> {
    const wantState = options.state ?? true;
    return this.enqueue({ op: 'apply', batch, steps: options.steps === true, state: wantState }, refs).then((text) => {
      const out = JSON.parse(text) as
        | { ok: true; state?: unknown; steps?: { before: unknown; after: unknown; upcast?: UpcastEvent }[] }
        | { ok: false; index: number; error: WireError };
      if (!out.ok) {
        const event = refs[out.index];
        const where = definitionLocation(out.error.stack, this.filename);
        const err = new SandboxError(
          `Definition ${this.info.name} threw ${out.error.name}: ${out.error.message}${describeEvent(event)}${where ? ` (${where.location})` : ''}${sandboxHint(out.error.message)}`,
          'handler',
          event,
          where?.location,
          where?.line,
        );
        this.die(err);
        throw err;
      }
      const result: ApplyResult = { applied: refs.length };
      if (wantState) result.state = out.state === undefined ? null : out.state;
      if (out.steps) result.steps = out.steps.map((s, i) => ({ event: refs[i]!, before: s.before, after: s.after, ...(s.upcast ? { upcast: s.upcast } : {}) }));
      return result;
    });
  }

  /** The current state. */
  state(): Promise<unknown> {
    return this.enqueue({ op: 'current' }, []).then((text) => (JSON.parse(text) as { state?: unknown }).state ?? null);
  }

  /** Whether the run can still be used (false after any failure or close). */
  get alive(): boolean {
    return this.dead === undefined;
  }

  async close(): Promise<void> {
    this.die(new SandboxError(`Definition ${this.info.name}: the run is closed`, 'closed'));
    if (!this.exited) await this.worker.terminate();
  }

  private enqueue(message: Record<string, unknown>, batch: readonly SandboxEventRef[]): Promise<string> {
    const next = this.chain.then(
      () =>
        new Promise<string>((resolve, reject) => {
          if (this.dead) {
            reject(this.dead);
            return;
          }
          const id = this.nextId++;
          this.batch = batch;
          if (this.progress) Atomics.store(this.progress, 0, -1);
          // The worker enforces timeoutMs itself; this watchdog only catches a worker that stopped answering.
          const timer = setTimeout(() => {
            const event = this.currentEvent();
            this.die(new SandboxError(`Definition ${this.info.name} did not finish within ${this.timeoutMs} ms${describeEvent(event)}`, 'timeout', event));
          }, this.timeoutMs * 2 + 1000);
          this.pending.set(id, { resolve, reject, batch, timer });
          this.worker.postMessage({ ...message, id });
        }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }

  private currentEvent(): SandboxEventRef | undefined {
    if (!this.progress) return undefined;
    const index = Atomics.load(this.progress, 0);
    return index >= 0 ? this.batch[index] : undefined;
  }

  private onMessage(msg: WorkerMessage): void {
    if (!('id' in msg)) return;
    const pending = this.pending.get(msg.id);
    if (!pending) return;
    this.pending.delete(msg.id);
    clearTimeout(pending.timer);
    if (msg.ok) {
      pending.resolve(msg.result);
      return;
    }
    const event = this.currentEvent();
    const err =
      msg.error.kind === 'timeout'
        ? new SandboxError(`Definition ${this.info.name} did not finish within ${this.timeoutMs} ms (runaway loop?)${describeEvent(event)}`, 'timeout', event)
        : new SandboxError(`Definition ${this.info.name} failed: ${msg.error.name}: ${msg.error.message}${describeEvent(event)}`, 'crashed', event);
    pending.reject(err);
    this.die(err);
  }

  /** Marks the run failed, rejects what waits and terminates the worker. */
  private die(err: SandboxError): void {
    if (this.dead) return;
    this.dead = err;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
    if (!this.exited) void this.worker.terminate();
  }
}

function memoryOrCrash(err: Error & { code?: string }, name: string, event: SandboxEventRef | undefined, memoryMb: number): SandboxError {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new SandboxError(`Definition ${name} ran out of memory (limit ${memoryMb} MB)${describeEvent(event)}`, 'memory', event);
  }
  return new SandboxError(`Definition ${name}: the sandbox worker crashed: ${err.message}${describeEvent(event)}`, 'crashed', event);
}
