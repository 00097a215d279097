import { describe, expect, it } from 'vitest';
import { timeLag } from '../../../src-main/engine/kafka/time-lag';

const s = (offset: number, seconds: number) => ({ offset, at: seconds * 1000 });

describe('lag in seconds, interpolated on (end offset, time) samples as kafka-lag-exporter does', () => {
  const samples = [s(100, 0), s(200, 10), s(400, 20)];

  it('is zero when the committed offset reached the last end offset', () => {
    expect(timeLag(samples, 400, 30_000)).toEqual({ seconds: 0, basis: 'caught-up' });
  });

  it('interpolates between the samples around the committed offset', () => {
    // Offset 150 was the end halfway between 0 s and 10 s: 5 s; now is 30 s, so 25 s behind.
    expect(timeLag(samples, 150, 30_000)).toEqual({ seconds: 25, basis: 'interpolated' });
    // 300 lies halfway between 200 (10 s) and 400 (20 s): 15 s → 15 s behind at 30 s.
    expect(timeLag(samples, 300, 30_000)).toEqual({ seconds: 15, basis: 'interpolated' });
    expect(timeLag(samples, 200, 30_000)).toEqual({ seconds: 20, basis: 'interpolated' });
  });

  it('extrapolates with the sampled rate before the oldest sample, and says so', () => {
    // Rate 300 messages / 20 s = 15/s; offset 40 is 60 messages before offset 100 at 0 s → -4 s; 34 s behind at 30 s.
    expect(timeLag(samples, 40, 30_000)).toEqual({ seconds: 34, basis: 'extrapolated' });
  });

  it('cannot tell with one sample, or none', () => {
    expect(timeLag([s(100, 0)], 50, 5000)).toEqual({ basis: 'unknown' });
    expect(timeLag([], 50, 5000)).toEqual({ basis: 'unknown' });
  });
});
