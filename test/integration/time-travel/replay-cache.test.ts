import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { CLASSIC_EVENTS_DDL } from '../../../src-main/stores/postgres/classic-schema';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

/** A long stream without stored snapshots: later questions start from states earlier replays met. */
describe('time travel remembers states along a long stream', () => {
  const STREAM = 'account-cache';
  const EVENTS = 25_000;
  let db: TestDatabase;
  let engine: Engine;
  const call = engineCaller(() => engine);
  /** Waypoints are remembered per connection: a connection of its own gives each test an empty memory. */
  const freshConnection = async (name: string) => {
    const { id } = await call('connections.add', postgresConnection(name, db.url));
    await call('stores.configure', { connectionId: id, preset: 'classic', reason: 'test' });
    return (version: number, useSnapshot = true) =>
      call('timeTravel.state', { connectionId: id, streamId: STREAM, target: { version }, definition: 'account', useSnapshot });
  };

  beforeAll(async () => {
    db = await createTestDatabase('ttcache');
    await db.pool.query(CLASSIC_EVENTS_DDL);
    await db.pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, "timestamp")
       SELECT gen_random_uuid(), $1, 'Account', CASE WHEN v = 1 THEN 'AccountOpened' ELSE 'MoneyDeposited' END, v,
              CASE WHEN v = 1 THEN '{"ownerId":"o","currency":"EUR"}'::jsonb ELSE jsonb_build_object('balanceCents', v * 10) END,
              timestamptz '2026-02-01T00:00:00Z' + v * interval '1 second'
       FROM generate_series(1, $2::int) AS v`,
      [STREAM, EVENTS],
    );
    engine = await createTestEngine('ttcache');
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('starts a later replay from the nearest state an earlier one met, with the same result', async () => {
    const state = await freshConnection('Cache test');
    const first = await state(EVENTS);
    expect(first).toMatchObject({ version: EVENTS, fromSnapshotVersion: 0, applied: EVENTS });
    const later = await state(24_000);
    expect(later).toMatchObject({ version: 24_000, fromSnapshotVersion: 20_000, fromCache: true, applied: 4_000 });
    const fromZero = await state(24_000, false); // "no snapshot" means from version 1, cache included
    expect(fromZero).toMatchObject({ fromSnapshotVersion: 0, applied: 24_000 });
    expect(later.state).toEqual(fromZero.state);
    expect(later.state).toMatchObject({ status: 'open', balanceCents: 240_000 });
  });

  it('does not trust a remembered state once the store changed under it', async () => {
    const state = await freshConnection('Changed store');
    await state(EVENTS);
    expect(await state(24_000)).toMatchObject({ fromCache: true, fromSnapshotVersion: 20_000 });
    const shift = (sign: '+' | '-') =>
      db.pool.query(`UPDATE events SET "timestamp" = "timestamp" ${sign} interval '1 hour' WHERE aggregate_id = $1 AND event_version = 20000`, [STREAM]);
    await shift('+');
    try {
      const after = await state(24_000);
      expect(after.fromCache).toBeUndefined();
      expect(after).toMatchObject({ fromSnapshotVersion: 0, applied: 24_000, state: { balanceCents: 240_000 } });
    } finally {
      await shift('-'); // the stream as the other tests expect it
    }
  });
});
