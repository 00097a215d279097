import type { PostgresEventMapping } from '../postgres/mapping';
import { KNOWN_LAYOUTS } from '../ports/known-layouts';
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
    streamTable: { table: 'mt_streams', on: [['stream_id', 'id'], ['tenant_id', 'tenant_id']], typeColumn: 'type' },
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
  companions: KNOWN_LAYOUTS['marten'] ?? {},
};
