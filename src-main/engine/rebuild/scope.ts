/**
 * The scope of a partial rebuild, resolved to the set of streams it names: chosen
 * stream ids, the streams of one category (the store's own notion: a stream-type
 * column, or the stream-id prefix before a separator for Message DB, Emmett and
 * Eventuous), the streams whose id starts with a prefix, or the streams touched by
 * events of some types in a time range. Resolved through the EventStore port (its
 * stream listing is a skip scan, its feed reads by type and time through the store's
 * indexes), bounded: past the limit the scope is refused and a full rebuild advised.
 */
import { ChronoError } from '../../../src-shared/errors';
import { StoreCapabilityError, StoreInputError, type EventStore } from '../../stores/event-store';

export type RebuildScope =
  | { kind: 'streams'; streamIds: readonly string[] }
  | { kind: 'category'; category: string }
  | { kind: 'prefix'; prefix: string }
  | { kind: 'types'; eventTypes: readonly string[]; from: string; to: string };

/** Most streams a partial rebuild replays: past it a full rebuild is faster and simpler. */
export const SCOPE_STREAM_LIMIT = 100_000;
/** Most events a type-and-time scope reads to find its streams. */
export const SCOPE_EVENT_LIMIT = 2_000_000;

export interface ResolvedScope {
  streamIds: string[];
  /** What the scope was, in words (the job's title, the record). */
  description: string;
  /** Events read to resolve it (type-and-time scopes). */
  eventsRead: number;
}

type ScopeStore = Pick<EventStore, 'listStreams' | 'readFeed'>;

export function describeScope(scope: RebuildScope): string {
  switch (scope.kind) {
    case 'streams':
      return `${scope.streamIds.length.toLocaleString('en-US')} chosen stream${scope.streamIds.length === 1 ? '' : 's'}`;
    case 'category':
      return `the streams of category ${scope.category}`;
    case 'prefix':
      return `the streams whose id starts with ${scope.prefix}`;
    case 'types':
      return `the streams touched by ${scope.eventTypes.join(', ')} from ${scope.from} to ${scope.to}`;
  }
}

function tooMany(scope: RebuildScope, limit: number): ChronoError {
  return new ChronoError(
    'invalid_input',
    `${describeScope(scope)[0]!.toUpperCase()}${describeScope(scope).slice(1)} are more than ${limit.toLocaleString('en-US')} streams: narrow the scope, or run a full rebuild (it replays the whole feed in large batches, faster than stream by stream at this size).`,
  );
}

function storeError(err: unknown, scope: RebuildScope): unknown {
  if (err instanceof StoreCapabilityError)
    return new ChronoError(
      'invalid_input',
      `This store cannot resolve ${describeScope(scope)}: ${err.message}. Choose the streams by id, or run a full rebuild.`,
    );
  if (err instanceof StoreInputError) return new ChronoError('invalid_input', err.message);
  return err;
}

/** Resolves a scope to its distinct stream ids (sorted), refusing past `streamLimit` streams. */
export async function resolveScope(
  store: ScopeStore,
  scope: RebuildScope,
  limits: { streamLimit?: number; eventLimit?: number; signal?: AbortSignal } = {},
): Promise<ResolvedScope> {
  const streamLimit = limits.streamLimit ?? SCOPE_STREAM_LIMIT;
  const eventLimit = limits.eventLimit ?? SCOPE_EVENT_LIMIT;
  const description = describeScope(scope);
  const found = new Set<string>();
  let eventsRead = 0;
  const add = (id: string) => {
    found.add(id);
    if (found.size > streamLimit) throw tooMany(scope, streamLimit);
  };
  try {
    if (scope.kind === 'streams') {
      for (const id of scope.streamIds) add(id);
    } else if (scope.kind === 'category' || scope.kind === 'prefix') {
      let after: string | undefined;
      do {
        if (limits.signal?.aborted) throw new ChronoError('cancelled', 'Resolving the scope was cancelled.');
        const page = await store.listStreams({
          ...(scope.kind === 'category' ? { category: scope.category } : { idPrefix: scope.prefix }),
          limit: 1000,
          ...(after !== undefined ? { after } : {}),
        });
        if (page.stoppedAfterMs !== undefined) {
          const ddl = page.advice?.find((a) => a.ddl)?.ddl;
          throw new ChronoError(
            'invalid_input',
            `Listing ${description} found no index to follow and was stopped after ${page.stoppedAfterMs} ms.${ddl ? ` Create the index (${ddl}) and try again,` : ''} or run a full rebuild.`,
          );
        }
        for (const s of page.streams) add(s.streamId);
        after = page.nextCursor ?? undefined;
      } while (after !== undefined);
    } else {
      if (!(new Date(scope.from).getTime() < new Date(scope.to).getTime()))
        throw new ChronoError('invalid_input', `The time range must end after it starts (from ${scope.from} to ${scope.to}).`);
      let after: string | undefined;
      do {
        if (limits.signal?.aborted) throw new ChronoError('cancelled', 'Resolving the scope was cancelled.');
        const page = await store.readFeed({
          eventTypes: [...scope.eventTypes],
          from: scope.from,
          to: scope.to,
          limit: 1000,
          payloadLimit: 0,
          ...(after !== undefined ? { afterPosition: after } : {}),
        });
        eventsRead += page.events.length;
        if (eventsRead > eventLimit)
          throw new ChronoError(
            'invalid_input',
            `More than ${eventLimit.toLocaleString('en-US')} events of ${scope.eventTypes.join(', ')} fall between ${scope.from} and ${scope.to}: narrow the range, or run a full rebuild.`,
          );
        for (const e of page.events) add(e.streamId);
        after = page.nextAfterPosition ?? undefined;
      } while (after !== undefined);
    }
  } catch (err) {
    throw storeError(err, scope);
  }
  if (found.size === 0)
    throw new ChronoError('invalid_input', `${description[0]!.toUpperCase()}${description.slice(1)}: no stream matches, so there is nothing to rebuild.`);
  return { streamIds: [...found].sort(), description, eventsRead };
}
