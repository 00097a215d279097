import { useInfiniteQuery } from '@tanstack/react-query';
import { ChronoError } from '../../../../src-shared/errors';
import type { InputOf, ResultOf } from '../../../../src-shared/operations';
import type { StoredEvent } from '../../../../src-shared/schemas/browse';
import { useClient } from '../../client/host-context';
import { operationKey } from '../../client/operation-hooks';
import { currentSettings } from '../../app/settings';

/** Rows per page: the Settings screen's page sizes (part of each query key, so a change reads again). */
const pageSizes = () => currentSettings().pageSizes;

/** The host has no confirmed preset for the connection: the user has to pick one from the detection first. */
export function needsDetection(error: unknown): boolean {
  return error instanceof ChronoError && error.code === 'not_found' && (error.details as { next?: unknown } | undefined)?.next === 'stores.detect';
}

/** Don't retry what retrying cannot fix: bad input, a missing preset, an unavailable capability. */
function retry(failures: number, error: unknown): boolean {
  if (error instanceof ChronoError && ['not_found', 'invalid_input', 'unavailable', 'unsupported', 'forbidden'].includes(error.code)) return false;
  return failures < 2;
}

type StreamsFilter = Omit<InputOf<'streams.list'>, 'after' | 'limit'>;

/** Streams in key order, a page at a time: each page continues after the last one's cursor. */
export function useStreamPages(input: StreamsFilter | undefined) {
  const client = useClient();
  return useInfiniteQuery({
    queryKey: [...operationKey('streams.list', input as InputOf<'streams.list'>), 'pages', pageSizes().streams],
    enabled: input !== undefined,
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) =>
      client.call('streams.list', { ...(input as StreamsFilter), limit: pageSizes().streams, ...(pageParam ? { after: pageParam } : {}) }, { signal }),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    retry,
  });
}

type FeedFilter = Omit<InputOf<'feed.read'>, 'limit'>;

/** The global feed by position from `afterPosition` on, a page at a time. */
export function useFeedPages(input: FeedFilter | undefined) {
  const client = useClient();
  return useInfiniteQuery({
    queryKey: [...operationKey('feed.read', input as InputOf<'feed.read'>), 'pages', pageSizes().feed],
    enabled: input !== undefined,
    initialPageParam: input?.afterPosition,
    queryFn: ({ pageParam, signal }) =>
      client.call(
        'feed.read',
        { ...(input as FeedFilter), limit: pageSizes().feed, ...(pageParam !== undefined ? { afterPosition: pageParam } : {}) },
        { signal },
      ),
    getNextPageParam: (last) => (last.events.length > 0 ? (last.nextAfterPosition ?? undefined) : undefined),
    retry,
  });
}

/** Where a stream timeline starts: its first events, its latest ones, or one version. */
export type StreamAnchor = { kind: 'start' } | { kind: 'latest' } | { kind: 'version'; version: number };

interface ReadParam {
  fromVersion?: number;
  toVersion?: number;
  direction: 'forward' | 'backward';
}

export interface TimelinePage {
  /** Ascending by version, whatever direction the page was read in. */
  events: StoredEvent[];
  /** How to read the events just before this page, if there may be any. */
  older: ReadParam | undefined;
  /** How to read the events just after this page. */
  newer: ReadParam | undefined;
}

function firstParam(anchor: StreamAnchor): ReadParam {
  switch (anchor.kind) {
    case 'start':
      return { direction: 'forward' };
    case 'latest':
      return { direction: 'backward' };
    case 'version':
      return { fromVersion: anchor.version, direction: 'forward' };
  }
}

function toPage(param: ReadParam, result: ResultOf<'streams.read'>): TimelinePage {
  const events = [...result.events].sort((a, b) => a.version - b.version);
  const first = events[0];
  const last = events[events.length - 1];
  const next = result.next ? { ...result.next, direction: result.next.direction ?? param.direction } : undefined;
  if (param.direction === 'forward') {
    const fromVersion = first?.version ?? param.fromVersion;
    return {
      events,
      newer: next ? { fromVersion: next.fromVersion, direction: 'forward' } : undefined,
      // Read from the start (no fromVersion, or 0) there is nothing older.
      older:
        param.fromVersion !== undefined && param.fromVersion > 0 && fromVersion !== undefined && fromVersion > 0
          ? { toVersion: fromVersion - 1, direction: 'backward' }
          : undefined,
    };
  }
  return {
    events,
    older: next ? { toVersion: next.toVersion, direction: 'backward' } : undefined,
    // Read backward from the end there is nothing newer (until someone appends); in the middle, what follows the last event.
    newer: last && param.toVersion !== undefined ? { fromVersion: last.version + 1, direction: 'forward' } : undefined,
  };
}

/** One stream's events around an anchor, pageable towards older and newer versions. */
export function useStreamTimeline(connectionId: string | undefined, streamId: string | undefined, anchor: StreamAnchor) {
  const client = useClient();
  return useInfiniteQuery({
    queryKey: ['streams.read', { connectionId, streamId, anchor }, 'timeline', pageSizes().events],
    enabled: connectionId !== undefined && streamId !== undefined,
    initialPageParam: firstParam(anchor),
    queryFn: async ({ pageParam, signal }) => {
      const result = await client.call(
        'streams.read',
        { connectionId: connectionId ?? '', streamId: streamId ?? '', limit: pageSizes().events, ...pageParam },
        { signal },
      );
      return toPage(pageParam, result);
    },
    getNextPageParam: (last) => (last.events.length > 0 ? last.newer : undefined),
    getPreviousPageParam: (first) => (first.events.length > 0 ? first.older : undefined),
    retry,
  });
}
