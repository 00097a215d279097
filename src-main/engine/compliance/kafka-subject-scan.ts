/**
 * A data subject in Kafka topics: every message of a time range whose key, value
 * or headers hold one of the subject's ids, counted with first and last seen
 * (topic-read.ts, on a worker thread where one can start), and how many of the
 * copies' sealed fields still decrypt with the subject's keys (here, on the
 * caller's thread: the keys stay with it).
 */
import type { Kafka } from 'kafkajs';
import type { Inventory } from '../../../src-shared/schemas/compliance';
import type { KeyCache, ScanProgress } from './pg-subject-data';
import { readTopicOffThread } from './topic-read-thread';
import type { TopicFinding, TopicPolicy, TopicScope } from './topic-read';

export { bytesName, headersName, policyOf, subjectNeedles } from './topic-read';
export type { KeyedCopies, SubjectNeedle, TopicFinding, TopicPolicy, TopicScope } from './topic-read';

export async function scanTopics(kafka: Kafka, scope: TopicScope, ids: string[], scan: ScanProgress, keys: KeyCache): Promise<TopicFinding[]> {
  const found: TopicFinding[] = [];
  for (const topic of scope.topics) {
    const { finding, sealed } = await readTopicOffThread(kafka, topic, scope, ids, scan);
    for (const { field, sealed: value } of sealed) {
      finding.sealedFields += 1;
      if ((await keys.open(value, field)) !== undefined) finding.stillDecrypting += 1;
    }
    finding.retention = retentionWords(finding.policy, finding.newestAt);
    found.push(finding);
  }
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
