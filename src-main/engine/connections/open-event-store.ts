import type { Db } from 'mongodb';
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { EventStore } from '../../stores/event-store';
import { mongoCustomMapping, validateMongoMapping } from '../../stores/mongo/custom-mapping';
import { MongoEventStore } from '../../stores/mongo/mongo-event-store';
import { PostgresEventStore } from '../../stores/postgres/postgres-event-store';
import { presetRecord, type PresetRecord } from '../../stores/presets';
import type { StoreChoice, StoreChoices } from '../browse/store-choices';
import { LOCAL_WORKSPACE_ID } from './connections';

/** The Local workspace holds the reference system's classic table: no question to ask. */
const LOCAL_CHOICE: StoreChoice = { preset: 'classic' };

/** The preset confirmed for a connection (the Local workspace's own when it is that one), if any. */
export async function confirmedChoice(choices: StoreChoices, connectionId: string): Promise<StoreChoice | undefined> {
  return (await choices.get(connectionId)) ?? (connectionId === LOCAL_WORKSPACE_ID ? LOCAL_CHOICE : undefined);
}

/** What opening a store takes of a connection: its kind and its clients. */
export interface StoreClients {
  kind(): Promise<string>;
  pool(): Promise<pg.Pool>;
  mongo(): Promise<{ db: Db }>;
}

/** Why a preset does not fit the connection, pointing at the sibling preset when there is one. */
function presetMismatch(record: PresetRecord, kind: string): string {
  const reads = record.backend === 'mongo' ? 'MongoDB' : 'PostgreSQL';
  const has = kind === 'mongo' ? 'MongoDB' : kind === 'postgres' ? 'PostgreSQL' : kind;
  const sibling = record.sibling
    ? ` For ${record.label.replace(/ \(.*\)$/, '')} on ${reads === 'MongoDB' ? 'PostgreSQL' : 'MongoDB'} choose "${record.sibling}".`
    : '';
  return `Preset "${record.name}" reads ${reads}, but this is a ${has} connection.${sibling}`;
}

/** The EventStore port of a connection through a preset (validated against the live schema). */
export async function openEventStore(clients: StoreClients, choice: StoreChoice): Promise<EventStore> {
  const kind = await clients.kind();
  const record = presetRecord(choice.preset);
  if (record && (record.backend === 'mongo') !== (kind === 'mongo')) {
    throw new ChronoError('invalid_input', presetMismatch(record, kind));
  }
  if (record?.backend === 'mongo') {
    const { db } = await clients.mongo();
    return record.open(db);
  }
  if (kind === 'mongo' && choice.preset === 'custom') {
    if (!choice.custom) throw new ChronoError('invalid_input', 'A custom preset needs its mapping.');
    const { db } = await clients.mongo();
    const mapping = mongoCustomMapping(choice.custom);
    await validateMongoMapping(db, mapping);
    return new MongoEventStore(db, mapping);
  }
  const pool = await clients.pool();
  if (choice.preset === 'custom') {
    if (!choice.custom) throw new ChronoError('invalid_input', 'A custom preset needs its mapping.');
    return PostgresEventStore.open(pool, { preset: 'custom', ...choice.custom });
  }
  if (record?.backend !== 'postgres') throw new ChronoError('invalid_input', `Unknown preset "${choice.preset}".`);
  return PostgresEventStore.open(pool, record.mapping(choice.schema));
}
