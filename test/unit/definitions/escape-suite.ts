/**
 * The escape suite both sandboxes run (sandbox-escape.test.ts for time travel's,
 * read-model-sandbox.test.ts for rebuilds' read models): definitions that try to reach a
 * function of the worker's own realm (through a getter the host reads, a `toJSON`, an
 * `Error.prepareStackTrace` hook, or a value handed back to the host) and build `require`
 * from its `constructor`, then write a marker file. Every attempt must fail as the
 * sandbox's own error and leave no marker.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

export type Vector = 'getter' | 'toJSON' | 'prepareStackTrace' | 'constructor';

/**
 * In-context code: `pwn()` looks for a host-realm function among the stack frames
 * (CallSite getFunction / getThis) and up the `caller` chain, and uses its
 * `constructor.constructor` (the host's Function, free of the context's no-eval rule)
 * to get `require` and write MARKER. `evil` is a thrown value whose every property is a
 * getter calling `pwn`; `poison` throws it from `toJSON`; `api` is the prelude's object.
 */
function escapePrelude(marker: string, apiGlobal: string): string {
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
var api = globalThis.${apiGlobal} || ${apiGlobal};
`;
}

export interface EscapeTarget<Phase extends string> {
  /** The global the sandbox's prelude answers through, bound to `api` in the attacks' context. */
  apiGlobal: string;
  /** The definition's code for each vector, placed at the phase it targets (phases run in this order). */
  attacks: Record<Vector, Record<Phase, string>>;
  /** Loads the definition and runs it through every phase; returns the first failure. */
  exercise(source: string): Promise<unknown>;
  /** Asserts the failure is the sandbox's own error for a definition failing at `phase`. */
  expectContained(err: unknown, phase: Phase): void;
}

/** One test per vector and phase: the escape fails as the sandbox's error and writes no marker. */
export function itStopsEscapes<Phase extends string>(target: EscapeTarget<Phase>): void {
  const dir = mkdtempSync(join(tmpdir(), 'chronoscope-escape-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const vector of Object.keys(target.attacks) as Vector[]) {
    for (const phase of Object.keys(target.attacks[vector]) as Phase[]) {
      it(`stops the ${vector} escape at ${phase}, with no side effect`, async () => {
        const marker = join(dir, `${vector}-${phase}.marker`);
        const err = await target.exercise(escapePrelude(marker, target.apiGlobal) + target.attacks[vector][phase]);
        expect(existsSync(marker), `the ${vector} escape at ${phase} wrote its marker`).toBe(false);
        target.expectContained(err, phase);
      });
    }
  }
}
