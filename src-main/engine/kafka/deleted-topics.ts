import type { GroupDescription } from './cluster';

type Committed = Map<string, { topic: string; partition: number; committed: number | null }>;

/**
 * The topics each group was seen committing on, so a group whose topic was
 * deleted says so: Kafka drops a deleted topic's committed offsets from every
 * group within moments, after which nothing on the cluster names it.
 */
export class GroupTopics {
  private readonly seen = new Map<string, Set<string>>();

  /** The topics to look up for a group: those it commits on now and those it was seen on. */
  topicsOf(connectionId: string, groupId: string, offsets: Committed): string[] {
    return [...new Set([...(this.seen.get(key(connectionId, groupId)) ?? []), ...[...offsets.values()].map((o) => o.topic)])];
  }

  /**
   * Splits a group's committed offsets: those on topics the cluster still has,
   * and the deleted topics it committed on (now or before). A topic that exists
   * again, or that the group no longer commits on, is forgotten.
   */
  split(connectionId: string, groupId: string, offsets: Committed, deleted: ReadonlySet<string>): { live: Committed; deletedTopics: string[] } {
    const id = key(connectionId, groupId);
    const before = this.seen.get(id) ?? new Set<string>();
    const live: Committed = new Map();
    const now = new Set<string>();
    for (const [k, entry] of offsets) {
      now.add(entry.topic);
      if (!deleted.has(entry.topic)) live.set(k, entry);
    }
    for (const topic of before) if (deleted.has(topic)) now.add(topic);
    if (now.size) this.seen.set(id, now);
    else this.seen.delete(id);
    return { live, deletedTopics: [...now].filter((topic) => deleted.has(topic)).sort() };
  }

  /** Forgets the groups of a connection that are no longer listed. */
  retain(connectionId: string, groupIds: Iterable<string>): void {
    const kept = new Set([...groupIds].map((g) => key(connectionId, g)));
    const prefix = key(connectionId, '');
    for (const id of [...this.seen.keys()]) if (id.startsWith(prefix) && !kept.has(id)) this.seen.delete(id);
  }
}

/** The group's description with a note naming its deleted topics (after any note it has). */
export function withDeletedTopics(group: GroupDescription, deletedTopics: readonly string[]): GroupDescription {
  if (!deletedTopics.length) return group;
  const names = deletedTopics.map((t) => `"${t}"`).join(', ');
  const note =
    deletedTopics.length === 1
      ? `Topic ${names} was deleted: the group's offsets on it are gone with it, and its lag is shown for the topics that remain.`
      : `Topics ${names} were deleted: the group's offsets on them are gone with them, and its lag is shown for the topics that remain.`;
  return { ...group, note: group.note ? `${group.note} ${note}` : note };
}

function key(connectionId: string, groupId: string): string {
  return `${connectionId}\u0000${groupId}`;
}
