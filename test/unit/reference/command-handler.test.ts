import { describe, expect, it } from 'vitest';
import { loadAggregate } from '../../../src-main/reference/commands/aggregate-loader';
import { CommandHandler } from '../../../src-main/reference/commands/handlers';
import { InMemorySubjectKeyStore, PersonalDataCodec } from '../../../src-main/reference/crypto/personal-data';
import { ConcurrencyConflictError, DomainRuleViolation } from '../../../src-main/reference/errors';
import { newId } from '../../../src-main/reference/ids';
import { InMemoryEventStore } from './in-memory-store';

function setup(snapshotEvery = 100) {
  const store = new InMemoryEventStore();
  const keys = new InMemorySubjectKeyStore(newId);
  const handler = new CommandHandler({ storeFor: () => store, codec: new PersonalDataCodec(keys), snapshotEvery });
  return { store, keys, handler };
}

describe('CommandHandler', () => {
  it('appends versioned, self-contained events', async () => {
    const { store, handler } = setup();
    const result = await handler.execute(
      'Account',
      'a1',
      { type: 'OpenAccount', ownerId: 'c1', currency: 'EUR' },
      { userId: 'alice', correlationId: 'corr-1' },
    );
    await handler.execute('Account', 'a1', { type: 'DepositMoney', amountCents: 100 });
    expect(result).toMatchObject({ aggregateId: 'a1', version: 1, duplicate: false });
    const [opened, deposited] = store.streams.get('a1')!;
    expect(opened).toMatchObject({
      type: 'AccountOpened',
      aggregateType: 'Account',
      version: 1,
      metadata: { userId: 'alice', correlationId: 'corr-1', schemaVersion: 1 },
    });
    expect(deposited?.version).toBe(2);
  });

  it('is idempotent: a retried command id records nothing new and returns the first result', async () => {
    const { store, handler } = setup();
    await handler.execute('Account', 'a1', { type: 'OpenAccount', ownerId: 'c1', currency: 'EUR' });
    const first = await handler.execute('Account', 'a1', { type: 'DepositMoney', amountCents: 100 }, { commandId: 'cmd-1' });
    const retry = await handler.execute('Account', 'a1', { type: 'DepositMoney', amountCents: 100 }, { commandId: 'cmd-1' });
    expect(retry).toEqual({ ...first, duplicate: true });
    expect(store.streams.get('a1')).toHaveLength(2);
    expect((await handler.load('Account', 'a1')).state.balanceCents).toBe(100);
  });

  it('reports a concurrent append as a conflict naming the aggregate and expected version', async () => {
    const { store, handler } = setup();
    await handler.execute('Account', 'a1', { type: 'OpenAccount', ownerId: 'c1', currency: 'EUR' });
    let raced = false;
    store.beforeWrite = (request) => {
      if (raced) return;
      raced = true;
      store.beforeWrite = undefined;
      // Another writer appends version 2 between our load and our append.
      void store.append({ ...request, events: request.events.map((e) => ({ ...e, eventId: newId() })) });
    };
    const err = await handler.execute('Account', 'a1', { type: 'DepositMoney', amountCents: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrencyConflictError);
    expect((err as ConcurrencyConflictError).message).toContain('Account a1: expected version 1');
  });

  it('links a transfer by correlation and causation, and refuses overdrafts', async () => {
    const { store, handler } = setup();
    await handler.execute('Account', 'a1', { type: 'OpenAccount', ownerId: 'c1', currency: 'EUR' });
    await handler.execute('Account', 'a2', { type: 'OpenAccount', ownerId: 'c2', currency: 'EUR' });
    await handler.execute('Account', 'a1', { type: 'DepositMoney', amountCents: 1000 });
    const { sent } = await handler.transfer('a1', 'a2', 400, { transferId: 't1' });
    const received = store.streams.get('a2')!.at(-1)!;
    expect(received.metadata).toMatchObject({ correlationId: 't1', causationId: sent.eventIds[0] });
    await expect(handler.transfer('a1', 'a2', 601)).rejects.toBeInstanceOf(DomainRuleViolation);
    expect((await handler.load('Account', 'a2')).state.balanceCents).toBe(400);
  });

  it('takes a snapshot every N events, and loading from it equals a full replay', async () => {
    const { store, handler } = setup(10);
    await handler.execute('Product', 'p1', { type: 'CreateProduct', name: 'Lamp', sku: 'L', priceCents: 100, initialStock: 0 });
    for (let i = 1; i <= 24; i++) await handler.execute('Product', 'p1', { type: 'AdjustStock', delta: i, reason: 'restock' });
    expect(store.snapshots.get('p1')?.map((s) => s.version)).toEqual([10, 20]);
    const fromSnapshot = await loadAggregate(store, 'Product', 'p1');
    const replay = await loadAggregate(store, 'Product', 'p1', { useSnapshots: false });
    expect(fromSnapshot.fromSnapshotVersion).toBe(20);
    expect(replay.fromSnapshotVersion).toBe(0);
    expect(fromSnapshot.state).toEqual(replay.state);
    expect(fromSnapshot.version).toBe(25);
  });

  it('stores customer personal data encrypted and never snapshots it', async () => {
    const { store, keys, handler } = setup(1);
    const address = { street: '1 Main St', city: 'Lyon', postalCode: '69001', country: 'FR' };
    await handler.execute('Customer', 'c1', { type: 'RegisterCustomer', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org', address });
    await handler.execute('Customer', 'c1', { type: 'ChangeCustomerEmail', email: 'ada@lovelace.dev' });
    expect(JSON.stringify(store.streams.get('c1'))).not.toMatch(/Ada|Lovelace|lovelace|Lyon/);
    expect(store.snapshots.get('c1')).toBeUndefined();
    expect((await handler.load('Customer', 'c1')).state).toMatchObject({ firstName: 'Ada', email: 'ada@lovelace.dev' });
    keys.shred('c1');
    expect((await handler.load('Customer', 'c1')).state).toMatchObject({ status: 'registered', firstName: null, email: null });
  });
});
