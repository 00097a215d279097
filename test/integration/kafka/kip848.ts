/**
 * The Kafka 4 broker's own Java clients, run from source by `java` with its jars: a real KIP-848
 * consumer (Kip848Consumer.java) and the broker's view of a group (GroupInspector.java), for tests
 * that must see what kafkajs cannot.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

/** The Kafka 4 broker and its jars; CI runs the Kafka suite against it, so their absence fails here. */
export function kafka4(): { brokers: string[]; libs: string } {
  const brokers = process.env.CHRONO_TEST_KAFKA4_BROKERS;
  const libs = process.env.CHRONO_TEST_KAFKA4_LIBS;
  if (!brokers || !libs)
    throw new Error('CHRONO_TEST_KAFKA4_BROKERS / CHRONO_TEST_KAFKA4_LIBS are not set: run eval "$(scripts/services env)" with the Kafka 4 broker started.');
  return { brokers: brokers.split(','), libs };
}

export interface Kip848Consumer {
  child: ChildProcessWithoutNullStreams;
  /** The consumer's next line (see Kip848Consumer.java); fails with its stderr if it exits first. */
  next(): Promise<string>;
  /** Closes its stdin: it leaves the group, prints "closed" and exits 0. */
  stop(): Promise<void>;
}

/** Starts a KIP-848 consumer of `topic` in `groupId` that reads `messages` messages, commits, and stays a member until stopped. */
export function startKip848Consumer(topic: string, groupId: string, messages: number): Kip848Consumer {
  const { brokers, libs } = kafka4();
  const child = spawn('java', ['-cp', join(libs, '*'), join(import.meta.dirname, 'Kip848Consumer.java'), brokers.join(','), topic, groupId, String(messages)]);
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error(`Kip848Consumer exited (${child.exitCode}): ${stderr.join('')}`);
    return line.value;
  };
  return {
    child,
    next,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.stdin.end();
      if ((await next()) !== 'closed') throw new Error('Kip848Consumer did not close cleanly');
      const [code] = (await exited) as [number | null];
      if (code !== 0) throw new Error(`Kip848Consumer exited ${code}: ${stderr.join('')}`);
    },
  };
}

/** A group as the broker describes it to its own Admin client (what kafka-consumer-groups.sh --describe prints). */
export interface BrokerGroupView {
  /** "Consumer" (KIP-848) or "Classic". */
  type: string;
  state: string;
  groupEpoch: number | null;
  members: { memberId: string; clientId: string; epoch: number | null; assigned: string[] }[];
  /** Committed offsets by "topic:partition". */
  offsets: Record<string, number>;
}

export async function inspectGroup(groupId: string): Promise<BrokerGroupView> {
  const { brokers, libs } = kafka4();
  const { stdout } = await promisify(execFile)('java', ['-cp', join(libs, '*'), join(import.meta.dirname, 'GroupInspector.java'), brokers.join(','), groupId], {
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as BrokerGroupView;
}
