import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { CLASSIC_EVENTS_DDL } from '../../../src-main/stores/postgres/classic-schema';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';

/** A store whose events table fires NOTIFY on insert: the live tail is woken by it instead of polling. */
describe('live tail on LISTEN/NOTIFY', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    db = await createTestDatabase('notify');
    await db.pool.query(CLASSIC_EVENTS_DDL);
    await db.pool.query(`
      CREATE FUNCTION notify_events_appended() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('events_appended', ''); RETURN NULL; END $$;
      CREATE TRIGGER events_appended AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION notify_events_appended();`);
    engine = await createTestEngine('notify');
    connectionId = (await call('connections.add', postgresConnection('Notify test', db.url))).id;
    await call('stores.configure', { connectionId, preset: 'classic', reason: 'test' });
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('finds the channel in the trigger and says the store notifies', async () => {
    expect((await call('stores.describe', { connectionId })).supportsNotify).toBe(true);
  });

  it('is woken by each commit (even with a one-minute poll) and still never skips a late commit', async () => {
    const slow = new pg.Client({ connectionString: db.url });
    const fast = new pg.Client({ connectionString: db.url });
    await Promise.all([slow.connect(), fast.connect()]);
    const insert = (db: pg.Client, aggregate: string) =>
      db.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES ($1, $2, 'Tail', 'Ticked', 1, '{}') RETURNING global_position::text AS p`,
        [randomUUID(), aggregate],
      );
    const seen: string[] = [];
    const modes = new Set<string>();
    const controller = new AbortController();
    const tail = engine.dispatcher.run(
      'feed.tail',
      { connectionId, pollMs: 60_000, gapTimeoutMs: 600_000 },
      {
        operationId: 'tail',
        signal: controller.signal,
        emit: (data) => {
          const d = data as { events: { position: string }[]; mode?: string };
          if (d.mode) modes.add(d.mode);
          seen.push(...d.events.map((e) => e.position));
        },
        progress: () => undefined,
      },
    );
    await expect.poll(() => [...modes]).toEqual(['notify:events_appended']); // listening before anything is written

    const first = (await insert(fast, 'n-1')).rows[0]!.p;
    await expect.poll(() => seen, { timeout: 5000 }).toEqual([first]); // a poll alone would take a minute

    await slow.query('BEGIN');
    const late = (await insert(slow, 'n-2')).rows[0]!.p; // lower position, commits last
    const early = (await insert(fast, 'n-3')).rows[0]!.p;
    // Nothing may happen here, so there is no condition to await: time for the notifications to wake the tail (and for it to wrongly pass the hole).
    await new Promise((r) => setTimeout(r, 700));
    expect(seen).toEqual([first]); // woken, but held at the hole
    await slow.query('COMMIT');
    await expect.poll(() => seen, { timeout: 5000 }).toEqual([first, late, early]);
    controller.abort();
    await expect(tail).resolves.toEqual({ position: early });
    await Promise.all([slow.end(), fast.end()]);
  });
});
