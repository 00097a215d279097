/**
 * bun run reference:generate --events N --store URL [--seed S] [--batch-size B] [--snapshot-every K] [--fresh] [--no-worker]
 *
 * URL is postgres://... (COPY into the classic `events` table) or mongodb://host/db
 * (unordered bulk inserts into `events`). Creates the schema if missing.
 * Postgres: events are generated and serialised on a worker thread while this one
 * streams COPY (bounded queue); --no-worker keeps everything on one thread.
 * --fresh (new, empty store): secondary indexes are dropped for the load and rebuilt after.
 */
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { integerFlag, readFlags } from '../cli-args';
import { ensureMongoIndexes } from '../mongo/event-store';
import { ensureReferenceSchema } from '../postgres/schema';
import { generateEvents, type GenerateOptions } from './generate';
import { copyBatches } from './copy-source';
import { formatProgress, type WriteProgress } from './progress';
import { writeToMongo } from './write-mongo';
import { writeToPostgres } from './write-postgres';

export async function runGenerator(argv: string[]): Promise<WriteProgress> {
  // Boolean switches first: readFlags only knows `--name value`.
  const fresh = argv.includes('--fresh');
  const worker = !argv.includes('--no-worker');
  const flags = readFlags(
    argv.filter((a) => a !== '--fresh' && a !== '--no-worker'),
    ['events', 'store', 'seed', 'batch-size', 'snapshot-every', 'method'],
  );
  const store = flags.store ?? process.env.CHRONO_REF_STORE;
  if (!store) throw new Error('--store is required (postgres://... or mongodb://.../db)');
  const options: GenerateOptions = {
    events: integerFlag(flags.events, 'events'),
    seed: integerFlag(flags.seed, 'seed', 1),
    batchSize: integerFlag(flags['batch-size'], 'batch-size', 5_000),
    snapshotEvery: integerFlag(flags['snapshot-every'], 'snapshot-every', 100),
  };
  const onProgress = (p: WriteProgress) => process.stderr.write(`\r${formatProgress(p)}`);
  let result: WriteProgress;
  if (store.startsWith('postgres://') || store.startsWith('postgresql://')) {
    const pool = new pg.Pool({ connectionString: store, max: 3 });
    try {
      await ensureReferenceSchema(pool);
      const method = flags.method === 'insert' ? 'insert' : 'copy';
      const source = method === 'copy' ? copyBatches(options, { worker }) : generateEvents(options);
      const onPhase = (message: string) => process.stderr.write(`\n${message}\n`);
      result = await writeToPostgres(pool, source, { total: options.events, method, fresh, onProgress, onPhase });
    } finally {
      await pool.end();
    }
  } else if (store.startsWith('mongodb://') || store.startsWith('mongodb+srv://')) {
    const client = new MongoClient(store);
    try {
      await client.connect();
      const db = client.db(); // the database named in the URL path (default "test")
      await ensureMongoIndexes(db);
      result = await writeToMongo(db, generateEvents(options), { total: options.events, onProgress });
    } finally {
      await client.close();
    }
  } else {
    throw new Error(`Unsupported --store ${store}: use postgres://... or mongodb://...`);
  }
  process.stderr.write('\n');
  return result;
}

const isEntry = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('generator/main.ts');
if (isEntry) {
  runGenerator(process.argv.slice(2)).then(
    (p) => console.log(`wrote ${p.events} events in ${(p.elapsedMs / 1000).toFixed(1)} s (${Math.round(p.eventsPerSecond)} events/s)`),
    (err: unknown) => {
      console.error(`generate failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
