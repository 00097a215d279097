import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { diffPostgres } from '../../../src-main/engine/rebuild/diff';
import { rebuildPartialPostgres, rollbackPartialPostgres, scopeOf, swapPartialPostgres } from '../../../src-main/engine/rebuild/partial-postgres';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import type { DomainEvent } from '../../../src-main/reference/events';
import { newId } from '../../../src-main/reference/ids';
import { eventColumnArrays, INSERT_EVENTS_SQL } from '../../../src-main/reference/postgres/rows';
import { PROJECTOR, referenceProjector, seedReferenceStore, referenceCheckpoints } from './support';

let database: TestDatabase;
let store: PostgresEventStore;
const definition = REFERENCE_POSTGRES_MODELS['accounts_view']!;

beforeAll(async () => {
  database = await createTestDatabase('rebuildpart');
  store = await seedReferenceStore(database.pool, 8000, 13);
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

/** Each row as the database's own JSON text, by key. */
async function rowsByKey(): Promise<Map<string, string>> {
  const { rows } = await database.pool.query<{ k: string; r: string }>('SELECT account_id AS k, to_jsonb(t)::text AS r FROM accounts_view t');
  return new Map(rows.map((r) => [r.k, r.r]));
}

describe('a partial rebuild of chosen streams', () => {
  it('replaces only the chosen keys, leaves every other row byte-identical, and rolls back those keys', async () => {
    const { rows } = await database.pool.query<{ account_id: string }>('SELECT account_id FROM accounts_view ORDER BY account_id LIMIT 6');
    const chosen = rows.slice(0, 3).map((r) => r.account_id);
    const others = rows.slice(3).map((r) => r.account_id);
    const correct = await rowsByKey();
    await database.pool.query('UPDATE accounts_view SET balance_cents = -1 WHERE account_id = ANY($1)', [[...chosen, ...others]]);
    const corrupted = await rowsByKey();

    const record = await rebuildPartialPostgres({ pool: database.pool, feed: store, id: 'part', model: 'accounts_view', definition, streamIds: chosen });
    expect(await scopeOf(database.pool, 'part')).toEqual([...chosen].sort());
    const diff = await diffPostgres(database.pool, {
      live: 'accounts_view',
      shadow: record.shadow,
      keyColumn: 'account_id',
      keyType: 'character varying(255)',
      liveKeys: chosen,
    });
    expect(diff).toMatchObject({ liveRows: 3, shadowRows: 3, changed: { count: 3 }, onlyInLive: { count: 0 }, onlyInShadow: { count: 0 } });

    // A deposit after the rebuild, applied by the projector to the (corrupted) live row: the swap folds it too.
    const { rows: last } = await database.pool.query<{ v: number }>('SELECT max(event_version) AS v FROM events WHERE aggregate_id = $1', [chosen[0]]);
    const deposit: DomainEvent = {
      eventId: newId(),
      aggregateId: chosen[0]!,
      aggregateType: 'Account',
      version: last[0]!.v + 1,
      timestamp: new Date().toISOString(),
      type: 'MoneyDeposited',
      data: { amountCents: 5, balanceCents: 0 },
      metadata: { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1 },
    };
    await database.pool.query(INSERT_EVENTS_SQL, eventColumnArrays([deposit]));
    await referenceProjector(database.pool).catchUp();
    const swapped = await swapPartialPostgres({
      pool: database.pool,
      feed: store,
      id: 'part',
      definition,
      projector: { name: PROJECTOR, source: 'events' },
      checkpoints: await referenceCheckpoints(database.pool),
    });
    expect(swapped.replaced).toBe(3);
    const after = await rowsByKey();
    const first = JSON.parse(after.get(chosen[0]!)!) as { balance_cents: number; version: number };
    const firstCorrect = JSON.parse(correct.get(chosen[0]!)!) as { balance_cents: number; version: number };
    expect([first.balance_cents, first.version]).toEqual([firstCorrect.balance_cents + 5, firstCorrect.version + 1]);
    for (const key of chosen.slice(1)) expect(after.get(key)).toBe(correct.get(key));
    for (const [key, row] of corrupted) if (!chosen.includes(key)) expect(after.get(key)).toBe(row);
    const corruptedAfterDeposit = await database.pool.query<{ r: string }>(
      `SELECT to_jsonb(t)::text AS r FROM ${swapped.beforeTable} t WHERE account_id = $1`,
      [chosen[0]],
    );
    expect(JSON.parse(corruptedAfterDeposit.rows[0]!.r).balance_cents).toBe(4); // the projector's -1 + 5, kept for roll back
    expect(after.size).toBe(corrupted.size);

    await rollbackPartialPostgres(database.pool, 'part');
    const restored = await rowsByKey();
    for (const [key, row] of corrupted) if (key !== chosen[0]) expect(restored.get(key)).toBe(row);
    expect(restored.get(chosen[0]!)).toBe(corruptedAfterDeposit.rows[0]!.r);
  });
});
