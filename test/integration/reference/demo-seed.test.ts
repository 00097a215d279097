import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandHandler } from '../../../src-main/reference/commands/handlers';
import { PersonalDataCodec } from '../../../src-main/reference/crypto/personal-data';
import { seedDemoWorkspace, type DemoSeedProgress } from '../../../src-main/reference/demo/seed-demo';
import { ReferencePostgresStore } from '../../../src-main/reference/postgres/event-store';
import { PostgresSubjectKeyStore } from '../../../src-main/reference/postgres/subject-keys';

// The demo runs on the Local workspace: PGlite served by pglite-socket, reached through `pg`.
let db: PGlite;
let server: PGLiteSocketServer;
let pool: pg.Pool;

beforeAll(async () => {
  db = await PGlite.create();
  server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1' });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 1 });
});

afterAll(async () => {
  await pool?.end();
  await server?.stop();
  await db?.close();
});

describe('seedDemoWorkspace on PGlite', () => {
  it('seeds ~50k events, snapshots, sealed customers, read models and checkpoints, well under 60 s', async () => {
    const progress: DemoSeedProgress[] = [];
    const started = Date.now();
    const result = await seedDemoWorkspace(pool, { onProgress: (p) => progress.push(p) });
    const seconds = (Date.now() - started) / 1000;
    console.log(`demo seed on PGlite: ${result.events} events in ${seconds.toFixed(1)} s`);
    expect(result).toEqual({ seeded: true, events: 50_000 });
    expect(seconds).toBeLessThan(60);
    expect(progress.at(-1)?.phase).toBe('done');

    const count = async (sql: string) => Number((await pool.query(sql)).rows[0].n);
    expect(await count('SELECT count(*) AS n FROM events')).toBe(50_000);
    expect(await count('SELECT count(*) AS n FROM snapshots')).toBeGreaterThan(10);
    expect(await count('SELECT count(*) AS n FROM subject_keys')).toBeGreaterThan(100);
    expect(await count('SELECT count(*) AS n FROM products_view')).toBeGreaterThan(10);
    expect(await count('SELECT count(*) AS n FROM accounts_view')).toBeGreaterThan(100);
    expect(await count('SELECT count(*) AS n FROM orders_view')).toBeGreaterThan(100);
    expect(await count("SELECT count(*) AS n FROM events WHERE event_type = 'CustomerRegistered' AND event_data::text LIKE '%example.org%'")).toBe(0);

    const { rows: checkpoints } = await pool.query('SELECT projection_name, position::text AS position FROM projection_checkpoints ORDER BY projection_name');
    const head = (await pool.query('SELECT max(global_position)::text AS head FROM events')).rows[0].head as string;
    const byName = Object.fromEntries(checkpoints.map((c) => [c.projection_name, BigInt(c.position)]));
    expect(byName.accounts_view).toBe(BigInt(head));
    expect(byName.products_view).toBe(BigInt(head));
    expect(byName.orders_view).toBeLessThan((BigInt(head) * 7n) / 10n); // lagging well behind

    // The seeded data is live data: the command side loads it, decrypts it and accepts new commands on it.
    const store = new ReferencePostgresStore(pool);
    const handler = new CommandHandler({ storeFor: () => store, codec: new PersonalDataCodec(new PostgresSubjectKeyStore(pool)) });
    const customerId = (await pool.query("SELECT aggregate_id FROM events WHERE event_type = 'CustomerRegistered' LIMIT 1")).rows[0].aggregate_id as string;
    const customer = await handler.load('Customer', customerId);
    expect(customer.state.email).toMatch(/@/);
    expect(customer.state.firstName).toBeTruthy();
    const account = (await pool.query('SELECT account_id, balance_cents::int AS balance, version FROM accounts_view ORDER BY version DESC LIMIT 1')).rows[0];
    expect((await handler.load('Account', account.account_id)).state.balanceCents).toBe(account.balance);
  });

  it('does nothing the second time', async () => {
    expect(await seedDemoWorkspace(pool)).toEqual({ seeded: false, reason: 'already-seeded', events: 0 });
    expect(Number((await pool.query('SELECT count(*) AS n FROM events')).rows[0].n)).toBe(50_000);
  });
});
