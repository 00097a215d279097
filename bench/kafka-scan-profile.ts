/**
 * The compliance Kafka scan alone over the kept topic of bench/compliance.ts, for profiling,
 * beside a bare kafkajs consumer that only counts the same messages (the floor of any scan on kafkajs):
 *   node [--cpu-prof] --import tsx bench/kafka-scan-profile.ts [--topic chrono_bench_compliance_1m] [--runs 2] [--no-bare]
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { kafkaSettings } from '../src-shared/schemas/connections';
import { createKafka } from '../src-main/engine/connections/drivers';
import { scanTopics } from '../src-main/engine/compliance/kafka-subject-scan';
import type { KeyCache } from '../src-main/engine/compliance/pg-subject-data';

const { values } = parseArgs({
  options: {
    topic: { type: 'string', default: 'chrono_bench_compliance_1m' },
    runs: { type: 'string', default: '2' },
    'no-bare': { type: 'boolean', default: false },
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
  let started = performance.now();
  const [finding] = await scanTopics(
    kafka,
    { topics: [topic] },
    ['cust-bench-compliance-sealed'],
    { signal: new AbortController().signal, progress: () => undefined },
    keys,
  );
  let ms = performance.now() - started;
  console.log(
    `compliance scan: ${finding!.scanned} messages, ${finding!.count} of the subject in ${ms.toFixed(0)} ms = ${Math.round(finding!.scanned / (ms / 1000))}/s   ${load()}`,
  );

  if (values['no-bare']) continue;
  // Bare consumer: same group setup, eachBatch only counts.
  started = performance.now();
  const admin = kafka.admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
  const groupId = `chronoscope-bench-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let seen = 0;
  let firstBatchMs = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (firstBatchMs === 0) firstBatchMs = performance.now() - started;
          seen += batch.messages.length;
          if (seen >= total) resolve();
        },
      })
      .catch(reject);
  });
  ms = performance.now() - started;
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  await admin.disconnect();
  console.log(
    `bare kafkajs consumer: ${seen} messages in ${ms.toFixed(0)} ms (first batch after ${firstBatchMs.toFixed(0)} ms) = ${Math.round(seen / (ms / 1000))}/s   ${load()}`,
  );
}
