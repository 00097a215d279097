import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronoError } from '../../../src-shared/errors';
import type { Engine } from '../../../src-main/engine/engine';
import { CLASSIC_EVENTS_DDL } from '../../../src-main/stores/postgres/classic-schema';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

/** Twelve events of one stream; text versions would sort 1, 10, 11, 12, 2... */
async function insertTwelve(db: TestDatabase, table: string): Promise<void> {
  for (let v = 1; v <= 12; v++) {
    await db.pool.query(
      `INSERT INTO ${table} (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp", global_position)
       VALUES (gen_random_uuid(), 'account-1', 'account', 'Deposited', $1, $2, '{}', $3, $4)`,
      [String(v), { amount: v }, `2024-01-01T00:00:${String(v).padStart(2, '0')}Z`, String(v)],
    );
  }
}

/** What a user may read: a sentence, never the driver's own words. */
function expectSentence(err: unknown): void {
  expect(err).toBeInstanceOf(ChronoError);
  const message = (err as ChronoError).message;
  expect(message).not.toMatch(/operator does not exist|column .* does not exist|relation .* does not exist|invalid input syntax/);
  expect((err as ChronoError).code).not.toBe('internal');
  expect(message).toMatch(/\.$/);
}

describe('a classic-shaped table with text versions, positions and timestamps', () => {
  let db: TestDatabase;
  let engine: Engine;
  let textId: string;
  let alteredId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    db = await createTestDatabase('ptypes');
    // The text-typed copy in its own schema, beside a correct table that is changed under an open store.
    await db.pool.query(`CREATE SCHEMA texty;
      CREATE TABLE texty.events (event_id uuid PRIMARY KEY, aggregate_id varchar(255) NOT NULL, aggregate_type varchar(255) NOT NULL,
        event_type varchar(255) NOT NULL, event_version text NOT NULL, event_data jsonb NOT NULL, metadata jsonb NOT NULL DEFAULT '{}',
        "timestamp" text NOT NULL, global_position text NOT NULL UNIQUE, UNIQUE (aggregate_id, event_version));`);
    await insertTwelve(db, 'texty.events');
    await db.pool.query(CLASSIC_EVENTS_DDL);
    await insertTwelve(db, 'public.events');
    engine = await createTestEngine('ptypes');
    textId = (await call('connections.add', postgresConnection('Text typed', db.url))).id;
    alteredId = (await call('connections.add', postgresConnection('Altered later', db.url))).id;
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('detection does not propose the classic preset for it: a near miss, with the mismatches as reasons', async () => {
    const detected = await call('stores.detect', { connectionId: textId });
    expect(detected.candidates.find((c) => c.source === 'texty.events')).toBeUndefined();
    const good = detected.candidates.find((c) => c.preset === 'classic' && c.source === 'public.events');
    expect(good?.confidence).toBe(1);
    const texty = detected.nearMisses.find((c) => c.preset === 'classic' && c.source === 'texty.events');
    expect(texty).toBeDefined();
    expect(texty!.confidence).toBeLessThan(0.5);
    expect(texty!.reasons).toEqual([
      'texty.events.event_version is text; the classic preset needs an integer type (smallint, integer, bigint or numeric) for the stream version',
      'texty.events.global_position is text; the classic preset needs an integer type (smallint, integer, bigint or numeric) for the global position',
      'texty.events.timestamp is text; the classic preset needs a timestamp type (timestamptz or timestamp) for the timestamp',
    ]);
    // The well-typed table ranks first.
    expect(detected.candidates[0]?.source).toBe('public.events');
  });

  it('stores.configure refuses the preset there with the same sentence, and keeps nothing', async () => {
    const err = await call('stores.configure', { connectionId: textId, preset: 'classic', schema: 'texty' }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('texty.events.event_version is text; the classic preset needs an integer type'),
    });
    expect((await call('stores.detect', { connectionId: textId })).confirmed).toBeUndefined();
  });

  it('a read that fails in the database anyway comes back as a sentence, the driver detail kept aside', async () => {
    await call('stores.configure', { connectionId: alteredId, preset: 'classic' });
    expect((await call('streams.list', { connectionId: alteredId })).streams).toHaveLength(1);
    // The table changes under the open store: its queries now meet text columns.
    await db.pool.query(`ALTER TABLE public.events ALTER COLUMN event_version TYPE text USING event_version::text`);
    const listing = await call('streams.list', { connectionId: alteredId }).catch((e: unknown) => e);
    expectSentence(listing);
    expect(listing).toMatchObject({
      message: expect.stringContaining('detect'),
      details: { sqlState: '42883', driverMessage: expect.stringContaining('operator does not exist') },
    });

    await db.pool.query(`ALTER TABLE public.events DROP COLUMN event_type`);
    const feed = await call('feed.read', { connectionId: alteredId }).catch((e: unknown) => e);
    expectSentence(feed);
    expect(feed).toMatchObject({ code: 'not_found', details: { sqlState: '42703' } });

    await db.pool.query(`DROP TABLE public.events`);
    const gone = await call('streams.read', { connectionId: alteredId, streamId: 'account-1' }).catch((e: unknown) => e);
    expectSentence(gone);
    expect(gone).toMatchObject({ code: 'not_found', details: { sqlState: '42P01' } });
  });
});
