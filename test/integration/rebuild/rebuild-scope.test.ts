import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createTestDatabase, eventually, type TestDatabase } from '../reference/support';
import { seedReferenceStore } from './support';

/**
 * Partial rebuilds by scope through the engine, on PostgreSQL: a category, and the
 * streams touched by events of a type in a time range. The model keeps one row per
 * stream of every category, so a scope leaves rows of other streams to compare.
 */
const DEFINITION = {
  name: 'stream-stats',
  source: `definition = {
  name: 'stream-stats',
  handles: { categories: ['Account', 'Order', 'Product', 'Customer'] },
  key: (event) => event.streamId,
  apply: (row, event) => ({ stream_id: event.streamId, category: event.category, events: (row ? row.events : 0) + 1, version: event.version, last_type: event.type }),
};`,
};

describe('partial rebuilds by scope through the engine', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);

  /** Each row as the database's own JSON text, by key. */
  const rowsByKey = async () =>
    new Map((await db.pool.query<{ k: string; r: string }>('SELECT stream_id AS k, to_jsonb(t)::text AS r FROM stream_stats t')).rows.map((r) => [r.k, r.r]));

  const corrupt = (keys: string[]) => db.pool.query('UPDATE stream_stats SET events = -1 WHERE stream_id = ANY($1)', [keys]);

  const finished = (jobId: string) =>
    eventually(
      async () => (await call('jobs.list', {})).jobs.find((j) => j.id === jobId && ['done', 'failed'].includes(j.state)),
      60_000,
      'the partial rebuild',
    );

  const scopeOf = async (rebuildId: string) =>
    (await db.pool.query<{ s: string }>('SELECT stream_id AS s FROM chronoscope_rebuild_scopes WHERE rebuild_id = $1 ORDER BY 1', [rebuildId])).rows.map(
      (r) => r.s,
    );

  /** Swaps a partial rebuild in (dry run, then confirmed) and returns the rows before and after. */
  async function swap(rebuildId: string): Promise<{ before: Map<string, string>; after: Map<string, string> }> {
    const before = await rowsByKey();
    const dry = await call('rebuilds.swap', { connectionId, rebuildId, dryRun: true });
    await call('rebuilds.swap', { connectionId, rebuildId, confirmation: dry.confirmation!, reason: 'scoped fix' });
    return { before, after: await rowsByKey() };
  }

  beforeAll(async () => {
    db = await createTestDatabase('rebuildscope');
    const store = await seedReferenceStore(db.pool, 6000, 17);
    await store.close();
    // The live model, computed by the database itself: one row per stream.
    await db.pool.query(
      `CREATE TABLE stream_stats (stream_id varchar(255) PRIMARY KEY, category text NOT NULL, events integer NOT NULL, version integer NOT NULL, last_type text NOT NULL)`,
    );
    await db.pool.query(`INSERT INTO stream_stats
      SELECT DISTINCT ON (aggregate_id) aggregate_id, aggregate_type, count(*) OVER (PARTITION BY aggregate_id), event_version, event_type
        FROM events ORDER BY aggregate_id, event_version DESC`);
    engine = await createTestEngine('rebuild-scope');
    connectionId = (await call('connections.add', { ...postgresConnection('Reference', db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId, preset: 'classic' });
  }, 180_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('rebuilds the streams of one category: their rows are fixed, every other row stays byte-identical, roll back restores them', async () => {
    const correct = await rowsByKey();
    const { rows } = await db.pool.query<{ id: string; type: string }>(`SELECT DISTINCT aggregate_id AS id, aggregate_type AS type FROM events ORDER BY 1`);
    const orders = rows.filter((r) => r.type === 'Order').map((r) => r.id);
    const accounts = rows.filter((r) => r.type === 'Account').map((r) => r.id);
    expect(orders.length).toBeGreaterThan(5);
    await corrupt([...orders.slice(0, 3), ...accounts.slice(0, 3)]);

    const dry = await call('rebuilds.start', {
      connectionId,
      model: 'stream_stats',
      definition: DEFINITION,
      scope: { kind: 'category', category: 'Order' },
      dryRun: true,
    });
    expect(dry.scope).toEqual({ description: 'the streams of category Order', streams: orders.length });
    expect(dry.jobId).toBeUndefined();
    const started = await call('rebuilds.start', {
      connectionId,
      model: 'stream_stats',
      definition: DEFINITION,
      scope: { kind: 'category', category: 'Order' },
      reason: 'orders miscounted',
    });
    expect(await scopeOf(started.rebuildId)).toEqual([...orders].sort());
    expect((await finished(started.jobId!)).error).toBeUndefined();

    const diff = await call('rebuilds.diff', { connectionId, rebuildId: started.rebuildId });
    expect(diff).toMatchObject({
      liveRows: orders.length,
      shadowRows: orders.length,
      onlyInLive: { count: 0 },
      onlyInShadow: { count: 0 },
      changed: { count: 3 },
    });
    expect(diff.changed.keys.sort()).toEqual(orders.slice(0, 3).sort());

    const { before, after } = await swap(started.rebuildId);
    for (const id of orders) expect(after.get(id)).toBe(correct.get(id));
    for (const [key, row] of before) if (!orders.includes(key)) expect(after.get(key)).toBe(row);
    expect(after.size).toBe(before.size);
    expect(JSON.parse(after.get(accounts[0]!)!).events).toBe(-1); // outside the scope: left as it was

    const back = await call('rebuilds.rollback', { connectionId, rebuildId: started.rebuildId, dryRun: true });
    await call('rebuilds.rollback', { connectionId, rebuildId: started.rebuildId, confirmation: back.confirmation!, reason: 'compare' });
    expect(await rowsByKey()).toEqual(before);
    for (const key of [...orders.slice(0, 3), ...accounts.slice(0, 3)])
      await db.pool.query('UPDATE stream_stats SET events = $2 WHERE stream_id = $1', [key, JSON.parse(correct.get(key)!).events]);
    expect(await rowsByKey()).toEqual(correct);
  });

  it('rebuilds the streams touched by events of a type in a time range, and only those', async () => {
    const correct = await rowsByKey();
    const { rows: times } = await db.pool.query<{ t: string }>(
      `SELECT to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t FROM events WHERE event_type = 'MoneyWithdrawn' ORDER BY "timestamp"`,
    );
    expect(times.length).toBeGreaterThan(20);
    const from = times[Math.floor(times.length * 0.3)]!.t;
    const to = times[Math.floor(times.length * 0.5)]!.t;
    const { rows: touched } = await db.pool.query<{ id: string }>(
      `SELECT DISTINCT aggregate_id AS id FROM events WHERE event_type = 'MoneyWithdrawn' AND "timestamp" >= $1 AND "timestamp" < $2 ORDER BY 1`,
      [from, to],
    );
    const inScope = touched.map((r) => r.id);
    const outside = [...correct.keys()].filter((k) => !inScope.includes(k));
    expect(inScope.length).toBeGreaterThan(1);
    expect(outside.length).toBeGreaterThan(inScope.length);
    await corrupt([...inScope.slice(0, 2), ...outside.slice(0, 2), outside[outside.length - 1]!]);

    const started = await call('rebuilds.start', {
      connectionId,
      model: 'stream_stats',
      definition: DEFINITION,
      scope: { kind: 'types', eventTypes: ['MoneyWithdrawn'], from, to },
    });
    expect(started.scope).toEqual({ description: `the streams touched by MoneyWithdrawn from ${from} to ${to}`, streams: inScope.length });
    expect(await scopeOf(started.rebuildId)).toEqual(inScope);
    expect((await finished(started.jobId!)).error).toBeUndefined();
    const diff = await call('rebuilds.diff', { connectionId, rebuildId: started.rebuildId });
    expect(diff).toMatchObject({ liveRows: inScope.length, shadowRows: inScope.length, changed: { count: 2 } });

    const { before, after } = await swap(started.rebuildId);
    for (const id of inScope) expect(after.get(id)).toBe(correct.get(id));
    for (const id of outside) expect(after.get(id)).toBe(before.get(id));
    expect(after.size).toBe(before.size);
  });

  it('refuses scopes that name nothing or are malformed, saying what to do', async () => {
    await expect(
      call('rebuilds.start', { connectionId, model: 'stream_stats', definition: DEFINITION, scope: { kind: 'category', category: 'Nothing' } }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('no stream matches'),
    });
    await expect(
      call('rebuilds.start', {
        connectionId,
        model: 'stream_stats',
        definition: DEFINITION,
        scope: { kind: 'types', eventTypes: ['MoneyWithdrawn'], from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('scope.to: the time range must end after it starts'),
    });
    await expect(
      call('rebuilds.start', { connectionId, model: 'stream_stats', definition: DEFINITION, streamIds: ['a'], scope: { kind: 'prefix', prefix: 'a' } }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('either by id or by scope'),
    });
    const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'stream_stats__shadow_%'`);
    expect(Number(rows[0]!.n)).toBe(2); // only the two rebuilds above made shadows
  });
});
