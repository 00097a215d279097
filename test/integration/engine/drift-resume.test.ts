import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresLiveModel } from '../../../src-main/engine/drift/postgres-model';
import { freshPoint, runFull, type FullResumePoint, type VerifyRun } from '../../../src-main/engine/drift/verify-job';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { seedReferenceStore } from '../rebuild/support';

/** A full verification stopped after its first batches goes on from its resume point and ends with the report of an uninterrupted run. */
describe('a resumed full verification', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  const definition = REFERENCE_POSTGRES_MODELS['orders_view']!;

  beforeAll(async () => {
    db = await createTestDatabase('driftres');
    store = await seedReferenceStore(db.pool, 100_000, 9);
    // Drift spread over the key range: rows edited and deleted near the start and the end.
    await db.pool.query(`UPDATE orders_view SET total_cents = total_cents + 1 WHERE order_id IN (SELECT order_id FROM orders_view ORDER BY order_id LIMIT 3)`);
    await db.pool.query(`DELETE FROM orders_view WHERE order_id IN (SELECT order_id FROM orders_view ORDER BY order_id DESC LIMIT 2)`);
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  const run = async (signal: AbortSignal, resumeFrom: FullResumePoint | undefined, saved: (point: FullResumePoint) => void): Promise<VerifyRun> => {
    const live = await postgresLiveModel(db.pool, 'public', 'orders_view');
    return {
      params: { connectionId: 'test', schema: 'public', model: 'orders_view', mode: { kind: 'full' } },
      live,
      store,
      definition,
      batch: { live, feed: store, definition, checkpoint: async () => null },
      context: { signal, progress: () => undefined, saveResumePoint: async (point) => saved(structuredClone(point)), resumeFrom },
    };
  };
  const fresh = (): FullResumePoint => freshPoint();

  it('finds the same drift as a run that was never stopped', async () => {
    const whole = fresh();
    await runFull(await run(new AbortController().signal, undefined, () => undefined), whole);
    expect(whole.tally.counts).toEqual({ edited: 3, missing: 2, orphan: 0, staleSkipped: 0 });

    const stop = new AbortController();
    let saved: FullResumePoint | undefined;
    const first = fresh();
    await expect(
      runFull(
        await run(stop.signal, undefined, (point) => {
          saved = point;
          stop.abort();
        }),
        first,
      ),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(saved).toMatchObject({ liveDone: false });
    expect(saved!.tally.rowsChecked).toBeLessThan(whole.tally.rowsChecked);
    await runFull(await run(new AbortController().signal, saved, () => undefined), saved!);
    expect(saved!.tally.counts).toEqual(whole.tally.counts);
    expect(saved!.tally.rowsChecked).toBe(whole.tally.rowsChecked);
    expect(saved!.tally.streamIds.sort()).toEqual(whole.tally.streamIds.sort());
  });
});
