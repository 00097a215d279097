import type pg from 'pg';
import type { AggregateType } from '../events';
import type { Snapshot } from '../store';

type Queryable = Pick<pg.Pool | pg.PoolClient | pg.Client, 'query'>;

interface SnapshotRow {
  aggregate_id: string;
  aggregate_type: string;
  version: number;
  state: unknown;
  taken_at: Date;
}

/** The newest snapshot of an aggregate, or null. */
export async function latestSnapshot(db: Queryable, aggregateId: string): Promise<Snapshot | null> {
  const { rows } = await db.query<SnapshotRow>(
    'SELECT aggregate_id, aggregate_type, version, state, taken_at FROM snapshots WHERE aggregate_id = $1 ORDER BY version DESC LIMIT 1',
    [aggregateId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    aggregateId: row.aggregate_id,
    aggregateType: row.aggregate_type as AggregateType,
    version: row.version,
    state: row.state,
    takenAt: row.taken_at.toISOString(),
  };
}

/** Saves snapshots; one already taken at the same version is kept (the state at a version never changes). */
export async function saveSnapshot(db: Queryable, ...snapshots: Snapshot[]): Promise<void> {
  if (snapshots.length === 0) return;
  await db.query(
    `INSERT INTO snapshots (aggregate_id, aggregate_type, version, state, taken_at)
     SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::int[], $4::jsonb[], $5::timestamptz[])
     ON CONFLICT (aggregate_id, version) DO NOTHING`,
    [
      snapshots.map((s) => s.aggregateId),
      snapshots.map((s) => s.aggregateType),
      snapshots.map((s) => s.version),
      snapshots.map((s) => JSON.stringify(s.state)),
      snapshots.map((s) => s.takenAt),
    ],
  );
}
