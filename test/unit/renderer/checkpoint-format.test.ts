import { describe, expect, it } from 'vitest';
import { describeExtras, formatDuration, formatEvents, keyFromParam, keyParam } from '../../../src-renderer/src/features/checkpoints/format';

describe('checkpoint formatting', () => {
  it('writes durations in their two largest units and estimated counts with ≈', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(60_480_000_000)).toBe('700 d');
    expect(formatDuration(3 * 3_600_000 + 10 * 60_000 + 5_000)).toBe('3 h 10 min');
    expect(formatEvents(1_234_567, true)).toBe('≈ 1,234,567');
    expect(formatEvents(null)).toBe('—');
  });

  it("names Axon's gaps and owner in one line, leaving out the token class", () => {
    expect(describeExtras({ segment: 0, owner: 'node-1', tokenClass: 'org.axonframework.GapAwareTrackingToken', gaps: [41, 42, 57, 60] })).toBe(
      'segment: 0 · owner: node-1 · gaps: 4 (41, 42, 57, …)',
    );
    expect(describeExtras(undefined)).toBe('');
  });

  it('keeps a checkpoint key in the address and refuses a hand-edited one', () => {
    const key = { store: 'token_entry', projector: 'orders', source: '1' };
    expect(keyFromParam(keyParam(key))).toEqual(key);
    expect(keyFromParam('["only-two", "parts"]')).toBeUndefined();
    expect(keyFromParam('{not json')).toBeUndefined();
  });
});
