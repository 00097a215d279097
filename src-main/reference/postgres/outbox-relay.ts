import type { Producer } from 'kafkajs';
import type pg from 'pg';
import type { StoredEvent } from '../events';
import { eventToMessage } from '../kafka/messages';

export interface OutboxRelayOptions {
  batchSize?: number;
  /** Pause between polls when the outbox is empty. */
  idleDelayMs?: number;
  /** Pause after each published batch (throttling; lets tests kill the relay mid-stream). */
  pauseBetweenBatchesMs?: number;
  /** Advisory lock key: only one relay works at a time, whatever the number of processes. */
  lockKey?: number;
  /** Test hook, called after Kafka acknowledged a batch and before it is marked published. */
  afterPublish?: (eventIds: string[]) => void | Promise<void>;
  onError?: (err: unknown) => void;
}

interface OutboxRow {
  id: string;
  topic: string;
  payload: StoredEvent;
}

const DEFAULT_LOCK_KEY = 0x6f7574626f78; // "outbox"

/**
 * Relays the Postgres outbox to Kafka.
 *
 * One batch = one transaction: take the advisory lock, read the oldest
 * unpublished rows in id order, send them (idempotent producer, acks=all,
 * one request in flight), then mark them published and commit.
 * - No loss: rows are marked only after Kafka acknowledged them; a crash
 *   before the commit leaves them unpublished and the next run sends them again.
 * - No reordering per key: rows of one aggregate get increasing ids (a writer can
 *   only append version n+1 after version n committed), batches go out in id
 *   order, and a resend after a crash repeats the same order. Consumers drop the
 *   duplicates by version.
 * - A row from a transaction that commits late (lower id, visible later) is still
 *   `published_at IS NULL`, so it is picked up by the next poll rather than skipped.
 */
export class PostgresOutboxRelay {
  private readonly batchSize: number;
  private readonly idleDelayMs: number;
  private readonly lockKey: number;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly producer: Producer,
    private readonly options: OutboxRelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.idleDelayMs = options.idleDelayMs ?? 50;
    this.lockKey = options.lockKey ?? DEFAULT_LOCK_KEY;
  }

  /** Relays one batch; returns how many events were published (0 when idle or another relay holds the lock). */
  async relayOnce(): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [this.lockKey]);
      if (!lock.rows[0]?.locked) {
        await client.query('COMMIT');
        return 0;
      }
      const { rows } = await client.query<OutboxRow>('SELECT id, topic, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1', [this.batchSize]);
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      await this.producer.sendBatch({ acks: -1, topicMessages: groupByTopic(rows) });
      await this.options.afterPublish?.(rows.map((r) => r.payload.eventId));
      await client.query('UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      await client.query('COMMIT');
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Relays continuously until stop(); errors are reported and the loop backs off and retries. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          const sent = await this.relayOnce();
          if (sent === 0) await sleep(this.idleDelayMs);
          else if (this.options.pauseBetweenBatchesMs) await sleep(this.options.pauseBetweenBatchesMs);
        } catch (err) {
          this.options.onError?.(err);
          await sleep(Math.max(500, this.idleDelayMs));
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Events stored but not yet published: the relay's backlog. */
  async backlog(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox WHERE published_at IS NULL');
    return Number(rows[0]?.n ?? 0);
  }
}

function groupByTopic(rows: OutboxRow[]): { topic: string; messages: ReturnType<typeof eventToMessage>[] }[] {
  const byTopic = new Map<string, ReturnType<typeof eventToMessage>[]>();
  for (const row of rows) {
    const list = byTopic.get(row.topic) ?? [];
    list.push(eventToMessage(row.payload));
    byTopic.set(row.topic, list);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
