import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresLiveModel } from '../../../src-main/engine/drift/postgres-model';
import { freshPoint, runFull, type FullResumePoint, type VerifyRun } from '../../../src-main/engine/drift/verify-job';
import { LocalWorkspace } from '../../../src-main/engine/local-workspace/local-workspace';
import { REFERENCE_POSTGRES_MODELS } from '../../../src-main/engine/local-workspace/reference-read-models';
import { rebuildPartialPostgres, swapPartialPostgres } from '../../../src-main/engine/rebuild/partial-postgres';
import { DRIFTED_MODEL, LiveDemo } from '../../../src-main/reference/demo/live-demo';
import { seedDemoWorkspace } from '../../../src-main/reference/demo/seed-demo';
import { readPostgresCheckpoint } from '../../../src-main/reference/projectors/checkpoints';
import { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { classicPreset } from '../../../src-main/stores/presets/classic';
import { referenceCheckpoints } from '../rebuild/support';

// The demo where users meet it: the Local workspace (PGlite), its live demo writing and projecting while the model is verified.
let workspace: LocalWorkspace;
let pool: pg.Pool;
let demo: LiveDemo | undefined;
let store: PostgresEventStore;
const definition = REFERENCE_POSTGRES_MODELS[DRIFTED_MODEL]!;

beforeAll(async () => {
  workspace = new LocalWorkspace(await mkdtemp(join(tmpdir(), 'chrono-drift-demo-')), async (endpoint, _report, options) => {
    const seedPool = new pg.Pool({ ...endpoint, max: 1 });
    await seedDemoWorkspace(seedPool, { events: 2_000 });
    await seedPool.end();
    pool = new pg.Pool({ ...endpoint, max: 4 });
    demo = new LiveDemo(pool, { commandsPerSecond: 20, lagBehindMs: 3_000, paused: options.paused });
    await demo.start();
    return { status: () => demo!.status(), setPaused: (paused) => void demo!.setPaused(paused), stop: () => demo!.stop() };
  });
  await workspace.start();
  store = await PostgresEventStore.open(pool, classicPreset.mapping());
}, 300_000);

afterAll(async () => {
  await workspace?.stop();
  await pool?.end();
});

async function verifyAll(): Promise<FullResumePoint['tally']> {
  const live = await postgresLiveModel(pool, 'public', DRIFTED_MODEL);
  const checkpoint = async () => {
    const at = await readPostgresCheckpoint(pool, DRIFTED_MODEL, 'events');
    return at === null ? null : BigInt(at);
  };
  const run: VerifyRun = {
    params: { connectionId: 'local', schema: 'public', model: DRIFTED_MODEL, mode: { kind: 'full' } },
    live,
    store,
    definition,
    batch: { live, feed: store, definition, checkpoint },
    context: { signal: new AbortController().signal, progress: () => undefined, saveResumePoint: async () => undefined, resumeFrom: undefined },
  };
  const point: FullResumePoint = freshPoint();
  await runFull(run, point);
  return point.tally;
}

describe('the demo workspace’s deliberately drifted rows', () => {
  it('are found while the demo writes and projects, told apart from lag, and repaired exactly', async () => {
    const drifted = demo!.status().driftedRows!;
    expect(drifted).toMatchObject({ model: DRIFTED_MODEL });
    const [edited, deleted, orphan] = drifted.keys as [string, string, string];
    expect(orphan).toBe('acct-orphan-demo');
    const tally = await verifyAll();
    expect(tally.rows.map((r) => [r.key, r.kind]).sort()).toEqual(
      [
        [edited, 'edited'],
        [deleted, 'missing'],
        [orphan, 'orphan'],
      ].sort(),
    );
    expect(tally.rows.find((r) => r.key === edited)!.fields.map((f) => f.field)).toEqual(['balance_cents']);

    // Repaired through a partial rebuild of exactly those streams, with the demo paused (its projectors keep running).
    demo!.setPaused(true);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await rebuildPartialPostgres({ pool, feed: store, id: 'driftdemo', model: DRIFTED_MODEL, definition, streamIds: tally.streamIds });
    await swapPartialPostgres({
      pool,
      feed: store,
      id: 'driftdemo',
      definition,
      projector: { name: DRIFTED_MODEL, source: 'events' },
      checkpoints: await referenceCheckpoints(pool),
    });
    const after = await verifyAll();
    expect(after.rows).toEqual([]);
  }, 300_000);
});
