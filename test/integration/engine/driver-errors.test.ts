import { createServer } from 'node:net';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChronoError } from '../../../src-shared/errors';
import { explainDriverError } from '../../../src-main/engine/connections/friendly-errors';
import { createTestDatabase, createTestMongo, type TestDatabase, type TestMongo } from '../reference/support';

/** A loopback port nobody listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Explains what `work` throws; the result must be a sentence with the driver's words kept aside. */
async function explained(work: () => Promise<unknown>): Promise<ChronoError> {
  const raw = await work().then(
    () => {
      throw new Error('expected the driver to fail');
    },
    (err: unknown) => err,
  );
  const err = explainDriverError(raw);
  expect(err).toBeInstanceOf(ChronoError);
  const chrono = err as ChronoError;
  expect(chrono.message).not.toContain((raw as Error).message);
  expect(chrono.message).toMatch(/^[A-Z].*\.$/);
  return chrono;
}

describe('driver errors become sentences that say what to do', () => {
  let db: TestDatabase;
  let mongo: TestMongo;

  beforeAll(async () => {
    db = await createTestDatabase('drverr');
    mongo = await createTestMongo('drverr');
  });

  afterAll(async () => {
    await db?.drop();
    await mongo?.drop();
  });

  it('PostgreSQL SQLSTATEs: each named, the SQLSTATE and the server message in details', async () => {
    const cases: Array<[string, string, string]> = [
      ["SELECT 'a'::text - 'b'::text", '42883', 'unavailable'],
      ['SELECT no_such_column FROM pg_class', '42703', 'not_found'],
      ['SELECT * FROM no_such_table', '42P01', 'not_found'],
      ["SELECT 'x'::int", '22P02', 'invalid_input'],
    ];
    for (const [sql, sqlState, code] of cases) {
      const err = await explained(() => db.pool.query(sql));
      expect(err).toMatchObject({ code, details: { sqlState, driverMessage: expect.any(String) } });
    }
    const client = await db.pool.connect();
    try {
      await client.query('SET statement_timeout = 50');
      const err = await explained(() => client.query('SELECT pg_sleep(5)'));
      expect(err).toMatchObject({ code: 'timeout', details: { sqlState: '57014' } });
    } finally {
      await client.query('RESET statement_timeout');
      client.release();
    }
  });

  it('a connection the server ended, and the client that is left unusable', async () => {
    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await db.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    const ended = await explained(() => client.query('SELECT 1'));
    expect(ended.code).toBe('unavailable');
    const unusable = await explained(() => client.query('SELECT 1'));
    expect(unusable).toMatchObject({ code: 'unavailable', details: { driverMessage: expect.any(String) } });
    await client.end().catch(() => undefined);
  });

  it('a wrong password and a closed port', async () => {
    const url = new URL(db.url);
    url.password = 'not-the-password';
    const wrong = new pg.Client({ connectionString: url.toString() });
    const auth = await explained(() => wrong.connect());
    expect(auth).toMatchObject({ code: 'auth_failed', details: { sqlState: '28P01' } });
    expect(JSON.stringify(auth.details)).not.toContain('not-the-password');

    const port = await closedPort();
    const refused = await explained(() => new pg.Client({ host: '127.0.0.1', port, user: 'x', database: 'x' }).connect());
    expect(refused).toMatchObject({ code: 'connection_refused' });
  });

  it('MongoDB: a server refusal and an unreachable server', async () => {
    // A document whose field name starts with `$`, sent past the driver's own key check: the server refuses it.
    const refusal = await explained(() => mongo.db.collection('c').insertOne({ $bad: 1 }, { checkKeys: false } as never));
    expect(refusal).toMatchObject({ code: 'invalid_input', details: { driverError: 'MongoServerError', driverMessage: expect.stringContaining('$bad') } });

    const port = await closedPort();
    const client = new MongoClient(`mongodb://user:secret-pw@127.0.0.1:${port}/x`, { serverSelectionTimeoutMS: 300 });
    const unreachable = await explained(() => client.connect());
    expect(unreachable.code).toBe('connection_refused');
    expect(JSON.stringify(unreachable)).not.toContain('secret-pw');
    await client.close().catch(() => undefined);
  });
});
