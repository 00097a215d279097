import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DefinitionSource } from '../../../src-main/engine/definitions/definitions';
import { MERGE_DEFINITION } from '../../../src-main/engine/definitions/definitions';
import { compare, fieldHistory, stateAt, stepThrough, verifySnapshot, type TimeTravelProgress } from '../../../src-main/engine/time-travel/reconstruct';
import { SandboxError } from '../../../src-main/engine/definitions/sandbox';
import { MemoryPort, generateAccountStream } from './memory-port';

const account: DefinitionSource = { name: 'account.js', source: readFileSync(join(process.cwd(), 'resources/projections/account.js'), 'utf8') };

function setup(count = 2300) {
  const port = new MemoryPort();
  const { events, states } = generateAccountStream('acc-1', count, 7);
  port.streams.set('acc-1', events);
  return { port, store: port.asStore(), events, states };
}

describe('stateAt', () => {
  it('folds up to a version in keyset pages, never more than a page at a time', async () => {
    const { port, store, states } = setup();
    const progress: TimeTravelProgress[] = [];
    const result = await stateAt(store, 'acc-1', { version: 1500 }, account, { pageSize: 400, onProgress: (p) => progress.push(p) });
    expect(result).toMatchObject({ state: states[1500], version: 1500, applied: 1500, fromSnapshotVersion: 0 });
    expect(port.maxPageServed).toBeLessThanOrEqual(400);
    expect(progress.map((p) => p.version)).toEqual([400, 800, 1200, 1500]);
    expect(progress.at(-1)).toEqual({ applied: 1500, version: 1500, targetVersion: 1500 });
    expect((await stateAt(store, 'acc-1', { version: 0 }, account)).state).toEqual(states[0]);
    const beyond = await stateAt(store, 'acc-1', { version: 99_999 }, account);
    expect(beyond).toMatchObject({ version: 2300, state: states[2300] });
  });

  it('picks the last event at or before an instant', async () => {
    const { store, events, states } = setup(300);
    const e = events[122]!; // version 123
    const exact = await stateAt(store, 'acc-1', { time: e.timestamp! }, account, { pageSize: 50 });
    expect(exact).toMatchObject({ version: 123, timestamp: e.timestamp, state: states[123] });
    const between = new Date(Date.parse(e.timestamp!) + 30_000).toISOString();
    expect((await stateAt(store, 'acc-1', { time: between }, account)).version).toBe(123);
    expect((await stateAt(store, 'acc-1', { time: '2000-01-01T00:00:00Z' }, account)).version).toBe(0);
    await expect(stateAt(store, 'acc-1', { time: 'yesterday' }, account)).rejects.toThrow(/not a valid ISO-8601 instant/);
  });

  it('starts from a snapshot when it lies before the target', async () => {
    const { store, events, states } = setup(300);
    const fromSnapshot = await stateAt(store, 'acc-1', { version: 250 }, account, { snapshot: { version: 200, state: states[200] } });
    expect(fromSnapshot).toMatchObject({ state: states[250], applied: 50, fromSnapshotVersion: 200 });
    const ignored = await stateAt(store, 'acc-1', { version: 150 }, account, { snapshot: { version: 200, state: states[200] } });
    expect(ignored).toMatchObject({ state: states[150], applied: 150, fromSnapshotVersion: 0 });
    const byTime = await stateAt(store, 'acc-1', { time: events[99]!.timestamp! }, account, { snapshot: { version: 200, state: states[200] } });
    expect(byTime).toMatchObject({ version: 100, fromSnapshotVersion: 0 });
  });

  it('can be cancelled', async () => {
    const { store } = setup();
    const controller = new AbortController();
    const promise = stateAt(store, 'acc-1', { version: 2300 }, account, {
      pageSize: 100,
      signal: controller.signal,
      onProgress: (p) => p.version >= 300 && controller.abort(new Error('user cancelled')),
    });
    await expect(promise).rejects.toThrow('user cancelled');
    const aborted = AbortSignal.abort();
    await expect(stateAt(store, 'acc-1', { version: 10 }, account, { signal: aborted })).rejects.toThrow(/aborted/i);
  });

  it('reports a failing definition with the event', async () => {
    const { store } = setup(50);
    const broken: DefinitionSource = {
      name: 'broken.js',
      source: account.source.replace(
        'return Object.assign({}, state, { balanceCents: event.data.balanceCents });',
        'if (event.version === 17) throw new Error("nope");\n  return state;',
      ),
    };
    const err = await stateAt(store, 'acc-1', { version: 50 }, broken).then(
      () => undefined,
      (e: unknown) => e as SandboxError,
    );
    expect(err).toBeInstanceOf(SandboxError);
    expect(err?.message).toMatch(/threw Error: nope at event \w+ \(stream acc-1, version 17\) \(definition:broken\.js:\d+:\d+\)/);
  });
});

describe('stepThrough, compare, fieldHistory, verifySnapshot', () => {
  it('steps through a window with before/after/diff', async () => {
    const { store, events, states } = setup(1200);
    const { steps, truncated } = await stepThrough(store, 'acc-1', 995, 1005, account, { pageSize: 100 });
    expect(truncated).toBe(false);
    expect(steps.map((s) => s.event.version)).toEqual([995, 996, 997, 998, 999, 1000, 1001, 1002, 1003, 1004, 1005]);
    steps.forEach((s) => {
      expect(s.before).toEqual(states[s.event.version - 1]);
      expect(s.after).toEqual(states[s.event.version]);
      expect(s.diff).toEqual(compare(s.before, s.after));
      expect(s.event).toEqual(events[s.event.version - 1]);
    });
    const first = await stepThrough(store, 'acc-1', 1, 3, account);
    expect(first.steps[0]!.diff).toEqual([
      { path: ['currency'], kind: 'changed', before: '', after: 'EUR' },
      { path: ['ownerId'], kind: 'changed', before: '', after: 'owner-7' },
      { path: ['status'], kind: 'changed', before: 'new', after: 'open' },
    ]);
    const capped = await stepThrough(store, 'acc-1', 10, 1000, account, { maxSteps: 5 });
    expect(capped.steps).toHaveLength(5);
    expect(capped.truncated).toBe(true);
  });

  it('lists the events that changed a field', async () => {
    const { store, events, states } = setup(400);
    const history = await fieldHistory(store, 'acc-1', ['balanceCents'], account, { pageSize: 64 });
    const expected = events.filter((e) => states[e.version - 1]!.balanceCents !== states[e.version]!.balanceCents);
    expect(history.changes.map((c) => c.event.version)).toEqual(expected.map((e) => e.version));
    expect(history.changes[0]).toMatchObject({ before: 0, after: states[history.changes[0]!.event.version]!.balanceCents });
    expect(history.version).toBe(400);
    const status = await fieldHistory(store, 'acc-1', ['status'], account);
    expect(status.changes[0]).toMatchObject({ before: 'new', after: 'open', event: { version: 1, type: 'AccountOpened' } });
    const limited = await fieldHistory(store, 'acc-1', ['balanceCents'], account, { maxChanges: 3 });
    expect(limited).toMatchObject({ truncated: true });
    expect(limited.changes).toHaveLength(3);
  });

  it('works on any stream with the merge definition', async () => {
    const port = new MemoryPort();
    port.streams.set(
      'doc-1',
      [1, 2, 3].map((v) => ({
        streamId: 'doc-1',
        category: null,
        version: v,
        eventId: null,
        type: 'Patched',
        timestamp: null,
        data: v === 2 ? { title: 'b', tags: ['x'] } : { title: v === 1 ? 'a' : 'c' },
        metadata: null,
      })),
    );
    const store = port.asStore();
    expect((await stateAt(store, 'doc-1', { version: 3 }, MERGE_DEFINITION)).state).toEqual({ title: 'c', tags: ['x'] });
    const history = await fieldHistory(store, 'doc-1', ['tags'], MERGE_DEFINITION);
    expect(history.changes.map((c) => [c.event.version, c.before, c.after])).toEqual([[2, undefined, ['x']]]);
    await expect(stateAt(store, 'doc-1', { time: '2026-01-01T00:00:00Z' }, MERGE_DEFINITION)).rejects.toThrow(/has no timestamp/);
  });

  it('takes version 0 as the first event where the store numbers streams from 0 (Message DB)', async () => {
    const port = new MemoryPort();
    port.firstVersion = 0;
    port.streams.set(
      'doc-0',
      [0, 1, 2].map((v) => ({
        streamId: 'doc-0',
        category: null,
        version: v,
        eventId: null,
        type: 'Patched',
        timestamp: null,
        data: { [`k${v}`]: v },
        metadata: null,
      })),
    );
    const store = port.asStore();
    expect(await stateAt(store, 'doc-0', { version: 0 }, MERGE_DEFINITION)).toMatchObject({ version: 0, applied: 1, state: { k0: 0 } });
    expect(await stateAt(store, 'doc-0', { version: 2 }, MERGE_DEFINITION)).toMatchObject({ version: 2, applied: 3, state: { k0: 0, k1: 1, k2: 2 } });
    const steps = await stepThrough(store, 'doc-0', 0, 1, MERGE_DEFINITION);
    expect(steps.steps.map((s) => [s.event.version, s.before, s.after])).toEqual([
      [0, {}, { k0: 0 }],
      [1, { k0: 0 }, { k0: 0, k1: 1 }],
    ]);
    const history = await fieldHistory(store, 'doc-0', ['k0'], MERGE_DEFINITION);
    expect(history.changes.map((c) => c.event.version)).toEqual([0]);
  });

  it('verifies snapshots and names the wrong field', async () => {
    const { store, states } = setup(300);
    expect(await verifySnapshot(store, 'acc-1', { version: 200, state: states[200] }, account)).toMatchObject({ ok: true, diff: [], streamTooShort: false });
    const corrupted = { ...states[200]!, balanceCents: states[200]!.balanceCents + 1 };
    const bad = await verifySnapshot(store, 'acc-1', { version: 200, state: corrupted }, account);
    expect(bad.ok).toBe(false);
    expect(bad.diff).toEqual([{ path: ['balanceCents'], kind: 'changed', before: states[200]!.balanceCents, after: corrupted.balanceCents }]);
    const tooFar = await verifySnapshot(store, 'acc-1', { version: 400, state: states[300] }, account);
    expect(tooFar).toMatchObject({ ok: false, streamTooShort: true, reachedVersion: 300, diff: [] });
  });
});
