import { describe, expect, it } from 'vitest';
import { lagPoints } from '../../../src-main/engine/kafka/handlers';
import type { GroupSample } from '../../../src-main/engine/kafka/lag-history';
import { messagesBehind, sloVerdict, topPartitionsBySeconds, worstPartition, worstSeries } from '../../../src-shared/kafka-lag-series';
import type { LagPoint } from '../../../src-shared/schemas/kafka';
import { chartRows } from '../../../src-renderer/src/features/kafka/kafka-view';

/** A chart point with these seconds (and messages) per partition; undefined: no figure in seconds. */
function point(at: number, seconds: Record<string, number | undefined>, lag = 10): LagPoint {
  const partitions: LagPoint['partitions'] = {};
  for (const [key, s] of Object.entries(seconds)) partitions[key] = { lag, ...(s !== undefined ? { seconds: s } : {}) };
  return { at: new Date(at * 1000).toISOString(), partitions, status: 'WARN' };
}

// The issue's group: eight partitions, the worst 709 s behind, ~4,500 s summed.
const issue = { 'orders:0': 709, 'orders:1': 650, 'orders:2': 600, 'orders:3': 560, 'orders:4': 520, 'orders:5': 480, 'orders:6': 450, 'orders:7': 431 };

describe('seconds behind of a group: the worst partition, never the sum', () => {
  it('takes the maximum over partitions at each point', () => {
    expect(Object.values(issue).reduce((a, b) => a + b, 0)).toBe(4400);
    expect(worstPartition(point(0, issue).partitions)).toEqual({ partition: 'orders:0', seconds: 709 });
    const points = [point(0, { 'orders:0': 3, 'orders:1': 8 }), point(5, issue), point(10, { 'orders:0': 0, 'orders:1': 0 })];
    expect(worstSeries(points)).toEqual([8, 709, 0]);
  });

  it('leaves a point without any figure in seconds empty rather than zero', () => {
    expect(worstPartition(point(0, { 'orders:0': undefined, 'orders:1': undefined }).partitions)).toBeUndefined();
    expect(worstSeries([point(0, { 'orders:0': undefined }), point(5, { 'orders:0': undefined, 'orders:1': 4 })])).toEqual([undefined, 4]);
  });

  it('adds up messages: they are meaningful as a total over partitions', () => {
    expect(messagesBehind(point(0, issue, 25).partitions)).toBe(200);
  });

  it('compares the SLO with the worst partition: a sum over the SLO is no breach', () => {
    const points = [point(0, { 'orders:0': 100, 'orders:1': 90 }), point(5, issue), point(10, { 'orders:0': 20, 'orders:1': 10 })];
    // 4,400 s summed is far over 1,000 s, but no partition is.
    expect(sloVerdict(points, 1000)).toEqual({
      sloSeconds: 1000,
      breached: false,
      pointsOver: 0,
      worst: { partition: 'orders:0', seconds: 709, at: points[1]!.at },
    });
    expect(sloVerdict(points, 95)).toMatchObject({ breached: true, pointsOver: 2, worst: { partition: 'orders:0', seconds: 709 } });
    // 60 + 50 s = 110 s is over a 100 s SLO; each partition alone is not.
    expect(sloVerdict([point(0, { 'orders:0': 60, 'orders:1': 50 })], 100).breached).toBe(false);
    expect(sloVerdict([point(0, { 'orders:0': undefined })], 5)).toEqual({ sloSeconds: 5, breached: false, pointsOver: 0 });
  });

  it('keeps the partitions furthest behind when there are too many lines to draw, in their own order', () => {
    const keys = Object.keys(issue);
    const points = [point(0, issue), point(5, { ...issue, 'orders:7': 900 })];
    expect(topPartitionsBySeconds(points, keys, 3)).toEqual({ shown: ['orders:0', 'orders:1', 'orders:7'], hidden: 5 });
    expect(topPartitionsBySeconds(points, keys, 20)).toEqual({ shown: keys, hidden: 0 });
  });
});

describe("history points from stored samples (every partition's offsets, as on disk)", () => {
  // Two partitions of a topic whose end offset grows by 10 a second on each; the group committed 100 on p0 and 250 on p1.
  const samples: GroupSample[] = [0, 10, 20, 30].map((s) => ({
    at: s * 1000,
    status: 'WARN',
    partitions: [
      { key: 't:0', committed: 100, end: 100 + s * 10 },
      { key: 't:1', committed: Math.min(250, 100 + s * 10), end: 100 + s * 10 },
    ],
  }));

  it('name the worst partition and its seconds at each point, the maximum and not the sum', () => {
    const points = lagPoints(samples, 100);
    const last = points[points.length - 1]!;
    // p0 committed the end of 0 s: 30 s behind; p1 committed the end of 15 s: 15 s behind.
    expect(last.partitions).toEqual({ 't:0': { lag: 300, seconds: 30 }, 't:1': { lag: 150, seconds: 15 } });
    expect(last.worst).toEqual({ partition: 't:0', seconds: 30 });
    expect(points.map((p) => p.worst?.seconds)).toEqual([0, 10, 20, 30]);
  });

  it('count a partition without a commit by the one rule: every retained message, none before the log start', () => {
    const noCommit: GroupSample[] = [
      {
        at: 0,
        status: 'OK',
        partitions: [
          { key: 't:0', committed: null, end: 120, start: 20 },
          { key: 't:1', committed: 5, end: 50, start: 10 },
          { key: 't:2', committed: null, end: 7 },
        ],
      },
    ];
    // t:1's offset 5 was deleted by retention: only the 40 messages still there count. t:2's history kept no start (older files): its log counts from 0.
    expect(lagPoints(noCommit, 10)[0]!.partitions).toEqual({ 't:0': { lag: 100 }, 't:1': { lag: 40 }, 't:2': { lag: 7 } });
  });

  it('chart rows carry the worst series and leave unknown seconds out', () => {
    const points = [point(0, { 'a:0': 4, 'a:1': 9 }), point(5, { 'a:0': undefined, 'a:1': undefined })];
    const rows = chartRows(points, ['a:0', 'a:1']);
    expect(rows[0]).toMatchObject({ worst: 9, worstPartition: 'a:1', 's:a:0': 4, 's:a:1': 9, 'm:a:0': 10 });
    expect(rows[1]).not.toHaveProperty('worst');
    expect(rows[1]).not.toHaveProperty('s:a:0');
    expect(rows[1]).toMatchObject({ 'm:a:0': 10, 'm:a:1': 10 });
  });
});
