/**
 * The offset bookkeeping of a scale-out rebuild, as pure functions: which messages
 * of a fetched batch a worker applies (those at or past the partition's stored next
 * offset, and past the global position it last applied, so a batch the publisher
 * sent twice after a crash is applied once), and how far the rebuild is across
 * partitions.
 */

/** What the target database holds for one partition of the replay topic (committed with the rows). */
export interface PartitionMark {
  /** The next offset to apply. */
  nextOffset: bigint;
  /** The highest global position applied from this partition (0: none). */
  position: bigint;
}

export interface ReplayMessage<T = unknown> {
  offset: bigint;
  /** The event's global position (from the message header). */
  position: bigint;
  event: T;
}

export interface BatchPlan<T> {
  /** Events to fold, in partition order. */
  apply: T[];
  /** The mark to store with the rows; null when nothing in the batch moves the partition on. */
  next: PartitionMark | null;
  /** Messages below the stored offset (already applied: a redelivery after a crash or a rebalance). */
  belowOffset: number;
  /** Messages at a position already applied (published twice by a publisher that was interrupted). */
  republished: number;
}

export function planBatch<T>(messages: readonly ReplayMessage<T>[], mark: PartitionMark): BatchPlan<T> {
  const apply: T[] = [];
  let belowOffset = 0;
  let republished = 0;
  let nextOffset = mark.nextOffset;
  let position = mark.position;
  for (const message of messages) {
    if (message.offset < mark.nextOffset) {
      belowOffset++;
      continue;
    }
    nextOffset = message.offset + 1n;
    if (message.position <= position) {
      republished++;
      continue;
    }
    position = message.position;
    apply.push(message.event);
  }
  const moved = nextOffset !== mark.nextOffset;
  return { apply, next: moved ? { nextOffset, position } : null, belowOffset, republished };
}

export interface PartitionState {
  partition: number;
  nextOffset: bigint;
  events: number;
}

export interface ScaleOutProgress {
  /** Events applied to the shadow, all partitions together. */
  applied: number;
  /** Messages published but not yet applied, all partitions together (null before the topic's ends are known). */
  behind: number | null;
  /** Every partition applied up to the end of what was published, and publishing is over. */
  complete: boolean;
}

/**
 * How far the workers are: `ends` are the topic's end offsets by partition (read
 * after the publisher finished, or now while it runs).
 */
export function scaleOutProgress(partitions: readonly PartitionState[], ends: ReadonlyMap<number, bigint> | null, publishedDone: boolean): ScaleOutProgress {
  const applied = partitions.reduce((sum, p) => sum + p.events, 0);
  if (!ends) return { applied, behind: null, complete: false };
  let behind = 0n;
  for (const [partition, end] of ends) {
    const next = partitions.find((p) => p.partition === partition)?.nextOffset ?? 0n;
    if (end > next) behind += end - next;
  }
  return { applied, behind: Number(behind), complete: publishedDone && behind === 0n && ends.size > 0 };
}
