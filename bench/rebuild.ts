/**
 * Rebuild throughput of the reference read models, end to end (shadow created,
 * feed replayed through the built-in definitions, rows written with their
 * checkpoint, indexes built), printed beside the floor measured in the same run: the
 * time PostgreSQL takes to stream the handled events out (COPY TO, discarded) plus to
 * COPY the resulting rows into the same table shape.
 *   node --import tsx bench/rebuild.ts [--events 1000000] [--pg URL]      (REBUILD_EVENTS=10000000 for 10M)
 *     [--fold-workers N]   fold worker threads (default one per core; 0 folds in the main thread)
 *     [--mongo-events 20000] [--mongo URL]   products_view rebuilt on FerretDB (CHRONO_TEST_MONGO_URL), 0 to skip
 * Writes into a scratch database (created and dropped) on CHRONO_TEST_PG_URL's server.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { MongoClient } from 'mongodb';
import { REFERENCE_MONGO_MODELS, REFERENCE_POSTGRES_MODELS, REFERENCE_MONGO_DATE_FIELDS } from '../src-main/engine/local-workspace/reference-read-models';
import { rebuildMongo } from '../src-main/engine/rebuild/mongo-target';
import { generateEvents } from '../src-main/reference/generator/generate';
import { writeToMongo } from '../src-main/reference/generator/write-mongo';
import { MongoEventStore, REFERENCE_MONGO_MAPPING } from '../src-main/stores/mongo/mongo-event-store';
import { rebuildPostgres } from '../src-main/engine/rebuild/rebuild-postgres';
import { heapBudgetStats } from '../src-main/engine/memory/heap-budget';
import type { FoldTimings } from '../src-main/engine/rebuild/feed-fold';
import { qualifiedName, quoteIdent } from '../src-main/stores/postgres/mapping';
import { BENCH_PG_URL, createScratchDatabase, fillReferenceEvents } from './database';

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    pg: { type: 'string' },
    batch: { type: 'string' },
    'fold-workers': { type: 'string' },
    'mongo-events': { type: 'string' },
    mongo: { type: 'string' },
  },
});
const mongoEvents = Number(values['mongo-events'] ?? process.env.REBUILD_MONGO_EVENTS ?? 20_000);
const mongoUrl = values.mongo ?? process.env.CHRONO_TEST_MONGO_URL;
const events = Number(values.events ?? process.env.REBUILD_EVENTS ?? 1_000_000);
const baseUrl = values.pg ?? BENCH_PG_URL;
const batchEvents = values.batch ? Number(values.batch) : undefined;
const foldWorkers = values['fold-workers'] !== undefined ? Number(values['fold-workers']) : undefined;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => Math.round(bytes / 1048576);

let peakRss = process.memoryUsage().rss;
let atPeak = process.memoryUsage();
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  if (usage.rss > peakRss) [peakRss, atPeak] = [usage.rss, usage];
}, 100);
// Diagnostic (REBUILD_LIVE_HEAP=1, with --expose-gc): a full GC each second measures the live heap, garbage aside (it lowers the peak it reports).
let liveHeapMax = 0;
if (process.env.REBUILD_LIVE_HEAP && global.gc) {
  setInterval(() => {
    global.gc!();
    liveHeapMax = Math.max(liveHeapMax, process.memoryUsage().heapUsed);
  }, 1000).unref();
}
/** What the peak RSS held: V8's heap (used of reserved) and memory outside it (Buffers). */
const peakParts = () => `heap ${mb(atPeak.heapUsed)} of ${mb(atPeak.heapTotal)} MB, external ${mb(atPeak.external)} MB (buffers ${mb(atPeak.arrayBuffers)} MB)`;

const scratch = await createScratchDatabase('bench_rebuild', baseUrl, 4);
const pool = scratch.pool;
try {
  const store = await fillReferenceEvents(pool, events);
  let folded = 0;
  // From here on, what the app's main process would carry during a rebuild (the generator's memory is behind us).
  global.gc?.();
  atPeak = process.memoryUsage();
  peakRss = atPeak.rss;
  console.log(`main process before the rebuild: RSS ${mb(peakRss)} MB, heap ${mb(atPeak.heapUsed)} MB`);
  // The rebuild runs in the main process: the event loop's delay is how late a UI call would be answered.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const shadows: Record<string, string> = {};
  const rebuildSeconds: Record<string, number> = {};
  let workerHeapPeak = 0;
  for (const model of ['accounts_view', 'orders_view']) {
    const t = performance.now();
    let last = 0;
    let timings: FoldTimings = { readMs: 0, foldMs: 0, writeMs: 0 };
    const record = await rebuildPostgres({
      pool,
      feed: store,
      id: `bench${model.slice(0, 3)}`,
      model,
      definition: REFERENCE_POSTGRES_MODELS[model]!,
      ...(batchEvents ? { batchEvents } : {}),
      ...(foldWorkers !== undefined ? { foldWorkers } : {}),
      onTimings: (t) => (timings = t),
      onProgress: (p) => {
        last = Math.max(last, p.events);
        process.stderr.write(
          `\r${model}: ${p.phase} ${fmt(p.events)} events, ${fmt(p.eventsPerSecond)} events/s, position ${p.position}/${p.horizon}, ETA ${p.etaSeconds ?? '?'} s   `,
        );
      },
    });
    const seconds = (performance.now() - t) / 1000;
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${record.shadow}`);
    process.stderr.write('\n');
    console.log(
      `${model}: ${fmt(last)} events -> ${fmt(Number(rows[0]!.n))} rows in ${seconds.toFixed(1)} s: ${fmt(last / seconds)} events/s, ${fmt(Number(rows[0]!.n) / seconds)} rows/s`,
    );
    const w = timings.workers;
    console.log(
      w
        ? `  split (main thread's waits, overlapped): reading the feed ${(timings.readMs / 1000).toFixed(1)} s, waiting on the ${w.workers} fold workers ${(timings.foldMs / 1000).toFixed(1)} s, shadow reads+commits ${(timings.writeMs / 1000).toFixed(1)} s; ` +
            `in the workers (CPU, summed): parsing ${(w.parseMs / 1000).toFixed(1)} s, folding ${(w.foldMs / 1000).toFixed(1)} s, encoding rows ${(w.encodeMs / 1000).toFixed(1)} s; their heap at most ${mb(w.heapPeakBytes)} MB in all`
        : `  split (in the main thread): reading the feed ${(timings.readMs / 1000).toFixed(1)} s (overlapped), folding ${(timings.foldMs / 1000).toFixed(1)} s, shadow reads+writes ${(timings.writeMs / 1000).toFixed(1)} s`,
    );
    workerHeapPeak = Math.max(workerHeapPeak, w?.heapPeakBytes ?? 0);
    rebuildSeconds[model] = seconds;
    folded += last;
    shadows[model] = record.shadow;
  }
  const total = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  loopDelay.disable();
  console.log(
    `rebuild end to end (both models, ${fmt(events)} events in the store): ${fmt(folded)} events folded in ${total.toFixed(1)} s = ${fmt(folded / total)} events/s; ${fmt((2 * events) / total)} store positions/s passed (load average ${loadavg()[0]!.toFixed(1)})`,
  );
  console.log(
    `main process during the rebuild: peak RSS ${mb(peakRss)} MB, fold worker threads included (main thread ${peakParts()}; fold workers' heap at most ${mb(workerHeapPeak)} MB in all); event-loop delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms (a UI call waits at most this long for the loop)`,
  );
  console.log(
    `CPU of this process (main thread and fold workers) during the rebuilds: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s in ${total.toFixed(1)} s (PostgreSQL's server processes, on the same cores, not counted)`,
  );
  console.log(
    `heap budget: ${heapBudgetStats.collections} full collections between batches, ${Math.round(heapBudgetStats.totalMs)} ms in all, the longest ${Math.round(heapBudgetStats.longestMs)} ms`,
  );
  if (liveHeapMax) console.log(`live heap (after a full GC each second): at most ${mb(liveHeapMax)} MB`);

  // The floor: PostgreSQL streaming the handled events out (discarded) plus COPY of the resulting rows in.
  const floors: Record<string, number> = {};
  for (const model of ['accounts_view', 'orders_view']) {
    const reader = await pool.connect();
    try {
      const m = store.mapping;
      const categories = REFERENCE_POSTGRES_MODELS[model]!.handles.categories!.map((c) => `'${c.replace(/'/g, "''")}'`).join(', ');
      const t = performance.now();
      let bytes = 0;
      await pipeline(
        reader.query(
          copyTo(
            `COPY (SELECT * FROM ${qualifiedName(m.schema, m.table)} WHERE ${quoteIdent(m.columns.streamType!)} IN (${categories}) ORDER BY ${quoteIdent(m.columns.position!)}) TO STDOUT`,
          ),
        ),
        new Writable({
          write(chunk: Buffer, _encoding, done) {
            bytes += chunk.length;
            done();
          },
        }),
      );
      floors[model] = (performance.now() - t) / 1000;
      console.log(`PostgreSQL streaming ${model}'s events out (COPY TO, discarded): ${mb(bytes)} MB in ${floors[model]!.toFixed(2)} s`);
    } finally {
      reader.release();
    }
  }
  for (const model of ['accounts_view', 'orders_view']) {
    const client = await pool.connect();
    const reader = await pool.connect();
    try {
      await client.query(`CREATE TABLE copy_${model} (LIKE ${model} INCLUDING ALL)`);
      const t = performance.now();
      const out = reader.query(copyTo(`COPY ${shadows[model]} TO STDOUT`));
      const into = client.query(copyFrom(`COPY copy_${model} FROM STDIN`));
      await pipeline(out, into);
      const seconds = (performance.now() - t) / 1000;
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM copy_${model}`);
      console.log(
        `PostgreSQL COPY into ${model} (same rows, read back by COPY TO): ${fmt(Number(rows[0]!.n))} rows in ${seconds.toFixed(2)} s = ${fmt(Number(rows[0]!.n) / seconds)} rows/s`,
      );
      floors[model]! += seconds;
    } finally {
      client.release();
      reader.release();
    }
  }
  let floorTotal = 0;
  let oursTotal = 0;
  for (const model of ['accounts_view', 'orders_view']) {
    floorTotal += floors[model]!;
    oursTotal += rebuildSeconds[model]!;
    console.log(
      `floor ${model}: ${floors[model]!.toFixed(2)} s (events out + rows in); rebuild ${rebuildSeconds[model]!.toFixed(2)} s = ${(rebuildSeconds[model]! / floors[model]!).toFixed(1)}x the floor`,
    );
  }
  console.log(
    `floor both models: ${floorTotal.toFixed(2)} s; rebuilds ${oursTotal.toFixed(2)} s = ${(oursTotal / floorTotal).toFixed(1)}x the floor (goal <= 3x; load average ${loadavg()[0]!.toFixed(1)})`,
  );
  await store.close();
  if (mongoUrl && mongoEvents > 0) await mongoFigure(mongoUrl);
  console.log(`peak RSS (rebuild, COPY comparison and FerretDB figure): ${mb(peakRss)} MB`);
} finally {
  clearInterval(sampler);
  await scratch.drop();
}
void once;

/** products_view rebuilt from the reference Mongo store on FerretDB (written with the generator first). */
async function mongoFigure(urlText: string): Promise<void> {
  const client = new MongoClient(urlText, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const db = client.db(`bench_rebuild_${randomBytes(3).toString('hex')}`);
  try {
    process.stderr.write(`writing ${fmt(mongoEvents)} reference events into FerretDB...\n`);
    await writeToMongo(db, generateEvents({ events: mongoEvents, seed: 1 }));
    await db.createCollection('products_view');
    const feed = new MongoEventStore(db, REFERENCE_MONGO_MAPPING);
    const t = performance.now();
    let folded = 0;
    const record = await rebuildMongo({
      db,
      feed,
      id: 'bench',
      model: 'products_view',
      definition: REFERENCE_MONGO_MODELS['products_view']!,
      dateFields: REFERENCE_MONGO_DATE_FIELDS['products_view']!,
      onProgress: (p) => (folded = Math.max(folded, p.events)),
    });
    const seconds = (performance.now() - t) / 1000;
    const rows = await db.collection(record.shadow).countDocuments();
    console.log(
      `FerretDB products_view: ${fmt(folded)} events -> ${fmt(rows)} documents in ${seconds.toFixed(1)} s = ${fmt(folded / seconds)} events/s (store of ${fmt(mongoEvents)} events)`,
    );
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
  }
}
