import { AssignerProtocol, type Admin, type ConfigResourceTypes } from 'kafkajs';

/** kafkajs' ConfigResourceTypes.TOPIC; the enum is not a named export Node's ESM loader can see in the CommonJS build. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
import type { KafkaMember } from '../../../src-shared/schemas/kafka';

/** A partition's offsets as the broker reports them now. */
export interface PartitionOffsets {
  partition: number;
  start: number;
  end: number;
}

export interface GroupDescription {
  groupId: string;
  protocolType: string;
  state: string;
  describable: boolean;
  note?: string;
  members: KafkaMember[];
}

/** kafkajs speaks the classic group protocol only; KIP-848 groups on Kafka 4 answer DescribeGroups with an error. */
export const UNDESCRIBABLE_NOTE =
  'Members are not shown: kafkajs can only describe classic groups, and this one (likely a KIP-848 "consumer" protocol group) did not answer. Its committed offsets and lag are read all the same.';

export async function describeBrokers(admin: Admin) {
  const cluster = await admin.describeCluster();
  return {
    clusterId: cluster.clusterId,
    controller: cluster.controller ?? null,
    brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, controller: b.nodeId === cluster.controller })),
  };
}

/** End offsets of topics, and which of them the cluster no longer has (deleted). */
export interface TopicEnds {
  ends: Map<string, PartitionOffsets[]>;
  deleted: Set<string>;
}

/**
 * Log start and end of every partition of each topic, one request round
 * (topics side by side, each on its own: one that cannot be read leaves the
 * others be). Topics the cluster does not list are not asked for: kafkajs
 * retries those for seconds, and they are reported as deleted.
 */
export async function topicEnds(admin: Admin, topics: readonly string[]): Promise<TopicEnds> {
  const existing = topics.length ? new Set(await admin.listTopics()) : new Set<string>();
  const deleted = new Set(topics.filter((topic) => !existing.has(topic)));
  const answers = await Promise.all(
    topics.map(async (topic) => {
      if (deleted.has(topic)) return [topic, [] as PartitionOffsets[]] as const;
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return [
          topic,
          offsets.map((o) => ({ partition: o.partition, start: Number(o.low), end: Number(o.high) })).sort((a, b) => a.partition - b.partition),
        ] as const;
      } catch {
        // Deleted between the listing and this request: its partitions show as errors, not a failed round.
        return [topic, [] as PartitionOffsets[]] as const;
      }
    }),
  );
  return { ends: new Map(answers), deleted };
}

/** Log start and end of every partition of each topic; a deleted topic has none. */
export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Map<string, PartitionOffsets[]>> {
  return (await topicEnds(admin, topics)).ends;
}

/** Groups described in one request; groups the classic API cannot describe are listed with a note. */
export async function describeGroups(admin: Admin, groups: readonly { groupId: string; protocolType: string }[]): Promise<Map<string, GroupDescription>> {
  const described = new Map<string, GroupDescription>();
  if (!groups.length) return described;
  const one = (groupIds: string[]) => admin.describeGroups(groupIds).then((r) => r.groups);
  let answers: Awaited<ReturnType<typeof one>>;
  try {
    answers = await one(groups.map((g) => g.groupId));
  } catch {
    // One undescribable group fails the whole batch in kafkajs: ask for each alone.
    answers = (await Promise.all(groups.map((g) => one([g.groupId]).catch(() => [])))).flat();
  }
  for (const answer of answers) {
    const state = String(answer.state ?? '');
    // The classic DescribeGroups answers "Dead" with no members for a KIP-848 group, even with live
    // members: a listed group reported Dead is one this API cannot describe, not an empty one.
    if (!state || state === 'Unknown' || state === 'Dead') continue;
    described.set(answer.groupId, {
      groupId: answer.groupId,
      protocolType: answer.protocolType || 'consumer',
      state,
      describable: true,
      members: answer.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        assignments: decodeAssignment(m.memberAssignment),
      })),
    });
  }
  for (const group of groups) {
    if (!described.has(group.groupId)) {
      described.set(group.groupId, {
        groupId: group.groupId,
        protocolType: group.protocolType || 'consumer',
        state: 'Unknown',
        describable: false,
        note: UNDESCRIBABLE_NOTE,
        members: [],
      });
    }
  }
  return described;
}

function decodeAssignment(buffer: Buffer): KafkaMember['assignments'] {
  if (!buffer?.length) return [];
  try {
    const decoded = AssignerProtocol.MemberAssignment.decode(buffer);
    return Object.entries(decoded?.assignment ?? {}).map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }));
  } catch {
    return [];
  }
}

/** Committed offsets of a group per "topic:partition" (null: never committed). */
export async function committedOffsets(
  admin: Admin,
  groupId: string,
  topics?: string[],
): Promise<Map<string, { topic: string; partition: number; committed: number | null }>> {
  const answer = await admin.fetchOffsets({ groupId, ...(topics ? { topics } : {}) });
  const map = new Map<string, { topic: string; partition: number; committed: number | null }>();
  for (const topic of answer) {
    for (const p of topic.partitions) {
      const offset = Number(p.offset);
      map.set(partitionKey(topic.topic, p.partition), { topic: topic.topic, partition: p.partition, committed: offset >= 0 ? offset : null });
    }
  }
  return map;
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** Topics with partitions, replication and retention; size is not exposed by kafkajs (no DescribeLogDirs). */
export async function describeTopics(admin: Admin) {
  const names = (await admin.listTopics()).sort();
  const [metadata, offsets, retention] = await Promise.all([
    names.length ? admin.fetchTopicMetadata({ topics: names }) : Promise.resolve({ topics: [] }),
    endOffsets(admin, names),
    retentionOf(admin, names),
  ]);
  return metadata.topics
    .map((topic) => {
      const partitions = offsets.get(topic.name) ?? [];
      return {
        name: topic.name,
        internal: topic.name.startsWith('__'),
        partitions: topic.partitions.length,
        replicationFactor: Math.max(0, ...topic.partitions.map((p) => p.replicas.length)),
        ...(retention.has(topic.name) ? { retentionMs: retention.get(topic.name)! } : {}),
        messages: partitions.reduce((sum, p) => sum + (p.end - p.start), 0),
        endOffsets: partitions.map((p) => ({ partition: p.partition, start: String(p.start), end: String(p.end) })),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

async function retentionOf(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (!topics.length) return found;
  try {
    const answer = await admin.describeConfigs({
      includeSynonyms: false,
      resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: ['retention.ms'] })),
    });
    for (const resource of answer.resources) {
      const value = resource.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
      if (value !== undefined && value !== null && value !== '') found.set(resource.resourceName, Number(value));
    }
  } catch {
    // Retention is informative; a broker that refuses DescribeConfigs (ACLs) leaves it blank.
  }
  return found;
}
