import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf, OperationName } from '../../../src-shared/operations';
import type { JobView, SnapshotsVerifyAllResult } from '../../../src-shared/schemas/jobs';
import type { ServerMessage } from '../../../src-shared/wire';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import { seedDemoWorkspace } from '../../../src-main/reference/demo/seed-demo';
import { secretEnvName } from '../../../src-main/engine/connections/secret-store';
import { engineCaller, postgresConnection, failOnOutputMismatch } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

/** A host's peer (a window or a socket) on the engine's dispatcher, as a host would open it. */
function openPeer(engine: Engine) {
  const messages: ServerMessage[] = [];
  const listeners = new Set<() => void>();
  const session = engine.dispatcher.openSession((message) => {
    messages.push(message);
    for (const listener of listeners) listener();
  });
  let sequence = 0;
  return {
    messages,
    call<N extends OperationName>(op: N, input: InputOf<N>): string {
      const id = `peer-${(sequence += 1)}`;
      session.receive({ t: 'call', id, op, input });
      return id;
    },
    cancel: (id: string) => session.receive({ t: 'cancel', id }),
    close: () => session.close(),
    /** Resolves with the first message (already received or to come) that `pick` returns a value for. */
    until<T>(pick: (message: ServerMessage) => T | undefined): Promise<T> {
      return new Promise((resolve) => {
        const check = () => {
          for (const message of messages) {
            const value = pick(message);
            if (value !== undefined) {
              listeners.delete(check);
              resolve(value);
              return true;
            }
          }
          return false;
        };
        if (!check()) listeners.add(check);
      });
    },
  };
}

/** A peer with a `jobs.watch` call open; `job` resolves with a job as the watch reported it last, once `predicate` holds. */
function watchJobs(engine: Engine) {
  const peer = openPeer(engine);
  const watchId = peer.call('jobs.watch', {});
  const job = (jobId: string, predicate: (job: JobView) => boolean): Promise<JobView> =>
    peer.until((m) => (m.t === 'data' && m.id === watchId ? (m.data as { jobs: JobView[] }).jobs.find((j) => j.id === jobId && predicate(j)) : undefined));
  return { peer, watchId, job };
}

describe('engine-owned jobs: bulk snapshot verification on PostgreSQL', () => {
  let db: TestDatabase;
  let dataDir: string;
  let engine: Engine;
  let connectionId: string;
  // Every snapshot is verified (several per stream in the demo), each against a replay to its own version.
  let snapshotStreams: number;
  let corrupted: string;
  const call = engineCaller(() => engine);
  // Browser mode keeps secrets in memory: the restarted engine reads the password from the environment.
  let env: NodeJS.ProcessEnv = {};
  const start = () => createEngine({ dataDir, mode: 'browser', log: () => undefined, onOutputMismatch: failOnOutputMismatch, env });

  beforeAll(async () => {
    db = await createTestDatabase('jobs');
    await seedDemoWorkspace(db.pool, { events: 3000 });
    dataDir = await mkdtemp(join(tmpdir(), 'chrono-jobs-'));
    engine = start();
    const connection = postgresConnection('Jobs test', db.url);
    connectionId = (await call('connections.add', connection)).id;
    env = { [secretEnvName(connectionId)]: connection.secret };
    await call('stores.configure', { connectionId, preset: 'classic' });
    // The demo snapshots only streams past 100 events: add true snapshots of more accounts, taken from replays.
    const { rows: accounts } = await db.pool.query<{ aggregate_id: string; version: number }>(
      `SELECT aggregate_id, max(event_version) AS version FROM events WHERE aggregate_type = 'Account'
       AND aggregate_id NOT IN (SELECT aggregate_id FROM snapshots) GROUP BY aggregate_id ORDER BY aggregate_id LIMIT 40`,
    );
    for (const account of accounts) {
      const { state } = await call('timeTravel.state', {
        connectionId,
        streamId: account.aggregate_id,
        target: { version: account.version },
        useSnapshot: false,
      });
      await db.pool.query(`INSERT INTO snapshots (aggregate_id, aggregate_type, version, state) VALUES ($1, 'Account', $2, $3)`, [
        account.aggregate_id,
        account.version,
        JSON.stringify(state),
      ]);
    }
    const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM snapshots');
    snapshotStreams = Number(rows[0]!.n);
    corrupted = accounts[7]!.aggregate_id;
    await db.pool.query(`UPDATE snapshots SET state = jsonb_set(state, '{balanceCents}', '987654321') WHERE aggregate_id = $1`, [corrupted]);
  }, 180_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('finishes a job after the session that started it closed; another session watches it and sees the corrupted snapshot', async () => {
    expect(snapshotStreams).toBeGreaterThan(40);
    const starter = openPeer(engine);
    const startId = starter.call('snapshots.verifyAll', { connectionId });
    const { jobId } = await starter.until((m) =>
      m.t === 'result' && m.id === startId ? (m.ok ? (m.data as { jobId: string }) : { jobId: `failed: ${m.error.message}` }) : undefined,
    );
    expect(jobId).toMatch(/^job-/);
    starter.close();

    const { peer: watcher, watchId, job } = watchJobs(engine);
    const done = await job(jobId, (j) => j.state === 'done' || j.state === 'failed');
    expect(done.error).toBeUndefined();
    const result = done.result as SnapshotsVerifyAllResult;
    expect(result).toMatchObject({ total: snapshotStreams, verified: snapshotStreams, mismatched: 1, truncated: false });
    expect(result.ok + result.mismatched + result.failed).toBe(snapshotStreams);
    expect(result.mismatches).toEqual([expect.objectContaining({ streamId: corrupted, paths: ['balanceCents'], streamTooShort: false })]);
    expect(done.summary).toContain(`of ${snapshotStreams} snapshots match a replay, 1 differ`);
    expect(done.progress).toMatchObject({ done: snapshotStreams, total: snapshotStreams });

    // Cancelling the watch ends the watch only.
    watcher.cancel(watchId);
    await watcher.until((m) => (m.t === 'result' && m.id === watchId ? true : undefined));
    expect((await call('jobs.list', {})).jobs.find((j) => j.id === jobId)?.state).toBe('done');
    await expect(call('jobs.cancel', { id: jobId })).rejects.toMatchObject({ code: 'conflict' });
    watcher.close();
  });

  it('shows a job interrupted by an engine restart as paused, and resume finishes it from its resume point', async () => {
    const before = watchJobs(engine);
    const { jobId } = await call('snapshots.verifyAll', { connectionId, category: 'Account' });
    const saved = await before.job(jobId, (j) => j.hasResumePoint && j.progress.done > 0);
    await engine.dispose();

    engine = start();
    const paused = (await call('jobs.list', {})).jobs.find((j) => j.id === jobId)!;
    expect(paused).toMatchObject({ state: 'paused', hasResumePoint: true, error: expect.stringContaining('restart') });
    expect(paused.progress.done).toBeGreaterThanOrEqual(saved.progress.done);

    const again = watchJobs(engine);
    const resumed = await call('jobs.resume', { id: jobId, reason: 'after the restart' });
    expect(resumed.state).toBe('queued');
    const running = await again.job(jobId, (j) => j.state === 'running');
    // Continues after the stream its resume point names, not from zero.
    expect(running.progress.done).toBeGreaterThanOrEqual(paused.progress.done);
    const done = await again.job(jobId, (j) => j.state === 'done' || j.state === 'failed');
    const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM snapshots WHERE aggregate_type = 'Account'`);
    const accounts = Number(rows[0]!.n);
    expect(done.result).toMatchObject({ total: accounts, verified: accounts, mismatched: 1 });
    expect((await call('audit.list', { operation: 'jobs.resume' })).records[0]).toMatchObject({
      target: `job:${jobId}`,
      reason: 'after the restart',
      outcome: 'ok',
    });
    again.peer.close();
  });

  it('cancels a running job through the contract, audited', async () => {
    const { peer, job } = watchJobs(engine);
    const { jobId } = await call('snapshots.verifyAll', { connectionId });
    await job(jobId, (j) => j.state === 'running');
    const cancelled = await call('jobs.cancel', { id: jobId });
    expect(cancelled.state).toBe('cancelled');
    expect((await call('audit.list', { operation: 'jobs.cancel' })).records[0]).toMatchObject({ target: `job:${jobId}`, outcome: 'ok' });
    peer.close();
  });

  it('says what to do when the connection keeps no snapshots or has no confirmed preset', async () => {
    await expect(call('snapshots.verifyAll', { connectionId: 'nope' })).rejects.toMatchObject({ code: 'not_found' });
  });
});
