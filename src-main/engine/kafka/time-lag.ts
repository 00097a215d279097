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
 * `samples` are in time order with non-decreasing offsets (a log's end only grows).
 */
export function timeLag(samples: readonly EndSample[], committed: number, now: number): TimeLag {
  const last = samples[samples.length - 1];
  if (!last) return { basis: 'unknown' };
  if (committed >= last.offset) return { seconds: 0, basis: 'caught-up' };
  const first = samples[0]!;
  if (committed < first.offset) {
    if (last.offset > first.offset && last.at > first.at) {
      const rate = (last.offset - first.offset) / (last.at - first.at);
      const at = first.at - (first.offset - committed) / rate;
      return { seconds: Math.max(0, (now - at) / 1000), basis: 'extrapolated' };
    }
    return { basis: 'unknown' };
  }
  // Binary search for the last sample at or below the committed offset; the next one is above it.
  let low = 0;
  let high = samples.length - 1;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (samples[mid]!.offset <= committed) low = mid;
    else high = mid;
  }
  const before = samples[low]!;
  const after = samples[high]!;
  const at = after.offset === before.offset ? before.at : before.at + ((committed - before.offset) / (after.offset - before.offset)) * (after.at - before.at);
  return { seconds: Math.max(0, (now - at) / 1000), basis: 'interpolated' };
}

/**
 * Adds an end-offset sample to a table kept for `timeLag` (between `keep` and twice that): only changes are kept, and a log that shrank (recreated topic)
 * starts over.
 */
export function recordEnd(table: EndSample[], offset: number, at: number, keep: number): void {
  const last = table[table.length - 1];
  if (last && offset < last.offset) table.length = 0;
  if (!last || last.offset !== offset || table.length === 0) table.push({ offset, at });
  // Trimmed in batches: one splice per `keep` samples rather than one per sample.
  if (table.length > keep * 2) table.splice(0, table.length - keep);
}
