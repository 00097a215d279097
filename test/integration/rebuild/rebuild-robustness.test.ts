import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { userReadModel } from '../../../src-main/engine/definitions';
import { readRebuild } from '../../../src-main/engine/rebuild/postgres-target';
import { DefinitionFailure } from '../../../src-main/engine/rebuild/read-model';
import { rebuildPostgres } from '../../../src-main/engine/rebuild/rebuild-postgres';
import { swapPostgres } from '../../../src-main/engine/rebuild/swap-postgres';
import type { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { PROJECTOR, seedReferenceStore, tableChecksum, referenceCheckpoints } from './support';

let database: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  database = await createTestDatabase('rebuildkill');
  store = await seedReferenceStore(database.pool, 20_000, 11);
});

afterAll(async () => {
  await store?.close();
  await database?.drop();
});

/** Runs the rebuild in a child process and kills it with SIGKILL after `batches` committed batches. */
function killAfter(id: string, model: string, batches: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'rebuild-child.ts'), database.url, id, model], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let seen = 0;
    let last = '0';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        const match = /^position (\d+)$/.exec(line);
        if (!match) continue;
        last = match[1]!;
        if (++seen === batches) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) =>
      signal === 'SIGKILL' ? resolve(last) : reject(new Error(`the rebuild ended before it was killed (${code}): ${stderr}`)),
    );
  });
}

describe('a rebuild that is killed, fails or is swapped under readers', () => {
  it('resumes after kill -9 at random points to the same checksum as an uninterrupted rebuild', async () => {
    const whole = await rebuildPostgres({
      pool: database.pool,
      feed: store,
      id: 'whole',
      model: 'accounts_view',
      definition: REFERENCE_POSTGRES_MODELS['accounts_view']!,
    });
    const expected = await tableChecksum(database.pool, whole.shadow, 'account_id');
    for (const run of [1, 2, 3]) {
      const id = `killed${run}`;
      const killedAt = await killAfter(id, 'accounts_view', 1 + Math.floor(Math.random() * 8));
      const saved = (await readRebuild(database.pool, id))!;
      expect(saved.phase).toBe('loading');
      expect(BigInt(saved.position)).toBeGreaterThanOrEqual(BigInt(killedAt)); // the batch in flight may have committed
      expect(BigInt(saved.position)).toBeLessThan(BigInt(saved.horizon!));
      const resumed = await rebuildPostgres({
        pool: database.pool,
        feed: store,
        id,
        model: 'accounts_view',
        definition: REFERENCE_POSTGRES_MODELS['accounts_view']!,
      });
      expect(await tableChecksum(database.pool, resumed.shadow, 'account_id')).toBe(expected);
    }
  });

  it('stops on a definition that throws, names the event, and leaves the live model untouched', async () => {
    const live = await tableChecksum(database.pool, 'accounts_view', 'account_id');
    const definition = await userReadModel(
      'fragile',
      `definition = {
        name: 'fragile',
        handles: { types: ['AccountOpened', 'MoneyDeposited'] },
        key: (e) => e.streamId,
        apply(row, e) {
          if (e.type === 'MoneyDeposited' && e.data.amountCents % 7 === 3) throw new Error('cannot take ' + e.data.amountCents);
          return { account_id: e.streamId, owner_id: 'o', currency: 'EUR', balance_cents: 0, status: 'open', version: e.version, updated_at: e.timestamp };
        },
      };`,
    );
    const failure = await rebuildPostgres({ pool: database.pool, feed: store, id: 'fragile', model: 'accounts_view', definition }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DefinitionFailure);
    const event = (failure as DefinitionFailure).event;
    expect(event.type).toBe('MoneyDeposited');
    expect((failure as Error).message).toMatch(
      new RegExp(`MoneyDeposited #${event.version} of stream ${event.streamId} \\(global position ${event.position}\\): Error: cannot take \\d+`),
    );
    const { rows } = await database.pool.query<{ amount: number }>(
      `SELECT (event_data->>'amountCents')::int AS amount FROM events WHERE global_position = $1`,
      [event.position],
    );
    expect(rows[0]!.amount % 7).toBe(3);
    expect(await tableChecksum(database.pool, 'accounts_view', 'account_id')).toBe(live);
    expect((await readRebuild(database.pool, 'fragile'))!.phase).toBe('loading');
  });

  it('never shows a reader fewer rows while the swap renames the tables', async () => {
    const before = Number((await database.pool.query<{ n: string }>('SELECT count(*) AS n FROM orders_view')).rows[0]!.n);
    const record = await rebuildPostgres({
      pool: database.pool,
      feed: store,
      id: 'readers',
      model: 'orders_view',
      definition: REFERENCE_POSTGRES_MODELS['orders_view']!,
    });
    let stop = false;
    const counts: number[] = [];
    const reader = (async () => {
      while (!stop) counts.push(Number((await database.pool.query<{ n: string }>('SELECT count(*) AS n FROM orders_view')).rows[0]!.n));
    })();
    await new Promise((r) => setTimeout(r, 30));
    await swapPostgres({
      pool: database.pool,
      feed: store,
      id: record.id,
      definition: REFERENCE_POSTGRES_MODELS['orders_view']!,
      projector: { name: PROJECTOR, source: 'events' },
      checkpoints: await referenceCheckpoints(database.pool),
    });
    const afterSwap = counts.length;
    while (counts.length < afterSwap + 5) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await reader;
    expect(counts.length).toBeGreaterThan(afterSwap);
    expect(Math.min(...counts)).toBe(before);
    expect((await database.pool.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'orders_view' ORDER BY 1`)).rows.map((r) => r.indexname)).toEqual([
      'orders_view_customer_idx',
      'orders_view_pkey',
    ]);
  });
});
