import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testServices } from '../env';
import { inspectGroup } from './kip848';

// The Kafka 4 broker of scripts/services really is 4.x and runs KIP-848 consumer groups
// (group.protocol=consumer), which kafkajs cannot join: the group is made by the broker jars' own
// KafkaConsumer (Kip848Consumer.java, run from source), then looked at through kafkajs as Chronoscope does.
const kafka4 = () => testServices.kafkaClusters[1]!;
const consumerSource = join(__dirname, 'Kip848Consumer.java');

/** Next stdout line of the Java consumer; fails with what it printed if it exits first. */
async function nextLine(lines: AsyncIterator<string>, child: ChildProcessWithoutNullStreams, stderr: string[]): Promise<string> {
  const next = await lines.next();
  if (next.done) throw new Error(`Kip848Consumer exited (${child.exitCode}): ${stderr.join('')}`);
  return next.value;
}

describe('Kafka 4: a KIP-848 consumer group', () => {
  let admin: Admin;
  let child: ChildProcessWithoutNullStreams | undefined;
  let reader: Interface | undefined;

  beforeAll(async () => {
    const kafka = new Kafka({ brokers: kafka4().brokers, clientId: 'chrono-it-kip848', logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    reader?.close();
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await admin?.disconnect();
  });

  it("is created by the broker jars, listed by kafkajs with its committed offsets and lag; kafkajs' setOffsets joins it", { timeout: 120_000 }, async () => {
    const { version, brokers } = kafka4();
    expect(version).toMatch(/^4\./);
    const topic = `chrono-it-kip848-${Date.now()}`;
    const groupId = `${topic}-group`;
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    const producer = new Kafka({ brokers, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: String(i) })) });

    const stderr: string[] = [];
    child = spawn('java', ['-cp', join(testServices.kafka4Libs, '*'), consumerSource, brokers.join(','), topic, groupId, '6']);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    reader = createInterface({ input: child.stdout });
    const lines = reader[Symbol.asyncIterator]();

    // The broker's finalized metadata.version names its release ("4.4-IV2"); group.version >= 1 enables KIP-848.
    const [major, minor] = version.split('.');
    expect(await nextLine(lines, child, stderr)).toMatch(new RegExp(`^broker metadata\\.version=${major}\\.${minor}-IV\\d+ group\\.version=[1-9]`));
    expect(await nextLine(lines, child, stderr)).toBe('committed 6');
    // The Java admin sees the new protocol's group with its live member.
    expect(await nextLine(lines, child, stderr)).toBe('group type=Consumer state=Stable members=1');

    // kafkajs (classic ListGroups) lists it, with the protocol type classic consumer groups have too.
    const { groups } = await admin.listGroups();
    expect(groups).toContainEqual({ groupId, protocolType: 'consumer' });
    // kafkajs' classic DescribeGroups cannot describe it: the broker answers "Dead" with no members
    // although a member is live, so membership must not be judged from this answer.
    const [described] = (await admin.describeGroups([groupId])).groups;
    expect(described).toMatchObject({ groupId, state: 'Dead', members: [] });

    // Its committed offsets are readable, so lag is: 3 more messages -> lag 3.
    await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    await producer.disconnect();
    const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions;
    const ends = await admin.fetchTopicOffsets(topic);
    const lag = ends.reduce((sum, end) => sum + Number(end.high) - Number(committed.find((c) => c.partition === end.partition)!.offset), 0);
    expect(committed.reduce((sum, c) => sum + Number(c.offset), 0)).toBe(6);
    expect(lag).toBe(3);

    // kafkajs' resetOffsets/setOffsets move offsets by joining the group as a classic member. The
    // live group takes the classic member in (Kafka 4 mixes protocols), which rebalances it: the
    // member's epoch rises, no offset moves, and kafkajs reports success all the same.
    const before = await inspectGroup(groupId);
    expect(before).toMatchObject({ type: 'Consumer', state: 'Stable', members: [{ epoch: expect.any(Number) }] });
    await admin.resetOffsets({ groupId, topic, earliest: true });
    const afterReset = await inspectGroup(groupId);
    expect(afterReset.offsets).toEqual(before.offsets);
    expect(afterReset.members).toEqual([expect.objectContaining({ memberId: before.members[0]!.memberId })]);
    expect(afterReset.members[0]!.epoch).toBeGreaterThan(before.members[0]!.epoch!);

    // Closing its stdin makes the consumer leave the group and exit cleanly.
    child.stdin.end();
    expect(await nextLine(lines, child, stderr)).toBe('closed');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);

    // On the group once empty, the same call moves the offsets, and the classic join has turned the
    // group into a classic one (Chronoscope's reset commits without joining; see kafka-kip848.test.ts).
    expect(await inspectGroup(groupId)).toMatchObject({ type: 'Consumer', state: 'Empty' });
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [
        { partition: 0, offset: '1' },
        { partition: 1, offset: '1' },
      ],
    });
    expect(await inspectGroup(groupId)).toMatchObject({ type: 'Classic', state: 'Empty', members: [], offsets: { [`${topic}:0`]: 1, [`${topic}:1`]: 1 } });
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  });
});
