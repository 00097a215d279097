import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchTransactions } from '../../../src-main/stores/postgres/transaction-watch';
import { testServices } from '../env';
import { createTestDatabase, randomSuffix, type TestDatabase } from '../reference/support';

/**
 * The watch a live tail takes when it first sees a hole: it must cover every
 * transaction that may still fill the hole, and only those, so a rollback is
 * passed as soon as it has ended and a late commit is never skipped.
 */
describe('transaction watch', () => {
  let db: TestDatabase;
  let other: TestDatabase;
  const clients: pg.Client[] = [];

  async function client(url: string): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => undefined);
    await c.connect();
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    [db, other] = await Promise.all([createTestDatabase('watch'), createTestDatabase('watch_other')]);
    for (const d of [db, other]) await d.pool.query('CREATE SEQUENCE positions; CREATE TABLE t (n bigint)');
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await Promise.all([db?.drop(), other?.drop()]);
  });

  /** A transaction takes a number and rolls back: a watch taken meanwhile holds until then, and no longer. */
  async function expectWatchToLastUntilNumberTakerEnds(): Promise<void> {
    const writer = await client(db.url);
    await writer.query('BEGIN');
    await writer.query(`SELECT nextval('positions')`);
    const watch = (await watchTransactions(db.pool))!;
    expect(await watch.ended()).toBe(false);
    await writer.query('ROLLBACK');
    expect(await watch.ended()).toBe(true);
  }

  it('covers a transaction that has only taken a number (no row written, no transaction id yet) until it ends', async () => {
    await expectWatchToLastUntilNumberTakerEnds();
  });

  it('covers an insert until it commits, and not a transaction begun after the watch', async () => {
    const writer = await client(db.url);
    const later = await client(db.url);
    await writer.query('BEGIN');
    await writer.query(`INSERT INTO t VALUES (nextval('positions'))`);
    const watch = (await watchTransactions(db.pool))!;
    await later.query('BEGIN');
    await later.query(`INSERT INTO t VALUES (nextval('positions'))`);
    expect(await watch.ended()).toBe(false);
    await writer.query('COMMIT');
    expect(await watch.ended()).toBe(true); // `later` is still open: it took its number after the hole was seen
    await later.query('ROLLBACK');
  });

  it('is not held by maintenance that takes no number (the table lock of VACUUM and ANALYZE, CREATE INDEX)', async () => {
    const maintenance = await client(db.url);
    await maintenance.query('BEGIN');
    await maintenance.query('LOCK TABLE t IN SHARE UPDATE EXCLUSIVE MODE'); // what (auto)VACUUM and ANALYZE hold
    await maintenance.query('CREATE INDEX ON t (n)'); // ShareLock
    await expectWatchToLastUntilNumberTakerEnds(); // while the maintenance transaction is still open
    await maintenance.query('ROLLBACK');
  });

  it('is not held by a long transaction writing in another database of the same server', async () => {
    const elsewhere = await client(other.url);
    await elsewhere.query('BEGIN');
    await elsewhere.query(`INSERT INTO t VALUES (nextval('positions'))`);
    const watch = (await watchTransactions(db.pool))!;
    expect(await watch.ended()).toBe(true);
    await elsewhere.query('ROLLBACK');
  });

  it('falls back to the snapshot bounds for a role that cannot read pg_locks', { timeout: 90_000 }, async () => {
    const role = `chrono_watch_${randomSuffix()}`;
    const admin = await client(db.url);
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'watch'`);
    try {
      await admin.query(`REVOKE SELECT ON pg_catalog.pg_locks FROM PUBLIC; GRANT SELECT, INSERT ON t TO ${role}; GRANT USAGE ON SEQUENCE positions TO ${role}`);
      const url = new URL(db.url);
      url.username = role;
      url.password = 'watch';
      const restricted = new pg.Pool({ connectionString: url.toString(), max: 2 });
      try {
        await expect(restricted.query('SELECT 1 FROM pg_locks')).rejects.toMatchObject({ code: '42501' });
        const writer = await client(db.url);
        await writer.query('BEGIN');
        await writer.query(`INSERT INTO t VALUES (nextval('positions'))`);
        const watch = (await watchTransactions(restricted))!;
        expect(watch).not.toBeNull();
        expect(await watch.ended()).toBe(false);
        await writer.query('COMMIT');
        // The bounds are server-wide: a transaction another session began before the watch may still be finishing.
        await expect.poll(() => watch.ended(), { timeout: 60_000, interval: 200 }).toBe(true);
      } finally {
        await restricted.end();
      }
    } finally {
      await admin.query(`GRANT SELECT ON pg_catalog.pg_locks TO PUBLIC; DROP OWNED BY ${role}`);
      // The role is server-wide: dropped once this database grants it nothing.
      const server = new pg.Client({ connectionString: testServices.postgresUrl });
      await server.connect();
      await server.query(`DROP ROLE IF EXISTS ${role}`);
      await server.end();
    }
  });
});
