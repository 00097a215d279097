/**
 * A rebuild in a process of its own, for kill -9 tests:
 *   node --import tsx rebuild-child.ts <database url> <rebuild id> <model>
 * Prints `position <p>` after each committed batch.
 */
import pg from 'pg';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { rebuildPostgres } from '../../../src-main/engine/rebuild/rebuild-postgres';
import { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { classicPreset } from '../../../src-main/stores/presets/classic';

const [url, id, model] = process.argv.slice(2) as [string, string, string];
const pool = new pg.Pool({ connectionString: url, max: 3 });
const store = await PostgresEventStore.open(pool, classicPreset.mapping());
await rebuildPostgres({
  pool,
  feed: store,
  id,
  model,
  definition: REFERENCE_POSTGRES_MODELS[model]!,
  batchEvents: 300,
  onProgress: (p) => process.stdout.write(`position ${p.position}\n`),
});
process.stdout.write('done\n');
await store.close();
await pool.end();
