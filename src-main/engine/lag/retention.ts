/**
 * The one retention policy of every lag history on disk: the projectors'
 * checkpoint lag, the Kafka groups' offsets and the store-to-read-model line.
 * A chart of one group or projector therefore reaches as far back, at the same
 * resolution, whichever screen draws it.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Samples of the last hour are kept as taken. */
export const FULL_RESOLUTION_MS = HOUR;
/** Older ones keep the first sample of each minute. */
export const DOWNSAMPLED_STEP_MS = MINUTE;
/** Past seven days they are deleted. */
export const KEEP_MS = 7 * DAY;

/** The samples kept at `now`, in time order: every one of the last hour, the first of each minute before, none past seven days. */
export function retainSamples<T>(samples: readonly T[], timeOf: (sample: T) => number, now: number): T[] {
  let lastStep = Number.NaN;
  return samples.filter((sample) => {
    const at = timeOf(sample);
    if (at < now - KEEP_MS) return false;
    if (at >= now - FULL_RESOLUTION_MS) return true;
    const step = Math.floor(at / DOWNSAMPLED_STEP_MS);
    const keep = step !== lastStep;
    lastStep = step;
    return keep;
  });
}
