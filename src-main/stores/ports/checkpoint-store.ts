/**
 * The `CheckpointStore` port: where projectors keep their positions, whatever
 * the software. Adapters (postgres/checkpoints, mongo/checkpoints) map one
 * layout each; `openCheckpoints` (open-companions.ts) combines the layouts a
 * preset declares.
 *
 * Positions are decimal strings (64-bit safe), whatever the store keeps
 * (bigint, zero-padded text, a serialized Axon token, a Message DB message).
 */
import type pg from 'pg';

/** Names one checkpoint: the layout's table, the projector, and its source / partition / segment ('' when none). */
export interface CheckpointKey {
  /** The table or collection that holds it (a preset may have several, Emmett's processors and subscriptions). */
  store: string;
  projector: string;
  source: string;
}

export interface CheckpointView extends CheckpointKey {
  /** Layout kind: 'reference', 'marten', 'emmett', 'emmett-legacy', 'message-db', 'eventuous', 'axon', 'custom'. */
  kind: string;
  /** 'projector' for a projector's position; 'mark' for the store's own mark (Marten's HighWaterMark). */
  role: 'projector' | 'mark';
  /** Decimal string, or null when the row holds none yet (an Axon segment without a token). */
  position: string | null;
  /** ISO-8601, where the layout keeps it. */
  updatedAt: string | null;
  /**
   * Set when the projector reads one category of the store (a Message DB consumer):
   * only that category's events count towards its lag.
   */
  lagCategory?: string;
  /** What the layout keeps besides: Axon's gaps and owner, Emmett's status and version. */
  extras?: Record<string, unknown>;
}

export type SetPositionResult =
  | { outcome: 'applied'; checkpoint: CheckpointView }
  /** The checkpoint no longer holds `expected` (its projector moved it): nothing was written. */
  | { outcome: 'moved'; checkpoint: CheckpointView | null };

export interface CheckpointStore {
  /** The tables / collections read, e.g. `"public"."projection_checkpoints"`. */
  sources(): string[];
  list(): Promise<CheckpointView[]>;
  read(key: CheckpointKey): Promise<CheckpointView | null>;
  /**
   * Compare-and-set: writes `next` only if the checkpoint still holds `expected`
   * (null: the checkpoint does not exist yet, and is created where the layout allows).
   */
  /**
   * `next` equal to `expected` moves nothing but holds the checkpoint there until the
   * surrounding transaction ends (a row lock; Message DB's category lock; no Axon token
   * rewritten): what the rebuild swap takes the projector's position with.
   */
  setPosition(key: CheckpointKey, expected: string | null, next: string): Promise<SetPositionResult>;
  /** The tables / collections as `CheckpointKey.store` names them, in the preset's order. */
  stores(): string[];
  /**
   * Runs `work` with this store bound to one transaction: its writes commit together
   * when `work` resolves and roll back when it throws. On MongoDB (FerretDB has no
   * transactions) `work` runs on the store itself: each write is its own compare-and-set.
   */
  transaction<T>(work: (store: CheckpointStore) => Promise<T>): Promise<T>;
  /** Whether `transaction` is all-or-nothing (PostgreSQL); false where each write stands alone (FerretDB). */
  readonly atomic: boolean;
  /**
   * The same checkpoints read and written on `client`, inside the caller's open
   * PostgreSQL transaction (they commit or roll back with it). MongoDB checkpoints
   * cannot join one (CompanionLayoutError).
   */
  joining(client: CheckpointTransaction): CheckpointStore;
}

/** A PostgreSQL client inside an open transaction. */
export type CheckpointTransaction = Pick<pg.PoolClient, 'query'>;

/** Key equality, for adapters and callers. */
export function sameCheckpoint(a: CheckpointKey, b: CheckpointKey): boolean {
  return a.store === b.store && a.projector === b.projector && a.source === b.source;
}
