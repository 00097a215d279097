/**
 * Generator throughput into PostgreSQL: events/s and peak RSS.
 *   node --import tsx bench/reference-generator.ts [--events 1000000] [--pg URL] [--method copy|insert]
 * Writes into a scratch database (created and dropped) on CHRONO_TEST_PG_URL's server.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { generateEvents } from '../src-main/reference/generator/generate';
import { formatProgress } from '../src-main/reference/generator/progress';
import { writeToPostgres } from '../src-main/reference/generator/write-postgres';
import { ensureReferenceSchema } from '../src-main/reference/postgres/schema';

const { values } = parseArgs({ options: { events: { type: 'string' }, pg: { type: 'string' }, method: { type: 'string' }, seed: { type: 'string' } } });
const events = Number(values.events ?? 1_000_000);
const baseUrl = values.pg ?? process.env.CHRONO_TEST_PG_URL ?? 'postgres://chronoscope:chronoscope@127.0.0.1:55432/chronoscope';
const method = values.method === 'insert' ? 'insert' : 'copy';

const name = `bench_gen_${randomBytes(3).toString('hex')}`;
const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(baseUrl);
url.pathname = `/${name}`;
const pool = new pg.Pool({ connectionString: url.toString(), max: 3 });
pool.on('error', () => undefined); // idle clients cut by the final DROP DATABASE ... WITH (FORCE)
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
try {
  await ensureReferenceSchema(pool);
  const result = await writeToPostgres(pool, generateEvents({ events, seed: Number(values.seed ?? 1) }), {
    total: events,
    method,
    onProgress: (p) => process.stderr.write(`\r${formatProgress(p)}`),
  });
  process.stderr.write('\n');
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM events');
  console.log(`reference generator -> postgres (${method}): ${Number(rows[0]?.n).toLocaleString('en-US')} events in ${(result.elapsedMs / 1000).toFixed(1)} s`);
  console.log(`  throughput: ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} events/s`);
  console.log(`  peak RSS:   ${Math.round(peakRss / 1048576)} MB`);
} finally {
  clearInterval(sampler);
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
