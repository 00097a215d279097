import type { Admin } from 'kafkajs';

/**
 * kafkajs' Admin keeps every topic it ever looked up (its Cluster's
 * `targetTopics`) and asks the broker for all of them on each metadata
 * refresh; once one of them is deleted, every refresh fails with
 * UNKNOWN_TOPIC_OR_PARTITION, for every later call, until the client is
 * replaced. Only deleteTopics drops a topic from that set, and the set is not
 * reachable from outside. So the shared admin is replaced when a call fails
 * that way, and a read is asked again, once, of the fresh one.
 */

/** Calls that only read: asking them again cannot do anything twice. */
const READS = new Set<string>([
  'listTopics',
  'fetchTopicMetadata',
  'describeCluster',
  'fetchOffsets',
  'fetchTopicOffsets',
  'fetchTopicOffsetsByTimestamp',
  'describeConfigs',
  'listGroups',
  'describeGroups',
  'describeAcls',
  'listPartitionReassignments',
]);

/** Calls that change the cluster: they replace a poisoned client too, but are not repeated (the user asks again). */
const WRITES = new Set<string>([
  'createTopics',
  'deleteTopics',
  'createPartitions',
  'setOffsets',
  'resetOffsets',
  'alterConfigs',
  'deleteGroups',
  'deleteAcls',
  'createAcls',
  'deleteTopicRecords',
  'alterPartitionReassignments',
]);

export interface HealingSource {
  /** The connection's shared admin as held now (opened on demand). */
  current(): Promise<Admin>;
  /** Drops `failed` if it is still the shared one, so the next `current()` opens a fresh client. */
  retire(failed: Admin): Promise<void>;
}

/** True for kafkajs' UNKNOWN_TOPIC_OR_PARTITION (by type, or by its fixed message), also when wrapped by its retrier. */
export function isUnknownTopic(err: unknown): boolean {
  for (let e = err as { type?: unknown; message?: unknown; originalError?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth += 1) {
    if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || (typeof e.message === 'string' && e.message.includes('does not host this topic-partition'))) return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}

/** The topics a read names, so one asked of a topic that is really gone fails at once instead of twice. */
function topicsNamed(method: string, args: unknown[]): string[] {
  const [first] = args as [unknown];
  if (method === 'fetchTopicOffsets' || method === 'fetchTopicOffsetsByTimestamp') return typeof first === 'string' ? [first] : [];
  if (method === 'fetchOffsets' || method === 'fetchTopicMetadata') return ((first as { topics?: unknown } | undefined)?.topics as string[] | undefined) ?? [];
  return [];
}

/** `admin`, whose calls replace the shared client when it holds a deleted topic (see above). */
export function healingAdmin(admin: Admin, source: HealingSource): Admin {
  let target = admin;
  const call = async (method: string, args: unknown[]): Promise<unknown> => {
    const used = target;
    try {
      return await (used[method as keyof Admin] as (...a: unknown[]) => Promise<unknown>).apply(used, args);
    } catch (err) {
      if (!isUnknownTopic(err)) throw err;
      await source.retire(used);
      if (!READS.has(method)) throw err;
      const fresh = await source.current();
      target = fresh;
      const named = topicsNamed(method, args);
      if (named.length) {
        const existing = new Set(await fresh.listTopics());
        if (!named.every((topic) => existing.has(topic))) throw err;
      }
      return (fresh[method as keyof Admin] as (...a: unknown[]) => Promise<unknown>).apply(fresh, args);
    }
  };
  return new Proxy(admin, {
    get(_, property) {
      const value = (target as unknown as Record<PropertyKey, unknown>)[property];
      if (typeof property !== 'string' || typeof value !== 'function') return value;
      if (!READS.has(property) && !WRITES.has(property)) return (value as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => call(property, args);
    },
  });
}
