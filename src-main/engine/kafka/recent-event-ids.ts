import type { Admin, Cluster } from 'kafkajs';
import { oneReadPerCluster } from './first-message';

/** Messages read from the end of each partition: a few, so one relay's newest batch is enough evidence. */
const NEWEST_PER_PARTITION = 3;
const PARTITION_BYTES = 64 * 1024;
/** Partitions read at most: evidence, not a census. */
const MAX_PARTITIONS = 32;

interface FetchedMessage {
  offset: string;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[] | undefined>;
  isControlRecord?: boolean;
}

/**
 * The event ids carried by the newest messages of a topic's partitions (the
 * reference relay's `event-id` header or an `eventId` field of a JSON value),
 * read with one broker-level Fetch per partition leader.
 */
export async function recentEventIds(admin: Admin, cluster: Cluster, topics: readonly string[]): Promise<string[]> {
  const wanted: { topic: string; partition: number; offset: number }[] = [];
  for (const topic of topics) {
    const bounds = await admin.fetchTopicOffsets(topic).catch(() => []);
    for (const p of bounds) {
      const high = Number(p.high);
      if (high > Number(p.low)) wanted.push({ topic, partition: p.partition, offset: Math.max(Number(p.low), high - NEWEST_PER_PARTITION) });
    }
  }
  if (!wanted.length) return [];
  return oneReadPerCluster(cluster, async () => {
    const ids = new Set<string>();
    await cluster.addMultipleTargetTopics([...new Set(wanted.map((w) => w.topic))]);
    for (const ref of wanted.slice(0, MAX_PARTITIONS)) {
      const nodeId = Object.keys(cluster.findLeaderForPartitions(ref.topic, [ref.partition]))[0];
      if (nodeId === undefined) continue;
      const broker = await cluster.findBroker({ nodeId });
      const answer = (await broker
        .fetch({
          isolationLevel: 0,
          maxWaitTime: 100,
          minBytes: 1,
          maxBytes: PARTITION_BYTES,
          topics: [{ topic: ref.topic, partitions: [{ partition: ref.partition, fetchOffset: String(ref.offset), maxBytes: PARTITION_BYTES }] }],
        })
        .catch(() => ({ responses: [] }))) as { responses: { partitions: { errorCode: number; messages: FetchedMessage[] }[] }[] };
      for (const message of answer.responses.flatMap((r) => r.partitions).flatMap((p) => (p.errorCode === 0 ? p.messages : []))) {
        const id = message.isControlRecord ? undefined : eventIdOf(message);
        if (id) ids.add(id);
      }
    }
    return [...ids];
  });
}

function eventIdOf(message: FetchedMessage): string | undefined {
  const header = message.headers?.['event-id'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (fromHeader) return fromHeader.toString('utf8');
  try {
    const parsed = JSON.parse(message.value?.toString('utf8') ?? '') as { eventId?: unknown };
    return typeof parsed.eventId === 'string' ? parsed.eventId : undefined;
  } catch {
    return undefined;
  }
}
