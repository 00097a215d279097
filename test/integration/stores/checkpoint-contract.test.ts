/**
 * The CheckpointStore contract, run for every preset that keeps checkpoints, on
 * each backend its layout lives on (PostgreSQL, PGlite, FerretDB): reads, the
 * compare-and-set reset (in a transaction of its own), and the swap's use of it
 * (joined to the caller's transaction, held there, committed or rolled back with it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from 'mongodb';
import type pg from 'pg';
import type { CheckpointStore, CheckpointView } from '../../../src-main/stores/ports/checkpoint-store';
import { CompanionLayoutError, CompanionNotFoundError } from '../../../src-main/stores/ports/errors';
import { openCheckpoints, type CompanionSource } from '../../../src-main/stores/ports/open-companions';
import { CHECKPOINT_FIXTURES, fixtureSource, type FixtureClient } from './checkpoint-fixtures';
import { createFixtureDatabase, type FixtureDatabase } from './companion-backends';

const CASES = CHECKPOINT_FIXTURES.flatMap((fixture) => fixture.backends.map((backend) => ({ backend, fixture, preset: fixture.preset })));

const clientOf = (client: FixtureClient): pg.Pool | Db => (client.kind === 'postgres' ? client.pool : client.db);

describe.each(CASES)('CheckpointStore of $preset on $backend', ({ backend, fixture }) => {
  let db: FixtureDatabase;
  let record: CompanionSource;
  let store: CheckpointStore;

  beforeAll(async () => {
    db = await createFixtureDatabase(backend, 'checkpoints');
    record = fixtureSource(fixture);
    await fixture.setup(db.client);
    store = await openCheckpoints(record, clientOf(db.client));
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('lists every checkpoint with its position as a decimal string', async () => {
    const listed = await store.list();
    expect(listed).toHaveLength(fixture.expected.length);
    listed.forEach((view, i) => expect(view).toMatchObject(fixture.expected[i]!));
    for (const view of listed) expect(view.position === null || /^\d+$/.test(view.position)).toBe(true);
    expect(store.sources().length).toBeGreaterThan(0);
  });

  it('reads one checkpoint, and none for an unknown projector', async () => {
    expect(await store.read(fixture.key)).toMatchObject({ ...fixture.key, position: fixture.position });
    expect(await store.read({ ...fixture.key, projector: 'no-such-projector' })).toBeNull();
  });

  it('moves a checkpoint by compare-and-set when it still holds the expected position', async () => {
    const result = await store.setPosition(fixture.key, fixture.position, '3');
    expect(result).toMatchObject({ outcome: 'applied', checkpoint: { ...fixture.key, position: '3' } });
    expect((await store.read(fixture.key))?.position).toBe('3');
  });

  it('writes nothing when the projector moved since the position was read', async () => {
    await fixture.advance(db.client, '15');
    const result = await store.setPosition(fixture.key, '3', '1');
    expect(result.outcome).toBe('moved');
    expect((result.checkpoint as CheckpointView).position).toBe('15');
    expect((await store.read(fixture.key))?.position).toBe('15');
  });

  it('refuses a position that is not a decimal number', async () => {
    await expect(store.setPosition(fixture.key, '15', '1; DROP TABLE x')).rejects.toThrow(/64-bit decimal/);
    expect((await store.read(fixture.key))?.position).toBe('15');
  });

  it('says clearly when the checkpoint table is missing', async () => {
    const empty = await createFixtureDatabase(backend, 'checkpoints_empty');
    try {
      const err = await openCheckpoints(record, clientOf(empty.client)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CompanionNotFoundError);
      expect((err as Error).message).toMatch(
        new RegExp(`No checkpoints of ${record.label.replace(/[()]/g, '\\$&')} found\\. (Table|Collection) .* does not exist`),
      );
    } finally {
      await empty.drop();
    }
  });

  it('refuses a position that is not a number, with a clear message and nothing written', async () => {
    const broken = await fixture.breakPosition(db.client);
    if ('schema' in broken) {
      const err = await openCheckpoints(record, clientOf(db.client), { schema: broken.schema }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CompanionLayoutError);
      expect((err as Error).message).toMatch(/ is (text|varchar), not an integer type .*a checkpoint position must be a number/);
      return;
    }
    const reopened = await openCheckpoints(record, clientOf(db.client));
    const view = await reopened.read(broken.key);
    expect(view?.position).toBeNull();
    expect(view?.extras?.unreadablePosition ?? view?.extras?.unreadableToken).toBeTruthy();
    await expect(reopened.setPosition(broken.key, null, '1')).rejects.toThrow(CompanionLayoutError);
    await expect(reopened.setPosition(broken.key, null, '1')).rejects.toThrow(/not a (whole )?number|cannot be read/);
    expect((await reopened.read(broken.key))?.position).toBeNull();
  });
});

describe.each(CASES)('CheckpointStore of $preset on $backend, in transactions (rebuild swap, Kafka reset)', ({ backend, fixture }) => {
  let db: FixtureDatabase;
  let store: CheckpointStore;
  const positionNow = async () => (await store.read(fixture.key))?.position ?? null;

  beforeAll(async () => {
    db = await createFixtureDatabase(backend, 'checkpoints_tx');
    await fixture.setup(db.client);
    store = await openCheckpoints(fixtureSource(fixture), clientOf(db.client));
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('names the stores its keys use', () => {
    expect(store.stores()).toContain(fixture.key.store);
  });

  it('resets in a transaction by compare-and-set, and refuses (writing nothing) once the projector moved', async () => {
    const applied = await store.transaction((tx) => tx.setPosition(fixture.key, fixture.position, '2'));
    expect(applied).toMatchObject({ outcome: 'applied', checkpoint: { position: '2' } });
    await fixture.advance(db.client, '30');
    const refused = await store.transaction((tx) => tx.setPosition(fixture.key, '2', '1'));
    expect(refused).toMatchObject({ outcome: 'moved', checkpoint: { position: '30' } });
    expect(await positionNow()).toBe('30');
  });

  it('holds a position (next = expected) without moving it, and refuses to hold one that moved', async () => {
    expect(await store.transaction((tx) => tx.setPosition(fixture.key, '30', '30'))).toMatchObject({ outcome: 'applied', checkpoint: { position: '30' } });
    expect((await store.transaction((tx) => tx.setPosition(fixture.key, '29', '29'))).outcome).toBe('moved');
    expect(await positionNow()).toBe('30');
  });

  it("writes nothing when it holds a position: the projector's last update stays (a stalled projector must not look alive)", async () => {
    const before = await store.read(fixture.key);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await store.transaction((tx) => tx.setPosition(fixture.key, before!.position!, before!.position!))).toMatchObject({ outcome: 'applied' });
    expect((await store.read(fixture.key))?.updatedAt).toBe(before!.updatedAt);
  });

  if (backend === 'FerretDB') {
    it('cannot join a PostgreSQL transaction, and keeps what a failed transaction set (FerretDB has no transactions)', async () => {
      expect(() => store.joining({ query: () => Promise.reject(new Error('not a client')) } as never)).toThrow(CompanionLayoutError);
      await expect(
        store.transaction(async (tx) => {
          await tx.setPosition(fixture.key, '30', '31');
          throw new Error('the swap failed');
        }),
      ).rejects.toThrow('the swap failed');
      expect(await positionNow()).toBe('31');
    });
    return;
  }

  const pgPool = () => (db.client as { pool: pg.Pool }).pool;

  it("commits a checkpoint moved inside the caller's transaction with it (the swap committed)", async () => {
    const client = await pgPool().connect();
    try {
      await client.query('BEGIN');
      const joined = store.joining(client);
      expect((await joined.setPosition(fixture.key, '30', '30')).outcome).toBe('applied');
      expect(await joined.setPosition(fixture.key, '30', '21')).toMatchObject({ outcome: 'applied', checkpoint: { position: '21' } });
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await positionNow()).toBe('21');
  });

  it("rolls a checkpoint moved inside the caller's transaction back with it (the swap failed)", async () => {
    const client = await pgPool().connect();
    try {
      await client.query('BEGIN');
      const joined = store.joining(client);
      expect(await joined.setPosition(fixture.key, '21', '22')).toMatchObject({ outcome: 'applied', checkpoint: { position: '22' } });
      expect((await joined.setPosition(fixture.key, '5', '6')).outcome).toBe('moved');
      // The refused compare-and-set left the caller's transaction usable.
      expect((await joined.read(fixture.key))?.position).toBe('22');
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    expect(await positionNow()).toBe('21');
  });

  it('rolls back every write of a failed transaction()', async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.setPosition(fixture.key, '21', '23');
        throw new Error('the reset failed');
      }),
    ).rejects.toThrow('the reset failed');
    expect(await positionNow()).toBe('21');
  });

  if (backend === 'PostgreSQL') {
    it('keeps the projector waiting while a transaction holds its checkpoint, then lets it write', async () => {
      const client = await pgPool().connect();
      let advanced = false;
      let advance: Promise<void> | undefined;
      try {
        await client.query('BEGIN');
        expect((await store.joining(client).setPosition(fixture.key, '21', '21')).outcome).toBe('applied');
        advance = fixture.advance(db.client, '40').then(() => void (advanced = true));
        await new Promise((resolve) => setTimeout(resolve, 400));
        expect(advanced).toBe(false);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      await advance;
      expect(await positionNow()).toBe('40');
    });
  }
});
