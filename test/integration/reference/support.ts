import { randomBytes } from 'node:crypto';
import { MongoClient, type Db } from 'mongodb';
import pg from 'pg';
import { testServices } from '../env';

export function randomSuffix(): string {
  return randomBytes(4).toString('hex');
}

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh Postgres database for one test file, dropped afterwards. */
export async function createTestDatabase(prefix = 'ref'): Promise<TestDatabase> {
  const name = `${prefix}_${randomSuffix()}`;
  const admin = new pg.Client({ connectionString: testServices.postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(testServices.postgresUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
  pool.on('error', () => undefined); // idle clients are cut when the database is dropped
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: testServices.postgresUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export interface TestMongo {
  client: MongoClient;
  db: Db;
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * A fresh in-memory PGlite served by pglite-socket on a loopback port: the Local
 * workspace's engine, reached through `pg` exactly as the app reaches it.
 */
export async function createPgliteDatabase(): Promise<TestDatabase> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => undefined);
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      await server.stop();
      await db.close();
    },
  };
}

/** A fresh Mongo (FerretDB) database for one test file. */
export async function createTestMongo(prefix = 'ref'): Promise<TestMongo> {
  const client = new MongoClient(testServices.mongoUrl);
  await client.connect();
  const name = `${prefix}_${randomSuffix()}`;
  const db = client.db(name);
  return {
    client,
    db,
    url: testServices.mongoUrl,
    name,
    async drop() {
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/** Polls until the check returns a value other than undefined/false, or fails after the timeout. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
