/**
 * Watching what a dry run does to the live tables. A third session holds reader
 * locks (ACCESS SHARE on the tables, FOR SHARE on their rows): a dry run that wants
 * anything stronger (a table lock for DDL, a row it would write or lock FOR UPDATE)
 * waits for it, deterministically, and stays visible in pg_locks while it waits.
 * Meanwhile a fourth session's plain SELECTs must answer at once, and every lock
 * the engine's sessions hold is sampled.
 */
import type pg from 'pg';

/** What the engine's sessions (application_name chronoscope) held beyond a reader's, and how fast readers were answered. */
export interface DryRunWatch {
  /** Milliseconds each plain SELECT on a live table took while the dry run ran. */
  selectMs: Record<string, number>;
  /** `relation mode` (or `locktype mode`) of each lock stronger than ACCESS SHARE the engine took, waiting ones marked. */
  strongLocks: string[];
  /** The dry run's answer, or undefined when it threw. */
  answer: unknown;
  error: unknown;
}

const ENGINE_LOCKS = `
  SELECT l.locktype, l.mode, l.granted, coalesce(c.relname, '') AS relation
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid LEFT JOIN pg_class c ON c.oid = l.relation
   WHERE a.application_name = 'chronoscope' AND a.datname = current_database() AND a.pid <> pg_backend_pid()
     AND ((l.locktype = 'relation' AND l.mode <> 'AccessShareLock') OR l.locktype IN ('tuple', 'transactionid', 'object'))`;

/** Runs `dryRun` while a reader holds `liveTables`, reads them from a fourth session, and samples the engine's locks. */
export async function watchDryRun(pool: pg.Pool, liveTables: readonly string[], dryRun: () => Promise<unknown>): Promise<DryRunWatch> {
  const reader = await pool.connect();
  const prober = await pool.connect();
  const sampler = await pool.connect();
  const strong = new Set<string>();
  let waiting = false;
  try {
    await reader.query('BEGIN');
    for (const table of liveTables) await reader.query(`SELECT 1 FROM ${table} FOR SHARE`);
    await prober.query('SET statement_timeout = 1000');

    let settled = false;
    const running = dryRun().then(
      (answer) => ({ answer, error: undefined }),
      (error: unknown) => ({ answer: undefined, error }),
    );
    void running.finally(() => (settled = true));
    const sample = async () => {
      const { rows } = await sampler.query<{ locktype: string; mode: string; granted: boolean; relation: string }>(ENGINE_LOCKS);
      for (const r of rows) {
        strong.add(`${r.relation || r.locktype} ${r.mode}${r.granted ? '' : ' (waiting)'}`);
        if (!r.granted) waiting = true;
      }
    };
    // Until the dry run is done, or waits for what the reader holds (then its locks are all in view).
    const deadline = Date.now() + 10_000;
    while (!settled && !waiting && Date.now() < deadline) await sample();

    const selectMs: Record<string, number> = {};
    for (const table of liveTables) {
      // The best of three: a reader blocked by the dry run stays blocked (the dry run waits on the reader above, which
      // holds until after this), while a busy CI machine's one slow answer is not a lock.
      const tries: number[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        await prober.query(`SELECT 1 FROM ${table} LIMIT 1`).catch(() => undefined); // a timeout shows as its 1000 ms
        tries.push(Math.round(performance.now() - started));
      }
      selectMs[table] = Math.min(...tries);
    }
    await sample();
    await reader.query('COMMIT');
    const { answer, error } = await running;
    return { selectMs, strongLocks: [...strong].sort(), answer, error };
  } finally {
    await reader.query('ROLLBACK').catch(() => undefined);
    reader.release();
    prober.release();
    sampler.release();
  }
}
