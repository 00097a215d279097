/**
 * Bulk snapshot verification rate (issue 12's target: >= 2,000 snapshots/s for
 * 100-event streams), through the same job the engine runs: `snapshots.verifyAll`
 * over the reference `snapshots` table of PostgreSQL, with the built-in account
 * definition, one sandbox worker and the replay reads ahead of it.
 *   node --import tsx bench/snapshots.ts [--streams 5000] [--runs 3]
 * The streams are kept in database bench_snapshots_<streams> on CHRONO_TEST_PG_URL's server.
 * Prints snapshots/s per run, the median, and the CPU a snapshot costs in Node (main thread
 * and sandbox worker) and in PostgreSQL's backends: on a shared machine the rate follows the
 * load, the CPU per snapshot does not. Measured on the shared 2-core machine, the code before
 * and after side by side: at load 3.5-3.9, 1,271-1,748/s before, 3,551-3,807/s after; at load
 * 7, 1,097-1,265/s before, 1,679-2,276/s after (that run without the page read-ahead). Before:
 * 0.32-0.37 ms of Node and 0.32-0.36 ms of PostgreSQL a snapshot, the worker answering every
 * stream on its own (a round trip per 100 events), PostgreSQL sorting each range's six
 * aggregates, and each job page of 500 starting with the database idle. After: 0.23-0.29 ms of
 * Node, 0.22-0.23 ms of PostgreSQL: many streams per worker message (two in flight), aggregates
 * fed in order by each range's subquery with no time formatted, and the next page's first
 * events read while the current one folds. Each run also prints the main process's event-loop
 * delay and peak RSS while the job ran (issue 24: p99 < 30 ms, max < 100 ms, <= 400 MB).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { verifyAllSnapshotsJob } from '../src-main/engine/jobs/verify-all-snapshots';
import { SnapshotReplayer } from '../src-main/engine/snapshots/snapshot-replayer';
import { DefinitionCatalog } from '../src-main/engine/definitions/definition-catalog';
import { findProjectionsDir } from '../src-main/engine/definitions/definitions';
import { UserDefinitions } from '../src-main/engine/definitions/user-definitions';
import { ensureReferenceSchema } from '../src-main/reference/postgres/schema';
import { presetMapping } from '../src-main/stores/presets';
import { PostgresEventStore } from '../src-main/stores/postgres/postgres-event-store';
import { openSnapshots } from '../src-main/stores/ports/open-companions';
import { presetRecord } from '../src-main/stores/presets';
import { keptDatabasePool } from './database';
import { watchMainProcess } from './measure';

const { values } = parseArgs({
  options: { streams: { type: 'string', default: '5000' }, runs: { type: 'string', default: '3' }, events: { type: 'string', default: '100' } },
});
const streams = Number(values.streams);
const runs = Number(values.runs);
const EVENTS = Number(values.events);
const database = `bench_snapshots_${streams}_${EVENTS}`;

// The product's pool size for a connection (engine/connections/clients.ts).
const pool = await keptDatabasePool(database, 4);
await ensureReferenceSchema(pool);

const have = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM snapshots')).rows[0]!.n);
if (have < streams) {
  console.log(`writing ${streams.toLocaleString('en-US')} account streams of ${EVENTS} events, one snapshot each, into ${database} (kept for later runs)`);
  await pool.query('TRUNCATE events, snapshots');
  const chunk = 500;
  for (let from = 0; from < streams; from += chunk) {
    const to = Math.min(streams, from + chunk) - 1;
    await pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp")
       SELECT gen_random_uuid(), 'account-' || lpad(s::text, 7, '0'), 'Account',
              CASE WHEN v = 1 THEN 'AccountOpened' ELSE 'MoneyDeposited' END, v,
              CASE WHEN v = 1 THEN jsonb_build_object('ownerId', 'owner-' || s, 'currency', 'EUR')
                   ELSE jsonb_build_object('amountCents', 100, 'balanceCents', (v - 1) * 100) END,
              jsonb_build_object('correlationId', 'bench-' || s || '-' || v, 'userId', 'bench'),
              timestamptz '2025-01-01T00:00:00Z' + (s * $3::int + v) * interval '1 second'
       FROM generate_series($1::int, $2::int) AS s, generate_series(1, $3::int) AS v`,
      [from, to, EVENTS],
    );
    // The true state at the last version; one stream in a hundred gets a wrong balance.
    await pool.query(
      `INSERT INTO snapshots (aggregate_id, aggregate_type, version, state)
       SELECT 'account-' || lpad(s::text, 7, '0'), 'Account', $3::int,
              jsonb_build_object('status', 'open', 'ownerId', 'owner-' || s, 'currency', 'EUR', 'balanceCents', ($3::int - 1) * 100 + CASE WHEN s % 100 = 7 THEN 1000 ELSE 0 END)
       FROM generate_series($1::int, $2::int) AS s`,
      [from, to, EVENTS],
    );
    process.stderr.write(`\r  ${(to + 1).toLocaleString('en-US')} streams`);
  }
  process.stderr.write('\n');
  await pool.query('ANALYZE events');
  await pool.query('ANALYZE snapshots');
}

const store = await PostgresEventStore.open(pool, presetMapping('classic'));
const snapshots = await openSnapshots(presetRecord('classic')!, pool);
const catalog = new DefinitionCatalog(findProjectionsDir(), new UserDefinitions());
const job = verifyAllSnapshotsJob({
  snapshots: async () => snapshots,
  replayer: async (_connection, definition, signal) => new SnapshotReplayer(store, catalog, definition, signal),
});

/**
 * CPU seconds of this database's PostgreSQL backends (from /proc, the server runs on this
 * machine): with the process's own, the cost of a snapshot whatever else loads the machine.
 */
async function backendCpu(): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // not on this machine, or gone
    }
  }
  return out;
}

const rates: number[] = [];
for (let run = 1; run <= runs; run += 1) {
  const dbBefore = await backendCpu();
  const watch = watchMainProcess();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await job.run(
    { connectionId: 'bench', definition: 'account' },
    { signal: new AbortController().signal, resumeFrom: undefined, progress: () => undefined, saveResumePoint: async () => undefined },
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const dbAfter = await backendCpu();
  const dbSeconds = [...dbAfter].reduce((sum, [pid, after]) => sum + after - (dbBefore.get(pid) ?? 0), 0);
  const main = watch.stop();
  const rate = result.verified / seconds;
  rates.push(rate);
  console.log(
    `run ${run}: ${result.verified.toLocaleString('en-US')} snapshots (${EVENTS}-event streams) in ${seconds.toFixed(2)} s = ${Math.round(rate).toLocaleString('en-US')} snapshots/s; ` +
      `${result.mismatched} differ (expected ${Math.ceil(streams / 100)}); CPU per snapshot: Node (main thread + sandbox worker) ${((used.user + used.system) / 1e3 / result.verified).toFixed(3)} ms, ` +
      `PostgreSQL ${((dbSeconds * 1e3) / result.verified).toFixed(3)} ms; main process: ${main.words}; load average ${loadavg()[0]!.toFixed(1)}`,
  );
}
rates.sort((a, b) => a - b);
console.log(`bulk verification: median ${Math.round(rates[Math.floor(rates.length / 2)]!).toLocaleString('en-US')} snapshots/s (target >= 2,000)`);
await store.close();
await pool.end().catch(() => undefined);
