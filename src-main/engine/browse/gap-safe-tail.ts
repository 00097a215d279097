import type { FeedPage, ReadFeedOptions, StoredEventView, TransactionWatch } from '../../stores/event-store';
import { sleepUnlessAborted } from '../util/sleep';

export interface TailFilters {
  eventTypes?: string[];
  category?: string;
  streamId?: string;
  correlationId?: string;
  causationId?: string;
}

export interface TailOptions {
  /** Start after this position; the head at start when absent. */
  afterPosition?: string;
  filters: TailFilters;
  pollMs: number;
  /**
   * Where the store cannot report its transactions (no `horizon`): how long a hole in
   * the positions may stay open before it is taken as a rolled-back insert.
   */
  gapTimeoutMs: number;
  pageSize?: number;
}

/** How the tail decides that a hole in the positions will never be filled. */
export type HoleRule = { rule: 'visibility' } | { rule: 'timeout'; afterMs: number };

export interface TailDeps {
  readFeed(options: ReadFeedOptions): Promise<FeedPage>;
  headPosition(): Promise<string | null>;
  /** May be async (personal data opened before the batch leaves); the tail waits for it. */
  emit(events: StoredEventView[], position: string): void | Promise<void>;
  signal: AbortSignal;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * The store's append notifications (LISTEN/NOTIFY). With them the tail reads as
   * soon as something is appended, and polls only as a safety net (a missed
   * notification, a hole that closes by rollback, which notifies nothing).
   */
  appends?: { wait(ms: number, signal: AbortSignal): Promise<void> };
  /**
   * Watches the store's transactions. With it a hole is passed once every transaction
   * that could fill it when it was first seen has ended, however long that takes;
   * without it (or when it returns null) after `gapTimeoutMs`.
   */
  watchTransactions?: () => Promise<TransactionWatch | null>;
}

/** The rule a tail with these deps applies, as the UI reports it. */
export function holeRule(options: Pick<TailOptions, 'gapTimeoutMs'>, deps: Pick<TailDeps, 'watchTransactions'>): HoleRule {
  return deps.watchTransactions ? { rule: 'visibility' } : { rule: 'timeout', afterMs: options.gapTimeoutMs };
}

/** How long the tail sleeps with notifications when nothing is pending: they wake it. */
export const NOTIFIED_IDLE_POLL_MS = 10_000;

/** Positions below `below` that were missing when first seen, and what was running then. */
interface OpenHole {
  below: bigint;
  since: number;
  /** The transactions that could fill it (null: decided by the timeout). */
  watch: TransactionWatch | null;
}

/**
 * Follows the global feed without skipping late commits. Sequences hand out
 * positions before commit, so a row can appear later with a lower position than
 * rows already seen. The tail therefore reads unfiltered positions and only
 * advances across a hole once the hole is filled or can no longer be filled.
 *
 * Where the store reports its transactions, a hole is final once every transaction
 * that was in flight when it was first seen has ended: the watch is taken just after
 * the read that showed the hole, so it covers every transaction holding a missing
 * number, and once they have all ended, a read that still shows the hole shows a
 * rollback. So a transaction held open for minutes is waited for, and a rollback is
 * passed as soon as it has ended. Elsewhere a hole is taken as a rollback once it has
 * stayed open for `gapTimeoutMs`, as Marten's daemon does.
 * Filters are applied to what it emits, never to how far it advances.
 */
export async function tailFeed(options: TailOptions, deps: TailDeps): Promise<string> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? sleepUnlessAborted;
  const pageSize = options.pageSize ?? 500;
  let safe = BigInt(options.afterPosition ?? (await deps.headPosition()) ?? '0');
  await deps.emit([], safe.toString()); // says where the tail starts, before anything arrives
  let hole: OpenHole | undefined;

  const settled = (open: OpenHole): Promise<boolean> | boolean => (open.watch ? open.watch.ended() : now() - open.since >= options.gapTimeoutMs);

  while (!deps.signal.aborted) {
    // Decided before the read, so the read sees whatever the transactions it waited for committed.
    const final = hole !== undefined && (await settled(hole));
    const page = await deps.readFeed({ afterPosition: safe.toString(), limit: pageSize });
    const ready: StoredEventView[] = [];
    let expected = safe + 1n;
    let blocked = false;
    for (const event of page.events) {
      const position = BigInt(event.position ?? '0');
      if (position !== expected) {
        if (hole === undefined || expected >= hole.below) {
          // A new hole: remember which transactions were running when it was seen.
          hole = { below: position, since: now(), watch: (await deps.watchTransactions?.()) ?? null };
          blocked = true;
          break;
        }
        if (!final) {
          blocked = true;
          break;
        }
        // Still open although nothing that could fill it is running: a rollback.
      }
      ready.push(event);
      expected = position + 1n;
    }
    if (hole !== undefined && expected >= hole.below) hole = undefined; // everything it covered is behind us
    if (ready.length > 0) {
      safe = BigInt(ready[ready.length - 1]!.position!);
      const wanted = ready.filter((event) => matches(event, options.filters));
      await deps.emit(wanted, safe.toString());
    }
    if (!blocked && page.nextAfterPosition !== null && ready.length > 0) continue; // more to read at once
    // Waiting on a hole needs the clock (a rollback never notifies); otherwise a notification wakes us.
    if (deps.appends && !blocked) await deps.appends.wait(Math.max(options.pollMs, NOTIFIED_IDLE_POLL_MS), deps.signal);
    else if (deps.appends) await deps.appends.wait(options.pollMs, deps.signal);
    else await sleep(options.pollMs, deps.signal);
  }
  return safe.toString();
}

function matches(event: StoredEventView, filters: TailFilters): boolean {
  if (filters.streamId !== undefined && event.streamId !== filters.streamId) return false;
  if (filters.eventTypes?.length && !filters.eventTypes.includes(event.type)) return false;
  if (filters.category !== undefined && event.category !== filters.category) return false;
  if (filters.correlationId !== undefined && event.correlationId !== filters.correlationId) return false;
  if (filters.causationId !== undefined && event.causationId !== filters.causationId) return false;
  return true;
}
