/**
 * Rebuild swaps take the feeding projector's checkpoint through the connection's
 * CheckpointStore, whatever the software keeps it in: held by compare-and-set in
 * the PostgreSQL swap's transaction, checked right before the renames on MongoDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_MONGO_MODELS, REFERENCE_POSTGRES_MODELS, REFERENCE_MONGO_DATE_FIELDS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { customCheckpointSource } from '../../../src-main/engine/checkpoints/checkpoint-mappings';
import { readMongoRebuild, rebuildMongo, swapMongo } from '../../../src-main/engine/rebuild/mongo-target';
import { createPartialMongoShadow, rebuildPartialMongo, swapPartialMongo } from '../../../src-main/engine/rebuild/partial-mongo';
import { rebuildPartialPostgres, swapPartialPostgres } from '../../../src-main/engine/rebuild/partial-postgres';
import { readRebuild } from '../../../src-main/engine/rebuild/postgres-target';
import { rebuildPostgres } from '../../../src-main/engine/rebuild/rebuild-postgres';
import { swapPostgres } from '../../../src-main/engine/rebuild/swap-postgres';
import { generateEvents } from '../../../src-main/reference/generator/generate';
import { writeToMongo } from '../../../src-main/reference/generator/write-mongo';
import { writeMongoCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import { MongoEventStore, REFERENCE_MONGO_MAPPING } from '../../../src-main/stores/mongo/mongo-event-store';
import type { CheckpointStore } from '../../../src-main/stores/ports/checkpoint-store';
import { openCheckpoints } from '../../../src-main/stores/ports/open-companions';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { CHECKPOINT_FIXTURES, fixtureSource, type FixtureClient } from '../stores/checkpoint-fixtures';
import { createTestDatabase, createTestMongo, type TestDatabase, type TestMongo } from '../reference/support';
import type { DomainEvent } from '../../../src-main/reference/events';
import { newId } from '../../../src-main/reference/ids';
import { eventColumnArrays, INSERT_EVENTS_SQL } from '../../../src-main/reference/postgres/rows';
import { PROJECTOR, referenceCheckpoints, seedReferenceStore } from './support';

/** Every PostgreSQL layout but the reference one (the other rebuild tests swap with that). */
const LAYOUTS = CHECKPOINT_FIXTURES.filter((f) => f.backends.includes('PostgreSQL') && f.preset !== 'classic').map((fixture) => ({
  fixture,
  preset: fixture.preset,
}));
const definition = REFERENCE_POSTGRES_MODELS['accounts_view']!;

describe.each(LAYOUTS)('swapping a PostgreSQL read model at a $preset projector', ({ fixture }) => {
  let database: TestDatabase;
  let store: PostgresEventStore;
  let checkpoints: CheckpointStore;
  const client = (): FixtureClient => ({ kind: 'postgres', pool: database.pool, url: database.url });
  const projector = { name: fixture.key.projector, source: fixture.key.source, store: fixture.key.store };

  beforeAll(async () => {
    database = await createTestDatabase('swapckpt');
    store = await seedReferenceStore(database.pool, 2000, 21);
    await fixture.setup(client());
    checkpoints = await openCheckpoints(fixtureSource(fixture), database.pool);
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('refuses while the projector is behind the rebuilt model, then swaps at its position and leaves it there', async () => {
    const head = (await store.headPosition())!;
    const record = await rebuildPostgres({ pool: database.pool, feed: store, id: `lay${fixture.key.store.slice(0, 8)}`, model: 'accounts_view', definition });
    expect(record.position).toBe(head);
    await fixture.advance(client(), '1');
    await expect(swapPostgres({ pool: database.pool, feed: store, id: record.id, definition, projector, checkpoints })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/at position 1, behind the rebuilt model/),
    });

    await fixture.advance(client(), head);
    const dry = await swapPostgres({ pool: database.pool, feed: store, id: record.id, definition, projector, checkpoints, dryRun: true });
    expect(dry.position).toBe(head);
    const plan = await swapPostgres({ pool: database.pool, feed: store, id: record.id, definition, projector, checkpoints });
    expect(plan).toMatchObject({ position: head, beforeTable: expect.stringMatching(/^accounts_view__before_/) });
    expect((await readRebuild(database.pool, record.id))!.phase).toBe('swapped');
    // Held, not moved: the projector goes on from where it was.
    expect((await checkpoints.read(fixture.key))?.position).toBe(head);
  });

  it('swaps a partial rebuild of chosen streams at the projector, in the same transaction as its checkpoint', async () => {
    const head = (await store.headPosition())!;
    await fixture.advance(client(), head);
    const { rows } = await database.pool.query<{ account_id: string }>('SELECT account_id FROM accounts_view ORDER BY account_id LIMIT 2');
    const id = `part${fixture.key.store.slice(0, 8)}`;
    await rebuildPartialPostgres({ pool: database.pool, feed: store, id, model: 'accounts_view', definition, streamIds: rows.map((r) => r.account_id) });
    const swapped = await swapPartialPostgres({ pool: database.pool, feed: store, id, definition, projector, checkpoints });
    expect(swapped).toMatchObject({ position: head, replaced: 2 });
    expect((await readRebuild(database.pool, id))!.phase).toBe('swapped');
    expect((await checkpoints.read(fixture.key))?.position).toBe(head);
  });

  it('names a projector that has no checkpoint clearly', async () => {
    const record = await rebuildPostgres({ pool: database.pool, feed: store, id: `none${fixture.key.store.slice(0, 8)}`, model: 'accounts_view', definition });
    await expect(
      swapPostgres({ pool: database.pool, feed: store, id: record.id, definition, projector: { ...projector, name: 'no-such-projector' }, checkpoints }),
    ).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/no-such-projector .* does not exist: name the projector that feeds accounts_view/),
    });
  });
});

describe('swapping while the projector commits a move of its checkpoint', () => {
  let database: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    database = await createTestDatabase('swapbusy');
    store = await seedReferenceStore(database.pool, 2000, 23);
  });

  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it("asks for the store when a projector's name and source are in two of them (Emmett's processors and subscriptions)", async () => {
    const emmett = CHECKPOINT_FIXTURES.find((f) => f.preset === 'emmett')!;
    await emmett.setup({ kind: 'postgres', pool: database.pool, url: database.url });
    await database.pool.query(
      `INSERT INTO emt_subscriptions (subscription_id, last_processed_position, last_processed_transaction_id) VALUES ('orders', 3, pg_current_xact_id())`,
    );
    const checkpoints = await openCheckpoints(fixtureSource(emmett), database.pool);
    const record = await rebuildPostgres({ pool: database.pool, feed: store, id: 'amb', model: 'accounts_view', definition });
    const projector = { name: 'orders', source: 'emt:default' };
    await expect(swapPostgres({ pool: database.pool, feed: store, id: record.id, definition, projector, checkpoints, dryRun: true })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/orders \(emt:default\) has a checkpoint in emt_processors and emt_subscriptions: name the store too/),
    });
    await expect(
      swapPostgres({
        pool: database.pool,
        feed: store,
        id: record.id,
        definition,
        projector: { ...projector, store: 'emt_processors' },
        checkpoints,
        dryRun: true,
      }),
    ).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/at position 7, behind the rebuilt model/),
    });
  });

  it('waits for the projector, reads its new position, folds up to it and swaps there', async () => {
    const record = await rebuildPostgres({ pool: database.pool, feed: store, id: 'busy', model: 'accounts_view', definition });
    const { rows } = await database.pool.query<{ account_id: string; v: number }>(
      'SELECT account_id, version AS v FROM accounts_view ORDER BY account_id LIMIT 1',
    );
    const account = rows[0]!;
    const deposit: DomainEvent = {
      eventId: newId(),
      aggregateId: account.account_id,
      aggregateType: 'Account',
      version: account.v + 1,
      timestamp: new Date().toISOString(),
      type: 'MoneyDeposited',
      data: { amountCents: 5, balanceCents: 0 },
      metadata: { correlationId: 'c', causationId: 'c', userId: 'u', schemaVersion: 1 },
    };
    await database.pool.query(INSERT_EVENTS_SQL, eventColumnArrays([deposit]));
    const moved = (await store.headPosition())!;
    expect(BigInt(moved)).toBeGreaterThan(BigInt(record.position));

    // The projector's transaction has moved its checkpoint, not committed yet.
    const projector = await database.pool.connect();
    let swap: Promise<unknown> | undefined;
    try {
      await projector.query('BEGIN');
      await projector.query(`UPDATE projection_checkpoints SET position = $1, updated_at = now() WHERE projection_name = $2 AND source = 'events'`, [
        moved,
        PROJECTOR,
      ]);
      let settled = false;
      swap = swapPostgres({
        pool: database.pool,
        feed: store,
        id: 'busy',
        definition,
        projector: { name: PROJECTOR, source: 'events' },
        checkpoints: await referenceCheckpoints(database.pool),
      }).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(settled).toBe(false);
      await projector.query('COMMIT');
    } finally {
      projector.release();
    }
    expect(await swap).toMatchObject({ position: moved });
    const { rows: after } = await database.pool.query<{ v: number }>('SELECT version AS v FROM accounts_view WHERE account_id = $1', [account.account_id]);
    expect(after[0]!.v).toBe(account.v + 1);
  });
});

describe('swapping a Mongo read model at the projector of its checkpoints collection', () => {
  let mongo: TestMongo;
  let store: MongoEventStore;
  const products = REFERENCE_MONGO_MODELS['products_view']!;
  const dateFields = REFERENCE_MONGO_DATE_FIELDS['products_view']!;

  beforeAll(async () => {
    mongo = await createTestMongo('swapckptmongo');
    await writeToMongo(mongo.db, generateEvents({ events: 800, seed: 5 }));
    store = new MongoEventStore(mongo.db, REFERENCE_MONGO_MAPPING);
    await mongo.db.createCollection('products_view');
  }, 120_000);

  afterAll(async () => {
    await mongo?.drop();
  });

  it('refuses, renaming nothing, when the projector moves after its checkpoint was read; swaps once it holds still', async () => {
    const head = (await store.headPosition())!;
    await writeMongoCheckpoint(mongo.db, 'products_view', 'events', head);
    const record = await rebuildMongo({ db: mongo.db, feed: store, id: 'race', model: 'products_view', definition: products, dateFields });
    const checkpoints = await referenceCheckpoints(mongo.db);
    // The projector writes its checkpoint right after the swap read it (FerretDB has no transaction to hold it in).
    const racing: CheckpointStore = Object.assign(Object.create(checkpoints) as CheckpointStore, {
      read: async (key: Parameters<CheckpointStore['read']>[0]) => {
        const view = await checkpoints.read(key);
        await writeMongoCheckpoint(mongo.db, 'products_view', 'events', String(BigInt(head) + 1n));
        return view;
      },
    });
    const projector = { name: 'products_view', source: 'events' };
    await expect(swapMongo({ db: mongo.db, feed: store, id: 'race', definition: products, dateFields, projector, checkpoints: racing })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(new RegExp(`moved from ${head} to ${BigInt(head) + 1n} while the shadow was caught up: nothing was swapped`)),
    });
    expect((await readMongoRebuild(mongo.db, 'race'))!.phase).toBe('indexed');
    expect((await mongo.db.listCollections({ name: record.shadow }).toArray()).length).toBe(1);

    await writeMongoCheckpoint(mongo.db, 'products_view', 'events', head);
    const swapped = await swapMongo({ db: mongo.db, feed: store, id: 'race', definition: products, dateFields, projector, checkpoints });
    expect(swapped.position).toBe(head);
    expect((await readMongoRebuild(mongo.db, 'race'))!.phase).toBe('swapped');
    expect((await checkpoints.read({ store: 'checkpoints', projector: 'products_view', source: 'events' }))?.position).toBe(head);
  });

  it('swaps a partial rebuild at a projector of a custom checkpoint mapping, refused while that projector is behind', async () => {
    const head = (await store.headPosition())!;
    await mongo.db.collection('consumer_offsets').insertOne({ consumer: 'products-worker', at: 1 });
    const checkpoints = await openCheckpoints(
      customCheckpointSource({ backend: 'mongo', collection: 'consumer_offsets', fields: { name: 'consumer', position: 'at' } }),
      mongo.db,
    );
    const page = await store.readFeed({ limit: 500 });
    const chosen = [...new Set(page.events.filter((e) => e.category === 'Product').map((e) => e.streamId))].slice(0, 2);
    expect(chosen).toHaveLength(2);
    await createPartialMongoShadow(mongo.db, { id: 'partmongo', model: 'products_view', definition: products.name, streamIds: chosen });
    await rebuildPartialMongo({ db: mongo.db, feed: store, id: 'partmongo', definition: products, dateFields });
    const projector = { name: 'products-worker', source: '' };
    await expect(
      swapPartialMongo({ db: mongo.db, feed: store, id: 'partmongo', definition: products, dateFields, projector, checkpoints }),
    ).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/projector is at 1, behind the rebuilt model/) });
    await mongo.db.collection('consumer_offsets').updateOne({ consumer: 'products-worker' }, { $set: { at: Number(head) } });
    const swapped = await swapPartialMongo({ db: mongo.db, feed: store, id: 'partmongo', definition: products, dateFields, projector, checkpoints });
    expect(swapped).toMatchObject({ position: head });
    expect((await readMongoRebuild(mongo.db, 'partmongo'))!.phase).toBe('swapped');
  });
});
