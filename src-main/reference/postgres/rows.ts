import type { AggregateType, DomainEvent, EventMetadata, StoredEvent } from '../events';

/** A row of the classic `events` table as pg returns it (bigint as string). */
export interface EventRow {
  event_id: string;
  aggregate_id: string;
  aggregate_type: string;
  event_type: string;
  event_version: number;
  event_data: Record<string, unknown>;
  metadata: EventMetadata;
  timestamp: Date;
  global_position: string;
}

export const EVENT_COLUMNS = 'event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp", global_position';

export function rowToEvent(row: EventRow): StoredEvent {
  return {
    eventId: row.event_id,
    type: row.event_type,
    aggregateId: row.aggregate_id,
    aggregateType: row.aggregate_type as AggregateType,
    version: row.event_version,
    timestamp: row.timestamp.toISOString(),
    data: row.event_data,
    metadata: row.metadata,
    globalPosition: String(row.global_position),
  };
}

/**
 * Column arrays for one `INSERT ... SELECT * FROM unnest(...)`: a whole batch in
 * one statement and one round trip, with every value a bound parameter.
 */
export function eventColumnArrays(events: readonly DomainEvent[]): unknown[] {
  return [
    events.map((e) => e.eventId),
    events.map((e) => e.aggregateId),
    events.map((e) => e.aggregateType),
    events.map((e) => e.type),
    events.map((e) => e.version),
    events.map((e) => JSON.stringify(e.data)),
    events.map((e) => JSON.stringify(e.metadata)),
    events.map((e) => e.timestamp),
  ];
}

export const INSERT_EVENTS_SQL = `
INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp")
SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::int[], $6::jsonb[], $7::jsonb[], $8::timestamptz[])`;
