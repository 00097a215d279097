import type pg from 'pg';
import type { AggregateType, DomainEvent } from '../events';
import { foldIntoRows, type VersionedRow, type ViewReducer } from './view-reducer';

type Queryable = Pick<pg.Pool | pg.PoolClient | pg.Client, 'query'>;

/** A read-model table in Postgres, keyed by aggregate id. Table and column names are constants, never input. */
export interface PostgresViewSpec<Row extends VersionedRow> {
  name: string;
  table: string;
  keyColumn: string;
  /** Every column, key first; rows are objects with exactly these keys. */
  columns: readonly string[];
  aggregateType: AggregateType;
  reduce: ViewReducer<Row>;
  /** Converts a row read back from pg (bigint comes back as a string). */
  fromDb(row: Record<string, unknown>): Row;
}

export interface ViewBatchResult {
  applied: number;
  duplicates: number;
}

/**
 * Applies a batch to a Postgres view in two statements whatever its size: load
 * the touched rows, fold in memory, upsert them back. The upsert only overwrites
 * a row with a newer version, so replaying a batch changes nothing.
 * Run it in the same transaction as the checkpoint write.
 */
export async function applyToPostgresView<Row extends VersionedRow>(
  db: Queryable,
  spec: PostgresViewSpec<Row>,
  events: readonly DomainEvent[],
): Promise<ViewBatchResult> {
  const relevant = events.filter((e) => e.aggregateType === spec.aggregateType);
  if (relevant.length === 0) return { applied: 0, duplicates: 0 };
  const ids = [...new Set(relevant.map((e) => e.aggregateId))];
  const { rows } = await db.query(`SELECT ${spec.columns.join(', ')} FROM ${spec.table} WHERE ${spec.keyColumn} = ANY($1::varchar[])`, [ids]);
  const current = new Map<string, Row>(rows.map((r: Record<string, unknown>) => [String(r[spec.keyColumn]), spec.fromDb(r)]));
  const outcome = foldIntoRows(spec.name, spec.reduce, current, relevant);
  if (outcome.changed.size > 0) {
    const updates = spec.columns.filter((c) => c !== spec.keyColumn).map((c) => `${c} = EXCLUDED.${c}`);
    await db.query(
      `INSERT INTO ${spec.table} (${spec.columns.join(', ')})
       SELECT ${spec.columns.join(', ')} FROM jsonb_populate_recordset(NULL::${spec.table}, $1::jsonb)
       ON CONFLICT (${spec.keyColumn}) DO UPDATE SET ${updates.join(', ')}
       WHERE ${spec.table}.version < EXCLUDED.version`,
      [JSON.stringify([...outcome.changed.values()])],
    );
  }
  return { applied: outcome.applied, duplicates: outcome.duplicates };
}
