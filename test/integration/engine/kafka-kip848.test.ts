import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, type Call } from '../engine-support';
import { createTopic, kafkaFor, uniqueName } from '../kafka-support';

/** The Kafka 4 broker and its jars; CI runs the Kafka suite against it, so their absence fails here. */
function kafka4(): { brokers: string[]; libs: string } {
  const brokers = process.env.CHRONO_TEST_KAFKA4_BROKERS;
  const libs = process.env.CHRONO_TEST_KAFKA4_LIBS;
  if (!brokers || !libs) throw new Error('CHRONO_TEST_KAFKA4_BROKERS / CHRONO_TEST_KAFKA4_LIBS are not set: run eval "$(scripts/services env)" with the Kafka 4 broker started.');
  return { brokers: brokers.split(','), libs };
}

describe('Kafka 4: a KIP-848 consumer group in the Kafka views', () => {
  let engine: Engine;
  let call: Call;
  let admin: Admin;
  let producer: Producer;
  let child: ChildProcessWithoutNullStreams | undefined;

  beforeAll(async () => {
    engine = await createTestEngine('kafka-kip848', { sampleKafkaLag: false });
    call = engineCaller(() => engine);
    const kafka = kafkaFor(kafka4().brokers);
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await Promise.all([admin?.disconnect(), producer?.disconnect()]);
    await engine?.dispose();
  });

  it('is listed with its offsets, lag and a note that its members cannot be described; a reset kafkajs cannot apply is reported, not passed off', { timeout: 120_000 }, async () => {
    const { brokers, libs } = kafka4();
    const connectionId = (await call('connections.add', { name: uniqueName('kafka4'), readOnly: false, settings: { kind: 'kafka', brokers } })).id;
    const topic = uniqueName('kip848-topic');
    const groupId = uniqueName('kip848-group');
    await createTopic(admin, topic, 2);
    await producer.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ partition: i % 2, value: String(i) })) });

    const stderr: string[] = [];
    child = spawn('java', ['-cp', join(libs, '*'), join(import.meta.dirname, '../kafka/Kip848Consumer.java'), brokers.join(','), topic, groupId, '6']);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async () => {
      const line = await lines.next();
      if (line.done) throw new Error(`Kip848Consumer exited: ${stderr.join('')}`);
      return line.value;
    };
    await next(); // broker features
    expect(await next()).toBe('committed 6');
    expect(await next()).toBe('group type=Consumer state=Stable members=1');
    await producer.send({ topic, messages: [{ partition: 0, value: 'a' }, { partition: 1, value: 'b' }, { partition: 1, value: 'c' }] });

    await engine.kafka.sampler.tickNow();
    const listed = (await call('kafka.groups', { connectionId })).groups.find((g) => g.groupId === groupId)!;
    expect(listed).toMatchObject({ protocolType: 'consumer', lag: 3, note: expect.stringMatching(/KIP-848/) });
    expect(listed.members).toBeUndefined();

    const group = await call('kafka.group', { connectionId, groupId });
    expect(group).toMatchObject({ describable: false, members: [], lag: 3, note: expect.stringMatching(/kafkajs can only describe classic groups/) });
    expect(group.partitions.map((p) => [p.partition, p.committed, p.end, p.lag])).toEqual([[0, '3', '4', 1], [1, '3', '5', 2]]);

    const input = { connectionId, groupId, strategy: { kind: 'earliest' as const }, scope: { kind: 'all' as const } };
    const dry = await call('kafka.resetOffsets', { ...input, dryRun: true });
    expect(dry.reprocessed).toBe(6);
    expect(dry.note).toMatch(/members cannot be checked/);
    // The live KIP-848 member makes Kafka refuse kafkajs' classic join: nothing moves, and the reset says so.
    await expect(call('kafka.resetOffsets', { ...input, confirmation: dry.confirmation! })).rejects.toMatchObject({ code: 'conflict', message: expect.stringMatching(/did not move the offsets/) });
    const after = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => p.offset).sort();
    expect(after).toEqual(['3', '3']);

    child.stdin.end();
    expect(await next()).toBe('closed');
    await once(child, 'exit');
  });
});
