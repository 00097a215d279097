/**
 * A partial rebuild (a drift repair's) in a process of its own, for kill -9 tests:
 *   node --import tsx partial-rebuild-child.ts <database url> <rebuild id> <model> <stream id>...
 * Prints `group <streams done>` after each group of streams written to the shadow.
 */
import pg from 'pg';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { rebuildPartialPostgres } from '../../../src-main/engine/rebuild/partial-postgres';
import { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { classicPreset } from '../../../src-main/stores/presets/classic';

const [url, id, model, ...streamIds] = process.argv.slice(2) as [string, string, string, ...string[]];
const pool = new pg.Pool({ connectionString: url, max: 4 });
const store = await PostgresEventStore.open(pool, classicPreset.mapping());
await rebuildPartialPostgres({
  pool,
  feed: store,
  id,
  model,
  definition: REFERENCE_POSTGRES_MODELS[model]!,
  streamIds,
  onProgress: (p) => process.stdout.write(`group ${p.streamsDone}\n`),
});
process.stdout.write('done\n');
await store.close();
await pool.end();
