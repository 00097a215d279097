/**
 * A custom snapshot mapping through the dispatcher, on PostgreSQL and FerretDB: the
 * reference system's snapshots moved to a table (collection) no preset knows, mapped,
 * checked against the live schema (a missing table, a text version, a state that is not
 * JSON: each refused with a sentence, nothing kept), kept per connection, then listed,
 * filtered, inspected, verified in bulk, regenerated and deleted through it, and forgotten.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Binary, type Db } from 'mongodb';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView, SnapshotsVerifyAllResult } from '../../../src-shared/schemas/jobs';
import type { SnapshotMapping } from '../../../src-shared/schemas/snapshots';
import type { Engine } from '../../../src-main/engine/engine';
import { SnapshotMappings } from '../../../src-main/engine/snapshots/snapshot-mappings';
import { ensureMongoIndexes, ReferenceMongoStore } from '../../../src-main/reference/mongo/event-store';
import { ReferencePostgresStore } from '../../../src-main/reference/postgres/event-store';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import type { CommandEventStore } from '../../../src-main/reference/store';
import { createTestEngine, engineCaller, jobSettled, postgresConnection } from '../engine-support';
import { testServices } from '../env';
import { createTestDatabase, createTestMongo } from '../reference/support';
import { seedAccounts } from './snapshot-support';

const ACCOUNTS = ['acc-a', 'acc-b', 'acc-c', 'acc-d'];

interface Backend {
  name: 'PostgreSQL' | 'FerretDB';
  preset: 'classic' | 'reference-mongo';
  store: CommandEventStore;
  mapping: SnapshotMapping;
  addConnection(engine: Engine, label?: string): Promise<string>;
  /** Moves the reference snapshots to the custom table (collection), renamed field by field. */
  moveSnapshots(): Promise<void>;
  count(): Promise<number>;
  corrupt(streamId: string, version: number): Promise<void>;
  /** The bad-input cases: each makes the mapped place wrong in one way, and what the refusal says. */
  badCases(): Array<{ what: string; make(): Promise<void>; code: string; message: RegExp }>;
  drop(): Promise<void>;
}

async function postgresBackend(): Promise<Backend> {
  const db = await createTestDatabase('snap_custom');
  await ensureReferenceSchema(db.pool);
  const pool: pg.Pool = db.pool;
  const mapping: SnapshotMapping = {
    backend: 'postgres',
    schema: 'app',
    table: 'aggregate_state',
    columns: { streamId: 'stream', version: 'rev', state: 'body', streamType: 'kind', takenAt: 'saved_at', schemaVersion: 'shape' },
  };
  const create = (version: string, state: string) =>
    pool.query(
      `DROP TABLE IF EXISTS app.aggregate_state; CREATE TABLE app.aggregate_state (stream text NOT NULL, rev ${version} NOT NULL, body ${state}, kind text, saved_at timestamptz, shape text, PRIMARY KEY (stream, rev))`,
    );
  return {
    name: 'PostgreSQL',
    preset: 'classic',
    store: new ReferencePostgresStore(pool),
    mapping,
    addConnection: async (engine, label = 'Custom snapshots') =>
      (await engineCaller(() => engine)('connections.add', { ...postgresConnection(label, db.url), readOnly: false })).id,
    async moveSnapshots() {
      await create('bigint', 'text');
      await pool.query(`INSERT INTO app.aggregate_state SELECT aggregate_id, version, state::text, aggregate_type, taken_at, 'v2' FROM snapshots`);
      await pool.query('DROP TABLE snapshots');
    },
    count: async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM app.aggregate_state')).rows[0]!.n),
    corrupt: async (id, v) => {
      await pool.query(`UPDATE app.aggregate_state SET body = jsonb_set(body::jsonb, '{balanceCents}', '424242')::text WHERE stream = $1 AND rev = $2`, [
        id,
        v,
      ]);
    },
    badCases: () => [
      {
        what: 'a missing table',
        make: () => pool.query('CREATE SCHEMA app').then(() => undefined),
        code: 'not_found',
        message: /Table "app"\."aggregate_state" does not exist/,
      },
      {
        what: 'a version column that is text',
        make: () => create('text', 'jsonb').then(() => undefined),
        code: 'invalid_input',
        message: /"app"\."aggregate_state"\.rev \(version\) is text, not an integer type/,
      },
      {
        what: 'a state column of numbers',
        make: () => create('bigint', 'integer').then(() => undefined),
        code: 'invalid_input',
        message: /\.body \(state\) is int4, not json, jsonb, text or bytea/,
      },
      {
        what: 'a state column holding text that is not JSON',
        make: async () => {
          await create('bigint', 'text');
          await pool.query(`INSERT INTO app.aggregate_state VALUES ('acc-a', 3, '<account><balance>5</balance></account>', 'Account', now(), 'v1')`);
        },
        code: 'invalid_input',
        message: /column body of "app"\."aggregate_state" holds a state that is not JSON \(stream acc-a, version 3\)/,
      },
      {
        what: 'a missing column',
        make: () => pool.query('ALTER TABLE app.aggregate_state DROP COLUMN saved_at').then(() => undefined),
        code: 'invalid_input',
        message: /\.saved_at \(taken at\) does not exist/,
      },
    ],
    drop: () => db.drop(),
  };
}

async function mongoBackend(): Promise<Backend> {
  const mongo = await createTestMongo('snap_custom');
  await ensureMongoIndexes(mongo.db);
  const db: Db = mongo.db;
  const mapping: SnapshotMapping = {
    backend: 'mongo',
    collection: 'aggregate_state',
    fields: { streamId: 'stream', version: 'rev', state: 'doc.body', streamType: 'kind', takenAt: 'savedAt', schemaVersion: 'shape' },
  };
  const custom = db.collection('aggregate_state');
  const reset = async (doc?: Record<string, unknown>) => {
    await custom.drop().catch(() => undefined);
    if (doc) await custom.insertOne({ stream: 'acc-a', kind: 'Account', savedAt: new Date(), shape: 'v1', ...doc });
  };
  return {
    name: 'FerretDB',
    preset: 'reference-mongo',
    store: new ReferenceMongoStore(db),
    mapping,
    addConnection: async (engine) =>
      (
        await engineCaller(() => engine)('connections.add', {
          name: 'Custom snapshots',
          settings: { kind: 'mongo', uri: testServices.mongoUrl, database: mongo.name },
          readOnly: false,
        })
      ).id,
    async moveSnapshots() {
      await reset();
      const docs = await db.collection('snapshots').find({}).toArray();
      await custom.insertMany(
        docs.map((d) => ({
          stream: d.aggregateId as string,
          rev: d.version as number,
          doc: { body: d.state as unknown },
          kind: d.aggregateType as string,
          savedAt: d.takenAt as Date,
          shape: 'v2',
        })),
      );
      await db.collection('snapshots').drop();
    },
    count: () => custom.countDocuments(),
    corrupt: async (id, v) => {
      await custom.updateOne({ stream: id, rev: v }, { $set: { 'doc.body.balanceCents': 424242 } });
    },
    badCases: () => [
      { what: 'a missing collection', make: () => reset(), code: 'not_found', message: /Collection .*\.aggregate_state does not exist/ },
      {
        what: 'a version that is text',
        make: () => reset({ rev: '12', doc: { body: { balanceCents: 1 } } }),
        code: 'invalid_input',
        message: /aggregate_state\.rev \(version\) holds text \("12"\) in document .*, not a whole number/,
      },
      {
        what: 'a state that is binary',
        make: () => reset({ rev: 12, doc: { body: new Binary(Buffer.from('<account/>')) } }),
        code: 'invalid_input',
        message: /aggregate_state\.doc\.body \(state\) holds binary data .*not a JSON document/,
      },
      {
        what: 'a state that is text',
        make: () => reset({ rev: 12, doc: { body: '<account/>' } }),
        code: 'invalid_input',
        message: /\(state\) holds text \("<account\/>"\) .*not a JSON document/,
      },
      {
        what: 'a mapped field no document has',
        make: async () => {
          await reset();
          await custom.insertOne({ stream: 'acc-a', rev: 12, doc: { body: {} }, kind: 'Account', shape: 'v1' });
        },
        code: 'invalid_input',
        message: /aggregate_state\.savedAt \(takenAt\) does not occur in the first 1 documents/,
      },
    ],
    drop: () => mongo.drop(),
  };
}

describe.each([{ name: 'PostgreSQL' }, { name: 'FerretDB' }] as const)('a custom snapshot mapping on $name', ({ name }) => {
  let backend: Backend;
  let engine: Engine;
  let dataDir: string;
  let connectionId: string;
  let corruptedVersion: number;
  const call = engineCaller(() => engine);

  const finished = (jobId: string): Promise<JobView> => jobSettled(engine, jobId);

  async function verify(): Promise<SnapshotsVerifyAllResult> {
    const { jobId } = await call('snapshots.verifyAll', { connectionId });
    const job = await finished(jobId);
    expect(job.error).toBeUndefined();
    return job.result as SnapshotsVerifyAllResult;
  }

  beforeAll(async () => {
    backend = name === 'FerretDB' ? await mongoBackend() : await postgresBackend();
    await seedAccounts(backend.store, ACCOUNTS, 22);
    dataDir = await mkdtemp(join(tmpdir(), 'chrono-snap-custom-'));
    engine = await createTestEngine(`snap-custom-${name}`, { dataDir });
    connectionId = await backend.addConnection(engine);
    await call('stores.configure', { connectionId, preset: backend.preset });
  }, 240_000);

  afterAll(async () => {
    await engine?.dispose();
    await backend?.drop();
  });

  it('is checked against the live schema: each bad table or collection is refused with a sentence and nothing is kept', async () => {
    for (const bad of backend.badCases()) {
      await bad.make();
      const err = await call('snapshots.configure', { connectionId, mapping: backend.mapping }).catch((e: unknown) => e);
      expect(err, bad.what).toMatchObject({ code: bad.code, message: expect.stringMatching(bad.message) });
      expect(await call('snapshots.mapping', { connectionId }), bad.what).toEqual({ mapping: null });
    }
    const other =
      backend.mapping.backend === 'postgres'
        ? { backend: 'mongo' as const, collection: 'x', fields: { streamId: 'a', version: 'b', state: 'c' } }
        : { backend: 'postgres' as const, table: 'x', columns: { streamId: 'a', version: 'b', state: 'c' } };
    await expect(call('snapshots.configure', { connectionId, mapping: other })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/connection: map a (table|collection) of it/),
    });
    const blank =
      backend.mapping.backend === 'postgres'
        ? { ...backend.mapping, columns: { ...backend.mapping.columns, version: ' ' } }
        : { ...backend.mapping, fields: { ...backend.mapping.fields, version: ' ' } };
    await expect(call('snapshots.configure', { connectionId, mapping: blank })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/mapping\.(columns|fields)\.version: is required/),
    });
    if (backend.mapping.backend === 'mongo') {
      const operator = { ...backend.mapping, fields: { ...backend.mapping.fields, state: '$where' } };
      await expect(call('snapshots.configure', { connectionId, mapping: operator })).rejects.toMatchObject({
        code: 'invalid_input',
        message: expect.stringMatching(/fields\.state "\$where": a MongoDB field name cannot start with "\$"/),
      });
    }
  });

  it('once valid, is kept per connection and lists, filters and inspects the snapshots it maps', async () => {
    await backend.moveSnapshots();
    // The preset's own snapshots are gone: nothing to list until the mapping is kept.
    await expect(call('snapshots.list', { connectionId })).rejects.toMatchObject({ code: 'not_found' });
    const stored = await backend.count();
    const configured = await call('snapshots.configure', { connectionId, mapping: backend.mapping, reason: 'our own snapshot table' });
    expect(configured).toMatchObject({ mapping: backend.mapping, snapshots: stored, source: expect.stringContaining('aggregate_state') });
    expect(await call('snapshots.mapping', { connectionId })).toEqual({ mapping: backend.mapping });
    expect(await new SnapshotMappings(dataDir).get(connectionId)).toEqual(backend.mapping);

    const all = await call('snapshots.list', { connectionId, limit: 500 });
    expect(all.source).toContain('aggregate_state');
    expect(all.snapshots).toHaveLength(stored);
    expect(all.snapshots[0]).toMatchObject({ streamId: 'acc-a', version: 10, streamType: 'Account', schemaVersion: 'v2' });
    expect(Date.parse(all.snapshots[0]!.takenAt!)).not.toBeNaN();
    const ids = async (filter: Record<string, unknown>) =>
      (await call('snapshots.list', { connectionId, limit: 500, ...filter })).snapshots.map((s) => `${s.streamId}@${s.version}`);
    expect(await ids({ versionBelow: 11 })).toEqual(ACCOUNTS.map((a) => `${a}@10`));
    expect(await ids({ streamType: 'Order' })).toEqual([]);
    expect(await ids({ streamPrefix: 'acc-b', versionBelow: 11 })).toEqual(['acc-b@10']);

    corruptedVersion = Math.max(...all.snapshots.filter((s) => s.streamId === 'acc-c').map((s) => s.version));
    await backend.corrupt('acc-c', corruptedVersion);
    const bad = await call('snapshots.inspect', { connectionId, streamId: 'acc-c', version: corruptedVersion });
    expect(bad).toMatchObject({ ok: false, diff: [expect.objectContaining({ path: ['balanceCents'], after: 424242 })] });
    expect(await call('snapshots.inspect', { connectionId, streamId: 'acc-a', version: 10 })).toMatchObject({ ok: true, diff: [] });
  });

  it('verifies in bulk, regenerates what failed and deletes by filter through the mapping', async () => {
    const stored = await backend.count();
    const first = await verify();
    expect(first).toMatchObject({ verified: stored, ok: stored - 1, mismatched: 1, failed: 0 });
    expect(first.mismatches).toEqual([expect.objectContaining({ streamId: 'acc-c', snapshotVersion: corruptedVersion, paths: ['balanceCents'] })]);

    const jobs = await call('jobs.list', {});
    const verification = jobs.jobs.find((j) => j.kind === 'snapshots.verifyAll' && j.state === 'done')!;
    const failed = { kind: 'failedVerification' as const, jobId: verification.id };
    const dry = await call('snapshots.regenerate', { connectionId, selection: failed, dryRun: true });
    expect(dry.count).toBe(1);
    const real = await call('snapshots.regenerate', { connectionId, selection: failed, confirmation: dry.confirmation!, reason: 'fee bug' });
    expect((await finished(real.jobId!)).result).toMatchObject({ changed: 1, failed: 0 });
    expect(await verify()).toMatchObject({ verified: stored, ok: stored, mismatched: 0 });

    const old = { kind: 'filter' as const, filter: { versionBelow: 11 } };
    const dryDelete = await call('snapshots.delete', { connectionId, selection: old, dryRun: true });
    expect(dryDelete.count).toBe(ACCOUNTS.length);
    const deleted = await call('snapshots.delete', { connectionId, selection: old, confirmation: dryDelete.confirmation!, reason: 'old snapshots' });
    expect((await finished(deleted.jobId!)).result).toMatchObject({ changed: ACCOUNTS.length, failed: 0 });
    expect(await backend.count()).toBe(stored - ACCOUNTS.length);
  });

  // A PostgreSQL connection whose events are a custom mapping as well (the case a custom snapshot mapping exists for).
  if (name === 'PostgreSQL')
    it('serves a connection whose events are a custom mapping too: the preset knows no snapshots, the mapping does', async () => {
      const other = await backend.addConnection(engine, 'Custom events and snapshots');
      const events = {
        table: 'events',
        columns: {
          eventId: 'event_id',
          streamId: 'aggregate_id',
          version: 'event_version',
          type: 'event_type',
          data: 'event_data',
          metadata: 'metadata',
          timestamp: 'timestamp',
          position: 'global_position',
          streamType: 'aggregate_type',
        },
      };
      await call('stores.configure', { connectionId: other, preset: 'custom', custom: events });
      await expect(call('snapshots.list', { connectionId: other })).rejects.toMatchObject({
        code: 'not_found',
        message: expect.stringMatching(/map them with a custom checkpoint or snapshot mapping/),
      });
      await call('snapshots.configure', { connectionId: other, mapping: backend.mapping });
      const listed = await call('snapshots.list', { connectionId: other, streamPrefix: 'acc-a' });
      expect(listed.snapshots.map((s) => s.version)).toEqual([20]);
      expect(await call('snapshots.inspect', { connectionId: other, streamId: 'acc-a', version: 20, definition: 'account' })).toMatchObject({
        ok: true,
        diff: [],
        replay: { version: 20 },
      });
      await backend.corrupt('acc-a', 20);
      expect(await call('snapshots.inspect', { connectionId: other, streamId: 'acc-a', version: 20, definition: 'account' })).toMatchObject({
        ok: false,
        diff: [expect.objectContaining({ path: ['balanceCents'] })],
      });
    });

  it('forgotten, leaves the preset to look for its own snapshots again', async () => {
    expect(await call('snapshots.configure', { connectionId, mapping: null })).toEqual({ mapping: null, source: null, snapshots: 0 });
    expect(await call('snapshots.mapping', { connectionId })).toEqual({ mapping: null });
    await expect(call('snapshots.list', { connectionId })).rejects.toMatchObject({ code: 'not_found' });
  });
});
