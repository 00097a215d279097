/**
 * Memory of many replays at once: --replays (60) concurrent full replays of an account
 * stream in PostgreSQL, each in its own process run, once with the sandbox worker pool
 * at its default cap and once with the cap out of the way (CHRONOSCOPE_MAX_SANDBOX_WORKERS
 * huge: one worker per replay, as before the pool). Prints peak RSS (the kernel's
 * high-water mark of the process), the most workers alive at once and the wall time.
 * Figures only, no assertions: the machine may be shared.
 *   node --import tsx bench/sandbox-concurrency.ts [--events 20000] [--replays 60]
 * The stream is kept in database bench_sandbox_concurrency_<events> on CHRONO_TEST_PG_URL's server.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { DefinitionSource } from '../src-main/engine/definitions/definitions';
import { stateAt } from '../src-main/engine/time-travel/reconstruct';
import { defaultMaxWorkers, sandboxPool } from '../src-main/engine/definitions/sandbox-pool';
import { ensureReferenceSchema } from '../src-main/reference/postgres/schema';
import { presetMapping } from '../src-main/stores/presets';
import { PostgresEventStore } from '../src-main/stores/postgres/postgres-event-store';
import { benchDatabaseUrl, createDatabaseIfMissing } from './database';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '20000' }, replays: { type: 'string', default: '60' }, child: { type: 'boolean', default: false } },
});
const total = Number(values.events);
const replays = Number(values.replays);
const STREAM = 'account-bench-concurrency';
const UNCAPPED = 100_000;
const database = `bench_sandbox_concurrency_${total}`;
const url = benchDatabaseUrl(database);

if (values.child) await measure();
else await compare();

/** Writes the stream if missing, then measures each configuration in a fresh process. */
async function compare(): Promise<void> {
  await createDatabaseIfMissing(database);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  await ensureReferenceSchema(pool);
  const have = Number((await pool.query<{ n: string | null }>('SELECT max(event_version) AS n FROM events WHERE aggregate_id = $1', [STREAM])).rows[0]?.n ?? 0);
  if (have !== total) {
    await pool.query('DELETE FROM events WHERE aggregate_id = $1', [STREAM]);
    await pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp")
       SELECT gen_random_uuid(), $1, 'Account', CASE WHEN v = 1 THEN 'AccountOpened' ELSE 'MoneyDeposited' END, v,
              CASE WHEN v = 1 THEN jsonb_build_object('ownerId', 'owner-bench', 'currency', 'EUR') ELSE jsonb_build_object('amountCents', 100, 'balanceCents', (v - 1) * 100) END,
              '{}', timestamptz '2025-01-01T00:00:00Z' + v * interval '1 second'
       FROM generate_series(1, $2::int) AS v`,
      [STREAM, total],
    );
    await pool.query('ANALYZE events');
  }
  await pool.end();

  console.log(`${replays} concurrent full replays of a ${total.toLocaleString('en-US')}-event stream, each configuration in a fresh process:`);
  const runs: [string, string][] = [
    [`pool, default cap (${defaultMaxWorkers()} workers)`, ''],
    ['no cap (one worker per replay)', String(UNCAPPED)],
  ];
  for (const [label, cap] of runs) {
    const env = { ...process.env, CHRONOSCOPE_MAX_SANDBOX_WORKERS: cap };
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--child', '--events', String(total), '--replays', String(replays)], {
      env,
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`${label}: ${child.stderr || child.stdout}`);
    const figures = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { baselineMb: number; peakMb: number; peakWorkers: number; seconds: number };
    console.log(
      `  ${label.padEnd(36)} RSS before ${figures.baselineMb.toFixed(0).padStart(4)} MB   peak ${figures.peakMb.toFixed(0).padStart(5)} MB   workers at once ${String(figures.peakWorkers).padStart(3)}   ${figures.seconds.toFixed(2)} s`,
    );
  }
}

/** One configuration: the replays at once on the process-wide pool; prints a JSON line of figures. */
async function measure(): Promise<void> {
  const account: DefinitionSource = { name: 'account.js', source: readFileSync(join(import.meta.dirname, '../resources/projections/account.js'), 'utf8') };
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
  const store = await PostgresEventStore.open(pool, presetMapping('classic'));
  // One warm-up replay: modules, the pg connections and the first isolate are not what is measured.
  await stateAt(store, STREAM, { version: total }, account);
  global.gc?.();
  const baselineMb = process.memoryUsage().rss / 1048576;
  let peakWorkers = 0;
  const sampler = setInterval(() => (peakWorkers = Math.max(peakWorkers, sandboxPool.active)), 5);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: replays }, () =>
      stateAt(store, STREAM, { version: total }, account, { onProgress: () => (peakWorkers = Math.max(peakWorkers, sandboxPool.active)) }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  for (const result of results)
    if ((result.state as { balanceCents: number }).balanceCents !== (total - 1) * 100) throw new Error('a replay produced the wrong state');
  // maxRSS: the kernel's high-water mark in KiB, which no sampling interval can miss.
  console.log(JSON.stringify({ baselineMb, peakMb: process.resourceUsage().maxRSS / 1024, peakWorkers, seconds }));
  await pool.end();
}
