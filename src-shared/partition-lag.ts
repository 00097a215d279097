/**
 * The one definition of a Kafka partition's lag in messages, used by the Kafka
 * group screen, the lag sampler and its history, the store-to-read-model line
 * and the checkpoint board: the messages still in the log that the consumer
 * has not read.
 *
 * - committed inside [start, end]: end − committed (what kafka-consumer-groups reports).
 * - no committed offset: end − start. Everything retained is unread; the
 *   `no-commit` basis lets a screen say so (kafka-consumer-groups prints "-").
 * - committed below the log start (retention deleted what it pointed at):
 *   end − start. The deleted messages can no longer be read, so they are not
 *   counted; the consumer resets by its auto.offset.reset policy.
 * - committed past the end (topic truncated or recreated): 0. Nothing is left
 *   to read; the consumer resets as well.
 *
 * Offsets are a consumer's *next* offset to read (Kafka's committed offset,
 * a Kafka projector's checkpoint), `start` the log start offset (low
 * watermark) and `end` the log end offset (high watermark).
 */

export type PartitionLagBasis = 'committed' | 'no-commit' | 'below-start' | 'past-end';

export interface PartitionBounds {
  /** Next offset the consumer reads; null when it never committed on this partition. */
  committed: number | null;
  /** Log start offset: the oldest message retention kept. */
  start: number;
  /** Log end offset: the offset the next message is written at. */
  end: number;
}

export interface PartitionLagFigure {
  /** Messages behind (never negative). */
  lag: number;
  basis: PartitionLagBasis;
}

export function partitionLag({ committed, start, end }: PartitionBounds): PartitionLagFigure {
  // A log start past its end cannot be (a torn read of two requests): the end wins.
  const retained = Math.max(0, end - Math.min(start, end));
  if (committed === null) return { lag: retained, basis: 'no-commit' };
  if (committed > end) return { lag: 0, basis: 'past-end' };
  if (committed < start) return { lag: retained, basis: 'below-start' };
  return { lag: end - committed, basis: 'committed' };
}

/** Just the messages behind, for sums and charts. */
export function partitionLagMessages(bounds: PartitionBounds): number {
  return partitionLag(bounds).lag;
}
