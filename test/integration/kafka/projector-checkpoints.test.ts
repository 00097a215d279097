/**
 * The Kafka offset reset's projector checkpoints, through the CheckpointStore:
 * read per partition, then set by compare-and-set, all in one transaction on
 * PostgreSQL (one that moved in between rolls every one back), each on its own on
 * FerretDB (no transactions).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSource, readCheckpoints, writeCheckpoints } from '../../../src-main/engine/kafka/projector-checkpoints';
import { REFERENCE_SUPPORT_DDL } from '../../../src-main/reference/postgres/schema';
import { writeMongoCheckpoint, writePostgresCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import type { CheckpointStore } from '../../../src-main/stores/ports/checkpoint-store';
import { openCheckpoints } from '../../../src-main/stores/ports/open-companions';
import { presetRecord } from '../../../src-main/stores/presets';
import type { ResetPlanRow } from '../../../src-shared/schemas/kafka';
import { createTestDatabase, createTestMongo, type TestDatabase, type TestMongo } from '../reference/support';

const plan = (next: string): ResetPlanRow[] => [0, 1, 2].map((partition) => ({ topic: 'orders', partition, current: '9', next, reprocessed: 0, skipped: 0 }));

/** A store whose checkpoint for partition 1 is written by its projector right after the reset read them. */
function racing(checkpoints: CheckpointStore, projectorWrites: () => Promise<void>): CheckpointStore {
  return Object.assign(Object.create(checkpoints) as CheckpointStore, {
    list: async () => {
      const listed = await checkpoints.list();
      await projectorWrites();
      return listed;
    },
  });
}

describe('the Kafka reset of projector checkpoints on PostgreSQL', () => {
  let db: TestDatabase;
  let checkpoints: CheckpointStore;
  const positions = async () =>
    (
      await db.pool.query<{ source: string; position: string }>(
        `SELECT source, position::text FROM projection_checkpoints WHERE projection_name = 'orders_view' ORDER BY source`,
      )
    ).rows.map((r) => r.position);

  beforeAll(async () => {
    db = await createTestDatabase('kafkackpt');
    await db.pool.query(REFERENCE_SUPPORT_DDL);
    await writePostgresCheckpoint(db.pool, 'orders_view', kafkaSource('orders', 0), '9');
    await writePostgresCheckpoint(db.pool, 'orders_view', kafkaSource('orders', 1), '9');
    checkpoints = await openCheckpoints(presetRecord('classic')!, db.pool);
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('moves every partition by compare-and-set, creating the one the projector has not written yet', async () => {
    const read = await readCheckpoints(checkpoints, 'orders_view', plan('0'));
    expect([...read.values()].map((v) => v?.position ?? null)).toEqual(['9', '9', null]);
    await writeCheckpoints(checkpoints, 'orders_view', plan('0'), read);
    expect(await positions()).toEqual(['0', '0', '0']);
  });

  it('refuses, moving none, when the projector moved one checkpoint after it was read', async () => {
    const store = racing(checkpoints, () => writePostgresCheckpoint(db.pool, 'orders_view', kafkaSource('orders', 1), '4'));
    const read = await readCheckpoints(store, 'orders_view', plan('7'));
    await expect(writeCheckpoints(store, 'orders_view', plan('7'), read)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/orders:1 from 0 to 4 while it was being reset: nothing was moved/),
    });
    // Partition 0 was set before partition 1 refused: rolled back with it.
    expect(await positions()).toEqual(['0', '4', '0']);
  });

  it("rolls the checkpoints back when the group's offsets cannot be moved, and moves no offset when a checkpoint moved", async () => {
    const before = await positions();
    const read = await readCheckpoints(checkpoints, 'orders_view', plan('2'));
    await expect(writeCheckpoints(checkpoints, 'orders_view', plan('2'), read, () => Promise.reject(new Error('the group has members')))).rejects.toThrow(
      'the group has members',
    );
    expect(await positions()).toEqual(before);
    let offsetsMoved = false;
    const store = racing(checkpoints, () => writePostgresCheckpoint(db.pool, 'orders_view', kafkaSource('orders', 1), '5'));
    const raced = await readCheckpoints(store, 'orders_view', plan('2'));
    await expect(writeCheckpoints(store, 'orders_view', plan('2'), raced, async () => void (offsetsMoved = true))).rejects.toMatchObject({ code: 'conflict' });
    expect(offsetsMoved).toBe(false);
  });
});

describe('the Kafka reset of projector checkpoints on FerretDB', () => {
  let mongo: TestMongo;
  let checkpoints: CheckpointStore;

  beforeAll(async () => {
    mongo = await createTestMongo('kafkackpt');
    await writeMongoCheckpoint(mongo.db, 'orders_view', kafkaSource('orders', 0), '9');
    await writeMongoCheckpoint(mongo.db, 'orders_view', kafkaSource('orders', 1), '9');
    checkpoints = await openCheckpoints(presetRecord('reference-mongo')!, mongo.db);
  });

  afterAll(async () => {
    await mongo?.drop();
  });

  it('moves each partition by its own compare-and-set and refuses at the one that moved (those before stay set: no transactions)', async () => {
    const store = racing(checkpoints, () => writeMongoCheckpoint(mongo.db, 'orders_view', kafkaSource('orders', 1), '4'));
    const read = await readCheckpoints(store, 'orders_view', plan('0'));
    await expect(writeCheckpoints(store, 'orders_view', plan('0'), read)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/the checkpoints of orders:0 were already set \(this store has no transactions\)/),
    });
    const docs = await mongo.db.collection<{ source: string; position: string }>('checkpoints').find({}).sort({ source: 1 }).toArray();
    expect(docs.map((d) => d.position)).toEqual(['0', '4']);
  });
});
