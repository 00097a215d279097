/**
 * A data subject in Kafka topics: every message of a time range whose key, value
 * or headers hold one of the subject's ids, counted with first and last seen,
 * and how many of the copies' sealed fields still decrypt. Reads each partition
 * from the offset of the range's start up to the high watermark seen when the
 * scan began, with a throwaway consumer group deleted afterwards.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Inventory } from '../../../src-shared/schemas/compliance';
import { sealedFieldsOf, type KeyCache, type ScanProgress } from './pg-subject-data';

/** kafkajs' ConfigResourceTypes.TOPIC: its enum is not a named export Node's ESM loader can see in the CommonJS build. */
const TOPIC_RESOURCE = 2;

export interface TopicScope {
  topics: string[];
  from?: string;
  to?: string;
}

export interface TopicFinding {
  topic: string;
  scanned: number;
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
  inKey: number;
  inValue: number;
  inHeaders: number;
  sealedFields: number;
  stillDecrypting: number;
  /** How long the topic keeps messages, in words (retention, compaction). */
  retention: string;
}

export async function scanTopics(kafka: Kafka, scope: TopicScope, ids: string[], scan: ScanProgress, keys: KeyCache): Promise<TopicFinding[]> {
  const found: TopicFinding[] = [];
  for (const topic of scope.topics) found.push(await scanTopic(kafka, topic, scope, ids, scan, keys));
  return found;
}

export function topicLocation(finding: TopicFinding): Inventory['locations'][number] {
  const where = [finding.inKey && `${finding.inKey} by key`, finding.inValue && `${finding.inValue} in the value`, finding.inHeaders && `${finding.inHeaders} in headers`].filter(Boolean).join(', ');
  return {
    location: `topic ${finding.topic}`,
    kind: 'topic',
    count: finding.count,
    firstSeen: finding.firstSeen,
    lastSeen: finding.lastSeen,
    note: `${finding.scanned} messages read${where ? `; ${where}` : ''}; ${finding.retention}`,
  };
}

async function scanTopic(kafka: Kafka, topic: string, scope: TopicScope, ids: string[], scan: ScanProgress, keys: KeyCache): Promise<TopicFinding> {
  const finding: TopicFinding = { topic, scanned: 0, count: 0, firstSeen: null, lastSeen: null, inKey: 0, inValue: 0, inHeaders: 0, sealedFields: 0, stillDecrypting: 0, retention: '' };
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `chronoscope-compliance-${randomUUID()}`;
  let consumer: ReturnType<Kafka['consumer']> | undefined;
  try {
    const highs = await admin.fetchTopicOffsets(topic);
    const fromMs = scope.from ? Date.parse(scope.from) : undefined;
    const toMs = scope.to ? Date.parse(scope.to) : Number.POSITIVE_INFINITY;
    const starts = fromMs !== undefined ? await admin.fetchTopicOffsetsByTimestamp(topic, fromMs) : highs.map((h) => ({ partition: h.partition, offset: h.low }));
    finding.retention = await retentionOf(admin, topic);
    const end = new Map(highs.map((h) => [h.partition, BigInt(h.high)]));
    const start = new Map(starts.map((s) => [s.partition, BigInt(s.offset === '-1' ? (end.get(s.partition) ?? 0n).toString() : s.offset)]));
    const open = new Set([...end.keys()].filter((p) => (start.get(p) ?? 0n) < end.get(p)!));
    const total = Number([...open].reduce((n, p) => n + (end.get(p)! - start.get(p)!), 0n));
    if (open.size === 0) return finding;

    consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const pending: { value: ReturnType<typeof sealedFieldsOf> }[] = [];
    await new Promise<void>((resolve, reject) => {
      const abort = () => reject(Object.assign(new Error('The scan was stopped.'), { name: 'AbortError' }));
      if (scan.signal.aborted) return abort();
      scan.signal.addEventListener('abort', abort, { once: true });
      consumer!
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, heartbeat }) => {
            const partition = batch.partition;
            if (!open.has(partition)) return;
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              // Fetched before the seek took effect: before the range.
              if (offset < start.get(partition)!) continue;
              const at = Number(message.timestamp);
              if (offset >= end.get(partition)! || at > toMs) {
                open.delete(partition);
                break;
              }
              finding.scanned += 1;
              const key = message.key?.toString('utf8') ?? '';
              const value = message.value?.toString('utf8') ?? '';
              const headers = Object.values(message.headers ?? {}).map((h) => (Array.isArray(h) ? h.join(',') : (h?.toString() ?? ''))).join('\n');
              const has = (text: string) => ids.some((id) => text.includes(id));
              const inKey = has(key);
              const inValue = has(value);
              const inHeaders = has(headers);
              if (inKey || inValue || inHeaders) {
                finding.count += 1;
                if (inKey) finding.inKey += 1;
                if (inValue) finding.inValue += 1;
                if (inHeaders) finding.inHeaders += 1;
                const iso = new Date(at).toISOString();
                if (finding.firstSeen === null || iso < finding.firstSeen) finding.firstSeen = iso;
                if (finding.lastSeen === null || iso > finding.lastSeen) finding.lastSeen = iso;
                try {
                  pending.push({ value: sealedFieldsOf(JSON.parse(value)) });
                } catch {
                  // Not JSON: nothing sealed to check.
                }
              }
              if (offset + 1n >= end.get(partition)!) open.delete(partition);
            }
            scan.progress(finding.scanned, total, `Read ${finding.scanned} of ${total} messages of ${topic}`);
            await heartbeat();
            if (open.size === 0) resolve();
          },
        })
        .then(() => {
          for (const [partition, offset] of start) if (open.has(partition)) consumer!.seek({ topic, partition, offset: offset.toString() });
        })
        .catch(reject);
    });
    for (const { value } of pending) {
      for (const { field, sealed } of value) {
        finding.sealedFields += 1;
        if ((await keys.open(sealed, field)) !== undefined) finding.stillDecrypting += 1;
      }
    }
    return finding;
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** "kept 7 days (delete)", "compacted: the latest message per key stays until a tombstone". */
async function retentionOf(admin: ReturnType<Kafka['admin']>, topic: string): Promise<string> {
  try {
    const described = await admin.describeConfigs({ resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: false });
    const entries = described.resources[0]?.configEntries ?? [];
    const policy = entries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? 'delete';
    const ms = Number(entries.find((e) => e.configName === 'retention.ms')?.configValue ?? NaN);
    const kept = ms < 0 ? 'kept forever' : Number.isFinite(ms) ? `messages deleted ${Math.round(ms / 3_600_000)} h after they were written` : 'retention unknown';
    return policy.includes('compact') ? `compacted (the last message per key stays until a tombstone for that key); ${kept}` : kept;
  } catch {
    return 'retention could not be read';
  }
}
