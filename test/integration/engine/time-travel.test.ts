import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf, OperationName, ResultOf } from '../../../src-shared/operations';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import { seedLocalWorkspace } from '../../../src-main/engine/local-workspace/seed';
import { failOnOutputMismatch } from '../engine-support';

/** Time travel through the contract, on the demo workspace (PGlite) the app seeds on first start. */
describe('time travel on the demo workspace', () => {
  let engine: Engine;
  let db: pg.Client;
  let account: { id: string; snapshotVersion: number; lastVersion: number };
  const connectionId = 'local';
  const call = <N extends OperationName>(op: N, input: InputOf<N>) =>
    engine.dispatcher.run(op, input, { operationId: 't', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined }) as Promise<
      ResultOf<N>
    >;

  beforeAll(async () => {
    engine = createEngine({
      dataDir: await mkdtemp(join(tmpdir(), 'chrono-tt-')),
      mode: 'browser',
      log: () => undefined,
      onOutputMismatch: failOnOutputMismatch,
      initializeLocalWorkspace: seedLocalWorkspace,
    });
    const endpoint = await engine.localWorkspace.start();
    db = new pg.Client({ host: endpoint.host, port: endpoint.port, user: endpoint.user, database: endpoint.database });
    await db.connect();
    const { rows } = await db.query<{ aggregate_id: string; snapshot_version: number; last_version: number }>(`
      SELECT s.aggregate_id, max(s.version) AS snapshot_version, (SELECT max(event_version) FROM events e WHERE e.aggregate_id = s.aggregate_id) AS last_version
      FROM snapshots s WHERE s.aggregate_type = 'Account' GROUP BY s.aggregate_id ORDER BY 3 DESC LIMIT 1`);
    const row = rows[0]!;
    account = { id: row.aggregate_id, snapshotVersion: Number(row.snapshot_version), lastVersion: Number(row.last_version) };
  }, 180_000);

  afterAll(async () => {
    await db?.end();
    await engine?.dispose();
  });

  it('reconstructs a state from a snapshot that equals a full replay', async () => {
    expect(account.lastVersion).toBeGreaterThan(account.snapshotVersion);
    const target = { version: account.lastVersion };
    const fromSnapshot = await call('timeTravel.state', { connectionId, streamId: account.id, target });
    const fromZero = await call('timeTravel.state', { connectionId, streamId: account.id, target, useSnapshot: false });
    expect(fromSnapshot.definition).toBe('account');
    expect(fromSnapshot.definitionReason).toBe("Built-in account: this is the reference system's schema and the stream's category is Account.");
    expect(fromSnapshot.fromSnapshotVersion).toBe(account.snapshotVersion);
    expect(fromZero.fromSnapshotVersion).toBe(0);
    expect(fromSnapshot.applied).toBeLessThan(fromZero.applied);
    expect(fromSnapshot.state).toEqual(fromZero.state);
    expect(fromSnapshot.state).toMatchObject({ status: expect.any(String), balanceCents: expect.any(Number) });
  });

  it('compares two versions, steps through events and lists a field history', async () => {
    const compared = await call('timeTravel.compare', { connectionId, streamId: account.id, a: { version: 1 }, b: { version: account.lastVersion } });
    expect(compared.a.state).toMatchObject({ balanceCents: 0, status: 'open' });
    const history = await call('timeTravel.fieldHistory', { connectionId, streamId: account.id, path: 'balanceCents' });
    expect(history.changes.length).toBeGreaterThan(0);
    for (const change of history.changes) expect(change.before).not.toEqual(change.after);
    const last = history.changes.at(-1)!;
    expect(last.after).toBe((compared.b.state as { balanceCents: number }).balanceCents);
    const steps = await call('timeTravel.steps', { connectionId, streamId: account.id, fromVersion: 2, toVersion: 4 });
    expect(steps.steps.map((s) => s.event.version)).toEqual([2, 3, 4]);
    expect(steps.steps[0]!.diff.some((d) => d.path[0] === 'balanceCents')).toBe(true);
  });

  it('finds the state at a time', async () => {
    const { rows } = await db.query<{ timestamp: Date }>(`SELECT "timestamp" FROM events WHERE aggregate_id = $1 AND event_version = 3`, [account.id]);
    const atThird = await call('timeTravel.state', { connectionId, streamId: account.id, target: { time: rows[0]!.timestamp.toISOString() } });
    expect(atThird.version).toBe(3);
  });

  it('verifies a snapshot and detects a corrupted one', async () => {
    expect(await call('timeTravel.verifySnapshot', { connectionId, streamId: account.id })).toMatchObject({
      ok: true,
      snapshotVersion: account.snapshotVersion,
      diff: [],
    });
    const { rows } = await db.query<{ state: unknown }>(`SELECT state FROM snapshots WHERE aggregate_id = $1 AND version = $2`, [
      account.id,
      account.snapshotVersion,
    ]);
    await db.query(`UPDATE snapshots SET state = jsonb_set(state, '{balanceCents}', '123456789') WHERE aggregate_id = $1 AND version = $2`, [
      account.id,
      account.snapshotVersion,
    ]);
    try {
      const broken = await call('timeTravel.verifySnapshot', { connectionId, streamId: account.id });
      expect(broken.ok).toBe(false);
      expect(broken.diff).toContainEqual(expect.objectContaining({ path: ['balanceCents'], kind: 'changed', after: 123456789 }));
    } finally {
      // The other tests replay from this snapshot: put it back as it was.
      await db.query(`UPDATE snapshots SET state = $3 WHERE aggregate_id = $1 AND version = $2`, [
        account.id,
        account.snapshotVersion,
        JSON.stringify(rows[0]!.state),
      ]);
    }
  });

  it('says clearly when a stream or a definition does not exist', async () => {
    await expect(call('timeTravel.state', { connectionId, streamId: 'no-such-stream', target: { version: 1 } })).rejects.toMatchObject({ code: 'not_found' });
    await expect(call('timeTravel.state', { connectionId, streamId: account.id, target: { version: 1 }, definition: 'nope' })).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
