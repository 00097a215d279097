/**
 * A heap budget for bulk work in the main process (rebuilds). V8 lets the old
 * generation grow to several times the live heap before it collects: a rebuild keeps
 * ~70 MB alive but promotes every batch it reads ahead, so its heap reached 300 MB of
 * mostly garbage and the process 500-650 MB. Electron's main process takes no V8
 * heap flags after launch, so past the budget the work asks for a full collection
 * itself, between batches (a pause of tens of milliseconds, inside the UI's budget).
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** Heap in use past which a full collection runs (the live heap of a rebuild is ~70 MB). */
export const HEAP_BUDGET_BYTES = 160 * 1024 * 1024;

let collect: (() => void) | null | undefined;

/** V8's own full collection, reached without a command-line flag; null where the runtime refuses. */
function fullCollection(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    v8.setFlagsFromString('--expose-gc');
    // The flag exposes `gc` in contexts created from now on; this one's globals stay as they were.
    const gc: unknown = vm.runInNewContext('gc');
    collect = typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    collect = null;
  }
  return collect;
}

/** Collections run by the budget since the process started, and their pauses (for benches). */
export const heapBudgetStats = { collections: 0, totalMs: 0, longestMs: 0 };

/** Collects if the heap in use is past the budget; says whether it did. Cheap to call after every batch. */
export function keepHeapWithinBudget(budgetBytes = HEAP_BUDGET_BYTES): boolean {
  if (v8.getHeapStatistics().used_heap_size <= budgetBytes) return false;
  const gc = fullCollection();
  if (!gc) return false;
  const started = performance.now();
  gc();
  const pause = performance.now() - started;
  heapBudgetStats.collections += 1;
  heapBudgetStats.totalMs += pause;
  heapBudgetStats.longestMs = Math.max(heapBudgetStats.longestMs, pause);
  return true;
}
