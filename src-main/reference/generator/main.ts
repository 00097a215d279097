/**
 * bun run reference:generate --events N --store URL [--seed S] [--batch-size B] [--snapshot-every K]
 *
 * URL is postgres://... (COPY into the classic `events` table) or mongodb://host/db
 * (unordered bulk inserts into `events`). Creates the schema if missing.
 */
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { integerFlag, readFlags } from '../cli-args';
import { ensureMongoIndexes } from '../mongo/event-store';
import { ensureReferenceSchema } from '../postgres/schema';
import { generateEvents, type GenerateOptions } from './generate';
import { formatProgress, type WriteProgress } from './progress';
import { writeToMongo } from './write-mongo';
import { writeToPostgres } from './write-postgres';

export async function runGenerator(argv: string[]): Promise<WriteProgress> {
  const flags = readFlags(argv, ['events', 'store', 'seed', 'batch-size', 'snapshot-every', 'method']);
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
      result = await writeToPostgres(pool, generateEvents(options), { total: options.events, method, onProgress });
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
