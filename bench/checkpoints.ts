/**
 * Checkpoints over a large reference store: 100 checkpoints (70 on the store's
 * global order at varied distances, 30 per Kafka partition), through the engine's
 * operations as the screen calls them.
 *   node --import tsx bench/checkpoints.ts [--events 1000000] [--runs 25] [--rounds 12]
 *   CHRONO_BENCH_EVENTS=10000000 node --import tsx bench/checkpoints.ts
 * Prints: first render (checkpoints.list) median, the cost of the lag of a projector
 * 5M events behind (bounded count) beside an exact count(*), background sampling CPU
 * as a share of one core at one round every 5 s, and RSS. Figures only, no assertion.
 * The dataset is kept in database bench_checkpoints_<events> on CHRONO_TEST_PG_URL's
 * server and reused by later runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { createEngine } from '../src-main/engine/engine';
import { generateEvents } from '../src-main/reference/generator/generate';
import { formatProgress } from '../src-main/reference/generator/progress';
import { writeToPostgres } from '../src-main/reference/generator/write-postgres';
import { ensureReferenceSchema } from '../src-main/reference/postgres/schema';
import { presetMapping } from '../src-main/stores/presets';
import { PostgresEventStore } from '../src-main/stores/postgres/postgres-event-store';
import { EXACT_LAG_WINDOW } from '../src-main/stores/position-ranges';
import { printMedian } from './measure';
import { benchDatabaseUrl, keptDatabasePool } from './database';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: process.env.CHRONO_BENCH_EVENTS ?? '1000000' },
    runs: { type: 'string', default: '25' },
    rounds: { type: 'string', default: '12' },
  },
});
const events = Number(values.events);
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const brokers = (process.env.CHRONO_TEST_KAFKA_BROKERS ?? '127.0.0.1:59092').split(',');
const database = `bench_checkpoints_${events}`;
const TOPIC = 'chrono_bench_checkpoints';
const PARTITIONS = 10;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MB`;

const pool = await keptDatabasePool(database, 3);
const url = new URL(benchDatabaseUrl(database));

const filled =
  Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'events'`)).rows[0]?.n) === 1 &&
  BigInt((await pool.query<{ p: string | null }>('SELECT max(global_position)::text AS p FROM events')).rows[0]?.p ?? '0') >= BigInt(events);
if (!filled) {
  await pool.query('DROP TABLE IF EXISTS events CASCADE');
  await ensureReferenceSchema(pool);
  console.log(`generating ${events.toLocaleString('en-US')} events into ${database} (kept for later runs)`);
  await writeToPostgres(pool, generateEvents({ events, seed: 11 }), { total: events, onProgress: (p) => process.stderr.write(`\r${formatProgress(p)}`) });
  process.stderr.write('\n');
  // Holes, as rolled-back inserts leave them: one position in 997 never holds an event.
  await pool.query('DELETE FROM events WHERE global_position % 997 = 0');
  await pool.query('VACUUM ANALYZE events');
}
await ensureReferenceSchema(pool);
const head = BigInt((await pool.query<{ p: string }>('SELECT max(global_position)::text AS p FROM events')).rows[0]!.p);

// Kafka: a topic of 10 partitions with a few hundred records each, read by three projectors.
const kafka = new Kafka({ brokers, clientId: 'chronoscope-bench', logLevel: logLevel.NOTHING });
const kafkaAdmin = kafka.admin();
await kafkaAdmin.connect();
await kafkaAdmin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] }).catch(() => false);
const ends = await kafkaAdmin.fetchTopicOffsets(TOPIC);
if (ends.some((o) => Number(o.high) < 200)) {
  const producer = kafka.producer();
  await producer.connect();
  for (let p = 0; p < PARTITIONS; p++)
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 250 }, (_, i) => ({ partition: p, value: `bench-${i}` })) });
  await producer.disconnect();
}
await kafkaAdmin.disconnect();

// 100 checkpoints: 70 on `events` (10 at the head, 20 a few hundred behind, 20 a few thousand, 15 far, 5 at 5M behind or the start), 30 per partition.
await pool.query('TRUNCATE projection_checkpoints');
const far = head > 5_000_000n ? head - 5_000_000n : 0n;
const behind = (i: number): bigint => {
  if (i < 10) return head;
  if (i < 30) return head - BigInt(100 + i * 10);
  if (i < 50) return head - BigInt(1_000 + i * 97);
  if (i < 65) return head / 2n + BigInt(i * 1_000);
  return far;
};
for (let i = 0; i < 70; i++) {
  await pool.query(
    `INSERT INTO projection_checkpoints (projection_name, source, position, updated_at) VALUES ($1, 'events', $2, now() - make_interval(secs => $3))`,
    [`projector_${String(i).padStart(2, '0')}`, String(behind(i) < 0n ? 0n : behind(i)), i],
  );
}
for (let k = 0; k < 3; k++) {
  for (let p = 0; p < PARTITIONS; p++) {
    await pool.query(`INSERT INTO projection_checkpoints (projection_name, source, position, updated_at) VALUES ($1, $2, $3, now())`, [
      `kafka_projector_${k}`,
      `kafka:${TOPIC}:${p}`,
      String(200 - k * 50),
    ]);
  }
}

const dataDir = await mkdtemp(join(tmpdir(), 'chrono-bench-checkpoints-'));
const engine = createEngine({ dataDir, mode: 'browser', log: () => undefined, env: {}, sampleLags: false });
const call = (op: string, input: unknown) =>
  engine.dispatcher.run(op, input, {
    operationId: 'bench',
    signal: new AbortController().signal,
    emit: () => undefined,
    progress: () => undefined,
  }) as Promise<never>;
const { id: connectionId } = await call('connections.add', {
  name: 'Bench checkpoints',
  settings: { kind: 'postgres', host: url.hostname, port: Number(url.port), database, user: decodeURIComponent(url.username) },
  secret: decodeURIComponent(url.password),
});
await call('stores.configure', { connectionId, preset: 'classic', reason: 'bench' });
const { id: kafkaConnectionId } = await call('connections.add', { name: 'Bench Kafka', settings: { kind: 'kafka', brokers } });

console.log(
  `${events.toLocaleString('en-US')} generated events (head ${head}, one position in 997 a hole), 100 checkpoints (70 on events, 30 per Kafka partition)`,
);
const listInput = { connectionId, kafkaConnectionId };
const first = (await call('checkpoints.list', listInput)) as {
  projectors: { rows: { lag: { events: number; estimated: boolean } | null; status: string }[] }[];
};
const rows = first.projectors.flatMap((g) => g.rows);
console.log(
  `  rows: ${rows.length}, exact lags ${rows.filter((r) => r.lag && !r.lag.estimated).length}, estimated ${rows.filter((r) => r.lag?.estimated).length}; statuses ${JSON.stringify(rows.reduce<Record<string, number>>((n, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {}))}`,
);
await printMedian('first render: checkpoints.list (100 checkpoints)', runs, () => call('checkpoints.list', listInput));

const store = await PostgresEventStore.open(pool, presetMapping('classic'));
const ranges = store.positionRanges()!;
const lagFar = (await ranges.lagBehind([String(far)], String(head), EXACT_LAG_WINDOW)).get(String(far))!;
await printMedian(`lag of one projector ${(head - far).toLocaleString('en-US')} behind (window ${EXACT_LAG_WINDOW})`, runs, () =>
  ranges.lagBehind([String(far)], String(head), EXACT_LAG_WINDOW),
);
{
  const started = performance.now();
  const exact = Number(
    (await pool.query<{ n: string }>('SELECT count(*) AS n FROM events WHERE global_position > $1 AND global_position <= $2', [String(far), String(head)]))
      .rows[0]!.n,
  );
  const ms = performance.now() - started;
  const error = ((lagFar.events - exact) / Math.max(1, exact)) * 100;
  console.log(
    `  ${'for comparison, exact count(*) once'.padEnd(44)} once   ${ms.toFixed(1).padStart(7)} ms   (exact ${exact.toLocaleString('en-US')}, estimate ${lagFar.events.toLocaleString('en-US')}, error ${error.toFixed(2)}%)`,
  );
}

// Background sampling: rounds back to back, CPU of this process per round, as a share of one core at one round per 5 s.
await engine.lagSampler.watch(connectionId, { stalledAfterSeconds: 60, kafkaConnectionId });
await engine.lagSampler.sampleOnce();
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
for (let i = 0; i < rounds; i++) await engine.lagSampler.sampleOnce();
const cpu = process.cpuUsage(cpuBefore);
const perRoundCpuMs = (cpu.user + cpu.system) / 1000 / rounds;
const perRoundWallMs = (performance.now() - wallBefore) / rounds;
console.log(
  `  ${'background sampling, one round'.padEnd(44)} wall ${perRoundWallMs.toFixed(1).padStart(7)} ms   CPU ${perRoundCpuMs.toFixed(1)} ms  -> ${((perRoundCpuMs / engine.lagSampler.intervalMs) * 100).toFixed(2)}% of a core every ${engine.lagSampler.intervalMs / 1000} s`,
);
const memory = process.memoryUsage();
console.log(`  RSS ${mb(memory.rss)} (heap used ${mb(memory.heapUsed)}) after ${runs + 1} lists and ${rounds + 1} sampling rounds`);

await engine.dispose();
await pool.end();
await rm(dataDir, { recursive: true, force: true });
