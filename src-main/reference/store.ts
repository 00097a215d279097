import type { AggregateType, DomainEvent } from './events';

/** A saved aggregate state, so loading reads only the events after it. */
export interface Snapshot {
  aggregateId: string;
  aggregateType: AggregateType;
  version: number;
  state: unknown;
  takenAt: string;
}

export interface AppendRequest {
  aggregateType: AggregateType;
  aggregateId: string;
  /** Version the decision was made on; the new events take expectedVersion + 1, + 2, ... */
  expectedVersion: number;
  events: DomainEvent[];
  /** State after these events, when a snapshot is due; written with the events where the store can. */
  snapshot?: Snapshot;
}

/**
 * What the command side needs from an event store. Implemented over Postgres
 * (postgres/event-store.ts) and MongoDB (mongo/event-store.ts); both enforce
 * optimistic concurrency in the database through a unique (aggregate id, version).
 */
export interface CommandEventStore {
  readonly kind: 'postgres' | 'mongo';
  /** The stream's events after `afterVersion`, in version order, read in batches. */
  readStream(aggregateId: string, afterVersion: number): AsyncIterable<DomainEvent>;
  /** Appends atomically with respect to other writers; throws ConcurrencyConflictError when beaten. */
  append(request: AppendRequest): Promise<void>;
  /** The event with this id, if recorded (command retries are recognised by their deterministic event ids). */
  findEvent(eventId: string): Promise<DomainEvent | null>;
  latestSnapshot(aggregateId: string): Promise<Snapshot | null>;
}

/** Default snapshot frequency: one every N events per aggregate. */
export const DEFAULT_SNAPSHOT_EVERY = 100;

/** True when appending events moved the stream across a multiple of `every`. */
export function snapshotDue(previousVersion: number, newVersion: number, every: number): boolean {
  return every > 0 && Math.floor(newVersion / every) > Math.floor(previousVersion / every);
}
