import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAggregate } from '../../../src-main/reference/commands/aggregate-loader';
import { CommandHandler } from '../../../src-main/reference/commands/handlers';
import { PersonalDataCodec } from '../../../src-main/reference/crypto/personal-data';
import { ConcurrencyConflictError } from '../../../src-main/reference/errors';
import type { DomainEvent } from '../../../src-main/reference/events';
import { newId } from '../../../src-main/reference/ids';
import { ReferencePostgresStore } from '../../../src-main/reference/postgres/event-store';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { PostgresSubjectKeyStore } from '../../../src-main/reference/postgres/subject-keys';
import { createTestDatabase, type TestDatabase } from './support';

let database: TestDatabase;
let store: ReferencePostgresStore;
let keys: PostgresSubjectKeyStore;
let handler: CommandHandler;

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureReferenceSchema(database.pool);
  await ensureReferenceSchema(database.pool); // idempotent
  store = new ReferencePostgresStore(database.pool);
  keys = new PostgresSubjectKeyStore(database.pool);
  handler = new CommandHandler({ storeFor: () => store, codec: new PersonalDataCodec(keys), snapshotEvery: 10 });
});

afterAll(async () => {
  await database?.drop();
});

function event(aggregateId: string, version: number): DomainEvent {
  return {
    eventId: newId(),
    type: 'MoneyDeposited',
    aggregateId,
    aggregateType: 'Account',
    version,
    timestamp: new Date().toISOString(),
    data: { amountCents: 1, balanceCents: version },
    metadata: { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1 },
  };
}

describe('Postgres event store', () => {
  it('appends events with their outbox rows in one transaction', async () => {
    const result = await handler.execute(
      'Product',
      'p-1',
      { type: 'CreateProduct', name: 'Lamp', sku: 'L1', priceCents: 1999, initialStock: 5 },
      { userId: 'alice' },
    );
    const { rows } = await database.pool.query(
      'SELECT e.event_id, e.global_position, o.payload FROM events e JOIN outbox o USING (event_id) WHERE e.aggregate_id = $1',
      ['p-1'],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].event_id).toBe(result.eventIds[0]);
    expect(rows[0].payload).toMatchObject({
      type: 'ProductCreated',
      aggregateId: 'p-1',
      version: 1,
      globalPosition: String(rows[0].global_position),
      metadata: { userId: 'alice' },
    });
  });

  it('lets exactly one of two concurrent appends of the same version win, through the unique index', async () => {
    await handler.execute('Account', 'a-race', { type: 'OpenAccount', ownerId: 'o', currency: 'EUR' });
    const attempts = await Promise.allSettled(
      [0, 1, 2, 3].map(() => store.append({ aggregateType: 'Account', aggregateId: 'a-race', expectedVersion: 1, events: [event('a-race', 2)] })),
    );
    const failures = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    expect(failures).toHaveLength(3);
    for (const f of failures) {
      expect(f.reason).toBeInstanceOf(ConcurrencyConflictError);
      expect(String(f.reason.message)).toContain('Account a-race: expected version 1');
    }
    const { rows } = await database.pool.query('SELECT count(*)::int AS n FROM outbox WHERE aggregate_id = $1', ['a-race']);
    expect(rows[0].n).toBe(2); // the losers left no outbox row behind
  });

  it('reports concurrent commands on one aggregate as conflicts, never as a negative balance', async () => {
    await handler.execute('Account', 'a-2', { type: 'OpenAccount', ownerId: 'o', currency: 'EUR' });
    await handler.execute('Account', 'a-2', { type: 'DepositMoney', amountCents: 100 });
    const attempts = await Promise.allSettled([1, 2, 3, 4, 5].map(() => handler.execute('Account', 'a-2', { type: 'WithdrawMoney', amountCents: 60 })));
    const ok = attempts.filter((a) => a.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    expect((await handler.load('Account', 'a-2')).state.balanceCents).toBe(40);
  });

  it('makes a retried command idempotent, even when the retries race', async () => {
    await handler.execute('Account', 'a-3', { type: 'OpenAccount', ownerId: 'o', currency: 'EUR' });
    const results = await Promise.all(
      [1, 2, 3].map(() => handler.execute('Account', 'a-3', { type: 'DepositMoney', amountCents: 70 }, { commandId: 'deposit-once' })),
    );
    expect(new Set(results.map((r) => r.eventIds[0])).size).toBe(1);
    expect((await handler.load('Account', 'a-3')).state.balanceCents).toBe(70);
  });

  it('loads from a snapshot to the same state as a full replay', async () => {
    await handler.execute('Product', 'p-snap', { type: 'CreateProduct', name: 'Chair', sku: 'C', priceCents: 5000, initialStock: 0 });
    for (let i = 1; i <= 34; i++) {
      if (i % 7 === 0) await handler.execute('Product', 'p-snap', { type: 'ChangePrice', priceCents: 5000 + i });
      else await handler.execute('Product', 'p-snap', { type: 'AdjustStock', delta: i, reason: 'restock' });
    }
    const { rows } = await database.pool.query('SELECT version FROM snapshots WHERE aggregate_id = $1 ORDER BY version', ['p-snap']);
    expect(rows.map((r) => r.version)).toEqual([10, 20, 30]);
    const fromSnapshot = await loadAggregate(store, 'Product', 'p-snap');
    const replay = await loadAggregate(store, 'Product', 'p-snap', { useSnapshots: false });
    expect(fromSnapshot.fromSnapshotVersion).toBe(30);
    expect(fromSnapshot.version).toBe(35);
    expect(fromSnapshot.state).toEqual(replay.state);
  });

  it('keeps personal data encrypted at rest, readable with the key and gone without it', async () => {
    const address = { street: '5 Rue Neuve', city: 'Paris', postalCode: '75001', country: 'FR' };
    await handler.execute('Customer', 'cust-1', { type: 'RegisterCustomer', firstName: 'Marie', lastName: 'Curie', email: 'marie@example.org', address });
    const { rows } = await database.pool.query('SELECT event_data::text AS data, metadata FROM events WHERE aggregate_id = $1', ['cust-1']);
    expect(rows[0].data).not.toMatch(/Marie|Curie|marie@|Paris/);
    const { rows: keyRows } = await database.pool.query('SELECT key_id FROM subject_keys WHERE subject_id = $1', ['cust-1']);
    expect(rows[0].metadata.subjectKeyId).toBe(keyRows[0].key_id);
    expect((await handler.load('Customer', 'cust-1')).state).toMatchObject({ firstName: 'Marie', email: 'marie@example.org' });
    expect(await keys.shred('cust-1')).toBe(true);
    expect((await handler.load('Customer', 'cust-1')).state).toMatchObject({ status: 'registered', firstName: null, email: null, address: null });
  });
});
