import { afterAll, beforeAll, expect, it } from 'vitest';
import { boundedBulkWrite, MAX_BULK_WRITE_OPS } from '../../../src-main/stores/mongo/bounded-bulk-write';
import { createTestMongo, type TestMongo } from '../reference/support';

let mongo: TestMongo;
beforeAll(async () => {
  mongo = await createTestMongo('bulkw');
  await mongo.db.collection('docs').insertMany(Array.from({ length: 300 }, (_, i) => ({ _id: `k${i}`, n: i })) as never[]);
});
afterAll(async () => mongo?.drop());

// One bulkWrite of 120 replaceOne on existing documents stops FerretDB 1.x answering at all
// (its pool of 50 PostgreSQL connections deadlocks); in bounded batches the same work completes.
it('replaces, upserts and deletes hundreds of documents in batches the server can take', async () => {
  const ops = [
    ...Array.from({ length: 200 }, (_, i) => ({ replaceOne: { filter: { _id: `k${i}` }, replacement: { n: i * 10 }, upsert: true } })),
    ...Array.from({ length: 50 }, (_, i) => ({ replaceOne: { filter: { _id: `new${i}` }, replacement: { n: -i }, upsert: true } })),
    ...Array.from({ length: 100 }, (_, i) => ({ deleteOne: { filter: { _id: `k${200 + i}` } } })),
  ];
  expect(ops.length).toBeGreaterThan(MAX_BULK_WRITE_OPS * 10);
  const totals = await boundedBulkWrite(mongo.db.collection<{ _id: string; n: number }>('docs'), ops, { ordered: false });
  expect(totals).toEqual({ modified: 200, upserted: 50, deleted: 100 });
  expect(await mongo.db.collection('docs').countDocuments()).toBe(250);
  expect(await mongo.db.collection('docs').findOne({ _id: 'k7' as never })).toEqual({ _id: 'k7', n: 70 });
}, 60_000);
