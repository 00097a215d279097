import type { PostgresEventMapping } from '../postgres/mapping';
import { KNOWN_LAYOUTS } from '../ports/known-layouts';
import type { PostgresPresetRecord } from './preset-record';

function classicMapping(schema?: string): PostgresEventMapping {
  return {
    preset: 'classic',
    schema: schema ?? 'public',
    table: 'events',
    columns: {
      streamId: 'aggregate_id',
      streamType: 'aggregate_type',
      version: 'event_version',
      position: 'global_position',
      type: 'event_type',
      data: 'event_data',
      metadata: 'metadata',
      timestamp: 'timestamp',
      eventId: 'event_id',
    },
    metadataKeys: { correlationId: 'correlationId', causationId: 'causationId' },
  };
}

export const classicPreset: PostgresPresetRecord = {
  name: 'classic',
  backend: 'postgres',
  label: 'Classic (reference) events table',
  mapping: classicMapping,
  detection: {
    signature: ['aggregate_id', 'aggregate_type', 'event_version', 'event_data'],
    companionTables: [],
    positionOptional: true,
  },
  companions: KNOWN_LAYOUTS['classic'] ?? {},
};
