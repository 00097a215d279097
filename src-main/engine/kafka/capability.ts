import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { kafkaSamplerSettings, type KafkaSamplerSettings } from '../../../src-shared/schemas/kafka';
import type { ConnectionClients } from '../connections/connection-scope';
import type { Connections } from '../connections/connections';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import { GroupTopics } from './deleted-topics';
import { ExactLag } from './exact-lag';
import { firstMessageTimes } from './first-message';
import { GroupLagHistory } from './lag-history';
import { GroupLagSampler } from './lag-sampler';
import { PipelineHistory } from './pipeline-history';

export const DEFAULT_SAMPLER_SETTINGS: KafkaSamplerSettings = { intervalMs: 5000, scope: 'all', pinned: {}, sloSeconds: 5 };

export interface KafkaCapabilityOptions {
  dataDir: string;
  /** The connections' clients (each connection scope's own). */
  clients: ConnectionClients;
  connections: Connections;
  /**
   * Where the sampling interval lives: the app's Settings (`sampling.kafkaLagMs`), one value
   * for the Settings screen and the Kafka screen. Without it the interval is kept here.
   */
  samplingInterval?: { read(): Promise<number>; save(ms: number): Promise<void> };
  log?: (message: string) => void;
}

/**
 * The Kafka capability's state the engine owns: the lag history in
 * `kafka-lag/`, its settings, and the background sampler (started with the
 * engine, stopped when it closes).
 */
export function createKafkaCapability(options: KafkaCapabilityOptions) {
  const dir = join(options.dataDir, 'kafka-lag');
  const settingsFile = join(dir, 'settings.json');
  let settings: KafkaSamplerSettings = { ...DEFAULT_SAMPLER_SETTINGS };
  const loaded = readJsonIfExists<unknown>(settingsFile)
    .then(async (saved) => {
      const interval = options.samplingInterval ? { intervalMs: await options.samplingInterval.read() } : {};
      const parsed = kafkaSamplerSettings.safeParse({ ...DEFAULT_SAMPLER_SETTINGS, ...(saved as object | undefined), ...interval });
      if (parsed.success) settings = parsed.data;
    })
    .catch((err: unknown) => options.log?.(`Kafka lag settings not read: ${(err as Error).message}`));
  const history = new GroupLagHistory(dir);
  const admin = (connectionId: string): Promise<Admin> => options.clients.kafkaAdmin(connectionId);
  const exact = new ExactLag({
    readTimes: async (connectionId, refs) => {
      try {
        return await firstMessageTimes(await options.clients.kafkaCluster(connectionId), refs);
      } catch (err) {
        // Stale metadata or a deleted topic the cluster still targets: start from a fresh one next time.
        await options.clients.resetKafkaCluster(connectionId);
        throw err;
      }
    },
    ...(options.log ? { log: options.log } : {}),
  });
  const groupTopics = new GroupTopics();
  const sampler = new GroupLagSampler({
    history,
    groupTopics,
    exact,
    settings: () => settings,
    kafkaConnections: async () => (await options.connections.list()).filter((c) => c.kind === 'kafka' && !c.needsSecret).map((c) => c.id),
    admin,
    ...(options.log ? { log: options.log } : {}),
  });
  return {
    history,
    pipelineHistory: new PipelineHistory(join(options.dataDir, 'kafka-pipeline')),
    sampler,
    exact,
    admin,
    /** The connection's shared kafkajs Cluster, for broker-level requests (reads, and offset resets that must not join the group). */
    cluster: (connectionId: string) => options.clients.kafkaCluster(connectionId),
    /** Drops a Cluster after a failed request (stale metadata, a moved coordinator): the next call opens a fresh one. */
    resetCluster: (connectionId: string) => options.clients.resetKafkaCluster(connectionId),
    groupTopics,
    /** The connection's kafkajs client, for consumers (the topic browser, outbox gaps); the admin is the shared one. */
    client: (connectionId: string): Promise<Kafka> => options.clients.kafka(connectionId),
    /** The pg pool of a PostgreSQL connection (projector checkpoints). */
    pool: (connectionId: string) => options.clients.pool(connectionId),
    connectionName: async (id: string) => (await options.connections.get(id)).name,
    async settings(): Promise<KafkaSamplerSettings> {
      await loaded;
      return settings;
    },
    async configure(change: Partial<KafkaSamplerSettings>): Promise<KafkaSamplerSettings> {
      await loaded;
      const next = kafkaSamplerSettings.parse({ ...settings, ...change });
      if (change.intervalMs !== undefined && options.samplingInterval) await options.samplingInterval.save(next.intervalMs);
      settings = next;
      if (change.intervalMs !== undefined) sampler.intervalChanged();
      await writeFileAtomic(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);
      return settings;
    },
    /** The Settings screen changed the interval: the next tick follows it (already saved there). */
    async followInterval(intervalMs: number): Promise<void> {
      await loaded;
      if (settings.intervalMs !== intervalMs) {
        settings = kafkaSamplerSettings.parse({ ...settings, intervalMs });
        sampler.intervalChanged();
      }
    },
    start(): void {
      void loaded.then(() => sampler.start());
    },
    async close(): Promise<void> {
      await sampler.stop();
      await exact.settle();
    },
  };
}

export type KafkaCapability = ReturnType<typeof createKafkaCapability>;
