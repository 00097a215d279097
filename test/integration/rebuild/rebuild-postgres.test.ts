import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { diffPostgres } from '../../../src-main/engine/rebuild/diff';
import { readRebuild } from '../../../src-main/engine/rebuild/postgres-target';
import { rebuildPostgres } from '../../../src-main/engine/rebuild/rebuild-postgres';
import { rollbackPostgres, swapPostgres } from '../../../src-main/engine/rebuild/swap-postgres';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { PROJECTOR, seedReferenceStore, tableChecksum, referenceCheckpoints } from './support';

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase('rebuild');
  store = await seedReferenceStore(database.pool, 20_000);
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

describe('rebuilding a PostgreSQL read model beside the live one', () => {
  it.each(['accounts_view', 'orders_view', 'products_view'])('rebuilds %s identical to what the reference projector produced', async (model) => {
    const record = await rebuildPostgres({
      pool: database.pool,
      feed: store,
      id: `same${model.slice(0, 3)}`,
      model,
      definition: REFERENCE_POSTGRES_MODELS[model]!,
      batchEvents: 3000,
    });
    expect(record.phase).toBe('indexed');
    const key = REFERENCE_POSTGRES_MODELS[model]!.keyColumn!;
    const diff = await diffPostgres(database.pool, { live: model, shadow: record.shadow, keyColumn: key, keyType: 'character varying(255)', pageRows: 700 });
    expect(diff.liveRows).toBeGreaterThan(10);
    expect(diff).toMatchObject({ identical: true, shadowRows: diff.liveRows });
    expect(await tableChecksum(database.pool, record.shadow, key)).toBe(await tableChecksum(database.pool, model, key));
  });

  it('shows corrupted rows in the diff, swaps them fixed, and rolls back to the old model exactly', async () => {
    await database.pool.query(
      `UPDATE accounts_view SET balance_cents = balance_cents + 1 WHERE account_id IN (SELECT account_id FROM accounts_view ORDER BY account_id LIMIT 3)`,
    );
    await database.pool.query(`DELETE FROM accounts_view WHERE account_id = (SELECT max(account_id) FROM accounts_view)`);
    const corrupted = await tableChecksum(database.pool, 'accounts_view', 'account_id');
    const record = await rebuildPostgres({
      pool: database.pool,
      feed: store,
      id: 'fixacc',
      model: 'accounts_view',
      definition: REFERENCE_POSTGRES_MODELS['accounts_view']!,
    });
    const diff = await diffPostgres(database.pool, {
      live: 'accounts_view',
      shadow: record.shadow,
      keyColumn: 'account_id',
      keyType: 'character varying(255)',
      pageRows: 50,
    });
    expect(diff.changed.count).toBe(3);
    expect(diff.onlyInShadow.count).toBe(1);
    expect(diff.onlyInLive.count).toBe(0);
    expect(diff.changed.sample[0]!.fields.map((f) => f.field)).toEqual(['balance_cents']);
    const expected = await tableChecksum(database.pool, record.shadow, 'account_id');

    const dry = await swapPostgres({
      pool: database.pool,
      feed: store,
      id: 'fixacc',
      definition: REFERENCE_POSTGRES_MODELS['accounts_view']!,
      projector: { name: PROJECTOR, source: 'events' },
      checkpoints: await referenceCheckpoints(database.pool),
      dryRun: true,
    });
    expect(await tableChecksum(database.pool, 'accounts_view', 'account_id')).toBe(corrupted);
    const plan = await swapPostgres({
      pool: database.pool,
      feed: store,
      id: 'fixacc',
      definition: REFERENCE_POSTGRES_MODELS['accounts_view']!,
      projector: { name: PROJECTOR, source: 'events' },
      checkpoints: await referenceCheckpoints(database.pool),
    });
    expect(plan.beforeTable).toBe(dry.beforeTable);
    expect(await tableChecksum(database.pool, 'accounts_view', 'account_id')).toBe(expected);
    expect(await tableChecksum(database.pool, plan.beforeTable, 'account_id')).toBe(corrupted);
    const indexes = await database.pool.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_view'`);
    expect(indexes.rows.map((r) => r.indexname)).toEqual(['accounts_view_pkey']);

    await rollbackPostgres(database.pool, 'fixacc');
    expect(await tableChecksum(database.pool, 'accounts_view', 'account_id')).toBe(corrupted);
    expect((await readRebuild(database.pool, 'fixacc'))!.phase).toBe('rolled_back');
    const restored = await database.pool.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE tablename = 'accounts_view'`);
    expect(restored.rows.map((r) => r.indexname)).toEqual(['accounts_view_pkey']);
  });

  it('swaps without a projector at the settled head (the swap does not wait for its own transaction)', async () => {
    const before = await tableChecksum(database.pool, 'products_view', 'product_id');
    const plan = await swapPostgres({
      pool: database.pool,
      feed: store,
      id: 'samepro',
      definition: REFERENCE_POSTGRES_MODELS['products_view']!,
      lockTimeoutMs: 5000,
    });
    expect(plan.position).toBe((await store.headPosition())!);
    expect(await tableChecksum(database.pool, 'products_view', 'product_id')).toBe(before);
  });
});
