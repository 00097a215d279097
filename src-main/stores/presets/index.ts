import type { KnownPresetName, MongoPresetName, PostgresPresetName } from '../../../src-shared/presets';
import { axonPreset } from './axon';
import { classicPreset } from './classic';
import { emmettPreset } from './emmett';
import { emmettMongoPreset } from './emmett-mongo';
import { eventuousPreset } from './eventuous';
import { martenPreset } from './marten';
import { messageDbPreset } from './message-db';
import type { PostgresEventMapping } from '../postgres/mapping';
import type { MongoPresetRecord, PostgresPresetRecord, PresetRecord } from './preset-record';
import { referenceMongoPreset } from './reference-mongo';

export type { MongoPresetRecord, PostgresPresetRecord, PresetRecord } from './preset-record';

/** Every PostgreSQL preset, in detection order. */
export const POSTGRES_PRESETS: Readonly<Record<PostgresPresetName, PostgresPresetRecord>> = {
  classic: classicPreset,
  marten: martenPreset,
  'message-db': messageDbPreset,
  emmett: emmettPreset,
  eventuous: eventuousPreset,
  axon: axonPreset,
};

/** Every MongoDB preset, in detection order. */
export const MONGO_PRESETS: Readonly<Record<MongoPresetName, MongoPresetRecord>> = {
  'reference-mongo': referenceMongoPreset,
  'emmett-mongo': emmettMongoPreset,
};

export const PRESETS: readonly PresetRecord[] = [...Object.values(POSTGRES_PRESETS), ...Object.values(MONGO_PRESETS)];

/** The record of a known preset; undefined for 'custom' and unknown names. */
export function presetRecord(name: string): PresetRecord | undefined {
  return PRESETS.find((p) => p.name === (name as KnownPresetName));
}

/** A PostgreSQL preset's mapping with its documented default schema; `schema` overrides it. */
export function presetMapping(name: PostgresPresetName, schema?: string): PostgresEventMapping {
  return POSTGRES_PRESETS[name].mapping(schema);
}

/**
 * The checkpoint and snapshot tables (PostgreSQL) and collections (MongoDB) every known
 * preset keeps, by name: never a read model, even when the connection's own ports cannot
 * be opened to say which of them it uses.
 */
export function companionStoreNames(backend: 'postgres' | 'mongo'): string[] {
  const names = new Set<string>();
  for (const preset of PRESETS) {
    for (const layout of [...(preset.companions?.checkpoints ?? []), ...(preset.companions?.snapshots ?? [])]) {
      if (layout.backend !== backend) continue;
      const name = 'table' in layout ? layout.table : 'collection' in layout ? layout.collection : undefined;
      if (typeof name === 'string') names.add(name);
    }
  }
  return [...names];
}
