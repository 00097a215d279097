import type { PostgresEventMapping } from '../postgres/mapping';
import { KNOWN_LAYOUTS } from '../ports/known-layouts';
import type { PostgresPresetRecord } from './preset-record';

function eventuousMapping(schema?: string): PostgresEventMapping {
  return {
    preset: 'eventuous',
    schema: schema ?? 'eventuous',
    table: 'messages',
    columns: {
      streamId: 'stream_id',
      version: 'stream_position',
      position: 'global_position',
      type: 'message_type',
      data: 'json_data',
      metadata: 'json_metadata',
      timestamp: 'created',
      eventId: 'message_id',
    },
    streamTable: { table: 'streams', on: [['stream_id', 'stream_id']], nameColumn: 'stream_name' },
    categoryFromStreamId: { separator: '-' },
    metadataKeys: { correlationId: '$correlationId', causationId: '$causationId' },
  };
}

export const eventuousPreset: PostgresPresetRecord = {
  name: 'eventuous',
  backend: 'postgres',
  label: 'Eventuous (PostgreSQL)',
  mapping: eventuousMapping,
  detection: {
    signature: ['global_position', 'json_data', 'stream_position', 'message_type'],
    companionTables: ['streams', 'checkpoints', 'snapshots'],
  },
  companions: KNOWN_LAYOUTS['eventuous'] ?? {},
};
