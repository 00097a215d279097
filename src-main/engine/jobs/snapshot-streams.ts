/**
 * The streams a store keeps snapshots of, in the reference layout (PostgreSQL
 * `snapshots(aggregate_id, aggregate_type, version, state)`, MongoDB `snapshots`
 * documents `{aggregateId, aggregateType, version, state}`), read in keyset pages
 * on the stream id so a store with millions of snapshots is never loaded whole.
 */
import type { Db } from 'mongodb';
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';

export interface SnapshotStreamFilter {
  /** Only stream ids starting with this. */
  streamPrefix?: string;
  /** Only snapshots of this aggregate type. */
  category?: string;
}

export interface SnapshotStreams {
  /** How many streams have at least one snapshot (for progress). */
  count(filter: SnapshotStreamFilter): Promise<number>;
  /** Up to `limit` stream ids after `after`, in stream id order. */
  page(filter: SnapshotStreamFilter, after: string | undefined, limit: number): Promise<string[]>;
}

const NO_SNAPSHOTS = 'This store keeps no snapshots in the reference layout (a snapshots table with aggregate_id, aggregate_type, version and state): there is nothing to verify.';

function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export function postgresSnapshotStreams(pool: pg.Pool): SnapshotStreams {
  let checked: Promise<void> | undefined;
  const ensureTable = () =>
    (checked ??= pool
      .query<{ n: string }>(
        `SELECT count(*) AS n FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = 'snapshots' AND column_name IN ('aggregate_id', 'aggregate_type', 'version', 'state')`,
      )
      .then(({ rows }) => {
        if (Number(rows[0]?.n) !== 4) throw new ChronoError('not_found', NO_SNAPSHOTS);
      })
      .catch((err: unknown) => {
        checked = undefined;
        throw err;
      }));
  const where = `($1::text IS NULL OR aggregate_id LIKE $1 ESCAPE '\\') AND ($2::text IS NULL OR aggregate_type = $2)`;
  const params = (filter: SnapshotStreamFilter) => [filter.streamPrefix === undefined ? null : likePrefix(filter.streamPrefix), filter.category ?? null];
  return {
    async count(filter) {
      await ensureTable();
      const { rows } = await pool.query<{ n: string }>(`SELECT count(DISTINCT aggregate_id) AS n FROM snapshots WHERE ${where}`, params(filter));
      return Number(rows[0]?.n ?? 0);
    },
    async page(filter, after, limit) {
      await ensureTable();
      const { rows } = await pool.query<{ aggregate_id: string }>(
        `SELECT DISTINCT aggregate_id FROM snapshots WHERE ${where} AND ($3::text IS NULL OR aggregate_id > $3) ORDER BY aggregate_id LIMIT $4`,
        [...params(filter), after ?? null, limit],
      );
      return rows.map((r) => r.aggregate_id);
    },
  };
}

export function mongoSnapshotStreams(db: Db): SnapshotStreams {
  const collection = db.collection<{ aggregateId: string; aggregateType?: string; version: number }>('snapshots');
  const match = (filter: SnapshotStreamFilter, after?: string) => {
    const id: Record<string, unknown> = {};
    if (filter.streamPrefix !== undefined) id.$regex = `^${filter.streamPrefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    if (after !== undefined) id.$gt = after;
    return { ...(Object.keys(id).length > 0 ? { aggregateId: id } : {}), ...(filter.category !== undefined ? { aggregateType: filter.category } : {}) };
  };
  return {
    async count(filter) {
      const [row] = await collection.aggregate<{ n: number }>([{ $match: match(filter) }, { $group: { _id: '$aggregateId' } }, { $count: 'n' }]).toArray();
      return row?.n ?? 0;
    },
    async page(filter, after, limit) {
      // One index probe per stream (the `snapshots_latest` index on aggregateId, version): a skip scan.
      const ids: string[] = [];
      let cursor = after;
      while (ids.length < limit) {
        const [doc] = await collection.find(match(filter, cursor), { projection: { aggregateId: 1 } }).sort({ aggregateId: 1 }).limit(1).toArray();
        if (!doc) break;
        ids.push(doc.aggregateId);
        cursor = doc.aggregateId;
      }
      return ids;
    },
  };
}
