import type { Admin } from 'kafkajs';
import { ChronoError } from '../../../src-shared/errors';
import type { ResetPlanRow, ResetScope, ResetStrategy } from '../../../src-shared/schemas/kafka';
import { committedOffsets, describeGroups, endOffsets, partitionKey } from './cluster';

export interface ResetRequest {
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

const UNCHECKED_MEMBERS =
  'This group could not be described (likely a KIP-848 "consumer" protocol group): its members cannot be checked. Kafka refuses the move while consumers are connected; the offsets are read back after the reset, so a refused move is reported, never passed off as done.';

/**
 * Works out, per partition in scope, the committed offset now and the one the
 * strategy gives (kept inside the log: below its start is its start, past its
 * end is its end), with how many messages are read again or passed over.
 */
export async function planReset(admin: Admin, request: ResetRequest): Promise<ResetOutcome> {
  const { groupId, strategy, scope } = request;
  const listed = (await admin.listGroups()).groups.find((g) => g.groupId === groupId);
  const group = (await describeGroups(admin, [{ groupId, protocolType: listed?.protocolType ?? 'consumer' }])).get(groupId)!;
  const activeMembers = group.members.map((m) => `${m.clientId} (member ${m.memberId} on ${m.host})`);
  const current = await committedOffsets(admin, groupId);

  const topics = scope.kind === 'all' ? [...new Set([...current.values()].map((c) => c.topic))].sort() : [scope.topic];
  if (!topics.length) throw new ChronoError('invalid_input', `Group "${groupId}" has no committed offsets: choose a topic to reset it on.`);
  const bounds = await endOffsets(admin, topics);
  for (const topic of topics) if (!bounds.get(topic)?.length) throw new ChronoError('not_found', `Topic "${topic}" does not exist on this cluster.`);
  const source = strategy.kind === 'copy' ? await committedOffsets(admin, strategy.fromGroupId) : undefined;
  if (source && source.size === 0) throw new ChronoError('invalid_input', `Group "${strategy.kind === 'copy' ? strategy.fromGroupId : ''}" has no committed offsets to copy.`);

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
          if (now === null) throw new ChronoError('invalid_input', `${topic}[${partition}] has no committed offset to shift from; reset it to earliest, latest or a time instead.`);
          next = now + strategy.by;
          break;
        case 'copy': {
          const copied = source!.get(partitionKey(topic, partition))?.committed;
          if (copied === undefined || copied === null) throw new ChronoError('invalid_input', `Group "${strategy.fromGroupId}" has no committed offset on ${topic}[${partition}] to copy; narrow the scope to the partitions it has.`);
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
  return { plan, reprocessed: sum(plan, 'reprocessed'), skipped: sum(plan, 'skipped'), activeMembers, ...(group.describable ? {} : { note: UNCHECKED_MEMBERS }) };
}

/** Commits the plan's offsets, refused while the group has members (Kafka would refuse it too, less clearly). */
export async function applyReset(admin: Admin, groupId: string, outcome: ResetOutcome): Promise<void> {
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
  try {
    for (const [topic, partitions] of byTopic) await admin.setOffsets({ groupId, topic, partitions });
  } catch (err) {
    const text = String((err as Error).message ?? err);
    if (/rebalance|member|coordinator|not empty|running instances/i.test(text)) {
      throw new ChronoError('conflict', `Kafka refused to move the offsets of "${groupId}" because the group is not empty (a consumer joined meanwhile). Stop its consumers and try again.`, { driverMessage: text });
    }
    throw err;
  }
  // kafkajs moves offsets by joining the group as a classic member; a group that refuses it (a
  // KIP-848 group with live members) leaves the offsets where they were without any error.
  const now = await committedOffsets(admin, groupId, [...byTopic.keys()]);
  const unmoved = outcome.plan.filter((row) => String(now.get(partitionKey(row.topic, row.partition))?.committed ?? '') !== row.next);
  if (unmoved.length) {
    throw new ChronoError(
      'conflict',
      `Kafka did not move the offsets of "${groupId}" on ${unmoved.map((r) => `${r.topic}[${r.partition}]`).join(', ')}: the group most likely still has consumers (KIP-848 groups cannot be checked from here). Stop them and try again, or reset with the Kafka 4 tools (kafka-consumer-groups.sh --reset-offsets).`,
      { unmoved: unmoved.map((r) => ({ topic: r.topic, partition: r.partition, expected: r.next, found: now.get(partitionKey(r.topic, r.partition))?.committed ?? null })) },
    );
  }
}

function sum(plan: ResetPlanRow[], field: 'reprocessed' | 'skipped'): number {
  return plan.reduce((total, row) => total + row[field], 0);
}
