/**
 * The one adapter between rebuilds and the definitions sandbox: a user read-model
 * definition runs in a worker thread, in a vm context with JavaScript built-ins
 * only (no require, timers, process, code generation from strings), under a
 * memory limit and a time limit per batch, exactly the constraints of time-travel
 * definitions. When the sandbox moves into the shared definitions module, only
 * this file changes.
 *
 * A definition assigns `definition`:
 *   definition = {
 *     name: 'balances',
 *     handles: { types: ['AccountOpened', 'MoneyDeposited'] },   // or { categories: ['Account'] }
 *     key(event) { return event.streamId; },                      // null/undefined: not for this model
 *     apply(row, event) { return { ...row, balance: 1 }; },       // a row, null (delete) or undefined (unchanged)
 *   };
 * Events have streamId, category, version, type, data, metadata, timestamp, position, eventId.
 */
import { Worker } from 'node:worker_threads';
import type { StoredEventView } from '../../stores/event-store';
import { DefinitionFailure, eventRef, FOLDER_CACHE_ROWS, type Handles, type ModelFolder, type ModelRow, type ReadModelDefinition, type RowChanges } from './read-model';

export const READ_MODEL_TIMEOUT_MS = 10_000;
export const READ_MODEL_MEMORY_MB = 256;

/** Runs inside the context, before the definition: captures the built-ins it uses so the definition cannot replace them. */
const PRELUDE = String.raw`
const __readModel = (() => {
  'use strict';
  const parse = JSON.parse, stringify = JSON.stringify, Str = String, isArray = Array.isArray, keysOf = Object.keys;
  const MapC = Map, SetC = Set;
  let d;
  let cache = new MapC();
  let batch = [];
  let keys = [];
  const fail = (index, thrown) => {
    let message;
    try { message = thrown instanceof Error ? thrown.name + ': ' + thrown.message : Str(thrown); } catch { message = 'an unprintable value was thrown'; }
    return stringify({ ok: false, index, message });
  };
  function load() {
    d = globalThis.definition;
    if (d === null || typeof d !== 'object') throw new TypeError('the file must assign definition = { name, handles, key, apply }');
    if (typeof d.key !== 'function') throw new TypeError('definition.key(event) must be a function returning the row key');
    if (typeof d.apply !== 'function') throw new TypeError('definition.apply(row, event) must be a function');
    const h = d.handles || {};
    const types = isArray(h) ? h.map(Str) : isArray(h.types) ? h.types.map(Str) : undefined;
    const categories = isArray(h.categories) ? h.categories.map(Str) : undefined;
    if (!types && !categories) throw new TypeError('definition.handles must list the event types (or categories) the model reads');
    return stringify({ name: typeof d.name === 'string' ? d.name : undefined, handles: { types, categories }, versioned: d.versioned === true });
  }
  function missing(json, limit) {
    if (cache.size > limit) cache = new MapC();
    batch = parse(json);
    keys = new Array(batch.length);
    const out = new SetC();
    for (let i = 0; i < batch.length; i++) {
      let k;
      try { k = d.key(batch[i]); } catch (thrown) { return fail(i, thrown); }
      k = k === null || k === undefined ? null : Str(k);
      keys[i] = k;
      if (k !== null && !cache.has(k)) out.add(k);
    }
    return stringify({ ok: true, keys: [...out] });
  }
  function apply(loadedJson) {
    const loaded = parse(loadedJson);
    for (const k of keys) if (k !== null && !cache.has(k)) cache.set(k, null);
    for (const k of keysOf(loaded)) cache.set(k, loaded[k]);
    const changes = new MapC();
    for (let i = 0; i < batch.length; i++) {
      const k = keys[i];
      if (k === null) continue;
      const row = cache.get(k);
      const e = batch[i];
      if (d.versioned === true && row && typeof row.version === 'number' && e.version <= row.version) continue;
      let next;
      try { next = d.apply(row === null ? undefined : row, e); } catch (thrown) { return fail(i, thrown); }
      if (next === undefined) continue;
      if (next !== null && (typeof next !== 'object' || isArray(next))) return fail(i, new TypeError('apply returned ' + (isArray(next) ? 'an array' : typeof next) + ': return a row object, null to delete it, or undefined'));
      cache.set(k, next);
      changes.set(k, next);
    }
    batch = [];
    let text;
    try { text = stringify([...changes]); } catch (thrown) { return fail(-1, thrown); }
    return '{"ok":true,"changes":' + text + '}';
  }
  function reset() { cache = new MapC(); return 'true'; }
  return { load, missing, apply, reset };
})();
`;

const WORKER = String.raw`'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const vm = require('node:vm');
const { prelude, source, filename, timeoutMs } = workerData;
const ctx = vm.createContext(Object.create(null), { name: filename, codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' });
const options = { timeout: timeoutMs, breakOnSigint: false };
const run = (code, file) => new vm.Script(code, { filename: file }).runInContext(ctx, options);
const setInput = (name, value) => Object.defineProperty(ctx, name, { value, writable: true, configurable: true, enumerable: false });
function call(code) {
  try {
    const out = run(code, 'chronoscope:call');
    return typeof out === 'string' ? { text: out } : { error: 'the sandbox answered with something other than text' };
  } catch (thrown) {
    let message = 'the definition failed';
    try { if (thrown && typeof thrown.message === 'string') message = String(thrown.message); } catch {}
    return { error: message };
  }
}
let evaluated = true;
try {
  run(prelude, 'chronoscope:prelude');
  run(source, filename);
} catch (thrown) {
  evaluated = false;
  let message = 'the definition could not be evaluated';
  try { if (thrown && typeof thrown.message === 'string') message = String(thrown.name) + ': ' + String(thrown.message); } catch {}
  parentPort.postMessage({ loaded: { error: message } });
}
if (evaluated) parentPort.postMessage({ loaded: call('__readModel.load()') });
parentPort.on('message', (msg) => {
  if (msg.op === 'missing') { setInput('__events', msg.events); setInput('__limit', msg.limit); parentPort.postMessage({ id: msg.id, ...call('__readModel.missing(__events, __limit)') }); }
  else if (msg.op === 'apply') { setInput('__loaded', msg.loaded); parentPort.postMessage({ id: msg.id, ...call('__readModel.apply(__loaded)') }); }
  else if (msg.op === 'reset') parentPort.postMessage({ id: msg.id, ...call('__readModel.reset()') });
});
`;

interface Answer {
  id?: number;
  text?: string;
  error?: string;
  loaded?: { text?: string; error?: string };
}

/** The wire form of an event for a definition. */
function eventForDefinition(e: StoredEventView) {
  return { streamId: e.streamId, category: e.category, version: e.version, type: e.type, data: e.data, metadata: e.metadata, timestamp: e.timestamp, position: e.position ?? null, eventId: e.eventId };
}

class SandboxFolder implements ModelFolder {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  private batch: readonly StoredEventView[] = [];
  private dead: Error | undefined;

  constructor(
    private readonly worker: Worker,
    private readonly name: string,
  ) {
    worker.on('message', (msg: Answer) => {
      if (msg.id === undefined) return;
      this.pending.get(msg.id)?.resolve(msg);
      this.pending.delete(msg.id);
    });
    const die = (err: Error) => {
      this.dead = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => die(new Error(`Definition ${name}: the sandbox stopped (${/memory/i.test(err.message) ? `over its ${READ_MODEL_MEMORY_MB} MB limit` : err.message})`)));
    worker.on('exit', () => die(new Error(`Definition ${name}: the sandbox worker exited`)));
  }

  private ask(message: Record<string, unknown>): Promise<Answer> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  private parse(answer: Answer): { ok: true; keys?: string[]; changes?: [string, ModelRow | null][] } {
    if (answer.error !== undefined) {
      const event = this.batch[0];
      const reason = /timed out/i.test(answer.error) ? `a batch took longer than ${READ_MODEL_TIMEOUT_MS} ms` : answer.error;
      if (event) throw new DefinitionFailure(this.name, eventRef(event), `${reason} (in the batch starting at this event)`);
      throw new Error(`Definition ${this.name}: ${reason}`);
    }
    const parsed = JSON.parse(answer.text ?? 'null') as { ok: boolean; index?: number; message?: string; keys?: string[]; changes?: [string, ModelRow | null][] };
    if (!parsed.ok) {
      const event = this.batch[parsed.index ?? -1];
      if (event) throw new DefinitionFailure(this.name, eventRef(event), parsed.message ?? 'it threw');
      throw new Error(`Definition ${this.name} returned a row that is not JSON: ${parsed.message}`);
    }
    return parsed as { ok: true };
  }

  async missingKeys(events: readonly StoredEventView[]): Promise<string[]> {
    this.batch = events;
    const answer = await this.ask({ op: 'missing', events: JSON.stringify(events.map(eventForDefinition)), limit: FOLDER_CACHE_ROWS });
    return this.parse(answer).keys ?? [];
  }

  async apply(_events: readonly StoredEventView[], loaded: Map<string, ModelRow>): Promise<RowChanges> {
    const answer = await this.ask({ op: 'apply', loaded: JSON.stringify(Object.fromEntries(loaded)) });
    return new Map(this.parse(answer).changes ?? []);
  }

  async reset(): Promise<void> {
    await this.ask({ op: 'reset' });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

async function startWorker(name: string, source: string): Promise<{ worker: Worker; info: { name?: string; handles: Handles; versioned: boolean } }> {
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { prelude: PRELUDE, source, filename: `definition:${name}.js`, timeoutMs: READ_MODEL_TIMEOUT_MS },
    resourceLimits: { maxOldGenerationSizeMb: READ_MODEL_MEMORY_MB, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    stdout: true,
    stderr: true,
    env: {},
  });
  const loaded = await new Promise<{ text?: string; error?: string }>((resolve, reject) => {
    worker.once('message', (msg: Answer) => resolve(msg.loaded ?? { error: 'no answer' }));
    worker.once('error', reject);
  });
  if (loaded.error !== undefined || loaded.text === undefined) {
    await worker.terminate();
    throw new Error(`Definition ${name} failed to load: ${loaded.error ?? 'no answer'}. Definitions run with JavaScript built-ins only (no require, import or timers).`);
  }
  const info = JSON.parse(loaded.text) as { name?: string; handles: Handles; versioned: boolean };
  return { worker, info };
}

/** A user definition from its source; loads it once to learn what it handles. */
export async function userReadModel(name: string, source: string): Promise<ReadModelDefinition> {
  const probe = await startWorker(name, source);
  await probe.worker.terminate();
  const handles: Handles = {};
  if (probe.info.handles.types) handles.types = probe.info.handles.types;
  if (probe.info.handles.categories) handles.categories = probe.info.handles.categories;
  return {
    name,
    handles,
    versioned: probe.info.versioned,
    open: async () => {
      const { worker } = await startWorker(name, source);
      return new SandboxFolder(worker, name);
    },
  };
}
