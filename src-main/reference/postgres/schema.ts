import type pg from 'pg';
import { CLASSIC_EVENTS_DDL } from '../../stores/postgres/classic-schema';

export { CLASSIC_EVENTS_DDL };

/**
 * Everything the reference system keeps in Postgres besides the classic `events`
 * table: the outbox (same transaction as the events), snapshots, subject keys
 * for personal data, projection checkpoints, and the read models it projects into.
 */
export const REFERENCE_SUPPORT_DDL = `
CREATE TABLE IF NOT EXISTS outbox (
  id            bigserial PRIMARY KEY,
  event_id      uuid NOT NULL,
  aggregate_id  varchar(255) NOT NULL,
  topic         varchar(255) NOT NULL,
  payload       jsonb NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  published_at  timestamptz
);
-- The relay only ever scans what is still to publish, in id order.
CREATE INDEX IF NOT EXISTS outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE IF NOT EXISTS snapshots (
  aggregate_id    varchar(255) NOT NULL,
  aggregate_type  varchar(255) NOT NULL,
  version         integer NOT NULL,
  state           jsonb NOT NULL,
  taken_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (aggregate_id, version)
);

CREATE TABLE IF NOT EXISTS subject_keys (
  key_id        uuid PRIMARY KEY,
  subject_id    varchar(255) NOT NULL UNIQUE,
  algorithm     varchar(32) NOT NULL DEFAULT 'aes-256-gcm',
  key_material  bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS projection_checkpoints (
  projection_name  varchar(255) NOT NULL,
  -- 'events' for a projector reading the store by global position,
  -- 'kafka:<topic>:<partition>' for a Kafka consumer (position = next offset to read).
  source           varchar(255) NOT NULL DEFAULT 'events',
  position         bigint NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (projection_name, source)
);

CREATE TABLE IF NOT EXISTS accounts_view (
  account_id     varchar(255) PRIMARY KEY,
  owner_id       varchar(255) NOT NULL,
  currency       varchar(3) NOT NULL,
  balance_cents  bigint NOT NULL,
  status         varchar(16) NOT NULL,
  version        integer NOT NULL,
  updated_at     timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS orders_view (
  order_id         varchar(255) PRIMARY KEY,
  customer_id      varchar(255) NOT NULL,
  status           varchar(16) NOT NULL,
  currency         varchar(3) NOT NULL,
  total_cents      bigint NOT NULL,
  item_count       integer NOT NULL,
  carrier          varchar(255),
  tracking_number  varchar(255),
  placed_at        timestamptz NOT NULL,
  version          integer NOT NULL,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_view_customer_idx ON orders_view (customer_id);

-- The same product read model as Mongo's products_view, for Postgres-only setups (the demo workspace).
CREATE TABLE IF NOT EXISTS products_view (
  product_id   varchar(255) PRIMARY KEY,
  name         varchar(255) NOT NULL,
  sku          varchar(255) NOT NULL,
  price_cents  bigint NOT NULL,
  stock        bigint NOT NULL,
  status       varchar(16) NOT NULL,
  version      integer NOT NULL,
  updated_at   timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS reference_markers (
  name        varchar(255) PRIMARY KEY,
  details     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
`;

/** Creates (if missing) every table of the reference system's Postgres side. Idempotent. */
export async function ensureReferenceSchema(db: pg.Pool | pg.PoolClient | pg.Client): Promise<void> {
  await db.query(CLASSIC_EVENTS_DDL);
  await db.query(REFERENCE_SUPPORT_DDL);
}
