// @ts-check
/**
 * The read-model sandbox's prelude: a script evaluated in a rebuild definition's `vm`
 * context BEFORE the definition, by read-model-worker.cjs. It captures the built-ins it
 * needs, so a definition cannot tamper with them, keeps the folder's row cache, and
 * answers every call with JSON text made here: the worker never touches a value of the
 * context. Same rules as sandbox-prelude.js (time travel).
 *
 * Shipped as text (sandbox-text.generated.ts, rebuilt by `node scripts/sandbox-text.mjs`).
 *
 * A definition assigns `definition = { name, handles, key(event), apply(row, event), versioned?, columns?, projector? }`.
 */
/**
 * A value made by the definition's code: anything at all, read defensively.
 * @typedef {any} FromDefinition
 */
/** @typedef {{ key: (event: FromDefinition) => FromDefinition, apply: (row: FromDefinition, event: FromDefinition) => FromDefinition, versioned: boolean }} ReadModel */

// No definition may install a stack-trace hook: V8 would hand it CallSites of every frame below.
Object.defineProperty(Error, 'prepareStackTrace', { value: undefined, writable: false, configurable: false, enumerable: false });
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- read by the worker's calls (`__readModel.load()`)
const __readModel = (() => {
  'use strict';
  // Inlined by scripts/sandbox-text.mjs: the context has no require.
  const { errorInfo, textAnswers } = require('./prelude-answers.cjs');
  const context = /** @type {{ definition?: FromDefinition }} */ (/** @type {unknown} */ (globalThis));
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const hasOwn = Object.hasOwn;
  const keysOf = Object.keys;
  const isArray = Array.isArray;
  const Str = String;
  const MapC = Map;
  const SetC = Set;
  /** @type {ReadModel | null} */
  let def = null;
  /** @type {Map<string, FromDefinition>} */
  let cache = new MapC();
  /** @type {FromDefinition[]} */
  let batch = [];
  /** @type {(string | null)[]} */
  let keys = [];

  function loaded() {
    if (def === null) throw new TypeError('no definition is loaded');
    return def;
  }

  /**
   * The answer for a definition that threw at the batch's event `index` (-1: not at an event).
   * @param {number} index
   * @param {FromDefinition} thrown
   */
  function fail(index, thrown) {
    return stringify({ ok: false, index: index, error: errorInfo(thrown) });
  }

  /** @param {FromDefinition} list */
  function strings(list) {
    /** @type {string[]} */
    const out = [];
    for (let i = 0; i < list.length; i++) out.push(Str(list[i]));
    return out;
  }

  function load() {
    const d = context.definition;
    if (d === null || typeof d !== 'object') throw new TypeError('the file must assign definition = { name, handles, key, apply }');
    const key = d.key;
    const applyRow = d.apply;
    if (typeof key !== 'function') throw new TypeError('definition.key(event) must be a function returning the row key');
    if (typeof applyRow !== 'function') throw new TypeError('definition.apply(row, event) must be a function');
    const h = d.handles || {};
    const types = isArray(h) ? strings(h) : isArray(h.types) ? strings(h.types) : undefined;
    const categories = !isArray(h) && isArray(h.categories) ? strings(h.categories) : undefined;
    if (!types && !categories) throw new TypeError('definition.handles must list the event types (or categories) the model reads');
    const name = d.name;
    def = { key: key, apply: applyRow, versioned: d.versioned === true };
    // What the target table looks like and which projector keeps it: plain data, checked by the main process.
    const columns = d.columns === undefined ? undefined : parse(stringify(d.columns));
    const projector = typeof d.projector === 'string' ? d.projector : undefined;
    return stringify({ ok: true, info: { name: typeof name === 'string' ? name : undefined, handles: { types: types, categories: categories }, versioned: def.versioned, columns: columns, projector: projector } });
  }

  /**
   * Keys of the batch the cache does not hold; remembers the batch for `apply`.
   * @param {string} json
   * @param {number} limit
   */
  function missing(json, limit) {
    const d = loaded();
    if (cache.size > limit) cache = new MapC();
    batch = parse(json);
    keys = new Array(batch.length);
    const out = new SetC();
    for (let i = 0; i < batch.length; i++) {
      /** @type {FromDefinition} */
      let k;
      try {
        k = d.key(batch[i]);
        k = k === null || k === undefined ? null : Str(k);
      } catch (thrown) {
        return fail(i, thrown);
      }
      keys[i] = k;
      if (k !== null && !cache.has(k)) out.add(k);
    }
    return stringify({ ok: true, keys: [...out] });
  }

  /**
   * Folds the batch of the last `missing` call; `loadedJson` holds the stored rows of the missing keys.
   * @param {string} loadedJson
   */
  function apply(loadedJson) {
    const d = loaded();
    const rows = parse(loadedJson);
    for (const k of keys) if (k !== null && !cache.has(k)) cache.set(k, null);
    for (const k of keysOf(rows)) if (hasOwn(rows, k)) cache.set(k, rows[k]);
    const changes = new MapC();
    for (let i = 0; i < batch.length; i++) {
      const k = keys[i];
      if (k === null || k === undefined) continue;
      const row = cache.get(k);
      const e = batch[i];
      if (d.versioned && row && typeof row.version === 'number' && e.version <= row.version) continue;
      /** @type {FromDefinition} */
      let next;
      try {
        next = d.apply(row === null ? undefined : row, e);
      } catch (thrown) {
        return fail(i, thrown);
      }
      if (next === undefined) continue;
      if (next !== null && (typeof next !== 'object' || isArray(next))) return fail(i, new TypeError('apply returned ' + (isArray(next) ? 'an array' : typeof next) + ': return a row object, null to delete it, or undefined'));
      cache.set(k, next);
      changes.set(k, next);
    }
    batch = [];
    let text;
    try {
      text = stringify([...changes]);
    } catch (thrown) {
      const error = errorInfo(thrown);
      error.message = 'a row cannot be turned into JSON: ' + error.message;
      return stringify({ ok: false, index: -1, error: error });
    }
    if (typeof text !== 'string') return stringify({ ok: false, index: -1, error: { name: 'TypeError', message: 'the rows cannot be turned into JSON', stack: '' } });
    return '{"ok":true,"changes":' + text + '}';
  }

  function reset() {
    cache = new MapC();
    return '{"ok":true}';
  }

  // Every answer leaves the context as text made here: the worker never touches a value of the context.
  const { describe, text } = textAnswers((error) => ({ ok: false, index: -1, error: error }));

  return Object.freeze({ load: text(load), missing: text(missing), apply: text(apply), reset: text(reset), describe: text(describe) });
})();
