import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it, type ExpectStatic } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import type { PresetName } from '../../../src-main/stores/postgres/mapping';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createPgliteDatabase, createTestDatabase, type TestDatabase } from '../reference/support';
import { FIXTURES } from '../stores/fixtures';

/**
 * Positions come from a sequence, handed out before commit: an insert that stays
 * open takes a lower position than rows committed after it. The live tail must
 * wait for it however long it stays open (not give up after a timeout), and pass
 * a hole left by a rollback as soon as the rolled-back transaction has ended.
 */
interface Store {
  preset: PresetName;
  /** Inserts one event with the store's own numbering; resolves to its position. */
  insert(client: pg.ClientBase, name: string): Promise<string>;
}

const STORES: Store[] = [
  {
    preset: 'classic',
    insert: async (client, name) =>
      (
        await client.query<{ p: string }>(
          `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data)
           VALUES ($1, $2, 'Tail', 'Ticked', 1, '{}') RETURNING global_position::text AS p`,
          [randomUUID(), name],
        )
      ).rows[0]!.p,
  },
  {
    preset: 'marten',
    // As Marten appends: the stream row first, then the event numbered by mt_events_sequence.
    insert: async (client, name) => {
      const stream = randomUUID();
      await client.query(`INSERT INTO mt_streams (id, type, version) VALUES ($1, 'tail', 1)`, [stream]);
      const { rows } = await client.query<{ p: string }>(
        `INSERT INTO mt_events (seq_id, id, stream_id, version, data, type, mt_dotnet_type)
         VALUES (nextval('mt_events_sequence'), $1, $2, 1, $3, 'ticked', 'Tail.Ticked, Tail') RETURNING seq_id::text AS p`,
        [randomUUID(), stream, JSON.stringify({ name })],
      );
      return rows[0]!.p;
    },
  },
];

interface Tail {
  seen: string[];
  holes: unknown[];
  stop(): Promise<unknown>;
}

interface Harness {
  db: TestDatabase;
  engine: Engine;
  connectionId: string;
  tail(input?: { gapTimeoutMs?: number }): Promise<Tail>;
  /** A client of its own (ended with the harness). */
  client(): Promise<pg.Client>;
  close(): Promise<void>;
}

const opened: Harness[] = [];
afterAll(async () => {
  await Promise.all(opened.map((h) => h.close()));
});

async function open(store: Store, backend: 'server' | 'pglite' = 'server'): Promise<Harness> {
  const db = backend === 'server' ? await createTestDatabase(`late_${store.preset}`) : await createPgliteDatabase();
  const fixture = FIXTURES.find((f) => f.preset === store.preset)!;
  await db.pool.query(fixture.ddl);
  const engine = await createTestEngine(`late-${store.preset}`);
  const call = engineCaller(() => engine);
  const connectionId = (await call('connections.add', postgresConnection(`Late commit ${store.preset}`, db.url))).id;
  await call('stores.configure', { connectionId, preset: store.preset, reason: 'test' });
  const stops: (() => Promise<unknown>)[] = [];
  const clients: pg.Client[] = [];
  const harness: Harness = {
    db,
    engine,
    connectionId,
    async tail({ gapTimeoutMs = 3000 } = {}) {
      const seen: string[] = [];
      const holes: unknown[] = [];
      let started!: () => void;
      const first = new Promise<void>((resolve) => (started = resolve));
      const controller = new AbortController();
      const run = engine.dispatcher.run(
        'feed.tail',
        { connectionId, pollMs: 200, gapTimeoutMs },
        {
          operationId: `tail-${randomUUID()}`,
          signal: controller.signal,
          emit: (data) => {
            const d = data as { events: { position: string }[]; holes?: unknown };
            started();
            if (d.holes !== undefined) holes.push(d.holes);
            seen.push(...d.events.map((e) => e.position));
          },
          progress: () => undefined,
        },
      );
      const stop = async () => {
        controller.abort();
        return run;
      };
      stops.push(() => stop().catch(() => undefined));
      await first; // the tail knows where it starts before anything is written
      return { seen, holes, stop };
    },
    async client() {
      const c = new pg.Client({ connectionString: db.url });
      c.on('error', () => undefined); // cut when the database is dropped
      await c.connect();
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(stops.map((stop) => stop()));
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await engine.dispose();
      await db.drop();
    },
  };
  opened.push(harness);
  return harness;
}

/** Keeps a transaction open this long: the time itself is the scenario, and nothing may happen meanwhile. */
const held = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.concurrent.each(STORES)('live tail on a $preset store', (store) => {
  /** Holds the transaction that took the lower position open `holdMs` while a later insert commits. */
  async function lateCommit(holdMs: number, expect: ExpectStatic) {
    const h = await open(store);
    const tail = await h.tail(); // the app's default 3 s hole timeout
    const slow = await h.client();
    const fast = await h.client();
    await slow.query('BEGIN');
    const late = await store.insert(slow, 'late');
    const early = await store.insert(fast, 'early');
    expect(BigInt(late)).toBeLessThan(BigInt(early));

    await held(holdMs); // the transaction that took the lower position stays open this long
    expect(tail.seen).toEqual([]); // held at the hole: the later event is not shown before the earlier one
    await slow.query('COMMIT');
    await expect.poll(() => tail.seen, { timeout: 5000 }).toEqual([late, early]);
    expect(tail.holes).toContainEqual({ rule: 'visibility' });
    await expect(tail.stop()).resolves.toEqual({ position: early });
  }

  it('shows an insert held open 10 s (lower position, committed last) before the later one', ({ expect }) => lateCommit(10_000, expect), 40_000);
  it('shows an insert held open 60 s before the later one', ({ expect }) => lateCommit(60_000, expect), 100_000);

  it('passes a hole left by a rollback as soon as the aborted transaction has ended, not after the timeout', async ({ expect }) => {
    const h = await open(store);
    const tail = await h.tail({ gapTimeoutMs: 600_000 });
    const aborted = await h.client();
    const fast = await h.client();
    await aborted.query('BEGIN');
    const rolledBack = await store.insert(aborted, 'aborted');
    const after = await store.insert(fast, 'after');
    await held(1000);
    expect(tail.seen).toEqual([]); // the aborted transaction is still open: it may yet commit
    await aborted.query('ROLLBACK');
    await expect.poll(() => tail.seen, { timeout: 3000 }).toEqual([after]);
    expect(BigInt(rolledBack)).toBeLessThan(BigInt(after));
    await tail.stop();
  });
});

describe('live tail on PGlite (the Local workspace)', () => {
  it('closes holes by transaction visibility there too: a rollback hole passes at once', async () => {
    const store = STORES[0]!;
    const h = await open(store, 'pglite');
    const tail = await h.tail({ gapTimeoutMs: 600_000 });
    const aborted = await h.client();
    // pglite-socket runs one transaction at a time: the hole is seen only once the rollback has ended.
    await aborted.query('BEGIN');
    const rolledBack = await store.insert(aborted, 'aborted');
    await aborted.query('ROLLBACK');
    const after = await store.insert(aborted, 'after');
    expect(BigInt(rolledBack)).toBeLessThan(BigInt(after));
    await expect.poll(() => tail.seen, { timeout: 3000 }).toEqual([after]);
    expect(tail.holes).toContainEqual({ rule: 'visibility' });
    await tail.stop();
  });
});
