/**
 * The fold of a built-in read model: a reducer run in process with the version
 * rules of the projector workers it stands for (a redelivered event is skipped, a
 * missing one stops the rebuild), so a rebuild equals what the running workers
 * produce. The reducers themselves are given to the engine (see builtin-read-models.ts).
 */
import type { StoredEventView } from '../../stores/event-store';
import { DefinitionFailure, eventRef, FOLDER_CACHE_ROWS, type ModelFolder, type ModelRow, type RowChanges } from './read-model';

/** Events folded between two turns of the event loop. */
const YIELD_EVERY = 2_000;

/** The next row of a stream after one of its events (undefined: the event changes nothing). */
export type RowReducer = (row: ModelRow | undefined, event: StoredEventView) => ModelRow | undefined;

/** A folder running a reducer in process, keyed by stream, with the workers' version rules. */
export class ReducerFolder implements ModelFolder {
  /** Rows touched in the current generation, and in the one before (kept until it is replaced). */
  private cache = new Map<string, ModelRow | null>();
  private older = new Map<string, ModelRow | null>();

  constructor(
    private readonly name: string,
    private readonly reduce: RowReducer,
    private readonly cacheRows = FOLDER_CACHE_ROWS,
  ) {}

  /**
   * Keys of the batch the cache does not hold. The cache is bounded here, before
   * the keys are chosen, never in `apply`: the rows loaded for this batch are the
   * ones named now, so a cache emptied afterwards would fold against missing rows.
   * Two generations of half the size each: a row used again soon after a new
   * generation starts moves over instead of being read back from the shadow.
   */
  async missingKeys(events: readonly StoredEventView[]): Promise<string[]> {
    if (this.cache.size > this.cacheRows / 2) {
      this.older = this.cache;
      this.cache = new Map();
    }
    const missing = new Set<string>();
    for (const e of events) {
      if (this.cache.has(e.streamId)) continue;
      if (this.older.has(e.streamId)) this.cache.set(e.streamId, this.older.get(e.streamId)!);
      else missing.add(e.streamId);
    }
    return [...missing];
  }

  async apply(events: readonly StoredEventView[], loaded: Map<string, ModelRow>): Promise<RowChanges> {
    for (const event of events) if (!this.cache.has(event.streamId)) this.cache.set(event.streamId, loaded.get(event.streamId) ?? null);
    const changes: RowChanges = new Map();
    let sinceYield = 0;
    for (const event of events) {
      // The fold runs in the main process: let the UI's calls through every few thousand events.
      if (++sinceYield === YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const row = this.cache.get(event.streamId) ?? undefined;
      const version = Number(row?.['version'] ?? 0);
      if (event.version <= version) continue; // already in the row (a resumed batch)
      if (event.version !== version + 1) {
        throw new DefinitionFailure(
          this.name,
          eventRef(event),
          `the row is at version ${version}: an earlier event of the stream is missing from the store's feed`,
        );
      }
      let next: ModelRow | undefined;
      try {
        next = this.reduce(row, event);
      } catch (err) {
        throw new DefinitionFailure(this.name, eventRef(event), (err as Error).message);
      }
      if (next) {
        this.cache.set(event.streamId, next);
        changes.set(event.streamId, next);
      }
    }
    return changes;
  }

  async reset(): Promise<void> {
    this.cache = new Map();
    this.older = new Map();
  }

  async close(): Promise<void> {
    this.cache.clear();
    this.older.clear();
  }
}
