/**
 * Whether a read model can be rebuilt by a consumer group: events of one stream
 * reach one partition in order, but different streams go to different partitions
 * (and workers), so the model's rows must each be written from one stream only.
 * Built-ins key rows by stream id by construction; a user definition's `key(event)`
 * is probed on the first events the feed holds and must return the stream id.
 */
import { ChronoError } from '../../../../src-shared/errors';
import type { StoredEventView } from '../../../stores/event-store';
import { feedFilter, handlesEvent, type RebuildFeed } from '../feed-fold';
import type { ReadModelDefinition } from '../read-model';

const SAMPLE_EVENTS = 2000;

export async function refuseUnlessKeyedByStream(definition: ReadModelDefinition, feed: Pick<RebuildFeed, 'readFeed'>): Promise<void> {
  if (definition.keyedByStream) return;
  const page = await feed.readFeed({ limit: SAMPLE_EVENTS, ...feedFilter(definition.handles) });
  const byStream = new Map<string, StoredEventView[]>();
  for (const event of page.events) {
    if (!handlesEvent(definition.handles, event)) continue;
    const list = byStream.get(event.streamId) ?? [];
    list.push(event);
    byStream.set(event.streamId, list);
  }
  if (byStream.size === 0) return;
  const folder = await definition.open();
  try {
    for (const [streamId, events] of byStream) {
      // A fresh folder caches nothing until `apply`: every key the events map to comes back.
      const foreign = (await folder.missingKeys(events)).find((key) => key !== streamId);
      if (foreign !== undefined) {
        throw new ChronoError(
          'invalid_input',
          `${definition.name} cannot be scaled out on Kafka: it writes row "${foreign}" from events of stream ${streamId}, but scale-out needs rows keyed by the stream id (key(event) returning event.streamId), because each stream's events go to one partition and one worker. Rebuild it in one process instead.`,
        );
      }
    }
  } finally {
    await folder.close();
  }
}
