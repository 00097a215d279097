import { describe, expect, it } from 'vitest';
import type { PartitionLag } from '../../../src-shared/schemas/kafka';
import { chooseFetches, ExactLag, exactPosition, type ExactCandidate } from '../../../src-main/engine/kafka/exact-lag';
import { refKey, type MessageRef } from '../../../src-main/engine/kafka/first-message';

const partition = (p: Partial<PartitionLag> & { partition: number }): PartitionLag => ({
  topic: 'orders',
  committed: '10',
  end: '20',
  lag: 10,
  lagSeconds: 4,
  lagSecondsBasis: 'interpolated',
  status: 'OK',
  reason: '',
  ...p,
});
const bounds = (start: number, end: number, p = 0) => ({ partition: p, start, end });

describe('which partitions get an exact lag in seconds', () => {
  it('reads the committed offset of a partition that is behind and still inside the log', () => {
    expect(exactPosition(partition({ partition: 0 }), bounds(0, 20))).toEqual({ topic: 'orders', partition: 0, offset: 10 });
    expect(exactPosition(partition({ partition: 0 }), bounds(10, 20))).toEqual({ topic: 'orders', partition: 0, offset: 10 });
  });

  it('leaves caught-up, never-committed, deleted-by-retention and unknown partitions interpolated', () => {
    expect(exactPosition(partition({ partition: 0, committed: '20', lag: 0 }), bounds(0, 20))).toBeUndefined();
    expect(exactPosition(partition({ partition: 0, committed: null }), bounds(0, 20))).toBeUndefined();
    expect(exactPosition(partition({ partition: 0 }), bounds(11, 20))).toBeUndefined();
    expect(exactPosition(partition({ partition: 0, committed: '25', lag: 0 }), bounds(0, 20))).toBeUndefined();
    expect(exactPosition(partition({ partition: 0 }), undefined)).toBeUndefined();
  });

  const candidate = (c: Partial<ExactCandidate> & { partition: number }): ExactCandidate => ({ topic: 'orders', offset: 10, pinned: false, lag: 10, ...c });

  it('reads pinned groups first, then the longest estimated lag, then the most messages behind, within the budget', () => {
    const chosen = chooseFetches(
      [
        candidate({ partition: 0, seconds: 100, lag: 5 }),
        candidate({ partition: 1, seconds: 2, pinned: true }),
        candidate({ partition: 2, seconds: 50, lag: 1 }),
        candidate({ partition: 3, seconds: 50, lag: 900 }),
        candidate({ partition: 4, lag: 10_000 }),
      ],
      () => false,
      4,
    );
    expect(chosen.map((r) => r.partition)).toEqual([1, 0, 3, 2]);
  });

  it('reads a position once however many groups sit on it, and never one already known', () => {
    const chosen = chooseFetches(
      [
        candidate({ partition: 0, seconds: 1 }),
        candidate({ partition: 0, seconds: 9, pinned: true }),
        candidate({ partition: 1 }),
        candidate({ partition: 2 }),
      ],
      (ref) => ref.partition === 1,
      10,
    );
    expect(chosen).toEqual([
      { topic: 'orders', partition: 0, offset: 10 },
      { topic: 'orders', partition: 2, offset: 10 },
    ]);
    expect(chooseFetches([candidate({ partition: 0 })], () => false, 0)).toEqual([]);
  });
});

describe('ExactLag', () => {
  const now = 1_000_000;
  function exact(times: Map<string, number>, options: { hang?: boolean; fail?: boolean } = {}) {
    const asked: MessageRef[][] = [];
    const lag = new ExactLag({
      deadlineMs: 50,
      readTimes: async (_id, refs) => {
        asked.push(refs);
        if (options.fail) throw new Error('broker gone');
        if (options.hang) await new Promise((resolve) => setTimeout(resolve, 200));
        return new Map(refs.filter((r) => times.has(refKey(r))).map((r) => [refKey(r), times.get(refKey(r))!]));
      },
    });
    return { lag, asked };
  }
  const ends = new Map([['orders', [bounds(0, 20, 0), bounds(0, 20, 1), bounds(15, 20, 2)]]]);

  it('replaces the estimate with now minus the message time where it was read, labelled exact, and remembers it', async () => {
    const { lag, asked } = exact(new Map([[refKey({ topic: 'orders', partition: 0, offset: 10 }), now - 42_500]]));
    const partitions = [partition({ partition: 0 }), partition({ partition: 1 }), partition({ partition: 2 })];
    await lag.refine('c', [{ pinned: false, partitions }], ends, now);
    expect(partitions.map((p) => [p.lagSeconds, p.lagSecondsBasis])).toEqual([
      [42.5, 'exact'],
      // Not read (the message was not returned) and below the log start: the estimate stays, and says so.
      [4, 'interpolated'],
      [4, 'interpolated'],
    ]);
    expect(asked).toEqual([
      [
        { topic: 'orders', partition: 0, offset: 10 },
        { topic: 'orders', partition: 1, offset: 10 },
      ],
    ]);

    // Unmoved offset: no new read, the figure grows with the clock; the unreadable one is left alone for a minute.
    const again = [partition({ partition: 0 }), partition({ partition: 1 })];
    await lag.refine('c', [{ pinned: false, partitions: again }], ends, now + 5000);
    expect(again[0]).toMatchObject({ lagSeconds: 47.5, lagSecondsBasis: 'exact' });
    expect(again[1]).toMatchObject({ lagSecondsBasis: 'interpolated' });
    expect(asked.length).toBe(1);
    await lag.refine('c', [{ pinned: false, partitions: [partition({ partition: 1 })] }], ends, now + 61_000);
    expect(asked[1]).toEqual([{ topic: 'orders', partition: 1, offset: 10 }]);
    expect(lag.positionsRead).toBe(3);
  });

  it('keeps the estimate when the read fails or outlasts the deadline', async () => {
    const failing = exact(new Map(), { fail: true });
    const a = [partition({ partition: 0 })];
    await failing.lag.refine('c', [{ pinned: false, partitions: a }], ends, now);
    expect(a[0]).toMatchObject({ lagSeconds: 4, lagSecondsBasis: 'interpolated' });
    await failing.lag.refine('c', [{ pinned: false, partitions: a }], ends, now + 5000);
    expect(failing.asked.length).toBe(1);

    const slow = exact(new Map([[refKey({ topic: 'orders', partition: 0, offset: 10 }), now - 1000]]), { hang: true });
    const b = [partition({ partition: 0 })];
    const started = performance.now();
    await slow.lag.refine('c', [{ pinned: false, partitions: b }], ends, now);
    expect(performance.now() - started).toBeLessThan(190);
    expect(b[0]).toMatchObject({ lagSecondsBasis: 'interpolated' });
    // The late answer is kept for the next tick, which does not ask again while it is under way or once known.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const c = [partition({ partition: 0 })];
    await slow.lag.refine('c', [{ pinned: false, partitions: c }], ends, now + 1000);
    expect(c[0]).toMatchObject({ lagSeconds: 2, lagSecondsBasis: 'exact' });
    expect(slow.asked.length).toBe(1);
  });
});
