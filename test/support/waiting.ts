/** Waiting in tests for what the code under test does on its own time: a condition, never a fixed sleep. */

/** Resolves with the first value `probe` answers (not undefined), asked every 200 ms; fails naming `what` after `timeoutMs`. */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Resolves once `condition` holds, checked on every turn of the event loop; fails naming `what` after `timeoutMs`. */
export async function untilCondition(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}
