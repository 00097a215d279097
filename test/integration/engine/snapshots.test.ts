/**
 * Snapshot management through the dispatcher, on the reference layouts of
 * PostgreSQL, PGlite and FerretDB: list and filter, inspect beside a replay,
 * bulk verification finding a corrupted snapshot, regenerate, delete by filter
 * (dry run = real run), a delete job resumed after a crash, and a snapshot that
 * is not JSON.
 */
import { Binary, type Db } from 'mongodb';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobView, SnapshotsVerifyAllResult } from '../../../src-shared/schemas/jobs';
import type { SnapshotsChangeJobResult } from '../../../src-shared/schemas/snapshots';
import type { Engine } from '../../../src-main/engine/engine';
import { deleteSnapshotsJob } from '../../../src-main/engine/snapshots/change-jobs';
import { ensureMongoIndexes, ReferenceMongoStore } from '../../../src-main/reference/mongo/event-store';
import { ReferencePostgresStore } from '../../../src-main/reference/postgres/event-store';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import type { CommandEventStore } from '../../../src-main/reference/store';
import { openSnapshots } from '../../../src-main/stores/ports/open-companions';
import { presetRecord } from '../../../src-main/stores/presets';
import { createTestEngine, engineCaller, jobSettled, postgresConnection } from '../engine-support';
import { testServices } from '../env';
import { createPgliteDatabase, createTestDatabase, createTestMongo } from '../reference/support';
import { seedAccounts } from './snapshot-support';

interface Backend {
  name: string;
  preset: 'classic' | 'reference-mongo';
  store: CommandEventStore;
  addConnection(engine: Engine, name: string): Promise<string>;
  count(): Promise<number>;
  /** The state as stored, read beside the port. */
  stateOf(streamId: string, version: number): Promise<unknown>;
  corrupt(streamId: string, version: number): Promise<void>;
  /** Stores a snapshot whose state is not JSON; returns a raw reading of it to compare later. */
  addNotJson(streamId: string, version: number): Promise<void>;
  rawOf(streamId: string, version: number): Promise<string>;
  portClient(): pg.Pool | Db;
  drop(): Promise<void>;
}

async function postgresBackend(name: 'PostgreSQL' | 'PGlite'): Promise<Backend> {
  const db = name === 'PGlite' ? await createPgliteDatabase() : await createTestDatabase('snapshots');
  await ensureReferenceSchema(db.pool);
  return {
    name,
    preset: 'classic',
    store: new ReferencePostgresStore(db.pool),
    addConnection: async (engine, label) => (await engineCaller(() => engine)('connections.add', { ...postgresConnection(label, db.url), readOnly: false })).id,
    count: async () => Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM snapshots')).rows[0]!.n),
    stateOf: async (id, v) =>
      (await db.pool.query<{ state: unknown }>('SELECT state FROM snapshots WHERE aggregate_id = $1 AND version = $2', [id, v])).rows[0]?.state,
    corrupt: async (id, v) => {
      await db.pool.query(`UPDATE snapshots SET state = jsonb_set(state::jsonb, '{balanceCents}', '424242') WHERE aggregate_id = $1 AND version = $2`, [id, v]);
    },
    addNotJson: async (id, v) => {
      // A layout that keeps its snapshots as text, one of them not JSON (an XML serializer's).
      await db.pool.query('ALTER TABLE snapshots ALTER COLUMN state TYPE text USING state::text');
      await db.pool.query(
        `INSERT INTO snapshots (aggregate_id, aggregate_type, version, state) VALUES ($1, 'Account', $2, '<account><balance>5</balance></account>')`,
        [id, v],
      );
    },
    rawOf: async (id, v) =>
      String(
        (await db.pool.query<{ state: string }>('SELECT state::text AS state FROM snapshots WHERE aggregate_id = $1 AND version = $2', [id, v])).rows[0]?.state,
      ),
    portClient: () => db.pool,
    drop: () => db.drop(),
  };
}

async function mongoBackend(): Promise<Backend> {
  const mongo = await createTestMongo('snapshots');
  await ensureMongoIndexes(mongo.db);
  const snapshots = mongo.db.collection('snapshots');
  return {
    name: 'FerretDB',
    preset: 'reference-mongo',
    store: new ReferenceMongoStore(mongo.db),
    addConnection: async (engine, label) =>
      (
        await engineCaller(() => engine)('connections.add', {
          name: label,
          settings: { kind: 'mongo', uri: testServices.mongoUrl, database: mongo.name },
          readOnly: false,
        })
      ).id,
    count: () => snapshots.countDocuments(),
    stateOf: async (id, v) => (await snapshots.findOne({ aggregateId: id, version: v }))?.state as unknown,
    corrupt: async (id, v) => {
      await snapshots.updateOne({ aggregateId: id, version: v }, { $set: { 'state.balanceCents': 424242 } });
    },
    addNotJson: async (id, v) => {
      await snapshots.insertOne({
        _id: `${id}@${v}` as never,
        aggregateId: id,
        aggregateType: 'Account',
        version: v,
        state: new Binary(Buffer.from('<account/>')),
        takenAt: new Date(),
      });
    },
    rawOf: async (id, v) => JSON.stringify((await snapshots.findOne({ aggregateId: id, version: v }))?.state),
    portClient: () => mongo.db,
    drop: () => mongo.drop(),
  };
}

const BACKENDS = [{ name: 'PostgreSQL' }, { name: 'PGlite' }, { name: 'FerretDB' }] as const;
const ACCOUNTS = ['acc-a', 'acc-b', 'acc-c', 'acc-d', 'acc-e', 'acc-f'];

describe.each(BACKENDS)('snapshot management on $name', ({ name }) => {
  let backend: Backend;
  let engine: Engine;
  let connectionId: string;
  let corruptedVersion: number;
  let dataDir: string;
  const call = engineCaller(() => engine);

  const finished = (jobId: string): Promise<JobView> => jobSettled(engine, jobId);

  async function verify(): Promise<{ job: JobView; result: SnapshotsVerifyAllResult }> {
    const { jobId } = await call('snapshots.verifyAll', { connectionId });
    const job = await finished(jobId);
    expect(job.error).toBeUndefined();
    return { job, result: job.result as SnapshotsVerifyAllResult };
  }

  beforeAll(async () => {
    backend = name === 'FerretDB' ? await mongoBackend() : await postgresBackend(name);
    await seedAccounts(backend.store, ACCOUNTS, 25);
    const port = await openSnapshots(presetRecord(backend.preset)!, backend.portClient());
    corruptedVersion = Math.max(...(await port.list({ streamPrefix: 'acc-c' })).snapshots.map((s) => s.version));
    await backend.corrupt('acc-c', corruptedVersion);
    dataDir = await mkdtemp(join(tmpdir(), `chrono-snapshots-${name}-`));
    engine = await createTestEngine(`snapshots-${name}`, { dataDir });
    connectionId = await backend.addConnection(engine, `${name} reference`);
    await call('stores.configure', { connectionId, preset: backend.preset });
  }, 240_000);

  afterAll(async () => {
    await engine?.dispose();
    await backend?.drop();
  });

  it('lists every snapshot with stream, version, type, time and size, filtered by type, prefix, version, age and size', async () => {
    const all = await call('snapshots.list', { connectionId, limit: 500 });
    expect(all.snapshots).toHaveLength(await backend.count());
    expect(all.snapshots.length).toBeGreaterThanOrEqual(ACCOUNTS.length * 2);
    const first = all.snapshots[0]!;
    expect(first).toMatchObject({ streamId: 'acc-a', version: 10, streamType: 'Account' });
    expect(first.sizeBytes).toBeGreaterThan(20);
    expect(Date.parse(first.takenAt!)).not.toBeNaN();
    const ids = async (filter: Record<string, unknown>) =>
      (await call('snapshots.list', { connectionId, limit: 500, ...filter })).snapshots.map((s) => `${s.streamId}@${s.version}`);
    expect(await ids({ streamPrefix: 'acc-c' })).toEqual(all.snapshots.filter((s) => s.streamId === 'acc-c').map((s) => `acc-c@${s.version}`));
    expect(await ids({ versionBelow: 11 })).toEqual(ACCOUNTS.map((a) => `${a}@10`));
    expect(await ids({ streamType: 'Order' })).toEqual([]);
    expect(await ids({ takenBefore: '2000-01-01T00:00:00Z' })).toEqual([]);
    expect(await ids({ minSizeBytes: 1_000_000 })).toEqual([]);
    const page = await call('snapshots.list', { connectionId, limit: 3 });
    const next = await call('snapshots.list', { connectionId, limit: 3, after: page.nextCursor! });
    expect([...page.snapshots, ...next.snapshots].map((s) => s.version)).toEqual(all.snapshots.slice(0, 6).map((s) => s.version));
  });

  it('inspects a snapshot beside the replay: the corrupted one differs at balanceCents, a true one matches', async () => {
    const bad = await call('snapshots.inspect', { connectionId, streamId: 'acc-c', version: corruptedVersion });
    expect(bad.ok).toBe(false);
    expect(bad.diff).toEqual([expect.objectContaining({ path: ['balanceCents'], kind: 'changed', after: 424242 })]);
    expect(bad.replay).toMatchObject({ version: corruptedVersion, definition: 'account' });
    const good = await call('snapshots.inspect', { connectionId, streamId: 'acc-a', version: 10 });
    expect(good).toMatchObject({ ok: true, diff: [], streamTooShort: false });
    await expect(call('snapshots.inspect', { connectionId, streamId: 'acc-a', version: 11 })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('verifies every snapshot in a job and reports the corrupted one with its diff; a sample verifies fewer', async () => {
    const { result } = await verify();
    const stored = await backend.count();
    expect(result).toMatchObject({ total: stored, verified: stored, ok: stored - 1, mismatched: 1, failed: 0 });
    expect(result.mismatches).toEqual([
      expect.objectContaining({
        streamId: 'acc-c',
        snapshotVersion: corruptedVersion,
        paths: ['balanceCents'],
        diff: [expect.objectContaining({ path: 'balanceCents', after: 424242 })],
      }),
    ]);
    const { jobId } = await call('snapshots.verifyAll', { connectionId, sampleSize: 3 });
    const sample = (await finished(jobId)).result as SnapshotsVerifyAllResult;
    expect(sample.verified).toBeLessThanOrEqual(3);
    expect(sample.sampleSize).toBe(3);
  });

  it('regenerates the snapshots a verification found wrong, after a dry run; they then verify', async () => {
    const { job } = await verify();
    const selection = { kind: 'failedVerification' as const, jobId: job.id };
    await expect(call('snapshots.regenerate', { connectionId, selection, reason: 'OPS-1' })).rejects.toMatchObject({ code: 'confirmation_required' });
    const dry = await call('snapshots.regenerate', { connectionId, selection, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, count: 1, first: [expect.objectContaining({ streamId: 'acc-c', version: corruptedVersion })] });
    expect(((await backend.stateOf('acc-c', corruptedVersion)) as { balanceCents: number }).balanceCents).toBe(424242);
    const real = await call('snapshots.regenerate', { connectionId, selection, confirmation: dry.confirmation!, reason: 'fee bug' });
    const done = await finished(real.jobId!);
    expect(done.result as SnapshotsChangeJobResult).toMatchObject({ changed: 1, failed: 0 });
    expect(((await backend.stateOf('acc-c', corruptedVersion)) as { balanceCents: number }).balanceCents).not.toBe(424242);
    expect((await call('snapshots.inspect', { connectionId, streamId: 'acc-c', version: corruptedVersion })).ok).toBe(true);
    // The verification that found it says it was regenerated since, and the Overview stops counting it, also after a restart.
    const settled = await engine.jobs.get(job.id);
    expect(settled.result).toMatchObject({ mismatched: 0, mismatches: [], regeneratedSince: 1 });
    expect(settled.summary).toMatch(/1 regenerated since$/);
    const failedVerifications = async (of: Engine) =>
      (await engineCaller(() => of)('checkpoints.overview', {})).connections.find((c) => c.connectionId === connectionId)?.failedVerifications ?? null;
    expect(await failedVerifications(engine)).toBeNull();
    const restarted = await createTestEngine(`snapshots-${name}-again`, { dataDir, sampleLags: false, sampleKafkaLag: false });
    try {
      expect(await failedVerifications(restarted)).toBeNull();
      expect((await restarted.jobs.get(job.id)).summary).toMatch(/1 regenerated since$/);
    } finally {
      await restarted.dispose();
    }
    expect((await verify()).result).toMatchObject({ mismatched: 0, failed: 0 });
    expect((await call('audit.list', { operation: 'snapshots.regenerate' })).records.map((r) => [r.dryRun, r.outcome, r.reason])).toEqual(
      expect.arrayContaining([
        [false, 'ok', 'fee bug'],
        [true, 'ok', ''],
      ]),
    );
  });

  it('deletes by filter: refused read-only, the dry run counts exactly what the real run deletes', async () => {
    const selection = { kind: 'filter' as const, filter: { versionBelow: 11 } };
    const dry = await call('snapshots.delete', { connectionId, selection, dryRun: true });
    expect(dry.count).toBe(ACCOUNTS.length);
    expect(dry.first.map((s) => s.streamId)).toEqual(ACCOUNTS);
    await call('connections.update', { id: connectionId, readOnly: true });
    await expect(call('snapshots.delete', { connectionId, selection, confirmation: dry.confirmation!, reason: 'OPS-1' })).rejects.toMatchObject({
      code: 'read_only',
    });
    await call('connections.update', { id: connectionId, readOnly: false });
    const before = await backend.count();
    const real = await call('snapshots.delete', { connectionId, selection, confirmation: dry.confirmation!, reason: 'old snapshots' });
    const done = await finished(real.jobId!);
    expect(done.result).toMatchObject({ changed: dry.count, missing: 0, failed: 0 });
    expect(await backend.count()).toBe(before - dry.count);
    expect((await call('snapshots.list', { connectionId, versionBelow: 11 })).snapshots).toEqual([]);
  });

  it('resumes a delete job interrupted after a saved resume point and deletes each selected snapshot once', async () => {
    const port = await openSnapshots(presetRecord(backend.preset)!, backend.portClient());
    const filter = { streamType: 'Account' };
    const selected = await port.count(filter);
    expect(selected).toBeGreaterThanOrEqual(4);
    const job = deleteSnapshotsJob({
      snapshots: async () => port,
      replayer: () => Promise.reject(new Error('unused')),
      assertWritable: async () => undefined,
      batchSize: 2,
    });
    const resumePoints: unknown[] = [];
    const crash = new AbortController();
    const context = {
      signal: crash.signal,
      resumeFrom: undefined as never,
      progress: () => undefined,
      saveResumePoint: async (state: unknown) => {
        resumePoints.push(structuredClone(state));
        crash.abort(); // the process dies right after its first resume point
      },
    };
    await expect(job.run({ connectionId, filter }, context)).rejects.toMatchObject({ name: 'AbortError' });
    expect(await port.count(filter)).toBe(selected - 2);
    const result = await job.run(
      { connectionId, filter },
      { ...context, signal: new AbortController().signal, resumeFrom: resumePoints.at(-1) as never, saveResumePoint: async () => undefined },
    );
    expect(result).toMatchObject({ changed: selected, missing: 0, failed: 0 });
    expect(await port.count(filter)).toBe(0);
  });

  it('says clearly that a snapshot is not JSON, and writes nothing over it', async () => {
    await backend.addNotJson('acc-b', 21);
    // A fresh profile: the port reads the table's column types when it opens.
    const other = await backend.addConnection(engine, `${name} text snapshots`);
    await call('stores.configure', { connectionId: other, preset: backend.preset });
    const raw = await backend.rawOf('acc-b', 21);
    const inspected = await call('snapshots.inspect', { connectionId: other, streamId: 'acc-b', version: 21 });
    expect(inspected).toMatchObject({ ok: false, snapshot: { isJson: false }, diff: [] });
    expect(inspected.message).toMatch(/snapshot of acc-b at version 21 .* is not JSON .*wrote nothing/);
    const selection = { kind: 'one' as const, streamId: 'acc-b', version: 21 };
    const dry = await call('snapshots.regenerate', { connectionId: other, selection, dryRun: true });
    expect(dry.count).toBe(1);
    await expect(call('snapshots.regenerate', { connectionId: other, selection, confirmation: dry.confirmation!, reason: 'OPS-1' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/is not JSON/),
    });
    expect(await backend.rawOf('acc-b', 21)).toBe(raw);
    const { jobId } = await call('snapshots.verifyAll', { connectionId: other, streamPrefix: 'acc-b' });
    const result = (await finished(jobId)).result as SnapshotsVerifyAllResult;
    expect(result.failures).toEqual([expect.objectContaining({ streamId: 'acc-b', snapshotVersion: 21, message: expect.stringMatching(/is not JSON/) })]);
  });
});
