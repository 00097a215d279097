/**
 * Opens the ports beside EventStore for a preset: its checkpoint, snapshot and
 * read-model layouts resolved against the live database. A layout whose table is
 * missing is skipped; none found is a not-found sentence naming what was looked for.
 */
import type { Db } from 'mongodb';
import type pg from 'pg';
import { DocumentCheckpoints } from '../mongo/companions/document-checkpoints';
import { DocumentSnapshots } from '../mongo/companions/document-snapshots';
import { AxonTokens } from '../postgres/companions/axon-tokens';
import { MessageDbPositions } from '../postgres/companions/message-db-positions';
import { TableCheckpoints } from '../postgres/companions/table-checkpoints';
import { TableSnapshots } from '../postgres/companions/table-snapshots';
import { inTransaction } from '../postgres/transaction';
import type { CheckpointStore } from './checkpoint-store';
import { CombinedCheckpoints } from './combined-checkpoints';
import { CompanionNotFoundError } from './errors';
import type { CheckpointLayout, CompanionLayouts, SnapshotLayout } from './layouts';
import type { ReadModelStore } from './read-model-store';
import { mongoReadModels, postgresReadModels } from './read-models';
import type { SnapshotStore } from './snapshot-store';

/** What the ports need of a preset: its label, its layouts and, for PostgreSQL, the events mapping's schema. */
export interface CompanionSource {
  label: string;
  backend: 'postgres' | 'mongo';
  companions: CompanionLayouts;
  /** The schema of the events (PostgreSQL), where layouts without a schema of their own live. */
  mapping?(schema?: string): { schema?: string };
}

/** A PostgreSQL pool or a MongoDB database, matching the source's backend. */
export type CompanionClient = pg.Pool | Db;

export interface OpenOptions {
  /** The events schema the user confirmed, when not the preset's default. */
  schema?: string;
}

function defaultSchema(source: CompanionSource, options: OpenOptions): string {
  return options.schema ?? source.mapping?.(options.schema).schema ?? 'public';
}

function isDb(client: CompanionClient): client is Db {
  return typeof (client as Db).collection === 'function' && typeof (client as pg.Pool).query !== 'function';
}

function checkBackend(source: CompanionSource, client: CompanionClient): void {
  if ((source.backend === 'mongo') !== isDb(client))
    throw new Error(`${source.label} reads ${source.backend === 'mongo' ? 'MongoDB' : 'PostgreSQL'}; the client given is of the other kind.`);
}

/** Tries each layout; those whose table is missing are skipped, other problems (a bad column) stop it. */
async function openEach<L, T>(layouts: readonly L[], open: (layout: L) => Promise<T>): Promise<{ opened: Array<{ layout: L; port: T }>; missing: string[] }> {
  const opened: Array<{ layout: L; port: T }> = [];
  const missing: string[] = [];
  for (const layout of layouts) {
    try {
      opened.push({ layout, port: await open(layout) });
    } catch (err) {
      if (!(err instanceof CompanionNotFoundError)) throw err;
      missing.push(err.message);
    }
  }
  return { opened, missing };
}

function openCheckpointLayout(layout: CheckpointLayout, client: CompanionClient, schema: string): Promise<CheckpointStore> {
  switch (layout.format) {
    case 'table':
      return TableCheckpoints.open(client as pg.Pool, layout, layout.schema ?? schema);
    case 'position-streams':
      return MessageDbPositions.open(client as pg.Pool, layout, layout.schema ?? schema);
    case 'axon-tokens':
      return AxonTokens.open(client as pg.Pool, layout, layout.schema ?? schema);
    case 'documents':
      return DocumentCheckpoints.open(client as Db, layout);
  }
}

function storeName(layout: CheckpointLayout): string {
  return layout.format === 'documents' ? layout.collection : layout.table;
}

export async function openCheckpoints(source: CompanionSource, client: CompanionClient, options: OpenOptions = {}): Promise<CheckpointStore> {
  checkBackend(source, client);
  const layouts = source.companions.checkpoints ?? [];
  if (layouts.length === 0)
    throw new CompanionNotFoundError(`${source.label} keeps no checkpoints Chronoscope knows how to read: map them as a custom checkpoint store.`);
  const schema = defaultSchema(source, options);
  const { opened, missing } = await openEach(layouts, (layout) => openCheckpointLayout(layout, client, schema));
  if (opened.length === 0) throw new CompanionNotFoundError(`No checkpoints of ${source.label} found. ${missing.join(' ')}`);
  if (opened.length === 1) return opened[0]!.port;
  // MongoDB (FerretDB) has no transaction: the combined store's writes are each their own compare-and-set there.
  const begin = isDb(client)
    ? <T>(work: (joined: null) => Promise<T>) => work(null)
    : <T>(work: (joined: pg.PoolClient) => Promise<T>) => inTransaction(client, work);
  return new CombinedCheckpoints(
    opened.map(({ layout, port }) => ({ store: storeName(layout), checkpoints: port })),
    begin,
  );
}

function openSnapshotLayout(layout: SnapshotLayout, client: CompanionClient, schema: string): Promise<SnapshotStore> {
  return layout.format === 'documents' ? DocumentSnapshots.open(client as Db, layout) : TableSnapshots.open(client as pg.Pool, layout, layout.schema ?? schema);
}

/** The first snapshot layout of the preset found in the database. */
export async function openSnapshots(source: CompanionSource, client: CompanionClient, options: OpenOptions = {}): Promise<SnapshotStore> {
  checkBackend(source, client);
  const layouts = source.companions.snapshots ?? [];
  if (layouts.length === 0) throw new CompanionNotFoundError(`${source.label} keeps no snapshots Chronoscope knows how to read.`);
  const schema = defaultSchema(source, options);
  const missing: string[] = [];
  for (const layout of layouts) {
    const found = await openEach([layout], (l) => openSnapshotLayout(l, client, schema));
    if (found.opened[0]) return found.opened[0].port;
    missing.push(...found.missing);
  }
  throw new CompanionNotFoundError(`No snapshots of ${source.label} found. ${missing.join(' ')}`);
}

export function openReadModels(source: CompanionSource, client: CompanionClient, options: OpenOptions = {}): ReadModelStore {
  checkBackend(source, client);
  const layouts = source.companions.readModels ?? [];
  return isDb(client) ? mongoReadModels(client, layouts) : postgresReadModels(client, layouts, defaultSchema(source, options));
}
