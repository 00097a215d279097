/**
 * Time travel's sandbox against the shared escape suite (escape-suite.ts): every
 * attempt must end in a SandboxError and leave no marker.
 */
import { describe, expect, it } from 'vitest';
import { Sandbox, SandboxError } from '../../../src-main/engine/definitions/sandbox';
import type { StoredEventView } from '../../../src-main/stores/event-store';
import { itStopsEscapes, type Vector } from './escape-suite';

type Phase = 'load' | 'init' | 'apply';

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
    load: `Object.defineProperty(api, 'load', { value: function () { return evil; } });\ndefinition = { name: 'evil', init: function () { return {}; }, handlers: {} };`,
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
  itStopsEscapes<Phase>({
    apiGlobal: '__chronoscope',
    attacks: ATTACKS,
    exercise,
    expectContained(err) {
      expect(err).toBeInstanceOf(SandboxError);
      // The definition's own failure, told as such: it failed to load, its init failed, or it threw.
      expect((err as SandboxError).kind).toMatch(/^(definition|handler)$/);
      expect((err as SandboxError).message).toMatch(/^Definition evil(\.js failed to load|: init\(\) failed| threw)/);
    },
  });

  it('runs a plain definition after the escapes were tried', async () => {
    const run = await Sandbox.start(`definition = { name: 'count', init: () => ({ n: 0 }), handlers: { E: (s) => ({ n: s.n + 1 }) } };`, 'count.js');
    try {
      expect((await run.apply([event(1, 'E'), event(2, 'E')])).state).toEqual({ n: 2 });
    } finally {
      await run.close();
    }
  });
});
