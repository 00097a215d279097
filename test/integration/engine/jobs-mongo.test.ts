import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView, SnapshotsVerifyAllResult } from '../../../src-shared/schemas/jobs';
import type { Engine } from '../../../src-main/engine/engine';
import { CommandHandler } from '../../../src-main/reference/commands/handlers';
import { DomainRuleViolation } from '../../../src-main/reference/errors';
import { ensureMongoIndexes, ReferenceMongoStore } from '../../../src-main/reference/mongo/event-store';
import { createTestEngine, engineCaller } from '../engine-support';
import { testServices } from '../env';
import { createTestMongo, type TestMongo } from '../reference/support';

/** Bulk snapshot verification on the reference system's MongoDB layout (FerretDB): keyset pages over the `snapshots` collection, through its SnapshotStore. */
describe('snapshots.verifyAll on MongoDB', () => {
  let mongo: TestMongo;
  let engine: Engine;
  let connectionId: string;
  const accounts = ['acc-a', 'acc-b', 'acc-c', 'acc-d', 'acc-e'];
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    mongo = await createTestMongo('jobs');
    await ensureMongoIndexes(mongo.db);
    const store = new ReferenceMongoStore(mongo.db);
    const handler = new CommandHandler({ storeFor: () => store, snapshotEvery: 10 });
    for (const id of accounts) {
      await handler.execute('Account', id, { type: 'OpenAccount', ownerId: `owner-${id}`, currency: 'EUR' });
      for (let i = 0; i < 25; i++) {
        try {
          await handler.execute('Account', id, i % 3 === 2 ? { type: 'WithdrawMoney', amountCents: 70 } : { type: 'DepositMoney', amountCents: 100 + i });
        } catch (err) {
          if (!(err instanceof DomainRuleViolation)) throw err;
        }
      }
    }
    // The latest snapshot of acc-c lies about the balance.
    const [latest] = await mongo.db.collection('snapshots').find({ aggregateId: 'acc-c' }).sort({ version: -1 }).limit(1).toArray();
    await mongo.db.collection('snapshots').updateOne({ _id: latest!._id }, { $set: { 'state.balanceCents': 424242 } });
    engine = await createTestEngine('jobs-mongo');
    connectionId = (await call('connections.add', { name: 'Mongo reference', settings: { kind: 'mongo', uri: testServices.mongoUrl, database: mongo.name } }))
      .id;
    await call('stores.configure', { connectionId, preset: 'reference-mongo' });
  }, 240_000);

  afterAll(async () => {
    await engine?.dispose();
    await mongo?.drop();
  });

  it('verifies every snapshot and names the one that differs', async () => {
    const { jobId } = await call('snapshots.verifyAll', { connectionId });
    const done = await new Promise<JobView>((resolve) => {
      const check = (job: JobView) => {
        if (job.id === jobId && (job.state === 'done' || job.state === 'failed')) {
          unsubscribe();
          resolve(job);
        }
      };
      const unsubscribe = engine.jobs.subscribe(check);
      void engine.jobs.get(jobId).then(check);
    });
    expect(done.error).toBeUndefined();
    const result = done.result as SnapshotsVerifyAllResult;
    // Every snapshot of every stream (several per account), each against a replay to its own version.
    const stored = await mongo.db.collection('snapshots').countDocuments();
    expect(stored).toBeGreaterThan(accounts.length);
    expect(result).toMatchObject({ total: stored, verified: stored, ok: stored - 1, mismatched: 1, failed: 0 });
    expect(result.mismatches).toEqual([expect.objectContaining({ streamId: 'acc-c', paths: ['balanceCents'] })]);
  });
});
