/**
 * Reads over a range of global positions that checkpoints need: how many real
 * events lie between a projector's position and the head (a hole left by a
 * rolled-back insert is not an event), the age of the oldest one not processed
 * yet, what a reset would reprocess or skip, and the position of a time.
 *
 * Counting is bounded: each position is counted exactly within `window`
 * positions of it; farther behind, the count of that window is extrapolated to
 * the whole distance and the answer says it is an estimate. No refresh ever
 * counts millions of rows.
 */
export interface PositionLag {
  /** Events in (position, head]. */
  events: number;
  /** True when `events` was extrapolated from the first `window` positions. */
  estimated: boolean;
  /** Timestamp of the first event after the position (ISO-8601), null when none or the store keeps no time. */
  oldestUnprocessedAt: string | null;
}

export interface RangeEvent {
  position: string;
  streamId: string;
  type: string;
  timestamp: string | null;
}

export interface RangeSummary {
  count: number;
  byType: { type: string; count: number }[];
  first: RangeEvent | null;
  last: RangeEvent | null;
}

export interface PositionRanges {
  /**
   * Lag of each position behind `head`, keyed by the position. With `category`,
   * only that category's events count (a consumer of one category is not behind
   * the others'); stores without categories refuse it.
   */
  lagBehind(positions: readonly string[], head: string, window: number, category?: string): Promise<Map<string, PositionLag>>;
  /** Events in (after, upTo]: counted per type, with the first and the last. */
  summarize(after: string, upTo: string): Promise<RangeSummary>;
  /** Position of the last event stored before `at`; null when none is. */
  lastPositionBefore(at: Date): Promise<string | null>;
}

/** Positions counted exactly behind each checkpoint before the count is extrapolated. */
export const EXACT_LAG_WINDOW = 2_000;

/**
 * A category's lag from its first `counted` events after `position`: exact when
 * they are all there is; otherwise the rate up to the last counted one, at
 * `reached`, extrapolated to the head.
 */
export function extrapolateCategoryLag(
  position: bigint,
  head: bigint,
  counted: number,
  window: number,
  reached: bigint | null,
): { events: number; estimated: boolean } {
  if (counted <= window || reached === null || reached <= position) return { events: counted, estimated: false };
  return { events: Math.round((counted / Number(reached - position)) * Number(head - position)), estimated: true };
}

/** Turns the count of the first `window` positions after `position` into the lag behind `head`. */
export function extrapolateLag(position: bigint, head: bigint, counted: number, window: number): { events: number; estimated: boolean } {
  const distance = head - position;
  if (distance <= 0n) return { events: 0, estimated: false };
  if (distance <= BigInt(window)) return { events: counted, estimated: false };
  return { events: Math.round((counted / window) * Number(distance)), estimated: true };
}
