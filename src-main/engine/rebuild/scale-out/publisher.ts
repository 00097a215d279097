/**
 * The publisher of a scale-out rebuild: reads the store's feed in global order
 * (only the events the definition handles, through the EventStore port, in pages)
 * and publishes each event to the replay topic keyed by its stream id (so a
 * stream's events stay in one partition, in order), its global position in a
 * header. After each acknowledged batch it records how far it got, so a resumed
 * run starts there; a batch sent but not recorded is sent again, and the workers
 * skip what they already applied by its position.
 */
import type { Message, Producer } from 'kafkajs';
import type pg from 'pg';
import type { StoredEventView } from '../../../stores/event-store';
import { feedFilter, handlesEvent, RebuildCancelled, type RebuildFeed } from '../feed-fold';
import type { Handles } from '../read-model';
import { recordPublished, type ScaleOutRecord } from './offsets-store';

/** Header of each replay message: the event's global position (decimal). */
export const POSITION_HEADER = 'chronoscope-position';
const PAGE = 1000;
export const PUBLISH_BATCH = 5000;
const SEND_BYTES = 512 * 1024;

export interface PublishOptions {
  pool: pg.Pool;
  feed: Pick<RebuildFeed, 'readFeed'>;
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

/** Publishes (published position, horizon]; returns the events published in all runs together. */
export async function publishFeed(options: PublishOptions): Promise<number> {
  const { pool, feed, producer, record, handles, signal } = options;
  const horizon = BigInt(options.horizon);
  const batchEvents = options.batchEvents ?? PUBLISH_BATCH;
  const filter = feedFilter(handles);
  let events = record.publishedEvents;
  let readFrom = BigInt(record.publishedPosition);

  /** The next stretch of handled events up to `batchEvents`, and the position it ends at. */
  const readBatch = async (): Promise<{ events: StoredEventView[]; end: bigint }> => {
    const out: StoredEventView[] = [];
    let after = readFrom;
    for (;;) {
      const page = await feed.readFeed({ afterPosition: after.toString(), limit: PAGE, ...filter });
      for (const event of page.events) {
        const p = BigInt(event.position ?? '0');
        if (p > horizon) return { events: out, end: (readFrom = horizon) };
        if (handlesEvent(handles, event)) out.push(event);
        after = p;
      }
      if (page.nextAfterPosition === null) return { events: out, end: (readFrom = horizon) };
      if (out.length >= batchEvents) return { events: out, end: (readFrom = after) };
    }
  };

  // One batch is read ahead while the previous one is sent: at most two in memory.
  let next = readFrom < horizon ? readBatch() : undefined;
  try {
    while (next) {
      const batch = await next;
      if (signal?.aborted) throw new RebuildCancelled();
      next = readFrom < horizon ? readBatch() : undefined;
      for (const messages of chunks(batch.events)) await producer.send({ topic: record.topic, acks: -1, messages });
      events += batch.events.length;
      await recordPublished(pool, record.rebuildId, batch.end.toString(), events, batch.end >= horizon);
      options.onPublished?.({ position: batch.end.toString(), events });
    }
  } catch (err) {
    void next?.catch(() => undefined);
    throw err;
  }
  if (readFrom >= horizon) await recordPublished(pool, record.rebuildId, horizon.toString(), events, true);
  return events;
}
