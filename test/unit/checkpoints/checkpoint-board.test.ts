import { describe, expect, it } from 'vitest';
import { CheckpointBoard } from '../../../src-main/engine/checkpoints/checkpoint-board';
import type { CheckpointService } from '../../../src-main/engine/checkpoints/checkpoint-service';
import { Movements } from '../../../src-main/engine/checkpoints/movements';
import type { EventStore } from '../../../src-main/stores/event-store';
import type { CheckpointView } from '../../../src-main/stores/ports/checkpoint-store';
import { extrapolateCategoryLag, extrapolateLag, type PositionRanges } from '../../../src-main/stores/position-ranges';

/** Events at these positions (a hole at 4); the head is the last. */
const POSITIONS = [1n, 2n, 3n, 5n, 6n];

const ranges: PositionRanges = {
  async lagBehind(positions, head, window) {
    return new Map(
      positions.map((p) => {
        const counted = POSITIONS.filter((e) => e > BigInt(p) && e <= BigInt(head) && e <= BigInt(p) + BigInt(window)).length;
        return [p, { ...extrapolateLag(BigInt(p), BigInt(head), counted, window), oldestUnprocessedAt: '2026-01-01T00:00:00.000Z' }];
      }),
    );
  },
  summarize: () => Promise.reject(new Error('not used')),
  lastPositionBefore: () => Promise.reject(new Error('not used')),
};

function boardOver(checkpoints: () => CheckpointView[], clock: { now: number }, kafkaBounds: Map<number, { start: string; end: string }> = new Map()) {
  const service = { list: async () => ({ sources: ['"public"."projection_checkpoints"'], checkpoints: checkpoints() }) } as unknown as CheckpointService;
  const store = { headPosition: async () => '6', positionRanges: () => ranges } as unknown as EventStore;
  return new CheckpointBoard({
    checkpoints: service,
    eventStore: async () => store,
    kafkaBounds: async () => kafkaBounds,
    movements: new Movements(() => clock.now),
    now: () => clock.now,
  });
}

const view = (projector: string, position: string | null, extra: Partial<CheckpointView> = {}): CheckpointView => ({
  store: 'projection_checkpoints',
  projector,
  source: 'events',
  kind: 'reference',
  role: 'projector',
  position,
  updatedAt: null,
  ...extra,
});

describe('CheckpointBoard statuses', () => {
  it('tells caught up, behind, stalled (not moved for the set time), ahead and unknown apart', async () => {
    const clock = { now: Date.parse('2026-01-01T00:10:00Z') };
    let moving = '1';
    const board = boardOver(
      () => [
        view('at_head', '6'),
        view('past_hole', '3'), // only events 5 and 6 wait: the hole at 4 is not one
        view('moving', moving),
        view('stuck', '2'),
        view('future', '9'),
        view('broken', null, { extras: { unreadablePosition: 'twelve' } }),
        view('HighWaterMark', '5', { role: 'mark' }),
      ],
      clock,
    );
    const status = async () => Object.fromEntries((await board.list('c', { stalledAfterSeconds: 60 })).projectors.map((g) => [g.projector, g.rows[0]!]));

    let rows = await status();
    expect(rows.at_head).toMatchObject({ status: 'caught-up', lag: { events: 0 }, lagMs: 0 });
    expect(rows.past_hole).toMatchObject({ status: 'behind', lag: { events: 2, estimated: false }, lagMs: 600_000 });
    expect(rows.future).toMatchObject({ status: 'ahead' });
    expect(rows.broken).toMatchObject({ status: 'unknown', note: expect.stringMatching(/"twelve" is not a number/) });

    clock.now += 61_000;
    moving = '2';
    rows = await status();
    expect(rows.stuck).toMatchObject({ status: 'stalled', note: expect.stringMatching(/not moved for 61 s/) });
    expect(rows.moving).toMatchObject({ status: 'behind', unmovedMs: 0 });
    // The store's own mark is never called stalled: it is not a projector.
    expect(rows.HighWaterMark).toMatchObject({ status: 'behind' });
  });
});

describe('a category lag counted from its own events', () => {
  it('is exact up to the window, and beyond it the rate up to the last counted event carried to the head', () => {
    expect(extrapolateCategoryLag(100n, 10_000n, 56, 2_000, null)).toEqual({ events: 56, estimated: false });
    expect(extrapolateCategoryLag(100n, 10_000n, 2_000, 2_000, null)).toEqual({ events: 2_000, estimated: false });
    // 2001 events counted within 4001 positions: about half of the 9900 positions up to the head.
    expect(extrapolateCategoryLag(100n, 10_000n, 2_001, 2_000, 4_101n)).toEqual({ events: 4_951, estimated: true });
  });
});

describe('Kafka partition checkpoints on the board', () => {
  it('count lag by the one rule: from the offset, from the log start without one or below it, and list a partition the projector has no checkpoint for', async () => {
    const clock = { now: Date.parse('2026-01-01T00:10:00Z') };
    const kafka = (partition: number, position: string | null) => view('orders_kafka', position, { source: `kafka:orders:${partition}` });
    // Partitions 0..3 hold offsets [10, 100); partition 4 exists but has no checkpoint row.
    const bounds = new Map([0, 1, 2, 3, 4].map((p) => [p, { start: '10', end: '100' }]));
    const board = boardOver(() => [kafka(0, '40'), kafka(1, '3'), kafka(2, '150'), kafka(3, null)], clock, bounds);
    const listed = await board.list('c', { stalledAfterSeconds: 60, kafkaConnectionId: 'k' });
    const rows = listed.projectors.find((g) => g.projector === 'orders_kafka')!.rows;
    expect(rows.map((r) => [r.source, r.position, r.head, r.lag?.events, r.status])).toEqual([
      ['kafka:orders:0', '40', '100', 60, 'behind'],
      ['kafka:orders:1', '3', '100', 90, 'behind'],
      ['kafka:orders:2', '150', '100', 0, 'ahead'],
      ['kafka:orders:3', null, '100', 90, 'behind'],
      ['kafka:orders:4', null, '100', 90, 'behind'],
    ]);
    expect(rows[1]!.note).toMatch(/deleted by retention/);
    expect(rows[3]!.note).toMatch(/No offset stored/);
    expect(rows[4]).toMatchObject({ role: 'projector', updatedAt: null, note: expect.stringMatching(/No offset stored/) });
  });
});
