import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalWorkspace } from '../../../src-main/engine/local-workspace/local-workspace';

let workspace: LocalWorkspace;
let pools: pg.Pool[] = [];

beforeAll(async () => {
  workspace = new LocalWorkspace(await mkdtemp(join(tmpdir(), 'chrono-lw-concurrency-')));
  const endpoint = await workspace.start();
  pools = Array.from({ length: 6 }, () => new pg.Pool({ ...endpoint, max: 2 }));
}, 60_000);

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
  await workspace?.stop();
});

// pglite-socket serves all connections through one queue; parameterized queries are several
// wire messages each, and without keeping them together concurrent callers got each other's rows.
it('answers concurrent parameterized queries from many connections, each with its own result', async () => {
  const calls = pools.flatMap((pool, p) =>
    Array.from({ length: 2 }, (_, c) =>
      (async () => {
        for (let i = 0; i < 40; i += 1) {
          const n = p * 1000 + c * 100 + i;
          const { rows } = await pool.query<{ n: number; label: string }>('SELECT $1::int AS n, $2::text AS label', [n, `call-${n}`]);
          expect(rows).toEqual([{ n, label: `call-${n}` }]);
        }
      })(),
    ),
  );
  // Transactions mixed in: another connection's statements must wait for COMMIT.
  const writer = (async () => {
    const client = await pools[0]!.connect();
    try {
      await client.query('CREATE TEMP TABLE IF NOT EXISTS t (v int)');
      for (let i = 0; i < 20; i += 1) {
        await client.query('BEGIN');
        await client.query('INSERT INTO t VALUES ($1)', [i]);
        await client.query('COMMIT');
      }
      expect(Number((await client.query('SELECT count(*) AS n FROM t')).rows[0].n)).toBe(20);
    } finally {
      client.release();
    }
  })();
  await Promise.all([...calls, writer]);
}, 60_000);
