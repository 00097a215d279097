import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { rebuildPartialPostgres, swapPartialPostgres } from '../../../src-main/engine/rebuild/partial-postgres';
import { readRebuild } from '../../../src-main/engine/rebuild/postgres-target';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { seedReferenceStore, tableChecksum } from './support';

const definition = REFERENCE_POSTGRES_MODELS['accounts_view']!;
let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase('partialkill');
  store = await seedReferenceStore(database.pool, 20_000, 13);
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

/** Runs the partial rebuild in a child process and kills it with SIGKILL once it has written `groups` groups of streams. */
function killAfter(id: string, streamIds: readonly string[], groups: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'partial-rebuild-child.ts'), database.url, id, 'accounts_view', ...streamIds], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = 0;
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (/^group \d+$/.test(line) && ++seen === groups) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`the repair ended before it was killed (${code}): ${stderr}`))));
  });
}

describe('a drift repair (partial rebuild) killed with kill -9', () => {
  it('leaves the live model untouched, and resumed gives the rows an uninterrupted repair gives, which the swap puts in place', async () => {
    const { rows } = await database.pool.query<{ id: string }>('SELECT account_id AS id FROM accounts_view ORDER BY account_id');
    const streams = rows.map((r) => r.id);
    expect(streams.length).toBeGreaterThan(400); // more than two groups of 200 streams: the kill lands between groups
    const drifted = [streams[3]!, streams[250]!, streams[streams.length - 1]!];
    await database.pool.query('UPDATE accounts_view SET balance_cents = balance_cents + 999 WHERE account_id = ANY($1)', [drifted]);
    const liveBefore = await tableChecksum(database.pool, 'accounts_view', 'account_id');

    const whole = await rebuildPartialPostgres({ pool: database.pool, feed: store, id: 'whole', model: 'accounts_view', definition, streamIds: streams });
    const expected = await tableChecksum(database.pool, whole.shadow, 'account_id');

    await killAfter('killed', streams, 1);
    const saved = (await readRebuild(database.pool, 'killed'))!;
    expect(saved.phase).toBe('loading'); // never marked loaded: its shadow is not used
    expect(await tableChecksum(database.pool, 'accounts_view', 'account_id')).toBe(liveBefore);

    // Resumed without its stream list: the scope recorded with the shadow says which streams.
    const resumed = await rebuildPartialPostgres({ pool: database.pool, feed: store, id: 'killed', model: 'accounts_view', definition });
    expect(resumed.phase).toBe('indexed');
    expect(await tableChecksum(database.pool, resumed.shadow, 'account_id')).toBe(expected);

    await swapPartialPostgres({ pool: database.pool, feed: store, id: 'killed', definition });
    const { rows: fixed } = await database.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM accounts_view l JOIN ${whole.shadow} s USING (account_id) WHERE to_jsonb(l) = to_jsonb(s)`,
    );
    expect(Number(fixed[0]!.n)).toBe(streams.length);
  }, 120_000);
});
