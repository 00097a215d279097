import { describe, expect, it } from 'vitest';
import { SamplingLoop } from '../../../src-main/engine/lag/sampling-loop';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the lag samplers' loop", () => {
  it('runs rounds one after another, a round asked for now waiting for the one under way', async () => {
    let active = 0;
    let overlapped = false;
    let rounds = 0;
    const loop = new SamplingLoop({
      round: async () => {
        active += 1;
        overlapped ||= active > 1;
        await sleep(30);
        rounds += 1;
        active -= 1;
      },
      intervalMs: () => 5,
    });
    loop.start(0);
    await sleep(10); // the first round is under way
    await Promise.all([loop.runNow(), loop.runNow()]);
    await loop.stop();
    const after = rounds;
    await sleep(50);
    expect(overlapped).toBe(false);
    expect(after).toBeGreaterThanOrEqual(3);
    expect(rounds).toBe(after); // none after stop
  });

  it('reads the interval before each wait, and a changed one restarts the wait under way', async () => {
    let interval = 10_000;
    const at: number[] = [];
    const loop = new SamplingLoop({ round: async () => void at.push(Date.now()), intervalMs: () => interval });
    const started = Date.now();
    loop.start();
    await sleep(20);
    expect(at).toEqual([]); // still waiting the 10 s
    interval = 10;
    loop.intervalChanged();
    await sleep(100);
    await loop.stop();
    expect(at.length).toBeGreaterThanOrEqual(2);
    expect(at[0]! - started).toBeLessThan(1000);
  });

  it('reports a failed round and goes on', async () => {
    const errors: string[] = [];
    let calls = 0;
    const loop = new SamplingLoop({
      round: async () => {
        calls += 1;
        if (calls === 1) throw new Error('broker away');
      },
      intervalMs: () => 5,
      onError: (err) => errors.push((err as Error).message),
    });
    loop.start(0);
    await sleep(60);
    await loop.stop();
    expect(errors).toEqual(['broker away']);
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});
