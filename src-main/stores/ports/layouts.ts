/**
 * Where a store keeps what sits beside its events: projector checkpoints,
 * aggregate snapshots and read models. Plain data, declared in each preset's
 * record and read by the checkpoint / snapshot / read-model adapters (ports
 * beside EventStore). Names are identifiers (always quoted), never SQL.
 */
export type Backend = 'postgres' | 'mongo';

/**
 * One row per projector (and source / partition) in a table: the reference
 * system's `projection_checkpoints`, Marten's `mt_event_progression`, Emmett's
 * `emt_processors` and `emt_subscriptions`, Eventuous' `checkpoints`, a custom mapping.
 */
export interface TableCheckpointLayout {
  format: 'table';
  /** Whose layout this is: 'reference', 'marten', 'emmett', 'emmett-legacy', 'eventuous', 'custom'. */
  kind: string;
  backend: 'postgres';
  /** Schema of the table; the events mapping's schema (or `public`) when absent. */
  schema?: string;
  table: string;
  columns: {
    /** The projector's (processor's, subscription's) name. */
    name: string;
    /** Source, partition or shard; absent when one row per projector. */
    source?: string;
    position: string;
    updatedAt?: string;
    /** Where several versions of a processor are kept (Emmett), the highest is the live one. */
    version?: string;
    /** Columns shown as they are next to the position (Emmett's status). */
    extras?: readonly string[];
  };
  /**
   * How positions are stored: integers (default), or text zero-padded to a width
   * (Emmett's `last_processed_checkpoint`, 19 digits).
   */
  textPositions?: { padTo: number };
  /** Rows that are marks of the store itself, not projectors (Marten's HighWaterMark). */
  marks?: readonly string[];
  /** Shards named `<projector>:<shard>` (Marten): split into projector and source. */
  shardSeparator?: string;
}

/** Message DB: a consumer's position is the last `Recorded` message of its stream `<category>:position[-<consumer>]`. */
export interface PositionStreamCheckpointLayout {
  format: 'position-streams';
  kind: 'message-db';
  backend: 'postgres';
  schema?: string;
  /** The messages table. */
  table: string;
}

/** Axon's `token_entry`: one serialized tracking token per processor and segment. */
export interface AxonTokenCheckpointLayout {
  format: 'axon-tokens';
  kind: 'axon';
  backend: 'postgres';
  schema?: string;
  table: string;
  /** Column names: JPA's snake_case by default; Axon's JDBC store folds camelCase to lower case. */
  columns?: { processorName: string; segment: string; token: string; tokenType: string; timestamp: string; owner: string };
}

/** One document per projector (and source) in a collection: the reference system's Mongo `checkpoints`. */
export interface DocumentCheckpointLayout {
  format: 'documents';
  kind: string;
  backend: 'mongo';
  collection: string;
  fields: { name: string; source?: string; position: string; updatedAt?: string };
  /** The document id, when the layout builds it from name and source (`<name>|<source>`). */
  idOf?: { separator: string };
}

export type CheckpointLayout = TableCheckpointLayout | PositionStreamCheckpointLayout | AxonTokenCheckpointLayout | DocumentCheckpointLayout;

/**
 * Snapshots in a table of their own, one row per stream and version (the
 * reference system, Eventuous, Axon's `snapshot_event_entry`).
 */
export interface TableSnapshotLayout {
  format: 'table';
  kind: string;
  backend: 'postgres';
  schema?: string;
  table: string;
  columns: {
    streamId: string;
    streamType?: string;
    version: string;
    /** The snapshot itself: json, jsonb, text or bytea. */
    state: string;
    takenAt?: string;
    /** The definition / schema version the snapshot was written with (Axon's payload_revision). */
    schemaVersion?: string;
    /** What kind of state it is (Axon's payload_type, Eventuous' event_type). */
    stateType?: string;
  };
}

/** Snapshots kept on the stream's own row (Marten's `mt_streams.snapshot` and `snapshot_version`): deleting one clears them. */
export interface StreamColumnSnapshotLayout {
  format: 'stream-column';
  kind: string;
  backend: 'postgres';
  schema?: string;
  table: string;
  columns: { streamId: string; streamType?: string; state: string; version: string; takenAt?: string };
}

/** Snapshot documents (the reference system's Mongo `snapshots`). */
export interface DocumentSnapshotLayout {
  format: 'documents';
  kind: string;
  backend: 'mongo';
  collection: string;
  fields: { streamId: string; streamType?: string; version: string; state: string; takenAt?: string; schemaVersion?: string };
}

export type SnapshotLayout = TableSnapshotLayout | StreamColumnSnapshotLayout | DocumentSnapshotLayout;

export interface ReadModelLayout {
  /** The model's name as operators know it, e.g. `products_view`. */
  name: string;
  backend: Backend;
  /** Table (PostgreSQL) or collection (MongoDB). */
  table: string;
  schema?: string;
  /** Key column / field. */
  key: string;
  /** The projector whose checkpoint tracks this model, when known. */
  projector?: string;
}

/** Everything a preset knows besides its events. */
export interface CompanionLayouts {
  /** Every layout the software has used; those whose table exists are read. */
  checkpoints?: readonly CheckpointLayout[];
  snapshots?: readonly SnapshotLayout[];
  readModels?: readonly ReadModelLayout[];
}
