import type { Db } from 'mongodb';
import { type EventDocument, reserveGlobalPositions, toEventDocument } from '../mongo/event-store';
import type { GeneratedBatch } from './generate';
import { progressTracker, type ProgressListener, type WriteProgress } from './progress';

export interface MongoWriteOptions {
  total?: number;
  /** Documents per insertMany. */
  chunkSize?: number;
  onProgress?: ProgressListener;
}

/**
 * Writes generated batches into Mongo `events` (one document per event) with
 * unordered bulk inserts. Historical events are marked published: the relay
 * must not replay a generated history onto Kafka.
 */
export async function writeToMongo(
  db: Db,
  batches: AsyncIterable<GeneratedBatch> | Iterable<GeneratedBatch>,
  options: MongoWriteOptions = {},
): Promise<WriteProgress> {
  const track = progressTracker(options.total ?? 0, options.onProgress);
  let last = track(0);
  const chunkSize = options.chunkSize ?? 1_000;
  for await (const batch of batches) {
    if (batch.events.length === 0) continue;
    const first = await reserveGlobalPositions(db, batch.events.length);
    const docs = batch.events.map((e, i) => toEventDocument(e, first + i, true));
    for (let i = 0; i < docs.length; i += chunkSize) await db.collection<EventDocument>('events').insertMany(docs.slice(i, i + chunkSize), { ordered: false });
    if (batch.snapshots.length > 0) {
      await db
        .collection('snapshots')
        .insertMany(batch.snapshots.map((s) => ({ _id: `${s.aggregateId}@${s.version}`, ...s, takenAt: new Date(s.takenAt) })) as never[], { ordered: false });
    }
    if (batch.subjectKeys.length > 0) {
      await db
        .collection('subject_keys')
        .insertMany(batch.subjectKeys.map((k) => ({ _id: k.keyId, subjectId: k.subjectId, key: k.key, createdAt: new Date() })) as never[], { ordered: false });
    }
    last = track(batch.events.length);
  }
  return last;
}
