/**
 * Generator throughput into PostgreSQL: events/s, peak RSS, and where the time went.
 *   node --import tsx bench/reference-generator.ts [--events 1000000] [--pg URL] [--method copy|insert]
 *     [--fresh] [--no-worker] [--gen-only] [--seed S]
 * Writes into a scratch database (created and dropped) on CHRONO_TEST_PG_URL's server.
 *   --fresh      drop secondary indexes before the load, rebuild after (new, empty store)
 *   --no-worker  generate on the writing thread (the old shape), not on a worker
 *   --gen-only   generation + serialisation alone, no database
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { copyBatches } from '../src-main/reference/generator/copy-source';
import { formatProgress } from '../src-main/reference/generator/progress';
import { writeToPostgres } from '../src-main/reference/generator/write-postgres';
import { generateEvents } from '../src-main/reference/generator/generate';
import { ensureReferenceSchema } from '../src-main/reference/postgres/schema';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    pg: { type: 'string' },
    method: { type: 'string' },
    seed: { type: 'string' },
    fresh: { type: 'boolean' },
    'no-worker': { type: 'boolean' },
    'gen-only': { type: 'boolean' },
  },
});
const events = Number(values.events ?? 1_000_000);
const seed = Number(values.seed ?? 1);
const baseUrl = values.pg ?? process.env.CHRONO_TEST_PG_URL ?? 'postgres://chronoscope:chronoscope@127.0.0.1:55432/chronoscope';
const method = values.method === 'insert' ? 'insert' : 'copy';
const worker = method === 'copy' && !values['no-worker'];
const mb = (bytes: number) => Math.round(bytes / 1048576);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

if (values['gen-only']) {
  const started = performance.now();
  let n = 0;
  let bytes = 0;
  for await (const batch of copyBatches({ events, seed }, { worker })) {
    n += batch.count;
    bytes += batch.copy.byteLength;
  }
  const ms = performance.now() - started;
  clearInterval(sampler);
  console.log(
    `reference generator, generation + COPY serialisation only (${worker ? 'worker' : 'same thread'}): ${n.toLocaleString('en-US')} events, ${mb(bytes)} MB of COPY text in ${(ms / 1000).toFixed(1)} s`,
  );
  console.log(`  throughput: ${Math.round((n * 1000) / ms).toLocaleString('en-US')} events/s`);
  console.log(`  peak RSS:   ${mb(peakRss)} MB`);
  process.exit(0);
}

const name = `bench_gen_${randomBytes(3).toString('hex')}`;
const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(baseUrl);
url.pathname = `/${name}`;
const pool = new pg.Pool({ connectionString: url.toString(), max: 3 });
pool.on('error', () => undefined); // idle clients cut by the final DROP DATABASE ... WITH (FORCE)
try {
  await ensureReferenceSchema(pool);
  const source = method === 'copy' ? copyBatches({ events, seed }, { worker }) : generateEvents({ events, seed });
  const result = await writeToPostgres(pool, source, {
    total: events,
    method,
    fresh: values.fresh ?? false,
    onProgress: (p) => process.stderr.write(`\r${formatProgress(p)}`),
    onPhase: (message) => process.stderr.write(`\n${message}`),
  });
  process.stderr.write('\n');
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM events');
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const mode = `${method}${method === 'copy' ? (worker ? ', worker' : ', same thread') : ''}${values.fresh ? ', fresh' : ''}`;
  console.log(`reference generator -> postgres (${mode}): ${Number(rows[0]?.n).toLocaleString('en-US')} events in ${s(result.elapsedMs)}`);
  console.log(`  throughput: ${Math.round(result.eventsPerSecond).toLocaleString('en-US')} events/s`);
  console.log(`  peak RSS:   ${mb(peakRss)} MB`);
  console.log(
    `  split:      generation+serialisation ${s(result.generateMs)}${worker ? ' (on the worker, overlapped)' : ''}; writer waiting for generation ${s(result.waitGenerateMs)}, for the database ${s(result.waitDatabaseMs)}${values.fresh ? `; index drop+rebuild ${s(result.indexMs)}` : ''}`,
  );
} finally {
  clearInterval(sampler);
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
