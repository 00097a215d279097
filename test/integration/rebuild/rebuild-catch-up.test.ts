import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { readRebuild } from '../../../src-main/engine/rebuild/postgres-target';
import { rebuildPostgres } from '../../../src-main/engine/rebuild/rebuild-postgres';
import type { DomainEvent } from '../../../src-main/reference/events';
import { newId } from '../../../src-main/reference/ids';
import { eventColumnArrays, INSERT_EVENTS_SQL } from '../../../src-main/reference/postgres/rows';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, eventually, type TestDatabase } from '../reference/support';
import { referenceProjector, seedReferenceStore, tableChecksum } from './support';

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase('rebuildfollow');
  store = await seedReferenceStore(database.pool, 3000, 21);
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

function accountEvents(accountId: string, deposits: number): DomainEvent[] {
  const meta = { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1 };
  const at = (v: number) => ({
    eventId: newId(),
    aggregateId: accountId,
    aggregateType: 'Account' as const,
    version: v,
    timestamp: new Date().toISOString(),
    metadata: meta,
  });
  return [
    { ...at(1), type: 'AccountOpened', data: { ownerId: 'o', currency: 'EUR' } },
    ...Array.from({ length: deposits }, (_, i) => ({ ...at(i + 2), type: 'MoneyDeposited', data: { amountCents: 100 + i, balanceCents: 0 } })),
  ];
}

async function open(events: DomainEvent[]): Promise<pg.PoolClient> {
  const client = await database.pool.connect();
  await client.query('BEGIN');
  await client.query(INSERT_EVENTS_SQL, eventColumnArrays(events));
  return client;
}

async function end(client: pg.PoolClient, how: 'COMMIT' | 'ROLLBACK'): Promise<void> {
  await client.query(how);
  client.release();
}

describe('catch-up after the load', () => {
  it('follows new events up to the swap, waiting for a late commit and passing a rollback, skipping nothing', async () => {
    const stop = new AbortController();
    const running = rebuildPostgres({
      pool: database.pool,
      feed: store,
      id: 'follow',
      model: 'accounts_view',
      definition: REFERENCE_POSTGRES_MODELS['accounts_view']!,
      followUntil: stop.signal,
      followPollMs: 50,
    });
    await eventually(async () => (await readRebuild(database.pool, 'follow'))?.phase === 'indexed', 30_000, 'the load to end');

    const late = await open(accountEvents('acct-late', 3)); // takes lower positions, commits last
    await end(await open(accountEvents('acct-early', 2)), 'COMMIT');
    await end(await open(accountEvents('acct-rolled-back', 4)), 'ROLLBACK');
    await end(await open(accountEvents('acct-after', 1)), 'COMMIT');
    await new Promise((r) => setTimeout(r, 300)); // several follow steps see the hole the open transaction holds
    await end(late, 'COMMIT');

    const head = (await store.headPosition())!;
    await eventually(async () => BigInt((await readRebuild(database.pool, 'follow'))!.position) >= BigInt(head), 30_000, 'the catch-up to reach the head');
    stop.abort();
    const record = await running;
    await referenceProjector(database.pool).catchUp();
    const { rows } = await database.pool.query<{ account_id: string }>(`SELECT account_id FROM ${record.shadow} WHERE account_id = ANY($1) ORDER BY 1`, [
      ['acct-late', 'acct-early', 'acct-rolled-back', 'acct-after'],
    ]);
    expect(rows.map((r) => r.account_id)).toEqual(['acct-after', 'acct-early', 'acct-late']);
    expect(await tableChecksum(database.pool, record.shadow, 'account_id')).toBe(await tableChecksum(database.pool, 'accounts_view', 'account_id'));
  });
});
