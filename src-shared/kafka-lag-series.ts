import type { LagPoint } from './schemas/kafka';

/**
 * How a group's lag history is aggregated for its charts and its SLO. Lag in
 * seconds does not add up across partitions: two partitions each 10 s behind
 * leave the group 10 s behind, not 20. The SLO holds per partition, so the
 * figure charted and compared with it is the worst partition's. Lag in
 * messages does add up: its total is "messages behind, all partitions".
 */

type Partitions = LagPoint['partitions'];

/** The partition furthest behind in time, by its key ("topic:partition"). */
export interface WorstPartition {
  partition: string;
  seconds: number;
}

/** The worst partition of one sample; none when no partition has a figure in seconds. */
export function worstPartition(partitions: Partitions): WorstPartition | undefined {
  let worst: WorstPartition | undefined;
  for (const [partition, value] of Object.entries(partitions)) {
    if (value.seconds === undefined) continue;
    if (!worst || value.seconds > worst.seconds) worst = { partition, seconds: value.seconds };
  }
  return worst;
}

/** Messages behind over all partitions: lag in messages adds up. */
export function messagesBehind(partitions: Partitions): number {
  let total = 0;
  for (const value of Object.values(partitions)) total += value.lag;
  return total;
}

/** The worst partition's seconds at each point (undefined: no figure then), for the default chart. */
export function worstSeries(points: readonly Pick<LagPoint, 'partitions'>[]): (number | undefined)[] {
  return points.map((point) => worstPartition(point.partitions)?.seconds);
}

export interface SloVerdict {
  sloSeconds: number;
  /** Some partition was behind by more than the SLO at some point. */
  breached: boolean;
  /** Points at which the worst partition was over the SLO. */
  pointsOver: number;
  /** The worst partition at the worst point of the range. */
  worst?: WorstPartition & { at: string };
}

/** The SLO compared with the worst partition of each point, never with a total over partitions. */
export function sloVerdict(points: readonly Pick<LagPoint, 'at' | 'partitions'>[], sloSeconds: number): SloVerdict {
  let worst: SloVerdict['worst'];
  let pointsOver = 0;
  for (const point of points) {
    const w = worstPartition(point.partitions);
    if (!w) continue;
    if (w.seconds > sloSeconds) pointsOver += 1;
    if (!worst || w.seconds > worst.seconds) worst = { ...w, at: point.at };
  }
  return { sloSeconds, breached: pointsOver > 0, pointsOver, ...(worst ? { worst } : {}) };
}

/**
 * The partitions a per-partition chart draws when there are too many for one
 * line each: the `limit` with the highest peak in seconds over the points,
 * in the order of `keys`; `hidden` counts the rest.
 */
export function topPartitionsBySeconds(
  points: readonly Pick<LagPoint, 'partitions'>[],
  keys: readonly string[],
  limit: number,
): { shown: string[]; hidden: number } {
  if (keys.length <= limit) return { shown: [...keys], hidden: 0 };
  const peak = new Map<string, number>(keys.map((key) => [key, -1]));
  for (const point of points) {
    for (const key of keys) {
      const seconds = point.partitions[key]?.seconds;
      if (seconds !== undefined && seconds > peak.get(key)!) peak.set(key, seconds);
    }
  }
  const chosen = new Set([...keys].sort((a, b) => peak.get(b)! - peak.get(a)!).slice(0, limit));
  return { shown: keys.filter((key) => chosen.has(key)), hidden: keys.length - chosen.size };
}
