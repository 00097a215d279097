import type { PostgresEventMapping } from '../postgres/mapping';
import type { PostgresPresetRecord } from './preset-record';

function martenMapping(schema?: string): PostgresEventMapping {
  return {
    preset: 'marten',
    schema: schema ?? 'public',
    table: 'mt_events',
    columns: {
      streamId: 'stream_id',
      version: 'version',
      position: 'seq_id',
      type: 'type',
      data: 'data',
      metadata: 'headers',
      timestamp: 'timestamp',
      eventId: 'id',
      correlationId: 'correlation_id',
      causationId: 'causation_id',
    },
    streamTable: {
      table: 'mt_streams',
      on: [
        ['stream_id', 'id'],
        ['tenant_id', 'tenant_id'],
      ],
      typeColumn: 'type',
    },
    where: [{ column: 'is_archived', equals: false }],
  };
}

export const martenPreset: PostgresPresetRecord = {
  name: 'marten',
  backend: 'postgres',
  label: 'Marten',
  mapping: martenMapping,
  detection: {
    signature: ['seq_id', 'mt_dotnet_type', 'tenant_id', 'is_archived'],
    companionTables: ['mt_streams', 'mt_event_progression'],
  },
  companions: {
    checkpoints: [
      {
        format: 'table',
        kind: 'marten',
        backend: 'postgres',
        table: 'mt_event_progression',
        columns: { name: 'name', position: 'last_seq_id', updatedAt: 'last_updated' },
        // The async daemon's safe high-water mark, not a projector.
        marks: ['HighWaterMark'],
        shardSeparator: ':',
      },
    ],
    snapshots: [
      {
        format: 'stream-column',
        kind: 'marten',
        backend: 'postgres',
        table: 'mt_streams',
        columns: { streamId: 'id', streamType: 'type', state: 'snapshot', version: 'snapshot_version' },
      },
    ],
  },
};
