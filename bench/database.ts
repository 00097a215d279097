/** The benches' databases on the test PostgreSQL: each named for its size and kept for later runs, since filling one takes longer than measuring it. */
import pg from 'pg';

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
