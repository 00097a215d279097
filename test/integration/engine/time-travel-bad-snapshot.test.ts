import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { seedDemoWorkspace } from '../../../src-main/reference/demo/seed-demo';
import { createTestEngine, engineCaller, jobSettled, postgresConnection, type Call } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

/**
 * A stored snapshot known to differ from its events is never used silently to build a state
 * (issue 21, item 9): the reference demo seed on PostgreSQL, with one account's latest snapshot
 * 1,000 cents off as the live demo leaves it.
 */
describe('time travel with a wrong snapshot (PostgreSQL, demo seed)', () => {
  let db: TestDatabase;
  /** Quick check on (the default threshold). */
  let engine: Engine;
  /** Quick check off: only a remembered verification tells a wrong snapshot. */
  let unchecked: Engine;
  let call: Call;
  let callUnchecked: Call;
  let connectionId: string;
  let uncheckedId: string;
  let account: { id: string; stale: number; good: number };

  const balanceOf = (state: unknown) => (state as { balanceCents: number }).balanceCents;

  beforeAll(async () => {
    db = await createTestDatabase('badsnap');
    await seedDemoWorkspace(db.pool, { events: 4_000, seed: 7 });
    const { rows } = await db.pool.query<{ aggregate_id: string; versions: number[] }>(
      `SELECT aggregate_id, array_agg(version ORDER BY version) AS versions FROM snapshots WHERE aggregate_type = 'Account'
       GROUP BY aggregate_id HAVING count(*) >= 2 ORDER BY max(version) DESC, aggregate_id LIMIT 1`,
    );
    const row = rows[0]!;
    account = { id: row.aggregate_id, stale: Number(row.versions.at(-1)), good: Number(row.versions.at(-2)) };
    // What the live demo does to its stale snapshot (LiveDemo.leaveOneSnapshotStale).
    await db.pool.query(
      `UPDATE snapshots SET state = jsonb_set(state, '{balanceCents}', to_jsonb((state->>'balanceCents')::bigint + 1000)) WHERE aggregate_id = $1 AND version = $2`,
      [account.id, account.stale],
    );

    engine = await createTestEngine('badsnap');
    call = engineCaller(() => engine);
    unchecked = await createTestEngine('badsnap-unchecked', { env: { CHRONOSCOPE_SNAPSHOT_QUICK_CHECK_VERSIONS: '0' } });
    callUnchecked = engineCaller(() => unchecked);
    for (const [c, set] of [
      [call, (id: string) => (connectionId = id)],
      [callUnchecked, (id: string) => (uncheckedId = id)],
    ] as const) {
      const id = (await c('connections.add', postgresConnection('Demo', db.url))).id;
      await c('stores.configure', { connectionId: id, preset: 'classic', reason: 'test' });
      set(id);
    }
  }, 180_000);

  afterAll(async () => {
    await engine?.dispose();
    await unchecked?.dispose();
    await db?.drop();
  });

  it('finds a wrong snapshot of a short stream by a quick check, skips it and warns', async () => {
    expect(account.stale).toBeLessThanOrEqual(5_000);
    const target = { version: account.stale };
    const truth = await call('timeTravel.state', { connectionId, streamId: account.id, target, useSnapshot: false });
    const started = performance.now();
    const state = await call('timeTravel.state', { connectionId, streamId: account.id, target });
    console.log(`state at v${account.stale} with a quick check of the snapshot: ${(performance.now() - started).toFixed(0)} ms`);
    expect(state.fromSnapshotVersion).toBe(0);
    expect(state.applied).toBe(truth.applied);
    expect(balanceOf(state.state)).toBe(balanceOf(truth.state));
    expect(state.snapshot).toEqual({ version: account.stale, takenAt: expect.any(String), used: false, verification: 'differs', checkedBy: 'quickCheck' });
    expect(state.warning).toBe(
      `The stored snapshot at v${account.stale} differs from a replay of the events (found by a quick check) and was skipped: this state was replayed from the start.`,
    );
  });

  it('does not warn about a wrong snapshot later than a time target', async () => {
    const { rows } = await db.pool.query<{ timestamp: Date }>(`SELECT "timestamp" FROM events WHERE aggregate_id = $1 AND event_version = $2`, [
      account.id,
      account.good,
    ]);
    const state = await call('timeTravel.state', { connectionId, streamId: account.id, target: { time: rows[0]!.timestamp.toISOString() } });
    expect(state.version).toBeLessThan(account.stale);
    expect(state.warning).toBeUndefined();
    expect(state.snapshot).toBeUndefined();
  });

  it('uses a good snapshot and says it was verified', async () => {
    const state = await call('timeTravel.state', { connectionId, streamId: account.id, target: { version: account.good } });
    expect(state.fromSnapshotVersion).toBe(account.good);
    expect(state.applied).toBe(0);
    expect(state.snapshot).toEqual({ version: account.good, takenAt: expect.any(String), used: true, verification: 'ok', checkedBy: 'quickCheck' });
    expect(state.warning).toBeUndefined();
  });

  it('skips a snapshot remembered as wrong after "Verify snapshot", where no quick check runs', async () => {
    const target = { version: account.stale };
    const truth = await callUnchecked('timeTravel.state', { connectionId: uncheckedId, streamId: account.id, target, useSnapshot: false });
    const before = await callUnchecked('timeTravel.state', { connectionId: uncheckedId, streamId: account.id, target });
    // Not checked yet: used, and says so (the old behaviour, now labelled).
    expect(before.snapshot).toEqual({ version: account.stale, takenAt: expect.any(String), used: true, verification: 'unverified' });
    expect(balanceOf(before.state)).toBe(balanceOf(truth.state) + 1000);

    expect(await callUnchecked('timeTravel.verifySnapshot', { connectionId: uncheckedId, streamId: account.id })).toMatchObject({
      ok: false,
      snapshotVersion: account.stale,
    });
    const after = await callUnchecked('timeTravel.state', { connectionId: uncheckedId, streamId: account.id, target });
    expect(after.fromSnapshotVersion).toBe(0);
    expect(balanceOf(after.state)).toBe(balanceOf(truth.state));
    expect(after.snapshot).toEqual({ version: account.stale, takenAt: expect.any(String), used: false, verification: 'differs', checkedBy: 'verifySnapshot' });
    expect(after.warning).toContain(`snapshot at v${account.stale} differs from a replay`);
  });

  it('remembers what a "verify all" job found: the good snapshot is verified, without a quick check', async () => {
    const { jobId } = await callUnchecked('snapshots.verifyAll', { connectionId: uncheckedId, streamPrefix: account.id });
    expect((await jobSettled(unchecked, jobId)).state).toBe('done');
    const state = await callUnchecked('timeTravel.state', { connectionId: uncheckedId, streamId: account.id, target: { version: account.good } });
    expect(state.snapshot).toEqual({ version: account.good, takenAt: expect.any(String), used: true, verification: 'ok', checkedBy: 'verifyAll' });
  });

  it('remembers what the Snapshots screen found when it inspected one', async () => {
    const other = (await callUnchecked('connections.add', postgresConnection('Demo again', db.url))).id;
    await callUnchecked('stores.configure', { connectionId: other, preset: 'classic', reason: 'test' });
    const inspected = await callUnchecked('snapshots.inspect', { connectionId: other, streamId: account.id, version: account.stale });
    expect(inspected.ok).toBe(false);
    const state = await callUnchecked('timeTravel.state', { connectionId: other, streamId: account.id, target: { version: account.stale } });
    expect(state.snapshot).toMatchObject({ used: false, verification: 'differs', checkedBy: 'inspect' });
  });
});
