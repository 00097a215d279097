import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { testServices } from '../env';
import { uniqueName } from '../kafka-support';
import { createTestDatabase, eventually, type TestDatabase } from '../reference/support';
import { seedReferenceStore, tableChecksum } from './support';

describe('a scale-out rebuild through the operations', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  let kafkaId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    db = await createTestDatabase('rebuildscaleop');
    const store = await seedReferenceStore(db.pool, 8000, 9);
    await store.close();
    engine = await createTestEngine('rebuildscale');
    connectionId = (await call('connections.add', { ...postgresConnection('Reference', db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId, preset: 'classic' });
    kafkaId = (await call('connections.add', { name: uniqueName('kafka'), readOnly: false, settings: { kind: 'kafka', brokers: testServices.kafkaBrokers } }))
      .id;
  }, 60_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('runs as a job on 2 Kafka workers, shows published and applied, and its shadow diffs identical to the projected model', async () => {
    const live = await tableChecksum(db.pool, 'accounts_view', 'account_id');
    const started = await call('rebuilds.start', {
      connectionId,
      model: 'accounts_view',
      definition: { builtin: true },
      scaleOut: { workers: 2, kafkaConnectionId: kafkaId },
      reason: 'scale out',
    });
    const messages = new Set<string>();
    const job = await eventually(
      async () => {
        const found = (await call('jobs.list', {})).jobs.find((j) => j.id === started.jobId);
        if (found?.progress?.message) messages.add(found.progress.message);
        return found && ['done', 'failed'].includes(found.state) ? found : undefined;
      },
      120_000,
      'the scale-out rebuild job to end',
    );
    expect(job.error).toBeUndefined();
    expect(job.state).toBe('done');
    expect(job.title).toMatch(/on 2 Kafka workers/);
    expect(job.connectionIds).toEqual([connectionId, kafkaId]);
    expect([...messages].some((m) => /published [\d,]+.*applied [\d,]+ by \d Kafka workers/.test(m))).toBe(true);
    expect(await tableChecksum(db.pool, 'accounts_view', 'account_id')).toBe(live);
    const diff = await call('rebuilds.diff', { connectionId, rebuildId: started.rebuildId });
    expect(diff).toMatchObject({ identical: true, changed: { count: 0 }, onlyInLive: { count: 0 }, onlyInShadow: { count: 0 } });
    // The scale-out's own bookkeeping is not offered as a read model.
    expect((await call('rebuilds.catalog', { connectionId })).models.map((m) => m.model)).not.toContain('chronoscope_rebuild_scale_out');
  }, 150_000);

  it('validates the choice in the main process', async () => {
    await expect(
      call('rebuilds.start', { connectionId, model: 'accounts_view', definition: { builtin: true }, scaleOut: { workers: 0, kafkaConnectionId: kafkaId } }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('scaleOut.workers'),
    });
    await expect(
      call('rebuilds.start', {
        connectionId,
        model: 'accounts_view',
        definition: { builtin: true },
        scaleOut: { workers: 2, kafkaConnectionId: connectionId },
      }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('choose a Kafka connection'),
    });
    await expect(
      call('rebuilds.start', {
        connectionId,
        model: 'accounts_view',
        definition: { builtin: true },
        streamIds: ['acct-1'],
        scaleOut: { workers: 2, kafkaConnectionId: kafkaId },
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    const byOwner = `definition = { name: 'by_owner', handles: { categories: ['Account'] }, key: (e) => e.type === 'AccountOpened' ? e.data.ownerId : null, apply: (row, e) => ({ owner: e.data.ownerId }) };`;
    await expect(
      call('rebuilds.start', {
        connectionId,
        model: 'accounts_view',
        definition: { name: 'by_owner', source: byOwner },
        scaleOut: { workers: 2, kafkaConnectionId: kafkaId },
      }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('cannot be scaled out on Kafka'),
    });
    // Creating the replay topic writes to the Kafka connection: a read-only one refuses.
    await call('connections.update', { id: kafkaId, readOnly: true });
    await expect(
      call('rebuilds.start', { connectionId, model: 'accounts_view', definition: { builtin: true }, scaleOut: { workers: 2, kafkaConnectionId: kafkaId } }),
    ).rejects.toMatchObject({ code: 'read_only' });
    await call('connections.update', { id: kafkaId, readOnly: false });
  }, 60_000);
});
