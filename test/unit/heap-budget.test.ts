import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { keepHeapWithinBudget } from '../../src-main/engine/memory/heap-budget';

describe('heap budget', () => {
  it('leaves a heap within the budget alone', () => {
    expect(keepHeapWithinBudget(Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('collects the garbage of a heap past the budget, without exposing gc to the process', () => {
    // Held while the heap is measured, then dropped: garbage the collection must find.
    const holder = { rows: Array.from({ length: 400_000 }, (_, n) => ({ n, text: `row ${n}` })) };
    const before = v8.getHeapStatistics().used_heap_size;
    holder.rows = [];
    expect(keepHeapWithinBudget(1)).toBe(true);
    expect(v8.getHeapStatistics().used_heap_size).toBeLessThan(before - 10 * 1024 * 1024);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
