import type { Admin, Cluster } from 'kafkajs';
import { ChronoError } from '../../../src-shared/errors';
import type { ResetPlanRow, ResetScope, ResetStrategy } from '../../../src-shared/schemas/kafka';
import { committedOffsets, describeGroups, endOffsets, partitionKey } from './cluster';
import { describeConsumerGroup } from './consumer-group-describe';

export interface OffsetResetRequest {
  groupId: string;
  strategy: ResetStrategy;
  scope: ResetScope;
}

export interface ResetOutcome {
  plan: ResetPlanRow[];
  reprocessed: number;
  skipped: number;
  activeMembers: string[];
  note?: string;
}

/** Who is in the group, found without joining it; `unchecked` says why members could not be listed. */
interface Membership {
  activeMembers: string[];
  unchecked?: string;
}

/**
 * The group's live members, asked for without joining the group (a join would rebalance a live
 * group): the classic DescribeGroups for classic groups, ConsumerGroupDescribe for KIP-848
 * "consumer"-protocol groups, which the classic call answers "Dead" with no members.
 */
async function membersOf(admin: Admin, cluster: Cluster, groupId: string): Promise<Membership> {
  const listed = (await admin.listGroups()).groups.find((g) => g.groupId === groupId);
  const classic = (await describeGroups(admin, [{ groupId, protocolType: listed?.protocolType ?? 'consumer' }])).get(groupId)!;
  if (classic.describable) return { activeMembers: classic.members.map((m) => `${m.clientId} (member ${m.memberId} on ${m.host})`) };
  let answer;
  try {
    answer = await describeConsumerGroup(cluster, groupId);
  } catch (err) {
    answer = { kind: 'unknown' as const, reason: `ConsumerGroupDescribe failed: ${(err as Error).message}` };
  }
  if (answer.kind === 'consumer') {
    return { activeMembers: answer.group.members.map((m) => `${m.clientId} (KIP-848 member ${m.memberId} on ${m.host}, epoch ${m.memberEpoch})`) };
  }
  // Neither protocol knows the group: it has no members (committed offsets alone read as a classic "Empty" group).
  if (answer.kind === 'not-consumer') return { activeMembers: [] };
  return { activeMembers: [], unchecked: answer.reason };
}

const uncheckedNote = (reason: string) =>
  `This group's members could not be listed (${reason}). The reset commits the offsets without joining the group, ` +
  'and Kafka refuses that commit while the group has members, so a live group is refused, not disturbed.';

/**
 * Works out, per partition in scope, the committed offset now and the one the
 * strategy gives (kept inside the log: below its start is its start, past its
 * end is its end), with how many messages are read again or passed over.
 */
export async function planReset(admin: Admin, cluster: Cluster, request: OffsetResetRequest): Promise<ResetOutcome> {
  const { groupId, strategy, scope } = request;
  const { activeMembers, unchecked } = await membersOf(admin, cluster, groupId);
  const current = await committedOffsets(admin, groupId);

  const topics = scope.kind === 'all' ? [...new Set([...current.values()].map((c) => c.topic))].sort() : [scope.topic];
  if (!topics.length) throw new ChronoError('invalid_input', `Group "${groupId}" has no committed offsets: choose a topic to reset it on.`);
  const bounds = await endOffsets(admin, topics);
  for (const topic of topics) if (!bounds.get(topic)?.length) throw new ChronoError('not_found', `Topic "${topic}" does not exist on this cluster.`);
  const source = strategy.kind === 'copy' ? await committedOffsets(admin, strategy.fromGroupId) : undefined;
  if (source && source.size === 0)
    throw new ChronoError('invalid_input', `Group "${strategy.kind === 'copy' ? strategy.fromGroupId : ''}" has no committed offsets to copy.`);

  const plan: ResetPlanRow[] = [];
  for (const topic of topics) {
    const partitions = bounds.get(topic)!;
    const chosen = scope.kind === 'partitions' ? scope.partitions : partitions.map((p) => p.partition);
    const missing = chosen.filter((n) => !partitions.some((p) => p.partition === n));
    if (missing.length) throw new ChronoError('invalid_input', `Topic "${topic}" has no partition ${missing.join(', ')} (it has ${partitions.length}).`);
    const byTime = strategy.kind === 'timestamp' ? await admin.fetchTopicOffsetsByTimestamp(topic, Date.parse(strategy.at)) : undefined;
    for (const partition of [...new Set(chosen)].sort((a, b) => a - b)) {
      const { start, end } = partitions.find((p) => p.partition === partition)!;
      const now = current.get(partitionKey(topic, partition))?.committed ?? null;
      let next: number;
      switch (strategy.kind) {
        case 'earliest':
          next = start;
          break;
        case 'latest':
          next = end;
          break;
        case 'timestamp': {
          // ListOffsets answers -1 when no message is that recent: the consumer then starts at the end.
          const found = Number(byTime?.find((o) => o.partition === partition)?.offset ?? -1);
          next = found >= 0 ? found : end;
          break;
        }
        case 'exact':
          next = Number(strategy.offset);
          break;
        case 'shift':
          if (now === null)
            throw new ChronoError(
              'invalid_input',
              `${topic}[${partition}] has no committed offset to shift from; reset it to earliest, latest or a time instead.`,
            );
          next = now + strategy.by;
          break;
        case 'copy': {
          const copied = source!.get(partitionKey(topic, partition))?.committed;
          if (copied === undefined || copied === null)
            throw new ChronoError(
              'invalid_input',
              `Group "${strategy.fromGroupId}" has no committed offset on ${topic}[${partition}] to copy; narrow the scope to the partitions it has.`,
            );
          next = copied;
          break;
        }
      }
      next = Math.min(Math.max(next, start), end);
      plan.push({
        topic,
        partition,
        current: now === null ? null : String(now),
        next: String(next),
        reprocessed: now !== null && next < now ? now - next : 0,
        skipped: now !== null && next > now ? next - now : 0,
      });
    }
  }
  return {
    plan,
    reprocessed: sum(plan, 'reprocessed'),
    skipped: sum(plan, 'skipped'),
    activeMembers,
    ...(unchecked ? { note: uncheckedNote(unchecked) } : {}),
  };
}

/**
 * Commits the plan's offsets, refused while the group has members. The commit is the one Kafka's
 * own tools send (kafka-consumer-groups.sh --reset-offsets): an OffsetCommit to the group's
 * coordinator with no member id and generation -1, which never joins the group. Kafka accepts it
 * only while the group has no members, classic or KIP-848, and leaves the group's type as it was
 * (kafkajs' setOffsets joins as a classic member instead: that rebalances a live KIP-848 group and
 * turns an empty one into a classic group).
 */
export async function applyReset(admin: Admin, cluster: Cluster, groupId: string, outcome: ResetOutcome): Promise<void> {
  if (outcome.activeMembers.length) {
    throw new ChronoError(
      'conflict',
      `Group "${groupId}" has ${outcome.activeMembers.length} active member${outcome.activeMembers.length > 1 ? 's' : ''}: ${outcome.activeMembers.join('; ')}. Stop ${outcome.activeMembers.length > 1 ? 'them' : 'it'} before resetting its offsets.`,
      { activeMembers: outcome.activeMembers },
    );
  }
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const row of outcome.plan) {
    const list = byTopic.get(row.topic) ?? [];
    list.push({ partition: row.partition, offset: row.next });
    byTopic.set(row.topic, list);
  }
  const topics = [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
  try {
    await commitWithoutJoining(cluster, groupId, topics);
  } catch (err) {
    const type = String((err as { type?: unknown }).type ?? '');
    // What Kafka answers a commit without a member while the group has members (UNKNOWN_MEMBER_ID, tested on 3.9 and 4.4).
    if (['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS'].includes(type)) {
      const message = `Kafka refused to move the offsets of "${groupId}" because the group has members (a consumer joined meanwhile). Stop its consumers and try again.`;
      throw new ChronoError('conflict', message, {
        driverMessage: `${type}: ${(err as Error).message}`,
      });
    }
    throw err;
  }
  const now = await committedOffsets(admin, groupId, [...byTopic.keys()]);
  const found = (row: ResetPlanRow) => now.get(partitionKey(row.topic, row.partition))?.committed ?? null;
  const unmoved = outcome.plan.filter((row) => String(found(row)) !== row.next);
  if (unmoved.length) {
    const where = unmoved.map((r) => `${r.topic}[${r.partition}]`).join(', ');
    throw new ChronoError(
      'conflict',
      `Kafka accepted the commit but the offsets of "${groupId}" on ${where} read back different: a consumer most likely committed meanwhile.`,
      {
        unmoved: unmoved.map((r) => ({ topic: r.topic, partition: r.partition, expected: r.next, found: found(r) })),
      },
    );
  }
}

type TopicOffsets = { topic: string; partitions: { partition: number; offset: string }[] }[];
/** kafkajs' names for the errors of a coordinator that moved or is still loading the group. */
const COORDINATOR_MOVED = new Set(['NOT_COORDINATOR_FOR_GROUP', 'GROUP_COORDINATOR_NOT_AVAILABLE', 'GROUP_LOAD_IN_PROGRESS']);

async function commitWithoutJoining(cluster: Cluster, groupId: string, topics: TopicOffsets): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const coordinator = await cluster.findGroupCoordinator({ groupId });
      await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics });
      return;
    } catch (err) {
      // The coordinator moved or is loading the group: find it again, as kafkajs' own clients do.
      if (attempt >= 3 || !COORDINATOR_MOVED.has(String((err as { type?: unknown }).type ?? ''))) throw err;
      await cluster.refreshMetadata();
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

function sum(plan: ResetPlanRow[], field: 'reprocessed' | 'skipped'): number {
  return plan.reduce((total, row) => total + row[field], 0);
}
