/**
 * One scope per connection: a preset confirmed again or a profile edited
 * replaces it as a whole (old pool ended, every port reopened with the new
 * layouts), and rebuilds read and write through the pool browse uses.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { createTestEngine, engineCaller, postgresConnection, type Call } from '../engine-support';
import { createTestDatabase, eventually, type TestDatabase } from '../reference/support';

/** Backends the engine holds open to the test database (its pools say `chronoscope`; the test's own pool does not). */
async function engineBackends(db: TestDatabase): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'chronoscope'`,
  );
  return Number(rows[0]!.n);
}

describe('ConnectionScope: one per connection, replaced as a whole', () => {
  let engine: Engine;
  let call: Call;
  let db: TestDatabase;
  let id: string;

  beforeAll(async () => {
    db = await createTestDatabase('scope');
    await ensureReferenceSchema(db.pool);
    // A second copy of the reference layout in schema "other", with other checkpoints and snapshots.
    await db.pool.query('CREATE SCHEMA other');
    for (const table of ['events', 'projection_checkpoints', 'snapshots'])
      await db.pool.query(`CREATE TABLE other."${table}" (LIKE public."${table}" INCLUDING ALL)`);
    await db.pool.query(`INSERT INTO public.projection_checkpoints (projection_name, source, position) VALUES ('accounts_view', 'events', 10)`);
    await db.pool.query(`INSERT INTO other.projection_checkpoints (projection_name, source, position) VALUES ('ledger_view', 'events', 20)`);
    engine = await createTestEngine('scope', { sampleLags: false, sampleKafkaLag: false });
    call = engineCaller(() => engine);
    id = (await call('connections.add', postgresConnection(`scope-${Date.now()}`, db.url))).id;
    await call('stores.configure', { connectionId: id, preset: 'classic' });
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  const projectors = async () => JSON.stringify((await call('checkpoints.list', { connectionId: id })).projectors);

  it('reopens every port with the new layouts when a preset is confirmed again, and ends the old pool', async () => {
    expect((await call('checkpoints.list', { connectionId: id })).sources).toEqual(['"public"."projection_checkpoints"']);
    expect(await projectors()).toContain('accounts_view');
    expect((await call('snapshots.list', { connectionId: id, limit: 1 })).source).toBe('"public"."snapshots"');
    const oldScope = engine.scopes.get(id);
    const oldPool = await engine.scopes.pool(id);

    await call('stores.configure', { connectionId: id, preset: 'classic', schema: 'other' });

    expect((oldPool as pg.Pool & { ending: boolean }).ending).toBe(true);
    expect(oldScope.isDisposed).toBe(true);
    expect(engine.scopes.get(id)).not.toBe(oldScope);
    expect(await engine.scopes.pool(id)).not.toBe(oldPool);
    const listed = await call('checkpoints.list', { connectionId: id });
    expect(listed.sources).toEqual(['"other"."projection_checkpoints"']);
    expect(await projectors()).toContain('ledger_view');
    expect(await projectors()).not.toContain('accounts_view');
    expect((await call('snapshots.list', { connectionId: id, limit: 1 })).source).toBe('"other"."snapshots"');
    expect((await call('stores.describe', { connectionId: id })).source).toContain('other');
  });

  it('keeps the scope when only the name or a flag changes (a running job keeps its clients)', async () => {
    const pool = await engine.scopes.pool(id);
    await call('connections.update', { id, name: `scope-renamed-${Date.now()}` });
    await call('connections.update', { id, readOnly: true });
    await call('connections.update', { id, readOnly: false });
    expect((pool as pg.Pool & { ending: boolean }).ending).toBe(false);
    expect(await engine.scopes.pool(id)).toBe(pool);
  });

  it('replaces the scope when how to connect changes: its pool ends, the next read opens a new one', async () => {
    const oldPool = await engine.scopes.pool(id);
    const { settings } = await engine.connections.resolve(id);
    await call('connections.update', { id, settings: { ...settings, connectTimeoutMs: 7000 } as never });
    expect((oldPool as pg.Pool & { ending: boolean }).ending).toBe(true);
    expect((await call('checkpoints.list', { connectionId: id })).sources).toEqual(['"other"."projection_checkpoints"']);
    expect(await engine.scopes.pool(id)).not.toBe(oldPool);
  });

  it('rebuilds use the pool browse uses: every engine backend to the database belongs to that one pool', async () => {
    await call('streams.list', { connectionId: id, limit: 5 });
    await call('rebuilds.catalog', { connectionId: id, schema: 'public' });
    const pool = await engine.scopes.pool(id);
    // Backends of replaced pools go away as those pools end; what stays is the one pool's.
    await eventually(async () => (await engineBackends(db)) === pool.totalCount, 10_000, 'only the scope pool connected');
    expect(pool.totalCount).toBeGreaterThan(0);
    await call('rebuilds.catalog', { connectionId: id, schema: 'public' });
    expect(await engineBackends(db)).toBe(pool.totalCount);
  });

  it('keeps subject keys in the scope: revoking decryption drops them, a crypto-shred reaches every scope', async () => {
    const other = (await call('connections.add', postgresConnection(`scope-other-${Date.now()}`, db.url))).id;
    const load = async (keyId: string) => ({ keyId, subjectId: `subject-of-${keyId}`, key: Buffer.alloc(32) });
    for (const connectionId of [id, other]) await engine.scopes.get(connectionId).keys.get(connectionId, 'k1', load);
    await engine.scopes.get(id).keys.get(id, 'k2', load);
    expect(engine.scopes.get(id).keys.size).toBe(2);

    engine.scopes.forgetSubjects(['subject-of-k1']);
    expect(engine.scopes.get(id).keys.size).toBe(1);
    expect(engine.scopes.get(other).keys.size).toBe(0);

    await call('connections.update', { id, mayDecryptPersonalData: true });
    expect(engine.scopes.get(id).keys.size).toBe(1);
    await call('connections.update', { id, mayDecryptPersonalData: false });
    expect(engine.scopes.get(id).keys.size).toBe(0);
  });
});
