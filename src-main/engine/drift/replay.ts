/**
 * Replays of the streams behind a set of rows, through the read model's own fold: the
 * events are read once (the partial rebuild's stream reader), kept per stream, and
 * folded by the partial rebuild's `foldStreamGroups` into memory, so a verification
 * computes rows exactly as a (partial) rebuild would. Folding again from the kept
 * events answers "what would the row be without its last event" or "up to the
 * projector's checkpoint" without reading the store again.
 */
import type { EventStore, StoredEventView } from '../../stores/event-store';
import { handlesEvent } from '../rebuild/feed-fold';
import { foldStreamGroups, streamGroups, type PartialFeed } from '../rebuild/partial-postgres';
import type { ModelRow, ReadModelDefinition } from '../rebuild/read-model';

/** The handled events of each stream, in version order. */
export type StreamEvents = Map<string, StoredEventView[]>;

/** Past any position: the kept events are already cut to the horizon. */
const END = 2n ** 63n - 1n;

/** The feed a verification reads: a partial rebuild's, and many streams at once where the store can. */
export type DriftFeed = PartialFeed & Pick<EventStore, 'readManyStreams'>;

/** Events read at once from many streams; a batch holding more is read stream by stream. */
const MANY_STREAMS_LIMIT = 50_000;

/** Reads the events the definition handles of `streams` in (0, upTo], kept per stream. */
export async function readStreams(feed: DriftFeed, definition: ReadModelDefinition, streams: readonly string[], upTo: bigint): Promise<StreamEvents> {
  const out: StreamEvents = new Map(streams.map((s) => [s, []]));
  // One round trip for the batch where the store can (short streams: a stream at a time costs a round trip each).
  const many = await feed.readManyStreams?.(streams, { limit: MANY_STREAMS_LIMIT });
  if (many?.complete) {
    for (const event of many.events) {
      if (!handlesEvent(definition.handles, event) || BigInt(event.position ?? '0') > upTo) continue;
      out.get(event.streamId)?.push(event);
    }
    return out;
  }
  for await (const group of streamGroups(feed, definition, streams, 0n, upTo)) {
    for (const event of group.events) {
      const list = out.get(event.streamId) ?? out.set(event.streamId, []).get(event.streamId)!;
      list.push(event);
    }
  }
  return out;
}

/** A feed serving kept events (one page per stream): what `foldStreamGroups` reads when a replay is folded again. */
function keptFeed(events: StreamEvents): PartialFeed {
  return {
    readStream: async (streamId) => ({ events: events.get(streamId) ?? [], next: null }),
    headPosition: async () => null,
  };
}

/** Folds the kept events from nothing, as a partial rebuild folds its streams into an empty shadow; the rows by key. */
export async function foldKept(definition: ReadModelDefinition, events: StreamEvents): Promise<Map<string, ModelRow>> {
  const rows = new Map<string, ModelRow>();
  const folder = await definition.open();
  try {
    await foldStreamGroups(
      {
        load: async (keys) => new Map(keys.flatMap((k) => (rows.has(k) ? [[k, rows.get(k)!] as const] : []))),
        write: async (changes) => {
          for (const [key, row] of changes) {
            if (row === null) rows.delete(key);
            else rows.set(key, row);
          }
        },
      },
      keptFeed(events),
      definition,
      folder,
      [...events.keys()],
      0n,
      END,
    );
  } finally {
    await folder.close();
  }
  return rows;
}

/** The kept events of `streams`, each cut by `cut` (streams left empty are kept empty: their rows must come out absent). */
export function cutEvents(events: StreamEvents, streams: Iterable<string>, cut: (events: StoredEventView[]) => StoredEventView[]): StreamEvents {
  const out: StreamEvents = new Map();
  for (const s of streams) out.set(s, cut(events.get(s) ?? []));
  return out;
}
