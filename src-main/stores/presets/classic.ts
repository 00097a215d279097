import type { PostgresEventMapping } from '../postgres/mapping';
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
  companions: {
    checkpoints: [
      {
        format: 'table',
        kind: 'reference',
        backend: 'postgres',
        table: 'projection_checkpoints',
        // source: 'events' (the store's global order) or 'kafka:<topic>:<partition>' (next offset to read).
        columns: { name: 'projection_name', source: 'source', position: 'position', updatedAt: 'updated_at' },
      },
    ],
    snapshots: [
      {
        format: 'table',
        kind: 'reference',
        backend: 'postgres',
        table: 'snapshots',
        columns: { streamId: 'aggregate_id', streamType: 'aggregate_type', version: 'version', state: 'state', takenAt: 'taken_at' },
      },
    ],
    readModels: [
      { name: 'accounts_view', backend: 'postgres', table: 'accounts_view', key: 'account_id' },
      { name: 'orders_view', backend: 'postgres', table: 'orders_view', key: 'order_id' },
      { name: 'products_view', backend: 'postgres', table: 'products_view', key: 'product_id' },
    ],
  },
};
