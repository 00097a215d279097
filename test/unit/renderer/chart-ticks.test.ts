import { describe, expect, it } from 'vitest';
import { durationTicks, formatDurationTick, ROUND_STEPS_MS, roundStep, timeTicks } from '../../../src-renderer/src/ui/chart-ticks';

const S = 1000;
const MIN = 60 * S;
const H = 60 * MIN;

describe('duration axis ticks', () => {
  it('ticks at round steps from 0 to just above the largest value', () => {
    expect(durationTicks(0)).toEqual([0, S]);
    expect(durationTicks(3.2 * S)).toEqual([0, S, 2 * S, 3 * S, 4 * S]);
    expect(durationTicks(150 * S)).toEqual([0, 30 * S, MIN, 90 * S, 2 * MIN, 150 * S]);
    expect(durationTicks(200 * S)).toEqual([0, MIN, 2 * MIN, 3 * MIN, 4 * MIN]);
    expect(durationTicks(70 * MIN)).toEqual([0, 15 * MIN, 30 * MIN, 45 * MIN, 60 * MIN, 75 * MIN]);
    expect(durationTicks(9 * H)).toEqual([0, 2 * H, 4 * H, 6 * H, 8 * H, 10 * H]);
    for (const ticks of [durationTicks(1234), durationTicks(5 * MIN + 7 * S), durationTicks(26 * H)]) {
      const steps = new Set(ticks.slice(1).map((t, i) => t - ticks[i]!));
      expect(steps.size).toBe(1);
      expect(ROUND_STEPS_MS).toContain([...steps][0]);
    }
  });

  it('never labels two ticks alike, for any maximum from 0 to a week', () => {
    for (let max = 0; max < 7 * 24 * H; max = max * 1.37 + 97) {
      const labels = durationTicks(max).map(formatDurationTick);
      expect(new Set(labels).size, `max ${max}: ${labels.join(', ')}`).toBe(labels.length);
    }
    // The labels the old axis repeated: 90 s and 150 s both read "2 min" when rounded to one unit.
    expect([90 * S, 150 * S].map(formatDurationTick)).toEqual(['1 min 30 s', '2 min 30 s']);
    expect(formatDurationTick(0)).toBe('0 s');
    expect(formatDurationTick(2.5 * H)).toBe('2 h 30 min');
  });

  it('chooses the smallest round step that fits', () => {
    expect(roundStep(0, 5)).toBe(S);
    expect(roundStep(11 * S, 5)).toBe(5 * S);
    expect(roundStep(40 * MIN, 5)).toBe(10 * MIN);
  });
});

describe('time axis ticks', () => {
  it('ticks at round clock times inside the range, in the display zone', () => {
    const to = Date.UTC(2026, 0, 31, 14, 7, 30);
    const minutes = (t: number) => `${new Date(t).getUTCHours()}:${new Date(t).getUTCMinutes()}:${new Date(t).getUTCSeconds()}`;
    expect(timeTicks(to - 15 * MIN, to).map(minutes)).toEqual(['13:55:0', '14:0:0', '14:5:0']);
    const day = timeTicks(to - 24 * H, to, 6);
    expect(day.map((t) => new Date(t).getUTCHours())).toEqual([18, 0, 6, 12]);
    // One hour east of UTC: 6-hour ticks fall on that zone's 00:00, 06:00…
    const east = timeTicks(to - 24 * H, to, 6, H);
    expect(east.map((t) => new Date(t + H).getUTCHours())).toEqual([18, 0, 6, 12]);
  });
});
