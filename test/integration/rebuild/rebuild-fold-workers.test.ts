/**
 * Rebuilds folded in worker threads (fold-workers.ts) against a real PostgreSQL store:
 * the same rows as the fold in the main thread, and a cancel mid-way resumed from the
 * last committed batch to the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import type { FoldTimings } from '../../../src-main/engine/rebuild/feed-fold';
import { readRebuild } from '../../../src-main/engine/rebuild/postgres-target';
import { rebuildPostgres } from '../../../src-main/engine/rebuild/rebuild-postgres';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { seedReferenceStore, tableChecksum } from './support';

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase('rebuildworkers');
  store = await seedReferenceStore(database.pool, 20_000);
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

async function rebuild(id: string, model: string, foldWorkers: number, extra: { signal?: AbortSignal; onEvents?: (events: number) => void } = {}) {
  let timings: FoldTimings | undefined;
  const record = await rebuildPostgres({
    pool: database.pool,
    feed: store,
    id,
    model,
    definition: REFERENCE_POSTGRES_MODELS[model]!,
    batchEvents: 1000,
    foldWorkers,
    ...(extra.signal ? { signal: extra.signal } : {}),
    onTimings: (t) => (timings = t),
    onProgress: (p) => extra.onEvents?.(p.events),
  });
  return { record, timings };
}

describe('rebuilds folded in worker threads', () => {
  it.each(['accounts_view', 'orders_view'])('writes %s with the same rows as the fold in the main thread', async (model) => {
    const key = REFERENCE_POSTGRES_MODELS[model]!.keyColumn!;
    const inWorkers = await rebuild(`w${model.slice(0, 3)}`, model, 2);
    const inMain = await rebuild(`m${model.slice(0, 3)}`, model, 0);
    expect(inWorkers.timings?.workers?.workers).toBe(2);
    expect(inWorkers.timings?.workers?.heapPeakBytes).toBeGreaterThan(0);
    expect(inMain.timings?.workers).toBeUndefined();
    expect(inWorkers.record.events).toBe(inMain.record.events);
    expect(inWorkers.record.position).toBe(inMain.record.position);
    expect(await tableChecksum(database.pool, inWorkers.record.shadow, key)).toBe(await tableChecksum(database.pool, inMain.record.shadow, key));
    // And the same as the live table the reference projector wrote.
    expect(await tableChecksum(database.pool, inWorkers.record.shadow, key)).toBe(await tableChecksum(database.pool, model, key));
  });

  it('resumes a cancelled rebuild from its last committed batch to the same rows', async () => {
    const stop = new AbortController();
    const cancelled = rebuild('wcancel', 'accounts_view', 2, { signal: stop.signal, onEvents: (events) => events >= 3000 && stop.abort() });
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
    const halfway = (await readRebuild(database.pool, 'wcancel'))!;
    expect(halfway.phase).toBe('loading');
    expect(halfway.events).toBeGreaterThanOrEqual(3000);
    expect(BigInt(halfway.position)).toBeLessThan(BigInt(halfway.horizon!));
    // The rows committed carry the position: the shadow holds exactly what the events up to it make.
    const { rows } = await database.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${halfway.shadow}`);
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);

    const resumed = await rebuild('wcancel', 'accounts_view', 2);
    const uncut = await rebuild('mcancel', 'accounts_view', 0);
    expect(resumed.record.phase).toBe('indexed');
    expect(resumed.record.events).toBe(uncut.record.events);
    expect(await tableChecksum(database.pool, resumed.record.shadow, 'account_id')).toBe(await tableChecksum(database.pool, 'accounts_view', 'account_id'));
  });

  it('refuses a built-in the fold workers were not given, before folding anything', async () => {
    const definition = { ...REFERENCE_POSTGRES_MODELS['orders_view']!, workerFold: { model: 'no_such_view' } };
    await expect(rebuildPostgres({ pool: database.pool, feed: store, id: 'wfail', model: 'orders_view', definition, foldWorkers: 2 })).rejects.toThrow(
      /no_such_view/,
    );
    expect((await readRebuild(database.pool, 'wfail'))!.events).toBe(0);
  });
});
