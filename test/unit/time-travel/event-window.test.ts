import { describe, expect, it } from 'vitest';
import { WINDOW_BLOCK, WINDOW_SIZE, windowStart } from '../../../src-renderer/src/features/time-travel/event-window';

describe('time-travel event window', () => {
  it('keeps the selected version inside the window, at least a block from its edges', () => {
    for (const selected of [1, 2, 249, 250, 251, 499, 500, 501, 777, 999_990, 1_000_000]) {
      const from = windowStart(1, selected);
      expect(selected).toBeGreaterThanOrEqual(from);
      expect(selected).toBeLessThan(from + WINDOW_SIZE);
      if (from > 1) expect(selected - from).toBeGreaterThanOrEqual(WINDOW_BLOCK);
      expect(from + WINDOW_SIZE - 1 - selected).toBeGreaterThanOrEqual(WINDOW_BLOCK - 1);
    }
  });

  it('moves only when the selection crosses a block, so small slider moves read nothing', () => {
    expect(windowStart(1, 600)).toBe(windowStart(1, 740));
    expect(windowStart(1, 760)).toBe(windowStart(1, 600) + WINDOW_BLOCK);
  });

  it('starts at the stream first version for streams counted from zero', () => {
    expect(windowStart(0, 10)).toBe(0);
    expect(windowStart(0, 1000)).toBe(750);
  });
});
