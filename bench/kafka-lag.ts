/**
 * Cost of Kafka lag sampling.
 *   node --import tsx bench/kafka-lag.ts [--groups 10] [--partitions 100] [--ticks 10] [--synthetic-groups 100] [--synthetic-ticks 240] [--synthetic-only]
 * 1. Live: --groups groups with committed offsets on one topic of --partitions
 *    partitions on CHRONO_TEST_KAFKA_BROKERS; the engine's sampler runs --ticks
 *    ticks back to back: wall ms and CPU ms per tick, CPU % of one core at the
 *    default 5 s interval, requests per tick, history bytes per tick.
 * 2. Synthetic (no broker): the sampler's evaluation and history writing for
 *    --synthetic-groups groups x --partitions partitions, every partition
 *    moving each tick (the worst case for the delta-encoded history): CPU per
 *    tick, bytes per tick at full resolution and per minute sample once
 *    downsampled, 24 h of it as kept (last hour full, 23 h at 1/min); then the
 *    time to turn 24 h of one group's history into chart points.
 * 3. Groups list: --list-groups groups (default 100), each lagging on a topic of
 *    10 partitions, on CHRONO_TEST_KAFKA_BROKERS; an engine whose sampler has
 *    sampled them once (it starts with the engine) answers `kafka.groups` (the
 *    call the Kafka screen's groups list makes, through the dispatcher as the
 *    UI calls it): the first call, then the median of --list-runs more. The
 *    shared broker's other groups are listed too, and their count printed.
 *    (Before this list came from the sampler, `kafka.cluster` described every
 *    group and topic afresh: 958 ms first, 224 ms median with 279 groups and
 *    158 topics on the shared broker.)
 * Prints figures; asserts nothing about time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { createEngine } from '../src-main/engine/engine';
import { lagPoints } from '../src-main/engine/kafka/handlers';
import { GroupTopics } from '../src-main/engine/kafka/deleted-topics';
import { GroupLagHistory } from '../src-main/engine/kafka/lag-history';
import { GroupLagSampler } from '../src-main/engine/kafka/lag-sampler';

const { values } = parseArgs({
  options: {
    groups: { type: 'string', default: '10' },
    partitions: { type: 'string', default: '100' },
    ticks: { type: 'string', default: '10' },
    'synthetic-groups': { type: 'string', default: '100' },
    'synthetic-ticks': { type: 'string', default: '240' },
    'synthetic-only': { type: 'boolean', default: false },
    'list-groups': { type: 'string', default: '100' },
    'list-runs': { type: 'string', default: '9' },
    'list-only': { type: 'boolean', default: false },
  },
});
const groups = Number(values.groups);
const partitions = Number(values.partitions);
const ticks = Number(values.ticks);
const INTERVAL_MS = 5000;
const TICKS_PER_DAY = 86_400_000 / INTERVAL_MS;

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

async function live(): Promise<void> {
  const brokers = (process.env.CHRONO_TEST_KAFKA_BROKERS ?? '127.0.0.1:59092').split(',');
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-lag-${partitions}-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: partitions * 10 }, (_, i) => ({ partition: i % partitions, value: 'x' })) });
  const groupIds = Array.from({ length: groups }, (_, i) => `${topic}-g${i}`);
  const setup = performance.now();
  await Promise.all(
    groupIds.map((groupId) =>
      admin.setOffsets({ groupId, topic, partitions: Array.from({ length: partitions }, (_, p) => ({ partition: p, offset: String(p % 10) })) }),
    ),
  );
  console.log(`live: ${groups} groups x ${partitions} partitions committed in ${((performance.now() - setup) / 1000).toFixed(1)} s`);

  const dataDir = await mkdtemp(join(tmpdir(), 'chrono-bench-lag-'));
  const engine = createEngine({ dataDir, mode: 'browser', log: () => undefined, env: {}, sampleKafkaLag: false });
  await engine.dispatcher.run(
    'connections.add',
    { name: 'bench', settings: { kind: 'kafka', brokers } },
    { operationId: 'b', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined },
  );
  // Only this run's groups: pinned scope, so other helpers' groups on the shared broker do not count.
  const [profile] = (await engine.connections.list()).filter((c) => c.kind === 'kafka');
  await engine.kafka.configure({ scope: 'pinned', pinned: { [profile!.id]: groupIds } });

  await engine.kafka.sampler.tickNow(); // opens the admin, warms the metadata cache
  const bytes0 = await engine.kafka.history.bytes();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < ticks; i += 1) {
    await producer.send({ topic, messages: Array.from({ length: partitions }, (_, p) => ({ partition: p, value: 'y' })) });
    const c0 = cpuMs();
    const t0 = performance.now();
    await engine.kafka.sampler.tickNow();
    wall.push(performance.now() - t0);
    cpu.push(cpuMs() - c0);
  }
  const bytes = (await engine.kafka.history.bytes()) - bytes0;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    `  per tick: wall ${median(wall).toFixed(0)} ms (median of ${ticks}), CPU ${median(cpu).toFixed(0)} ms → ${((median(cpu) / INTERVAL_MS) * 100).toFixed(2)} % of one core at ${INTERVAL_MS / 1000} s`,
  );
  console.log(`  requests per tick: 1 ListGroups + 1 DescribeGroups + ${groups} OffsetFetch (side by side) + 1 metadata/ListOffsets for the topic`);
  console.log(
    `  history: ${(bytes / ticks).toFixed(0)} bytes per tick (every partition's end moved) → ${(((bytes / ticks) * TICKS_PER_DAY) / 1e6).toFixed(1)} MB per 24 h at full resolution`,
  );
  await engine.dispose();
  await rm(dataDir, { recursive: true, force: true });
  await admin.deleteGroups(groupIds).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await Promise.all([admin.disconnect(), producer.disconnect()]);
}

async function synthetic(): Promise<void> {
  const syntheticGroups = Number(values['synthetic-groups']);
  const syntheticTicks = Number(values['synthetic-ticks']);
  const dir = await mkdtemp(join(tmpdir(), 'chrono-bench-lag-syn-'));
  const history = new GroupLagHistory(dir);
  const sampler = new GroupLagSampler({
    history,
    groupTopics: new GroupTopics(),
    settings: () => ({ intervalMs: INTERVAL_MS, scope: 'all', pinned: {}, sloSeconds: 5 }),
    kafkaConnections: async () => [],
    admin: async () => {
      throw new Error('no broker');
    },
  });
  const topic = 'orders';
  const t0 = Date.UTC(2026, 0, 1);
  // Irregular traffic (0-100 messages per partition per tick, consumers a little slower): the hard case for compression.
  // mulberry32: the earlier LCG in floating point repeated every ~16k draws (about every 1.5 ticks here), which gzip exploited.
  let seed = 42;
  const random = (n: number) => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const end = Array.from({ length: partitions }, () => 0);
  const committed = Array.from({ length: syntheticGroups }, () => Array.from({ length: partitions }, () => 0));
  const cpu: number[] = [];
  for (let tick = 0; tick < syntheticTicks; tick += 1) {
    const now = t0 + tick * INTERVAL_MS;
    for (let p = 0; p < partitions; p += 1) end[p]! += random(101);
    const ends = new Map([[topic, end.map((e, p) => ({ partition: p, start: 0, end: e }))]]);
    const c0 = cpuMs();
    for (let g = 0; g < syntheticGroups; g += 1) {
      const offsets = new Map(
        committed[g]!.map((c, p) => {
          const next = Math.min(end[p]!, c + random(96));
          committed[g]![p] = next;
          return [`${topic}:${p}`, { topic, partition: p, committed: next }] as const;
        }),
      );
      const lag = sampler.observe('bench', { groupId: `g${g}`, protocolType: 'consumer', state: 'Stable', describable: true, members: [] }, offsets, ends, now);
      await history.append('bench', `g${g}`, {
        at: now,
        status: lag.status,
        partitions: lag.partitions.map((p) => ({ key: `${p.topic}:${p.partition}`, committed: Number(p.committed), end: Number(p.end) })),
      });
    }
    cpu.push(cpuMs() - c0);
  }
  const c1 = cpuMs();
  const lastTick = t0 + (syntheticTicks - 1) * INTERVAL_MS;
  // Close every segment (columnar, gzipped) without downsampling: the full-resolution cost, as the last hour keeps it.
  await history.compact(lastTick + 20 * 60_000);
  const closeCpu = cpuMs() - c1;
  const full = await history.bytes();
  // Then as it is kept past an hour: one sample a minute.
  await history.compact(lastTick + 2 * 3_600_000);
  const minute = await history.bytes();
  const cpuPerTick = cpu.slice(1).reduce((a, b) => a + b, 0) / Math.max(1, cpu.length - 1);
  console.log(
    `synthetic: ${syntheticGroups} groups x ${partitions} partitions, ${syntheticTicks} ticks of ${INTERVAL_MS / 1000} s, irregular traffic on every partition`,
  );
  console.log(
    `  evaluation + history write: CPU ${cpuPerTick.toFixed(0)} ms per tick → ${((cpuPerTick / INTERVAL_MS) * 100).toFixed(2)} % of one core at ${INTERVAL_MS / 1000} s (closing segments: ${(closeCpu / syntheticTicks).toFixed(1)} ms per tick)`,
  );
  const perTick = full / syntheticTicks;
  const perMinuteSample = minute / (syntheticTicks / (60_000 / INTERVAL_MS));
  const fullTicks = 3_600_000 / INTERVAL_MS;
  const minuteSamples = 23 * 60;
  console.log(`  history: ${perTick.toFixed(0)} bytes per tick at full resolution, ${perMinuteSample.toFixed(0)} bytes per minute sample`);
  console.log(
    `  → 24 h on disk (last hour at full resolution, 23 h at 1 sample/min): ${((perTick * fullTicks + perMinuteSample * minuteSamples) / 1e6).toFixed(1)} MB; each further day: ${((perMinuteSample * 24 * 60) / 1e6).toFixed(1)} MB`,
  );

  // 24 h of one group's history (17 280 samples of `partitions` partitions) written, then read back as chart points.
  const day = new GroupLagHistory(join(dir, 'day'));
  let e = 0;
  let c = 0;
  for (let i = 0; i < TICKS_PER_DAY; i += 1) {
    e += random(101);
    c = Math.min(e, c + random(101));
    await day.append('bench', 'day', {
      at: t0 + i * INTERVAL_MS,
      status: 'OK',
      partitions: Array.from({ length: partitions }, (_, p) => ({ key: `${topic}:${p}`, committed: c + p, end: e + p })),
    });
  }
  await day.compact(t0 + 86_400_000);
  const r0 = performance.now();
  // As kafka.lagHistory reads a range over 6 h: one sample a minute (all that is kept past the last hour).
  const samples = await day.read('bench', 'day', t0, t0 + 86_400_000, 60_000);
  const r1 = performance.now();
  const points = lagPoints(samples, 600);
  const r2 = performance.now();
  console.log(
    `  chart data for 24 h of one group (${samples.length} samples x ${partitions} partitions, ${((await day.bytes()) / 1e6).toFixed(1)} MB on disk): read ${(r1 - r0).toFixed(0)} ms + points ${(r2 - r1).toFixed(0)} ms (thinned to ${points.length})`,
  );
  await rm(dir, { recursive: true, force: true });
}

async function groupsList(): Promise<void> {
  const listGroups = Number(values['list-groups']);
  const runs = Number(values['list-runs']);
  const brokers = (process.env.CHRONO_TEST_KAFKA_BROKERS ?? '127.0.0.1:59092').split(',');
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer();
  await Promise.all([admin.connect(), producer.connect()]);
  const topic = `bench-list-${Date.now()}`;
  const topicPartitions = 10;
  await admin.createTopics({ topics: [{ topic, numPartitions: topicPartitions, replicationFactor: 1 }], waitForLeaders: true });
  await producer.send({ topic, messages: Array.from({ length: topicPartitions * 20 }, (_, i) => ({ partition: i % topicPartitions, value: 'x' })) });
  const groupIds = Array.from({ length: listGroups }, (_, i) => `${topic}-g${i}`);
  await Promise.all(
    groupIds.map((groupId, g) =>
      admin.setOffsets({ groupId, topic, partitions: Array.from({ length: topicPartitions }, (_, p) => ({ partition: p, offset: String((g + p) % 15) })) }),
    ),
  );

  const dataDir = await mkdtemp(join(tmpdir(), 'chrono-bench-list-'));
  const engine = createEngine({ dataDir, mode: 'browser', log: () => undefined, env: {}, sampleKafkaLag: false });
  const context = () => ({ operationId: 'b', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined });
  await engine.dispatcher.run('connections.add', { name: 'bench', settings: { kind: 'kafka', brokers } }, context());
  const [profile] = (await engine.connections.list()).filter((c) => c.kind === 'kafka');
  await engine.kafka.configure({ scope: 'pinned', pinned: { [profile!.id]: groupIds } });
  await engine.kafka.sampler.tickNow(); // the sampler runs from engine start: the list shows its figures
  const call = async () => {
    const t0 = performance.now();
    const data = (await engine.dispatcher.run('kafka.groups', { connectionId: profile!.id }, context())) as {
      groups: { groupId: string; lag?: number }[];
      source: string;
    };
    return { ms: performance.now() - t0, data };
  };
  const first = await call();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) times.push((await call()).ms);
  const median = [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  const lagging = first.data.groups.filter((g) => groupIds.includes(g.groupId) && (g.lag ?? 0) > 0).length;
  console.log(
    `groups list (kafka.groups, as the Kafka screen calls it first; answered from the ${first.data.source}): ${lagging} of this run's ${listGroups} groups shown with lag; the shared broker lists ${first.data.groups.length} groups in all`,
  );
  console.log(
    `  first call ${first.ms.toFixed(0)} ms, then median ${median.toFixed(0)} ms of ${runs} (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)})`,
  );
  await engine.dispose();
  await rm(dataDir, { recursive: true, force: true });
  await admin.deleteGroups(groupIds).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await Promise.all([admin.disconnect(), producer.disconnect()]);
}

if (values['list-only']) await groupsList();
else {
  await synthetic();
  if (!values['synthetic-only']) {
    await live();
    await groupsList();
  }
}
