import { describe, expect, it } from 'vitest';
import { findLatestPosition } from '../../../src-renderer/src/features/browse/latest-position';

/** Positions of the matching events, with gaps as filtered feeds have. */
function probe(positions: bigint[]) {
  let reads = 0;
  const hasEventAfter = (after: bigint) => {
    reads += 1;
    return Promise.resolve(positions.find((position) => position > after));
  };
  return { hasEventAfter, reads: () => reads };
}

describe('finding the latest feed position', () => {
  it('finds the last matching position in few reads', async () => {
    const positions = Array.from({ length: 50_000 }, (_, i) => BigInt(i * 3 + 7));
    const feed = probe(positions);
    expect(await findLatestPosition(feed.hasEventAfter)).toBe(positions[positions.length - 1]);
    expect(feed.reads()).toBeLessThan(70);
  });

  it('handles one event, sparse events and none', async () => {
    expect(await findLatestPosition(probe([5n]).hasEventAfter)).toBe(5n);
    expect(await findLatestPosition(probe([2n, 900n, 901n, 1_000_000n]).hasEventAfter)).toBe(1_000_000n);
    expect(await findLatestPosition(probe([]).hasEventAfter)).toBeUndefined();
  });
});
