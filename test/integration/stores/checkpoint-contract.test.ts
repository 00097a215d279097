/**
 * The CheckpointStore contract, run for every preset that keeps checkpoints, on
 * each backend its layout lives on (PostgreSQL, PGlite, FerretDB).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from 'mongodb';
import type pg from 'pg';
import { presetRecord, type PresetRecord } from '../../../src-main/stores/presets';
import type { CheckpointStore, CheckpointView } from '../../../src-main/stores/ports/checkpoint-store';
import { CompanionLayoutError, CompanionNotFoundError } from '../../../src-main/stores/ports/errors';
import { openCheckpoints } from '../../../src-main/stores/ports/open-companions';
import { CHECKPOINT_FIXTURES, type FixtureClient } from './checkpoint-fixtures';
import { createFixtureDatabase, type FixtureDatabase } from './companion-backends';

const CASES = CHECKPOINT_FIXTURES.flatMap((fixture) => fixture.backends.map((backend) => ({ backend, fixture, preset: fixture.preset })));

const clientOf = (client: FixtureClient): pg.Pool | Db => (client.kind === 'postgres' ? client.pool : client.db);

describe.each(CASES)('CheckpointStore of $preset on $backend', ({ backend, fixture }) => {
  let db: FixtureDatabase;
  let record: PresetRecord;
  let store: CheckpointStore;

  beforeAll(async () => {
    db = await createFixtureDatabase(backend, 'checkpoints');
    record = presetRecord(fixture.preset)!;
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
      expect((err as Error).message).toMatch(new RegExp(`No checkpoints of ${record.label.replace(/[()]/g, '\\$&')} found\\. (Table|Collection) .* does not exist`));
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
