// @ts-check
/**
 * Bounds what a definition allocates outside the JavaScript heap. The worker's
 * `resourceLimits` cap the V8 heap only: ArrayBuffers, SharedArrayBuffers and typed
 * arrays live in memory of their own, so without this a definition could take gigabytes
 * under a 64 MB limit. Evaluated by sandbox-context.cjs first in every definition's
 * context (before the prelude and the definition), it replaces each way the context has
 * of making such memory with one that counts the bytes first and refuses past the
 * call's budget:
 * - the ArrayBuffer, SharedArrayBuffer and typed-array constructors (`from`/`of` build
 *   through them); the originals are never reachable again (each prototype's
 *   `constructor` is the replacement);
 * - the methods that copy into a new buffer: ArrayBuffer/SharedArrayBuffer `slice` and
 *   `transfer`, typed arrays' `slice`, `map`, `filter` (done here, without species, whose
 *   default would be the original constructor), `toReversed`, `toSorted` and `with`;
 * - resizable and growable buffers are refused (their memory is invisible to the worker's
 *   own count), `WebAssembly` is removed (its Memory is such memory too, and definitions
 *   cannot compile modules anyway), and any method of these prototypes not known to be
 *   safe is removed, so a newer V8's additions do not open a way around.
 * The worker gives each call its budget (the limit less what the worker holds) with a
 * token only it knows, and has `end` answer in the call's place when the budget was passed
 * (a definition may catch the RangeError: the run is stopped anyway); it checks the memory
 * it holds itself after each call as a backstop.
 *
 * Shipped as text (sandbox-text.generated.ts, rebuilt by `node scripts/sandbox-text.mjs`).
 * `__input` holds `{"token": ..., "limitMb": ...}` as JSON text while it runs.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- called by sandbox-context.cjs (`__externalMemory.begin(...)`)
const __externalMemory = (() => {
  'use strict';
  /** @typedef {any} Untrusted a value made by the definition's code */
  const g = /** @type {Record<string, any>} */ (/** @type {unknown} */ (globalThis));
  const { token, limitMb } = /** @type {{ token: string, limitMb: number }} */ (JSON.parse(String(g.__input)));
  const construct = Reflect.construct;
  const apply = Reflect.apply;
  const ownKeys = Reflect.ownKeys;
  const defineProperty = Object.defineProperty;
  const describe = Object.getOwnPropertyDescriptor;
  const getPrototypeOf = Object.getPrototypeOf;
  const setPrototypeOf = Object.setPrototypeOf;
  const freeze = Object.freeze;
  const arrayFrom = Array.from;
  const ArrayC = Array;
  const trunc = Math.trunc;
  const iteratorKey = Symbol.iterator;
  const TypeErrorC = TypeError;
  const RangeErrorC = RangeError;
  /** @type {(object: object, key: PropertyKey) => Function} */
  const getter = (object, key) => /** @type {Function} */ (/** @type {PropertyDescriptor} */ (describe(object, key)).get);

  const ArrayBufferO = ArrayBuffer;
  const SharedArrayBufferO = SharedArrayBuffer;
  const Uint8ArrayO = Uint8Array;
  const TypedArray = getPrototypeOf(Uint8ArrayO);
  const TypedArrayProto = TypedArray.prototype;
  const arrayBufferLength = getter(ArrayBufferO.prototype, 'byteLength');
  const sharedLength = getter(SharedArrayBufferO.prototype, 'byteLength');
  const typedKind = getter(TypedArrayProto, Symbol.toStringTag);
  const typedLength = getter(TypedArrayProto, 'length');
  const typedBuffer = getter(TypedArrayProto, 'buffer');
  const typedOffset = getter(TypedArrayProto, 'byteOffset');
  const typedSet = TypedArrayProto.set;

  const OVER = JSON.stringify({ ok: false, memory: true, error: { name: 'RangeError', message: 'allocated more than ' + limitMb + ' MB outside the JavaScript heap', stack: '' } });
  let left = limitMb * 1048576;
  let passed = false;

  /** Counts `bytes` against the call's budget, or refuses them (and every allocation after, until the next call). */
  function take(/** @type {number} */ bytes) {
    if (!(bytes <= left)) {
      passed = true;
      left = -1;
      throw new RangeErrorC('a definition may allocate at most ' + limitMb + ' MB outside the JavaScript heap (ArrayBuffers, typed arrays)');
    }
    left -= bytes;
  }

  /** ToIndex's number, converted once here so the built-in sees a primitive (no getter or valueOf can change it after the count). */
  function toIndex(/** @type {Untrusted} */ value) {
    const n = value === undefined ? 0 : trunc(+value);
    return n === n ? n : 0;
  }

  /** Bytes a length of `n` elements costs (0 for lengths the built-in refuses anyway: negative, or past 2^53 - 1). */
  const cost = (/** @type {number} */ n, /** @type {number} */ size) => (n > 0 && n <= 9007199254740991 ? n * size : 0);

  /** A start or end argument of `slice`, resolved against `len` as the built-ins do. */
  function relative(/** @type {Untrusted} */ value, /** @type {number} */ len, /** @type {number} */ fallback) {
    if (value === undefined) return fallback;
    const n = trunc(+value);
    const r = n === n ? n : 0;
    return r < 0 ? (r + len > 0 ? r + len : 0) : r < len ? r : len;
  }

  /** Refuses a `maxByteLength` option: resizable memory is invisible to the worker's count. */
  function refuseResizable(/** @type {Untrusted} */ options) {
    if (options !== null && typeof options === 'object' && options.maxByteLength !== undefined) {
      throw new TypeErrorC('resizable and growable buffers are not available to definitions');
    }
  }

  /** Whether `value` is an ArrayBuffer or a SharedArrayBuffer (read through the built-ins' own getters, which throw for anything else). */
  function isBuffer(/** @type {Untrusted} */ value) {
    return reads(arrayBufferLength, value) || reads(sharedLength, value);
  }
  function reads(/** @type {Function} */ get, /** @type {Untrusted} */ value) {
    try {
      apply(get, value, []);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Puts `replacement` where `original` was: same name, length, statics listed in `statics`
   * and prototype (whose `constructor` becomes the replacement), in the global `name`.
   * @param {string} name
   * @param {Function} original
   * @param {Function} replacement
   * @param {PropertyKey[]} statics
   */
  function install(name, original, replacement, statics) {
    defineProperty(replacement, 'name', { value: name });
    defineProperty(replacement, 'length', { value: original.length });
    defineProperty(replacement, 'prototype', { value: original.prototype, writable: false });
    setPrototypeOf(replacement, getPrototypeOf(original));
    for (const key of statics) {
      const d = describe(original, key);
      if (d) defineProperty(replacement, key, d);
    }
    defineProperty(original.prototype, 'constructor', { value: replacement, writable: true, enumerable: false, configurable: true });
    defineProperty(g, name, { value: replacement, writable: true, enumerable: false, configurable: true });
  }

  /**
   * Replaces the method `key` of `proto` (when this V8 has it) with `make(original)`, keeping its name and length.
   * @param {any} proto
   * @param {string} key
   * @param {(original: Function) => Function} make
   */
  function replaceMethod(proto, key, make) {
    const d = describe(proto, key);
    if (!d || typeof d.value !== 'function') return;
    const replacement = make(d.value);
    defineProperty(replacement, 'name', { value: key });
    defineProperty(replacement, 'length', { value: d.value.length });
    defineProperty(proto, key, { value: replacement, writable: true, enumerable: false, configurable: true });
  }

  /** Removes every own property of `object` not in `known`: what a newer V8 adds stays out until it is checked. */
  function keepOnly(/** @type {any} */ object, /** @type {PropertyKey[]} */ known) {
    for (const key of ownKeys(object)) if (!known.includes(key)) delete object[key];
  }

  // ArrayBuffer and SharedArrayBuffer: counted, fixed length only; their slices copied here.
  /** @param {string} name @param {any} Original @param {Function} lengthOf */
  function wrapBuffer(name, Original, lengthOf) {
    /** @this {unknown} @param {Untrusted} length @param {Untrusted} options */
    const Buffer = function (length, options) {
      if (new.target === undefined) throw new TypeErrorC("Constructor " + name + " requires 'new'");
      const n = toIndex(length);
      refuseResizable(options);
      take(cost(n, 1));
      return construct(Original, [n], new.target);
    };
    install(name, Original, Buffer, ['isView', Symbol.species]);
    replaceMethod(Original.prototype, 'slice', () =>
      /** @this {Untrusted} @param {Untrusted} start @param {Untrusted} end */
      function (start, end) {
        const len = apply(lengthOf, this, []);
        const first = relative(start, len, 0);
        const count = relative(end, len, len) - first;
        take(cost(count, 1));
        const out = new Original(count > 0 ? count : 0);
        const from = new Uint8ArrayO(this, first, count > 0 ? count : 0);
        apply(typedSet, new Uint8ArrayO(out), [from]);
        return out;
      },
    );
    for (const key of ['transfer', 'transferToFixedLength']) {
      replaceMethod(Original.prototype, key, (transfer) =>
        /** @this {Untrusted} @param {Untrusted} newLength */
        function (newLength) {
          const n = newLength === undefined ? apply(lengthOf, this, []) : toIndex(newLength);
          take(cost(n, 1));
          return apply(transfer, this, [n]);
        },
      );
    }
  }
  wrapBuffer('ArrayBuffer', ArrayBufferO, arrayBufferLength);
  wrapBuffer('SharedArrayBuffer', SharedArrayBufferO, sharedLength);
  keepOnly(ArrayBufferO.prototype, ['constructor', 'byteLength', 'slice', 'maxByteLength', 'resizable', 'resize', 'detached', 'transfer', 'transferToFixedLength', Symbol.toStringTag]);
  keepOnly(SharedArrayBufferO.prototype, ['constructor', 'byteLength', 'slice', 'maxByteLength', 'growable', 'grow', Symbol.toStringTag]);

  // Typed arrays: every kind this V8 has (the globals whose parent is %TypedArray%), by the name their instances report.
  /** @type {Record<string, { Original: any, size: number }>} */
  const kinds = Object.create(null);
  for (const name of Object.getOwnPropertyNames(g)) {
    const d = describe(g, name);
    const Original = d ? d.value : undefined;
    if (typeof Original !== 'function' || getPrototypeOf(Original) !== TypedArray) continue;
    const size = Original.BYTES_PER_ELEMENT;
    kinds[name] = { Original, size };
    /** @this {unknown} @param {Untrusted} source @param {Untrusted} offset @param {Untrusted} length */
    const Typed = function (source, offset, length) {
      if (new.target === undefined) throw new TypeErrorC("Constructor " + name + " requires 'new'");
      if (source === null || (typeof source !== 'object' && typeof source !== 'function')) {
        const n = toIndex(source);
        take(cost(n, size));
        return construct(Original, [n], new.target);
      }
      // A view of a buffer allocates nothing.
      if (isBuffer(source)) return construct(Original, [source, offset, length], new.target);
      if (apply(typedKind, source, []) !== undefined) {
        take(cost(apply(typedLength, source, []), size));
        return construct(Original, [source], new.target);
      }
      // As the built-in does: an iterable is read into a list (on the heap) before the count; an
      // array-like's length is read once and counted before its elements are.
      const iterator = source[iteratorKey];
      if (iterator === undefined || iterator === null) {
        const len = trunc(+source.length);
        const n = len > 0 ? len : 0;
        take(cost(n, size));
        const out = construct(Original, [n], new.target);
        for (let i = 0; i < n; i++) out[i] = source[i];
        return out;
      }
      if (typeof iterator !== 'function') throw new TypeErrorC('the source is not iterable');
      const values = apply(arrayFrom, ArrayC, [{ [iteratorKey]: () => apply(iterator, source, []) }]);
      const n = values.length;
      take(cost(n, size));
      const out = construct(Original, [n], new.target);
      for (let i = 0; i < n; i++) out[i] = values[i];
      return out;
    };
    install(name, Original, Typed, ['BYTES_PER_ELEMENT']);
    keepOnly(Original.prototype, ['constructor', 'BYTES_PER_ELEMENT', 'toBase64', 'toHex', 'setFromBase64', 'setFromHex']);
  }

  /** The kind of a typed array (its original constructor and element size), or a TypeError. */
  function kindOf(/** @type {Untrusted} */ typed) {
    const name = apply(typedKind, typed, []);
    const kind = name === undefined ? undefined : kinds[name];
    if (kind === undefined) throw new TypeErrorC('this is not a typed array');
    return kind;
  }

  replaceMethod(TypedArrayProto, 'slice', () =>
    /** @this {Untrusted} @param {Untrusted} start @param {Untrusted} end */
    function (start, end) {
      const { Original, size } = kindOf(this);
      const len = apply(typedLength, this, []);
      const first = relative(start, len, 0);
      const count = relative(end, len, len) - first;
      take(cost(count, size));
      const out = new Original(count > 0 ? count : 0);
      if (count > 0) apply(typedSet, out, [new Original(apply(typedBuffer, this, []), apply(typedOffset, this, []) + first * size, count)]);
      return out;
    },
  );
  replaceMethod(TypedArrayProto, 'map', () =>
    /** @this {Untrusted} @param {Untrusted} fn @param {Untrusted} thisArg */
    function (fn, thisArg) {
      const { Original, size } = kindOf(this);
      const len = apply(typedLength, this, []);
      if (typeof fn !== 'function') throw new TypeErrorC('the callback is not a function');
      take(cost(len, size));
      const out = new Original(len);
      for (let i = 0; i < len; i++) out[i] = apply(fn, thisArg, [this[i], i, this]);
      return out;
    },
  );
  replaceMethod(TypedArrayProto, 'filter', () =>
    /** @this {Untrusted} @param {Untrusted} fn @param {Untrusted} thisArg */
    function (fn, thisArg) {
      const { Original, size } = kindOf(this);
      const len = apply(typedLength, this, []);
      if (typeof fn !== 'function') throw new TypeErrorC('the callback is not a function');
      /** @type {unknown[]} */
      const kept = new ArrayC();
      for (let i = 0; i < len; i++) {
        const value = this[i];
        // defineProperty, not assignment: no setter the definition put on Array.prototype runs.
        if (apply(fn, thisArg, [value, i, this])) defineProperty(kept, kept.length, { value, writable: true, enumerable: true, configurable: true });
      }
      take(cost(kept.length, size));
      const out = new Original(kept.length);
      for (let i = 0; i < kept.length; i++) out[i] = kept[i];
      return out;
    },
  );
  // These make a copy of the same length and kind (never through species): counted, then done by the built-in.
  for (const key of ['toReversed', 'toSorted', 'with']) {
    replaceMethod(TypedArrayProto, key, (original) =>
      /** @this {Untrusted} @param {Untrusted[]} args */
      function (...args) {
        const { size } = kindOf(this);
        take(cost(apply(typedLength, this, []), size));
        return apply(original, this, args);
      },
    );
  }
  keepOnly(TypedArrayProto, [
    'constructor', 'buffer', 'byteLength', 'byteOffset', 'length', Symbol.toStringTag, Symbol.iterator,
    'at', 'copyWithin', 'entries', 'every', 'fill', 'filter', 'find', 'findIndex', 'findLast', 'findLastIndex', 'forEach', 'includes', 'indexOf', 'join', 'keys',
    'lastIndexOf', 'map', 'reduce', 'reduceRight', 'reverse', 'set', 'slice', 'some', 'sort', 'subarray', 'toLocaleString', 'toReversed', 'toSorted', 'toString', 'values', 'with',
  ]);
  keepOnly(TypedArray, ['length', 'name', 'prototype', 'from', 'of', Symbol.species]);

  delete g.WebAssembly;

  return freeze({
    /** Starts a call: what the context may allocate outside the heap until the next one. */
    begin(/** @type {number} */ bytes, /** @type {string} */ key) {
      if (key !== token) return false;
      left = bytes;
      passed = false;
      return true;
    },
    /** Whether the call refused an allocation past its budget. */
    passed(/** @type {string} */ key) {
      return key === token ? passed : true;
    },
    /** A call's answer (text), or the memory failure in its place when the call refused an allocation past its budget. */
    end(/** @type {unknown} */ answer, /** @type {string} */ key) {
      if (key !== token) return undefined;
      return passed ? OVER : answer;
    },
  });
})();
