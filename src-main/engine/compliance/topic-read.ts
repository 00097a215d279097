/**
 * The reading part of the compliance topic scan (kafka-subject-scan.ts): every message of a
 * time range whose key, value or headers hold one of the subject's ids, counted with first
 * and last seen. Reads each partition from the offset of the range's start up to the high
 * watermark seen when the scan began, with Fetches of its own to the partitions' leaders
 * (no consumer group): record batches holding none of the ids' bytes are counted from their
 * headers, and only the others are opened record by record (raw-fetch.ts). Aborted
 * transactions' messages are read too: their bytes are in the log. Runs on a worker thread
 * (topic-scan-worker.ts) or, where none can start, on the caller's.
 */
import { createHash } from 'node:crypto';
import type { Cluster, IHeaders, Kafka } from 'kafkajs';
import type { SealedField } from '../personal-data/sealed-fields';
import { clusterOf } from '../kafka/cluster-of';
import { batchRecords, partitionError, rawFetch, recordBatches, type RawPartition, type RawRecord } from '../kafka/raw-fetch';
import { sealedFieldsOf, type ScanProgress } from './pg-subject-data';

/** kafkajs' ConfigResourceTypes.TOPIC: its enum is not a named export Node's ESM loader can see in the CommonJS build. */
const TOPIC_RESOURCE = 2;
/** How long the broker may hold a fetch with no new data (the scan asks only for data below the high watermark: it never waits). */
const SCAN_FETCH_WAIT_MS = 50;
/** Bytes asked per partition and Fetch; raised for a partition whose next record batch is larger, up to the second figure. */
const SCAN_PARTITION_BYTES = 2 * 1024 * 1024;
const SCAN_MAX_PARTITION_BYTES = 128 * 1024 * 1024;
/** Fetches in flight per broker, each for its own share of the broker's partitions. */
const SCAN_FETCHES_IN_FLIGHT = 3;
const OFFSET_OUT_OF_RANGE = 1;

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

/** A sealed field found in a matching message, with the field name that binds its ciphertext. */
export interface SealedFieldCopy {
  field: string;
  sealed: SealedField;
}

export interface TopicRead {
  finding: TopicFinding;
  sealed: SealedFieldCopy[];
}

/**
 * Reads the topic's range for the ids (see the module's comment): the finding without the
 * sealed-field checks and the retention words, and the sealed fields of the matching
 * messages, which the caller opens with the subject's keys.
 */
export async function readTopic(kafka: Kafka, topic: string, scope: TopicScope, ids: string[], scan: ScanProgress): Promise<TopicRead> {
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
  let cluster: Cluster | undefined;
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
    if (open.size === 0) return { finding, sealed: [] };

    const sealed: SealedFieldCopy[] = [];
    const visit = (partition: number, record: RawRecord) => {
      finding.scanned += 1;
      const at = record.timestamp;
      const tombstone = record.value === null;
      const inKey = bytesName(record.key, needles);
      const inValue = bytesName(record.value, needles);
      const inHeaders = record.headerValues.some((value) => bytesName(value, needles));
      if (inKey && record.key) {
        const id = `${partition}:${record.key.toString('hex')}`;
        let copies = keyed.get(id);
        if (!copies) keyed.set(id, (copies = { partition, key: Buffer.from(record.key), keySha256: sha256Hex(record.key), messages: 0, tombstoned: false }));
        // Records of a partition are read in offset order: the last one seen is the key's newest.
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
          sealed.push(...sealedFieldsOf(JSON.parse(record.value?.toString('utf8') ?? '')));
        } catch {
          // Not JSON: nothing sealed to check.
        }
      }
    };
    const partitions = [...open].map((partition) => ({
      partition,
      next: Number(start.get(partition)!),
      until: Number(end.get(partition)!),
      maxBytes: SCAN_PARTITION_BYTES,
    }));
    /** Reads one answer of a partition's record batches: batches without any id's bytes are counted by their header, the others opened record by record. */
    const take = async (state: (typeof partitions)[number], answer: RawPartition) => {
      if (answer.errorCode === OFFSET_OUT_OF_RANGE && answer.logStartOffset > state.next) {
        // Retention removed the start of the range since the scan began: those messages are gone.
        state.next = answer.logStartOffset;
        return;
      }
      if (answer.errorCode !== 0) throw partitionError(answer.errorCode);
      const before = state.next;
      for (const batch of await recordBatches(answer.records)) {
        if (batch.lastOffset < state.next) continue;
        if (batch.control) {
          state.next = batch.lastOffset + 1;
        } else if (
          !batch.legacy &&
          !batch.compressed &&
          batch.baseOffset >= state.next &&
          batch.lastOffset < state.until &&
          batch.maxTimestamp <= toMs &&
          !needles.some((n) => batch.bytes.includes(n.bytes))
        ) {
          finding.scanned += batch.recordCount;
          state.next = batch.lastOffset + 1;
        } else {
          for (const record of await batchRecords(batch)) {
            if (record.offset < state.next) continue;
            if (record.offset >= state.until || record.timestamp > toMs) {
              state.until = state.next;
              break;
            }
            visit(state.partition, record);
            state.next = record.offset + 1;
          }
          if (state.next < state.until) state.next = batch.lastOffset + 1;
        }
        if (state.next >= state.until) break;
      }
      if (state.next === before) {
        // Nothing past the offset: the log ends there (the broker's high watermark), or its next batch is larger than asked for.
        if (answer.highWatermark <= state.next) state.until = state.next;
        else if (state.maxBytes < SCAN_MAX_PARTITION_BYTES) state.maxBytes *= 4;
        else
          throw new Error(
            `Partition ${state.partition} of ${topic} holds a record batch larger than ${SCAN_MAX_PARTITION_BYTES} bytes at offset ${state.next}.`,
          );
      }
    };

    cluster = clusterOf(kafka);
    await cluster.connect();
    await cluster.addTargetTopic(topic);
    const leaders = cluster.findLeaderForPartitions(
      topic,
      partitions.map((p) => p.partition),
    );
    const stopped = () => Object.assign(new Error('The scan was stopped.'), { name: 'AbortError' });
    await Promise.all(
      Object.entries(leaders).map(async ([nodeId, led]) => {
        const broker = await cluster!.findBroker({ nodeId });
        const mine = partitions.filter((p) => led.includes(p.partition));
        /** One Fetch for a group of partitions; each partition's answer read as it comes. */
        const step = async (group: typeof partitions) => {
          const asked = group.filter((p) => p.next < p.until);
          if (asked.length === 0) return false;
          if (scan.signal.aborted) throw stopped();
          const answers = await rawFetch(broker, {
            topic,
            partitions: asked.map((p) => ({ partition: p.partition, fetchOffset: p.next, maxBytes: p.maxBytes })),
            maxWaitTime: SCAN_FETCH_WAIT_MS,
            maxBytes: asked.reduce((n, p) => n + p.maxBytes, 0),
          });
          for (const answer of answers) {
            const state = asked.find((p) => p.partition === answer.partition);
            if (state) await take(state, answer);
          }
          scan.progress(finding.scanned, total, `Read ${finding.scanned} of ${total} messages of ${topic}`);
          return true;
        };
        // Several Fetches in flight, a group of partitions each: the broker reads the next answer while this one is scanned. The first Fetch goes alone: it
        // opens the broker's fetch connection, which concurrent first requests would each open.
        const groups = Array.from({ length: Math.min(SCAN_FETCHES_IN_FLIGHT, mine.length) }, (_, g) =>
          mine.filter((_p, i) => i % SCAN_FETCHES_IN_FLIGHT === g),
        );
        await step(groups[0]!);
        await Promise.all(
          groups.map(async (group) => {
            while (await step(group));
          }),
        );
      }),
    );
    if (scan.signal.aborted) throw stopped();
    finding.keyed = [...keyed.values()].sort((a, b) => a.partition - b.partition || a.keySha256.localeCompare(b.keySha256));
    return { finding, sealed };
  } finally {
    await cluster?.disconnect().catch(() => undefined);
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

function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
