/**
 * The SnapshotReplayer over the in-memory store (readStream path): one sandbox for many
 * streams, folded many per worker message, each started from init(), and the
 * definition's own errors kept as they are, to their own stream.
 */
import { describe, expect, it } from 'vitest';
import { SnapshotReplayer, type ReplayOutcome } from '../../src-main/engine/snapshots/snapshot-replayer';
import type { DefinitionCatalog } from '../../src-main/engine/definitions/definition-catalog';
import type { StoredEventView } from '../../src-main/stores/event-store';
import { MemoryEventStore } from './stores/memory-event-store';

function event(streamId: string, version: number, type: string, data: unknown): StoredEventView {
  return { streamId, version, type, data, metadata: {}, category: 'counter', timestamp: '2026-01-01T00:00:00.000Z', eventId: `${streamId}-${version}` };
}

const catalogOf = (source: string) =>
  ({
    user: { list: () => [] },
    resolve: async () => ({ name: 'counter', source: { name: 'counter.js', source }, origin: 'user' }),
  }) as unknown as DefinitionCatalog;

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
      // No state of `a` leaks into `b`: its item starts from init().
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

  it('folds many streams per worker message and keeps a failure to its own stream, across messages', async () => {
    const many = new MemoryEventStore();
    const ids = Array.from({ length: 120 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    for (const id of ids) for (let v = 1; v <= 60; v++) many.add(event(id, v, 'Added', { by: 1 }));
    // Stream s050 throws at version 30: its two targets fail, the streams around it do not.
    const throwing = `definition = { name: 'counter', init: () => ({ n: 0 }), handlers: { Added: (s, e) => { if (e.streamId === 's050' && e.version === 30) throw new Error('bad 50'); return { n: s.n + e.data.by }; } } };`;
    const targets = ids.flatMap((id) =>
      id === 's050'
        ? [
            { streamId: id, version: 40 },
            { streamId: id, version: 60 },
          ]
        : [{ streamId: id, version: 60 }],
    );
    const outcomes = await replay(throwing, many, targets);
    expect(outcomes).toHaveLength(targets.length);
    const at = targets.findIndex((t) => t.streamId === 's050');
    expect(outcomes[at]).toMatchObject({ ok: false, message: expect.stringMatching(/bad 50 at event Added \(stream s050, version 30\)/) });
    expect(outcomes[at + 1]).toMatchObject({ ok: false, message: expect.stringMatching(/bad 50/) });
    for (const [i, o] of outcomes.entries())
      if (i !== at && i !== at + 1) expect(o).toEqual({ ok: true, state: { n: 60 }, reached: 60, definition: 'counter' });
  });

  it('replays the streams of a message that timed out one by one, so only the looping stream fails', async () => {
    const looping = `definition = { name: 'counter', init: () => ({ n: 0 }), handlers: { Added: (s, e) => { if (e.streamId === 'b' && e.version === 2) for (;;) {} return { n: s.n + e.data.by }; } } };`;
    const outcomes = await replay(looping, store, [
      { streamId: 'a', version: 5 },
      { streamId: 'b', version: 3 },
      { streamId: 'c', version: 1 },
    ]);
    expect(outcomes[0]).toEqual({ ok: true, state: { n: 15 }, reached: 5, definition: 'counter' });
    expect(outcomes[1]).toMatchObject({ ok: false, message: expect.stringMatching(/did not finish within 2000 ms.*stream b, version 2/) });
    expect(outcomes[2]).toEqual({ ok: true, state: { n: 0 }, reached: 0, definition: 'counter' });
  }, 20_000);

  it('replays targets read ahead by prepare() as it replays others, the prepared reads used only for the same targets', async () => {
    const replayer = new SnapshotReplayer(store, catalogOf(COUNTER), 'counter', new AbortController().signal);
    const outcomes: unknown[] = [];
    try {
      const targets = [
        { streamId: 'a', version: 4 },
        { streamId: 'b', version: 2 },
      ];
      replayer.prepare(targets);
      await replayer.replay(targets, (_t, o) => void outcomes.push(o));
      // Prepared for other targets (a job's page that never came): a replay of these reads its own.
      replayer.prepare([{ streamId: 'b', version: 1 }]);
      await replayer.replay([{ streamId: 'a', version: 1 }], (_t, o) => void outcomes.push(o));
    } finally {
      await replayer.close();
    }
    expect(outcomes).toEqual([
      { ok: true, state: { n: 10, seen: ['a', 'a', 'a', 'a'] }, reached: 4, definition: 'counter' },
      { ok: true, state: { n: 3, seen: ['b', 'b'] }, reached: 2, definition: 'counter' },
      { ok: true, state: { n: 1, seen: ['a'] }, reached: 1, definition: 'counter' },
    ]);
  });
});
