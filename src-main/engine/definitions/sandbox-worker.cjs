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
const { types } = require('node:util');
const { sandboxContext } = require('./sandbox-context.cjs');
if (threads.parentPort === null) throw new Error('sandbox-worker.cjs runs only as a worker thread');
const parentPort = threads.parentPort;
/** @type {{ prelude: string, guard: string, replayTuple: string[], source: string, filename: string, timeoutMs: number, externalLimitMb: number }} */
const { prelude, guard, replayTuple, source, filename, timeoutMs, externalLimitMb } = threads.workerData;
const { run, setInput, call, evaluate, guardedCall, guardedLoad, NOT_TEXT } = sandboxContext({ filename, timeoutMs, api: '__chronoscope', guard, externalLimitMb });

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

const loaded = guardedLoad(() => evaluate(source) ?? call('__chronoscope.load()'));
parentPort.postMessage({ type: 'loaded', result: loaded });
const usable = loaded.startsWith('{"ok":true');

parentPort.on('message', (/** @type {{ id: number, op: string, state?: string, batch?: string, steps?: boolean }} */ msg) => {
  if (!usable) return;
  let result = NOT_TEXT;
  if (msg.op === 'reset') {
    setInput(msg.state);
    result = guardedCall(typeof msg.state === 'string' ? '__chronoscope.reset(__input)' : '__chronoscope.reset()');
    setInput(undefined);
  } else if (msg.op === 'apply') {
    setInput(msg.batch);
    result = guardedCall('__chronoscope.apply(__input, ' + (msg.steps ? 'true' : 'false') + ', ' + (msg.state ? 'true' : 'false') + ')');
    setInput(undefined);
  } else if (msg.op === 'applyMany') {
    setInput(msg.batch);
    result = guardedCall('__chronoscope.applyMany(__input)');
    setInput(undefined);
  } else if (msg.op === 'current') {
    result = guardedCall('__chronoscope.current()');
  }
  parentPort.postMessage({ id: msg.id, result });
});
