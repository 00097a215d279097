import type { PostgresEventMapping } from '../postgres/mapping';
import type { PostgresPresetRecord } from './preset-record';

function emmettMapping(schema?: string): PostgresEventMapping {
  return {
    preset: 'emmett',
    schema: schema ?? 'public',
    table: 'emt_messages',
    columns: {
      streamId: 'stream_id',
      version: 'stream_position',
      position: 'global_position',
      type: 'message_type',
      data: 'message_data',
      metadata: 'message_metadata',
      timestamp: 'created',
      eventId: 'message_id',
    },
    // Stream type from emt_streams; the stream id prefix stands in when it has no row.
    streamTable: {
      table: 'emt_streams',
      on: [
        ['stream_id', 'stream_id'],
        ['partition', 'partition'],
        ['is_archived', 'is_archived'],
      ],
      typeColumn: 'stream_type',
    },
    categoryFromStreamId: { separator: '-' },
    metadataKeys: { correlationId: 'correlationId', causationId: 'causationId' },
    where: [{ column: 'is_archived', equals: false }],
  };
}

export const emmettPreset: PostgresPresetRecord = {
  name: 'emmett',
  backend: 'postgres',
  label: 'Emmett (PostgreSQL)',
  sibling: 'emmett-mongo',
  mapping: emmettMapping,
  detection: {
    signature: ['global_position', 'message_kind', 'transaction_id', 'partition'],
    companionTables: ['emt_streams', 'emt_processors'],
  },
  companions: {
    checkpoints: [
      {
        format: 'table',
        kind: 'emmett',
        backend: 'postgres',
        table: 'emt_processors',
        columns: { name: 'processor_id', source: 'partition', position: 'last_processed_checkpoint', version: 'version', extras: ['status'] },
        // The global position zero-padded to 19 digits, updated by compare-and-set.
        textPositions: { padTo: 19 },
      },
      {
        format: 'table',
        kind: 'emmett-legacy',
        backend: 'postgres',
        table: 'emt_subscriptions',
        columns: { name: 'subscription_id', source: 'partition', position: 'last_processed_position', version: 'version' },
      },
    ],
  },
};
