// @ts-check
/**
 * The read-model sandbox worker's own code (CommonJS, evaluated by
 * `new Worker(text, {eval: true})` in read-model-sandbox.ts; shipped as text in
 * sandbox-text.generated.ts, rebuilt by `node scripts/sandbox-text.mjs`). Same rules as
 * sandbox-worker.cjs: strict, it never reads a property of a value of the context (the
 * prelude answers with text, anything else is refused), and a thrown value of the
 * context goes back into the context to be described there.
 */
'use strict';
const threads = require('node:worker_threads');
const { sandboxContext } = require('./sandbox-context.cjs');
if (threads.parentPort === null) throw new Error('read-model-worker.cjs runs only as a worker thread');
const parentPort = threads.parentPort;
/** @type {{ prelude: string, guard: string, source: string, filename: string, timeoutMs: number, externalLimitMb: number }} */
const { prelude, guard, source, filename, timeoutMs, externalLimitMb } = threads.workerData;
const { run, setInput, call, evaluate, guardedCall, guardedLoad, NOT_TEXT } = sandboxContext({ filename, timeoutMs, api: '__readModel', guard, externalLimitMb });

function load() {
  try {
    run(prelude, 'chronoscope:prelude');
  } catch {
    return JSON.stringify({ ok: false, index: -1, error: { name: 'Error', message: 'the sandbox could not start', stack: '' } });
  }
  return evaluate(source) ?? call('__readModel.load()');
}
const loaded = guardedLoad(load);
parentPort.postMessage({ type: 'loaded', result: loaded });
const usable = loaded.startsWith('{"ok":true');

parentPort.on('message', (/** @type {{ id: number, op: string, events?: string, limit?: number, loaded?: string }} */ msg) => {
  let result = NOT_TEXT;
  if (!usable) {
    // answers NOT_TEXT: the definition did not load
  } else if (msg.op === 'missing') {
    setInput(msg.events);
    const limit = Number(msg.limit);
    result = guardedCall('__readModel.missing(__input, ' + (Number.isSafeInteger(limit) ? String(limit) : '0') + ')');
    setInput(undefined);
  } else if (msg.op === 'apply') {
    setInput(msg.loaded);
    result = guardedCall('__readModel.apply(__input)');
    setInput(undefined);
  } else if (msg.op === 'reset') {
    result = guardedCall('__readModel.reset()');
  }
  parentPort.postMessage({ id: msg.id, result });
});
