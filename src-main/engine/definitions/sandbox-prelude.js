// @ts-check
/**
 * The sandbox's prelude: a script evaluated in the definition's `vm` context BEFORE the
 * definition, by sandbox-worker.cjs. It captures the built-ins it needs, so a definition
 * cannot tamper with them, and answers every call with JSON text made here: the worker
 * never touches a value of the context.
 *
 * Shipped as text (sandbox-text.generated.ts, rebuilt by `node scripts/sandbox-text.mjs`).
 * The worker hands it the replay tuple's field order (stores/replay-wire.ts REPLAY_TUPLE) as
 * JSON text in `__input` while it runs.
 */
/**
 * A value made by the definition's code: anything at all, read defensively.
 * @typedef {any} Untrusted
 */
/** @typedef {{ name: string, init: () => Untrusted, handlers: Record<string, Untrusted>, any: Untrusted, upcasters: Record<string, Untrusted> }} Definition */
/** @typedef {import('../../stores/replay-wire').ReplayBatch} ReplayBatch */

// No definition may install a stack-trace hook: V8 would hand it CallSites of every frame below.
Object.defineProperty(Error, 'prepareStackTrace', { value: undefined, writable: false, configurable: false, enumerable: false });
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- read by the worker's calls (`__chronoscope.load()`)
const __chronoscope = (() => {
  'use strict';
  // Inlined by scripts/sandbox-text.mjs: the context has no require.
  const { errorInfo, textAnswers } = require('./prelude-answers.cjs');
  const context = /** @type {{ __input?: unknown, definition?: Untrusted }} */ (/** @type {unknown} */ (globalThis));
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const hasOwn = Object.hasOwn;
  const keys = Object.keys;
  const isArray = Array.isArray;
  const Str = String;
  const store = Atomics.store;
  const progressBuffer = new SharedArrayBuffer(8);
  const progress = new Int32Array(progressBuffer);
  // Where each field sits in an event's tuple (replay-wire.ts).
  const tuple = /** @type {string[]} */ (parse(/** @type {string} */ (context.__input)));
  const at = /** @type {(field: string) => number} */ ((field) => tuple.indexOf(field));
  const VERSION = at('version'), TYPE = at('type'), DATA = at('data'), METADATA = at('metadata'), TIMESTAMP = at('timestamp'), POSITION = at('position');
  const EVENT_ID = at('eventId'), CORRELATION_ID = at('correlationId'), CAUSATION_ID = at('causationId'), STREAM_ID = at('streamId'), CATEGORY = at('category');
  /** @type {Definition | null} */
  let def = null;
  /** @type {Untrusted} */
  let state;
  // An item of applyMany failed: the items continuing its stream are skipped, in this call or the next, until a reset.
  let streamFailed = false;

  function loaded() {
    if (def === null) throw new TypeError('no definition is loaded');
    return def;
  }

  function load() {
    const d = context.definition;
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
    /** @type {{ types?: string[], categories?: string[], streamPrefix?: string }} */
    const appliesTo = {};
    if (a && isArray(a.types)) appliesTo.types = a.types.map(Str);
    if (a && isArray(a.categories)) appliesTo.categories = a.categories.map(Str);
    if (a && typeof a.streamPrefix === 'string') appliesTo.streamPrefix = a.streamPrefix;
    const m = d.money === undefined || d.money === null || typeof d.money !== 'object' ? {} : d.money;
    /** @type {Record<string, { currencyField?: unknown, currency?: unknown, scale?: unknown }>} */
    const money = {};
    for (const k of keys(m)) if (m[k] !== null && typeof m[k] === 'object') money[Str(k)] = { currencyField: m[k].currencyField, currency: m[k].currency, scale: m[k].scale };
    def = { name: d.name, init: d.init, handlers: handlers, any: d.any, upcasters: upcasters };
    return stringify({ ok: true, info: { name: d.name, appliesTo: appliesTo, money: money, handlerTypes: keys(handlers).map(Str), hasAny: typeof d.any === 'function', upcasterTypes: keys(upcasters).map(Str) } });
  }

  /** @param {string | undefined} stateJson */
  function reset(stateJson) {
    streamFailed = false;
    state = stateJson === undefined ? loaded().init() : parse(stateJson);
    if (state === undefined) throw new TypeError('definition.init() returned undefined');
    return '{"ok":true}';
  }

  /**
   * @param {Untrusted} event
   * @returns {Untrusted}
   */
  function upcast(event) {
    const def = loaded();
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

  // The event object a definition sees, from one tuple of the wire form (replay-wire.ts).
  /**
   * @param {ReplayBatch} batch
   * @param {unknown[]} t
   * @param {number} index
   * @param {'correlationId' | 'causationId'} key
   */
  function idOf(batch, t, index, key) {
    if (t[index] !== null || !batch.k || typeof batch.k[key] !== 'string') return t[index];
    const m = /** @type {Untrusted} */ (t[METADATA]);
    const name = batch.k[key];
    const v = m !== null && typeof m === 'object' && !isArray(m) && hasOwn(m, name) ? m[name] : undefined;
    return typeof v === 'string' ? v : typeof v === 'number' ? Str(v) : null;
  }

  /**
   * @param {ReplayBatch} batch
   * @param {unknown[]} t
   */
  function eventOf(batch, t) {
    return {
      streamId: t.length > STREAM_ID ? t[STREAM_ID] : batch.s,
      category: t.length > CATEGORY ? t[CATEGORY] : batch.c,
      version: t[VERSION],
      position: t[POSITION],
      eventId: t[EVENT_ID],
      type: t[TYPE],
      timestamp: t[TIMESTAMP],
      data: t[DATA],
      metadata: t[METADATA],
      correlationId: idOf(batch, t, CORRELATION_ID, 'correlationId'),
      causationId: idOf(batch, t, CAUSATION_ID, 'causationId'),
    };
  }

  /**
   * Folds the batch's events into the state, in order; the index and error of the event
   * whose upcaster or handler threw, or null. `offset` is the batch's first event among
   * those of the call (published for the host's error messages).
   * @param {ReplayBatch} batch
   * @param {{ before: unknown, after: unknown, upcast: unknown }[] | undefined} steps
   * @param {number} offset
   * @returns {{ index: number, error: { name: string, message: string, stack: string } } | null}
   */
  function fold(batch, steps, offset) {
    const def = loaded();
    const events = batch.e;
    for (let i = 0; i < events.length; i++) {
      store(progress, 0, offset + i);
      try {
        const raw = eventOf(batch, /** @type {unknown[]} */ (events[i]));
        const before = steps ? stringify(state) : undefined;
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
        return { index: i, error: errorInfo(e) };
      }
    }
    return null;
  }

  /**
   * @param {string} batchJson
   * @param {boolean} wantSteps
   * @param {boolean} wantState
   */
  function apply(batchJson, wantSteps, wantState) {
    loaded();
    const batch = /** @type {ReplayBatch} */ (parse(batchJson));
    /** @type {{ before: unknown, after: unknown, upcast: unknown }[] | undefined} */
    const steps = wantSteps ? [] : undefined;
    const failed = fold(batch, steps, 0);
    if (failed !== null) return stringify({ ok: false, index: failed.index, error: failed.error });
    store(progress, 0, -1);
    try {
      return stringify({ ok: true, state: wantState ? state : undefined, steps: steps });
    } catch (e) {
      const error = errorInfo(e);
      error.message = 'the state cannot be turned into JSON: ' + error.message;
      return stringify({ ok: false, index: -1, error: error });
    }
  }

  /**
   * Many batches in one call, for replays of many short streams (bulk snapshot
   * verification): `[{r?: 1, w?: 1, b: batch}, ...]`. `r` starts from init() first, `w`
   * asks for the state after the batch. An item that fails (its init, a handler, its
   * state as JSON) answers `{i, error}` and the items after it answer `{x: 1}` (skipped)
   * until the next `r`, in this call or the next ones; the others answer `{s: state}` or `0`. One answer for all:
   * `{ok: true, out: [...]}`.
   * @param {string} itemsJson
   */
  function applyMany(itemsJson) {
    loaded();
    const items = /** @type {{ r?: number, w?: number, b: ReplayBatch }[]} */ (parse(itemsJson));
    /** @type {string[]} */
    const out = [];
    let offset = 0;
    for (let n = 0; n < items.length; n++) {
      const item = /** @type {{ r?: number, w?: number, b: ReplayBatch }} */ (items[n]);
      const count = item.b.e.length;
      if (item.r === 1) {
        try {
          reset(undefined);
        } catch (e) {
          streamFailed = true;
          out.push(stringify({ i: -1, error: errorInfo(e) }));
          offset += count;
          continue;
        }
      }
      if (streamFailed) {
        out.push('{"x":1}');
        offset += count;
        continue;
      }
      const threw = fold(item.b, undefined, offset);
      offset += count;
      if (threw !== null) {
        streamFailed = true;
        out.push(stringify({ i: threw.index, error: threw.error }));
        continue;
      }
      if (item.w !== 1) {
        out.push('0');
        continue;
      }
      try {
        out.push(stringify({ s: state }));
      } catch (e) {
        const error = errorInfo(e);
        error.message = 'the state cannot be turned into JSON: ' + error.message;
        streamFailed = true;
        out.push(stringify({ i: -1, error: error }));
      }
    }
    store(progress, 0, -1);
    return '{"ok":true,"out":[' + out.join(',') + ']}';
  }

  function current() {
    try {
      return stringify({ ok: true, state: state });
    } catch (e) {
      const error = errorInfo(e);
      error.message = 'the state cannot be turned into JSON: ' + error.message;
      return stringify({ ok: false, error: error });
    }
  }

  // Every answer leaves the context as text made here: the worker never touches a value of the context.
  const { describe, text } = textAnswers((error) => ({ ok: false, error: error }));

  return Object.freeze({ progressBuffer: progressBuffer, load: text(load), reset: text(reset), apply: text(apply), applyMany: text(applyMany), current: text(current), describe: text(describe) });
})();
