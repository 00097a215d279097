/**
 * The live read model as a verification reads it, whatever holds it: rows by key in
 * the JSON form the target stores (so a replayed row is compared as the target would
 * keep it: a PostgreSQL numeric, timestamp or default; a Mongo date), a random sample
 * of keys, and keys in key order for a full pass. PostgreSQL tables are in
 * postgres-model.ts, Mongo collections in mongo-model.ts.
 */
import type { ModelRow } from '../rebuild/read-model';

export interface LiveModel {
  /** The live rows of these keys (absent keys: no row). */
  rows(keys: readonly string[]): Promise<Map<string, ModelRow>>;
  /** Which of these keys have a live row. */
  present(keys: readonly string[]): Promise<Set<string>>;
  /** Replayed rows as the target would store them: the same JSON form `rows` returns. */
  asStored(rows: ReadonlyMap<string, ModelRow>): Promise<Map<string, ModelRow>>;
  /** Live rows (exact where cheap). */
  count(): Promise<number>;
  /** About `count` keys drawn at random (seeded where the target can). */
  sampleKeys(count: number, seed: number): Promise<string[]>;
  /** The next `limit` keys after `after` (null: from the first), in the target's key order. */
  keysAfter(after: string | null, limit: number): Promise<string[]>;
}
