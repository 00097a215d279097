/**
 * The classic hand-rolled event table (see shared/reference/event-store-schemas.md),
 * plus a global position column: the shape of the Local workspace and of the
 * reference system's PostgreSQL event store.
 */
export const CLASSIC_EVENTS_DDL = `
CREATE TABLE IF NOT EXISTS events (
  event_id        uuid PRIMARY KEY,
  aggregate_id    varchar(255) NOT NULL,
  aggregate_type  varchar(255) NOT NULL,
  event_type      varchar(255) NOT NULL,
  event_version   integer NOT NULL,
  event_data      jsonb NOT NULL,
  metadata        jsonb NOT NULL DEFAULT '{}'::jsonb,
  "timestamp"     timestamptz NOT NULL DEFAULT now(),
  global_position bigserial NOT NULL UNIQUE,
  CONSTRAINT events_aggregate_version_unique UNIQUE (aggregate_id, event_version)
);
CREATE INDEX IF NOT EXISTS events_timestamp_idx ON events ("timestamp");
CREATE INDEX IF NOT EXISTS events_type_idx ON events (event_type, global_position);
`;
