// @ts-check
/**
 * The sandbox worker's own code (CommonJS, evaluated by `new Worker(text, {eval: true})`
 * in sandbox.ts; shipped as text in sandbox-text.generated.ts, rebuilt by
 * `node scripts/sandbox-text.mjs`). Strict, so that stack frames of its functions expose
 * neither the function nor `this` to a CallSite. It never reads a property of a value of
 * the context: the prelude answers with text, anything else is refused, and a thrown
 * value of the context goes back into the context to be described there.
 */
'use strict';
const threads = require('node:worker_threads');
const vm = require('node:vm');
const { types } = require('node:util');
if (threads.parentPort === null) throw new Error('sandbox-worker.cjs runs only as a worker thread');
const parentPort = threads.parentPort;
/** @type {{ prelude: string, replayTuple: string[], source: string, filename: string, timeoutMs: number }} */
const { prelude, replayTuple, source, filename, timeoutMs } = threads.workerData;
const ctx = vm.createContext(Object.create(null), {
  name: filename,
  codeGeneration: { strings: false, wasm: false },
  microtaskMode: 'afterEvaluate',
});
const runOptions = { timeout: timeoutMs, breakOnSigint: false };
/** @type {(code: string, file: string) => unknown} */
const run = (code, file) => new vm.Script(code, { filename: file }).runInContext(ctx, runOptions);
/** @type {(name: string, message: string, extra?: object) => string} */
const failure = (name, message, extra) => JSON.stringify(Object.assign({ ok: false, error: { name, message, stack: '' } }, extra));
const TIMEOUT = failure('TimeoutError', 'did not finish in time', { timeout: true });
const NOT_TEXT = failure('Error', 'the sandbox answered with something other than text');
// Only primitives go in, as a plain data property (never through a setter the definition could define).
/** @type {(value: unknown) => unknown} */
const setInput = (value) => Object.defineProperty(ctx, '__input', { value, writable: true, configurable: true, enumerable: false });

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

/** Text for anything thrown out of the context. */
/**
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
    return call('__chronoscope.describe(__input)', false);
  } finally {
    setInput(undefined);
  }
}

/** Runs a call of the prelude's API; always text (JSON of {ok, ...}). */
/**
 * @param {string} code
 * @returns {string}
 */
function call(code, describeThrown = true) {
  try {
    const out = run(code, 'chronoscope:call');
    return typeof out === 'string' ? out : NOT_TEXT;
  } catch (e) {
    return describeThrown ? thrownText(e) : failure('Error', 'threw a value that cannot be described');
  }
}

let progress;
try {
  setInput(JSON.stringify(replayTuple));
  run(prelude, 'chronoscope:prelude');
  setInput(undefined);
  const buffer = run('__chronoscope.progressBuffer', 'chronoscope:call');
  if (types.isSharedArrayBuffer(buffer)) progress = buffer;
} catch {
  parentPort.postMessage({ type: 'fatal' });
}
parentPort.postMessage({ type: 'progress', buffer: progress });

function load() {
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
  return call('__chronoscope.load()');
}
const loaded = load();
parentPort.postMessage({ type: 'loaded', result: loaded });
const usable = loaded.startsWith('{"ok":true');

parentPort.on('message', (/** @type {{ id: number, op: string, state?: string, batch?: string, steps?: boolean }} */ msg) => {
  if (!usable) return;
  let result = NOT_TEXT;
  if (msg.op === 'reset') {
    setInput(msg.state);
    result = call(typeof msg.state === 'string' ? '__chronoscope.reset(__input)' : '__chronoscope.reset()');
    setInput(undefined);
  } else if (msg.op === 'apply') {
    setInput(msg.batch);
    result = call('__chronoscope.apply(__input, ' + (msg.steps ? 'true' : 'false') + ', ' + (msg.state ? 'true' : 'false') + ')');
    setInput(undefined);
  } else if (msg.op === 'current') {
    result = call('__chronoscope.current()');
  }
  parentPort.postMessage({ id: msg.id, result });
});
