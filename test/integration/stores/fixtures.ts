import type pg from 'pg';
import { CLASSIC_EVENTS_DDL } from '../../../src-main/stores/postgres/classic-schema';
import type { PresetName } from '../../../src-main/stores/postgres/mapping';

/** One test event, independent of the schema that stores it. */
export interface TestEvent {
  stream: string;
  category: string;
  version: number;
  position: number;
  eventId: string;
  type: string;
  data: Record<string, unknown>;
  correlationId: string;
  timestamp: string;
}

/** Five events over three streams; global positions 1,2,3,5,6 (a gap at 4). */
export const EVENTS: TestEvent[] = [
  { stream: 'account-1', category: 'account', version: 1, position: 1, type: 'AccountOpened', data: { owner: 'ann' } },
  { stream: 'order-1', category: 'order', version: 1, position: 2, type: 'OrderPlaced', data: { total: 10 } },
  { stream: 'account-1', category: 'account', version: 2, position: 3, type: 'MoneyDeposited', data: { amount: 5 } },
  { stream: 'account-2', category: 'account', version: 1, position: 5, type: 'AccountOpened', data: { owner: 'bob' } },
  { stream: 'order-1', category: 'order', version: 2, position: 6, type: 'OrderShipped', data: { carrier: 'x' } },
].map((e, i) => ({
  ...e,
  eventId: `00000000-0000-4000-8000-00000000000${i + 1}`,
  correlationId: `corr-${e.stream}`,
  timestamp: `2024-01-01T00:0${i + 1}:00.000Z`,
}));

export interface PresetFixture {
  preset: PresetName;
  ddl: string;
  /** The stream id as the store shows it. */
  streamId(name: string): string;
  /** Whether stream ids are text (prefix / search filters meaningful). */
  textIds: boolean;
  /** The correlation id the store exposes, or undefined when the preset has none. */
  correlation(e: TestEvent): string | undefined;
  insert(pool: pg.Pool, events: TestEvent[]): Promise<void>;
  /** Inserts a row the preset's extra where-clause must hide, if it has one. */
  insertHidden?(pool: pg.Pool): Promise<void>;
}

const meta = (e: TestEvent) => JSON.stringify({ correlationId: e.correlationId, causationId: e.eventId });

const STREAM_UUIDS: Record<string, string> = {
  'account-1': 'a0000000-0000-4000-8000-000000000001',
  'account-2': 'a0000000-0000-4000-8000-000000000002',
  'order-1': 'b0000000-0000-4000-8000-000000000001',
};

export const FIXTURES: PresetFixture[] = [
  {
    preset: 'classic',
    ddl: CLASSIC_EVENTS_DDL,
    streamId: (n) => n,
    textIds: true,
    correlation: (e) => e.correlationId,
    async insert(pool, events) {
      for (const e of events) {
        await pool.query(
          `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp", global_position)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [e.eventId, e.stream, e.category, e.type, e.version, JSON.stringify(e.data), meta(e), e.timestamp, e.position],
        );
      }
    },
  },
  {
    preset: 'marten',
    ddl: `
      CREATE SEQUENCE mt_events_sequence;
      CREATE TABLE mt_streams (
        id uuid NOT NULL, type varchar NULL, version bigint NULL, "timestamp" timestamptz NOT NULL DEFAULT now(),
        snapshot jsonb NULL, snapshot_version integer NULL, created timestamptz NOT NULL DEFAULT now(),
        tenant_id varchar NOT NULL DEFAULT '*DEFAULT*', is_archived bool NOT NULL DEFAULT false,
        PRIMARY KEY (id));
      CREATE TABLE mt_events (
        seq_id bigint NOT NULL PRIMARY KEY, id uuid NOT NULL, stream_id uuid NULL REFERENCES mt_streams(id) ON DELETE CASCADE,
        version bigint NOT NULL, data jsonb NOT NULL, type varchar(500) NOT NULL, "timestamp" timestamptz NOT NULL DEFAULT now(),
        tenant_id varchar NOT NULL DEFAULT '*DEFAULT*', mt_dotnet_type varchar NULL, correlation_id varchar NULL,
        causation_id varchar NULL, headers jsonb NULL, is_archived bool NOT NULL DEFAULT false,
        CONSTRAINT pk_mt_events_stream_and_version UNIQUE (stream_id, version));
      CREATE TABLE mt_event_progression (name varchar NOT NULL PRIMARY KEY, last_seq_id bigint NULL, last_updated timestamptz NULL DEFAULT now());
    `,
    streamId: (n) => STREAM_UUIDS[n]!,
    textIds: false,
    correlation: (e) => e.correlationId,
    async insert(pool, events) {
      for (const e of events) {
        const sid = STREAM_UUIDS[e.stream]!;
        await pool.query(`INSERT INTO mt_streams (id, type, version) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version`, [
          sid,
          e.category,
          e.version,
        ]);
        await pool.query(
          `INSERT INTO mt_events (seq_id, id, stream_id, version, data, type, "timestamp", mt_dotnet_type, correlation_id, causation_id, headers)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [
            e.position,
            e.eventId,
            sid,
            e.version,
            JSON.stringify(e.data),
            e.type,
            e.timestamp,
            `Bank.${e.type}, Bank`,
            e.correlationId,
            e.eventId,
            JSON.stringify({ source: 'test' }),
          ],
        );
      }
    },
    async insertHidden(pool) {
      await pool.query(
        `INSERT INTO mt_events (seq_id, id, stream_id, version, data, type, "timestamp", is_archived) VALUES (9, $1, $2, 3, '{}', 'Archived', '2024-01-01T00:09:00Z', true)`,
        ['00000000-0000-4000-8000-000000000009', STREAM_UUIDS['account-1']],
      );
    },
  },
  {
    preset: 'message-db',
    ddl: `
      CREATE SCHEMA message_store;
      CREATE TABLE message_store.messages (
        global_position bigserial NOT NULL, position bigint NOT NULL, time timestamp WITHOUT TIME ZONE DEFAULT (now() AT TIME ZONE 'utc') NOT NULL,
        stream_name text NOT NULL, type text NOT NULL, data jsonb, metadata jsonb, id uuid NOT NULL DEFAULT gen_random_uuid(),
        PRIMARY KEY (global_position));
      CREATE UNIQUE INDEX messages_id ON message_store.messages (id);
      CREATE UNIQUE INDEX messages_stream ON message_store.messages (stream_name, position);
      CREATE INDEX messages_category ON message_store.messages (split_part(stream_name, '-', 1), global_position);
    `,
    streamId: (n) => n,
    textIds: true,
    correlation: (e) => e.correlationId,
    async insert(pool, events) {
      for (const e of events) {
        await pool.query(
          `INSERT INTO message_store.messages (global_position, position, time, stream_name, type, data, metadata, id)
           VALUES ($1, $2, ($3::timestamptz AT TIME ZONE 'UTC'), $4, $5, $6, $7, $8)`,
          [
            e.position,
            e.version,
            e.timestamp,
            e.stream,
            e.type,
            JSON.stringify(e.data),
            JSON.stringify({ correlationStreamName: e.correlationId, schemaVersion: '1' }),
            e.eventId,
          ],
        );
      }
    },
  },
  {
    preset: 'emmett',
    ddl: `
      CREATE SEQUENCE emt_global_message_position;
      CREATE TABLE emt_streams (
        stream_id text NOT NULL, stream_position bigint NOT NULL, partition text NOT NULL DEFAULT 'emt:default',
        stream_type text NOT NULL, stream_metadata jsonb NOT NULL, is_archived boolean NOT NULL DEFAULT false,
        PRIMARY KEY (stream_id, partition, is_archived));
      CREATE TABLE emt_messages (
        stream_id text NOT NULL, stream_position bigint NOT NULL, partition text NOT NULL DEFAULT 'emt:default',
        message_kind char(1) NOT NULL DEFAULT 'E', message_data jsonb NOT NULL, message_metadata jsonb NOT NULL,
        message_schema_version text NOT NULL, message_type text NOT NULL, message_id text NOT NULL,
        is_archived boolean NOT NULL DEFAULT false, global_position bigint DEFAULT nextval('emt_global_message_position'),
        transaction_id xid8 NOT NULL DEFAULT pg_current_xact_id(), created timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (stream_id, stream_position, partition, is_archived));
      CREATE TABLE emt_processors (
        processor_id text NOT NULL, partition text NOT NULL DEFAULT 'emt:default', version int NOT NULL DEFAULT 1,
        last_processed_checkpoint text NOT NULL, last_processed_transaction_id xid8 NOT NULL, status text NOT NULL DEFAULT 'stopped',
        PRIMARY KEY (processor_id, partition, version));
    `,
    streamId: (n) => n,
    textIds: true,
    correlation: (e) => e.correlationId,
    async insert(pool, events) {
      for (const e of events) {
        await pool.query(
          `INSERT INTO emt_streams (stream_id, stream_position, stream_type, stream_metadata) VALUES ($1, $2, $3, '{}')
           ON CONFLICT (stream_id, partition, is_archived) DO UPDATE SET stream_position = EXCLUDED.stream_position`,
          [e.stream, e.version, e.category],
        );
        await pool.query(
          `INSERT INTO emt_messages (stream_id, stream_position, message_data, message_metadata, message_schema_version, message_type, message_id, global_position, created)
           VALUES ($1, $2, $3, $4, '1', $5, $6, $7, $8)`,
          [e.stream, e.version, JSON.stringify(e.data), meta(e), e.type, e.eventId, e.position, e.timestamp],
        );
      }
    },
    async insertHidden(pool) {
      await pool.query(
        `INSERT INTO emt_messages (stream_id, stream_position, message_data, message_metadata, message_schema_version, message_type, message_id, global_position, created, is_archived)
         VALUES ('account-1', 3, '{}', '{}', '1', 'Archived', 'x', 9, '2024-01-01T00:09:00Z', true)`,
      );
    },
  },
  {
    preset: 'eventuous',
    ddl: `
      CREATE SCHEMA eventuous;
      CREATE TABLE eventuous.streams (stream_id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, stream_name varchar(1000) NOT NULL UNIQUE, version integer NOT NULL DEFAULT -1);
      CREATE TABLE eventuous.messages (
        global_position bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, message_id uuid NOT NULL, message_type varchar(128) NOT NULL,
        stream_id integer NOT NULL REFERENCES eventuous.streams (stream_id), stream_position integer NOT NULL,
        json_data jsonb NOT NULL, json_metadata jsonb, created timestamp NOT NULL,
        CONSTRAINT stream_position_unique UNIQUE (stream_id, stream_position));
      CREATE TABLE eventuous.checkpoints (id varchar PRIMARY KEY, position bigint NULL);
    `,
    streamId: (n) => n,
    textIds: true,
    correlation: (e) => e.correlationId,
    async insert(pool, events) {
      for (const e of events) {
        await pool.query(
          `INSERT INTO eventuous.streams (stream_name, version) VALUES ($1, $2) ON CONFLICT (stream_name) DO UPDATE SET version = EXCLUDED.version`,
          [e.stream, e.version],
        );
        await pool.query(
          `INSERT INTO eventuous.messages (global_position, message_id, message_type, stream_id, stream_position, json_data, json_metadata, created)
           SELECT $1, $2, $3, s.stream_id, $4, $5, $6, ($7::timestamptz AT TIME ZONE 'UTC') FROM eventuous.streams s WHERE s.stream_name = $8`,
          [e.position, e.eventId, e.type, e.version, JSON.stringify(e.data), JSON.stringify({ $correlationId: e.correlationId }), e.timestamp, e.stream],
        );
      }
    },
  },
  {
    preset: 'axon',
    ddl: `
      CREATE TABLE domain_event_entry (
        global_index bigserial NOT NULL PRIMARY KEY, event_identifier varchar(255) NOT NULL UNIQUE, meta_data bytea,
        payload bytea NOT NULL, payload_revision varchar(255), payload_type varchar(255) NOT NULL, time_stamp varchar(255) NOT NULL,
        aggregate_identifier varchar(255) NOT NULL, sequence_number bigint NOT NULL, type varchar(255),
        UNIQUE (aggregate_identifier, sequence_number));
      CREATE TABLE snapshot_event_entry (
        aggregate_identifier varchar(255) NOT NULL, sequence_number bigint NOT NULL, type varchar(255) NOT NULL,
        event_identifier varchar(255) NOT NULL UNIQUE, meta_data bytea, payload bytea NOT NULL, payload_revision varchar(255),
        payload_type varchar(255) NOT NULL, time_stamp varchar(255) NOT NULL, PRIMARY KEY (aggregate_identifier, sequence_number));
      CREATE TABLE token_entry (
        processor_name varchar(255) NOT NULL, segment integer NOT NULL, token bytea, token_type varchar(255),
        timestamp varchar(255), owner varchar(255), PRIMARY KEY (processor_name, segment));
    `,
    streamId: (n) => n,
    textIds: true,
    correlation: (e) => e.correlationId,
    async insert(pool, events) {
      for (const e of events) {
        let payload: Buffer;
        if (e.type === 'OrderPlaced') payload = Buffer.from(AXON_XML_PAYLOAD, 'utf8');
        else if (e.type === 'OrderShipped') payload = AXON_BINARY_PAYLOAD;
        else payload = Buffer.from(JSON.stringify(e.data), 'utf8');
        await pool.query(
          `INSERT INTO domain_event_entry (global_index, event_identifier, meta_data, payload, payload_type, time_stamp, aggregate_identifier, sequence_number, type)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            e.position,
            e.eventId,
            Buffer.from(JSON.stringify({ traceId: e.correlationId, correlationId: e.eventId }), 'utf8'),
            payload,
            e.type,
            e.timestamp.replace('.000Z', 'Z'),
            e.stream,
            e.version,
            e.category,
          ],
        );
      }
    },
  },
];

export const AXON_XML_PAYLOAD = '<com.example.OrderPlaced><total>10</total></com.example.OrderPlaced>';
/** Not valid UTF-8: shown as hex. */
export const AXON_BINARY_PAYLOAD = Buffer.from([0xac, 0xed, 0x00, 0x05, 0xff, 0xfe]);
