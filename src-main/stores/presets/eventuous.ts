import type { PostgresEventMapping } from '../postgres/mapping';
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
  companions: {
    checkpoints: [{ format: 'table', kind: 'eventuous', backend: 'postgres', table: 'checkpoints', columns: { name: 'id', position: 'position' } }],
    snapshots: [
      {
        format: 'table',
        kind: 'eventuous',
        backend: 'postgres',
        table: 'snapshots',
        columns: { streamId: 'stream_name', version: 'revision', state: 'json_data', takenAt: 'created', stateType: 'event_type' },
      },
    ],
  },
};
