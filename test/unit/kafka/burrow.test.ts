import { describe, expect, it } from 'vitest';
import {
  calculatePartitionStatus,
  checkIfLagNotDecreasing,
  checkIfOffsetsRewind,
  checkIfOffsetsStalled,
  checkIfOffsetsStopped,
  checkIfRecentLagZero,
  evaluateGroup,
  evaluatePartition,
  isLagAlwaysNotZero,
  WINDOW_SIZE,
  type CommitEntry,
} from '../../../src-main/engine/kafka/burrow';
import type { LagStatus } from '../../../src-shared/schemas/kafka';

/** Commits as Burrow's tests write them: [offset, timestamp in ms, lag]. */
const commits = (rows: [number, number, number][]): CommitEntry[] => rows.map(([offset, at, lag]) => ({ offset, at, lag }));

interface BurrowCase {
  offsets: CommitEntry[];
  brokerOffsets: number[];
  currentLag: number;
  /** Seconds, as in Burrow's tests. */
  timeNow: number;
  isLagAlwaysNotZero: boolean;
  checkIfOffsetsRewind: number;
  checkIfOffsetsStopped: boolean;
  checkIfOffsetsStalled: boolean;
  checkIfLagNotDecreasing: boolean;
  checkIfRecentLagZero: boolean;
  status: LagStatus;
}

const steady = commits([
  [1000, 100000, 0],
  [2000, 200000, 50],
  [3000, 300000, 100],
  [4000, 400000, 150],
  [5000, 500000, 200],
]);
const keptUp = commits([
  [792748079, 1512224618356, 0],
  [792748080, 1512224619362, 0],
  [792748081, 1512224620366, 0],
  [792748082, 1512224621367, 0],
  [792748083, 1512224622370, 0],
  [792748084, 1512224623373, 0],
  [792748085, 1512224624378, 0],
  [792748086, 1512224625379, 0],
  [792748087, 1512224626383, 0],
  [792748088, 1512224627383, 0],
  [792748089, 1512224628383, 0],
  [792748090, 1512224629388, 0],
  [792748091, 1512224630391, 0],
  [792748092, 1512224631394, 0],
  [792748093, 1512224632397, 0],
]);

/**
 * The table of linkedin/Burrow core/internal/evaluator/caching_test.go
 * (TestCachingEvaluator_CheckRules), case by case under its index. Left out:
 * 11 (commits without a lag: Chronoscope always has the lag, it reads the end
 * offsets in the same tick) and 12-14 (Burrow's allowed-lag setting, which
 * Chronoscope does not have; 13 and 14 are 5 and 7 with it).
 */
const burrowCases: [string, BurrowCase][] = [
  [
    '0: OK because there is zero lag somewhere',
    {
      offsets: steady,
      brokerOffsets: [5200],
      currentLag: 200,
      timeNow: 600,
      isLagAlwaysNotZero: false,
      checkIfOffsetsRewind: -1,
      checkIfOffsetsStopped: false,
      checkIfOffsetsStalled: false,
      checkIfLagNotDecreasing: true,
      checkIfRecentLagZero: false,
      status: 'OK',
    },
  ],
  [
    '1: not stopped: the time since the last commit (400 s) equals the window span, it does not exceed it',
    {
      offsets: steady,
      brokerOffsets: [5200],
      currentLag: 200,
      timeNow: 900,
      isLagAlwaysNotZero: false,
      checkIfOffsetsRewind: -1,
      checkIfOffsetsStopped: false,
      checkIfOffsetsStalled: false,
      checkIfLagNotDecreasing: true,
      checkIfRecentLagZero: false,
      status: 'OK',
    },
  ],
  [
    '2: STOP once the time since the last commit (500 s) exceeds the span, even with a zero lag at the start (Burrow #290)',
    {
      offsets: steady,
      brokerOffsets: [5200],
      currentLag: 200,
      timeNow: 1000,
      isLagAlwaysNotZero: false,
      checkIfOffsetsRewind: -1,
      checkIfOffsetsStopped: true,
      checkIfOffsetsStalled: false,
      checkIfLagNotDecreasing: true,
      checkIfRecentLagZero: false,
      status: 'STOP',
    },
  ],
  [
    '3: STOP when the lag is always non-zero as well',
    {
      offsets: commits([
        [1000, 100000, 50],
        [2000, 200000, 100],
        [3000, 300000, 150],
        [4000, 400000, 200],
        [5000, 500000, 250],
      ]),
      brokerOffsets: [5250],
      currentLag: 250,
      timeNow: 1000,
      isLagAlwaysNotZero: true,
      checkIfOffsetsRewind: -1,
      checkIfOffsetsStopped: true,
      checkIfOffsetsStalled: false,
      checkIfLagNotDecreasing: true,
      checkIfRecentLagZero: false,
      status: 'STOP',
    },
  ],
  [
    '4: OK because of the zero lag, though the offset never moves',
    {
      offsets: commits([
        [1000, 100000, 0],
        [1000, 200000, 50],
        [1000, 300000, 100],
        [1000, 400000, 150],
        [1000, 500000, 200],
      ]),
      brokerOffsets: [1200],
      currentLag: 200,
      timeNow: 600,
      isLagAlwaysNotZero: false,
      checkIfOffsetsRewind: -1,
      checkIfOffsetsStopped: false,
      checkIfOffsetsStalled: true,
      checkIfLagNotDecreasing: true,
      checkIfRecentLagZero: false,
      status: 'OK',
    },
  ],
  [
    '5: STALL: the offset never moves and the lag is never zero',
    {
      offsets: commits([
        [1000, 100000, 100],
        [1000, 200000, 150],
        [1000, 300000, 200],
        [1000, 400000, 250],
        [1000, 500000, 300],
      ]),
      brokerOffsets: [1300],
      currentLag: 300,
      timeNow: 600,
      isLagAlwaysNotZero: true,
      checkIfOffsetsRewind: -1,
      checkIfOffsetsStopped: false,
      checkIfOffsetsStalled: true,
      checkIfLagNotDecreasing: true,
      checkIfRecentLagZero: false,
      status: 'STALL',
    },
  ],
  [
    '6: still STALL when the lag stays the same',
    {
      offsets: commits([
        [1000, 100000, 100],
        [1000, 200000, 100],
        [1000, 300000, 100],
        [1000, 400000, 100],
        [1000, 500000, 100],
      ]),
      brokerOffsets: [1100],
      currentLag: 100,
      timeNow: 600,
      isLagAlwaysNotZero: true,
      checkIfOffsetsRewind: -1,
      checkIfOffsetsStopped: false,
      checkIfOffsetsStalled: true,
      checkIfLagNotDecreasing: true,
      checkIfRecentLagZero: false,
      status: 'STALL',
    },
  ],
  [
    '7: OK: the offset went back but the consumer made it up within the window',
    {
      offsets: commits([
        [1000, 100000, 100],
        [2000, 200000, 150],
        [3000, 300000, 200],
        [2000, 400000, 1250],
        [4000, 500000, 300],
      ]),
      brokerOffsets: [4300],
      currentLag: 300,
      timeNow: 600,
      isLagAlwaysNotZero: true,
      checkIfOffsetsRewind: 3,
      checkIfOffsetsStopped: false,
      checkIfOffsetsStalled: false,
      checkIfLagNotDecreasing: false,
      checkIfRecentLagZero: false,
      status: 'OK',
    },
  ],
  [
    '8: OK with no lag now, though the timestamps say stopped',
    {
      offsets: commits([
        [1000, 100000, 50],
        [2000, 200000, 100],
        [3000, 300000, 150],
        [4000, 400000, 200],
        [5000, 500000, 250],
      ]),
      brokerOffsets: [5250],
      currentLag: 0,
      timeNow: 1000,
      isLagAlwaysNotZero: true,
      checkIfOffsetsRewind: -1,
      checkIfOffsetsStopped: true,
      checkIfOffsetsStalled: false,
      checkIfLagNotDecreasing: true,
      checkIfRecentLagZero: false,
      status: 'OK',
    },
  ],
  [
    '9: STOP: every commit had zero lag, but new data came and no commit since (Burrow #290)',
    {
      offsets: keptUp,
      brokerOffsets: [792749024, 792749000, 792748800, 792748600, 792748500],
      currentLag: 931,
      timeNow: 1512224650,
      isLagAlwaysNotZero: false,
      checkIfOffsetsRewind: -1,
      checkIfOffsetsStopped: true,
      checkIfOffsetsStalled: false,
      checkIfLagNotDecreasing: true,
      checkIfRecentLagZero: false,
      status: 'STOP',
    },
  ],
  [
    '10: OK though stopped by the timestamps: a recent end offset shows the group caught up (Burrow #303)',
    {
      offsets: keptUp,
      brokerOffsets: [792748094, 792748093, 792748093, 792748093],
      currentLag: 1,
      timeNow: 1512224650,
      isLagAlwaysNotZero: false,
      checkIfOffsetsRewind: -1,
      checkIfOffsetsStopped: true,
      checkIfOffsetsStalled: false,
      checkIfLagNotDecreasing: true,
      checkIfRecentLagZero: true,
      status: 'OK',
    },
  ],
  [
    '15: REWIND: the offset went back and has not got back to where it was',
    {
      offsets: commits([
        [1000, 100000, 100],
        [2000, 200000, 150],
        [3000, 300000, 200],
        [2000, 400000, 1250],
        [2500, 500000, 300],
      ]),
      brokerOffsets: [4300],
      currentLag: 300,
      timeNow: 600,
      isLagAlwaysNotZero: true,
      checkIfOffsetsRewind: 3,
      checkIfOffsetsStopped: false,
      checkIfOffsetsStalled: false,
      checkIfLagNotDecreasing: false,
      checkIfRecentLagZero: false,
      status: 'REWIND',
    },
  ],
];

describe("Burrow's rule table (its evaluator's own test cases)", () => {
  it.each(burrowCases)('case %s', (_, c) => {
    const now = c.timeNow * 1000;
    expect({
      isLagAlwaysNotZero: isLagAlwaysNotZero(c.offsets),
      checkIfOffsetsRewind: checkIfOffsetsRewind(c.offsets),
      checkIfOffsetsStopped: checkIfOffsetsStopped(c.offsets, now),
      checkIfOffsetsStalled: checkIfOffsetsStalled(c.offsets),
      checkIfLagNotDecreasing: checkIfLagNotDecreasing(c.offsets),
      checkIfRecentLagZero: checkIfRecentLagZero(c.offsets, c.brokerOffsets),
      status: calculatePartitionStatus(c.offsets, c.brokerOffsets, c.currentLag, now),
    }).toEqual({
      isLagAlwaysNotZero: c.isLagAlwaysNotZero,
      checkIfOffsetsRewind: c.checkIfOffsetsRewind,
      checkIfOffsetsStopped: c.checkIfOffsetsStopped,
      checkIfOffsetsStalled: c.checkIfOffsetsStalled,
      checkIfLagNotDecreasing: c.checkIfLagNotDecreasing,
      checkIfRecentLagZero: c.checkIfRecentLagZero,
      status: c.status,
    });
  });
});

/** A window as the sampler records it: [offset, seconds since start, lag] per commit, one commit every 60 s like Burrow's default. */
function windowOf(rows: [number, number, number][]): CommitEntry[] {
  return rows.map(([offset, s, lag]) => ({ offset, at: 1_000_000 + s * 1000, lag }));
}
const at = (s: number) => 1_000_000 + s * 1000;
/** A full ring of recent end offsets, all at `end`. */
const ends = (end: number, n = WINDOW_SIZE) => Array.from({ length: n }, () => end);

describe("Burrow's evaluation rules on the sampler's windows (its wiki's examples)", () => {
  it('OK when the lag was zero anywhere in the window (example 1)', () => {
    const w = windowOf([
      [10, 0, 0],
      [20, 60, 0],
      [30, 120, 0],
      [40, 180, 0],
      [50, 240, 0],
      [60, 300, 0],
      [70, 360, 1],
      [80, 420, 3],
      [90, 480, 5],
      [100, 540, 5],
    ]);
    expect(evaluatePartition(w, ends(105), 5, at(600))).toMatchObject({ status: 'OK', reason: expect.stringMatching(/zero/) });
  });

  it('OK when offsets advance and the lag shrinks somewhere (example 2)', () => {
    const w = windowOf([
      [10, 0, 1],
      [20, 60, 1],
      [30, 120, 1],
      [40, 180, 1],
      [50, 240, 1],
      [60, 300, 1],
      [70, 360, 2],
      [80, 420, 1],
      [90, 480, 1],
      [100, 540, 1],
    ]);
    expect(evaluatePartition(w, ends(101), 1, at(600)).status).toBe('OK');
  });

  it('OK with no lag now, whatever the window says', () => {
    const w = windowOf([
      [10, 0, 5],
      [10, 60, 5],
    ]);
    expect(evaluatePartition(w, ends(10), 0, at(6000))).toMatchObject({ status: 'OK', reason: 'Caught up: no lag now.' });
  });

  it('WARN when offsets advance but the lag never decreases (example 3)', () => {
    const w = windowOf([
      [10, 0, 1],
      [20, 60, 1],
      [30, 120, 1],
      [40, 180, 1],
      [50, 240, 1],
      [60, 300, 1],
      [70, 360, 1],
      [80, 420, 1],
      [90, 480, 1],
      [100, 540, 1],
    ]);
    const verdict = evaluatePartition(w, ends(101), 1, at(600));
    expect(verdict.status).toBe('WARN');
    expect(verdict.reason).toMatch(/never shrank over the last 10 commits/);
  });

  it('STALL when commits keep the same offset while lag waits (example 4)', () => {
    const w = windowOf([
      [10, 0, 1],
      [10, 60, 1],
      [10, 120, 1],
      [10, 180, 1],
      [10, 240, 1],
      [10, 300, 2],
      [10, 360, 2],
      [10, 420, 3],
      [10, 480, 3],
      [10, 540, 3],
    ]);
    const verdict = evaluatePartition(w, ends(13), 3, at(560));
    expect(verdict.status).toBe('STALL');
    expect(verdict.reason).toMatch(/keep offset 10/);
  });

  it('STOP when no commit came for longer than the window spans (example 5)', () => {
    const w = windowOf([
      [10, 0, 1],
      [20, 60, 2],
      [30, 120, 3],
      [40, 180, 4],
      [50, 240, 5],
      [60, 300, 6],
      [70, 360, 7],
      [80, 420, 8],
      [90, 480, 9],
      [100, 540, 10],
    ]);
    expect(evaluatePartition(w, ends(110), 10, at(600)).status).toBe('WARN'); // a minute after the last commit: still only slow
    const verdict = evaluatePartition(w, ends(110), 10, at(540 + 541));
    expect(verdict.status).toBe('STOP');
    expect(verdict.reason).toMatch(/No commit for 9 min/);
  });

  it('REWIND when the committed offset goes back and stays behind (example 6); STOP, checked first, outranks it once commits stop', () => {
    const w = windowOf([
      [10, 0, 1],
      [20, 60, 1],
      [30, 120, 1],
      [40, 180, 1],
      [50, 240, 1],
      [60, 300, 1],
      [70, 360, 1],
      [80, 420, 1],
      [90, 480, 1],
      [40, 540, 51],
    ]);
    expect(evaluatePartition(w, ends(91), 51, at(560))).toEqual({ status: 'REWIND', reason: 'The committed offset went back from 90 to 40.' });
    expect(evaluatePartition(w, ends(91), 51, at(100_000)).status).toBe('STOP');
  });

  it('ERR when the committed offset lies outside the log', () => {
    expect(evaluatePartition([], [], 0, at(0), 'The committed offset 5 was deleted by retention (log starts at 9).')).toEqual({
      status: 'ERR',
      reason: 'The committed offset 5 was deleted by retention (log starts at 9).',
    });
  });

  it('only the last 10 commits count: an old zero lag is forgotten', () => {
    const w = windowOf([[0, 0, 0], ...Array.from({ length: 10 }, (_, i): [number, number, number] => [10, 60 * (i + 1), 5])]);
    expect(evaluatePartition(w, ends(15), 5, at(660)).status).toBe('STALL');
  });
});

describe('a consumer that kept up, then left while production went on (issue 21.1)', () => {
  // The sampler's window: a commit a tick (5 s) while the member was there, each at the head.
  const keptUpWindow = Array.from({ length: WINDOW_SIZE }, (_, i) => ({ offset: 100 + i, at: at(5 * i), lag: 0 }));
  const left = at(45);

  it('is STOP once the last commit is older than the window spans and no recent end offset was at it', () => {
    const verdict = evaluatePartition(keptUpWindow, ends(2109), 2000, left + 46_000);
    expect(verdict).toEqual({ status: 'STOP', reason: 'No commit for 46 s, longer than the last 10 commits span (45 s); 2000 messages behind.' });
  });

  it('is held off while one of the last end offsets shows it caught up, as Burrow does', () => {
    const recent = [...ends(109, 1), ...ends(2109, WINDOW_SIZE - 1)];
    expect(evaluatePartition(keptUpWindow, recent, 2000, left + 46_000)).toMatchObject({
      status: 'OK',
      reason: expect.stringMatching(/No commit for 46 s.*at the end of the log within the last 10 samples/),
    });
  });

  it('is OK while the last commit is more recent than the window is long', () => {
    expect(evaluatePartition(keptUpWindow, ends(2109), 2000, left + 45_000).status).toBe('OK');
  });
});

describe('a status waits for the samples its rule is defined on (issue 21.2)', () => {
  const stuck = (n: number) => Array.from({ length: n }, (_, i) => ({ offset: 3, at: at(5 * i), lag: 7 + i }));

  it('the first sample of a lagging group is OK, collecting, not STALL', () => {
    expect(calculatePartitionStatus(stuck(1), ends(10, 1), 7, at(0))).toBe('STALL'); // Burrow's rules alone, on one commit
    expect(evaluatePartition(stuck(1), ends(10, 1), 7, at(0))).toEqual({
      status: 'OK',
      reason: 'Collecting samples: 1 of the 10 commits and 1 of the 10 end offsets the rules weigh; 7 messages behind.',
    });
  });

  it('read between ticks, a single commit is not STOP until ten end offsets were sampled', () => {
    expect(evaluatePartition(stuck(1), ends(10, 1), 7, at(3))).toMatchObject({
      status: 'OK',
      reason: expect.stringMatching(/^Collecting samples: 1 of the 10 commits/),
    });
    expect(evaluatePartition(stuck(1), ends(10), 7, at(3)).status).toBe('STOP');
  });

  it('STALL and WARN need a full window of commits', () => {
    expect(evaluatePartition(stuck(WINDOW_SIZE - 1), ends(20), 15, at(40)).status).toBe('OK');
    expect(evaluatePartition(stuck(WINDOW_SIZE), ends(20), 16, at(45)).status).toBe('STALL');
    const slow = (n: number) => Array.from({ length: n }, (_, i) => ({ offset: 3 + i, at: at(5 * i), lag: 7 + i }));
    expect(evaluatePartition(slow(2), ends(20, 2), 8, at(5)).status).toBe('OK');
    expect(evaluatePartition(slow(WINDOW_SIZE), ends(20), 16, at(45)).status).toBe('WARN');
  });

  it('a rewind needs only the two commits that show it', () => {
    expect(
      evaluatePartition(
        windowOf([
          [90, 0, 1],
          [40, 60, 51],
        ]),
        ends(91, 2),
        51,
        at(60),
      ).status,
    ).toBe('REWIND');
  });
});

describe('group verdict', () => {
  it('the group takes its worst partition, naming it and how many share it', () => {
    const group = evaluateGroup([
      { topic: 'orders', partition: 0, status: 'OK', reason: 'fine' },
      { topic: 'orders', partition: 1, status: 'STALL', reason: 'stuck' },
      { topic: 'orders', partition: 2, status: 'WARN', reason: 'slow' },
      { topic: 'orders', partition: 3, status: 'STALL', reason: 'stuck too' },
    ]);
    expect(group).toEqual({ status: 'STALL', reason: 'orders[1] and 1 more: stuck' });
    expect(evaluateGroup([{ topic: 't', partition: 0, status: 'OK', reason: 'x' }])).toEqual({ status: 'OK', reason: 'The partition is OK.' });
  });

  it('an OK group counts every partition of its topics, naming those without a commit', () => {
    const committed = [
      { topic: 'orders', partition: 0, status: 'OK' as const, reason: 'fine', committed: '5' },
      { topic: 'orders', partition: 1, status: 'OK' as const, reason: 'fine', committed: '7' },
    ];
    expect(evaluateGroup(committed).reason).toBe('All 2 partitions are OK.');
    expect(evaluateGroup(committed, [{ topic: 'orders', partition: 2 }]).reason).toBe('2 of 3 partitions are OK; 1 has no commit (orders[2]).');
    expect(evaluateGroup([...committed, { topic: 'orders', partition: 2, status: 'OK', reason: 'none', committed: null }]).reason).toBe(
      '2 of 3 partitions are OK; 1 has no commit (orders[2]).',
    );
  });
});
