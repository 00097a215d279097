import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import type { DriftReport } from '../../../src-main/engine/drift/verify-job';
import type { DomainEvent } from '../../../src-main/reference/events';
import { generateEvents } from '../../../src-main/reference/generator/generate';
import { writeToMongo } from '../../../src-main/reference/generator/write-mongo';
import { newId } from '../../../src-main/reference/ids';
import { writeMongoCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import { applyToMongoProductsView } from '../../../src-main/reference/projectors/products-view';
import type { MongoEventStore } from '../../../src-main/stores/mongo/mongo-event-store';
import { engineCaller, failOnOutputMismatch, jobSettled } from '../engine-support';
import { testServices } from '../env';
import { createTestMongo, type TestMongo } from '../reference/support';
import { projectMongoProductsView } from '../rebuild/support';

const PROJECTOR = 'products-projector';

/** products_view on FerretDB: an edited document, a deleted one, an orphan, a skipped event and a lagging one, found, told apart and repaired. */
describe('read-model drift on a MongoDB connection (FerretDB)', () => {
  let mongo: TestMongo;
  let engine: Engine;
  let connectionId: string;
  let store: MongoEventStore;
  const call = engineCaller(() => engine);
  const projector = { name: PROJECTOR, source: 'events' };
  let edited: string, deleted: string, skipped: string, lagging: string;
  const orphan = 'prod-orphan-drift';

  const documents = async () => new Map((await mongo.db.collection('products_view').find({}).toArray()).map((d) => [String(d._id), JSON.stringify(d)]));

  /** Appends a price change to the product's stream; returns the event as the projector reads it. */
  const priceChange = async (productId: string): Promise<DomainEvent> => {
    const last = await mongo.db.collection('events').find({ aggregateId: productId }).sort({ version: -1 }).limit(1).next();
    const event: DomainEvent = {
      eventId: newId(),
      aggregateId: productId,
      aggregateType: 'Product',
      version: Number(last!['version']) + 1,
      timestamp: new Date().toISOString(),
      type: 'PriceChanged',
      data: { priceCents: 123_457 },
      metadata: { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1 },
    };
    await writeToMongo(mongo.db, [{ events: [event], subjectKeys: [], snapshots: [] }]);
    return event;
  };

  const verify = async (mode: Parameters<typeof call<'drift.verify'>>[1]['mode']) => {
    const { jobId } = await call('drift.verify', { connectionId, model: 'products_view', definition: { builtin: true }, mode, projector });
    const job = await jobSettled(engine, jobId);
    expect(job.error).toBeUndefined();
    expect(job.state).toBe('done');
    return { jobId, report: (await engine.jobs.get(jobId)).result as DriftReport };
  };

  beforeAll(async () => {
    mongo = await createTestMongo('driftmo');
    await writeToMongo(mongo.db, generateEvents({ events: 3000, seed: 17 }));
    store = await projectMongoProductsView(mongo.db);
    const products = await mongo.db
      .collection('products_view')
      .find({ version: { $gt: 2 } })
      .sort({ _id: 1 })
      .limit(4)
      .toArray();
    [edited, deleted, skipped, lagging] = products.map((d) => String(d._id)) as [string, string, string, string];
    // The skipped event: projected, the checkpoint past it, then the document put back as it was.
    const before = products[2] as Document;
    await applyToMongoProductsView(mongo.db, [await priceChange(skipped)]);
    await writeMongoCheckpoint(mongo.db, PROJECTOR, 'events', (await store.headPosition())!);
    await mongo.db.collection('products_view').replaceOne({ _id: skipped as never }, before);
    await mongo.db.collection('products_view').updateOne({ _id: edited as never }, { $inc: { stock: 1 } });
    await mongo.db.collection('products_view').deleteOne({ _id: deleted as never });
    await mongo.db.collection('products_view').insertOne({ ...(products[0] as Document), _id: orphan as never });
    await priceChange(lagging); // not projected yet: lag, not drift
    engine = createEngine({
      dataDir: await mkdtemp(join(tmpdir(), 'chrono-drift-mongo-')),
      mode: 'browser',
      log: () => undefined,
      env: {},
      onOutputMismatch: failOnOutputMismatch,
    });
    connectionId = (
      await call('connections.add', { name: 'Mongo reference', settings: { kind: 'mongo', uri: testServices.mongoUrl, database: mongo.name }, readOnly: false })
    ).id;
    await call('stores.configure', { connectionId, preset: 'reference-mongo' });
  }, 240_000);

  afterAll(async () => {
    await engine?.dispose();
    await mongo?.drop();
  });

  it('finds each kind of drift in a full verification and tells them apart, lag aside', async () => {
    const { report } = await verify({ kind: 'full' });
    expect(report.counts).toEqual({ edited: 1, missing: 1, orphan: 1, staleSkipped: 1 });
    expect(report.lagging).toBe(1);
    const byKey = new Map(report.rows.map((r) => [r.key, r]));
    expect(byKey.get(edited)).toMatchObject({ kind: 'edited', checkpointPassed: true });
    expect(byKey.get(edited)!.fields.map((f) => f.field)).toEqual(['stock']);
    expect(byKey.get(deleted)).toMatchObject({ kind: 'missing' });
    expect(byKey.get(orphan)).toMatchObject({ kind: 'orphan', lastEvent: null });
    expect(byKey.get(skipped)).toMatchObject({ kind: 'stale-skipped', checkpointPassed: true, lastEvent: { type: 'PriceChanged' } });
    expect(
      byKey
        .get(skipped)!
        .fields.map((f) => f.field)
        .sort(),
    ).toEqual(['priceCents', 'updatedAt', 'version']);

    const streams = await verify({ kind: 'streams', streamIds: [edited, deleted, orphan, skipped, lagging] });
    expect(streams.report.counts).toEqual(report.counts);
    const sample = await verify({ kind: 'sample', fraction: 1 });
    for (const key of [edited, orphan, skipped]) expect(sample.report.rows.map((r) => r.key)).toContain(key);
  });

  it('repairs exactly the drifted documents through a partial rebuild and its swap, every other document byte-identical', async () => {
    // The projector reaches the lagging event first (the swap folds up to the projector's position).
    const lag = await mongo.db.collection('events').find({ aggregateId: lagging }).sort({ version: -1 }).limit(1).next();
    const lagEvent = (await store.readStream(lagging, { fromVersion: Number(lag!['version']) })).events[0]!;
    await applyToMongoProductsView(mongo.db, [
      {
        eventId: lagEvent.eventId ?? '',
        type: lagEvent.type,
        aggregateId: lagging,
        aggregateType: 'Product',
        version: lagEvent.version,
        timestamp: lagEvent.timestamp ?? '',
        data: lagEvent.data as Record<string, unknown>,
        metadata: lagEvent.metadata as DomainEvent['metadata'],
      },
    ]);
    await writeMongoCheckpoint(mongo.db, PROJECTOR, 'events', (await store.headPosition())!);
    const { jobId, report } = await verify({ kind: 'full' });
    expect([report.drifted, report.lagging]).toEqual([4, 0]);
    const before = await documents();
    const repair = await call('drift.repair', { connectionId, jobId, reason: 'drift found by verification' });
    expect((await jobSettled(engine, repair.jobId!)).state).toBe('done');
    const diff = await call('rebuilds.diff', { connectionId, rebuildId: repair.rebuildId });
    expect(diff).toMatchObject({ onlyInLive: { count: 1, keys: [orphan] }, onlyInShadow: { count: 1, keys: [deleted] }, changed: { count: 2 } });
    const plan = await call('rebuilds.swap', { connectionId, rebuildId: repair.rebuildId, projector, dryRun: true });
    await call('rebuilds.swap', { connectionId, rebuildId: repair.rebuildId, projector, confirmation: plan.confirmation!, reason: 'repair drift' });
    const after = await documents();
    for (const [key, doc] of before) if (![edited, deleted, orphan, skipped].includes(key)) expect(after.get(key)).toBe(doc);
    expect(after.has(orphan)).toBe(false);
    expect(after.has(deleted)).toBe(true);
    expect((await verify({ kind: 'full' })).report.drifted).toBe(0);
  });
});
