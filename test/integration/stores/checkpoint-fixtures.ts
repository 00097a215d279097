/**
 * Checkpoint tables of each preset, created from the software's published DDL
 * and written the way the software writes them, for the CheckpointStore contract.
 */
import type { Db } from 'mongodb';
import type pg from 'pg';
import type { KnownPresetName } from '../../../src-shared/presets';
import { REFERENCE_SUPPORT_DDL } from '../../../src-main/reference/postgres/schema';
import { kafkaSource, writeMongoCheckpoint, writePostgresCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import { customCheckpointSource } from '../../../src-main/engine/checkpoints/checkpoint-mappings';
import type { CheckpointKey, CheckpointView } from '../../../src-main/stores/ports/checkpoint-store';
import type { CompanionSource } from '../../../src-main/stores/ports/open-companions';
import { presetRecord } from '../../../src-main/stores/presets';
import { installMessageDb, messageDbWriter } from './message-db';

export type CheckpointBackend = 'PostgreSQL' | 'PGlite' | 'FerretDB';

/** A PostgreSQL pool (and its URL) or a MongoDB database. */
export type FixtureClient = { kind: 'postgres'; pool: pg.Pool; url: string } | { kind: 'mongo'; db: Db };

export interface CheckpointFixture {
  /** A preset, or a custom mapping (its layouts given by `source`). */
  preset: KnownPresetName | 'custom';
  source?: CompanionSource;
  backends: CheckpointBackend[];
  /** Creates the tables and writes the checkpoints `expected` lists. */
  setup(client: FixtureClient): Promise<void>;
  /** What `list` shows after `setup` (in list order). */
  expected: Array<Partial<CheckpointView>>;
  /** The checkpoint the contract reads and resets, and what it holds after setup. */
  key: CheckpointKey;
  position: string;
  /** Moves the projector as the software itself would (for the conflict). */
  advance(client: FixtureClient, position: string): Promise<void>;
  /**
   * A position that is not a number: either a layout whose position column is
   * text (`schema`, refused on open) or a row holding a non-number (`key`, shown
   * as unreadable and refused on reset).
   */
  breakPosition(client: FixtureClient): Promise<{ schema: string } | { key: CheckpointKey }>;
}

/** What the ports read for a fixture: its preset's record, or its custom mapping. */
export const fixtureSource = (fixture: CheckpointFixture): CompanionSource => fixture.source ?? presetRecord(fixture.preset as KnownPresetName)!;

const pgOf = (client: FixtureClient): pg.Pool => {
  if (client.kind !== 'postgres') throw new Error('a PostgreSQL fixture');
  return client.pool;
};
const dbOf = (client: FixtureClient): Db => {
  if (client.kind !== 'mongo') throw new Error('a MongoDB fixture');
  return client.db;
};

/** Marten's `mt_event_progression` (Weasel's DDL for the async daemon). */
const MARTEN_PROGRESSION_DDL = (schema: string, positionType = 'bigint') =>
  `CREATE TABLE ${schema}.mt_event_progression (name varchar NOT NULL PRIMARY KEY, last_seq_id ${positionType} NULL, last_updated timestamptz NULL DEFAULT now());`;

/** Emmett's processors table (0.42+) and the subscriptions table it replaced. */
const EMMETT_DDL = `
  CREATE TABLE emt_processors (
    processor_id text NOT NULL, partition text NOT NULL DEFAULT 'emt:default', version int NOT NULL DEFAULT 1,
    last_processed_checkpoint text NOT NULL, last_processed_transaction_id xid8 NOT NULL, status text NOT NULL DEFAULT 'stopped',
    PRIMARY KEY (processor_id, partition, version));
  CREATE TABLE emt_subscriptions (
    subscription_id text NOT NULL, version int NOT NULL DEFAULT 1, partition text NOT NULL DEFAULT 'emt:default',
    last_processed_position bigint NOT NULL, last_processed_transaction_id xid8 NOT NULL,
    PRIMARY KEY (subscription_id, partition, version));
`;

/** Eventuous' PostgreSQL checkpoint store. */
const EVENTUOUS_CHECKPOINTS_DDL = (schema: string, positionType = 'bigint') =>
  `CREATE TABLE ${schema}.checkpoints (id varchar PRIMARY KEY, position ${positionType} NULL);`;

/** Axon's JPA `token_entry`. */
const AXON_TOKEN_DDL = `
  CREATE TABLE token_entry (
    processor_name varchar(255) NOT NULL, segment integer NOT NULL, token bytea, token_type varchar(255),
    timestamp varchar(255), owner varchar(255), PRIMARY KEY (processor_name, segment));
`;

const GAP_AWARE = 'org.axonframework.eventhandling.GapAwareTrackingToken';
/** XStream's serialization of a GapAwareTrackingToken. */
export const axonXmlToken = (index: number, gaps: number[]) =>
  Buffer.from(
    `<${GAP_AWARE}><index>${index}</index><gaps class="java.util.concurrent.ConcurrentSkipListSet">${gaps.map((g) => `<long>${g}</long>`).join('')}</gaps></${GAP_AWARE}>`,
  );
/** Jackson's serialization of the same token. */
export const axonJsonToken = (index: number, gaps: number[]) => Buffer.from(JSON.stringify({ index, gaps }));

export const CHECKPOINT_FIXTURES: CheckpointFixture[] = [
  {
    preset: 'classic',
    backends: ['PostgreSQL', 'PGlite'],
    async setup(client) {
      const pool = pgOf(client);
      await pool.query(REFERENCE_SUPPORT_DDL);
      await writePostgresCheckpoint(pool, 'accounts', 'events', '10');
      await writePostgresCheckpoint(pool, 'products', kafkaSource('domain_events', 0), '4');
      await writePostgresCheckpoint(pool, 'products', kafkaSource('domain_events', 1), '9007199254740993');
    },
    expected: [
      { kind: 'reference', projector: 'accounts', source: 'events', position: '10', role: 'projector' },
      { projector: 'products', source: 'kafka:domain_events:0', position: '4' },
      { projector: 'products', source: 'kafka:domain_events:1', position: '9007199254740993' },
    ],
    key: { store: 'projection_checkpoints', projector: 'accounts', source: 'events' },
    position: '10',
    advance: (client, position) => writePostgresCheckpoint(pgOf(client), 'accounts', 'events', position),
    async breakPosition(client) {
      await pgOf(client).query(
        `CREATE SCHEMA textpos; CREATE TABLE textpos.projection_checkpoints (projection_name varchar(255), source varchar(255), position text, updated_at timestamptz)`,
      );
      return { schema: 'textpos' };
    },
  },
  {
    preset: 'marten',
    backends: ['PostgreSQL', 'PGlite'],
    async setup(client) {
      const pool = pgOf(client);
      await pool.query(MARTEN_PROGRESSION_DDL('public'));
      await pool.query(`INSERT INTO mt_event_progression (name, last_seq_id) VALUES ('HighWaterMark', 60), ('Trip:All', 50), ('Day:All', 30)`);
    },
    expected: [
      { projector: 'Day', source: 'All', position: '30', role: 'projector' },
      { kind: 'marten', projector: 'HighWaterMark', source: '', position: '60', role: 'mark' },
      { projector: 'Trip', source: 'All', position: '50', role: 'projector' },
    ],
    key: { store: 'mt_event_progression', projector: 'Trip', source: 'All' },
    position: '50',
    advance: async (client, position) =>
      void (await pgOf(client).query(`UPDATE mt_event_progression SET last_seq_id = $1, last_updated = now() WHERE name = 'Trip:All'`, [position])),
    async breakPosition(client) {
      await pgOf(client).query(`CREATE SCHEMA textpos; ${MARTEN_PROGRESSION_DDL('textpos', 'varchar')}`);
      return { schema: 'textpos' };
    },
  },
  {
    preset: 'emmett',
    backends: ['PostgreSQL', 'PGlite'],
    async setup(client) {
      const pool = pgOf(client);
      await pool.query(EMMETT_DDL);
      await pool.query(
        `INSERT INTO emt_processors (processor_id, version, last_processed_checkpoint, last_processed_transaction_id, status) VALUES
           ('orders', 1, '0000000000000000005', pg_current_xact_id(), 'stopped'),
           ('orders', 2, '0000000000000000007', pg_current_xact_id(), 'running')`,
      );
      await pool.query(
        `INSERT INTO emt_subscriptions (subscription_id, last_processed_position, last_processed_transaction_id) VALUES ('legacy', 4, pg_current_xact_id())`,
      );
    },
    expected: [
      { store: 'emt_processors', kind: 'emmett', projector: 'orders', source: 'emt:default', position: '7', extras: { status: 'running', version: 2 } },
      { store: 'emt_subscriptions', kind: 'emmett-legacy', projector: 'legacy', source: 'emt:default', position: '4' },
    ],
    key: { store: 'emt_processors', projector: 'orders', source: 'emt:default' },
    position: '7',
    // Emmett's own compare-and-set on the zero-padded checkpoint.
    async advance(client, position) {
      const { rowCount } = await pgOf(client).query(
        `UPDATE emt_processors SET last_processed_checkpoint = $1, last_processed_transaction_id = pg_current_xact_id()
          WHERE processor_id = 'orders' AND partition = 'emt:default' AND version = 2 AND last_processed_checkpoint = (SELECT last_processed_checkpoint FROM emt_processors WHERE processor_id = 'orders' AND version = 2)`,
        [position.padStart(19, '0')],
      );
      if (rowCount !== 1) throw new Error('the processor did not move');
    },
    async breakPosition(client) {
      await pgOf(client).query(
        `INSERT INTO emt_processors (processor_id, last_processed_checkpoint, last_processed_transaction_id) VALUES ('broken', 'not-a-number', pg_current_xact_id())`,
      );
      return { key: { store: 'emt_processors', projector: 'broken', source: 'emt:default' } };
    },
  },
  {
    preset: 'message-db',
    // Installed from Message DB's own SQL, which creates roles: the PostgreSQL server only.
    backends: ['PostgreSQL'],
    async setup(client) {
      if (client.kind !== 'postgres') throw new Error('PostgreSQL only');
      await installMessageDb(client.url);
      const writer = await messageDbWriter(client.url);
      try {
        await writer.write('account-1', 'Opened', { owner: 'ann' });
        await writer.write('account:position-worker', 'Recorded', { position: 3 });
        await writer.write('account:position-worker', 'Recorded', { position: 8 });
        await writer.write('order:position', 'Recorded', { position: 2 });
      } finally {
        await writer.close();
      }
    },
    expected: [
      { kind: 'message-db', projector: 'account:position-worker', source: 'account', position: '8', extras: { consumer: 'worker', streamVersion: 1 } },
      { projector: 'order:position', source: 'order', position: '2' },
    ],
    key: { store: 'messages', projector: 'account:position-worker', source: 'account' },
    position: '8',
    async advance(client, position) {
      if (client.kind !== 'postgres') throw new Error('PostgreSQL only');
      const writer = await messageDbWriter(client.url);
      await writer.write('account:position-worker', 'Recorded', { position: Number(position) }).finally(() => writer.close());
    },
    async breakPosition(client) {
      if (client.kind !== 'postgres') throw new Error('PostgreSQL only');
      const writer = await messageDbWriter(client.url);
      await writer.write('account:position-broken', 'Recorded', { position: 'abc' }).finally(() => writer.close());
      return { key: { store: 'messages', projector: 'account:position-broken', source: 'account' } };
    },
  },
  {
    preset: 'eventuous',
    backends: ['PostgreSQL', 'PGlite'],
    async setup(client) {
      const pool = pgOf(client);
      await pool.query(`CREATE SCHEMA eventuous; ${EVENTUOUS_CHECKPOINTS_DDL('eventuous')}`);
      await pool.query(`INSERT INTO eventuous.checkpoints (id, position) VALUES ('BookingsProjections', 12), ('Payments', NULL)`);
    },
    expected: [
      { kind: 'eventuous', projector: 'BookingsProjections', source: '', position: '12', updatedAt: null },
      { projector: 'Payments', position: null },
    ],
    key: { store: 'checkpoints', projector: 'BookingsProjections', source: '' },
    position: '12',
    advance: async (client, position) =>
      void (await pgOf(client).query(`UPDATE eventuous.checkpoints SET position = $1 WHERE id = 'BookingsProjections'`, [position])),
    async breakPosition(client) {
      await pgOf(client).query(`CREATE SCHEMA textpos; ${EVENTUOUS_CHECKPOINTS_DDL('textpos', 'text')}`);
      return { schema: 'textpos' };
    },
  },
  {
    preset: 'axon',
    backends: ['PostgreSQL', 'PGlite'],
    async setup(client) {
      const pool = pgOf(client);
      await pool.query(AXON_TOKEN_DDL);
      const insert = `INSERT INTO token_entry (processor_name, segment, token, token_type, timestamp, owner) VALUES ($1, $2, $3, $4, $5, $6)`;
      await pool.query(insert, ['orders', 0, axonXmlToken(10, [7, 8]), GAP_AWARE, '2026-01-01T00:00:00Z', 'node-1@host']);
      await pool.query(insert, ['orders', 1, axonJsonToken(12, [11]), GAP_AWARE, '2026-01-01T00:00:01Z', null]);
      await pool.query(insert, ['audit', 0, null, null, '2026-01-01T00:00:02Z', null]);
    },
    expected: [
      { kind: 'axon', projector: 'audit', source: '0', position: null },
      {
        projector: 'orders',
        source: '0',
        position: '10',
        updatedAt: '2026-01-01T00:00:00Z',
        extras: { gaps: ['7', '8'], serialization: 'xml', owner: 'node-1@host', tokenClass: 'GapAwareTrackingToken' },
      },
      { projector: 'orders', source: '1', position: '12', extras: { gaps: ['11'], serialization: 'json' } },
    ],
    key: { store: 'token_entry', projector: 'orders', source: '0' },
    position: '10',
    advance: async (client, position) =>
      void (await pgOf(client).query(`UPDATE token_entry SET token = $1 WHERE processor_name = 'orders' AND segment = 0`, [
        axonXmlToken(Number(position), []),
      ])),
    async breakPosition(client) {
      await pgOf(client).query(`INSERT INTO token_entry (processor_name, segment, token, token_type) VALUES ('broken', 0, $1, $2)`, [
        Buffer.from('not a token'),
        GAP_AWARE,
      ]);
      return { key: { store: 'token_entry', projector: 'broken', source: '0' } };
    },
  },
  {
    preset: 'reference-mongo',
    backends: ['FerretDB'],
    async setup(client) {
      const db = dbOf(client);
      await writeMongoCheckpoint(db, 'accounts', 'events', '10');
      await writeMongoCheckpoint(db, 'products', kafkaSource('domain_events', 0), '4');
    },
    expected: [
      { kind: 'reference', projector: 'accounts', source: 'events', position: '10' },
      { projector: 'products', source: 'kafka:domain_events:0', position: '4' },
    ],
    key: { store: 'checkpoints', projector: 'accounts', source: 'events' },
    position: '10',
    advance: (client, position) => writeMongoCheckpoint(dbOf(client), 'accounts', 'events', position),
    async breakPosition(client) {
      await dbOf(client)
        .collection('checkpoints')
        .insertOne({ _id: 'broken|events' as never, projection: 'broken', source: 'events', position: 'abc', updatedAt: new Date() });
      return { key: { store: 'checkpoints', projector: 'broken', source: 'events' } };
    },
  },
  {
    // A custom table mapping (the Checkpoints screen's), one row per consumer.
    preset: 'custom',
    source: customCheckpointSource({ backend: 'postgres', table: 'consumer_offsets', columns: { name: 'consumer', position: 'at', updatedAt: 'touched' } }),
    backends: ['PostgreSQL', 'PGlite'],
    async setup(client) {
      await pgOf(client).query(
        `CREATE TABLE consumer_offsets (consumer text PRIMARY KEY, at bigint, touched timestamptz); INSERT INTO consumer_offsets VALUES ('mailer', 10, now()), ('search', 4, now())`,
      );
    },
    expected: [
      { kind: 'custom', projector: 'mailer', source: '', position: '10' },
      { projector: 'search', position: '4' },
    ],
    key: { store: 'consumer_offsets', projector: 'mailer', source: '' },
    position: '10',
    advance: async (client, position) =>
      void (await pgOf(client).query(`UPDATE consumer_offsets SET at = $1, touched = now() WHERE consumer = 'mailer'`, [position])),
    async breakPosition(client) {
      await pgOf(client).query(`CREATE SCHEMA textpos; CREATE TABLE textpos.consumer_offsets (consumer text PRIMARY KEY, at text, touched timestamptz)`);
      return { schema: 'textpos' };
    },
  },
  {
    preset: 'custom',
    source: customCheckpointSource({ backend: 'mongo', collection: 'consumer_offsets', fields: { name: 'consumer', position: 'at' } }),
    backends: ['FerretDB'],
    async setup(client) {
      await dbOf(client)
        .collection('consumer_offsets')
        .insertMany([
          { consumer: 'mailer', at: 10 },
          { consumer: 'search', at: 4 },
        ]);
    },
    expected: [
      { kind: 'custom', projector: 'mailer', source: '', position: '10' },
      { projector: 'search', position: '4' },
    ],
    key: { store: 'consumer_offsets', projector: 'mailer', source: '' },
    position: '10',
    advance: async (client, position) =>
      void (await dbOf(client)
        .collection('consumer_offsets')
        .updateOne({ consumer: 'mailer' }, { $set: { at: Number(position) } })),
    async breakPosition(client) {
      await dbOf(client).collection('consumer_offsets').insertOne({ consumer: 'typo', at: 'six' });
      return { key: { store: 'consumer_offsets', projector: 'typo', source: '' } };
    },
  },
];
