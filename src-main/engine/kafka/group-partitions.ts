import { partitionKey, type GroupDescription, type PartitionOffsets } from './cluster';

type Committed = Map<string, { topic: string; partition: number; committed: number | null }>;

/** The topics a group's members are assigned (a new group reads them before its first commit). */
export function assignedTopics(group: GroupDescription | undefined): string[] {
  return [...new Set((group?.members ?? []).flatMap((m) => m.assignments.map((a) => a.topic)))];
}

/**
 * The group's committed offsets with every other partition of the topics it
 * reads (committed on, or assigned) added without one. Kafka lists only the
 * partitions a group committed on; one it never committed on still holds
 * messages it has not read, and counts by the one rule (src-shared/partition-lag.ts).
 */
export function withUncommittedPartitions(offsets: Committed, ends: ReadonlyMap<string, PartitionOffsets[]>, group: GroupDescription | undefined): Committed {
  const topics = new Set([...[...offsets.values()].map((o) => o.topic), ...assignedTopics(group)]);
  const all: Committed = new Map(offsets);
  for (const topic of topics) {
    for (const { partition } of ends.get(topic) ?? []) {
      const key = partitionKey(topic, partition);
      if (!all.has(key)) all.set(key, { topic, partition, committed: null });
    }
  }
  return all;
}
