import type { PostgresEventMapping } from '../postgres/mapping';
import type { PostgresPresetRecord } from './preset-record';

function messageDbMapping(schema?: string): PostgresEventMapping {
  return {
    preset: 'message-db',
    schema: schema ?? 'message_store',
    table: 'messages',
    columns: {
      streamId: 'stream_name',
      version: 'position',
      position: 'global_position',
      type: 'type',
      data: 'data',
      metadata: 'metadata',
      timestamp: 'time',
      eventId: 'id',
    },
    categoryFromStreamId: { separator: '-' },
    // write_message gives a new stream's first message position 0.
    firstVersion: 0,
    metadataKeys: { correlationId: 'correlationStreamName' },
  };
}

export const messageDbPreset: PostgresPresetRecord = {
  name: 'message-db',
  backend: 'postgres',
  label: 'Message DB',
  mapping: messageDbMapping,
  detection: {
    signature: ['global_position', 'stream_name', 'position', 'time'],
    companionTables: [],
  },
  companions: {
    checkpoints: [{ format: 'position-streams', kind: 'message-db', backend: 'postgres', table: 'messages' }],
  },
};
