import { describe, expect, it } from 'vitest';
import { planBatch, scaleOutProgress, type ReplayMessage } from '../../../src-main/engine/rebuild/scale-out/bookkeeping';
import { parseWorkerConfig } from '../../../src-main/engine/rebuild/scale-out/worker-config';

const messages = (...pairs: [number, number][]): ReplayMessage<string>[] =>
  pairs.map(([offset, position]) => ({ offset: BigInt(offset), position: BigInt(position), event: `e${position}` }));

describe('scale-out offset bookkeeping', () => {
  it('applies a fresh batch and moves the mark past its last offset and position', () => {
    const plan = planBatch(messages([0, 10], [1, 14], [2, 20]), { nextOffset: 0n, position: 0n });
    expect(plan).toEqual({ apply: ['e10', 'e14', 'e20'], next: { nextOffset: 3n, position: 20n }, belowOffset: 0, republished: 0 });
  });

  it('skips messages below the stored offset (a redelivery after a crash or a rebalance)', () => {
    const plan = planBatch(messages([3, 30], [4, 31], [5, 40], [6, 41]), { nextOffset: 5n, position: 31n });
    expect(plan.apply).toEqual(['e40', 'e41']);
    expect(plan.next).toEqual({ nextOffset: 7n, position: 41n });
    expect(plan.belowOffset).toBe(2);
  });

  it('skips events published twice by an interrupted publisher, but moves the offset past them', () => {
    // The publisher sent positions 30..41 and was killed before recording it; resumed, it sent 31..41 again.
    const plan = planBatch(messages([7, 31], [8, 40], [9, 41], [10, 50]), { nextOffset: 7n, position: 41n });
    expect(plan.apply).toEqual(['e50']);
    expect(plan.republished).toBe(3);
    expect(plan.next).toEqual({ nextOffset: 11n, position: 50n });
  });

  it('leaves the mark alone when nothing in the batch is new', () => {
    expect(planBatch(messages([1, 10], [2, 11]), { nextOffset: 3n, position: 11n }).next).toBeNull();
    expect(planBatch([], { nextOffset: 0n, position: 0n }).next).toBeNull();
  });

  it('counts what is applied and behind, and is complete only once publishing is over and every partition reached its end', () => {
    const partitions = [
      { partition: 0, nextOffset: 10n, events: 9 },
      { partition: 1, nextOffset: 4n, events: 4 },
    ];
    expect(scaleOutProgress(partitions, null, false)).toEqual({ applied: 13, behind: null, complete: false });
    expect(
      scaleOutProgress(
        partitions,
        new Map([
          [0, 10n],
          [1, 7n],
        ]),
        true,
      ),
    ).toEqual({ applied: 13, behind: 3, complete: false });
    expect(
      scaleOutProgress(
        partitions,
        new Map([
          [0, 10n],
          [1, 4n],
        ]),
        false,
      ).complete,
    ).toBe(false);
    expect(
      scaleOutProgress(
        partitions,
        new Map([
          [0, 10n],
          [1, 4n],
        ]),
        true,
      ),
    ).toEqual({ applied: 13, behind: 0, complete: true });
    // A partition nobody has a row for yet counts from offset 0.
    expect(
      scaleOutProgress(
        partitions,
        new Map([
          [0, 10n],
          [1, 4n],
          [2, 5n],
        ]),
        true,
      ),
    ).toEqual({ applied: 13, behind: 5, complete: false });
  });
});

describe('scale-out worker configuration', () => {
  it('names what is wrong', () => {
    expect(() => parseWorkerConfig('nope')).toThrow(/JSON on standard input/);
    expect(() => parseWorkerConfig(JSON.stringify({ rebuildId: 'a b', postgres: {}, kafka: { brokers: [] } }))).toThrow(
      /rebuildId: letters, digits.*kafka\.brokers: name at least one broker/,
    );
    expect(parseWorkerConfig(JSON.stringify({ rebuildId: 'ab12', postgres: { host: 'h' }, kafka: { brokers: ['b:9092'] } })).kafka.brokers).toEqual(['b:9092']);
  });
});
