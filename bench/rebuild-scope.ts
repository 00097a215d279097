/**
 * Partial rebuilds by scope: how long resolving a scope to streams takes (a
 * category by the stream listing's skip scan; a type in a time range by the feed),
 * and a partial rebuild of the resolved streams beside a full rebuild of the same
 * model, in one run.
 *   node --import tsx bench/rebuild-scope.ts [--events 300000] [--pg URL]
 * Writes into a scratch database (created and dropped) on CHRONO_TEST_PG_URL's server.
 */
import { parseArgs } from 'node:util';
import { REFERENCE_POSTGRES_MODELS } from '../src-main/engine/local-workspace/reference-read-models';
import { createPartialShadow, rebuildPartialPostgres } from '../src-main/engine/rebuild/partial-postgres';
import { rebuildPostgres } from '../src-main/engine/rebuild/rebuild-postgres';
import { resolveScope } from '../src-main/engine/rebuild/scope';
import { BENCH_PG_URL, createScratchDatabase, fillReferenceEvents } from './database';

const { values } = parseArgs({ options: { events: { type: 'string' }, pg: { type: 'string' } } });
const events = Number(values.events ?? 300_000);
const baseUrl = values.pg ?? BENCH_PG_URL;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const seconds = (t: number) => (performance.now() - t) / 1000;

const scratch = await createScratchDatabase('bench_scope', baseUrl, 4);
const pool = scratch.pool;
try {
  const store = await fillReferenceEvents(pool, events);
  const definition = REFERENCE_POSTGRES_MODELS['accounts_view']!;

  let t = performance.now();
  const accounts = await resolveScope(store, { kind: 'category', category: 'Account' });
  console.log(`category Account: ${fmt(accounts.streamIds.length)} streams resolved in ${seconds(t).toFixed(2)} s`);

  const { rows } = await pool.query<{ from: Date; to: Date }>(
    `SELECT percentile_disc(0.45) WITHIN GROUP (ORDER BY "timestamp") AS from, percentile_disc(0.50) WITHIN GROUP (ORDER BY "timestamp") AS to FROM events WHERE event_type = 'MoneyWithdrawn'`,
  );
  const range = { from: rows[0]!.from.toISOString(), to: rows[0]!.to.toISOString() };
  t = performance.now();
  const touched = await resolveScope(store, { kind: 'types', eventTypes: ['MoneyWithdrawn'], ...range });
  console.log(
    `MoneyWithdrawn in 5% of its events' time span: ${fmt(touched.eventsRead)} events read, ${fmt(touched.streamIds.length)} streams resolved in ${seconds(t).toFixed(2)} s`,
  );

  t = performance.now();
  await createPartialShadow(pool, { id: 'benchpart', schema: 'public', model: 'accounts_view', definition: definition.name, streamIds: touched.streamIds });
  const partial = await rebuildPartialPostgres({ pool, feed: store, id: 'benchpart', model: 'accounts_view', definition });
  const partialSeconds = seconds(t);
  console.log(
    `partial rebuild of those ${fmt(touched.streamIds.length)} streams: ${fmt(partial.events)} events in ${partialSeconds.toFixed(2)} s (${fmt(touched.streamIds.length / partialSeconds)} streams/s, ${fmt(partial.events / partialSeconds)} events/s)`,
  );

  t = performance.now();
  const full = await rebuildPostgres({ pool, feed: store, id: 'benchfull', model: 'accounts_view', definition });
  const fullSeconds = seconds(t);
  console.log(`full rebuild of accounts_view: ${fmt(full.events)} events in ${fullSeconds.toFixed(2)} s (${fmt(full.events / fullSeconds)} events/s)`);
  await store.close();
} finally {
  await scratch.drop();
}
