import type { Consumer, Kafka } from 'kafkajs';
import type { StoredEvent } from '../events';
import { messageToEvent } from '../kafka/messages';
import { kafkaSource } from './checkpoints';
import type { ViewBatchResult } from './postgres-view';

/** What a Kafka-fed read model must offer: its checkpoint per partition, and applying a batch with it. */
export interface KafkaProjection {
  readonly name: string;
  /** Next offset to apply for this source, or null when the projection never saw it. */
  readCheckpoint(source: string): Promise<string | null>;
  /** Applies the events and moves the checkpoint to `nextOffset` (atomically where the store has transactions). */
  apply(source: string, events: StoredEvent[], nextOffset: string): Promise<ViewBatchResult>;
}

export interface KafkaProjectorOptions {
  topic: string;
  groupId: string;
  /** Messages applied per store round (and per checkpoint write). */
  chunkSize?: number;
  /** Pause after each chunk; lets tests kill a worker mid-stream. */
  throttleMs?: number;
  onError?: (err: unknown) => void;
}

export interface ProjectorStats {
  applied: number;
  duplicates: number;
  skippedBelowCheckpoint: number;
}

/**
 * Runs a projection as a Kafka consumer group. Delivery is at-least-once; the
 * projection's own checkpoint (in the read model's database) decides what was
 * applied: messages below it are skipped, and the views drop events at or below
 * their row version, so redelivery after a crash never applies anything twice.
 * Kafka offsets are committed after the checkpoint, as a hint for where to resume.
 */
export class KafkaProjector {
  readonly stats: ProjectorStats = { applied: 0, duplicates: 0, skippedBelowCheckpoint: 0 };
  private consumer: Consumer | undefined;
  private readonly chunkSize: number;

  constructor(
    private readonly kafka: Kafka,
    private readonly projection: KafkaProjection,
    private readonly options: KafkaProjectorOptions,
  ) {
    this.chunkSize = options.chunkSize ?? 500;
  }

  /** Connects, joins the group and starts consuming; resolves once the group was joined. */
  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.options.groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, retry: { retries: 5 } });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    consumer.on(consumer.events.CRASH, (e) => this.options.onError?.(e.payload.error));
    await consumer.connect();
    await consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        const source = kafkaSource(batch.topic, batch.partition);
        const checkpoint = await this.projection.readCheckpoint(source);
        const from = checkpoint === null ? -1n : BigInt(checkpoint);
        for (let i = 0; i < batch.messages.length; i += this.chunkSize) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(i, i + this.chunkSize);
          const fresh = chunk.filter((m) => BigInt(m.offset) >= from);
          this.stats.skippedBelowCheckpoint += chunk.length - fresh.length;
          const events = fresh.map((m) => messageToEvent(m.value)).filter((e): e is StoredEvent => e !== null);
          const last = chunk[chunk.length - 1]!;
          const result = await this.projection.apply(source, events, String(BigInt(last.offset) + 1n));
          this.stats.applied += result.applied;
          this.stats.duplicates += result.duplicates;
          resolveOffset(last.offset);
          await commitOffsetsIfNecessary();
          await heartbeat();
          if (this.options.throttleMs) await new Promise((r) => setTimeout(r, this.options.throttleMs));
        }
      },
    });
    await joined;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
    this.consumer = undefined;
  }
}
