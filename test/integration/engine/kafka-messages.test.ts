import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamDataOf } from '../../../src-shared/operations';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, type Call } from '../engine-support';
import { createTopic, kafkaFor, testBrokers, uniqueName } from '../kafka-support';

describe.each(testBrokers())('Kafka topic browser against $name', ({ brokers }) => {
  let engine: Engine;
  let call: Call;
  let connectionId: string;
  let admin: Admin;
  let producer: Producer;
  const topic = uniqueName('browse-topic');
  let written: number;

  beforeAll(async () => {
    engine = await createTestEngine('kafka-messages', { sampleKafkaLag: false });
    call = engineCaller(() => engine);
    connectionId = (await call('connections.add', { name: uniqueName('kafka'), settings: { kind: 'kafka', brokers } })).id;
    const kafka = kafkaFor(brokers);
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    await createTopic(admin, topic, 2);
    await producer.send({
      topic,
      messages: [
        {
          partition: 1,
          key: 'order-1',
          value: JSON.stringify({ eventId: 'e-1', aggregateId: 'order-1', version: 1, type: 'OrderPlaced' }),
          headers: { 'event-id': 'e-1', 'event-type': 'OrderPlaced' },
        },
        { partition: 1, key: 'plain', value: 'just text' },
        { partition: 1, key: null, value: Buffer.from([0, 1, 2, 255]) },
        { partition: 0, key: 'other', value: 'not this partition' },
      ],
    });
    written = Date.now();
    await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ partition: 1, value: `later-${i}` })) });
  });

  afterAll(async () => {
    await Promise.all([admin?.disconnect(), producer?.disconnect()]);
    await engine?.dispose();
  });

  it("reads a partition's messages from an offset, decoding JSON, text and bytes, with headers and the store event carried", async () => {
    const page = await call('kafka.messages', { connectionId, topic, partition: 1, from: { kind: 'offset', offset: '0' }, limit: 3 });
    expect(page).toMatchObject({ start: '0', end: '8', next: '3' });
    expect(page.messages.map((m) => [m.offset, m.keyEncoding, m.valueEncoding])).toEqual([
      ['0', 'text', 'json'],
      ['1', 'text', 'text'],
      ['2', 'null', 'hex'],
    ]);
    expect(page.messages[0]).toMatchObject({
      key: 'order-1',
      headers: { 'event-id': 'e-1', 'event-type': 'OrderPlaced' },
      event: { streamId: 'order-1', version: 1, eventId: 'e-1' },
    });
    expect(page.messages[2]!.value).toBe('000102ff');
    // Nothing is left behind: the throwaway group is deleted.
    expect((await admin.listGroups()).groups.filter((g) => g.groupId.startsWith('chronoscope-browse-'))).toEqual([]);
  });

  it('reads from a time and the last N messages', async () => {
    const fromTime = await call('kafka.messages', {
      connectionId,
      topic,
      partition: 1,
      from: { kind: 'time', at: new Date(written).toISOString() },
      limit: 50,
    });
    expect(fromTime.messages.map((m) => m.value)).toEqual(['later-0', 'later-1', 'later-2', 'later-3', 'later-4']);
    const last = await call('kafka.messages', { connectionId, topic, partition: 1, from: { kind: 'latest', count: 2 }, limit: 50 });
    expect(last.messages.map((m) => m.value)).toEqual(['later-3', 'later-4']);
  });

  it('follows the partition live until cancelled', async () => {
    const controller = new AbortController();
    const seen: StreamDataOf<'kafka.messages'>[] = [];
    const running = engine.dispatcher.run(
      'kafka.messages',
      { connectionId, topic, partition: 1, from: { kind: 'latest', count: 1 }, follow: true },
      {
        operationId: 'follow',
        signal: controller.signal,
        emit: (data) => seen.push(data as StreamDataOf<'kafka.messages'>),
        progress: () => undefined,
      },
    );
    await expect.poll(() => seen.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    expect(seen[0]!.messages.map((m) => m.value)).toEqual(['later-4']);
    await producer.send({
      topic,
      messages: [
        { partition: 1, value: 'live-1' },
        { partition: 0, value: 'elsewhere' },
      ],
    });
    await expect.poll(() => seen.flatMap((d) => d.messages.map((m) => m.value)), { timeout: 30_000 }).toContain('live-1');
    expect(seen.flatMap((d) => d.messages.map((m) => m.value))).not.toContain('elsewhere');
    controller.abort();
    const result = (await running) as { next: string };
    expect(result.next).toBe('9');
  });
});
