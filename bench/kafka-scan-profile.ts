/**
 * The compliance Kafka scan alone over the kept topic of bench/compliance.ts, for profiling,
 * beside a bare kafkajs consumer that only counts the same messages (the floor of any scan on kafkajs):
 *   node [--cpu-prof] --import tsx bench/kafka-scan-profile.ts [--topic chrono_bench_compliance_1m] [--runs 2] [--no-bare] [--main-thread]
 * The scan reads on a worker thread (topic-read-thread.ts); --main-thread reads on this one, for a profile of the read itself.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { kafkaSettings } from '../src-shared/schemas/connections';
import { createKafka } from '../src-main/engine/connections/drivers';
import { scanTopics } from '../src-main/engine/compliance/kafka-subject-scan';
import { readTopic } from '../src-main/engine/compliance/topic-read';
import type { KeyCache } from '../src-main/engine/compliance/pg-subject-data';
import { bareKafkajsCount } from './measure';

const { values } = parseArgs({
  options: {
    topic: { type: 'string', default: 'chrono_bench_compliance_1m' },
    runs: { type: 'string', default: '2' },
    'no-bare': { type: 'boolean', default: false },
    'main-thread': { type: 'boolean', default: false },
  },
});
const topic = values.topic;
const brokers = (process.env.CHRONO_TEST_KAFKA_BROKERS ?? '127.0.0.1:59092').split(',');
const kafka = createKafka(kafkaSettings.parse({ kind: 'kafka', brokers, clientId: 'chronoscope-bench' }), undefined, 2);
const keys = { open: async () => undefined } as unknown as KeyCache;
const load = () =>
  `[load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}]`;

for (let run = 0; run < Number(values.runs); run += 1) {
  const started = performance.now();
  const scan = { signal: new AbortController().signal, progress: () => undefined };
  const finding = values['main-thread']
    ? (await readTopic(kafka, topic, { topics: [topic] }, ['cust-bench-compliance-sealed'], scan)).finding
    : (await scanTopics(kafka, { topics: [topic] }, ['cust-bench-compliance-sealed'], scan, keys))[0];
  const ms = performance.now() - started;
  console.log(
    `compliance scan${values['main-thread'] ? ' (main thread)' : ''}: ${finding!.scanned} messages, ${finding!.count} of the subject in ${ms.toFixed(0)} ms = ${Math.round(finding!.scanned / (ms / 1000))}/s   ${load()}`,
  );

  if (values['no-bare']) continue;
  // Bare consumer: a throwaway group, eachBatch only counts.
  const bare = await bareKafkajsCount(kafka, topic);
  console.log(
    `bare kafkajs consumer: ${bare.messages} messages in ${bare.ms.toFixed(0)} ms (first batch after ${bare.firstBatchMs.toFixed(0)} ms) = ${Math.round(bare.messages / (bare.ms / 1000))}/s   ${load()}`,
  );
}
