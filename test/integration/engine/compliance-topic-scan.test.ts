/**
 * The compliance topic scan reads record batches itself (raw-fetch.ts): batches without the
 * subject's bytes are counted from their headers, the others opened record by record. Each
 * kind of batch it meets is checked here on both brokers: plain ones, a gzip-compressed one,
 * header and key matches, a tombstone, a record batch larger than a Fetch asks for, and a
 * message past the range's end; once through SASL.
 */
import { CompressionTypes, type Kafka, type Message } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaSettings } from '../../../src-shared/schemas/connections';
import { createKafka } from '../../../src-main/engine/connections/drivers';
import { scanTopics } from '../../../src-main/engine/compliance/kafka-subject-scan';
import type { KeyCache } from '../../../src-main/engine/compliance/pg-subject-data';
import { randomSuffix } from '../reference/support';
import { testServices } from '../env';

const SUBJECT = 'cust-topic-scan-7';
const START = Date.parse('2026-02-01T00:00:00.000Z');
const noKeys = { open: async () => undefined } as unknown as KeyCache;
const scanning = { signal: new AbortController().signal, progress: () => undefined };

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** Fills a 2-partition topic; answers how many messages lie in the range and how many of them name the subject, by where. */
async function fill(kafka: Kafka, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'max.message.bytes', value: '8388608' }] }] });
  cleanups.push(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let at = START;
  const message = (partition: number, value: string | null, extra: Partial<Message> = {}): Message => ({
    partition,
    key: `other-${at}`,
    value,
    timestamp: String((at += 10)),
    ...extra,
  });
  const plain = (partition: number, n: number) => Array.from({ length: n }, (_, i) => message(partition, JSON.stringify({ i, note: 'nobody here' })));
  let inRange = 0;
  const send = async (messages: Message[], compression?: CompressionTypes) => {
    await producer.send({ topic, messages, ...(compression ? { compression } : {}) });
    inRange += messages.length;
  };
  // Plain batches without the subject, on both partitions.
  await send([...plain(0, 1_500), ...plain(1, 1_500)]);
  // A gzip batch: 3 values and 1 header name the subject.
  await send(
    [
      ...plain(0, 20),
      message(0, JSON.stringify({ customerId: SUBJECT })),
      message(0, JSON.stringify({ customerId: SUBJECT, n: 2 })),
      message(0, JSON.stringify({ customerId: SUBJECT, n: 3 })),
      message(0, 'x', { headers: { subject: SUBJECT } }),
      ...plain(0, 20),
    ],
    CompressionTypes.GZIP,
  );
  // Keyed by the subject, then its tombstone; a plain batch after them.
  await send([message(1, JSON.stringify({ email: 'a@example.org' }), { key: SUBJECT })]);
  await send([message(1, null, { key: SUBJECT })]);
  await send(plain(1, 300));
  // One record batch larger than a Fetch asks for per partition (2 MB), naming the subject in its value.
  await send([message(0, `${'z'.repeat(3 * 1024 * 1024)} ${SUBJECT}`)]);
  await send(plain(0, 200));
  const to = at;
  // Past the range's end: neither read nor counted.
  await producer.send({ topic, messages: [message(0, JSON.stringify({ customerId: SUBJECT, late: true }), { timestamp: String(to + 60_000) })] });
  await producer.disconnect();
  return { inRange, to, inValue: 4, inHeaders: 1, inKey: 1, tombstones: 1 };
}

describe('compliance topic scan on raw record batches', () => {
  for (const [index, cluster] of testServices.kafkaClusters.entries()) {
    for (const sasl of index === 0 ? [false, true] : [false]) {
      it(`counts every kind of batch on Kafka ${cluster.version}${sasl ? ' through SASL' : ''}`, async () => {
        const settings = kafkaSettings.parse({
          kind: 'kafka',
          brokers: sasl ? cluster.saslBrokers : cluster.brokers,
          clientId: 'chronoscope-test',
          ...(sasl ? { sasl: { mechanism: 'plain', username: cluster.saslUser } } : {}),
        });
        const kafka = createKafka(settings, sasl ? cluster.saslPassword : undefined, 2);
        const topic = `compliance_scan_${randomSuffix()}`;
        const expected = await fill(kafka, topic);
        const [finding] = await scanTopics(
          kafka,
          { topics: [topic], from: new Date(START).toISOString(), to: new Date(expected.to).toISOString() },
          [SUBJECT],
          scanning,
          noKeys,
        );
        expect(finding).toMatchObject({
          scanned: expected.inRange,
          count: expected.inValue + expected.inHeaders + expected.inKey,
          inValue: expected.inValue,
          inHeaders: expected.inHeaders,
          inKey: expected.inKey,
          tombstones: expected.tombstones,
        });
        expect(finding!.keyed).toEqual([expect.objectContaining({ partition: 1, key: Buffer.from(SUBJECT), messages: 1, tombstoned: true })]);
        expect(finding!.lastSeen! <= new Date(expected.to).toISOString()).toBe(true);

        // The same topic with no range: the late message is read and counted too.
        const [whole] = await scanTopics(kafka, { topics: [topic] }, [SUBJECT], scanning, noKeys);
        expect(whole).toMatchObject({ scanned: expected.inRange + 1, count: finding!.count + 1 });
      }, 120_000);
    }
  }
});
