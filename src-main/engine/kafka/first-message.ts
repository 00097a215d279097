import type { Broker, Cluster } from 'kafkajs';

/** A partition position: for exact lag, a group's committed offset, i.e. its oldest unconsumed message. */
export interface MessageRef {
  topic: string;
  partition: number;
  offset: number;
}

/** How long the broker may hold a fetch (it answers at once when the offset holds data, which is the only case asked). */
export const FETCH_WAIT_MS = 100;
/** Bytes read per partition: enough for the record batch holding the offset in all but very large batches. */
const PARTITION_BYTES = 64 * 1024;
/** Partitions per Fetch request, so one answer stays small. */
const PARTITIONS_PER_REQUEST = 64;
const READ_UNCOMMITTED = 0;

export function refKey(ref: MessageRef): string {
  return `${ref.topic}\u0000${ref.partition}\u0000${ref.offset}`;
}

/**
 * Timestamps (ms) of the first message at or after each position, read with
 * kafkajs' broker-level Fetch: one request per leader broker, brokers side by
 * side (a partition appears once per request, so two positions on one
 * partition take two, one after the other),
 * `FETCH_WAIT_MS` wait, 64 KiB per partition. A position whose message could
 * not be read (its partition answered an error, nothing at or past the offset
 * in the bytes returned, a control record only) is absent from the answer. A
 * request failed by a partition's error (e.g. its offset deleted by retention
 * meanwhile: kafkajs fails the whole request) is retried a partition at a time.
 */
export function firstMessageTimes(cluster: Cluster, refs: readonly MessageRef[]): Promise<Map<string, number>> {
  return oneReadPerCluster(cluster, () => readTimes(cluster, refs));
}

/** One broker-level read at a time per cluster, for the same reason as one request at a time per broker below. */
export function oneReadPerCluster<T>(cluster: Cluster, read: () => Promise<T>): Promise<T> {
  const previous = queues.get(cluster) ?? Promise.resolve();
  const result = previous.then(read);
  queues.set(
    cluster,
    result.then(
      () => undefined,
      () => undefined,
    ),
  );
  return result;
}

const queues = new WeakMap<Cluster, Promise<void>>();

async function readTimes(cluster: Cluster, refs: readonly MessageRef[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  refs = [...new Map(refs.map((r) => [refKey(r), r])).values()];
  if (!refs.length) return found;
  await cluster.addMultipleTargetTopics([...new Set(refs.map((r) => r.topic))]);
  const byLeader = new Map<string, MessageRef[]>();
  for (const ref of refs) {
    const leaders = cluster.findLeaderForPartitions(ref.topic, [ref.partition]);
    const leader = Object.keys(leaders)[0];
    if (leader === undefined) continue;
    let list = byLeader.get(leader);
    if (!list) byLeader.set(leader, (list = []));
    list.push(ref);
  }
  await Promise.all(
    [...byLeader].map(async ([nodeId, list]) => {
      const broker = await cluster.findBroker({ nodeId });
      // One request at a time per broker: kafkajs opens its fetch connection on first use, and
      // requests racing to open it each open a socket that its disconnect never closes.
      for (const batch of requestsOf(list)) {
        try {
          await fetchInto(broker, batch, found);
        } catch (err) {
          // A partition's own error fails the whole request: the others are asked alone. Anything else (a lost connection) is the caller's.
          if (!isPartitionError(err)) throw err;
          if (batch.length > 1) for (const one of batch) await fetchInto(broker, [one], found).catch(() => undefined);
        }
      }
    }),
  );
  return found;
}

function isPartitionError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'KafkaJSOffsetOutOfRange' || name === 'KafkaJSProtocolError';
}

/** Splits positions into requests where each partition appears at most once. */
function requestsOf(refs: readonly MessageRef[]): MessageRef[][] {
  const requests: { refs: MessageRef[]; partitions: Set<string> }[] = [];
  for (const ref of refs) {
    const id = `${ref.topic}\u0000${ref.partition}`;
    let target = requests.find((r) => !r.partitions.has(id) && r.refs.length < PARTITIONS_PER_REQUEST);
    if (!target) requests.push((target = { refs: [], partitions: new Set() }));
    target.refs.push(ref);
    target.partitions.add(id);
  }
  return requests.map((r) => r.refs);
}

interface FetchedMessage {
  offset: string;
  timestamp: string;
  isControlRecord?: boolean;
}

async function fetchInto(broker: Broker, refs: readonly MessageRef[], found: Map<string, number>): Promise<void> {
  const topics = new Map<string, { partition: number; fetchOffset: string; maxBytes: number }[]>();
  for (const ref of refs) {
    let partitions = topics.get(ref.topic);
    if (!partitions) topics.set(ref.topic, (partitions = []));
    partitions.push({ partition: ref.partition, fetchOffset: String(ref.offset), maxBytes: PARTITION_BYTES });
  }
  const answer = (await broker.fetch({
    isolationLevel: READ_UNCOMMITTED,
    maxWaitTime: FETCH_WAIT_MS,
    minBytes: 1,
    maxBytes: PARTITION_BYTES * refs.length,
    topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
  })) as { responses: { topicName: string; partitions: { partition: number; errorCode: number; messages: FetchedMessage[] }[] }[] };
  for (const { topicName, partitions } of answer.responses) {
    for (const p of partitions) {
      const ref = refs.find((r) => r.topic === topicName && r.partition === p.partition);
      if (!ref || p.errorCode !== 0) continue;
      // The broker answers whole record batches: the one holding the offset may start before it.
      let first: FetchedMessage | undefined;
      for (const m of p.messages) {
        if (m.isControlRecord || Number(m.offset) < ref.offset) continue;
        if (!first || Number(m.offset) < Number(first.offset)) first = m;
      }
      if (first) found.set(refKey(ref), Number(first.timestamp));
    }
  }
}
