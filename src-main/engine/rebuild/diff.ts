/**
 * The difference between a live read model and its shadow, before a swap:
 * row counts, keys only in one of them, keys whose rows differ, and a sample of
 * changed rows field by field. Compared in keyset pages of the primary key (both
 * tables have the same key type and collation), each page a full join done by the
 * database; only differing rows reach the engine, never whole tables.
 */
import type pg from 'pg';
import { qualifiedName, quoteIdent } from '../../stores/postgres/mapping';
import type { ModelRow } from './read-model';

type Queryable = Pick<pg.Pool | pg.PoolClient | pg.Client, 'query'>;

export interface RowFieldChange {
  field: string;
  live: unknown;
  shadow: unknown;
}

export interface ChangedRow {
  key: string;
  live: ModelRow;
  shadow: ModelRow;
  fields: RowFieldChange[];
}

export interface ModelDiff {
  liveRows: number;
  shadowRows: number;
  onlyInLive: { count: number; keys: string[] };
  onlyInShadow: { count: number; keys: string[] };
  changed: { count: number; keys: string[]; sample: ChangedRow[] };
  identical: boolean;
}

export interface DiffOptions {
  schema?: string;
  live: string;
  shadow: string;
  keyColumn: string;
  keyType: string;
  pageRows?: number;
  /** Keys listed per kind of difference. */
  keysListed?: number;
  /** Changed rows shown field by field. */
  sampleRows?: number;
  /** Compare only these keys of the live model (a partial rebuild's). */
  liveKeys?: readonly string[];
  signal?: AbortSignal;
}

export function fieldChanges(live: ModelRow, shadow: ModelRow): RowFieldChange[] {
  const fields = [...new Set([...Object.keys(live), ...Object.keys(shadow)])];
  return fields
    .filter((f) => JSON.stringify(live[f]) !== JSON.stringify(shadow[f]))
    .map((field) => ({ field, live: live[field] ?? null, shadow: shadow[field] ?? null }));
}

export async function diffPostgres(db: Queryable, options: DiffOptions): Promise<ModelDiff> {
  const schema = options.schema ?? 'public';
  const live = qualifiedName(schema, options.live);
  const shadow = qualifiedName(schema, options.shadow);
  const key = quoteIdent(options.keyColumn);
  const type = options.keyType;
  const pageRows = options.pageRows ?? 5000;
  const keysListed = options.keysListed ?? 100;
  const sampleRows = options.sampleRows ?? 20;
  // Keys of a partial rebuild: the live side is restricted to them (parameter $3 of each page query).
  const scoped = options.liveKeys !== undefined;
  const inScope = (alias: string) => (scoped ? ` AND ${alias}.${key} = ANY($3::${type}[])` : '');
  const counts = await db.query<{ l: string; s: string }>(
    `SELECT (SELECT count(*) FROM ${live} t WHERE true${scoped ? ` AND t.${key} = ANY($1::${type}[])` : ''}) AS l, (SELECT count(*) FROM ${shadow}) AS s`,
    scoped ? [options.liveKeys] : [],
  );
  const diff: ModelDiff = {
    liveRows: Number(counts.rows[0]!.l),
    shadowRows: Number(counts.rows[0]!.s),
    onlyInLive: { count: 0, keys: [] },
    onlyInShadow: { count: 0, keys: [] },
    changed: { count: 0, keys: [], sample: [] },
    identical: true,
  };
  const after = (alias: string) => `($1::text IS NULL OR ${alias}.${key} > $1::${type})`;
  const upTo = (alias: string) => `($2::text IS NULL OR ${alias}.${key} <= $2::${type})`;
  let from: string | null = null;
  for (;;) {
    if (options.signal?.aborted) throw new Error('The diff was cancelled.');
    const bound: pg.QueryResult<{ b: string | null }> = await db.query<{ b: string | null }>(
      `WITH bl AS (SELECT t.${key} AS k FROM ${live} t WHERE ${after('t')}${inScope('t')} ORDER BY t.${key} OFFSET $2 LIMIT 1),
            bs AS (SELECT t.${key} AS k FROM ${shadow} t WHERE ${after('t')} ORDER BY t.${key} OFFSET $2 LIMIT 1)
       SELECT LEAST((SELECT k FROM bl), (SELECT k FROM bs))::text AS b`,
      scoped ? [from, pageRows - 1, options.liveKeys] : [from, pageRows - 1],
    );
    const to: string | null = bound.rows[0]?.b ?? null;
    const { rows } = await db.query<{ k: string; l: ModelRow | null; s: ModelRow | null }>(
      `SELECT COALESCE(l.k, s.k)::text AS k, l.r AS l, s.r AS s
         FROM (SELECT t.${key} AS k, to_jsonb(t) AS r FROM ${live} t WHERE ${after('t')} AND ${upTo('t')}${inScope('t')}) l
         FULL JOIN (SELECT t.${key} AS k, to_jsonb(t) AS r FROM ${shadow} t WHERE ${after('t')} AND ${upTo('t')}) s ON l.k = s.k
        WHERE l.r IS DISTINCT FROM s.r
        ORDER BY 1`,
      scoped ? [from, to, options.liveKeys] : [from, to],
    );
    for (const row of rows) {
      diff.identical = false;
      if (row.s === null) {
        diff.onlyInLive.count++;
        if (diff.onlyInLive.keys.length < keysListed) diff.onlyInLive.keys.push(row.k);
      } else if (row.l === null) {
        diff.onlyInShadow.count++;
        if (diff.onlyInShadow.keys.length < keysListed) diff.onlyInShadow.keys.push(row.k);
      } else {
        diff.changed.count++;
        if (diff.changed.keys.length < keysListed) diff.changed.keys.push(row.k);
        if (diff.changed.sample.length < sampleRows) diff.changed.sample.push({ key: row.k, live: row.l, shadow: row.s, fields: fieldChanges(row.l, row.s) });
      }
    }
    if (to === null) break;
    from = to;
  }
  return diff;
}
