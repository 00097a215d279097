import type { PostgresEventMapping } from '../postgres/mapping';
import type { PostgresPresetRecord } from './preset-record';

function axonMapping(schema?: string): PostgresEventMapping {
  return {
    preset: 'axon',
    schema: schema ?? 'public',
    table: 'domain_event_entry',
    columns: {
      streamId: 'aggregate_identifier',
      streamType: 'type',
      version: 'sequence_number',
      position: 'global_index',
      type: 'payload_type',
      data: 'payload',
      metadata: 'meta_data',
      timestamp: 'time_stamp',
      eventId: 'event_identifier',
    },
    // Axon's MessageOriginProvider: traceId = root message (correlation), correlationId = parent message (causation).
    metadataKeys: { correlationId: 'traceId', causationId: 'correlationId' },
  };
}

/**
 * Axon's JDBC engine (JdbcEventStorageEngine) creates `DomainEventEntry` with unquoted
 * camelCase names, which PostgreSQL folds to lower case.
 */
export function axonJdbcMapping(schema?: string): PostgresEventMapping {
  return {
    ...axonMapping(schema),
    table: 'domainevententry',
    columns: {
      streamId: 'aggregateidentifier',
      streamType: 'type',
      version: 'sequencenumber',
      position: 'globalindex',
      type: 'payloadtype',
      data: 'payload',
      metadata: 'metadata',
      timestamp: 'timestamp',
      eventId: 'eventidentifier',
    },
  };
}

export const axonPreset: PostgresPresetRecord = {
  name: 'axon',
  backend: 'postgres',
  label: 'Axon Framework (JPA/JDBC)',
  mapping: axonMapping,
  detection: {
    signature: ['global_index', 'aggregate_identifier', 'sequence_number', 'payload_type'],
    companionTables: ['snapshot_event_entry', 'token_entry'],
    alternates: [{ mapping: axonJdbcMapping, companionTables: ['snapshotevententry', 'tokenentry'] }],
  },
  companions: {
    checkpoints: [
      { format: 'axon-tokens', kind: 'axon', backend: 'postgres', table: 'token_entry' },
      {
        format: 'axon-tokens',
        kind: 'axon',
        backend: 'postgres',
        table: 'tokenentry',
        columns: { processorName: 'processorname', segment: 'segment', token: 'token', tokenType: 'tokentype', timestamp: 'timestamp', owner: 'owner' },
      },
    ],
    snapshots: [
      {
        format: 'table',
        kind: 'axon',
        backend: 'postgres',
        table: 'snapshot_event_entry',
        columns: {
          streamId: 'aggregate_identifier',
          streamType: 'type',
          version: 'sequence_number',
          state: 'payload',
          takenAt: 'time_stamp',
          schemaVersion: 'payload_revision',
          stateType: 'payload_type',
        },
      },
      {
        format: 'table',
        kind: 'axon',
        backend: 'postgres',
        table: 'snapshotevententry',
        columns: {
          streamId: 'aggregateidentifier',
          streamType: 'type',
          version: 'sequencenumber',
          state: 'payload',
          takenAt: 'timestamp',
          schemaVersion: 'payloadrevision',
          stateType: 'payloadtype',
        },
      },
    ],
  },
};
