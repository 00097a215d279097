/**
 * Issue 20.8: a snapshot delete killed between a store delete and its checkpoint,
 * then resumed, must report what the store says is gone, not what the interrupted
 * process remembered (it reported "Deleted 950" with 1,000 gone).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobView } from '../../src-shared/schemas/jobs';
import { Jobs } from '../../src-main/engine/jobs/jobs';
import { DELETE_SNAPSHOTS, deleteSnapshotsJob, type DeleteParams } from '../../src-main/engine/snapshots/change-jobs';
import { ensureReferenceSchema } from '../../src-main/reference/postgres/schema';
import { TableSnapshots } from '../../src-main/stores/postgres/companions/table-snapshots';
import { classicPreset } from '../../src-main/stores/presets/classic';
import type { SnapshotStore } from '../../src-main/stores/ports/snapshot-store';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';

const SELECTED = 1_000;

/** The store as a process sees it that dies (kill -9) right after its `dies`-th delete committed. */
function dyingAfter(store: SnapshotStore, dies: number): SnapshotStore {
  let deleted = 0;
  return Object.assign(Object.create(store) as SnapshotStore, {
    async delete(key: Parameters<SnapshotStore['delete']>[0]) {
      const gone = await store.delete(key);
      if (++deleted === dies) throw new Error('killed -9 right after this delete committed');
      return gone;
    },
  });
}

function jobsOn(dir: string, store: SnapshotStore, batchSize?: number): Jobs {
  const jobs = new Jobs(dir, { progressIntervalMs: 0 });
  jobs.register({
    [DELETE_SNAPSHOTS]: deleteSnapshotsJob({
      snapshots: async () => store,
      replayer: () => Promise.reject(new Error('not used')),
      assertWritable: async () => undefined,
      ...(batchSize ? { batchSize } : {}),
    }),
  });
  return jobs;
}

function settled(jobs: Jobs, id: string): Promise<JobView> {
  const final = (job: JobView) => ['done', 'failed', 'cancelled', 'paused'].includes(job.state);
  return new Promise((resolve) => {
    const stop = jobs.subscribe((job) => job.id === id && final(job) && (stop(), resolve(job)));
    void jobs.get(id).then((job) => final(job) && (stop(), resolve(job)));
  });
}

describe('a resumed snapshot delete reports what the store says is gone', () => {
  let db: TestDatabase;
  let store: SnapshotStore;

  beforeAll(async () => {
    db = await createTestDatabase('delcount');
    await ensureReferenceSchema(db.pool);
    await db.pool.query(
      `INSERT INTO snapshots (aggregate_id, aggregate_type, version, state)
       SELECT 'acc-' || lpad(i::text, 5, '0'), 'Account', 10, jsonb_build_object('n', i) FROM generate_series(1, $1) i
       UNION ALL SELECT 'ord-' || i, 'Order', 10, '{}'::jsonb FROM generate_series(1, 50) i`,
      [SELECTED],
    );
    const layout = classicPreset.companions.snapshots![0]! as Parameters<typeof TableSnapshots.open>[1];
    store = await TableSnapshots.open(db.pool, layout, 'public');
  });

  afterAll(async () => {
    await db?.drop();
  });

  const count = async (type: string) =>
    Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM snapshots WHERE aggregate_type = $1', [type])).rows[0]!.n);

  it('counts the deletes of the batch the crash interrupted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-delcount-'));
    const params: DeleteParams = { connectionId: 'c1', filter: { streamType: 'Account' } };
    const first = jobsOn(dir, dyingAfter(store, 250), 100);
    const job = await first.start({ kind: DELETE_SNAPSHOTS, title: 'Delete Account snapshots', connectionIds: ['c1'], params: { ...params } });
    expect((await settled(first, job.id)).state).toBe('failed');
    await first.dispose();
    expect(await count('Account')).toBe(SELECTED - 250); // two batches checkpointed, half of the third deleted

    // Chronoscope restarts and the job is resumed from its last checkpoint.
    const second = jobsOn(dir, store, 100);
    await second.resume(job.id);
    const done = await settled(second, job.id);
    await second.dispose();
    expect(await count('Account')).toBe(0);
    expect(await count('Order')).toBe(50);
    expect({ state: done.state, result: done.result, summary: done.summary }).toEqual({
      state: 'done',
      result: { changed: SELECTED, missing: 0, failed: 0, failures: [] },
      summary: `Deleted ${SELECTED} snapshots`,
    });
  });

  it('counts a list of keys the same way, the keys already gone as missing', async () => {
    await db.pool.query(
      `INSERT INTO snapshots (aggregate_id, aggregate_type, version, state) SELECT 'cus-' || lpad(i::text, 4, '0'), 'Customer', 3, '{}'::jsonb FROM generate_series(1, 300) i`,
    );
    // 300 stored and 20 that never were, interleaved: batches of 100 keys hold both.
    const keys = Array.from({ length: 320 }, (_, i) => ({
      streamId: i % 16 === 15 ? `gone-${i}` : `cus-${String(i - Math.floor(i / 16) + 1).padStart(4, '0')}`,
      version: 3,
    }));
    const dir = await mkdtemp(join(tmpdir(), 'chrono-delcount-'));
    const first = jobsOn(dir, dyingAfter(store, 150), 100);
    const job = await first.start({ kind: DELETE_SNAPSHOTS, title: 'Delete listed snapshots', connectionIds: ['c1'], params: { connectionId: 'c1', keys } });
    expect((await settled(first, job.id)).state).toBe('failed');
    await first.dispose();
    const second = jobsOn(dir, store, 100);
    await second.resume(job.id);
    const done = await settled(second, job.id);
    await second.dispose();
    expect(await count('Customer')).toBe(0);
    expect(done.result).toEqual({ changed: 300, missing: 20, failed: 0, failures: [] });
  });
});
