import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import type { DomainEvent } from '../../../src-main/reference/events';
import { newId } from '../../../src-main/reference/ids';
import { eventColumnArrays, INSERT_EVENTS_SQL } from '../../../src-main/reference/postgres/rows';
import { createTestEngine, engineCaller, jobSettled, postgresConnection } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { PROJECTOR, referenceProjector, seedReferenceStore } from '../rebuild/support';

/** accounts_view on PostgreSQL: an edited row, a deleted row, an orphan, a skipped event and a lagging row, found, told apart and repaired. */
describe('read-model drift on PostgreSQL', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);
  const projector = { name: PROJECTOR, source: 'events' };
  let edited: string, deleted: string, skipped: string, lagging: string;
  const orphan = 'acc-orphan-drift';

  const rowsByKey = async (): Promise<Map<string, string>> => {
    const { rows } = await db.pool.query<{ k: string; r: string }>('SELECT account_id AS k, to_jsonb(t)::text AS r FROM accounts_view t');
    return new Map(rows.map((r) => [r.k, r.r]));
  };

  const deposit = async (accountId: string): Promise<void> => {
    const { rows } = await db.pool.query<{ v: number }>('SELECT max(event_version) AS v FROM events WHERE aggregate_id = $1', [accountId]);
    const event: DomainEvent = {
      eventId: newId(),
      aggregateId: accountId,
      aggregateType: 'Account',
      version: rows[0]!.v + 1,
      timestamp: new Date().toISOString(),
      type: 'MoneyDeposited',
      data: { amountCents: 700, balanceCents: 0 },
      metadata: { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1 },
    };
    await db.pool.query(INSERT_EVENTS_SQL, eventColumnArrays([event]));
  };

  const verify = async (mode: Parameters<typeof call<'drift.verify'>>[1]['mode']) => {
    const { jobId } = await call('drift.verify', { connectionId, model: 'accounts_view', definition: { builtin: true }, mode, projector });
    const job = await jobSettled(engine, jobId);
    expect(job.error).toBeUndefined();
    expect(job.state).toBe('done');
    return { jobId, report: (await engine.jobs.get(jobId)).result as import('../../../src-main/engine/drift/verify-job').DriftReport };
  };

  beforeAll(async () => {
    db = await createTestDatabase('driftpg');
    const store = await seedReferenceStore(db.pool, 6000, 21);
    await store.close();
    const { rows } = await db.pool.query<{ account_id: string }>(
      `SELECT a.account_id FROM accounts_view a WHERE (SELECT count(*) FROM events e WHERE e.aggregate_id = a.account_id) > 2 ORDER BY account_id LIMIT 4`,
    );
    [edited, deleted, skipped, lagging] = rows.map((r) => r.account_id) as [string, string, string, string];
    // The skipped event: projected (the checkpoint passes it), then the row put back as it was before it.
    const before = (await db.pool.query<{ r: unknown }>('SELECT to_jsonb(t) AS r FROM accounts_view t WHERE account_id = $1', [skipped])).rows[0]!.r;
    await deposit(skipped);
    await referenceProjector(db.pool).catchUp();
    await db.pool.query('DELETE FROM accounts_view WHERE account_id = $1', [skipped]);
    await db.pool.query('INSERT INTO accounts_view SELECT * FROM jsonb_populate_record(NULL::accounts_view, $1::jsonb)', [JSON.stringify(before)]);
    // Someone's edit, a deleted row, a row no stream produces; and an event the projector has not reached (lag, not drift).
    await db.pool.query('UPDATE accounts_view SET balance_cents = balance_cents + 1 WHERE account_id = $1', [edited]);
    await db.pool.query('DELETE FROM accounts_view WHERE account_id = $1', [deleted]);
    await db.pool.query(
      `INSERT INTO accounts_view SELECT * FROM jsonb_populate_record(NULL::accounts_view, (SELECT to_jsonb(t) || jsonb_build_object('account_id', $1::text) FROM accounts_view t WHERE account_id = $2))`,
      [orphan, edited],
    );
    await deposit(lagging);
    engine = await createTestEngine('drift');
    connectionId = (await call('connections.add', { ...postgresConnection('Reference', db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId, preset: 'classic' });
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('finds each kind of drift in a full verification and tells them apart, lag aside', async () => {
    const { report } = await verify({ kind: 'full' });
    expect(report.counts).toEqual({ edited: 1, missing: 1, orphan: 1, staleSkipped: 1 });
    expect(report.lagging).toBe(1);
    const byKey = new Map(report.rows.map((r) => [r.key, r]));
    expect(byKey.get(edited)).toMatchObject({ kind: 'edited', streamId: edited, checkpointPassed: true });
    expect(byKey.get(edited)!.fields).toEqual([expect.objectContaining({ field: 'balance_cents' })]);
    const e = byKey.get(edited)!.fields[0]!;
    expect(Number(e.live) - Number(e.replayed)).toBe(1);
    expect(byKey.get(deleted)).toMatchObject({ kind: 'missing', checkpointPassed: true });
    expect(byKey.get(deleted)!.fields.every((f) => f.live === null)).toBe(true);
    expect(byKey.get(orphan)).toMatchObject({ kind: 'orphan', lastEvent: null, checkpointPassed: null });
    expect(byKey.get(skipped)).toMatchObject({ kind: 'stale-skipped', checkpointPassed: true, lastEvent: { type: 'MoneyDeposited' } });
    expect(byKey.get(skipped)!.lastEvent!.storedAt).toBeTruthy();
    expect(byKey.has(lagging)).toBe(false);
    expect(report.streamIds.sort()).toEqual([edited, deleted, orphan, skipped].sort());
    expect(report.reportFile).toMatch(/^drift-accounts_view-.*\.json$/);
  });

  it('finds them in a sample of every row and in chosen streams', async () => {
    const sample = await verify({ kind: 'sample', fraction: 1 });
    for (const key of [edited, orphan, skipped]) expect(sample.report.rows.map((r) => r.key)).toContain(key);
    const streams = await verify({ kind: 'streams', streamIds: [edited, deleted, orphan, skipped, lagging] });
    expect(streams.report.counts).toEqual({ edited: 1, missing: 1, orphan: 1, staleSkipped: 1 });
    const small = await verify({ kind: 'sample', rows: 5 });
    expect(small.report.rowsChecked).toBeGreaterThanOrEqual(5);
  });

  it('repairs exactly the drifted rows through a partial rebuild and its confirmed swap, every other row byte-identical', async () => {
    // The projector reaches the lagging event first: a swap holds the model at the projector's position, never behind its rows.
    await referenceProjector(db.pool).catchUp();
    const { jobId, report } = await verify({ kind: 'full' });
    expect([report.drifted, report.lagging]).toEqual([4, 0]);
    const before = await rowsByKey();
    const dry = await call('drift.repair', { connectionId, jobId, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, streams: 4 });
    expect(dry.jobId).toBeUndefined();
    const repair = await call('drift.repair', { connectionId, jobId, reason: 'drift found by verification' });
    expect((await jobSettled(engine, repair.jobId!)).state).toBe('done');
    const diff = await call('rebuilds.diff', { connectionId, rebuildId: repair.rebuildId });
    expect(diff).toMatchObject({ onlyInLive: { count: 1, keys: [orphan] }, onlyInShadow: { count: 1, keys: [deleted] }, changed: { count: 2 } });
    const plan = await call('rebuilds.swap', { connectionId, rebuildId: repair.rebuildId, projector, dryRun: true });
    await call('rebuilds.swap', { connectionId, rebuildId: repair.rebuildId, projector, confirmation: plan.confirmation!, reason: 'repair drift' });
    const after = await rowsByKey();
    for (const [key, row] of before) if (![edited, deleted, orphan, skipped].includes(key)) expect(after.get(key)).toBe(row);
    expect(after.has(orphan)).toBe(false);
    expect(after.has(deleted)).toBe(true);
    expect(after.get(edited)).not.toBe(before.get(edited));
    const again = await verify({ kind: 'full' });
    expect(again.report.drifted).toBe(0);
    expect(again.report.lagging).toBe(0);
    const audit = await call('audit.list', {});
    expect(JSON.stringify(audit)).toContain('drift.repair');
  });
});
