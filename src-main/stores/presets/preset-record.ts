import type { Db } from 'mongodb';
import type { KnownPresetName, MongoPresetName, PostgresPresetName } from '../../../src-shared/presets';
import type { EventStore } from '../event-store';
import type { CompanionLayouts } from '../ports/layouts';
import type { PostgresEventMapping } from '../postgres/mapping';

interface PresetBase {
  name: KnownPresetName;
  label: string;
  /** The same software on the other backend, named when the connection is of the other kind. */
  sibling?: KnownPresetName;
  /** Checkpoints, snapshots and read models the preset keeps beside its events. */
  companions: CompanionLayouts;
}

/** A PostgreSQL layout: its events mapping and how detection recognises it. */
export interface PostgresPresetRecord extends PresetBase {
  backend: 'postgres';
  name: PostgresPresetName;
  /** The events mapping with the documented default schema; `schema` overrides it. */
  mapping(schema?: string): PostgresEventMapping;
  detection: {
    /** Columns that tell apart presets sharing a table name. */
    signature: readonly string[];
    /** Tables that, next to the events table, confirm the preset. */
    companionTables: readonly string[];
    /** Other namings of the same layout (Axon JDBC), each with its own companion tables. */
    alternates?: ReadonlyArray<{ mapping(schema?: string): PostgresEventMapping; companionTables: readonly string[] }>;
    /** The classic table often has no global order column: still the preset, without a feed. */
    positionOptional?: boolean;
  };
}

export interface MongoDetection {
  source: string;
  confidence: number;
  evidence: string[];
  missing: string[];
}

/** A MongoDB layout: opened by its own adapter. */
export interface MongoPresetRecord extends PresetBase {
  backend: 'mongo';
  name: MongoPresetName;
  detect(db: Db): Promise<MongoDetection[]>;
  /** Opens the adapter, or throws a not-found sentence when the database holds no such store. */
  open(db: Db): Promise<EventStore>;
}

export type PresetRecord = PostgresPresetRecord | MongoPresetRecord;
