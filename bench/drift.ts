/**
 * Drift verification of a read model beside a full rebuild of it, in one run: the
 * model is built by a full rebuild (timed), copied in as the live model, a few rows
 * are corrupted, then a 1% sample check and a full verification are timed (goals: the
 * sample within 5 s, the full verification within 2x the rebuild).
 *   node --import tsx bench/drift.ts [--events 1000000] [--model orders_view] [--pg URL]
 * (orders_view: about 100k rows from 1M reference events).
 * Writes into a scratch database (created and dropped) on CHRONO_TEST_PG_URL's server.
 */
import { parseArgs } from 'node:util';
import { postgresLiveModel } from '../src-main/engine/drift/postgres-model';
import { emptyTally, freshPoint, runFull, runSample, type FullResumePoint, type VerifyRun } from '../src-main/engine/drift/verify-job';
import { REFERENCE_POSTGRES_MODELS } from '../src-main/engine/local-workspace/reference-read-models';
import { rebuildPostgres } from '../src-main/engine/rebuild/rebuild-postgres';
import { BENCH_PG_URL, createScratchDatabase, fillReferenceEvents } from './database';

const { values } = parseArgs({ options: { events: { type: 'string' }, model: { type: 'string' }, pg: { type: 'string' } } });
const events = Number(values.events ?? 1_000_000);
const model = values.model ?? 'orders_view';
const baseUrl = values.pg ?? BENCH_PG_URL;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const seconds = (t: number) => (performance.now() - t) / 1000;

const scratch = await createScratchDatabase('bench_drift', baseUrl, 6);
const pool = scratch.pool;
try {
  const store = await fillReferenceEvents(pool, events);
  const definition = REFERENCE_POSTGRES_MODELS[model]!;

  let t = performance.now();
  const rebuilt = await rebuildPostgres({ pool, feed: store, id: 'benchfull', model, definition });
  const rebuildSeconds = seconds(t);
  await pool.query(`INSERT INTO ${model} SELECT * FROM ${rebuilt.shadow}`);
  await pool.query(`ANALYZE ${model}`);
  const rows = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${model}`)).rows[0]!.n);
  // A few corrupted rows, so the checks have something to find.
  const key = (
    await pool.query<{ k: string }>(
      `SELECT a.attname AS k FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::regclass AND i.indisprimary`,
      [model],
    )
  ).rows[0]!.k;
  await pool.query(`DELETE FROM ${model} WHERE ${key} IN (SELECT ${key} FROM ${model} ORDER BY ${key} LIMIT 5)`);

  const live = await postgresLiveModel(pool, 'public', model);
  // When the full verification moves from the live rows to the store's streams (the split is printed).
  let liveDoneAt: number | undefined;
  const context = {
    signal: new AbortController().signal,
    progress: () => undefined,
    saveResumePoint: async (point: FullResumePoint) => {
      if (point.liveDone) liveDoneAt ??= performance.now();
    },
    resumeFrom: undefined,
  };
  const run = (): VerifyRun => ({
    params: { connectionId: 'bench', schema: 'public', model, mode: { kind: 'full' }, seed: 7 },
    live,
    store,
    definition,
    batch: { live, feed: store, definition, checkpoint: async () => null },
    context,
  });

  t = performance.now();
  const sample = emptyTally();
  await runSample(run(), { fraction: 0.01 }, sample);
  const sampleSeconds = seconds(t);

  t = performance.now();
  const point: FullResumePoint = freshPoint();
  await runFull(run(), point);
  const fullSeconds = seconds(t);
  const liveSeconds = liveDoneAt !== undefined ? (liveDoneAt - t) / 1000 : fullSeconds;

  console.log(`${model}: ${fmt(rows)} rows from ${fmt(rebuilt.events)} events (${fmt(events)} in the store)`);
  console.log(`full rebuild:           ${rebuildSeconds.toFixed(2)} s (${fmt(rebuilt.events / rebuildSeconds)} events/s)`);
  console.log(
    `1% sample check:        ${sampleSeconds.toFixed(2)} s (${fmt(sample.rowsChecked)} rows and streams checked, ${sample.counts.missing + sample.counts.edited + sample.counts.orphan + sample.counts.staleSkipped} drifted; goal 5 s)`,
  );
  const drifted = point.tally.counts;
  console.log(
    `full verification:      ${fullSeconds.toFixed(2)} s (${fmt(point.tally.rowsChecked)} rows checked, ${drifted.missing} missing of 5 deleted; ${(fullSeconds / rebuildSeconds).toFixed(2)}x the rebuild, goal 2x; live rows ${liveSeconds.toFixed(2)} s, both walks at once)`,
  );
  await store.close();
} finally {
  await scratch.drop();
}
