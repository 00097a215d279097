import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../../src-shared/schemas/jobs';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import { generateEvents } from '../../../src-main/reference/generator/generate';
import { writeToMongo } from '../../../src-main/reference/generator/write-mongo';
import { writeMongoCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import { boundedBulkWrite } from '../../../src-main/stores/mongo/bounded-bulk-write';
import { MongoEventStore, REFERENCE_MONGO_MAPPING } from '../../../src-main/stores/mongo/mongo-event-store';
import { engineCaller, failOnOutputMismatch } from '../engine-support';
import { testServices } from '../env';
import { createTestMongo, type TestMongo } from '../reference/support';
import { projectMongoProductsView } from './support';

const PROJECTOR = 'products-projector';

/** Mongo products_view through the rebuild operations, on FerretDB: catalog, job, diff, swap, roll back, drop, cancel and resume. */
describe('rebuild operations on a MongoDB connection', () => {
  let mongo: TestMongo;
  let dataDir: string;
  let engine: Engine;
  let connectionId: string;
  /** products_view as the reference worker projected it. */
  let projected: Document[];
  const call = engineCaller(() => engine);
  const start = () => createEngine({ dataDir, mode: 'browser', log: () => undefined, env: {}, onOutputMismatch: failOnOutputMismatch });

  const documents = async (collection: string) => mongo.db.collection(collection).find({}).sort({ _id: 1 }).toArray();

  /** Waits for the job to reach one of `states` (through the engine's own job events, no polling). */
  const jobIn = (jobId: string, states: JobView['state'][]) =>
    new Promise<JobView>((resolve) => {
      const check = (job: JobView) => {
        if (job.id === jobId && states.includes(job.state)) {
          unsubscribe();
          resolve(job);
        }
      };
      const unsubscribe = engine.jobs.subscribe(check);
      void engine.jobs.get(jobId).then(check);
    });

  beforeAll(async () => {
    mongo = await createTestMongo('rebuildmop');
    await writeToMongo(mongo.db, generateEvents({ events: 3000, seed: 11 }));
    // The live model, as the reference worker projects it, and its checkpoint at the head.
    const store = await projectMongoProductsView(mongo.db);
    await writeMongoCheckpoint(mongo.db, PROJECTOR, 'events', (await store.headPosition())!);
    projected = await documents('products_view');
    dataDir = await mkdtemp(join(tmpdir(), 'chrono-rebuild-mongo-'));
    engine = start();
    connectionId = (
      await call('connections.add', { name: 'Mongo reference', settings: { kind: 'mongo', uri: testServices.mongoUrl, database: mongo.name }, readOnly: false })
    ).id;
    await call('stores.configure', { connectionId, preset: 'reference-mongo' });
  }, 240_000);

  afterAll(async () => {
    await engine?.dispose();
    await mongo?.drop();
  });

  it('rebuilds products_view equal to the reference worker, diffs a corrupted document, swaps with the window stated, and rolls back exactly', async () => {
    const correct = await documents('products_view');
    expect(correct.length).toBeGreaterThan(10);

    const catalog = await call('rebuilds.catalog', { connectionId });
    expect(catalog.models.map((m) => m.model)).toEqual(['products_view']); // events, checkpoints: not read models
    expect(catalog.models[0]).toMatchObject({ kind: 'collection', rows: correct.length, builtin: 'builtin:products_view@mongo', rebuilds: [] });
    expect(catalog.checkpoints).toEqual([expect.objectContaining({ name: PROJECTOR, source: 'events' })]);

    // Same data: the rebuild equals what the reference worker produced.
    const same = await call('rebuilds.start', { connectionId, model: 'products_view', definition: { builtin: true } });
    expect((await jobIn(same.jobId!, ['done', 'failed'])).error).toBeUndefined();
    expect(await call('rebuilds.diff', { connectionId, rebuildId: same.rebuildId })).toMatchObject({
      identical: true,
      liveRows: correct.length,
      shadowRows: correct.length,
    });
    expect(await documents(same.shadow)).toEqual(correct);
    const dropShadow = await call('rebuilds.drop', { connectionId, rebuildId: same.rebuildId, what: 'shadow', dryRun: true });
    await call('rebuilds.drop', { connectionId, rebuildId: same.rebuildId, what: 'shadow', confirmation: dropShadow.confirmation!, reason: 'not needed' });
    expect((await mongo.db.listCollections({ name: same.shadow }).toArray()).length).toBe(0);

    const victim = (correct[4] as unknown as { _id: string })._id;
    await mongo.db.collection<{ _id: string }>('products_view').updateOne({ _id: victim }, { $set: { stock: -99 } });
    const corrupted = await documents('products_view');

    const fix = await call('rebuilds.start', { connectionId, model: 'products_view', definition: { builtin: true }, reason: 'stock went negative' });
    const job = await jobIn(fix.jobId!, ['done', 'failed']);
    expect(job.error).toBeUndefined();
    expect(job.summary).toContain(`into ${correct.length} rows`);
    expect(await documents('products_view')).toEqual(corrupted); // live untouched

    const diff = await call('rebuilds.diff', { connectionId, rebuildId: fix.rebuildId });
    expect(diff).toMatchObject({ identical: false, changed: { count: 1, keys: [victim] }, onlyInLive: { count: 0 }, onlyInShadow: { count: 0 } });
    expect(diff.changed.sample[0]!.fields).toEqual([expect.objectContaining({ field: 'stock', live: -99 })]);

    const projector = { name: PROJECTOR, source: 'events' };
    await expect(call('rebuilds.swap', { connectionId, rebuildId: fix.rebuildId, projector, reason: 'fix' })).rejects.toMatchObject({
      code: 'confirmation_required',
    });
    const dry = await call('rebuilds.swap', { connectionId, rebuildId: fix.rebuildId, projector, dryRun: true });
    expect(dry.risk).toContain('no transaction across collections');
    expect(dry.beforeTable).toMatch(/^products_view__before_\d{8}_\d{6}$/);
    expect(await documents('products_view')).toEqual(corrupted);

    await call('connections.update', { id: connectionId, readOnly: true });
    await expect(
      call('rebuilds.swap', { connectionId, rebuildId: fix.rebuildId, projector, confirmation: dry.confirmation!, reason: 'fix' }),
    ).rejects.toMatchObject({ code: 'read_only' });
    await call('connections.update', { id: connectionId, readOnly: false });
    await call('stores.configure', { connectionId, preset: 'reference-mongo' });

    const again = await call('rebuilds.swap', { connectionId, rebuildId: fix.rebuildId, projector, dryRun: true });
    const swapped = await call('rebuilds.swap', {
      connectionId,
      rebuildId: fix.rebuildId,
      projector,
      confirmation: again.confirmation!,
      reason: 'fix the stock',
    });
    expect(swapped).toMatchObject({ dryRun: false, model: 'products_view', risk: expect.stringContaining('renames') });
    expect(swapped.windowMs).toBeGreaterThan(0);
    expect(await documents('products_view')).toEqual(correct);
    expect(await documents(swapped.beforeTable)).toEqual(corrupted);
    // The swapped-in collection keeps the live one's indexes.
    expect((await mongo.db.collection('products_view').listIndexes().toArray()).map((i) => i['name']).sort()).toEqual(
      (await mongo.db.collection(swapped.beforeTable).listIndexes().toArray()).map((i) => i['name']).sort(),
    );

    const listed = (await call('rebuilds.catalog', { connectionId })).models.find((m) => m.model === 'products_view')!;
    expect(listed.rebuilds[0]).toMatchObject({ id: fix.rebuildId, phase: 'swapped', beforeTable: swapped.beforeTable });

    const back = await call('rebuilds.rollback', { connectionId, rebuildId: fix.rebuildId, dryRun: true });
    expect(back.restored).toBe(swapped.beforeTable);
    await call('rebuilds.rollback', { connectionId, rebuildId: fix.rebuildId, confirmation: back.confirmation!, reason: 'check the old one' });
    expect(await documents('products_view')).toEqual(corrupted);
    await expect(call('rebuilds.drop', { connectionId, rebuildId: fix.rebuildId, what: 'before', dryRun: true })).rejects.toMatchObject({ code: 'conflict' });
    // The rebuilt documents the roll back set aside are listed (they may hold personal data) and can be dropped.
    const rolledBack = (await call('rebuilds.catalog', { connectionId })).models[0]!.rebuilds.find((r) => r.id === fix.rebuildId)!;
    expect(rolledBack.leftover).toEqual({ table: expect.stringMatching(/^products_view__after_[\d_]+$/), rows: correct.length });
    const leftoverDrop = await call('rebuilds.drop', { connectionId, rebuildId: fix.rebuildId, what: 'shadow', dryRun: true });
    await call('rebuilds.drop', { connectionId, rebuildId: fix.rebuildId, what: 'shadow', confirmation: leftoverDrop.confirmation!, reason: 'compared' });
    expect((await call('rebuilds.catalog', { connectionId })).models[0]!.rebuilds.find((r) => r.id === fix.rebuildId)!.leftover).toBeNull();

    const audit = await call('audit.list', { operation: 'rebuilds.swap' });
    expect(audit.records.map((r) => [r.outcome, r.dryRun, r.reason])).toEqual(
      expect.arrayContaining([
        ['ok', false, 'fix the stock'],
        ['refused', false, 'fix'],
      ]),
    );
  });

  it('resumes a cancelled rebuild and a rebuild interrupted by a restart, to the same documents', async () => {
    const live = await documents('products_view');
    const started = await call('rebuilds.start', { connectionId, model: 'products_view', definition: { builtin: true } });
    // Cancelled while it settles the head (a Mongo store has no transaction watch: it waits a second there).
    const cancelled = await call('jobs.cancel', { id: started.jobId! });
    expect(cancelled.state).toBe('cancelled');
    await expect(call('rebuilds.diff', { connectionId, rebuildId: started.rebuildId })).rejects.toMatchObject({ code: 'conflict' });
    const resumed = await call('rebuilds.resume', { connectionId, rebuildId: started.rebuildId, reason: 'go on' });
    await expect(call('rebuilds.resume', { connectionId, rebuildId: started.rebuildId })).rejects.toMatchObject({ code: 'conflict' });
    // The engine stops while the new job runs: after the restart the job is paused, and resuming it finishes the rebuild.
    await engine.dispose();
    engine = start();
    expect((await call('jobs.list', {})).jobs.find((j) => j.id === resumed.jobId)?.state).toBe('paused');
    await call('jobs.resume', { id: resumed.jobId });
    const done = await jobIn(resumed.jobId, ['done', 'failed']);
    expect(done.error).toBeUndefined();
    expect(await call('rebuilds.diff', { connectionId, rebuildId: started.rebuildId })).toMatchObject({ liveRows: live.length, shadowRows: live.length });
    await expect(call('rebuilds.resume', { connectionId, rebuildId: started.rebuildId })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('rebuilds the products touched by price changes in a time range: only their documents replaced, the others byte-identical, roll back restores them', async () => {
    await boundedBulkWrite(
      mongo.db.collection('products_view'),
      projected.map((doc) => ({ replaceOne: { filter: { _id: doc._id }, replacement: doc } })),
    );
    const store = new MongoEventStore(mongo.db, REFERENCE_MONGO_MAPPING);
    const changes: { streamId: string; at: string }[] = [];
    for (let after: string | undefined; ;) {
      const page = await store.readFeed({ eventTypes: ['PriceChanged'], limit: 1000, ...(after ? { afterPosition: after } : {}) });
      changes.push(...page.events.map((e) => ({ streamId: e.streamId, at: e.timestamp! })));
      if (!page.nextAfterPosition) break;
      after = page.nextAfterPosition;
    }
    const times = changes.map((c) => c.at).sort();
    const from = times[Math.floor(times.length * 0.3)]!;
    const to = times[Math.floor(times.length * 0.7)]!;
    const inScope = [...new Set(changes.filter((c) => c.at >= from && c.at < to).map((c) => c.streamId))].sort();
    const outside = projected.map((d) => String(d._id)).filter((id) => !inScope.includes(id));
    expect(inScope.length).toBeGreaterThan(1);
    expect(outside.length).toBeGreaterThan(1);
    const views = mongo.db.collection<{ _id: string }>('products_view');
    await views.updateMany({ _id: { $in: [inScope[0]!, outside[0]!] } }, { $set: { stock: -7 } });
    const asText = async () => new Map((await documents('products_view')).map((d) => [String(d._id), JSON.stringify(d)]));
    const corrupted = await asText();

    const started = await call('rebuilds.start', {
      connectionId,
      model: 'products_view',
      definition: { builtin: true },
      scope: { kind: 'types', eventTypes: ['PriceChanged'], from, to },
    });
    expect(started.scope).toEqual({ description: `the streams touched by PriceChanged from ${from} to ${to}`, streams: inScope.length });
    expect((await jobIn(started.jobId!, ['done', 'failed'])).error).toBeUndefined();
    const diff = await call('rebuilds.diff', { connectionId, rebuildId: started.rebuildId });
    expect(diff).toMatchObject({
      liveRows: inScope.length,
      shadowRows: inScope.length,
      changed: { count: 1, keys: [inScope[0]] },
      onlyInLive: { count: 0 },
      onlyInShadow: { count: 0 },
    });

    const dry = await call('rebuilds.swap', { connectionId, rebuildId: started.rebuildId, dryRun: true });
    expect(dry.risk).toContain('no transaction across documents');
    const swapped = await call('rebuilds.swap', { connectionId, rebuildId: started.rebuildId, confirmation: dry.confirmation!, reason: 'prices' });
    const after = await asText();
    const correct = new Map(projected.map((d) => [String(d._id), JSON.stringify(d)]));
    for (const id of inScope) expect(after.get(id)).toBe(correct.get(id));
    for (const id of outside) expect(after.get(id)).toBe(corrupted.get(id));
    expect(after.size).toBe(corrupted.size);
    expect((await documents(swapped.beforeTable)).map((d) => String(d._id)).sort()).toEqual(inScope);

    const back = await call('rebuilds.rollback', { connectionId, rebuildId: started.rebuildId, dryRun: true });
    await call('rebuilds.rollback', { connectionId, rebuildId: started.rebuildId, confirmation: back.confirmation!, reason: 'compare' });
    expect(await asText()).toEqual(corrupted);
    // A partial roll back leaves its shadow (the rebuilt documents) and the copy of the old ones: both listed.
    const leftover = (await call('rebuilds.catalog', { connectionId })).models[0]!.rebuilds.find((r) => r.id === started.rebuildId)!.leftover!;
    expect(leftover.tables?.map((t) => t.table)).toEqual([expect.stringMatching(/^products_view__shadow_/), swapped.beforeTable]);
    // The scope's bookkeeping is not a read model.
    expect((await call('rebuilds.catalog', { connectionId })).models.map((m) => m.model)).toEqual(['products_view']);
  });

  it('refuses following the head on a collection and a model that does not exist, saying what to do', async () => {
    await expect(call('rebuilds.start', { connectionId, model: 'products_view', definition: { builtin: true }, follow: true })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('a Mongo swap folds the events that arrived since the load itself'),
    });
    await expect(
      call('rebuilds.start', {
        connectionId,
        model: 'missing_view',
        definition: { name: 'd', source: "definition = { handles: { types: ['X'] }, key: (e) => e.streamId, apply: (row) => row };" },
      }),
    ).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('There is no collection missing_view') });
  });
});
