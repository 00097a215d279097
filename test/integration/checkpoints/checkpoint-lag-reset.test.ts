/**
 * Checkpoints through the engine's operations, on each backend: lag in events
 * across a rolled-back hole, the reset's dry run and compare-and-set, a reset
 * while the reference projector runs, bad input, and the lag history.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import type { Db } from 'mongodb';
import type { Engine } from '../../../src-main/engine/engine';
import { seedDemoWorkspace } from '../../../src-main/reference/demo/seed-demo';
import { DirectProjector } from '../../../src-main/reference/projectors/direct-projector';
import { ordersViewSpec } from '../../../src-main/reference/projectors/orders-view';
import { readPostgresCheckpoint, writePostgresCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import { createTestEngine, engineCaller, postgresConnection, type Call } from '../engine-support';
import { createPgliteDatabase, createTestDatabase, createTestMongo, eventually, type TestDatabase, type TestMongo } from '../reference/support';
import { testServices } from '../env';

const KEY = (projector: string) => ({ store: 'projection_checkpoints', projector, source: 'events' });

async function insertEvents(pool: pg.Pool, count: number, type = 'Tick'): Promise<void> {
  for (let i = 0; i < count; i++) {
    await pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data)
       VALUES (gen_random_uuid(), $1, 'Clock', $2, 1, '{}'::jsonb)`,
      [`clock-${Math.random().toString(36).slice(2)}`, type],
    );
  }
}

/** Takes a position from the sequence and rolls it back: a hole that is not an event. */
async function rolledBackInsert(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES (gen_random_uuid(), 'never', 'Clock', 'Never', 1, '{}'::jsonb)`,
    );
    await client.query('ROLLBACK');
  } finally {
    client.release();
  }
}

const head = async (pool: pg.Pool) => (await pool.query<{ p: string }>('SELECT max(global_position)::text AS p FROM events')).rows[0]!.p;

describe.each(['PostgreSQL', 'PGlite'] as const)('checkpoints on %s', (backend) => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;
  let connectionId: string;

  beforeAll(async () => {
    db = backend === 'PGlite' ? await createPgliteDatabase() : await createTestDatabase('cp_lag');
    await seedDemoWorkspace(db.pool, { events: 1_200 });
    engine = await createTestEngine('cp-lag', { lagSamplingIntervalMs: 100 });
    call = engineCaller(() => engine);
    connectionId = (await call('connections.add', { ...postgresConnection(`Checkpoints ${backend}`, db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId, preset: 'classic', reason: 'test' });
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('counts the real events between a checkpoint and the head, not the hole a rollback left, and says when one is ahead', async () => {
    const start = await head(db.pool);
    await writePostgresCheckpoint(db.pool, 'hole_watcher', 'events', start);
    await insertEvents(db.pool, 2);
    await rolledBackInsert(db.pool);
    await insertEvents(db.pool, 3);
    await writePostgresCheckpoint(db.pool, 'from_the_future', 'events', String(BigInt(start) + 1000n));

    const listed = await call('checkpoints.list', { connectionId });
    const end = await head(db.pool);
    expect(BigInt(end) - BigInt(start)).toBe(6n); // five events and one hole
    expect(listed.head).toBe(end);
    const watcher = listed.projectors.find((p) => p.projector === 'hole_watcher')!;
    expect(watcher.rows[0]).toMatchObject({ position: start, head: end, lag: { events: 5, estimated: false }, status: 'behind' });
    expect(watcher.rows[0]!.lagMs).toBeGreaterThanOrEqual(0);
    expect(watcher.rows[0]!.oldestUnprocessedAt).not.toBeNull();
    expect(listed.projectors.find((p) => p.projector === 'from_the_future')).toMatchObject({ status: 'ahead' });
    // The demo leaves orders_view far behind the healthy projectors.
    expect(listed.projectors.find((p) => p.projector === 'orders_view')!.lagEvents).toBeGreaterThan(0);
    expect(listed.projectors.find((p) => p.projector === 'accounts_view')).toMatchObject({ status: 'behind' }); // the clock events arrived after it
  });

  it('refuses a reset when the projector moved between the dry run and the real run, writing nothing', async () => {
    await writePostgresCheckpoint(db.pool, 'racer', 'events', '10');
    const input = { connectionId, key: KEY('racer'), target: { kind: 'beginning' as const }, reason: 'replay racer' };
    const preview = await call('checkpoints.reset', { ...input, dryRun: true });
    expect(preview).toMatchObject({ outcome: 'preview', expected: '10', direction: 'reprocess', target: { position: '0' } });
    expect(preview.summary!.count).toBe(10);
    expect(preview.summary!.byType.reduce((n, t) => n + t.count, 0)).toBe(10);
    expect(preview.summary!.first!.position).toBe('1');
    expect(preview.summary!.last!.position).toBe('10');

    await writePostgresCheckpoint(db.pool, 'racer', 'events', '20'); // the projector moves on
    await expect(call('checkpoints.reset', { ...input, confirmation: preview.confirmation })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/racer \(events\) moved from 10 to 20 since the dry run: nothing was written/),
    });
    expect(await readPostgresCheckpoint(db.pool, 'racer', 'events')).toBe('20');
    const audit = await call('audit.list', { operation: 'checkpoints.reset' });
    expect(JSON.stringify(audit)).toMatch(/conflict/);

    // A fresh dry run sees 20, and its real run applies.
    const again = await call('checkpoints.reset', { ...input, dryRun: true });
    expect(again.expected).toBe('20');
    const applied = await call('checkpoints.reset', { ...input, confirmation: again.confirmation });
    expect(applied).toMatchObject({ outcome: 'applied', expected: '20' });
    expect(await readPostgresCheckpoint(db.pool, 'racer', 'events')).toBe('0');
  });

  it('resets orders_view while its projector runs: it reprocesses and its view converges to a fresh build', async () => {
    // pglite-socket interleaves extended-protocol messages of concurrent connections (electric-sql/pglite#977):
    // the 100 ms background sampling is paused so the projector and the reset are the only writers.
    await engine.lagSampler.stop();
    const projector = new DirectProjector(db.pool, { name: 'orders_view', views: [ordersViewSpec as never], batchSize: 200, idleDelayMs: 20, gapSettleMs: 10 });
    projector.start();
    try {
      const end = await head(db.pool);
      await eventually(async () => (await readPostgresCheckpoint(db.pool, 'orders_view', 'events')) === end, 60_000, 'orders_view at the head');
      const orders = Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM orders_view')).rows[0]!.n);
      expect(orders).toBeGreaterThan(0);

      await db.pool.query('DELETE FROM orders_view'); // the operator drops the broken read model...
      const input = { connectionId, key: KEY('orders_view'), target: { kind: 'beginning' as const }, reason: 'rebuild orders_view' };
      const preview = await call('checkpoints.reset', { ...input, dryRun: true });
      expect(preview.alive.looksAlive).toBe(true);
      expect(preview.warnings.join(' ')).toMatch(/looks alive/);
      expect(preview.summary!.byType.map((t) => t.type)).toContain('OrderPlaced');
      await call('checkpoints.reset', { ...input, confirmation: preview.confirmation }); // ...and resets its checkpoint

      await eventually(async () => (await readPostgresCheckpoint(db.pool, 'orders_view', 'events')) === end, 60_000, 'orders_view back at the head');
      await db.pool.query('CREATE TABLE orders_fresh (LIKE orders_view INCLUDING ALL)');
      await new DirectProjector(db.pool, {
        name: 'orders_fresh',
        views: [{ ...ordersViewSpec, table: 'orders_fresh' } as never],
        batchSize: 500,
        gapSettleMs: 10,
      }).catchUp();
      const difference = await db.pool.query(
        `(SELECT * FROM orders_view EXCEPT SELECT * FROM orders_fresh) UNION ALL (SELECT * FROM orders_fresh EXCEPT SELECT * FROM orders_view)`,
      );
      expect(difference.rows).toEqual([]);
      expect(Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM orders_view')).rows[0]!.n)).toBe(orders);
    } finally {
      await projector.stop();
      void engine.lagSampler.start();
    }
  }, 120_000);

  it('answers bad input with a sentence and writes nothing: beyond the head, a text position, a read-only profile', async () => {
    await writePostgresCheckpoint(db.pool, 'careful', 'events', '5');
    const end = await head(db.pool);
    const beyond = String(BigInt(end) + 10n);
    await expect(
      call('checkpoints.reset', { connectionId, key: KEY('careful'), target: { kind: 'position', position: beyond }, dryRun: true }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(new RegExp(`Position ${beyond} is beyond the head of the store \\(${end}\\)`)),
    });
    await expect(
      call('checkpoints.reset', { connectionId, key: KEY('careful'), target: { kind: 'position', position: 'twelve' }, dryRun: true }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/target\.position: position must be a whole number/),
    });
    await expect(call('checkpoints.reset', { connectionId, key: KEY('nobody'), target: { kind: 'head' }, dryRun: true })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/No checkpoint nobody \(events\)/),
    });
    const readOnly = (await call('connections.add', postgresConnection(`Read-only ${backend}`, db.url))).id;
    await call('stores.configure', { connectionId: readOnly, preset: 'classic', reason: 'test' });
    const preview = await call('checkpoints.reset', { connectionId: readOnly, key: KEY('careful'), target: { kind: 'head' }, dryRun: true });
    await expect(
      call('checkpoints.reset', { connectionId: readOnly, key: KEY('careful'), target: { kind: 'head' }, confirmation: preview.confirmation, reason: 'OPS-1' }),
    ).rejects.toMatchObject({ code: 'read_only' });
    expect(await readPostgresCheckpoint(db.pool, 'careful', 'events')).toBe('5');
  });

  it('samples the lag in the background and keeps the history across a restart', async () => {
    await call('checkpoints.list', { connectionId });
    const key = KEY('hole_watcher');
    await eventually(async () => (await call('checkpoints.history', { connectionId, key })).samples.length >= 3, 20_000, 'three samples');
    const dataDir = (await call('app.info', {})).dataDir;
    await engine.dispose();
    engine = await createTestEngine('cp-lag', { dataDir });
    const after = await call('checkpoints.history', { connectionId, key });
    expect(after.samples.length).toBeGreaterThanOrEqual(3);
    expect(after.samples.at(-1)).toMatchObject({ lagEvents: 5, estimated: false });
    expect(after.sampling).toBe(true);
  });
});

describe('checkpoints on a store without the checkpoint table or with a text position column', () => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;

  beforeAll(async () => {
    db = await createTestDatabase('cp_bad');
    engine = await createTestEngine('cp-bad');
    call = engineCaller(() => engine);
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('says the table is missing, then names the text column, writing nothing', async () => {
    await db.pool.query((await import('../../../src-main/stores/postgres/classic-schema')).CLASSIC_EVENTS_DDL);
    const connectionId = (await call('connections.add', { ...postgresConnection('No checkpoints', db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId, preset: 'classic', reason: 'test' });
    await expect(call('checkpoints.list', { connectionId })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/"public"\."projection_checkpoints" does not exist/),
    });

    await db.pool.query(
      `CREATE TABLE projection_checkpoints (projection_name text, source text, position text, updated_at timestamptz, PRIMARY KEY (projection_name, source))`,
    );
    await db.pool.query(`INSERT INTO projection_checkpoints VALUES ('textual', 'events', 'twelve', now())`);
    await expect(call('checkpoints.reset', { connectionId, key: KEY('textual'), target: { kind: 'beginning' }, dryRun: true })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/position/),
    });
    expect((await db.pool.query('SELECT position FROM projection_checkpoints')).rows).toEqual([{ position: 'twelve' }]);
  });
});

describe('checkpoints on FerretDB', () => {
  let mongo: TestMongo;
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  const key = { store: 'checkpoints', projector: 'products', source: 'events' };

  const setCheckpoint = (db: Db, position: string) =>
    db
      .collection<{ _id: string }>('checkpoints')
      .updateOne({ _id: 'products|events' }, { $set: { projection: 'products', source: 'events', position, updatedAt: new Date() } }, { upsert: true });

  beforeAll(async () => {
    mongo = await createTestMongo('cp_mongo');
    // Positions 1..8 with 6 missing: a reservation whose insert never happened.
    const positions = [1, 2, 3, 4, 5, 7, 8];
    await mongo.db.collection<{ _id: string }>('events').insertMany(
      positions.map((p) => ({
        _id: `e${p}`,
        aggregateId: `product-${p % 2}`,
        aggregateType: 'Product',
        type: p % 2 ? 'StockAdjusted' : 'PriceChanged',
        version: p,
        position: p,
        timestamp: new Date(Date.now() - (10 - p) * 1000),
        data: {},
        metadata: {},
        published: true,
      })),
    );
    await setCheckpoint(mongo.db, '3');
    engine = await createTestEngine('cp-mongo');
    call = engineCaller(() => engine);
    connectionId = (
      await call('connections.add', { name: 'Reference Mongo', settings: { kind: 'mongo', uri: testServices.mongoUrl, database: mongo.name }, readOnly: false })
    ).id;
    await call('stores.configure', { connectionId, preset: 'reference-mongo', reason: 'test' });
  });

  afterAll(async () => {
    await engine?.dispose();
    await mongo?.drop();
  });

  it('counts the events after the checkpoint across the missing position', async () => {
    const listed = await call('checkpoints.list', { connectionId });
    expect(listed.head).toBe('8');
    expect(listed.projectors[0]!.rows[0]).toMatchObject({ projector: 'products', position: '3', lag: { events: 4, estimated: false }, status: 'behind' });
    expect(listed.projectors[0]!.lagMs).toBeGreaterThanOrEqual(5_000);
  });

  it('refuses a reset the projector raced, refuses one beyond the head, and applies a confirmed one', async () => {
    const fourth = (await mongo.db.collection<{ _id: string; timestamp: Date }>('events').findOne({ _id: 'e4' }))!.timestamp;
    const input = { connectionId, key, target: { kind: 'time' as const, at: new Date(fourth.getTime() + 1).toISOString() }, reason: 'replay' };
    const preview = await call('checkpoints.reset', { ...input, dryRun: true });
    expect(preview).toMatchObject({ expected: '3', direction: 'skip', target: { position: '4' } });
    expect(preview.summary).toMatchObject({ count: 1, first: { position: '4' }, last: { position: '4' } });
    await setCheckpoint(mongo.db, '5');
    await expect(call('checkpoints.reset', { ...input, confirmation: preview.confirmation })).rejects.toMatchObject({ code: 'conflict' });
    await expect(call('checkpoints.reset', { connectionId, key, target: { kind: 'position', position: '9' }, dryRun: true })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/beyond the head of the store \(8\)/),
    });
    expect((await mongo.db.collection('checkpoints').findOne({}))?.position).toBe('5');
    const again = await call('checkpoints.reset', { connectionId, key, target: { kind: 'beginning' }, dryRun: true });
    expect(again.summary).toMatchObject({ count: 5, first: { position: '1' }, last: { position: '5' } });
    await call('checkpoints.reset', { connectionId, key, target: { kind: 'beginning' }, confirmation: again.confirmation, reason: 'OPS-1' });
    expect((await mongo.db.collection('checkpoints').findOne({}))?.position).toBe('0');
  });
  it('maps a collection of its own, refusing a missing one, and reads a text position as unreadable without writing', async () => {
    const mapping = { backend: 'mongo' as const, collection: 'consumer_offsets', fields: { name: 'consumer', position: 'at' } };
    await expect(call('checkpoints.configure', { connectionId, mapping })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/consumer_offsets/),
    });
    await mongo.db.collection('consumer_offsets').insertMany([
      { consumer: 'mailer', at: 6 },
      { consumer: 'typo', at: 'six' },
    ]);
    expect(await call('checkpoints.configure', { connectionId, mapping })).toMatchObject({ checkpoints: 2 });
    const listed = await call('checkpoints.list', { connectionId });
    const byName = Object.fromEntries(listed.projectors.map((p) => [p.projector, p.rows[0]!]));
    expect(byName.mailer).toMatchObject({ kind: 'custom', position: '6', lag: { events: 2 }, status: 'behind' }); // 7 and 8
    expect(byName.typo).toMatchObject({ status: 'unknown', position: null });
    await expect(
      call('checkpoints.reset', {
        connectionId,
        key: { store: 'consumer_offsets', projector: 'typo', source: '' },
        target: { kind: 'beginning' },
        dryRun: true,
      }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/"six".*not a number/),
    });
    expect((await mongo.db.collection('consumer_offsets').findOne({ consumer: 'typo' }))?.at).toBe('six');
    await call('checkpoints.configure', { connectionId, mapping: null });
  });
});

describe('a custom checkpoint mapping', () => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  const mapping = { backend: 'postgres' as const, table: 'consumer_offsets', columns: { name: 'consumer', position: 'last_seen', updatedAt: 'touched' } };

  beforeAll(async () => {
    db = await createTestDatabase('cp_custom');
    await db.pool.query((await import('../../../src-main/stores/postgres/classic-schema')).CLASSIC_EVENTS_DDL);
    await insertEvents(db.pool, 4);
    engine = await createTestEngine('cp-custom');
    call = engineCaller(() => engine);
    connectionId = (await call('connections.add', { ...postgresConnection('Custom checkpoints', db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId, preset: 'classic', reason: 'test' });
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('is checked against the live schema: a missing table and a text position are refused and nothing is kept', async () => {
    await expect(call('checkpoints.configure', { connectionId, mapping })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/"public"\."consumer_offsets" does not exist/),
    });
    await db.pool.query('CREATE TABLE consumer_offsets (consumer text PRIMARY KEY, last_seen text, touched timestamptz)');
    await expect(call('checkpoints.configure', { connectionId, mapping })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/last_seen/),
    });
    expect(await call('checkpoints.mapping', { connectionId })).toEqual({ mapping: null });
    await expect(call('checkpoints.configure', { connectionId, mapping: { ...mapping, columns: { ...mapping.columns, position: '' } } })).rejects.toMatchObject(
      {
        code: 'invalid_input',
        message: expect.stringMatching(/mapping\.columns\.position: is required/),
      },
    );
  });

  it('once valid, lists its checkpoints with their lag and resets them by compare-and-set', async () => {
    await db.pool.query('DROP TABLE consumer_offsets');
    await db.pool.query('CREATE TABLE consumer_offsets (consumer text PRIMARY KEY, last_seen bigint, touched timestamptz)');
    await db.pool.query(`INSERT INTO consumer_offsets VALUES ('billing', 1, now())`);
    expect(await call('checkpoints.configure', { connectionId, mapping, reason: 'our own offsets table' })).toMatchObject({
      sources: ['"public"."consumer_offsets"'],
      checkpoints: 1,
    });
    expect(await call('checkpoints.mapping', { connectionId })).toEqual({ mapping });
    const listed = await call('checkpoints.list', { connectionId });
    expect(listed.projectors[0]!.rows[0]).toMatchObject({ store: 'consumer_offsets', projector: 'billing', kind: 'custom', position: '1', lag: { events: 3 } });
    const key = { store: 'consumer_offsets', projector: 'billing', source: '' };
    const preview = await call('checkpoints.reset', { connectionId, key, target: { kind: 'head' }, dryRun: true });
    expect(preview).toMatchObject({ direction: 'skip', summary: { count: 3 } });
    await call('checkpoints.reset', { connectionId, key, target: { kind: 'head' }, confirmation: preview.confirmation, reason: 'OPS-1' });
    expect((await db.pool.query('SELECT last_seen::text AS p FROM consumer_offsets')).rows).toEqual([{ p: '4' }]);

    // Forgotten: the preset's layout (projection_checkpoints, missing here) is read again.
    await call('checkpoints.configure', { connectionId, mapping: null });
    await expect(call('checkpoints.list', { connectionId })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('Kafka partition checkpoints', () => {
  let db: TestDatabase;
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  let kafkaConnectionId: string;
  const topic = `chrono_cp_${Math.random().toString(36).slice(2, 10)}`;

  beforeAll(async () => {
    const { Kafka, logLevel } = await import('kafkajs');
    const kafka = new Kafka({ brokers: testServices.kafkaBrokers, clientId: 'chrono-cp-test', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    // Partition p holds 10 * (p + 1) records: ends 10, 20, 30.
    for (let p = 0; p < 3; p++) await producer.send({ topic, messages: Array.from({ length: 10 * (p + 1) }, (_, i) => ({ partition: p, value: `m${i}` })) });
    await producer.disconnect();

    db = await createTestDatabase('cp_kafka');
    await seedDemoWorkspace(db.pool, { events: 300 });
    for (const [p, position] of [
      [0, 10],
      [1, 5],
      [2, 31],
    ] as const)
      await writePostgresCheckpoint(db.pool, 'orders_kafka', `kafka:${topic}:${p}`, String(position));
    engine = await createTestEngine('cp-kafka');
    call = engineCaller(() => engine);
    connectionId = (await call('connections.add', { ...postgresConnection('Kafka checkpoints', db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId, preset: 'classic', reason: 'test' });
    kafkaConnectionId = (
      await call('connections.add', { name: 'Kafka', settings: { kind: 'kafka', brokers: testServices.kafkaBrokers, connectTimeoutMs: 3000 } })
    ).id;
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('groups one row per partition under the projector, each against its partition end', async () => {
    const without = await call('checkpoints.list', { connectionId });
    expect(without.notes.join(' ')).toMatch(new RegExp(`Choose the Kafka connection of topic ${topic}`));
    expect(without.projectors.find((p) => p.projector === 'orders_kafka')!.rows.every((r) => r.status === 'unknown')).toBe(true);

    const listed = await call('checkpoints.list', { connectionId, kafkaConnectionId });
    const group = listed.projectors.find((p) => p.projector === 'orders_kafka')!;
    expect(group.rows.map((r) => [r.source, r.head, r.lag?.events, r.status])).toEqual([
      [`kafka:${topic}:0`, '10', 0, 'caught-up'],
      [`kafka:${topic}:1`, '20', 15, 'behind'],
      [`kafka:${topic}:2`, '30', 0, 'ahead'],
    ]);
    expect(group).toMatchObject({ status: 'ahead', lagEvents: 15 });
  });

  it('resets a partition to its end by offsets, and refuses a time', async () => {
    const key = { store: 'projection_checkpoints', projector: 'orders_kafka', source: `kafka:${topic}:1` };
    const preview = await call('checkpoints.reset', { connectionId, kafkaConnectionId, key, target: { kind: 'head' }, dryRun: true });
    expect(preview).toMatchObject({ direction: 'skip', offsets: 15, summary: null, target: { position: '20' } });
    await call('checkpoints.reset', { connectionId, kafkaConnectionId, key, target: { kind: 'head' }, confirmation: preview.confirmation, reason: 'OPS-1' });
    expect(await readPostgresCheckpoint(db.pool, 'orders_kafka', key.source)).toBe('20');
    await expect(
      call('checkpoints.reset', { connectionId, kafkaConnectionId, key, target: { kind: 'time', at: new Date().toISOString() }, dryRun: true }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/not to a time/),
    });
  });
});
