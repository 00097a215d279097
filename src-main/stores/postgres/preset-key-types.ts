import type { PostgresPresetName } from '../../../src-shared/presets';
import { TEXT_TYPES } from './column-types';

/** The types a key column must have for the preset's queries to hold. */
export interface KeyColumnTypes {
  types: readonly string[];
  what: string;
}

export type KeyColumnRole = 'version' | 'position' | 'timestamp';

/**
 * Key column types that differ from the defaults, per preset (Axon keeps ISO-8601
 * text timestamps). Kept here rather than in the preset records so that checking
 * a mapping (mapping.ts) needs no preset record: the records import mapping.ts.
 */
export const PRESET_KEY_TYPE_OVERRIDES: Readonly<Partial<Record<PostgresPresetName, Partial<Record<KeyColumnRole, KeyColumnTypes>>>>> = {
  axon: { timestamp: { types: ['timestamptz', 'timestamp', ...TEXT_TYPES], what: 'a timestamp type or ISO-8601 text' } },
};
