import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronoError } from '../../../src-shared/errors';
import { CheckpointService } from '../../../src-main/engine/checkpoints/checkpoint-service';
import { SnapshotService } from '../../../src-main/engine/checkpoints/snapshot-service';
import { StoreChoices } from '../../../src-main/engine/browse/store-choices';
import { ConnectionScopes } from '../../../src-main/engine/connections/connection-scope';
import type { Engine } from '../../../src-main/engine/engine';
import { REFERENCE_SUPPORT_DDL } from '../../../src-main/reference/postgres/schema';
import { writePostgresCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import { saveSnapshot } from '../../../src-main/reference/postgres/snapshots';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

describe('CheckpointService and SnapshotService over a connection', () => {
  let engine: Engine;
  let scopes: ConnectionScopes;
  let choices: StoreChoices;
  let db: TestDatabase;
  let empty: TestDatabase;
  let withTables: string;
  let withoutTables: string;
  let unconfirmed: string;

  beforeAll(async () => {
    engine = await createTestEngine('checkpoint_service');
    choices = new StoreChoices(await mkdtemp(join(tmpdir(), 'chrono-choices-')));
    scopes = new ConnectionScopes({ connections: engine.connections, choices });
    db = await createTestDatabase('checkpoint_service');
    empty = await createTestDatabase('checkpoint_service_empty');
    await db.pool.query(REFERENCE_SUPPORT_DDL);
    await writePostgresCheckpoint(db.pool, 'accounts', 'events', '10');
    await saveSnapshot(db.pool, { aggregateId: 'account-1', aggregateType: 'Account', version: 3, state: { balance: 3 }, takenAt: '2026-01-01T00:00:00Z' });
    const call = engineCaller(() => engine);
    withTables = (await call('connections.add', postgresConnection(`cp-${Date.now()}`, db.url))).id;
    withoutTables = (await call('connections.add', postgresConnection(`cp-empty-${Date.now()}`, empty.url))).id;
    unconfirmed = (await call('connections.add', postgresConnection(`cp-unconfirmed-${Date.now()}`, empty.url))).id;
    await choices.set(withTables, { preset: 'classic' });
    await choices.set(withoutTables, { preset: 'classic' });
  });

  afterAll(async () => {
    await scopes?.closeAll();
    await engine?.dispose();
    await db?.drop();
    await empty?.drop();
  });

  it('lists, reads and resets checkpoints of the confirmed preset by compare-and-set', async () => {
    const service = new CheckpointService(scopes);
    const listed = await service.list(withTables);
    expect(listed.sources).toEqual(['"public"."projection_checkpoints"']);
    expect(listed.checkpoints).toEqual([expect.objectContaining({ projector: 'accounts', source: 'events', position: '10' })]);
    const key = { store: 'projection_checkpoints', projector: 'accounts', source: 'events' };
    expect(await service.setPosition(withTables, key, '10', '0')).toMatchObject({ outcome: 'applied', checkpoint: { position: '0' } });
    expect(await service.setPosition(withTables, key, '10', '5')).toMatchObject({ outcome: 'moved', checkpoint: { position: '0' } });
    expect((await service.read(withTables, key))?.position).toBe('0');
  });

  it('answers with sentences: a missing table is not_found, a bad position invalid_input, no preset says what to do', async () => {
    const service = new CheckpointService(scopes);
    const missing = await service.list(withoutTables).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ChronoError);
    expect(missing).toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/No checkpoints of Classic \(reference\) events table found\. Table "public"\."projection_checkpoints" does not exist/),
    });
    const bad = await service
      .setPosition(withTables, { store: 'projection_checkpoints', projector: 'accounts', source: 'events' }, '0', '-1')
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/64-bit decimal/) });
    await expect(service.list(unconfirmed)).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/confirm a preset first/) });
  });

  it('lists, reads and deletes snapshots, counting before a delete by filter', async () => {
    const service = new SnapshotService(scopes);
    const page = await service.list(withTables, { limit: 10 });
    expect(page).toMatchObject({ source: '"public"."snapshots"', nextCursor: null, snapshots: [{ streamId: 'account-1', version: 3, streamType: 'Account' }] });
    expect(await service.read(withTables, { streamId: 'account-1', version: 3 })).toMatchObject({ state: { balance: 3 } });
    expect(await service.deleteWhere(withTables, { streamType: 'Account' }, true)).toEqual({ count: 1 });
    await expect(service.deleteWhere(withTables, {}, true)).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await service.delete(withTables, { streamId: 'account-1', version: 3 })).toBe(true);
    expect((await service.listReadModels(withTables)).map((m) => m.name)).toEqual(['accounts_view', 'orders_view', 'products_view']);
  });
});
