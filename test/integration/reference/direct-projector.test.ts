import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainEvent } from '../../../src-main/reference/events';
import { newId } from '../../../src-main/reference/ids';
import { eventColumnArrays, INSERT_EVENTS_SQL } from '../../../src-main/reference/postgres/rows';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { accountsViewSpec } from '../../../src-main/reference/projectors/accounts-view';
import { DirectProjector } from '../../../src-main/reference/projectors/direct-projector';
import { createTestDatabase, type TestDatabase } from './support';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await ensureReferenceSchema(database.pool);
});

afterAll(async () => {
  await database?.drop();
});

function accountEvent(accountId: string, version: number): DomainEvent {
  const base = {
    eventId: newId(),
    aggregateId: accountId,
    aggregateType: 'Account' as const,
    version,
    timestamp: new Date().toISOString(),
    metadata: { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1 },
  };
  return version === 1
    ? { ...base, type: 'AccountOpened', data: { ownerId: 'o', currency: 'EUR' } }
    : { ...base, type: 'MoneyDeposited', data: { amountCents: 1, balanceCents: version - 1 } };
}

async function begin(event: DomainEvent): Promise<pg.PoolClient> {
  const client = await database.pool.connect();
  await client.query('BEGIN');
  await client.query(INSERT_EVENTS_SQL, eventColumnArrays([event]));
  return client;
}

async function finish(client: pg.PoolClient, how: 'COMMIT' | 'ROLLBACK'): Promise<void> {
  await client.query(how);
  client.release();
}

async function balance(accountId: string): Promise<number | undefined> {
  const { rows } = await database.pool.query('SELECT balance_cents FROM accounts_view WHERE account_id = $1', [accountId]);
  return rows[0] ? Number(rows[0].balance_cents) : undefined;
}

describe('direct projector (reads events by global position)', () => {
  it('waits at a hole while the transaction holding it is open, then takes both events in order', async () => {
    const skipped: string[] = [];
    const projector = new DirectProjector(database.pool, {
      name: 'direct-a',
      views: [accountsViewSpec],
      gapSettleMs: 20,
      onGapSkipped: (f, t, r) => skipped.push(`${f}-${t}:${r}`),
    });
    await finish(await begin(accountEvent('acc-a', 1)), 'COMMIT');
    await projector.catchUp();
    const slow = await begin(accountEvent('acc-a', 2)); // takes the lower position, commits last
    await finish(await begin(accountEvent('acc-b', 1)), 'COMMIT');
    for (let i = 0; i < 5; i++) {
      const step = await projector.runOnce();
      expect(step.applied).toBe(0);
      expect(step.waitingOnGap).toBe(true);
      await new Promise((r) => setTimeout(r, 40)); // time passes with the hole open: nothing to await, the projector must keep waiting
    }
    await finish(slow, 'COMMIT');
    const step = await projector.runOnce();
    expect(step.applied).toBe(2);
    expect(await balance('acc-a')).toBe(1);
    expect(await balance('acc-b')).toBe(0);
    expect(skipped).toEqual([]);
  });

  it('passes a hole left by a rollback once every transaction that could fill it has ended', async () => {
    const skipped: string[] = [];
    const projector = new DirectProjector(database.pool, {
      name: 'direct-b',
      views: [accountsViewSpec],
      gapSettleMs: 20,
      gapTimeoutMs: 60_000,
      onGapSkipped: (f, t, r) => skipped.push(r),
    });
    await projector.catchUp();
    const doomed = await begin(accountEvent('acc-c', 1));
    await finish(await begin(accountEvent('acc-d', 1)), 'COMMIT');
    expect((await projector.runOnce()).waitingOnGap).toBe(true);
    await finish(doomed, 'ROLLBACK');
    const started = Date.now();
    await projector.catchUp();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await balance('acc-d')).toBe(0);
    expect(skipped).toEqual(['settled']);
  });

  it('never skips an event under concurrent writers that commit out of order and roll back', async () => {
    const projector = new DirectProjector(database.pool, {
      name: 'direct-c',
      views: [accountsViewSpec],
      batchSize: 50,
      gapSettleMs: 20,
      gapTimeoutMs: 600_000,
    });
    const errors: unknown[] = [];
    projector.start((err) => errors.push(err));
    const committed = new Map<string, number>();
    const writer = async (w: number) => {
      const id = `stress-${w}`;
      let version = 0;
      for (let i = 0; i < 25; i++) {
        const client = await begin(accountEvent(id, version + 1));
        await new Promise((r) => setTimeout(r, Math.random() * 15)); // hold the position a while
        if (version > 0 && Math.random() < 0.3) {
          await finish(client, 'ROLLBACK');
        } else {
          await finish(client, 'COMMIT');
          version++;
        }
      }
      committed.set(id, version);
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
    const { rows } = await database.pool.query<{ head: string }>('SELECT max(global_position)::text AS head FROM events');
    const head = BigInt(rows[0]!.head);
    const deadline = Date.now() + 15_000;
    while ((await projector.position()) < head && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await projector.stop();
    expect(errors).toEqual([]);
    expect(await projector.position()).toBe(head);
    for (const [id, version] of committed) {
      expect(await balance(id), id).toBe(version - 1); // one AccountOpened, then deposits of 1 cent
    }
  });
});
