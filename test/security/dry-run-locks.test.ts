/**
 * Issue 20.2: a dry run of a destructive operation, from a read-only profile, must
 * never make a plain reader of a live table wait, and never take more than a
 * reader's lock (ACCESS SHARE) there. Each dry run runs while a third session holds
 * reader locks on the live tables (see lock-watch.ts): a dry run wanting more waits
 * for it, so the check is deterministic, not a race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src-main/engine/engine';
import { seedDemoWorkspace } from '../../src-main/reference/demo/seed-demo';
import { createTestEngine, engineCaller, jobSettled, postgresConnection } from '../integration/engine-support';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';
import { watchDryRun, type DryRunWatch } from './lock-watch';

const PROJECTOR = { name: 'accounts_view', source: 'events' };

describe('dry runs leave live tables to their readers (PostgreSQL, read-only profile)', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);

  const setReadOnly = async (readOnly: boolean) => {
    await call('connections.update', { id: connectionId, readOnly });
    await call('stores.configure', { connectionId, preset: 'classic' });
  };

  /** The dry run answered, readers were answered within 100 ms, and the engine took nothing stronger than ACCESS SHARE. */
  function expectHarmless(watch: DryRunWatch): void {
    const slowReaders = Object.entries(watch.selectMs).filter(([, ms]) => ms >= 100);
    expect({ error: watch.error, strongLocks: watch.strongLocks, slowReaders }).toEqual({ error: undefined, strongLocks: [], slowReaders: [] });
  }

  /** A rebuild of accounts_view loaded to the head, ready to swap. */
  async function indexedRebuild(): Promise<string> {
    const started = await call('rebuilds.start', { connectionId, model: 'accounts_view', definition: { builtin: true }, reason: 'lock test' });
    expect((await jobSettled(engine, started.jobId!)).state).toBe('done');
    return started.rebuildId;
  }

  beforeAll(async () => {
    db = await createTestDatabase('drylocks');
    await seedDemoWorkspace(db.pool, { events: 3_000 });
    // The projector of accounts_view is at the head (the rebuild loads to it).
    await db.pool.query(`UPDATE projection_checkpoints SET position = (SELECT max(global_position) FROM events) WHERE projection_name = 'accounts_view'`);
    engine = await createTestEngine('drylocks');
    connectionId = (await call('connections.add', { ...postgresConnection('Live', db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId, preset: 'classic' });
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('rebuilds.swap, rollback and drop', async () => {
    const rebuildId = await indexedRebuild();
    const discarded = await indexedRebuild();
    await setReadOnly(true);
    const swap = await watchDryRun(db.pool, ['accounts_view', 'projection_checkpoints'], () =>
      call('rebuilds.swap', { connectionId, rebuildId, projector: PROJECTOR, dryRun: true }),
    );
    expectHarmless(swap);
    expect(swap.answer).toMatchObject({ dryRun: true, model: 'accounts_view', beforeTable: expect.stringMatching(/^accounts_view__before_/) });
    expectHarmless(
      await watchDryRun(db.pool, ['accounts_view'], () => call('rebuilds.drop', { connectionId, rebuildId: discarded, what: 'shadow', dryRun: true })),
    );

    // Swapped for real (read-write), then the roll back's and the drop's dry runs on the read-only profile.
    await setReadOnly(false);
    const dry = await call('rebuilds.swap', { connectionId, rebuildId, projector: PROJECTOR, dryRun: true });
    const swapped = await call('rebuilds.swap', { connectionId, rebuildId, projector: PROJECTOR, confirmation: dry.confirmation!, reason: 'lock test' });
    await setReadOnly(true);
    const live = ['accounts_view', swapped.beforeTable];
    expectHarmless(await watchDryRun(db.pool, live, () => call('rebuilds.rollback', { connectionId, rebuildId, dryRun: true })));
    expectHarmless(await watchDryRun(db.pool, live, () => call('rebuilds.drop', { connectionId, rebuildId, what: 'before', dryRun: true })));
    await setReadOnly(false);
  });

  it('checkpoints.reset', async () => {
    await setReadOnly(true);
    const key = { store: 'projection_checkpoints', projector: 'orders_view', source: 'events' };
    for (const target of [{ kind: 'beginning' as const }, { kind: 'head' as const }]) {
      const watch = await watchDryRun(db.pool, ['projection_checkpoints', 'events'], () =>
        call('checkpoints.reset', { connectionId, key, target, dryRun: true }),
      );
      expectHarmless(watch);
      expect(watch.answer).toMatchObject({ outcome: 'preview' });
    }
  });

  it('snapshots.delete and snapshots.regenerate', async () => {
    await setReadOnly(true);
    const selection = { kind: 'filter' as const, filter: { streamType: 'Account' } };
    const deleted = await watchDryRun(db.pool, ['snapshots', 'events'], () => call('snapshots.delete', { connectionId, selection, dryRun: true }));
    expectHarmless(deleted);
    expect((deleted.answer as { count: number }).count).toBeGreaterThan(0);
    expectHarmless(await watchDryRun(db.pool, ['snapshots', 'events'], () => call('snapshots.regenerate', { connectionId, selection, dryRun: true })));
  });

  it('compliance.erase', async () => {
    await setReadOnly(true);
    const proposed = await call('compliance.proposeMap', { connectionId });
    const { connectionId: _c, confirmedAt: _t, ...map } = proposed;
    await call('compliance.saveMap', { connectionId, map });
    const { rows } = await db.pool.query<{ id: string }>(`SELECT owner_id AS id FROM accounts_view ORDER BY owner_id LIMIT 1`);
    const opened = await call('compliance.createCase', {
      connectionId,
      subject: { by: 'id', value: rows[0]!.id },
      ticket: 'T-20',
      requester: 'Ana',
      reason: 'erasure',
    });
    await jobSettled(engine, (await call('compliance.search', { caseId: opened.id, connectionId, includeMentions: false })).jobId);
    const live = ['events', 'snapshots', 'accounts_view', 'orders_view', 'subject_keys'];
    const watch = await watchDryRun(db.pool, live, () =>
      call('compliance.erase', { caseId: opened.id, connectionId, actions: ['shred', 'redact', 'purgeReadModels', 'deleteSnapshots'], dryRun: true }),
    );
    expectHarmless(watch);
    expect((watch.answer as { previews: { action: string }[] }).previews.map((p) => p.action)).toEqual(expect.arrayContaining(['redact', 'purgeReadModels']));
  });
});
