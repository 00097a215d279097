/**
 * Definitions written to escape the sandbox: each tries to reach a function of the
 * worker's own realm (through a getter the host reads, a `toJSON`, an
 * `Error.prepareStackTrace` hook, or a value handed back to the host) and build
 * `require` from its `constructor`, then write a marker file. Every attempt must end
 * in a SandboxError and leave no marker.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox, SandboxError } from '../../../src-main/engine/definitions/sandbox';
import type { StoredEventView } from '../../../src-main/stores/event-store';

const dir = mkdtempSync(join(tmpdir(), 'chronoscope-escape-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * In-context code: `pwn()` looks for a host-realm function among the stack frames
 * (CallSite getFunction / getThis) and up the `caller` chain, and uses its
 * `constructor.constructor` (the host's Function, free of the context's no-eval rule)
 * to get `require` and write MARKER. `evil` is a thrown value whose every property is a getter calling `pwn`.
 */
function prelude(marker: string): string {
  return String.raw`
var MARKER = ${JSON.stringify(marker)};
function tryFrom(c) {
  try {
    if (c === null || c === undefined) return false;
    var F = typeof c === 'function' ? c.constructor : c.constructor.constructor;
    F('return typeof require === "function" ? require : process.mainModule.require')()('fs').writeFileSync(MARKER, 'escaped');
    return true;
  } catch (_) { return false; }
}
function fromCallsites(cs) {
  if (!Array.isArray(cs)) return false;
  for (var i = 0; i < cs.length; i++) {
    try { if (tryFrom(cs[i].getFunction()) || tryFrom(cs[i].getThis())) return true; } catch (_) {}
  }
  return false;
}
var busy = false;
function pwn() {
  if (busy) return;
  busy = true;
  try { attempt(); } finally { busy = false; }
}
function attempt() {
  try {
    var old = Error.prepareStackTrace;
    Error.prepareStackTrace = function (_, cs) { return cs; };
    var cs = new Error('probe').stack;
    Error.prepareStackTrace = old;
    if (fromCallsites(cs)) return;
  } catch (_) {}
  try {
    var f = attempt.caller;
    for (var i = 0; f && i < 30; i++) { if (tryFrom(f)) return; f = f.caller; }
  } catch (_) {}
  try { this.constructor.constructor('return require')()('fs').writeFileSync(MARKER, 'escaped'); } catch (_) {}
}
function getterTrap() { pwn(); return 'trapped'; }
var evil = {};
['name', 'message', 'stack', 'code', 'constructor', 'then'].forEach(function (k) {
  Object.defineProperty(evil, k, { get: function () { return getterTrap(); } });
});
evil.toString = function () { pwn(); return 'evil'; };
evil[Symbol.toPrimitive] = function () { pwn(); return 'evil'; };
function hook(err, callsites) {
  fromCallsites(callsites);
  try { var f = hook.caller; for (var i = 0; f && i < 30; i++) { if (tryFrom(f)) break; f = f.caller; } } catch (_) {}
  return 'hooked';
}
var poison = { toJSON: function () { throw evil; } };
`;
}

type Phase = 'load' | 'init' | 'apply';
type Vector = 'getter' | 'toJSON' | 'prepareStackTrace' | 'constructor';

/** The definition's code for a vector, placed at the phase it targets. */
const ATTACKS: Record<Vector, Record<Phase, string>> = {
  getter: {
    load: `throw evil;`,
    init: `definition = { name: 'evil', init: function () { throw evil; }, handlers: {} };`,
    apply: `definition = { name: 'evil', init: function () { return {}; }, handlers: { E: function () { throw evil; } } };`,
  },
  toJSON: {
    load: `Object.prototype.toJSON = function () { throw evil; };\ndefinition = { name: 'evil', init: function () { return {}; }, handlers: {} };`,
    init: `definition = { name: 'evil', init: function () { return poison; }, handlers: {} };`,
    apply: `definition = { name: 'evil', init: function () { return {}; }, handlers: { E: function () { return poison; } } };`,
  },
  prepareStackTrace: {
    load: `Error.prepareStackTrace = hook;\nthrow new Error('load');`,
    init: `definition = { name: 'evil', init: function () { Error.prepareStackTrace = hook; throw new Error('init'); }, handlers: {} };`,
    apply: `definition = { name: 'evil', init: function () { return {}; }, handlers: { E: function () { Error.prepareStackTrace = hook; throw new Error('apply'); } } };`,
  },
  // Hands a non-string back to the host in place of the prelude's text answers.
  constructor: {
    load: `var api = globalThis.__chronoscope || __chronoscope;\nObject.defineProperty(api, 'load', { value: function () { return evil; } });\ndefinition = { name: 'evil', init: function () { return {}; }, handlers: {} };`,
    init: `definition = { name: 'evil', init: function () { Object.defineProperty(__chronoscope, 'current', { value: function () { return evil; } }); Object.defineProperty(__chronoscope, 'apply', { value: function () { return evil; } }); return {}; }, handlers: {} };`,
    apply: `definition = { name: 'evil', init: function () { return {}; }, handlers: { E: function (s) { Object.defineProperty(__chronoscope, 'apply', { value: function () { return evil; } }); Object.defineProperty(__chronoscope, 'current', { value: function () { return evil; } }); return s; } } };`,
  },
};

function event(version: number, type: string): StoredEventView {
  return { streamId: 's-1', category: 's', version, eventId: `e${version}`, type, timestamp: '2026-01-01T00:00:00.000Z', data: {}, metadata: {} };
}

/** Loads the definition, applies two batches and reads the state; returns the first failure. */
async function exercise(source: string): Promise<unknown> {
  let run: Sandbox;
  try {
    run = await Sandbox.start(source, 'evil.js', { timeoutMs: 1000 });
  } catch (e) {
    return e;
  }
  try {
    await run.apply([event(1, 'E')]);
    await run.apply([event(2, 'Other')]);
    await run.state();
    return undefined;
  } catch (e) {
    return e;
  } finally {
    await run.close();
  }
}

describe('sandbox escapes', () => {
  const vectors = Object.keys(ATTACKS) as Vector[];
  const phases: Phase[] = ['load', 'init', 'apply'];
  for (const vector of vectors) {
    for (const phase of phases) {
      it(`stops the ${vector} escape at ${phase}, with no side effect`, async () => {
        const marker = join(dir, `${vector}-${phase}.marker`);
        const err = await exercise(prelude(marker) + ATTACKS[vector][phase]);
        expect(existsSync(marker), `the ${vector} escape at ${phase} wrote its marker`).toBe(false);
        expect(err).toBeInstanceOf(SandboxError);
        // The definition's own failure, told as such: it failed to load, its init failed, or it threw.
        expect((err as SandboxError).kind).toMatch(/^(definition|handler)$/);
        expect((err as SandboxError).message).toMatch(/^Definition evil(\.js failed to load|: init\(\) failed| threw)/);
      });
    }
  }

  it('runs a plain definition after the escapes were tried', async () => {
    const run = await Sandbox.start(`definition = { name: 'count', init: () => ({ n: 0 }), handlers: { E: (s) => ({ n: s.n + 1 }) } };`, 'count.js');
    try {
      expect((await run.apply([event(1, 'E'), event(2, 'E')])).state).toEqual({ n: 2 });
    } finally {
      await run.close();
    }
  });
});
