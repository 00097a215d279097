import type { AnyBulkWriteOperation, BulkWriteOptions, Collection, Document } from 'mongodb';

/**
 * FerretDB 1.x runs the updates and replacements of one bulk write side by side,
 * each holding PostgreSQL connections from a pool of 50: past a few dozen in one
 * batch they wait on each other and the server stops answering everyone (seen with
 * 120 replaceOne on existing documents). MongoDB itself takes any size; batches of
 * this size cost it little.
 */
export const MAX_BULK_WRITE_OPS = 24;

/** `collection.bulkWrite` in batches small enough for every server we support. */
export async function boundedBulkWrite<T extends Document>(
  collection: Collection<T>,
  ops: readonly AnyBulkWriteOperation<T>[],
  options?: BulkWriteOptions,
): Promise<{ modified: number; upserted: number; deleted: number }> {
  const totals = { modified: 0, upserted: 0, deleted: 0 };
  for (let i = 0; i < ops.length; i += MAX_BULK_WRITE_OPS) {
    const result = await collection.bulkWrite(ops.slice(i, i + MAX_BULK_WRITE_OPS) as AnyBulkWriteOperation<T>[], options);
    totals.modified += result.modifiedCount;
    totals.upserted += result.upsertedCount;
    totals.deleted += result.deletedCount;
  }
  return totals;
}
