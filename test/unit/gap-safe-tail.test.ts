import { describe, expect, it } from 'vitest';
import { tailFeed } from '../../src-main/engine/browse/gap-safe-tail';
import type { ReadFeedOptions, StoredEventView } from '../../src-main/stores/event-store';

const event = (position: number, type = 'T'): StoredEventView => ({
  streamId: `s-${position % 2}`,
  category: null,
  version: position,
  position: String(position),
  eventId: String(position),
  type,
  timestamp: null,
  data: {},
  metadata: {},
});

/** A feed whose committed rows change between polls, driven step by step. */
function scriptedFeed(steps: number[][], options: { gapTimeoutMs: number; filters?: { eventTypes?: string[] } }) {
  let step = 0;
  let clock = 0;
  const emitted: string[][] = [];
  const controller = new AbortController();
  const run = tailFeed(
    { afterPosition: '0', filters: options.filters ?? {}, pollMs: 1000, gapTimeoutMs: options.gapTimeoutMs, pageSize: 100 },
    {
      readFeed: async (o: ReadFeedOptions) => {
        const visible = steps[Math.min(step, steps.length - 1)]!.filter((p) => p > Number(o.afterPosition));
        return { events: visible.map((p) => event(p, p % 3 === 0 ? 'Three' : 'T')), nextAfterPosition: null };
      },
      headPosition: async () => null,
      emit: (events) => emitted.push(events.map((e) => e.position!)),
      signal: controller.signal,
      now: () => clock,
      sleep: async () => {
        clock += 1000;
        step += 1;
        if (step >= steps.length + 2) controller.abort();
      },
    },
  );
  return { run, emitted };
}

describe('gap-safe tail', () => {
  it('waits for a hole to fill instead of skipping the late commit', async () => {
    // Poll 1: 1, 2 and 4 are committed, 3 is still in flight. Poll 2: 3 has committed.
    const { run, emitted } = scriptedFeed([[1, 2, 4], [1, 2, 3, 4]], { gapTimeoutMs: 5000 });
    expect(await run).toBe('4');
    expect(emitted).toEqual([['1', '2'], ['3', '4']]);
  });

  it('passes a hole left by a rollback once it has stayed open past the timeout', async () => {
    const { run, emitted } = scriptedFeed([[1, 3], [1, 3], [1, 3], [1, 3]], { gapTimeoutMs: 2000 });
    expect(await run).toBe('3');
    expect(emitted).toEqual([['1'], ['3']]);
  });

  it('applies filters to what it emits, not to how far it advances', async () => {
    const { run, emitted } = scriptedFeed([[1, 2, 3, 4, 5, 6]], { gapTimeoutMs: 1000, filters: { eventTypes: ['Three'] } });
    expect(await run).toBe('6');
    expect(emitted).toEqual([['3', '6']]);
  });
});
