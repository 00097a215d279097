import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createTestDatabase, eventually, type TestDatabase } from '../reference/support';
import { PROJECTOR, seedReferenceStore, tableChecksum } from './support';

describe('rebuild operations through the engine', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    db = await createTestDatabase('rebuildop');
    const store = await seedReferenceStore(db.pool, 8000, 5);
    await store.close();
    engine = await createTestEngine('rebuild');
    connectionId = (await call('connections.add', { ...postgresConnection('Reference', db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId, preset: 'classic' });
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('rebuilds corrupted balances, shows them in the diff, swaps only with a confirmation, and rolls back', async () => {
    const correct = await tableChecksum(db.pool, 'accounts_view', 'account_id');
    const { rows: victims } = await db.pool.query<{ account_id: string; balance_cents: string }>(
      'SELECT account_id, balance_cents FROM accounts_view ORDER BY account_id LIMIT 2',
    );
    await db.pool.query(`UPDATE accounts_view SET balance_cents = 0 WHERE account_id = ANY($1)`, [victims.map((v) => v.account_id)]);
    const corrupted = await tableChecksum(db.pool, 'accounts_view', 'account_id');

    const catalog = await call('rebuilds.catalog', { connectionId });
    expect(catalog.models.map((m) => m.model)).toEqual(expect.arrayContaining(['accounts_view', 'orders_view', 'products_view']));
    expect(catalog.models.find((m) => m.model === 'accounts_view')?.builtin).toBe('builtin:accounts_view');
    expect(catalog.checkpoints).toContainEqual(expect.objectContaining({ name: PROJECTOR, source: 'events' }));

    const started = await call('rebuilds.start', { connectionId, model: 'accounts_view', definition: { builtin: true }, reason: 'balances were zeroed' });
    const job = await eventually(
      async () => {
        const found = (await call('jobs.list', {})).jobs.find((j) => j.id === started.jobId);
        return found && ['done', 'failed'].includes(found.state) ? found : undefined;
      },
      60_000,
      'the rebuild job to end',
    );
    expect(job.error).toBeUndefined();
    expect(job.state).toBe('done');
    expect(await tableChecksum(db.pool, 'accounts_view', 'account_id')).toBe(corrupted); // live untouched

    const diff = await call('rebuilds.diff', { connectionId, rebuildId: started.rebuildId });
    expect(diff).toMatchObject({ identical: false, onlyInLive: { count: 0 }, onlyInShadow: { count: 0 }, changed: { count: 2 } });
    expect(diff.changed.sample.map((s) => [s.key, s.fields.map((f) => [f.field, f.live, f.shadow])])).toEqual(
      victims.map((v) => [v.account_id, [['balance_cents', 0, Number(v.balance_cents)]]]),
    );

    const projector = { name: PROJECTOR, source: 'events' };
    await expect(call('rebuilds.swap', { connectionId, rebuildId: started.rebuildId, projector, reason: 'fix' })).rejects.toMatchObject({
      code: 'confirmation_required',
    });
    const dry = await call('rebuilds.swap', { connectionId, rebuildId: started.rebuildId, projector, dryRun: true });
    expect(dry.confirmation).toBeTruthy();
    expect(await tableChecksum(db.pool, 'accounts_view', 'account_id')).toBe(corrupted);

    await call('connections.update', { id: connectionId, readOnly: true });
    await expect(
      call('rebuilds.swap', { connectionId, rebuildId: started.rebuildId, projector, confirmation: dry.confirmation!, reason: 'fix' }),
    ).rejects.toMatchObject({ code: 'read_only' });
    await call('connections.update', { id: connectionId, readOnly: false });
    await call('stores.configure', { connectionId, preset: 'classic' });

    const again = await call('rebuilds.swap', { connectionId, rebuildId: started.rebuildId, projector, dryRun: true });
    const swapped = await call('rebuilds.swap', {
      connectionId,
      rebuildId: started.rebuildId,
      projector,
      confirmation: again.confirmation!,
      reason: 'fix the zeroed balances',
    });
    expect(swapped.dryRun).toBe(false);
    expect(await tableChecksum(db.pool, 'accounts_view', 'account_id')).toBe(correct);
    expect(await tableChecksum(db.pool, swapped.beforeTable, 'account_id')).toBe(corrupted);

    const back = await call('rebuilds.rollback', { connectionId, rebuildId: started.rebuildId, dryRun: true });
    await call('rebuilds.rollback', { connectionId, rebuildId: started.rebuildId, confirmation: back.confirmation!, reason: 'check the old one' });
    expect(await tableChecksum(db.pool, 'accounts_view', 'account_id')).toBe(corrupted);

    const audit = await call('audit.list', { operation: 'rebuilds.swap' });
    expect(audit.records.map((r) => [r.outcome, r.dryRun, r.reason])).toEqual(
      expect.arrayContaining([
        ['ok', false, 'fix the zeroed balances'],
        ['refused', false, 'fix'],
      ]),
    );
  });

  it('lists the table a roll back left (it still holds the rebuilt rows) and drops it; offers no rebuild of tables that are not read models', async () => {
    const catalog = await call('rebuilds.catalog', { connectionId });
    const models = catalog.models.map((m) => m.model);
    for (const table of ['outbox', 'subject_keys', 'snapshots', 'projection_checkpoints', 'reference_markers', 'events']) expect(models).not.toContain(table);
    const rolledBack = catalog.models.find((m) => m.model === 'accounts_view')!.rebuilds.find((r) => r.phase === 'rolled_back')!;
    expect(rolledBack.leftover).toMatchObject({ table: expect.stringMatching(/^accounts_view__after_[\d_]+$/), rows: expect.any(Number) });
    const table = rolledBack.leftover!.table;
    expect(rolledBack.leftover!.rows).toBe(Number((await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`)).rows[0]!.n));
    expect(models).not.toContain(table);

    const dry = await call('rebuilds.drop', { connectionId, rebuildId: rolledBack.id, what: 'shadow', dryRun: true });
    expect(dry).toMatchObject({ table, dropped: false });
    await expect(call('rebuilds.drop', { connectionId, rebuildId: rolledBack.id, what: 'shadow', confirmation: dry.confirmation! })).rejects.toMatchObject({
      code: 'invalid_input',
      details: { problems: [expect.objectContaining({ field: 'reason' })] },
    });
    await call('rebuilds.drop', {
      connectionId,
      rebuildId: rolledBack.id,
      what: 'shadow',
      confirmation: dry.confirmation!,
      reason: 'rebuilt rows hold personal data',
    });
    expect((await db.pool.query('SELECT to_regclass($1) AS t', [table])).rows[0].t).toBeNull();
    const after = (await call('rebuilds.catalog', { connectionId })).models
      .find((m) => m.model === 'accounts_view')!
      .rebuilds.find((r) => r.id === rolledBack.id)!;
    expect(after.leftover).toBeNull();
    expect(await tableChecksum(db.pool, 'accounts_view', 'account_id')).not.toBe('');
  });

  it('rebuilds chosen streams only: the swap replaces their rows and leaves the others byte-identical', async () => {
    const { rows } = await db.pool.query<{ account_id: string }>('SELECT account_id FROM accounts_view ORDER BY account_id DESC LIMIT 2');
    const [chosen, other] = rows.map((r) => r.account_id) as [string, string];
    await db.pool.query('UPDATE accounts_view SET balance_cents = 7 WHERE account_id = ANY($1)', [[chosen, other]]);
    const asText = async () =>
      new Map(
        (await db.pool.query<{ k: string; r: string }>('SELECT account_id AS k, to_jsonb(t)::text AS r FROM accounts_view t')).rows.map((r) => [r.k, r.r]),
      );
    const before = await asText();
    const started = await call('rebuilds.start', { connectionId, model: 'accounts_view', definition: { builtin: true }, streamIds: [chosen] });
    const job = await eventually(
      async () => (await call('jobs.list', {})).jobs.find((j) => j.id === started.jobId && ['done', 'failed'].includes(j.state)),
      30_000,
      'the partial rebuild',
    );
    expect(job.error).toBeUndefined();
    const diff = await call('rebuilds.diff', { connectionId, rebuildId: started.rebuildId });
    expect(diff).toMatchObject({ liveRows: 1, shadowRows: 1, changed: { count: 1, keys: [chosen] } });
    const dry = await call('rebuilds.swap', { connectionId, rebuildId: started.rebuildId, dryRun: true });
    await call('rebuilds.swap', { connectionId, rebuildId: started.rebuildId, confirmation: dry.confirmation!, reason: 'one account' });
    const after = await asText();
    expect(after.get(chosen)).not.toBe(before.get(chosen));
    expect(JSON.parse(after.get(chosen)!).balance_cents).not.toBe(7);
    for (const [key, row] of before) if (key !== chosen) expect(after.get(key)).toBe(row);
  });

  it('refuses a user definition that does not load, with the reason', async () => {
    await expect(
      call('rebuilds.start', { connectionId, model: 'accounts_view', definition: { name: 'broken', source: 'definition = { key() {} };' } }),
    ).rejects.toMatchObject({
      code: 'definition_error',
      message: expect.stringContaining('definition.apply(row, event) must be a function'),
    });
  });
});
