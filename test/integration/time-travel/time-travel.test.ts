import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DefinitionSource } from '../../../src-main/engine/definitions/definitions';
import { fieldHistory, stateAt, stepThrough, verifySnapshot } from '../../../src-main/engine/time-travel/reconstruct';
import { CommandHandler } from '../../../src-main/reference/commands/handlers';
import type { AccountCommand, AccountState } from '../../../src-main/reference/domain/accounts';
import { DomainRuleViolation } from '../../../src-main/reference/errors';
import { ReferencePostgresStore } from '../../../src-main/reference/postgres/event-store';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { latestSnapshot } from '../../../src-main/reference/postgres/snapshots';
import { presetMapping } from '../../../src-main/stores/presets';
import { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../reference/support';

const account: DefinitionSource = { name: 'account.js', source: readFileSync(join(process.cwd(), 'resources/projections/account.js'), 'utf8') };
const ACCOUNT = 'acc-time-travel';
const START = Date.parse('2026-03-01T10:00:00.000Z');
const COMMANDS = 1200;

let database: TestDatabase;
let store: PostgresEventStore;
/** What the command side computed after each version (index = version). */
const commandStates: AccountState[] = [];
/** The clock each version was recorded at. */
const recordedAt: number[] = [];

beforeAll(async () => {
  database = await createTestDatabase('timetravel');
  await ensureReferenceSchema(database.pool);
  const reference = new ReferencePostgresStore(database.pool);
  let clock = START;
  const handler = new CommandHandler({ storeFor: () => reference, snapshotEvery: 100, now: () => new Date(clock) });
  const load = async () => handler.load('Account', ACCOUNT);
  commandStates[0] = (await load()).state;
  let seed = 12345;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < COMMANDS; i++) {
    clock += 60_000;
    const amountCents = 1 + Math.floor(rnd() * 5000);
    const r = rnd();
    const command: AccountCommand =
      i === 0
        ? { type: 'OpenAccount', ownerId: 'owner-1', currency: 'EUR' }
        : r < 0.5
          ? { type: 'DepositMoney', amountCents }
          : r < 0.8
            ? { type: 'WithdrawMoney', amountCents }
            : { type: 'SendTransfer', transferId: `t-${i}`, toAccountId: 'acc-other', amountCents };
    try {
      const result = await handler.execute('Account', ACCOUNT, command);
      const loaded = await load();
      expect(loaded.version).toBe(result.version);
      commandStates[result.version] = loaded.state;
      recordedAt[result.version] = clock;
    } catch (err) {
      if (!(err instanceof DomainRuleViolation)) throw err;
    }
  }
  store = await PostgresEventStore.open(database.pool, presetMapping('classic'));
}, 180_000);

afterAll(async () => {
  await database?.drop();
});

const lastVersion = () => commandStates.length - 1;

describe('time travel over the reference Postgres store (classic preset)', () => {
  it('rebuilds the state the command side computed at any version', async () => {
    expect(lastVersion()).toBeGreaterThan(1000);
    for (const version of [0, 1, 2, 99, 100, 101, 517, 1000, lastVersion()]) {
      const result = await stateAt(store, ACCOUNT, { version }, account, { pageSize: 250 });
      expect(result.version).toBe(version);
      expect(result.state).toEqual(commandStates[version]);
    }
  });

  it('picks the right version for an instant', async () => {
    const v = 640;
    const at = await stateAt(store, ACCOUNT, { time: new Date(recordedAt[v]!).toISOString() }, account);
    expect(at).toMatchObject({ version: v, state: commandStates[v], timestamp: new Date(recordedAt[v]!).toISOString() });
    const justBefore = await stateAt(store, ACCOUNT, { time: new Date(recordedAt[v]! - 1).toISOString() }, account);
    expect(justBefore.version).toBe(v - 1);
    expect(justBefore.state).toEqual(commandStates[v - 1]);
  });

  it('starts from the stored snapshot and agrees with a full replay', async () => {
    const snapshot = await latestSnapshot(database.pool, ACCOUNT);
    expect(snapshot).not.toBeNull();
    const target = lastVersion();
    const fromSnapshot = await stateAt(store, ACCOUNT, { version: target }, account, { snapshot: { version: snapshot!.version, state: snapshot!.state } });
    expect(fromSnapshot.fromSnapshotVersion).toBe(snapshot!.version);
    expect(fromSnapshot.applied).toBe(target - snapshot!.version);
    expect(fromSnapshot.state).toEqual(commandStates[target]);
    expect(await verifySnapshot(store, ACCOUNT, { version: snapshot!.version, state: snapshot!.state }, account)).toMatchObject({ ok: true, diff: [] });
  });

  it('detects a corrupted snapshot and names the field', async () => {
    const shift = (by: number) =>
      database.pool.query(
        `UPDATE snapshots SET state = jsonb_set(state, '{balanceCents}', to_jsonb((state->>'balanceCents')::int + $2)) WHERE aggregate_id = $1 AND version = 500`,
        [ACCOUNT, by],
      );
    await shift(1);
    try {
      const { rows } = await database.pool.query<{ version: number; state: unknown }>(
        'SELECT version, state FROM snapshots WHERE aggregate_id = $1 AND version = 500',
        [ACCOUNT],
      );
      const corrupted = rows[0]!;
      const result = await verifySnapshot(store, ACCOUNT, corrupted, account);
      expect(result.ok).toBe(false);
      const expected = commandStates[500]!.balanceCents;
      expect(result.diff).toEqual([{ path: ['balanceCents'], kind: 'changed', before: expected, after: expected + 1 }]);
    } finally {
      await shift(-1); // the snapshot as the other tests expect it
    }
  });

  it('steps through versions and lists a field history', async () => {
    const { steps } = await stepThrough(store, ACCOUNT, 99, 102, account);
    expect(steps.map((s) => s.event.version)).toEqual([99, 100, 101, 102]);
    for (const s of steps) {
      expect(s.before).toEqual(commandStates[s.event.version - 1]);
      expect(s.after).toEqual(commandStates[s.event.version]);
    }
    const history = await fieldHistory(store, ACCOUNT, ['status'], account);
    expect(history.changes.map((c) => [c.event.version, c.before, c.after])).toEqual([[1, 'new', 'open']]);
  });
});
