/**
 * A read model as a rebuild sees it: which events it handles (so the feed is read
 * through an index, never in full when it needs a few types), and how a batch of
 * events folds into rows keyed by one value. Built-ins wrap the reducers the
 * engine is given (builtin-read-models.ts); user definitions run in the definitions sandbox.
 */
import type { StoredEventView } from '../../stores/event-store';

/** A row of the model: column (PostgreSQL) or field (Mongo) names to JSON values. */
export type ModelRow = Record<string, unknown>;

/** What the definition handles: the feed is filtered by these (types OR categories). */
export interface Handles {
  types?: string[];
  categories?: string[];
}

/** Rows a batch changed: a row to write, or null to delete. */
export type RowChanges = Map<string, ModelRow | null>;

/**
 * Folds batches. Keeps rows it has seen in a bounded cache of its own, so most
 * batches need no read of the shadow: `missingKeys` says which keys it still needs.
 */
export interface ModelFolder {
  /** Keys this batch touches that the folder has not cached. */
  missingKeys(events: readonly StoredEventView[]): Promise<string[]>;
  /** Folds the batch; `loaded` holds the stored rows of the missing keys (absent: no row). */
  apply(events: readonly StoredEventView[], loaded: Map<string, ModelRow>): Promise<RowChanges>;
  /** Forgets cached rows (after a failed batch: the shadow is the truth again). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export interface ReadModelDefinition {
  /** `builtin:accounts_view` or the user definition's name. */
  name: string;
  handles: Handles;
  /** Column / field holding the key (PostgreSQL: the table's single-column primary key). */
  keyColumn?: string;
  /** Every row is keyed by the stream id of the events written into it (built-ins): scale-out on Kafka needs no probe. */
  keyedByStream?: boolean;
  /**
   * A built-in the fold worker threads can open themselves (fold-worker-main.ts is given
   * the same built-ins): its key there. With `keyedByStream`, a rebuild folds it in
   * several workers, each holding the rows of its share of the streams.
   */
  workerFold?: { model: string };
  /** Whether rows carry the stream version in `version` (resume then skips events already in a row). */
  versioned: boolean;
  /** The target table's columns as a user definition declares them (unchecked JSON: see target-table.ts). */
  declaredColumns?: unknown;
  /** The checkpoint name of the projector that keeps this model (matched against the connection's checkpoints). */
  projector?: string;
  /** `cacheRows`: the most rows the folder caches (FOLDER_CACHE_ROWS by default; fold workers share it out). */
  open(options?: { cacheRows?: number }): Promise<ModelFolder>;
}

/** An error of the definition's own code, naming the event it failed on. */
export class DefinitionFailure extends Error {
  override readonly name = 'DefinitionFailure';
  constructor(
    readonly definition: string,
    readonly event: { streamId: string; version: number; type: string; position: string | null },
    readonly reason: string,
  ) {
    super(
      `Definition ${definition} failed on ${event.type} #${event.version} of stream ${event.streamId}` +
        `${event.position !== null ? ` (global position ${event.position})` : ''}: ${reason}. The live model is untouched; fix the definition and start the rebuild again.`,
    );
  }
}

export function eventRef(event: StoredEventView): DefinitionFailure['event'] {
  return { streamId: event.streamId, version: event.version, type: event.type, position: event.position ?? null };
}

/** Largest number of rows a folder caches (the shadow holds them all; a row not cached is read back from it). */
export const FOLDER_CACHE_ROWS = 100_000;
