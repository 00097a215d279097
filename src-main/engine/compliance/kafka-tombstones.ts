/**
 * Tombstones for compacted topics keyed by a data subject: for every distinct key
 * naming the subject, a null-value record on each partition the key's copies were
 * found in (sent to that partition explicitly, so it lands beside them whatever
 * partitioner wrote them), after which compaction drops the key's earlier messages.
 * Topics that are not compacted cannot be cleared this way: they are listed with
 * the date retention removes the copies.
 */
import type { Kafka } from 'kafkajs';
import type { SentTombstone } from '../../../src-shared/schemas/compliance';
import { removalDates, type TopicFinding } from './kafka-subject-scan';

export interface TombstoneTarget {
  topic: string;
  partition: number;
  key: Buffer;
  keySha256: string;
  /** The key's messages with a value (the copies the tombstone lets compaction drop). */
  messages: number;
}

export interface TombstonePlan {
  targets: TombstoneTarget[];
  /** Keys whose newest message already is a tombstone, or that a run of this case already sent. */
  done: number;
  /** Per compacted topic, messages naming the subject only in their value or headers (under a key of their own): not tombstoned. */
  valueOnly: { topic: string; messages: number }[];
  /** Topics that are not compacted: where the copies remain and until when. */
  retained: { topic: string; messages: number; removedFrom: string | null; removedBy: string | null; detail: string }[];
}

const sentKey = (topic: string, partition: number, keySha256: string) => `${topic}\n${partition}\n${keySha256}`;

/** What tombstoning would write, from a scan of the case's topics and what a run already sent. */
export function planTombstones(findings: readonly TopicFinding[], sent: readonly SentTombstone[]): TombstonePlan {
  const already = new Set(sent.map((s) => sentKey(s.topic, s.partition, s.keySha256)));
  const plan: TombstonePlan = { targets: [], done: 0, valueOnly: [], retained: [] };
  for (const finding of findings) {
    if (!finding.policy.compact) {
      if (finding.count === 0) continue;
      const dates = removalDates(finding.policy, finding.newestAt);
      plan.retained.push({
        topic: finding.topic,
        messages: finding.count,
        removedFrom: dates === null || dates === 'never' ? null : dates.from,
        removedBy: dates === null || dates === 'never' ? (dates === 'never' ? 'never' : null) : dates.by,
        detail: `${finding.count} message(s) of topic ${finding.topic} hold the subject's data; the topic is not compacted, so a tombstone would not remove them: ${finding.retention}`,
      });
      continue;
    }
    for (const copies of finding.keyed) {
      if (copies.tombstoned || already.has(sentKey(finding.topic, copies.partition, copies.keySha256))) {
        plan.done += 1;
        continue;
      }
      plan.targets.push({ topic: finding.topic, partition: copies.partition, key: copies.key, keySha256: copies.keySha256, messages: copies.messages });
    }
    const underOtherKeys = finding.count - finding.inKey;
    if (underOtherKeys > 0) plan.valueOnly.push({ topic: finding.topic, messages: underOtherKeys });
  }
  return plan;
}

/** The plan in a sentence (no key in clear). */
export function describePlan(plan: TombstonePlan, dryRun: boolean): string {
  const topics = new Set(plan.targets.map((t) => t.topic));
  const partitions = new Set(plan.targets.map((t) => `${t.topic}/${t.partition}`));
  const parts = [
    plan.targets.length > 0
      ? `${dryRun ? 'Writes' : 'Wrote'} ${plan.targets.length} tombstone(s) (null value) for the distinct keys naming the subject in ${topics.size} compacted topic(s), ${partitions.size} partition(s), each on the partition its copies are on; compaction then drops the ${plan.targets.reduce((n, t) => n + t.messages, 0)} earlier message(s) under those keys, and the tombstones themselves after delete.retention.ms.`
      : 'No key naming the subject is left to tombstone in the compacted topics searched.',
  ];
  if (plan.done > 0) parts.push(`${plan.done} key(s) already end in a tombstone or were sent by an earlier run: not sent again.`);
  for (const v of plan.valueOnly)
    parts.push(
      `${v.messages} message(s) of ${v.topic} name the subject only in their value or headers, under keys that are not the subject's: not tombstoned (that would erase another key's data); review them.`,
    );
  for (const r of plan.retained) parts.push(r.detail);
  return parts.join(' ');
}

/**
 * Sends the targets in batches (idempotent producer, acks from all in-sync replicas),
 * handing each acknowledged batch to `sent` before the next: a crash between a send
 * and its record resends at most that batch, and a tombstone sent twice only repeats the deletion marker.
 */
export async function writeTombstones(
  kafka: Kafka,
  targets: readonly TombstoneTarget[],
  batchSize: number,
  sent: (batch: SentTombstone[]) => Promise<void>,
  signal: AbortSignal,
): Promise<number> {
  if (targets.length === 0) return 0;
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  let written = 0;
  try {
    for (let i = 0; i < targets.length; i += batchSize) {
      signal.throwIfAborted();
      const batch = targets.slice(i, i + batchSize);
      const byTopic = new Map<string, TombstoneTarget[]>();
      for (const t of batch) byTopic.set(t.topic, [...(byTopic.get(t.topic) ?? []), t]);
      const acks = await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic.entries()].map(([topic, items]) => ({
          topic,
          messages: items.map((t) => ({ key: t.key, value: null, partition: t.partition })),
        })),
      });
      // Offsets: the batch's base offset per partition, then one per message in the order sent.
      const next = new Map(acks.map((a) => [`${a.topicName}\n${a.partition}`, BigInt(a.baseOffset ?? a.offset ?? '-1')]));
      const at = new Date().toISOString();
      const records: SentTombstone[] = [];
      for (const items of byTopic.values()) {
        for (const t of items) {
          const id = `${t.topic}\n${t.partition}`;
          const offset = next.get(id) ?? -1n;
          if (offset >= 0n) next.set(id, offset + 1n);
          records.push({ topic: t.topic, partition: t.partition, keySha256: t.keySha256, offset: offset.toString(), at });
        }
      }
      await sent(records);
      written += batch.length;
    }
    return written;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
