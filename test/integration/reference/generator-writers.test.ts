import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAggregate } from '../../../src-main/reference/commands/aggregate-loader';
import { copyBatches } from '../../../src-main/reference/generator/copy-source';
import { generateEvents } from '../../../src-main/reference/generator/generate';
import { writeToMongo } from '../../../src-main/reference/generator/write-mongo';
import { writeToPostgres } from '../../../src-main/reference/generator/write-postgres';
import { ensureMongoIndexes, ReferenceMongoStore } from '../../../src-main/reference/mongo/event-store';
import { ReferencePostgresStore } from '../../../src-main/reference/postgres/event-store';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { testServices } from '../env';
import { createTestDatabase, createTestMongo, type TestDatabase, type TestMongo } from './support';

let database: TestDatabase;
let mongo: TestMongo;

beforeAll(async () => {
  database = await createTestDatabase();
  mongo = await createTestMongo();
  await ensureReferenceSchema(database.pool);
  await ensureMongoIndexes(mongo.db);
});

afterAll(async () => {
  await mongo?.drop();
  await database?.drop();
});

describe('generator writers', () => {
  it('COPYs a generated dataset into Postgres with keys and snapshots that match a replay', async () => {
    const progress: number[] = [];
    const result = await writeToPostgres(database.pool, generateEvents({ events: 30_000, seed: 11, snapshotEvery: 50 }), {
      total: 30_000,
      eventsPerCopy: 10_000,
      onProgress: (p) => progress.push(p.events),
    });
    expect(result.events).toBe(30_000);
    expect(progress.at(-1)).toBe(30_000);
    const { rows } = await database.pool.query(
      'SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM snapshots)::int AS snapshots, (SELECT count(*) FROM subject_keys)::int AS keys',
    );
    expect(rows[0]).toMatchObject({ events: 30_000 });
    expect(rows[0].snapshots).toBeGreaterThan(10);
    expect(rows[0].keys).toBeGreaterThan(100);
    // The longest stream: loading from its newest snapshot gives the same state as replaying it all.
    const longest = (await database.pool.query('SELECT aggregate_id, aggregate_type FROM snapshots ORDER BY version DESC LIMIT 1')).rows[0];
    const store = new ReferencePostgresStore(database.pool);
    const fromSnapshot = await loadAggregate(store, longest.aggregate_type, longest.aggregate_id);
    const replay = await loadAggregate(store, longest.aggregate_type, longest.aggregate_id, { useSnapshots: false });
    expect(fromSnapshot.fromSnapshotVersion).toBeGreaterThan(0);
    expect(fromSnapshot.state).toEqual(replay.state);
  });

  it('fresh mode: loads COPY batches with the secondary indexes dropped, then rebuilds them; refuses a non-empty table', async () => {
    const fresh = await createTestDatabase();
    try {
      await ensureReferenceSchema(fresh.pool);
      const indexes = async () =>
        (await fresh.pool.query<{ indexdef: string }>("SELECT indexdef FROM pg_indexes WHERE tablename = 'events' ORDER BY indexname")).rows.map(
          (r) => r.indexdef,
        );
      const before = await indexes();
      const phases: string[] = [];
      const result = await writeToPostgres(fresh.pool, copyBatches({ events: 8_000, seed: 13 }, { worker: false }), {
        total: 8_000,
        eventsPerCopy: 3_000,
        fresh: true,
        onPhase: (m) => phases.push(m),
      });
      expect(result.events).toBe(8_000);
      expect(await indexes()).toEqual(before);
      expect(phases.join('\n')).toMatch(/dropped 4 secondary.*\n.*\n.*rebuilt/s);
      // Per stream, global positions follow versions.
      const { rows } = await fresh.pool.query(
        'SELECT count(*)::int AS n FROM (SELECT event_version - lag(event_version) OVER (PARTITION BY aggregate_id ORDER BY global_position) AS step FROM events) s WHERE step <> 1',
      );
      expect(rows[0].n).toBe(0);
      await expect(writeToPostgres(fresh.pool, copyBatches({ events: 10, seed: 14 }, { worker: false }), { fresh: true })).rejects.toThrow(
        /empty events table/,
      );
      expect(await indexes()).toEqual(before);
    } finally {
      await fresh.drop();
    }
  });

  it('bulk-inserts a generated dataset into Mongo', async () => {
    const result = await writeToMongo(mongo.db, generateEvents({ events: 5_000, seed: 12 }), { total: 5_000 });
    expect(result.events).toBe(5_000);
    expect(await mongo.db.collection('events').countDocuments()).toBe(5_000);
    expect(await mongo.db.collection('events').countDocuments({ published: false })).toBe(0);
    const doc = await mongo.db.collection('events').find({ aggregateType: 'Account' }).sort({ version: -1 }).limit(1).next();
    const store = new ReferenceMongoStore(mongo.db);
    const loaded = await loadAggregate(store, 'Account', String(doc!.aggregateId));
    expect(loaded.version).toBe(doc!.version);
  });

  it('runs as a command: reference:generate --events N --store URL --seed S', async () => {
    const url = new URL(testServices.mongoUrl);
    url.pathname = `/${mongo.name}_cli`;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', 'src-main/reference/generator/main.ts', '--events', '2000', '--store', database.url, '--seed', '5'],
      { cwd: process.cwd() },
    );
    expect(stdout).toMatch(/wrote 2000 events/);
    expect(Number((await database.pool.query('SELECT count(*) AS n FROM events')).rows[0].n)).toBe(32_000);
  });
});
