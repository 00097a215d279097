/**
 * The compliance Kafka scan alone over the kept topic of bench/compliance.ts, for profiling:
 *   node --cpu-prof --import tsx bench/kafka-scan-profile.ts [--topic chrono_bench_compliance_1m]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { kafkaSettings } from '../src-shared/schemas/connections';
import { createKafka } from '../src-main/engine/connections/drivers';
import { scanTopics } from '../src-main/engine/compliance/kafka-subject-scan';
import type { KeyCache } from '../src-main/engine/compliance/pg-subject-data';

const { values } = parseArgs({ options: { topic: { type: 'string', default: 'chrono_bench_compliance_1m' }, runs: { type: 'string', default: '2' } } });
const brokers = (process.env.CHRONO_TEST_KAFKA_BROKERS ?? '127.0.0.1:59092').split(',');
const kafka = createKafka(kafkaSettings.parse({ kind: 'kafka', brokers, clientId: 'chronoscope-bench' }), undefined, 2);
const keys = { open: async () => undefined } as unknown as KeyCache;
for (let run = 0; run < Number(values.runs); run += 1) {
  const started = performance.now();
  const [finding] = await scanTopics(kafka, { topics: [values.topic] }, ['cust-bench-compliance-sealed'], { signal: new AbortController().signal, progress: () => undefined }, keys);
  const ms = performance.now() - started;
  console.log(`${finding!.scanned} messages, ${finding!.count} of the subject in ${ms.toFixed(0)} ms = ${Math.round(finding!.scanned / (ms / 1000))}/s   [load ${loadavg().map((l) => l.toFixed(2)).join(' ')}]`);
}
