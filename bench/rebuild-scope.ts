/**
 * Partial rebuilds by scope: how long resolving a scope to streams takes (a
 * category by the stream listing's skip scan; a type in a time range by the feed),
 * and a partial rebuild of the resolved streams beside a full rebuild of the same
 * model, in one run.
 *   node --import tsx bench/rebuild-scope.ts [--events 300000] [--pg URL]
 * Writes into a scratch database (created and dropped) on CHRONO_TEST_PG_URL's server.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BUILTIN_POSTGRES_MODELS } from '../src-main/engine/rebuild/builtins';
import { createPartialShadow, rebuildPartialPostgres } from '../src-main/engine/rebuild/partial-postgres';
import { rebuildPostgres } from '../src-main/engine/rebuild/rebuild-postgres';
import { resolveScope } from '../src-main/engine/rebuild/scope';
import { copyBatches } from '../src-main/reference/generator/copy-source';
import { writeToPostgres } from '../src-main/reference/generator/write-postgres';
import { ensureReferenceSchema } from '../src-main/reference/postgres/schema';
import { PostgresEventStore } from '../src-main/stores/postgres/postgres-event-store';
import { classicPreset } from '../src-main/stores/presets/classic';

const { values } = parseArgs({ options: { events: { type: 'string' }, pg: { type: 'string' } } });
const events = Number(values.events ?? 300_000);
const baseUrl = values.pg ?? process.env.CHRONO_TEST_PG_URL ?? 'postgres://chronoscope:chronoscope@127.0.0.1:55432/chronoscope';
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const seconds = (t: number) => (performance.now() - t) / 1000;

const name = `bench_scope_${randomBytes(3).toString('hex')}`;
const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(baseUrl);
url.pathname = `/${name}`;
const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
pool.on('error', () => undefined);
try {
  await ensureReferenceSchema(pool);
  process.stderr.write(`writing ${fmt(events)} reference events...\n`);
  await writeToPostgres(pool, copyBatches({ events, seed: 1 }, { worker: true }), { total: events, method: 'copy', fresh: true });
  await pool.query('ANALYZE events');
  const store = await PostgresEventStore.open(pool, classicPreset.mapping());
  const definition = BUILTIN_POSTGRES_MODELS['accounts_view']!;

  let t = performance.now();
  const accounts = await resolveScope(store, { kind: 'category', category: 'Account' });
  console.log(`category Account: ${fmt(accounts.streamIds.length)} streams resolved in ${seconds(t).toFixed(2)} s`);

  const { rows } = await pool.query<{ from: Date; to: Date }>(
    `SELECT percentile_disc(0.45) WITHIN GROUP (ORDER BY "timestamp") AS from, percentile_disc(0.50) WITHIN GROUP (ORDER BY "timestamp") AS to FROM events WHERE event_type = 'MoneyWithdrawn'`,
  );
  const range = { from: rows[0]!.from.toISOString(), to: rows[0]!.to.toISOString() };
  t = performance.now();
  const touched = await resolveScope(store, { kind: 'types', eventTypes: ['MoneyWithdrawn'], ...range });
  console.log(`MoneyWithdrawn in 5% of its events' time span: ${fmt(touched.eventsRead)} events read, ${fmt(touched.streamIds.length)} streams resolved in ${seconds(t).toFixed(2)} s`);

  t = performance.now();
  await createPartialShadow(pool, { id: 'benchpart', schema: 'public', model: 'accounts_view', definition: definition.name, streamIds: touched.streamIds });
  const partial = await rebuildPartialPostgres({ pool, feed: store, id: 'benchpart', model: 'accounts_view', definition });
  const partialSeconds = seconds(t);
  console.log(`partial rebuild of those ${fmt(touched.streamIds.length)} streams: ${fmt(partial.events)} events in ${partialSeconds.toFixed(2)} s (${fmt(touched.streamIds.length / partialSeconds)} streams/s, ${fmt(partial.events / partialSeconds)} events/s)`);

  t = performance.now();
  const full = await rebuildPostgres({ pool, feed: store, id: 'benchfull', model: 'accounts_view', definition });
  const fullSeconds = seconds(t);
  console.log(`full rebuild of accounts_view: ${fmt(full.events)} events in ${fullSeconds.toFixed(2)} s (${fmt(full.events / fullSeconds)} events/s)`);
  await store.close();
} finally {
  await pool.end();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
