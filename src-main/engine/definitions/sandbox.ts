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
 * - the heap cap does not bound ArrayBuffers and typed arrays: the context counts them
 *   against the same limit and refuses past it (external-memory-guard.js), and the worker
 *   checks what it holds after every call; past the limit the run is stopped;
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
import { encodeBatch, REPLAY_TUPLE } from '../../stores/replay-wire';
import { externalMemoryMessage, parseAnswer, startPooledWorker, type FailedAnswer, type WireError } from './sandbox-host';
import type { SandboxPool } from './sandbox-pool';
import { SANDBOX_PRELUDE_TEXT, SANDBOX_WORKER_TEXT } from './sandbox-text.generated';

export const DEFAULT_BATCH_TIMEOUT_MS = 2000;
export const DEFAULT_MEMORY_MB = 64;
export const DEFAULT_BATCH_SIZE = 1000;

export interface SandboxOptions {
  /** Time limit of one evaluation (a definition load, one `apply` batch). */
  timeoutMs?: number;
  /** Old-generation heap of the worker, in MB; also the limit on what the definition holds outside the heap (ArrayBuffers). */
  memoryMb?: number;
  /** Start from this state instead of `definition.init()` (e.g. a snapshot's). */
  initialState?: unknown;
  /** The pool whose slot the worker holds while it lives; the process-wide one by default. */
  pool?: SandboxPool;
  /** Cancels the start: leaves the line when still waiting for a slot, stops the worker while it loads. */
  signal?: AbortSignal | undefined;
  /** Called while the start waits for a slot, with its place in line. */
  onQueued?: ((ahead: number) => void) | undefined;
}

/** A state field holding an amount in minor units (cents), and where its currency comes from. */
export interface MoneyField {
  /** Another state field holding the ISO currency code (e.g. `currency`). */
  currencyField?: string;
  /** A fixed currency code, when the state has none. */
  currency?: string;
  /** Minor units per major unit as a power of ten: 2 for cents (the default). */
  scale?: number;
}

export interface DefinitionInfo {
  name: string;
  appliesTo: { types?: string[]; categories?: string[]; streamPrefix?: string };
  /** State fields (dot paths) that hold money, so screens can show `3,055.48 EUR` beside `305548`. */
  money?: Record<string, MoneyField>;
  handlerTypes: string[];
  hasAny: boolean;
  upcasterTypes: string[];
}

export interface SandboxEventRef {
  streamId: string;
  version: number;
  type: string;
}

/**
 * The events of a batch, for error messages: an array, or a view that finds them only when
 * asked (a replay page whose refs would cost an object per event and are read on failure only).
 */
export interface EventRefs {
  readonly length: number;
  at(index: number): SandboxEventRef | undefined;
}

/** The batch's event at `index`, none outside it (never `at`'s count from the end). */
function refAt(refs: EventRefs, index: number): SandboxEventRef | undefined {
  return index >= 0 && index < refs.length ? refs.at(index) : undefined;
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

/** One batch of `Sandbox.applyMany`. */
export interface ManyItem {
  /** The batch in wire form (replay-wire.ts), in two parts spliced as they are: `"s":…,"c":…[,"k":…]` and the JSON array of tuples. */
  header: string;
  events: string;
  /** Names its events in errors. */
  refs: readonly SandboxEventRef[];
  /** Start from `definition.init()` before it (a new stream). */
  reset: boolean;
  /** Return the state after it. */
  state: boolean;
}

/** What one item of `applyMany` gave: a state (when asked), a failure of its stream, or skipped after one. */
export type ManyOutcome = { ok: true; state?: unknown } | { ok: false; error: SandboxError } | { ok: false; skipped: true };

export interface ApplyResult {
  state?: unknown;
  steps?: SandboxStep[];
  applied: number;
}

/** Evaluated in the context BEFORE the definition: captures the built-ins it needs, so a definition cannot tamper with them. */
const PRELUDE = SANDBOX_PRELUDE_TEXT;

/**
 * The worker's own code (CommonJS, evaluated by `new Worker(code, {eval: true})`).
 * Strict, so that stack frames of its functions expose neither the function nor
 * `this` to a CallSite. It never reads a property of a value of the context: the
 * prelude answers with text, anything else is refused, and a thrown value of the
 * context goes back into the context to be described there.
 */
const WORKER = SANDBOX_WORKER_TEXT;

type OkAnswer = { ok: true; info?: DefinitionInfo; state?: unknown; steps?: { before: unknown; after: unknown; upcast?: UpcastEvent }[]; out?: unknown[] };
type Answer = OkAnswer | FailedAnswer;

type WorkerMessage =
  { type: 'progress'; buffer: SharedArrayBuffer | undefined } | { type: 'loaded'; result: string } | { type: 'fatal' } | { id: number; result: string };

interface Pending {
  resolve: (result: Answer) => void;
  reject: (err: Error) => void;
  batch: EventRefs;
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

const HOST_ONLY =
  /^(?:(?:require|process|module|exports|global|Buffer|setTimeout|setInterval|fetch) is not defined|Cannot use import statement|Unexpected token 'export')/;

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
    private readonly memoryMb: number,
    readonly info: DefinitionInfo,
  ) {}

  /** Loads the definition in a fresh worker and initialises the state. */
  static async start(source: string, name: string, options: SandboxOptions = {}): Promise<Sandbox> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_BATCH_TIMEOUT_MS;
    const memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
    const filename = definitionFilename(name);
    const { signal } = options;
    const worker = await startPooledWorker(WORKER, {
      pool: options.pool,
      signal,
      onQueued: options.onQueued,
      workerData: { prelude: PRELUDE, replayTuple: [...REPLAY_TUPLE], source, filename, timeoutMs },
      memoryMb,
      youngGenerationMb: Math.max(4, Math.min(16, memoryMb / 4)),
    });
    let progress: Int32Array | undefined;
    const info = await new Promise<DefinitionInfo>((resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        void worker.terminate();
        reject(new SandboxError(`Definition ${name} did not load within ${timeoutMs} ms`, 'timeout'));
      }, timeoutMs + 2000);
      const fail = (err: unknown): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        worker.off('message', onMessage);
        void worker.terminate();
        reject(err);
      };
      const onAbort = (): void => fail(signal?.reason);
      const onMessage = (msg: WorkerMessage): void => {
        if ('type' in msg && msg.type === 'progress') {
          if (msg.buffer instanceof SharedArrayBuffer) progress = new Int32Array(msg.buffer);
        } else if ('type' in msg && msg.type === 'fatal') {
          fail(new SandboxError(`Definition ${name}: the sandbox could not start`, 'crashed'));
        } else if ('type' in msg && msg.type === 'loaded') {
          const answer = parseAnswer<OkAnswer>(msg.result);
          if (answer.ok) {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            worker.off('message', onMessage);
            worker.off('error', onError);
            resolve(definitionInfo(answer.info, name));
            return;
          }
          if (answer.memory) {
            fail(new SandboxError(externalMemoryMessage(name, memoryMb), 'memory'));
            return;
          }
          const where = definitionLocation(answer.error.stack, filename);
          const reason = answer.timeout ? `did not finish loading within ${timeoutMs} ms` : `failed to load: ${answer.error.name}: ${answer.error.message}`;
          fail(
            new SandboxError(
              `Definition ${name} ${reason}${where ? ` (${where.location})` : ''}${sandboxHint(answer.error.message)}`,
              answer.timeout ? 'timeout' : 'definition',
              undefined,
              where?.location,
              where?.line,
            ),
          );
        }
      };
      const onError = (err: Error): void => fail(memoryOrCrash(err, name, undefined, memoryMb));
      worker.on('message', onMessage);
      worker.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort(); // between the slot and this line
    });
    const sandbox = new Sandbox(worker, filename, timeoutMs, memoryMb, info);
    sandbox.progress = progress;
    worker.on('message', (msg: WorkerMessage) => sandbox.onMessage(msg));
    worker.on('error', (err) => sandbox.die(memoryOrCrash(err, info.name, sandbox.currentEvent(), memoryMb)));
    worker.on('exit', () => {
      sandbox.exited = true;
      sandbox.die(
        new SandboxError(`Definition ${info.name}: the sandbox worker exited${describeEvent(sandbox.currentEvent())}`, 'crashed', sandbox.currentEvent()),
      );
    });
    await sandbox.reset(options.initialState);
    return sandbox;
  }

  private batch: EventRefs = [];

  /** Replaces the state: `definition.init()` when `state` is undefined. */
  reset(state?: unknown): Promise<void> {
    return this.enqueue({ op: 'reset', state: state === undefined ? undefined : JSON.stringify(state) }, []).then((answer) => {
      if (!answer.ok) throw this.failed(answer, 'init() failed');
    });
  }

  /** Folds the events, in order, into the state. */
  apply(events: readonly StoredEventView[], options: ApplyOptions = {}): Promise<ApplyResult> {
    const refs = events.map((e) => ({ streamId: e.streamId, version: e.version, type: e.type }));
    return this.applyEncoded(encodeBatch(events), refs, options);
  }

  /** Folds a batch already in wire form (replay-wire.ts: `encodeBatch`, or `encodedBatch` of a store's ReplayPage); `refs` name its events in errors. */
  applyEncoded(batch: string, refs: EventRefs, options: ApplyOptions = {}): Promise<ApplyResult> {
    const wantState = options.state ?? true;
    return this.enqueue({ op: 'apply', batch, steps: options.steps === true, state: wantState }, refs).then((out) => {
      if (!out.ok) {
        if (out.timeout || out.memory) throw this.failed(out, '');
        const err = this.thrownAt(out.error, refAt(refs, out.index));
        this.die(err);
        throw err;
      }
      const result: ApplyResult = { applied: refs.length };
      if (wantState) result.state = out.state === undefined ? null : out.state;
      if (Array.isArray(out.steps))
        result.steps = out.steps.map((s, i) => ({ event: refAt(refs, i)!, before: s.before, after: s.after, ...(s.upcast ? { upcast: s.upcast } : {}) }));
      return result;
    });
  }

  /**
   * Folds many batches in one round trip to the worker (replays of many short streams):
   * each item may start from `init()` and may ask for the state after it. A handler
   * that throws fails its item only, the items after it are skipped until the next
   * reset, and the run stays usable; a timeout, a crash or running out of memory
   * rejects the whole call (the run is dead then).
   */
  applyMany(items: readonly ManyItem[]): Promise<ManyOutcome[]> {
    // One join of flat strings: megabytes of tuples are copied once, not once per nesting level.
    const parts: string[] = ['['];
    const refs: SandboxEventRef[] = [];
    for (const [n, item] of items.entries()) {
      parts.push(n === 0 ? '{"r":' : ',{"r":', item.reset ? '1' : '0', ',"w":', item.state ? '1' : '0', ',"b":{', item.header, ',"e":', item.events, '}}');
      for (const ref of item.refs) refs.push(ref);
    }
    parts.push(']');
    const text = parts.join('');
    return this.enqueue({ op: 'applyMany', batch: text }, refs).then((answer) => {
      if (!answer.ok) throw this.failed(answer, 'a batch failed');
      const out = Array.isArray(answer.out) && answer.out.length === items.length ? answer.out : undefined;
      if (!out)
        throw this.failed(
          {
            ok: false,
            timeout: false,
            memory: false,
            index: -1,
            error: { name: 'Error', message: 'the sandbox gave an answer that cannot be read', stack: '' },
          },
          'a batch failed',
        );
      return out.map((raw, n): ManyOutcome => {
        const item = (raw !== null && typeof raw === 'object' ? raw : {}) as { s?: unknown; x?: unknown; i?: unknown; error?: unknown };
        if ('s' in item) return { ok: true, state: item.s === undefined ? null : item.s };
        if (item.x === 1) return { ok: false, skipped: true };
        if (item.error !== undefined) {
          const e = (item.error !== null && typeof item.error === 'object' ? item.error : {}) as Record<string, unknown>;
          const error = {
            name: typeof e.name === 'string' ? e.name : 'Error',
            message: typeof e.message === 'string' ? e.message : '',
            stack: typeof e.stack === 'string' ? e.stack : '',
          };
          const index = typeof item.i === 'number' ? item.i : -1;
          return { ok: false, error: index >= 0 ? this.thrownAt(error, items[n]!.refs[index]) : this.initFailed(error) };
        }
        return { ok: true };
      });
    });
  }

  /** The error of a handler (or upcaster) that threw at an event. */
  private thrownAt(error: WireError, event: SandboxEventRef | undefined): SandboxError {
    const where = definitionLocation(error.stack, this.filename);
    return new SandboxError(
      `Definition ${this.info.name} threw ${error.name}: ${error.message}${describeEvent(event)}${where ? ` (${where.location})` : ''}${sandboxHint(error.message)}`,
      'handler',
      event,
      where?.location,
      where?.line,
    );
  }

  /** init() failed, or the state could not be turned into JSON. */
  private initFailed(error: WireError): SandboxError {
    const where = definitionLocation(error.stack, this.filename);
    return new SandboxError(
      `Definition ${this.info.name}: ${error.name}: ${error.message}${where ? ` (${where.location})` : ''}${sandboxHint(error.message)}`,
      'definition',
      undefined,
      where?.location,
      where?.line,
    );
  }

  /** The current state. */
  state(): Promise<unknown> {
    return this.enqueue({ op: 'current' }, []).then((answer) => {
      if (!answer.ok) throw this.failed(answer, 'its state cannot be read');
      return answer.state ?? null;
    });
  }

  /** The SandboxError of a failed answer (the run is dead after it). */
  private failed(answer: Extract<Answer, { ok: false }>, what: string): SandboxError {
    const event = this.currentEvent();
    const where = definitionLocation(answer.error.stack, this.filename);
    const err = answer.memory
      ? new SandboxError(externalMemoryMessage(this.info.name, this.memoryMb), 'memory', event)
      : answer.timeout
        ? new SandboxError(`Definition ${this.info.name} did not finish within ${this.timeoutMs} ms (runaway loop?)${describeEvent(event)}`, 'timeout', event)
        : new SandboxError(
            `Definition ${this.info.name}: ${what}: ${answer.error.name}: ${answer.error.message}${describeEvent(event)}${where ? ` (${where.location})` : ''}${sandboxHint(answer.error.message)}`,
            'definition',
            event,
            where?.location,
            where?.line,
          );
    this.die(err);
    return err;
  }

  /** Whether the run can still be used (false after any failure or close). */
  get alive(): boolean {
    return this.dead === undefined;
  }

  async close(): Promise<void> {
    this.die(new SandboxError(`Definition ${this.info.name}: the run is closed`, 'closed'));
    if (!this.exited) await this.worker.terminate();
  }

  private enqueue(message: Record<string, unknown>, batch: EventRefs): Promise<Answer> {
    const next = this.chain.then(
      () =>
        new Promise<Answer>((resolve, reject) => {
          if (this.dead) {
            reject(this.dead);
            return;
          }
          const id = this.nextId++;
          this.batch = batch;
          if (this.progress) Atomics.store(this.progress, 0, -1);
          // The worker enforces timeoutMs itself; this watchdog only catches a worker that stopped answering.
          const timer = setTimeout(
            () => {
              const event = this.currentEvent();
              this.die(new SandboxError(`Definition ${this.info.name} did not finish within ${this.timeoutMs} ms${describeEvent(event)}`, 'timeout', event));
            },
            this.timeoutMs * 2 + 1000,
          );
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
    return refAt(this.batch, index);
  }

  private onMessage(msg: WorkerMessage): void {
    if (!('id' in msg)) return;
    const pending = this.pending.get(msg.id);
    if (!pending) return;
    this.pending.delete(msg.id);
    clearTimeout(pending.timer);
    pending.resolve(parseAnswer<OkAnswer>(msg.result));
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

/** The definition's description, checked field by field (it was written by the definition's code). */
function definitionInfo(raw: unknown, fallbackName: string): DefinitionInfo {
  const info = (raw !== null && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const a = (info.appliesTo !== null && typeof info.appliesTo === 'object' ? info.appliesTo : {}) as Record<string, unknown>;
  const appliesTo: DefinitionInfo['appliesTo'] = {};
  if (Array.isArray(a.types)) appliesTo.types = strings(a.types);
  if (Array.isArray(a.categories)) appliesTo.categories = strings(a.categories);
  if (typeof a.streamPrefix === 'string') appliesTo.streamPrefix = a.streamPrefix;
  const money = moneyFields(info.money);
  return {
    name: typeof info.name === 'string' && info.name.length > 0 ? info.name : fallbackName,
    appliesTo,
    ...(money ? { money } : {}),
    handlerTypes: strings(info.handlerTypes),
    hasAny: info.hasAny === true,
    upcasterTypes: strings(info.upcasterTypes),
  };
}

/** `money` as declared, each field checked (paths and codes of sane length, scale 0 to 6); undefined when none is usable. */
function moneyFields(raw: unknown): Record<string, MoneyField> | undefined {
  if (raw === null || typeof raw !== 'object') return undefined;
  const fields: Record<string, MoneyField> = {};
  for (const [path, spec] of Object.entries(raw as Record<string, unknown>).slice(0, 50)) {
    if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(path) || path.length > 200 || spec === null || typeof spec !== 'object') continue;
    const { currencyField, currency, scale } = spec as Record<string, unknown>;
    fields[path] = {
      ...(typeof currencyField === 'string' && currencyField.length <= 200 ? { currencyField } : {}),
      ...(typeof currency === 'string' && /^[A-Z]{3}$/.test(currency) ? { currency } : {}),
      ...(typeof scale === 'number' && Number.isInteger(scale) && scale >= 0 && scale <= 6 ? { scale } : {}),
    };
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

function memoryOrCrash(err: Error & { code?: string }, name: string, event: SandboxEventRef | undefined, memoryMb: number): SandboxError {
  if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return new SandboxError(`Definition ${name} ran out of memory (limit ${memoryMb} MB)${describeEvent(event)}`, 'memory', event);
  }
  return new SandboxError(`Definition ${name}: the sandbox worker crashed: ${err.message}${describeEvent(event)}`, 'crashed', event);
}
