/**
 * A data subject in Kafka topics: every message of a time range whose key, value
 * or headers hold one of the subject's ids, counted with first and last seen,
 * and how many of the copies' sealed fields still decrypt. Reads each partition
 * from the offset of the range's start up to the high watermark seen when the
 * scan began, with a throwaway consumer group deleted afterwards.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { IHeaders, Kafka } from 'kafkajs';
import type { Inventory } from '../../../src-shared/schemas/compliance';
import { sealedFieldsOf, type KeyCache, type ScanProgress } from './pg-subject-data';

/** kafkajs' ConfigResourceTypes.TOPIC: its enum is not a named export Node's ESM loader can see in the CommonJS build. */
const TOPIC_RESOURCE = 2;
/** How long the broker may hold a fetch with no new data. */
const SCAN_FETCH_WAIT_MS = 50;

/** A subject id as text and as its UTF-8 bytes: messages are matched on their raw bytes, without decoding each one. */
export interface SubjectNeedle {
  text: string;
  bytes: Buffer;
}

export function subjectNeedles(ids: string[]): SubjectNeedle[] {
  return ids.filter((id) => id.length > 0).map((text) => ({ text, bytes: Buffer.from(text, 'utf8') }));
}

/** The bytes (a key or value) hold one of the ids' UTF-8 bytes: the answer decoding them and searching the text gives, without the decoding. */
export function bytesName(bytes: Buffer | null | undefined, needles: SubjectNeedle[]): boolean {
  if (!bytes || bytes.length === 0) return false;
  for (const needle of needles) if (bytes.includes(needle.bytes)) return true;
  return false;
}

/** Some header value (a Buffer, a string, or a list of them) holds one of the ids. */
export function headersName(headers: IHeaders | undefined, needles: SubjectNeedle[]): boolean {
  if (!headers) return false;
  for (const name in headers) {
    const value = headers[name];
    for (const part of Array.isArray(value) ? value : [value]) {
      if (typeof part === 'string' ? needles.some((n) => part.includes(n.text)) : bytesName(part, needles)) return true;
    }
  }
  return false;
}

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
  /** How long the topic keeps messages, in words (retention, compaction), with the date retention removes the newest copy. */
  retention: string;
  policy: TopicPolicy;
  /** Newest matching message (not a tombstone), epoch ms. */
  newestAt: number | null;
  /** Matching messages with a null value (tombstones): not copies of the data, not counted in `count`. */
  tombstones: number;
  /** Each distinct key naming the subject, per partition it was found in. */
  keyed: KeyedCopies[];
}

export interface TopicPolicy {
  compact: boolean;
  /** Retention deletes old segments (cleanup.policy has `delete`). */
  delete: boolean;
  /** -1: kept forever; null: not readable. */
  retentionMs: number | null;
  segmentMs: number | null;
}

/** The messages of one partition under one key that names the subject. */
export interface KeyedCopies {
  partition: number;
  key: Buffer;
  keySha256: string;
  /** Matching messages with a value under this key. */
  messages: number;
  /** The newest message of this key in the partition (within the scan) is a tombstone. */
  tombstoned: boolean;
}

export async function scanTopics(kafka: Kafka, scope: TopicScope, ids: string[], scan: ScanProgress, keys: KeyCache): Promise<TopicFinding[]> {
  const found: TopicFinding[] = [];
  for (const topic of scope.topics) found.push(await scanTopic(kafka, topic, scope, ids, scan, keys));
  return found;
}

export function topicLocation(finding: TopicFinding): Inventory['locations'][number] {
  const where = [
    finding.inKey && `${finding.inKey} by key`,
    finding.inValue && `${finding.inValue} in the value`,
    finding.inHeaders && `${finding.inHeaders} in headers`,
  ]
    .filter(Boolean)
    .join(', ');
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
  const finding: TopicFinding = {
    topic,
    scanned: 0,
    count: 0,
    firstSeen: null,
    lastSeen: null,
    inKey: 0,
    inValue: 0,
    inHeaders: 0,
    sealedFields: 0,
    stillDecrypting: 0,
    retention: '',
    policy: { compact: false, delete: true, retentionMs: null, segmentMs: null },
    newestAt: null,
    tombstones: 0,
    keyed: [],
  };
  const keyed = new Map<string, KeyedCopies>();
  const needles = subjectNeedles(ids);
  const admin = kafka.admin();
  await admin.connect();
  const groupId = `chronoscope-compliance-${randomUUID()}`;
  let consumer: ReturnType<Kafka['consumer']> | undefined;
  try {
    const highs = await admin.fetchTopicOffsets(topic);
    const fromMs = scope.from ? Date.parse(scope.from) : undefined;
    const toMs = scope.to ? Date.parse(scope.to) : Number.POSITIVE_INFINITY;
    const starts =
      fromMs !== undefined ? await admin.fetchTopicOffsetsByTimestamp(topic, fromMs) : highs.map((h) => ({ partition: h.partition, offset: h.low }));
    finding.policy = await policyOf(admin, topic);
    const end = new Map(highs.map((h) => [h.partition, BigInt(h.high)]));
    const start = new Map(starts.map((s) => [s.partition, BigInt(s.offset === '-1' ? (end.get(s.partition) ?? 0n).toString() : s.offset)]));
    const open = new Set([...end.keys()].filter((p) => (start.get(p) ?? 0n) < end.get(p)!));
    const total = Number([...open].reduce((n, p) => n + (end.get(p)! - start.get(p)!), 0n));
    if (open.size === 0) {
      finding.retention = retentionWords(finding.policy, null);
      return finding;
    }

    // The scan stops at the high watermarks it began with: a short broker wait, since disconnecting waits for the fetch in flight (~200 ms at the end with
    // 200).
    consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: SCAN_FETCH_WAIT_MS });
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
            // Offsets as numbers in the loop (exact below 2^53, far beyond any partition): no BigInt per message.
            const from = Number(start.get(partition)!);
            const until = Number(end.get(partition)!);
            for (const message of batch.messages) {
              const offset = Number(message.offset);
              // Fetched before the seek took effect: before the range.
              if (offset < from) continue;
              const at = Number(message.timestamp);
              if (offset >= until || at > toMs) {
                open.delete(partition);
                break;
              }
              finding.scanned += 1;
              const tombstone = message.value === null;
              const inKey = bytesName(message.key, needles);
              const inValue = bytesName(message.value, needles);
              const inHeaders = headersName(message.headers, needles);
              if (inKey && message.key) {
                const id = `${partition}:${message.key.toString('hex')}`;
                let copies = keyed.get(id);
                if (!copies)
                  keyed.set(id, (copies = { partition, key: Buffer.from(message.key), keySha256: sha256Hex(message.key), messages: 0, tombstoned: false }));
                // Messages of a partition arrive in offset order: the last one seen is the key's newest.
                copies.tombstoned = tombstone;
                if (!tombstone) copies.messages += 1;
              }
              if (tombstone && (inKey || inHeaders)) {
                finding.tombstones += 1;
              } else if (inKey || inValue || inHeaders) {
                finding.count += 1;
                if (finding.newestAt === null || at > finding.newestAt) finding.newestAt = at;
                if (inKey) finding.inKey += 1;
                if (inValue) finding.inValue += 1;
                if (inHeaders) finding.inHeaders += 1;
                const iso = new Date(at).toISOString();
                if (finding.firstSeen === null || iso < finding.firstSeen) finding.firstSeen = iso;
                if (finding.lastSeen === null || iso > finding.lastSeen) finding.lastSeen = iso;
                try {
                  // Decoded only here: a message that names the subject.
                  pending.push({ value: sealedFieldsOf(JSON.parse(message.value?.toString('utf8') ?? '')) });
                } catch {
                  // Not JSON: nothing sealed to check.
                }
              }
              if (offset + 1 >= until) open.delete(partition);
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
    finding.keyed = [...keyed.values()].sort((a, b) => a.partition - b.partition || a.keySha256.localeCompare(b.keySha256));
    finding.retention = retentionWords(finding.policy, finding.newestAt);
    return finding;
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/** The topic's cleanup policy, retention and segment roll time (describeConfigs). */
export async function policyOf(admin: ReturnType<Kafka['admin']>, topic: string): Promise<TopicPolicy> {
  try {
    const described = await admin.describeConfigs({
      resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: ['retention.ms', 'cleanup.policy', 'segment.ms'] }],
      includeSynonyms: false,
    });
    const entries = described.resources[0]?.configEntries ?? [];
    const number = (name: string) => {
      const value = Number(entries.find((e) => e.configName === name)?.configValue ?? NaN);
      return Number.isFinite(value) ? value : null;
    };
    const policy = entries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? 'delete';
    return { compact: policy.includes('compact'), delete: policy.includes('delete'), retentionMs: number('retention.ms'), segmentMs: number('segment.ms') };
  } catch {
    return { compact: false, delete: true, retentionMs: null, segmentMs: null };
  }
}

/**
 * When retention removes the newest copy: not before its time plus retention.ms, and
 * at the latest once its log segment has rolled (segment.ms) and aged past retention.
 */
export function removalDates(policy: TopicPolicy, newestAt: number | null): { from: string; by: string | null } | 'never' | null {
  if (!policy.delete || (policy.retentionMs !== null && policy.retentionMs < 0)) return 'never';
  if (policy.retentionMs === null || newestAt === null) return null;
  const from = newestAt + policy.retentionMs;
  return { from: new Date(from).toISOString(), by: policy.segmentMs !== null ? new Date(from + policy.segmentMs).toISOString() : null };
}

/** "compacted (…)"; "retention removes the newest copy from <date>, at the latest by <date>"; "kept forever: retention never removes them". */
export function retentionWords(policy: TopicPolicy, newestAt: number | null): string {
  const dates = removalDates(policy, newestAt);
  const hours =
    policy.retentionMs !== null && policy.retentionMs >= 0 ? `messages deleted ${Math.round(policy.retentionMs / 3_600_000)} h after they were written` : null;
  let kept: string;
  if (!policy.delete) kept = 'retention never removes them (cleanup.policy has no "delete")';
  else if (policy.retentionMs === null) kept = 'retention could not be read';
  else if (dates === 'never') kept = 'kept forever (retention.ms -1): retention never removes them';
  else if (dates === null) kept = hours!;
  else kept = `${hours}: retention removes the newest copy from ${dates.from}${dates.by ? `, at the latest by ${dates.by} (once its segment has rolled)` : ''}`;
  return policy.compact ? `compacted (the last message per key stays until a tombstone for that key); ${kept}` : kept;
}

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
