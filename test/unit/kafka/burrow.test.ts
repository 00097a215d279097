import { describe, expect, it } from 'vitest';
import { evaluateGroup, evaluatePartition, type CommitEntry } from '../../../src-main/engine/kafka/burrow';

/** A recorded window: [offset, seconds since start, lag] per commit, one commit every 60 s like Burrow's default. */
function windowOf(rows: [number, number, number][]): CommitEntry[] {
  return rows.map(([offset, s, lag]) => ({ offset, at: 1_000_000 + s * 1000, lag }));
}
const at = (s: number) => 1_000_000 + s * 1000;

describe("Burrow's evaluation rules on recorded commit windows", () => {
  it('OK when the lag was zero anywhere in the window (Burrow example 1)', () => {
    const w = windowOf([[10, 0, 0], [20, 60, 0], [30, 120, 0], [40, 180, 0], [50, 240, 0], [60, 300, 0], [70, 360, 1], [80, 420, 3], [90, 480, 5], [100, 540, 5]]);
    expect(evaluatePartition(w, 5, at(600))).toMatchObject({ status: 'OK', reason: expect.stringMatching(/zero/) });
  });

  it('OK when offsets advance and the lag shrinks somewhere (Burrow example 2)', () => {
    const w = windowOf([[10, 0, 1], [20, 60, 1], [30, 120, 1], [40, 180, 1], [50, 240, 1], [60, 300, 1], [70, 360, 2], [80, 420, 1], [90, 480, 1], [100, 540, 1]]);
    expect(evaluatePartition(w, 1, at(600)).status).toBe('OK');
  });

  it('OK with no lag now, whatever the window says', () => {
    const w = windowOf([[10, 0, 5], [10, 60, 5]]);
    expect(evaluatePartition(w, 0, at(6000))).toMatchObject({ status: 'OK', reason: 'Caught up: no lag now.' });
  });

  it('WARN when offsets advance but the lag never decreases (Burrow example 3)', () => {
    const w = windowOf([[10, 0, 1], [20, 60, 1], [30, 120, 1], [40, 180, 1], [50, 240, 1], [60, 300, 1], [70, 360, 1], [80, 420, 1], [90, 480, 1], [100, 540, 1]]);
    const verdict = evaluatePartition(w, 1, at(600));
    expect(verdict.status).toBe('WARN');
    expect(verdict.reason).toMatch(/never shrank over the last 10 commits/);
  });

  it('STALL when commits keep the same offset while lag waits (Burrow example 4)', () => {
    const w = windowOf([[10, 0, 1], [10, 60, 1], [10, 120, 1], [10, 180, 1], [10, 240, 1], [10, 300, 2], [10, 360, 2], [10, 420, 3], [10, 480, 3], [10, 540, 3]]);
    const verdict = evaluatePartition(w, 3, at(560));
    expect(verdict.status).toBe('STALL');
    expect(verdict.reason).toMatch(/keep offset 10/);
  });

  it('STOP when no commit came for longer than the window spans (Burrow example 5)', () => {
    const w = windowOf([[10, 0, 1], [20, 60, 2], [30, 120, 3], [40, 180, 4], [50, 240, 5], [60, 300, 6], [70, 360, 7], [80, 420, 8], [90, 480, 9], [100, 540, 10]]);
    expect(evaluatePartition(w, 10, at(600)).status).toBe('WARN'); // a minute after the last commit: still only slow
    const verdict = evaluatePartition(w, 10, at(540 + 541));
    expect(verdict.status).toBe('STOP');
    expect(verdict.reason).toMatch(/No commit for 9 min/);
  });

  it('REWIND when the committed offset goes back (Burrow example 6), ranked above STOP', () => {
    const w = windowOf([[10, 0, 1], [20, 60, 1], [30, 120, 1], [40, 180, 1], [50, 240, 1], [60, 300, 1], [70, 360, 1], [80, 420, 1], [90, 480, 1], [40, 540, 51]]);
    const verdict = evaluatePartition(w, 51, at(100_000));
    expect(verdict.status).toBe('REWIND');
    expect(verdict.reason).toBe('The committed offset went back from 90 to 40.');
  });

  it('ERR when the committed offset lies outside the log', () => {
    expect(evaluatePartition([], 0, at(0), 'The committed offset 5 was deleted by retention (log starts at 9).')).toEqual({ status: 'ERR', reason: 'The committed offset 5 was deleted by retention (log starts at 9).' });
  });

  it('only the last 10 commits count: an old zero lag is forgotten', () => {
    const w = windowOf([[0, 0, 0], ...Array.from({ length: 10 }, (_, i): [number, number, number] => [10, 60 * (i + 1), 5])]);
    expect(evaluatePartition(w, 5, at(660)).status).toBe('STALL');
  });

  it('the group takes its worst partition, naming it and how many share it', () => {
    const group = evaluateGroup([
      { topic: 'orders', partition: 0, status: 'OK', reason: 'fine' },
      { topic: 'orders', partition: 1, status: 'STALL', reason: 'stuck' },
      { topic: 'orders', partition: 2, status: 'WARN', reason: 'slow' },
      { topic: 'orders', partition: 3, status: 'STALL', reason: 'stuck too' },
    ]);
    expect(group).toEqual({ status: 'STALL', reason: 'orders[1] and 1 more: stuck' });
    expect(evaluateGroup([{ topic: 't', partition: 0, status: 'OK', reason: 'x' }])).toEqual({ status: 'OK', reason: 'All 1 partitions are OK.' });
  });
});
