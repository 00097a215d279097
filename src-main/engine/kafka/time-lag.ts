/** A sample of a partition's end offset and when it was read. */
export interface EndSample {
  offset: number;
  at: number;
}

export interface TimeLag {
  seconds?: number;
  basis: 'caught-up' | 'interpolated' | 'extrapolated' | 'unknown';
}

/**
 * Lag in seconds as kafka-lag-exporter computes it: find when the log's end
 * offset was at the committed offset, by interpolating between the sampled
 * (end offset, time) points, and measure from then to now. Before the oldest
 * sample the time is extrapolated with the rate of the sampled range.
 * `samples` are in time order.
 */
export function timeLag(samples: readonly EndSample[], committed: number, now: number): TimeLag {
  const last = samples[samples.length - 1];
  if (!last) return { basis: 'unknown' };
  if (committed >= last.offset) return { seconds: 0, basis: 'caught-up' };
  // The newest sample whose end offset was at or below the committed one brackets it with the next sample.
  for (let i = samples.length - 1; i > 0; i -= 1) {
    const before = samples[i - 1]!;
    const after = samples[i]!;
    if (before.offset <= committed && committed < after.offset) {
      const at = before.at + ((committed - before.offset) / (after.offset - before.offset)) * (after.at - before.at);
      return { seconds: Math.max(0, (now - at) / 1000), basis: 'interpolated' };
    }
  }
  const first = samples[0]!;
  if (committed < first.offset && last.offset > first.offset && last.at > first.at) {
    const rate = (last.offset - first.offset) / (last.at - first.at);
    const at = first.at - (first.offset - committed) / rate;
    return { seconds: Math.max(0, (now - at) / 1000), basis: 'extrapolated' };
  }
  return { basis: 'unknown' };
}
