import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { diffPostgres } from '../../../src-main/engine/rebuild/diff';
import { rebuildPostgres } from '../../../src-main/engine/rebuild/rebuild-postgres';
import { rollbackPostgres, swapPostgres } from '../../../src-main/engine/rebuild/swap-postgres';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createPgliteDatabase, type TestDatabase } from '../reference/support';
import type { DomainEvent } from '../../../src-main/reference/events';
import { newId } from '../../../src-main/reference/ids';
import { eventColumnArrays, INSERT_EVENTS_SQL } from '../../../src-main/reference/postgres/rows';
import { PROJECTOR, referenceProjector, seedReferenceStore, tableChecksum, referenceCheckpoints } from './support';

const opened = (accountId: string): DomainEvent => ({
  eventId: newId(),
  aggregateId: accountId,
  aggregateType: 'Account',
  version: 1,
  timestamp: new Date().toISOString(),
  type: 'AccountOpened',
  data: { ownerId: 'o', currency: 'EUR' },
  metadata: { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1 },
});

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createPgliteDatabase();
  store = await seedReferenceStore(database.pool, 3000, 17, 'insert');
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

describe('rebuilds on PGlite (the Local workspace)', () => {
  it('rebuilds accounts_view equal to the reference projector, swaps with the projector checkpoint and rolls back', async () => {
    const live = await tableChecksum(database.pool, 'accounts_view', 'account_id');
    const record = await rebuildPostgres({
      pool: database.pool,
      feed: store,
      id: 'lite',
      model: 'accounts_view',
      definition: REFERENCE_POSTGRES_MODELS['accounts_view']!,
    });
    expect(
      await diffPostgres(database.pool, { live: 'accounts_view', shadow: record.shadow, keyColumn: 'account_id', keyType: 'character varying(255)' }),
    ).toMatchObject({ identical: true });
    // Events after the rebuild, projected by the projector: the swap folds them inside its transaction.
    await database.pool.query(INSERT_EVENTS_SQL, eventColumnArrays([opened('acct-after-rebuild')]));
    await referenceProjector(database.pool).catchUp();
    const caughtUp = await tableChecksum(database.pool, 'accounts_view', 'account_id');
    const plan = await swapPostgres({
      pool: database.pool,
      feed: store,
      id: 'lite',
      definition: REFERENCE_POSTGRES_MODELS['accounts_view']!,
      projector: { name: PROJECTOR, source: 'events' },
      checkpoints: await referenceCheckpoints(database.pool),
      lockTimeoutMs: 5000,
    });
    expect(BigInt(plan.position)).toBeGreaterThan(BigInt(record.position)); // folded before the renames
    expect(await tableChecksum(database.pool, 'accounts_view', 'account_id')).toBe(caughtUp);
    expect(await tableChecksum(database.pool, plan.beforeTable, 'account_id')).toBe(caughtUp);
    await rollbackPostgres(database.pool, 'lite');
    expect(await tableChecksum(database.pool, 'accounts_view', 'account_id')).toBe(caughtUp);
    expect(caughtUp).not.toBe(live);
  });
});
