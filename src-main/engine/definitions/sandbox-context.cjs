// @ts-check
/**
 * What both sandbox workers (sandbox-worker.cjs for time travel, read-model-worker.cjs
 * for rebuilds) do the same way: make the definition's `vm` context, run code in it under
 * the time limit, hand it primitives, and turn whatever it throws into text without
 * running any of its code on this side.
 *
 * Not loaded from disk: scripts/sandbox-text.mjs inlines it where a worker requires
 * `./sandbox-context.cjs`, so each worker ships as one text. Strict, so that stack frames
 * of its functions expose neither the function nor `this` to a CallSite.
 */
'use strict';
const vm = require('node:vm');
const { types } = require('node:util');
const { randomUUID } = require('node:crypto');
const { memoryUsage } = require('node:process');

/** Whether a thrown value is this realm's own (a vm timeout, a compile error), found without running code of the context. */
/** @param {unknown} value */
function isOwnRealm(value) {
  let p = value;
  for (let depth = 0; depth < 64; depth++) {
    if (p === null || (typeof p !== 'object' && typeof p !== 'function') || types.isProxy(p)) return false;
    if (p === Object.prototype || p === Error.prototype) return true;
    p = Object.getPrototypeOf(p);
  }
  return false;
}

/** Whether vm stopped the evaluation at its time limit (its error is made in the context's realm: read its own data property only). */
/** @param {unknown} thrown */
function isTimeout(thrown) {
  if (thrown === null || typeof thrown !== 'object' || types.isProxy(thrown)) return false;
  const code = Object.getOwnPropertyDescriptor(thrown, 'code');
  return code !== undefined && code.value === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

/** @type {(name: string, message: string, extra?: object) => string} */
const failure = (name, message, extra) => JSON.stringify(Object.assign({ ok: false, error: { name, message, stack: '' } }, extra));

/** Bytes of ArrayBuffers (and SharedArrayBuffers) this worker holds: Node's own count, outside the V8 heap. */
const arrayBufferBytes = () => memoryUsage().arrayBuffers;

/**
 * A fresh context (null prototype, no code generation from strings, microtasks inside the
 * time limit, external-memory-guard.js evaluated first) and the ways to talk to it. `api`
 * names the prelude's global whose `describe(__input)` turns a thrown value into text
 * inside the context; `guard` is external-memory-guard.js's text; `externalLimitMb` bounds
 * what the definition may hold outside the JavaScript heap.
 * @param {{ filename: string, timeoutMs: number, api: string, guard: string, externalLimitMb: number }} options
 */
function sandboxContext({ filename, timeoutMs, api, guard, externalLimitMb }) {
  const ctx = vm.createContext(Object.create(null), {
    name: filename,
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  const runOptions = { timeout: timeoutMs, breakOnSigint: false };
  const TIMEOUT = failure('TimeoutError', 'did not finish in time', { timeout: true });
  const NOT_TEXT = failure('Error', 'the sandbox answered with something other than text');
  const UNDESCRIBABLE = failure('Error', 'threw a value that cannot be described');

  /** @type {(code: string, file: string) => unknown} */
  const run = (code, file) => new vm.Script(code, { filename: file }).runInContext(ctx, runOptions);

  // Only primitives go in, as a plain data property (never through a setter the definition could define).
  /** @type {(value: unknown) => void} */
  const setInput = (value) => {
    Object.defineProperty(ctx, '__input', { value, writable: true, configurable: true, enumerable: false });
  };

  /**
   * Text for anything thrown out of the context.
   * @param {unknown} thrown
   * @returns {string}
   */
  function thrownText(thrown) {
    if (isTimeout(thrown)) return TIMEOUT;
    if (isOwnRealm(thrown)) {
      // Made by this realm (a compile error; the context holds none of its objects): reading it runs none of the definition's code.
      const own = /** @type {{ name?: unknown, message?: unknown, stack?: unknown }} */ (thrown);
      return JSON.stringify({ ok: false, error: { name: String(own.name), message: String(own.message), stack: typeof own.stack === 'string' ? own.stack : '' } });
    }
    try {
      setInput(thrown);
      return call(api + '.describe(__input)', false);
    } finally {
      setInput(undefined);
    }
  }

  // The guard's calls carry a token only this side knows: a definition calling `__externalMemory.begin` itself is refused.
  const token = JSON.stringify(randomUUID());
  setInput(JSON.stringify({ token: JSON.parse(token), limitMb: externalLimitMb }));
  run(guard, 'chronoscope:guard');
  setInput(undefined);
  const BEGIN = '__externalMemory.begin(__budget, ' + token + ')';
  const limit = externalLimitMb * 1048576;
  const baseline = arrayBufferBytes();
  const held = () => arrayBufferBytes() - baseline;
  const OVER = failure('RangeError', 'allocated more than ' + externalLimitMb + ' MB outside the JavaScript heap', { memory: true });
  const UNGUARDED = failure('Error', 'the sandbox could not start the call');

  /** Gives the next evaluation the budget outside the heap the definition has left (the limit less what the worker holds), or false when none is left. */
  function setBudget() {
    const before = held();
    if (before > limit) return false;
    Object.defineProperty(ctx, '__budget', { value: limit - before, writable: true, configurable: true, enumerable: false });
    return true;
  }

  /**
   * A call of the prelude's API (see `call`) under the budget outside the heap, in one
   * evaluation (each one under a time limit costs a watchdog thread): the guard starts the
   * budget, the call runs, and the guard answers OVER in its place when the definition went
   * past it, even if it caught the refusal. As a backstop, OVER too when the worker's own
   * count says it holds more than the limit after the call.
   * @param {string} code
   * @returns {string}
   */
  function guardedCall(code) {
    if (!setBudget()) return OVER;
    const out = call('__externalMemory.end(' + BEGIN + ' && ' + code + ', ' + token + ')');
    return held() > limit ? OVER : out;
  }

  /**
   * The definition's load (its own script, then the prelude's load call) under the budget,
   * with the guard's start and verdict as evaluations of their own (once per worker).
   * @param {() => string} load
   * @returns {string}
   */
  function guardedLoad(load) {
    if (!setBudget()) return OVER;
    let begun = false;
    try {
      begun = run(BEGIN, 'chronoscope:call') === true;
    } catch {
      // answered below
    }
    if (!begun) return UNGUARDED;
    const out = load();
    let passed = true;
    try {
      passed = run('__externalMemory.passed(' + token + ')', 'chronoscope:call') !== false;
    } catch {
      // counted as passed: the guard did not answer
    }
    return passed || held() > limit ? OVER : out;
  }

  /**
   * Runs a call of the prelude's API; always text (JSON of {ok, ...}).
   * @param {string} code
   * @returns {string}
   */
  function call(code, describeThrown = true) {
    try {
      const out = run(code, 'chronoscope:call');
      return typeof out === 'string' ? out : NOT_TEXT;
    } catch (e) {
      return describeThrown ? thrownText(e) : UNDESCRIBABLE;
    }
  }

  /**
   * Evaluates the definition's source: text of the failure, or undefined when it ran.
   * @param {string} source
   * @returns {string | undefined}
   */
  function evaluate(source) {
    let script;
    try {
      script = new vm.Script(source, { filename });
    } catch (e) {
      return thrownText(e);
    }
    try {
      script.runInContext(ctx, runOptions);
    } catch (e) {
      return thrownText(e);
    }
    return undefined;
  }

  return { run, setInput, call, guardedCall, guardedLoad, evaluate, NOT_TEXT };
}

module.exports = { sandboxContext };
