import type pg from 'pg';
import { ConcurrencyConflictError, isUniqueViolation } from '../errors';
import { inTransaction } from '../../stores/postgres/transaction';
import type { DomainEvent, StoredEvent } from '../events';
import type { AppendRequest, CommandEventStore, Snapshot } from '../store';
import { EVENT_COLUMNS, INSERT_EVENTS_SQL, eventColumnArrays, rowToEvent, type EventRow } from './rows';
import { latestSnapshot, saveSnapshot } from './snapshots';

export const DEFAULT_TOPIC = 'domain_events';

export interface PostgresEventStoreOptions {
  /** Kafka topic the outbox rows are destined for. */
  topic?: string;
  /** Rows per round trip when reading a stream. */
  readBatchSize?: number;
}

/** The constraint on (aggregate_id, event_version) in CLASSIC_EVENTS_DDL; a violation means another writer won. */
const VERSION_CONSTRAINT = 'events_aggregate_version_unique';
const EVENT_ID_CONSTRAINT = 'events_pkey';

/**
 * The reference system's Postgres event store: the classic `events` table.
 * An append writes the events and their outbox rows in one transaction, so an
 * event is published if and only if it was stored (no dual write).
 */
export class ReferencePostgresStore implements CommandEventStore {
  readonly kind = 'postgres' as const;
  private readonly topic: string;
  private readonly readBatchSize: number;

  constructor(
    private readonly pool: pg.Pool,
    options: PostgresEventStoreOptions = {},
  ) {
    this.topic = options.topic ?? DEFAULT_TOPIC;
    this.readBatchSize = options.readBatchSize ?? 1000;
  }

  async *readStream(aggregateId: string, afterVersion: number): AsyncIterable<StoredEvent> {
    let after = afterVersion;
    for (;;) {
      const { rows } = await this.pool.query<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE aggregate_id = $1 AND event_version > $2 ORDER BY event_version LIMIT $3`,
        [aggregateId, after, this.readBatchSize],
      );
      for (const row of rows) yield rowToEvent(row);
      const last = rows[rows.length - 1];
      if (!last || rows.length < this.readBatchSize) return;
      after = last.event_version;
    }
  }

  async append(request: AppendRequest): Promise<void> {
    if (request.events.length === 0) return;
    try {
      await inTransaction(this.pool, async (client) => {
        const inserted = await client.query<{ event_id: string; global_position: string }>(
          `${INSERT_EVENTS_SQL} RETURNING event_id, global_position`,
          eventColumnArrays(request.events),
        );
        await insertOutboxRows(client, this.topic, request.events, inserted.rows);
        if (request.snapshot) await saveSnapshot(client, request.snapshot);
      });
    } catch (err) {
      // The unique index decided: someone else holds this version (or this very event, on a retried command).
      if (isUniqueViolation(err, VERSION_CONSTRAINT) || isUniqueViolation(err, EVENT_ID_CONSTRAINT)) {
        throw new ConcurrencyConflictError(request.aggregateType, request.aggregateId, request.expectedVersion);
      }
      throw err;
    }
  }

  async findEvent(eventId: string): Promise<StoredEvent | null> {
    const { rows } = await this.pool.query<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE event_id = $1`, [eventId]);
    return rows[0] ? rowToEvent(rows[0]) : null;
  }

  latestSnapshot(aggregateId: string): Promise<Snapshot | null> {
    return latestSnapshot(this.pool, aggregateId);
  }

  /** Position of the newest stored event ('0' when empty). */
  async headPosition(): Promise<string> {
    const { rows } = await this.pool.query<{ head: string | null }>('SELECT max(global_position) AS head FROM events');
    return rows[0]?.head ?? '0';
  }
}

async function insertOutboxRows(
  client: pg.PoolClient,
  topic: string,
  events: readonly DomainEvent[],
  positions: readonly { event_id: string; global_position: string }[],
): Promise<void> {
  const positionOf = new Map(positions.map((p) => [p.event_id, String(p.global_position)]));
  const payloads = events.map((e): StoredEvent => ({ ...e, globalPosition: positionOf.get(e.eventId) ?? '' }));
  await client.query(
    `INSERT INTO outbox (event_id, aggregate_id, topic, payload)
     SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::jsonb[])`,
    [events.map((e) => e.eventId), events.map((e) => e.aggregateId), events.map(() => topic), payloads.map((p) => JSON.stringify(p))],
  );
}
