/**
 * Where a store keeps what sits beside its events: projector checkpoints,
 * aggregate snapshots and read models. Plain data, declared per preset and read
 * by the checkpoint / snapshot / read-model adapters (ports beside EventStore).
 */
export type Backend = 'postgres' | 'mongo';

/** A table (PostgreSQL) or collection (MongoDB) with the software that writes it. */
export interface CheckpointLayout {
  /** Whose layout this is: 'reference', 'marten', 'emmett', 'emmett-legacy', 'message-db', 'eventuous', 'axon', 'custom'. */
  kind: string;
  backend: Backend;
  /** Table or collection name (schema-qualified through `schema`). */
  table: string;
  schema?: string;
}

export interface SnapshotLayout {
  kind: string;
  backend: Backend;
  table: string;
  schema?: string;
}

export interface ReadModelLayout {
  /** The model's name as operators know it, e.g. `products_view`. */
  name: string;
  backend: Backend;
  table: string;
  schema?: string;
  /** Key column / field. */
  key: string;
  /** The projector whose checkpoint tracks this model, when known. */
  projector?: string;
}

/** Everything a preset knows besides its events. */
export interface CompanionLayouts {
  checkpoints?: readonly CheckpointLayout[];
  snapshots?: SnapshotLayout;
  readModels?: readonly ReadModelLayout[];
}
