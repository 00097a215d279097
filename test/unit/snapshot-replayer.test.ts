/**
 * The SnapshotReplayer over the in-memory store (readStream path): one sandbox for many
 * streams, each started from init() by the reset event its first batch carries, and
 * the definition's own errors kept as they are.
 */
import { describe, expect, it } from 'vitest';
import { SnapshotReplayer, type ReplayOutcome } from '../../src-main/engine/snapshots/snapshot-replayer';
import type { DefinitionCatalog } from '../../src-main/engine/definitions/definition-catalog';
import type { StoredEventView } from '../../src-main/stores/event-store';
import { MemoryEventStore } from './stores/memory-event-store';

function event(streamId: string, version: number, type: string, data: unknown): StoredEventView {
  return { streamId, version, type, data, metadata: {}, category: 'counter', timestamp: '2026-01-01T00:00:00.000Z', eventId: `${streamId}-${version}` };
}

const catalogOf = (source: string) => ({ user: { list: () => [] }, resolve: async () => ({ name: 'counter', source: { name: 'counter.js', source }, origin: 'user' }) }) as unknown as DefinitionCatalog;

const COUNTER = `definition = { name: 'counter', init: () => ({ n: 0, seen: [] }), handlers: { Added: (s, e) => ({ n: s.n + e.data.by, seen: s.seen.concat(e.streamId) }) } };`;

async function replay(source: string, store: MemoryEventStore, targets: { streamId: string; version: number }[]): Promise<ReplayOutcome[]> {
  const replayer = new SnapshotReplayer(store, catalogOf(source), 'counter', new AbortController().signal);
  const outcomes: ReplayOutcome[] = [];
  try {
    await replayer.replay(targets, (_t, o) => void outcomes.push(o));
  } finally {
    await replayer.close();
  }
  return outcomes;
}

describe('SnapshotReplayer', () => {
  const store = new MemoryEventStore();
  for (const [id, count] of [
    ['a', 5],
    ['b', 3],
  ] as const) {
    for (let v = 1; v <= count; v++) store.add(event(id, v, 'Added', { by: v }));
  }

  it('gives each stream its own state from init(), at each snapshot version, with one worker', async () => {
    const outcomes = await replay(COUNTER, store, [
      { streamId: 'a', version: 2 },
      { streamId: 'a', version: 5 },
      { streamId: 'b', version: 3 },
      { streamId: 'c', version: 1 },
    ]);
    expect(outcomes).toEqual([
      { ok: true, state: { n: 3, seen: ['a', 'a'] }, reached: 2, definition: 'counter' },
      { ok: true, state: { n: 15, seen: ['a', 'a', 'a', 'a', 'a'] }, reached: 5, definition: 'counter' },
      // No state of `a` leaks into `b`: the reset event went first.
      { ok: true, state: { n: 6, seen: ['b', 'b', 'b'] }, reached: 3, definition: 'counter' },
      // A stream without events: init() and nothing reached.
      { ok: true, state: { n: 0, seen: [] }, reached: 0, definition: 'counter' },
    ]);
  });

  it("reports a definition's failure per stream with its own words", async () => {
    const [missing] = await replay('var x = 1;', store, [{ streamId: 'a', version: 1 }]);
    expect(missing).toMatchObject({ ok: false, message: expect.stringContaining('must assign an object to the global "definition"') });
    const throwing = `definition = { name: 'counter', init: () => ({}), handlers: { Added: (s, e) => { if (e.version === 2) throw new Error('boom'); return s; } } };`;
    const outcomes = await replay(throwing, store, [
      { streamId: 'a', version: 1 },
      { streamId: 'a', version: 3 },
      { streamId: 'b', version: 1 },
    ]);
    expect(outcomes[0]).toMatchObject({ ok: true });
    expect(outcomes[1]).toMatchObject({ ok: false, message: expect.stringMatching(/boom at event Added \(stream a, version 2\)/) });
    // The next stream gets a fresh sandbox.
    expect(outcomes[2]).toMatchObject({ ok: true, reached: 1 });
  });
});
