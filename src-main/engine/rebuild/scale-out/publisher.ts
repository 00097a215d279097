/**
 * The publisher of a scale-out rebuild: reads the store's feed in global order
 * (only the events the definition handles, through the EventStore port, in batches)
 * and publishes each event to the replay topic keyed by its stream id (so a
 * stream's events stay in one partition, in order), its global position in a
 * header. After each acknowledged batch it records how far it got, so a resumed
 * run starts there; a batch sent but not recorded is sent again, and the workers
 * skip what they already applied by its position.
 */
import type { Message, Producer } from 'kafkajs';
import type pg from 'pg';
import type { StoredEventView } from '../../../stores/event-store';
import { foldFeed, type RebuildFeed, type ShadowSink } from '../feed-fold';
import type { Handles, ModelFolder } from '../read-model';
import { recordPublished, type ScaleOutRecord } from './offsets-store';

/** Header of each replay message: the event's global position (decimal). */
export const POSITION_HEADER = 'chronoscope-position';
/** Events per published batch (a crash sends at most this many again; the workers skip them). */
export const PUBLISH_BATCH = 20_000;
const SEND_BYTES = 512 * 1024;

export interface PublishOptions {
  pool: pg.Pool;
  feed: RebuildFeed;
  producer: Producer;
  record: ScaleOutRecord;
  handles: Handles;
  /** Inclusive end: the rebuild's settled head. */
  horizon: string;
  signal?: AbortSignal;
  batchEvents?: number;
  onPublished?(published: { position: string; events: number }): void;
}

/**
 * The batch as messages, in sends of at most SEND_BYTES: a partition's record batch
 * must stay under the broker's `message.max.bytes` (1 MB by default). Sends go one
 * after another, so a stream's events reach its partition in order.
 */
function* chunks(events: readonly StoredEventView[]): Generator<Message[]> {
  let chunk: Message[] = [];
  let bytes = 0;
  for (const event of events) {
    const value = JSON.stringify(event);
    if (bytes + value.length > SEND_BYTES && chunk.length > 0) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push({ key: event.streamId, value, headers: { [POSITION_HEADER]: event.position ?? '0' } });
    bytes += value.length + event.streamId.length + 64;
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Publishes (published position, horizon]; returns the events published in all runs
 * together. The feed is read by the single-process rebuild's reader (position
 * sub-ranges on several connections, a batch read ahead while the previous one is
 * sent), with a "folder" that only hands the batch to the producer.
 */
export async function publishFeed(options: PublishOptions): Promise<number> {
  const { pool, feed, producer, record, handles, signal } = options;
  const horizon = BigInt(options.horizon);
  let pending: readonly StoredEventView[] = [];
  let published = record.publishedEvents;
  const folder: ModelFolder = {
    missingKeys: async () => [],
    apply: async (events) => {
      pending = events;
      return new Map();
    },
    reset: async () => undefined,
    close: async () => undefined,
  };
  const sink: ShadowSink = {
    load: async () => new Map(),
    async commit(_changes, position, events) {
      // Back-pressure: the next batch is not read past the one read ahead until this one is acknowledged.
      for (const messages of chunks(pending)) await producer.send({ topic: record.topic, acks: -1, messages });
      pending = [];
      published = events;
      await recordPublished(pool, record.rebuildId, position, events, BigInt(position) >= horizon);
      options.onPublished?.({ position, events });
    },
  };
  if (BigInt(record.publishedPosition) < horizon) {
    await foldFeed({
      feed,
      handles,
      folder,
      sink,
      after: record.publishedPosition,
      horizon: options.horizon,
      eventsBefore: record.publishedEvents,
      batchEvents: options.batchEvents ?? PUBLISH_BATCH,
      ...(signal ? { signal } : {}),
    });
  }
  await recordPublished(pool, record.rebuildId, horizon.toString(), published, true);
  return published;
}
