/**
 * Snapshot stores of each preset, created from the software's published DDL
 * and filled as the software fills them, for the SnapshotStore contract.
 */
import type { KnownPresetName } from '../../../src-shared/presets';
import { saveMongoSnapshot } from '../../../src-main/reference/mongo/event-store';
import { REFERENCE_SUPPORT_DDL } from '../../../src-main/reference/postgres/schema';
import { saveSnapshot } from '../../../src-main/reference/postgres/snapshots';
import type { AggregateType } from '../../../src-main/reference/events';
import type { CheckpointBackend, FixtureClient } from './checkpoint-fixtures';
import type { CompanionSource } from '../../../src-main/stores/ports/open-companions';
import { customSnapshotSource } from '../../../src-main/engine/snapshots/snapshot-mappings';

/** One test snapshot, independent of the layout. */
export interface TestSnapshot {
  stream: string;
  type: string;
  version: number;
  state: Record<string, unknown>;
  takenAt: string;
}

const BIG = 'x'.repeat(2000);

/** Four snapshots over three streams; order-1's is large. account-1 has two versions where the layout keeps several. */
export const SNAPSHOTS: TestSnapshot[] = [
  { stream: 'account-1', type: 'account', version: 5, state: { balance: 5 }, takenAt: '2026-01-01T00:00:00.000Z' },
  { stream: 'account-1', type: 'account', version: 10, state: { balance: 10 }, takenAt: '2026-01-03T00:00:00.000Z' },
  { stream: 'account-2', type: 'account', version: 3, state: { balance: 3 }, takenAt: '2026-01-02T00:00:00.000Z' },
  { stream: 'order-1', type: 'order', version: 7, state: { lines: BIG }, takenAt: '2026-01-04T00:00:00.000Z' },
];

export interface SnapshotFixture {
  /** The preset whose layouts are read, or 'custom' for a custom snapshot mapping (`source`). */
  preset: KnownPresetName | 'custom';
  /** The layouts of a custom snapshot mapping, opened like a preset's. */
  source?: CompanionSource;
  /** What the describe block names. */
  label?: string;
  backends: CheckpointBackend[];
  /** One snapshot per stream (Eventuous, Marten): account-1 keeps only its latest. */
  onePerStream: boolean;
  /** The layout keeps a stream type / a time of snapshot. */
  hasType: boolean;
  hasTime: boolean;
  /** The stream id as the store shows it. */
  streamId(name: string): string;
  setup(client: FixtureClient, snapshots: TestSnapshot[]): Promise<void>;
  /** A layout whose version column is text, in schema `textversion` (PostgreSQL layouts). */
  breakVersionType?(client: FixtureClient): Promise<void>;
}

const STREAM_UUIDS: Record<string, string> = {
  'account-1': 'a0000000-0000-4000-8000-000000000001',
  'account-2': 'a0000000-0000-4000-8000-000000000002',
  'order-1': 'b0000000-0000-4000-8000-000000000001',
};

const pgOf = (client: FixtureClient) => {
  if (client.kind !== 'postgres') throw new Error('a PostgreSQL fixture');
  return client.pool;
};

/** Eventuous' PostgreSQL snapshot store. */
const EVENTUOUS_SNAPSHOTS_DDL = (schema: string, revisionType = 'bigint') =>
  `CREATE TABLE ${schema}.snapshots (stream_name varchar(1000) PRIMARY KEY, revision ${revisionType} NOT NULL, event_type varchar(128) NOT NULL, json_data jsonb NOT NULL, created timestamp NOT NULL);`;

/** Axon's JPA `snapshot_event_entry`. */
const AXON_SNAPSHOT_DDL = (schema: string, sequenceType = 'bigint') => `
  CREATE TABLE ${schema}.snapshot_event_entry (
    aggregate_identifier varchar(255) NOT NULL, sequence_number ${sequenceType} NOT NULL, type varchar(255) NOT NULL,
    event_identifier varchar(255) NOT NULL UNIQUE, meta_data bytea, payload bytea NOT NULL, payload_revision varchar(255),
    payload_type varchar(255) NOT NULL, time_stamp varchar(255) NOT NULL, PRIMARY KEY (aggregate_identifier, sequence_number));`;

/** Marten's `mt_streams`. */
const MARTEN_STREAMS_DDL = (schema: string, snapshotVersionType = 'integer') => `
  CREATE TABLE ${schema}.mt_streams (
    id uuid NOT NULL, type varchar NULL, version bigint NULL, "timestamp" timestamptz NOT NULL DEFAULT now(),
    snapshot jsonb NULL, snapshot_version ${snapshotVersionType} NULL, created timestamptz NOT NULL DEFAULT now(),
    tenant_id varchar NOT NULL DEFAULT '*DEFAULT*', is_archived bool NOT NULL DEFAULT false, PRIMARY KEY (id));`;

export const SNAPSHOT_FIXTURES: SnapshotFixture[] = [
  {
    preset: 'classic',
    backends: ['PostgreSQL', 'PGlite'],
    onePerStream: false,
    hasType: true,
    hasTime: true,
    streamId: (n) => n,
    async setup(client, snapshots) {
      await pgOf(client).query(REFERENCE_SUPPORT_DDL);
      await saveSnapshot(
        pgOf(client),
        ...snapshots.map((s) => ({ aggregateId: s.stream, aggregateType: s.type as AggregateType, version: s.version, state: s.state, takenAt: s.takenAt })),
      );
    },
    async breakVersionType(client) {
      await pgOf(client).query(
        `CREATE SCHEMA textversion; CREATE TABLE textversion.snapshots (aggregate_id varchar(255), aggregate_type varchar(255), version text, state jsonb, taken_at timestamptz)`,
      );
    },
  },
  {
    preset: 'eventuous',
    backends: ['PostgreSQL', 'PGlite'],
    onePerStream: true,
    hasType: false,
    hasTime: true,
    streamId: (n) => n,
    async setup(client, snapshots) {
      const pool = pgOf(client);
      await pool.query(`CREATE SCHEMA eventuous; ${EVENTUOUS_SNAPSHOTS_DDL('eventuous')}`);
      for (const s of snapshots) {
        await pool.query(
          `INSERT INTO eventuous.snapshots (stream_name, revision, event_type, json_data, created) VALUES ($1, $2, $3, $4, ($5::timestamptz AT TIME ZONE 'UTC'))
           ON CONFLICT (stream_name) DO UPDATE SET revision = EXCLUDED.revision, json_data = EXCLUDED.json_data, created = EXCLUDED.created`,
          [s.stream, s.version, `${s.type}Snapshot`, JSON.stringify(s.state), s.takenAt],
        );
      }
    },
    async breakVersionType(client) {
      await pgOf(client).query(`CREATE SCHEMA textversion; ${EVENTUOUS_SNAPSHOTS_DDL('textversion', 'text')}`);
    },
  },
  {
    preset: 'axon',
    backends: ['PostgreSQL', 'PGlite'],
    onePerStream: false,
    hasType: true,
    hasTime: true,
    streamId: (n) => n,
    async setup(client, snapshots) {
      const pool = pgOf(client);
      await pool.query(AXON_SNAPSHOT_DDL('public'));
      for (const s of snapshots) {
        await pool.query(
          `INSERT INTO snapshot_event_entry (aggregate_identifier, sequence_number, type, event_identifier, payload, payload_revision, payload_type, time_stamp)
           VALUES ($1, $2, $3, $4, $5, '2', $6, $7)`,
          [s.stream, s.version, s.type, `snap-${s.stream}-${s.version}`, Buffer.from(JSON.stringify(s.state)), `com.example.${s.type}`, s.takenAt],
        );
      }
    },
    async breakVersionType(client) {
      await pgOf(client).query(`CREATE SCHEMA textversion; ${AXON_SNAPSHOT_DDL('textversion', 'varchar(20)')}`);
    },
  },
  {
    preset: 'marten',
    backends: ['PostgreSQL', 'PGlite'],
    onePerStream: true,
    hasType: true,
    hasTime: false,
    streamId: (n) => STREAM_UUIDS[n]!,
    async setup(client, snapshots) {
      const pool = pgOf(client);
      await pool.query(MARTEN_STREAMS_DDL('public'));
      // A stream without a snapshot is not listed.
      await pool.query(`INSERT INTO mt_streams (id, type, version) VALUES ('c0000000-0000-4000-8000-000000000001', 'account', 4)`);
      for (const s of snapshots) {
        await pool.query(
          `INSERT INTO mt_streams (id, type, version, snapshot, snapshot_version) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, snapshot = EXCLUDED.snapshot, snapshot_version = EXCLUDED.snapshot_version`,
          [STREAM_UUIDS[s.stream], s.type, s.version, JSON.stringify(s.state), s.version],
        );
      }
    },
    async breakVersionType(client) {
      await pgOf(client).query(`CREATE SCHEMA textversion; ${MARTEN_STREAMS_DDL('textversion', 'text')}`);
    },
  },
  {
    preset: 'reference-mongo',
    backends: ['FerretDB'],
    onePerStream: false,
    hasType: true,
    hasTime: true,
    streamId: (n) => n,
    async setup(client, snapshots) {
      if (client.kind !== 'mongo') throw new Error('a MongoDB fixture');
      for (const s of snapshots)
        await saveMongoSnapshot(client.db, {
          aggregateId: s.stream,
          aggregateType: s.type as AggregateType,
          version: s.version,
          state: s.state,
          takenAt: s.takenAt,
        });
    },
  },
  {
    // A custom mapping of a table no preset knows: text ids, a bigint version named like the adapter's own alias, the state as JSON text.
    preset: 'custom',
    label: 'a custom table mapping',
    source: customSnapshotSource({
      backend: 'postgres',
      table: 'aggregate_snapshots',
      columns: { streamId: 'stream_key', version: 'snap_version', state: 'body', streamType: 'kind', takenAt: 'created_on', schemaVersion: 'schema_ver' },
    }),
    backends: ['PostgreSQL', 'PGlite'],
    onePerStream: false,
    hasType: true,
    hasTime: true,
    streamId: (n) => n,
    async setup(client, snapshots) {
      const pool = pgOf(client);
      await pool.query(CUSTOM_SNAPSHOTS_DDL('public'));
      for (const s of snapshots) {
        await pool.query('INSERT INTO aggregate_snapshots (stream_key, snap_version, body, kind, created_on, schema_ver) VALUES ($1, $2, $3, $4, $5, 3)', [
          s.stream,
          s.version,
          JSON.stringify(s.state),
          s.type,
          s.takenAt,
        ]);
      }
    },
    async breakVersionType(client) {
      await pgOf(client).query(`CREATE SCHEMA textversion; ${CUSTOM_SNAPSHOTS_DDL('textversion', 'text')}`);
    },
  },
  {
    // A custom mapping of a collection: the state nested under `payload`, the version a number.
    preset: 'custom',
    label: 'a custom collection mapping',
    source: customSnapshotSource({
      backend: 'mongo',
      collection: 'aggregate_snapshots',
      fields: { streamId: 'stream', version: 'rev', state: 'payload.state', streamType: 'kind', takenAt: 'at', schemaVersion: 'schema' },
    }),
    backends: ['FerretDB'],
    onePerStream: false,
    hasType: true,
    hasTime: true,
    streamId: (n) => n,
    async setup(client, snapshots) {
      if (client.kind !== 'mongo') throw new Error('a MongoDB fixture');
      await client.db
        .collection('aggregate_snapshots')
        .insertMany(
          snapshots.map((s) => ({ stream: s.stream, rev: s.version, payload: { state: s.state }, kind: s.type, at: new Date(s.takenAt), schema: 3 })),
        );
    },
  },
];

/** The custom mapping's table (no software's DDL: one a team might write). */
function CUSTOM_SNAPSHOTS_DDL(schema: string, versionType = 'bigint'): string {
  return `CREATE TABLE ${schema}.aggregate_snapshots (stream_key text NOT NULL, snap_version ${versionType} NOT NULL, body text NOT NULL, kind text, created_on timestamptz NOT NULL, schema_ver integer, PRIMARY KEY (stream_key, snap_version));`;
}
