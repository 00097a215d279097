/** The benches' databases on the test PostgreSQL: each named for its size and kept for later runs, since filling one takes longer than measuring it. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { copyBatches } from '../src-main/reference/generator/copy-source';
import { writeToPostgres } from '../src-main/reference/generator/write-postgres';
import { ensureReferenceSchema } from '../src-main/reference/postgres/schema';
import { PostgresEventStore } from '../src-main/stores/postgres/postgres-event-store';
import { classicPreset } from '../src-main/stores/presets/classic';

/** The server the benches use: CHRONO_TEST_PG_URL (scripts/services), or the services' default. */
export const BENCH_PG_URL = process.env.CHRONO_TEST_PG_URL ?? 'postgres://chronoscope:chronoscope@127.0.0.1:55432/chronoscope';

/** The URL of database `name` on the benches' server. */
export function benchDatabaseUrl(name: string): string {
  const url = new URL(BENCH_PG_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates database `name` unless it exists (a kept one holds the data of an earlier run). */
export async function createDatabaseIfMissing(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: BENCH_PG_URL });
  await admin.connect();
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
}

/** A pool of `max` clients on database `name`, created first if missing. */
export async function keptDatabasePool(name: string, max: number): Promise<pg.Pool> {
  await createDatabaseIfMissing(name);
  return new pg.Pool({ connectionString: benchDatabaseUrl(name), max });
}

/** A database made for one run (see createScratchDatabase): its URL, a pool on it, and drop() to end the pool and remove it. */
export interface ScratchDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** Creates database `prefix_<random>` on the server at `baseUrl` and a pool of `max` clients on it, which ignores clients' idle errors. */
export async function createScratchDatabase(prefix: string, baseUrl: string, max: number): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max });
  pool.on('error', () => undefined);
  return {
    url: url.toString(),
    pool,
    drop: async () => {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Writes `events` generated reference events (seed 1) by COPY into the reference schema, analyses them, and opens the classic store over them. */
export async function fillReferenceEvents(pool: pg.Pool, events: number): Promise<PostgresEventStore> {
  await ensureReferenceSchema(pool);
  process.stderr.write(`writing ${Math.round(events).toLocaleString('en-US')} reference events...\n`);
  await writeToPostgres(pool, copyBatches({ events, seed: 1 }, { worker: true }), { total: events, method: 'copy', fresh: true });
  await pool.query('ANALYZE events');
  return PostgresEventStore.open(pool, classicPreset.mapping());
}
