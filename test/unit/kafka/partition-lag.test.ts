import { describe, expect, it } from 'vitest';
import { partitionLag } from '../../../src-shared/partition-lag';

describe("partitionLag: the one rule for a partition's lag in messages", () => {
  it('counts from the committed offset to the end when the offset is inside the log', () => {
    expect(partitionLag({ committed: 40, start: 10, end: 100 })).toEqual({ lag: 60, basis: 'committed' });
    expect(partitionLag({ committed: 100, start: 10, end: 100 })).toEqual({ lag: 0, basis: 'committed' });
    expect(partitionLag({ committed: 10, start: 10, end: 100 })).toEqual({ lag: 90, basis: 'committed' });
  });

  it('without a commit counts every retained message as unread and says there was none', () => {
    expect(partitionLag({ committed: null, start: 10, end: 100 })).toEqual({ lag: 90, basis: 'no-commit' });
    expect(partitionLag({ committed: null, start: 0, end: 0 })).toEqual({ lag: 0, basis: 'no-commit' });
  });

  it('after retention deleted what the offset pointed at, counts only the messages still there', () => {
    expect(partitionLag({ committed: 3, start: 10, end: 100 })).toEqual({ lag: 90, basis: 'below-start' });
  });

  it('past the end (topic truncated or recreated) has nothing left to read', () => {
    expect(partitionLag({ committed: 150, start: 0, end: 100 })).toEqual({ lag: 0, basis: 'past-end' });
    expect(partitionLag({ committed: 5, start: 0, end: 0 })).toEqual({ lag: 0, basis: 'past-end' });
  });

  it('is never negative, even for a log start read past its end', () => {
    expect(partitionLag({ committed: null, start: 120, end: 100 }).lag).toBe(0);
  });
});
