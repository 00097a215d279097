import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetMapping } from '../../../src-main/stores/presets';
import { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { CLASSIC_EVENTS_DDL } from '../../../src-main/stores/postgres/classic-schema';
import { createTestDatabase, type TestDatabase } from '../reference/support';

/**
 * Listing one category on a table without a (category, stream) index walks the
 * events of every other category: past its budget the listing stops and says
 * which index would serve it, instead of keeping the user waiting on a scan.
 */
describe('stream listing without the index it needs', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase('scanbudget');
    await db.pool.query(CLASSIC_EVENTS_DDL);
    // 300k events of 'Account' streams sorting before the few 'Zebra' ones.
    await db.pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data)
       SELECT gen_random_uuid(), 'a-' || lpad((v / 10)::text, 6, '0'), 'Account', 'Ticked', v % 10 + 1, '{}'::jsonb FROM generate_series(0, 299999) AS v`,
    );
    await db.pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES (gen_random_uuid(), 'z-1', 'Zebra', 'Striped', 1, '{}')`,
    );
    await db.pool.query('ANALYZE events');
  }, 120_000);

  afterAll(async () => {
    await db?.drop();
  });

  it('stops a scan past its budget with the advice, and lists at once once the index exists', async () => {
    const hurried = await PostgresEventStore.open(db.pool, presetMapping('classic'), { scanBudgetMs: 5 });
    const stopped = await hurried.listStreams({ category: 'Zebra' });
    expect(stopped).toMatchObject({ streams: [], nextCursor: null, stoppedAfterMs: 5 });
    expect(stopped.advice?.[0]?.ddl).toMatch(/^CREATE INDEX CONCURRENTLY .* \("aggregate_type", "aggregate_id", "event_version"\);$/);

    const patient = await PostgresEventStore.open(db.pool, presetMapping('classic'));
    const slow = await patient.listStreams({ category: 'Zebra' });
    expect(slow.streams.map((s) => s.streamId)).toEqual(['z-1']); // within the default budget it still answers, with the advice
    expect(slow.advice).toHaveLength(1);

    await db.pool.query(stopped.advice![0]!.ddl!);
    const served = await hurried.listStreams({ category: 'Zebra' });
    expect(served).toMatchObject({ streams: [expect.objectContaining({ streamId: 'z-1', category: 'Zebra', eventCount: 1 })], nextCursor: null });
    expect(served.advice).toBeUndefined();
    expect(served.stoppedAfterMs).toBeUndefined();
  });
});
