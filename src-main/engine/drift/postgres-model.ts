/**
 * A PostgreSQL read model as drift verification reads it. Replayed rows are written,
 * with the rebuild's own row writer, into a temporary copy of the table's shape inside
 * a transaction that is rolled back: PostgreSQL itself turns them into stored rows
 * (types, defaults, generated columns), and both sides are read back as `to_jsonb`.
 */
import type pg from 'pg';
import { qualifiedName, quoteIdent } from '../../stores/postgres/mapping';
import { loadRows, tableShape, writeChanges, type TableShape } from '../rebuild/postgres-target';
import type { ModelRow, RowChanges } from '../rebuild/read-model';
import type { LiveModel } from './live-model';

const REPLAY_TABLE = 'chronoscope_drift_replay';

export async function postgresLiveModel(pool: pg.Pool, schema: string, model: string): Promise<LiveModel> {
  const shape: TableShape = await tableShape(pool, schema, model);
  const live = qualifiedName(schema, model);
  const key = quoteIdent(shape.keyColumn);
  const count = async () => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${live}`)).rows[0]!.n);
  return {
    rows: (keys) => loadRows(pool, schema, model, shape, keys),
    async present(keys) {
      if (keys.length === 0) return new Set();
      const { rows } = await pool.query<{ k: string }>(`SELECT ${key}::text AS k FROM ${live} WHERE ${key} = ANY($1::${shape.keyType}[])`, [keys]);
      return new Set(rows.map((r) => r.k));
    },
    async asStored(rows) {
      if (rows.size === 0) return new Map();
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        // The table's columns, defaults and generated columns; never its data. Dropped with the rolled-back transaction.
        await client.query(`CREATE TEMP TABLE ${REPLAY_TABLE} (LIKE ${live} INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY) ON COMMIT DROP`);
        await client.query(`ALTER TABLE ${REPLAY_TABLE} ADD PRIMARY KEY (${key})`);
        await writeChanges(client, 'pg_temp', REPLAY_TABLE, shape, new Map(rows) as RowChanges);
        const { rows: stored } = await client.query<{ k: string; r: ModelRow }>(`SELECT t.${key}::text AS k, to_jsonb(t) AS r FROM pg_temp.${REPLAY_TABLE} t`);
        return new Map(stored.map((r) => [r.k, r.r]));
      } finally {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release();
      }
    },
    count,
    async sampleKeys(wanted, seed) {
      const total = await count();
      if (total === 0) return [];
      // Bernoulli over the rows (every row equally likely), a little over the share wanted, cut to the count in a seeded random order:
      // cut in table order, the rows at the end (the newest writes, where fresh corruption lands) would never be drawn.
      const percent = Math.min(100, ((wanted * 1.2 + 10) / total) * 100);
      const { rows } = await pool.query<{ k: string }>(
        `SELECT ${key}::text AS k FROM ${live} TABLESAMPLE BERNOULLI ($1) REPEATABLE ($2) ORDER BY md5(${key}::text || $4::text) LIMIT $3`,
        [percent, seed, wanted, String(seed)],
      );
      return rows.map((r) => r.k);
    },
    async keysAfter(after, limit) {
      const { rows } = await pool.query<{ k: string }>(
        `SELECT ${key}::text AS k FROM ${live} WHERE ($1::text IS NULL OR ${key} > $1::${shape.keyType}) ORDER BY ${key} LIMIT $2`,
        [after, limit],
      );
      return rows.map((r) => r.k);
    },
  };
}
