import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_POSTGRES_MODELS } from '../../../src-main/engine/rebuild/builtins';
import { diffPostgres } from '../../../src-main/engine/rebuild/diff';
import { rebuildPartialPostgres, rollbackPartialPostgres, scopeOf, swapPartialPostgres } from '../../../src-main/engine/rebuild/partial-postgres';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { PROJECTOR, seedReferenceStore } from './support';

let database: TestDatabase;
let store: PostgresEventStore;
const definition = BUILTIN_POSTGRES_MODELS['accounts_view']!;

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
    const diff = await diffPostgres(database.pool, { live: 'accounts_view', shadow: record.shadow, keyColumn: 'account_id', keyType: 'character varying(255)', liveKeys: chosen });
    expect(diff).toMatchObject({ liveRows: 3, shadowRows: 3, changed: { count: 3 }, onlyInLive: { count: 0 }, onlyInShadow: { count: 0 } });

    const swapped = await swapPartialPostgres({ pool: database.pool, feed: store, id: 'part', definition, projector: { name: PROJECTOR, source: 'events' } });
    expect(swapped.replaced).toBe(3);
    const after = await rowsByKey();
    for (const key of chosen) expect(after.get(key)).toBe(correct.get(key));
    for (const [key, row] of corrupted) if (!chosen.includes(key)) expect(after.get(key)).toBe(row);
    expect(after.size).toBe(corrupted.size);

    await rollbackPartialPostgres(database.pool, 'part');
    expect(await rowsByKey()).toEqual(corrupted);
  });
});
