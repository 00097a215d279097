import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { keepHeapWithinBudget } from '../../src-main/engine/memory/heap-budget';

describe('heap budget', () => {
  it('leaves a heap within the budget alone', () => {
    expect(keepHeapWithinBudget(Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('collects the garbage of a heap past the budget, without exposing gc to the process', () => {
    // Allocated and dropped inside a function: nothing refers to it once it returns.
    const makeGarbage = () => Array.from({ length: 400_000 }, (_, n) => ({ n, text: `row ${n}` })).length;
    expect(makeGarbage()).toBe(400_000);
    const before = v8.getHeapStatistics().used_heap_size;
    expect(keepHeapWithinBudget(1)).toBe(true);
    expect(v8.getHeapStatistics().used_heap_size).toBeLessThan(before - 10 * 1024 * 1024);
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
  });
});
