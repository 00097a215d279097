import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_MONGO_MODELS, REFERENCE_MONGO_DATE_FIELDS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { diffMongo, readMongoRebuild, rebuildMongo, rollbackMongo, swapMongo } from '../../../src-main/engine/rebuild/mongo-target';
import type { DomainEvent } from '../../../src-main/reference/events';
import { generateEvents } from '../../../src-main/reference/generator/generate';
import { writeToMongo } from '../../../src-main/reference/generator/write-mongo';
import { applyToMongoProductsView } from '../../../src-main/reference/projectors/products-view';
import { MongoEventStore, REFERENCE_MONGO_MAPPING } from '../../../src-main/stores/mongo/mongo-event-store';
import { createTestMongo, type TestMongo } from '../reference/support';

let mongo: TestMongo;
let store: MongoEventStore;
const definition = REFERENCE_MONGO_MODELS['products_view']!;
const dateFields = REFERENCE_MONGO_DATE_FIELDS['products_view']!;

/** Projects the whole store into products_view with the reference worker's own apply function. */
async function projectWithReferenceWorker(): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const page = await store.readFeed({ limit: 1000, ...(after ? { afterPosition: after } : {}) });
    const events = page.events.map(
      (e) =>
        ({
          eventId: e.eventId ?? '',
          type: e.type,
          aggregateId: e.streamId,
          aggregateType: e.category,
          version: e.version,
          timestamp: e.timestamp,
          data: e.data,
          metadata: e.metadata,
        }) as DomainEvent,
    );
    await applyToMongoProductsView(mongo.db, events);
    if (!page.nextAfterPosition) return;
    after = page.nextAfterPosition;
  }
}

async function documents(collection: string): Promise<unknown[]> {
  return mongo.db.collection(collection).find({}).sort({ _id: 1 }).toArray();
}

beforeAll(async () => {
  mongo = await createTestMongo('rebuildmongo');
  await writeToMongo(mongo.db, generateEvents({ events: 3000, seed: 3 }));
  store = new MongoEventStore(mongo.db, REFERENCE_MONGO_MAPPING);
  await projectWithReferenceWorker();
}, 180_000);

afterAll(async () => {
  await mongo?.drop();
});

describe('rebuilding Mongo products_view on FerretDB', () => {
  it('rebuilds the collection equal to what the reference worker produced, then fixes a corrupted document by swap and rolls back', async () => {
    const live = await documents('products_view');
    expect(live.length).toBeGreaterThan(10);
    const same = await rebuildMongo({ db: mongo.db, feed: store, id: 'same', model: 'products_view', definition, dateFields, batchEvents: 700 });
    expect(await diffMongo(mongo.db, 'products_view', same.shadow, { pageRows: 50 })).toMatchObject({
      identical: true,
      liveRows: live.length,
      shadowRows: live.length,
    });

    const victim = (live[3] as { _id: string; stock: number })._id;
    await mongo.db.collection<{ _id: string }>('products_view').updateOne({ _id: victim }, { $inc: { stock: 1000 } });
    const corrupted = await documents('products_view');
    const fix = await rebuildMongo({ db: mongo.db, feed: store, id: 'fix', model: 'products_view', definition, dateFields });
    const diff = await diffMongo(mongo.db, 'products_view', fix.shadow);
    expect(diff.changed.keys).toEqual([victim]);
    expect(diff.changed.sample[0]!.fields.map((f) => f.field)).toEqual(['stock']);

    const swapped = await swapMongo({ db: mongo.db, feed: store, id: 'fix', definition, dateFields });
    expect(swapped.windowMs).toBeGreaterThan(0);
    expect(await documents('products_view')).toEqual(live);
    expect(await documents(swapped.beforeCollection)).toEqual(corrupted);

    await rollbackMongo(mongo.db, 'fix');
    expect(await documents('products_view')).toEqual(corrupted);
    expect((await readMongoRebuild(mongo.db, 'fix'))!.phase).toBe('rolled_back');
  });

  it('resumes a cancelled rebuild from its last committed batch to the same documents', async () => {
    const live = await documents('products_view');
    const cancel = new AbortController();
    let batches = 0;
    await expect(
      rebuildMongo({
        db: mongo.db,
        feed: store,
        id: 'cut',
        model: 'products_view',
        definition,
        dateFields,
        batchEvents: 200,
        signal: cancel.signal,
        onProgress: () => ++batches === 2 && cancel.abort(),
      }),
    ).rejects.toThrow('cancelled');
    const cut = (await readMongoRebuild(mongo.db, 'cut'))!;
    expect(cut.phase).toBe('loading');
    expect(BigInt(cut.position)).toBeGreaterThan(0n);
    expect(BigInt(cut.position)).toBeLessThan(BigInt(cut.horizon!));
    const resumed = await rebuildMongo({ db: mongo.db, feed: store, id: 'cut', model: 'products_view', definition, dateFields, batchEvents: 200 });
    expect(resumed.phase).toBe('indexed');
    expect(resumed.position).toBe(cut.horizon);
    const full = await rebuildMongo({ db: mongo.db, feed: store, id: 'whole', model: 'products_view', definition, dateFields });
    expect(resumed.events).toBe(full.events);
    expect(await documents(resumed.shadow)).toEqual(await documents(full.shadow));
    expect((await diffMongo(mongo.db, 'products_view', resumed.shadow)).liveRows).toBe(live.length);
  });
});
