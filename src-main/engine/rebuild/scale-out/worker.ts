/**
 * A scale-out rebuild worker: one member of the rebuild's consumer group. Kafka
 * hands it partitions of the replay topic; it folds each fetched batch through the
 * read-model definition (the same built-ins and sandbox as the single-process
 * rebuild) and writes the rows to the shadow with the partition's next offset in
 * one transaction. On (re)assignment it seeks to the offsets stored there; the
 * offsets are committed to Kafka too, after the database, so the group's lag shows
 * in Kafka tools. It leaves once the rebuild is marked finished, or when stopped.
 */
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type KafkaConfig } from 'kafkajs';
import pg from 'pg';
import { CHRONOSCOPE_PG_TYPES } from '../../../stores/postgres/pg-types';
import type { StoredEventView } from '../../../stores/event-store';
import { loadRows, readRebuild, writeChanges, type TableShape } from '../postgres-target';
import type { BuiltinReadModels } from '../builtin-read-models';
import { definitionOfRecord } from '../record-definition';
import { DefinitionFailure, type ModelFolder } from '../read-model';
import { shadowShape } from '../rebuild-postgres';
import { planBatch, type PartitionMark, type ReplayMessage } from './bookkeeping';
import { advanceMark, readMark, readScaleOut } from './offsets-store';
import { POSITION_HEADER } from './publisher';
import type { WorkerConfig } from './worker-config';

export type WorkerReport =
  { event: 'joined'; partitions: number[] } | { event: 'batch'; partition: number; events: number; nextOffset: string } | { event: 'finished' };

export interface WorkerOptions {
  signal?: AbortSignal;
  report?(report: WorkerReport): void;
  /** How often the worker checks whether the rebuild is finished. */
  pollMs?: number;
}

/** Thrown when the rebuild cannot go on (a definition error, a missing shadow): restarting the worker would not help. */
export class WorkerFatal extends Error {
  override readonly name = 'WorkerFatal';
}

/** `builtins`: the read models a rebuild may name without a user definition (the ones the engine that started it was given). */
export async function runWorker(config: WorkerConfig, builtins: BuiltinReadModels, options: WorkerOptions = {}): Promise<void> {
  const pool = new pg.Pool({ ...(config.postgres as pg.PoolConfig), max: 3, types: CHRONOSCOPE_PG_TYPES });
  pool.on('error', () => undefined);
  let consumer: Consumer | undefined;
  let folder: ModelFolder | undefined;
  try {
    const record = await readRebuild(pool, config.rebuildId);
    const scale = await readScaleOut(pool, config.rebuildId);
    if (!record || !scale) throw new WorkerFatal(`There is no scale-out rebuild ${config.rebuildId} in this database: start it from Chronoscope first.`);
    if (scale.finished || record.phase !== 'loading') {
      options.report?.({ event: 'finished' });
      return;
    }
    const definition = await definitionOfRecord(record, builtins);
    const shape = await shadowShape(pool, record);
    folder = await definition.open();
    const kafka = new Kafka({ logLevel: logLevel.NOTHING, ...(config.kafka as unknown as KafkaConfig), clientId: `chronoscope-rebuild-${config.rebuildId}` });
    consumer = kafka.consumer({
      groupId: scale.groupId,
      // A worker killed with -9 holds its partitions until its session expires: keep that short.
      sessionTimeout: config.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.max(500, Math.floor((config.sessionTimeoutMs ?? 10_000) / 5)),
      maxWaitTimeInMs: 250,
      maxBytesPerPartition: config.maxBytesPerPartition ?? 8 * 1024 * 1024,
      maxBytes: 2 * (config.maxBytesPerPartition ?? 8 * 1024 * 1024),
    });
    const applier = new PartitionApplier(pool, consumer, config.rebuildId, scale.topic, record, shape, folder, options.report);
    let fail: (err: Error) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => undefined);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const partitions = e.payload.memberAssignment[scale.topic] ?? [];
      applier.assigned(partitions);
      options.report?.({ event: 'joined', partitions });
    });
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) fail(e.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [scale.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        try {
          await applier.apply(payload);
        } catch (err) {
          if (err instanceof DefinitionFailure || err instanceof WorkerFatal) fail(err);
          throw err; // anything else: kafkajs retries the batch (the shadow has not moved)
        }
      },
    });
    await Promise.race([failed, untilFinished(pool, config.rebuildId, options)]);
    options.report?.({ event: 'finished' });
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await folder?.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
  }
}

/** Resolves once the rebuild is marked finished (or discarded), or the signal fires. */
async function untilFinished(pool: pg.Pool, rebuildId: string, options: WorkerOptions): Promise<void> {
  while (!options.signal?.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.pollMs ?? 1000);
      options.signal?.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
    });
    const [scale, record] = await Promise.all([readScaleOut(pool, rebuildId).catch(() => undefined), readRebuild(pool, rebuildId).catch(() => undefined)]);
    if (scale?.finished || (record && record.phase !== 'loading')) return;
  }
}

/** Applies fetched batches partition by partition, exactly once, against the marks in the target database. */
class PartitionApplier {
  /** The mark this worker last saw for each partition it holds (stored or written by itself). */
  private readonly marks = new Map<number, PartitionMark>();
  /** A new assignment: cached rows may have been written by another member since; forget them before the next batch. */
  private resetPending = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly consumer: Consumer,
    private readonly rebuildId: string,
    private readonly topic: string,
    private readonly record: { schema: string; shadow: string },
    private readonly shape: TableShape,
    private readonly folder: ModelFolder,
    private readonly report: WorkerOptions['report'],
  ) {}

  /** On (re)assignment: seek each partition to its stored offset (the stored one wins over Kafka's committed one). */
  assigned(partitions: number[]): void {
    this.resetPending = true;
    for (const partition of partitions) {
      void readMark(this.pool, this.rebuildId, partition)
        .then((mark) => this.consumer.seek({ topic: this.topic, partition, offset: mark.nextOffset.toString() }))
        .catch(() => undefined); // a batch fetched before the seek is filtered against the stored mark anyway
    }
  }

  async apply({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.resetPending) {
      this.resetPending = false;
      this.marks.clear();
      await this.folder.reset();
    }
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    const partition = batch.partition;
    const mark = this.marks.get(partition) ?? (await readMark(this.pool, this.rebuildId, partition));
    this.marks.set(partition, mark);
    const messages: ReplayMessage<StoredEventView>[] = batch.messages.map((m) => ({
      offset: BigInt(m.offset),
      position: BigInt(String(m.headers?.[POSITION_HEADER] ?? '0')),
      event: JSON.parse(m.value?.toString() ?? 'null') as StoredEventView,
    }));
    const plan = planBatch(messages, mark);
    if (!plan.next) {
      // Everything fetched was applied before (Kafka's committed offset lags the database's): jump ahead.
      this.consumer.seek({ topic: this.topic, partition, offset: mark.nextOffset.toString() });
      return;
    }
    const applied = await this.fold(partition, mark, plan.next, plan.apply);
    if (!applied) return;
    this.marks.set(partition, plan.next);
    resolveOffset(batch.lastOffset());
    this.report?.({ event: 'batch', partition, events: plan.apply.length, nextOffset: plan.next.nextOffset.toString() });
    // Kafka's copy of the offset is for Kafka tools (lag); the database's is the one that counts.
    await this.consumer.commitOffsets([{ topic: this.topic, partition, offset: plan.next.nextOffset.toString() }]).catch(() => undefined);
    await heartbeat().catch(() => undefined);
  }

  /** Folds and writes the batch with its mark; false when another member moved the partition meanwhile. */
  private async fold(partition: number, mark: PartitionMark, next: PartitionMark, events: StoredEventView[]): Promise<boolean> {
    const { schema, shadow } = this.record;
    const client = await this.pool.connect();
    try {
      const keys = await this.folder.missingKeys(events);
      const loaded = await loadRows(client, schema, shadow, this.shape, keys);
      const changes = await this.folder.apply(events, loaded);
      await client.query('BEGIN');
      if (!(await advanceMark(client, this.rebuildId, partition, mark, next, events.length))) {
        await client.query('ROLLBACK');
        await this.lostPartition(partition);
        return false;
      }
      await writeChanges(client, schema, shadow, this.shape, changes);
      await client.query('COMMIT');
      return true;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // The folder's cache holds rows of this batch that were not written: the shadow is the truth again.
      this.marks.delete(partition);
      await this.folder.reset().catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Another member applied this partition (a rebalance this worker had not heard of yet): start again from the stored mark. */
  private async lostPartition(partition: number): Promise<void> {
    this.marks.delete(partition);
    await this.folder.reset();
    const stored = await readMark(this.pool, this.rebuildId, partition);
    this.consumer.seek({ topic: this.topic, partition, offset: stored.nextOffset.toString() });
  }
}
