import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { CommandHandler } from '../../../src-main/reference/commands/handlers';
import type { AccountCommand, AccountState } from '../../../src-main/reference/domain/accounts';
import { DomainRuleViolation } from '../../../src-main/reference/errors';
import { ensureMongoIndexes, ReferenceMongoStore } from '../../../src-main/reference/mongo/event-store';
import { createTestEngine, engineCaller } from '../engine-support';
import { testServices } from '../env';
import { createTestMongo, type TestMongo } from '../reference/support';

/**
 * Time travel through the engine on the reference system's MongoDB store (FerretDB):
 * what the command side held at each version and instant, snapshots found in the
 * `snapshots` collection, and a corrupted one detected.
 */
const ACCOUNT = 'acc-mongo-travel';
const START = Date.parse('2026-04-01T08:00:00.000Z');
const COMMANDS = 260;

let mongo: TestMongo;
let engine: Engine;
let connectionId: string;
const commandStates: AccountState[] = [];
const recordedAt: number[] = [];

const call = engineCaller(() => engine);

beforeAll(async () => {
  mongo = await createTestMongo('travel');
  await ensureMongoIndexes(mongo.db);
  const store = new ReferenceMongoStore(mongo.db);
  let clock = START;
  const handler = new CommandHandler({ storeFor: () => store, snapshotEvery: 50, now: () => new Date(clock) });
  commandStates[0] = (await handler.load('Account', ACCOUNT)).state;
  let seed = 99;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < COMMANDS; i++) {
    clock += 30_000;
    const amountCents = 1 + Math.floor(rnd() * 4000);
    const command: AccountCommand =
      i === 0
        ? { type: 'OpenAccount', ownerId: 'owner-m', currency: 'EUR' }
        : rnd() < 0.6
          ? { type: 'DepositMoney', amountCents }
          : { type: 'WithdrawMoney', amountCents };
    try {
      const result = await handler.execute('Account', ACCOUNT, command);
      commandStates[result.version] = (await handler.load('Account', ACCOUNT)).state;
      recordedAt[result.version] = clock;
    } catch (err) {
      if (!(err instanceof DomainRuleViolation)) throw err;
    }
  }
  engine = await createTestEngine('travel-mongo');
  connectionId = (await call('connections.add', { name: 'Mongo reference', settings: { kind: 'mongo', uri: testServices.mongoUrl, database: mongo.name } })).id;
  await call('stores.configure', { connectionId, preset: 'reference-mongo', reason: 'test' });
}, 240_000);

afterAll(async () => {
  await engine?.dispose();
  await mongo?.drop();
});

const lastVersion = () => commandStates.length - 1;

describe('time travel over the reference MongoDB store (FerretDB)', () => {
  it('rebuilds the state the command side held at versions, with and without the stored snapshot', async () => {
    expect(lastVersion()).toBeGreaterThan(150);
    for (const version of [1, 49, 50, 51, 173, lastVersion()]) {
      const replayed = await call('timeTravel.state', { connectionId, streamId: ACCOUNT, target: { version }, definition: 'auto', useSnapshot: false });
      expect(replayed).toMatchObject({ version, state: commandStates[version], fromSnapshotVersion: 0, definition: 'account' });
      const fast = await call('timeTravel.state', { connectionId, streamId: ACCOUNT, target: { version }, definition: 'auto', useSnapshot: true });
      expect(fast.state).toEqual(commandStates[version]);
      expect(fast.fromSnapshotVersion).toBe(Math.floor(version / 50) * 50); // the latest snapshot at or before it
    }
  });

  it('rebuilds the state the command side held at an instant', async () => {
    const v = 120;
    const at = await call('timeTravel.state', {
      connectionId,
      streamId: ACCOUNT,
      target: { time: new Date(recordedAt[v]!).toISOString() },
      definition: 'account',
      useSnapshot: false,
    });
    expect(at).toMatchObject({ version: v, state: commandStates[v] });
    const before = await call('timeTravel.state', {
      connectionId,
      streamId: ACCOUNT,
      target: { time: new Date(recordedAt[v]! - 1).toISOString() },
      definition: 'account',
      useSnapshot: false,
    });
    expect(before.version).toBe(v - 1);
  });

  it('verifies the latest snapshot, then detects it once corrupted', async () => {
    const ok = await call('timeTravel.verifySnapshot', { connectionId, streamId: ACCOUNT, definition: 'account' });
    expect(ok).toMatchObject({ ok: true, diff: [] });
    const shift = (by: number) =>
      mongo.db.collection('snapshots').updateOne({ aggregateId: ACCOUNT, version: ok.snapshotVersion }, { $inc: { 'state.balanceCents': by } });
    await shift(7);
    try {
      const bad = await call('timeTravel.verifySnapshot', { connectionId, streamId: ACCOUNT, definition: 'account' });
      const expected = commandStates[ok.snapshotVersion]!.balanceCents;
      expect(bad).toMatchObject({
        ok: false,
        snapshotVersion: ok.snapshotVersion,
        diff: [{ path: ['balanceCents'], kind: 'changed', before: expected, after: expected + 7 }],
      });
    } finally {
      await shift(-7); // the snapshot as the other tests expect it
    }
  });
});
