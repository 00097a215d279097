import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Clients } from '../../../src-main/engine/connections/clients';
import type { Connections } from '../../../src-main/engine/connections/connections';
import { createKafkaCapability } from '../../../src-main/engine/kafka/capability';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A capability without Kafka connections: its sampler's rounds do nothing but count. */
async function capability() {
  const dataDir = await mkdtemp(join(tmpdir(), 'chrono-kafka-interval-'));
  const connections = { list: async () => [] } as unknown as Connections;
  return createKafkaCapability({ dataDir, clients: {} as Clients, connections });
}

describe('the Kafka sampling interval', () => {
  for (const [how, change] of [
    ['set on the Kafka screen', (kafka: Awaited<ReturnType<typeof capability>>) => kafka.configure({ intervalMs: 1000 })],
    ['set on the Settings screen', (kafka: Awaited<ReturnType<typeof capability>>) => kafka.followInterval(1000)],
  ] as const) {
    it(`applies at once when ${how}, not after the wait under way`, async () => {
      const kafka = await capability();
      kafka.start();
      for (let i = 0; i < 100 && kafka.sampler.lastTickAt === undefined; i += 1) await sleep(20);
      const first = kafka.sampler.lastTickAt;
      expect(first).toBeDefined();
      await change(kafka); // the 5 s wait after the first round starts over at 1 s
      await sleep(2000);
      expect(kafka.sampler.lastTickAt).toBeGreaterThan(first!);
      await kafka.close();
    });
  }
});
