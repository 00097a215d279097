import { describe, expect, it } from 'vitest';
import { NOTIFIED_IDLE_POLL_MS, holeRule, tailFeed } from '../../src-main/engine/browse/gap-safe-tail';
import { notifyChannelIn } from '../../src-main/stores/postgres/notify';
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

/**
 * A feed whose committed rows change between polls, driven step by step. With
 * `running`, the store reports its transactions: `running[i]` lists the holes whose
 * transaction is still open at step i (a watch taken then covers those).
 */
function scriptedFeed(steps: number[][], options: { gapTimeoutMs: number; filters?: { eventTypes?: string[] }; running?: number[][] }) {
  let step = 0;
  const running = options.running;
  const at = <T>(list: T[]) => list[Math.min(step, list.length - 1)]!;
  let clock = 0;
  const emitted: string[][] = [];
  const controller = new AbortController();
  const run = tailFeed(
    { afterPosition: '0', filters: options.filters ?? {}, pollMs: 1000, gapTimeoutMs: options.gapTimeoutMs, pageSize: 100 },
    {
      ...(running
        ? {
            watchTransactions: async () => {
              const watched = at(running);
              return { ended: async () => !watched.some((p) => at(running).includes(p)) };
            },
          }
        : {}),
      readFeed: async (o: ReadFeedOptions) => {
        const visible = at(steps).filter((p) => p > Number(o.afterPosition));
        return { events: visible.map((p) => event(p, p % 3 === 0 ? 'Three' : 'T')), nextAfterPosition: null };
      },
      headPosition: async () => null,
      emit: (events) => {
        emitted.push(events.map((e) => e.position!));
      },
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
  it('sleeps on the store notifications instead of the poll clock when it has them, except across a hole', async () => {
    const waits: number[] = [];
    const controller = new AbortController();
    let reads = 0;
    const run = tailFeed(
      { afterPosition: '0', filters: {}, pollMs: 200, gapTimeoutMs: 60_000 },
      {
        readFeed: async () => {
          reads += 1;
          return { events: reads === 1 ? [event(1), event(3)] : [event(3)], nextAfterPosition: null }; // 2 is in flight
        },
        headPosition: async () => null,
        emit: () => undefined,
        signal: controller.signal,
        sleep: async () => {
          throw new Error('must not poll on the clock when notifications are available');
        },
        appends: {
          wait: async (ms) => {
            waits.push(ms);
            if (waits.length === 2) controller.abort();
          },
        },
      },
    );
    expect(await run).toBe('1');
    expect(waits).toEqual([200, 200]); // blocked on the hole at 2: the clock decides, a rollback notifies nothing
  });

  it('waits for a notification (with a long safety poll) when nothing is pending', async () => {
    const waits: number[] = [];
    const controller = new AbortController();
    const run = tailFeed(
      { afterPosition: '0', filters: {}, pollMs: 200, gapTimeoutMs: 60_000 },
      {
        readFeed: async () => ({ events: [], nextAfterPosition: null }),
        headPosition: async () => null,
        emit: () => undefined,
        signal: controller.signal,
        appends: {
          wait: async (ms) => {
            waits.push(ms);
            controller.abort();
          },
        },
      },
    );
    expect(await run).toBe('0');
    expect(waits).toEqual([NOTIFIED_IDLE_POLL_MS]);
  });

  it('waits for a hole to fill instead of skipping the late commit', async () => {
    // Poll 1: 1, 2 and 4 are committed, 3 is still in flight. Poll 2: 3 has committed.
    const { run, emitted } = scriptedFeed(
      [
        [1, 2, 4],
        [1, 2, 3, 4],
      ],
      { gapTimeoutMs: 5000 },
    );
    expect(await run).toBe('4');
    expect(emitted).toEqual([[], ['1', '2'], ['3', '4']]); // [] first: where the tail starts
  });

  it('waits for a transaction that stays open far past the timeout when the store reports its transactions', async () => {
    // 3 is taken by a transaction that stays open for six polls (the timeout is one poll), then commits.
    const open = [3];
    const { run, emitted } = scriptedFeed(
      [
        [1, 2, 4],
        [1, 2, 4],
        [1, 2, 4],
        [1, 2, 4],
        [1, 2, 4],
        [1, 2, 4],
        [1, 2, 3, 4],
      ],
      {
        gapTimeoutMs: 1000,
        running: [open, open, open, open, open, open, []],
      },
    );
    expect(await run).toBe('4');
    expect(emitted).toEqual([[], ['1', '2'], ['3', '4']]);
  });

  it('passes a rollback hole as soon as the transaction that took it has ended, without waiting for the timeout', async () => {
    // Poll 1: 2 is held by a running transaction. Poll 2: it rolled back. The timeout (an hour) plays no part.
    const { run, emitted } = scriptedFeed(
      [
        [1, 3],
        [1, 3],
      ],
      { gapTimeoutMs: 3_600_000, running: [[2], []] },
    );
    expect(await run).toBe('3');
    expect(emitted).toEqual([[], ['1'], ['3']]);
  });

  it('watches each new hole from when it is seen: a transaction begun later does not hold an older hole', async () => {
    // 2 rolls back at once; 5 is taken later by a transaction that stays open.
    const { run, emitted } = scriptedFeed(
      [
        [1, 3, 4],
        [1, 3, 4, 6],
        [1, 3, 4, 6],
        [1, 3, 4, 5, 6],
      ],
      {
        gapTimeoutMs: 3_600_000,
        running: [[], [5], [5], []],
      },
    );
    expect(await run).toBe('6');
    expect(emitted).toEqual([[], ['1'], ['3', '4'], ['5', '6']]);
  });

  it('says which rule closes holes', () => {
    expect(holeRule({ gapTimeoutMs: 3000 }, {})).toEqual({ rule: 'timeout', afterMs: 3000 });
    expect(holeRule({ gapTimeoutMs: 3000 }, { watchTransactions: async () => null })).toEqual({ rule: 'visibility' });
  });

  it('passes a hole left by a rollback once it has stayed open past the timeout where the store cannot report its transactions', async () => {
    const { run, emitted } = scriptedFeed(
      [
        [1, 3],
        [1, 3],
        [1, 3],
        [1, 3],
      ],
      { gapTimeoutMs: 2000 },
    );
    expect(await run).toBe('3');
    expect(emitted).toEqual([[], ['1'], ['3']]);
  });

  it('applies filters to what it emits, not to how far it advances', async () => {
    const { run, emitted } = scriptedFeed([[1, 2, 3, 4, 5, 6]], { gapTimeoutMs: 1000, filters: { eventTypes: ['Three'] } });
    expect(await run).toBe('6');
    expect(emitted).toEqual([[], ['3', '6']]);
  });
});

describe('notify channel in a trigger function', () => {
  it('reads pg_notify calls and NOTIFY statements, quoted or not', () => {
    expect(notifyChannelIn(`BEGIN PERFORM pg_notify('events_appended', NEW.id::text); RETURN NEW; END`)).toBe('events_appended');
    expect(notifyChannelIn(`begin perform pg_notify ( 'it''s', '' ); end`)).toBe("it's");
    expect(notifyChannelIn(`BEGIN NOTIFY NewEvents; RETURN NULL; END`)).toBe('newevents');
    expect(notifyChannelIn(`BEGIN NOTIFY "NewEvents"; RETURN NULL; END`)).toBe('NewEvents');
    expect(notifyChannelIn(`BEGIN PERFORM pg_notify(channel_var, ''); END`)).toBeNull(); // not a literal: cannot know it
    expect(notifyChannelIn(`BEGIN UPDATE stats SET n = n + 1; RETURN NULL; END`)).toBeNull();
  });
});
