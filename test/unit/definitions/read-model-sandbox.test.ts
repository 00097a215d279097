/**
 * The rebuilds' read-model sandbox: the shared escape suite (escape-suite.ts) must end in
 * a clear error and leave no marker file; and its workers take slots of the same pool as
 * time travel's.
 */
import { describe, expect, it } from 'vitest';
import { Sandbox, SandboxPool, userReadModel } from '../../../src-main/engine/definitions';
import { DefinitionFailure } from '../../../src-main/engine/rebuild/read-model';
import type { StoredEventView } from '../../../src-main/stores/event-store';
import { itStopsEscapes, type Vector } from './escape-suite';

type Phase = 'load' | 'key' | 'apply';

const model = (key: string, apply: string) => `definition = { name: 'evil', handles: { types: ['E'] }, key: ${key}, apply: ${apply} };`;
const KEY = `function (e) { return e.streamId; }`;
const APPLY = `function (row, e) { return { id: e.streamId, n: 1 }; }`;

/** The definition's code for a vector, placed at the phase it targets. */
const ATTACKS: Record<Vector, Record<Phase, string>> = {
  getter: {
    load: `throw evil;`,
    key: model(`function () { throw evil; }`, APPLY),
    apply: model(KEY, `function () { throw evil; }`),
  },
  toJSON: {
    load: `Object.prototype.toJSON = function () { throw evil; };\n${model(KEY, APPLY)}`,
    key: model(`function (e) { Object.prototype.toJSON = function () { throw evil; }; return e.streamId; }`, APPLY),
    apply: model(KEY, `function () { return poison; }`),
  },
  prepareStackTrace: {
    load: `Error.prepareStackTrace = hook;\nthrow new Error('load');`,
    key: model(`function () { Error.prepareStackTrace = hook; throw new Error('key'); }`, APPLY),
    apply: model(KEY, `function () { Error.prepareStackTrace = hook; throw new Error('apply'); }`),
  },
  // Hands a non-string back to the host in place of the prelude's text answers.
  constructor: {
    load: `Object.defineProperty(api, 'load', { value: function () { return evil; } });\n${model(KEY, APPLY)}`,
    key: model(`function () { Object.defineProperty(api, 'missing', { value: function () { return evil; } }); return 'k'; }`, APPLY),
    apply: model(
      KEY,
      `function () { Object.defineProperty(api, 'apply', { value: function () { return evil; } }); Object.defineProperty(api, 'reset', { value: function () { return evil; } }); return {}; }`,
    ),
  },
};

function event(version: number, type: string): StoredEventView {
  return {
    streamId: 's-1',
    category: 's',
    version,
    eventId: `e${version}`,
    type,
    timestamp: '2026-01-01T00:00:00.000Z',
    data: {},
    metadata: {},
    position: String(version),
  };
}

/** Loads the definition, folds two batches and resets the cache; returns the first failure. */
async function exercise(source: string, pool: SandboxPool): Promise<unknown> {
  let folder;
  try {
    folder = await (await userReadModel('evil', source, { timeoutMs: 1000, pool })).open();
  } catch (e) {
    return e;
  }
  try {
    for (const version of [1, 2]) {
      const batch = [event(version, 'E')];
      await folder.missingKeys(batch);
      await folder.apply(batch, new Map());
    }
    await folder.reset();
    return undefined;
  } catch (e) {
    return e;
  } finally {
    await folder.close();
  }
}

describe('read-model sandbox escapes', () => {
  const pool = new SandboxPool(2);
  itStopsEscapes<Phase>({
    apiGlobal: '__readModel',
    attacks: ATTACKS,
    exercise: (source) => exercise(source, pool),
    expectContained(err, phase) {
      expect(err).toBeInstanceOf(Error);
      if (phase === 'load') {
        expect((err as Error).message).toMatch(/^Definition evil failed to load: .+\. Definitions run with JavaScript built-ins only/);
      } else {
        // The definition's own failure, naming the event it failed on.
        expect(err).toBeInstanceOf(DefinitionFailure);
        expect((err as DefinitionFailure).event).toEqual({ streamId: 's-1', version: 1, type: 'E', position: '1' });
        expect((err as Error).message).toMatch(/^Definition evil failed on E #1 of stream s-1 \(global position 1\): .+\. The live model is untouched/);
      }
      // Every worker it started has exited and given its slot back.
      expect(pool.active).toBe(0);
    },
  });

  it('folds a plain definition after the escapes were tried', async () => {
    const definition = await userReadModel(
      'count',
      `definition = { name: 'count', handles: { types: ['E'] }, key: (e) => e.streamId, apply: (row, e) => ({ id: e.streamId, n: (row ? row.n : 0) + 1, version: e.version }) };`,
      { pool },
    );
    expect(definition.handles).toEqual({ types: ['E'] });
    const folder = await definition.open();
    try {
      const batch = [event(1, 'E'), event(2, 'E'), event(3, 'Other')];
      expect(await folder.missingKeys(batch)).toEqual(['s-1']);
      expect([...(await folder.apply(batch, new Map()))]).toEqual([['s-1', { id: 's-1', n: 3, version: 3 }]]);
    } finally {
      await folder.close();
    }
    expect(pool.active).toBe(0);
  });

  it('refuses a definition that uses require, with the sandbox hint', async () => {
    const failure = await userReadModel('needs', `const fs = require('fs'); definition = { handles: ['E'], key: (e) => e.streamId, apply: () => undefined };`, {
      pool,
    }).catch((e: unknown) => e);
    expect((failure as Error).message).toBe(
      'Definition needs failed to load: ReferenceError: require is not defined. Definitions run with JavaScript built-ins only (no require, import or timers).',
    );
  });
});

describe('read-model workers in the sandbox pool', () => {
  it('take slots of the pool time travel uses: a replay waits while a rebuild folder holds the only slot', async () => {
    const pool = new SandboxPool(1);
    const definition = await userReadModel('count', `definition = { handles: ['E'], key: (e) => e.streamId, apply: (row) => ({ n: 1 }) };`, { pool });
    expect(pool.active).toBe(0);
    const folder = await definition.open();
    expect(pool.active).toBe(1);
    const places: number[] = [];
    const replay = Sandbox.start(`definition = { name: 'r', init: () => 0, handlers: { E: (s) => s + 1 } };`, 'r.js', {
      pool,
      onQueued: (ahead) => places.push(ahead),
    });
    await expect.poll(() => pool.queued).toBe(1);
    expect(places).toEqual([1]);
    await folder.close();
    const run = await replay;
    expect(pool.active).toBe(1);
    expect((await run.apply([event(1, 'E')])).state).toBe(1);
    await run.close();
    // A folder waits for the replay in the same way.
    const second = await Sandbox.start(`definition = { name: 'r', init: () => 0, handlers: {} };`, 'r.js', { pool });
    const opening = definition.open();
    await expect.poll(() => pool.queued).toBe(1);
    await second.close();
    await (await opening).close();
    await expect.poll(() => pool.active).toBe(0);
  });
});
