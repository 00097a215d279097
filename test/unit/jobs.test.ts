import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobView } from '../../src-shared/schemas/jobs';
import { z } from 'zod';
import { jobProgress } from '../../src-shared/schemas/jobs';
import type { JobKindTable } from '../../src-shared/contract/job-kinds';
import { INTERRUPTED, Jobs, type JobRunner } from '../../src-main/engine/jobs/jobs';
import {
  decodeSnapshotCursor,
  encodeSnapshotCursor,
  type ListSnapshotsOptions,
  type SnapshotFilter,
  type SnapshotStore,
  type StoredSnapshot,
} from '../../src-main/stores/ports/snapshot-store';
import { byStreamType, verifyAllSnapshotsJob } from '../../src-main/engine/jobs/verify-all-snapshots';
import type { ReplayOutcome } from '../../src-main/engine/snapshots/snapshot-replayer';

/** The contract of the test's kinds: `count` counts to `items`. */
const testKinds = {
  count: {
    summary: 'Count to a number',
    params: z.strictObject({ items: z.number(), fail: z.number().optional(), nested: z.record(z.string(), z.unknown()).optional() }),
    progress: jobProgress,
    result: z.object({ processed: z.number() }),
    invalidates: [],
  },
} satisfies JobKindTable;

/**
 * A job that counts to `params.items`, one item per `step()` the test allows,
 * saving the next item as its resume point after each; it records which items it processed.
 */
function steppedKind() {
  const processed: number[] = [];
  let allow: (() => void)[] = [];
  let credits = 0;
  const waiters: { item: number; resolve: () => void }[] = [];
  const next = (item: number) =>
    new Promise<void>((resolve) => {
      for (const w of waiters.filter((w) => w.item === item)) w.resolve();
      if (credits > 0) {
        credits -= 1;
        resolve();
      } else allow.push(resolve);
    });
  const kind: JobRunner<{ items: number; fail?: number }, { next: number }, { processed: number }> = {
    async run(params, context) {
      let item = context.resumeFrom?.next ?? 0;
      while (item < params.items) {
        const stopped = () => Object.assign(new Error('stopped'), { name: 'AbortError' });
        if (context.signal.aborted) throw stopped();
        await Promise.race([next(item), new Promise((_, reject) => context.signal.addEventListener('abort', () => reject(stopped()), { once: true }))]);
        if (params.fail === item) throw new Error('disk on fire');
        processed.push(item);
        item += 1;
        context.progress({ done: item, total: params.items });
        await context.saveResumePoint({ next: item }, { done: item, total: params.items });
      }
      return { processed: params.items };
    },
    summarize: (result) => `${result.processed} items`,
  };
  return {
    kind,
    processed,
    /** Resolves when the runner waits to process `item` (everything before it saved). */
    waitingAt: (item: number) => new Promise<void>((resolve) => waiters.push({ item, resolve })),
    step(n = 1) {
      for (let i = 0; i < n; i++) {
        const resolve = allow.shift();
        if (resolve) resolve();
        else credits += 1;
      }
    },
    reset() {
      allow = [];
      credits = 0;
    },
  };
}

function waitFor(jobs: Jobs<typeof testKinds>, id: string, predicate: (job: JobView) => boolean): Promise<JobView> {
  return new Promise((resolve, reject) => {
    const unsubscribe = jobs.subscribe((job) => {
      if (job.id === id && predicate(job)) {
        unsubscribe();
        resolve(job);
      }
    });
    jobs.get(id).then((job) => {
      if (predicate(job)) {
        unsubscribe();
        resolve(job);
      }
    }, reject);
  });
}

describe('Jobs', () => {
  const open: Jobs<typeof testKinds>[] = [];
  const create = (dir: string, concurrency = 2) => {
    const jobs = new Jobs(dir, { kinds: testKinds, concurrency, progressIntervalMs: 0 });
    open.push(jobs);
    return jobs;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((j) => j.dispose()));
  });
  /** Jobs on `dir` (a fresh directory unless given) with the stepped `count` kind registered. */
  const counting = async ({ concurrency, dir }: { concurrency?: number; dir?: string } = {}) => {
    const where = dir ?? (await mkdtemp(join(tmpdir(), 'chrono-jobs-')));
    const jobs = create(where, concurrency);
    const stepped = steppedKind();
    jobs.register({ count: stepped.kind });
    return { dir: where, jobs, stepped };
  };
  const count = (jobs: Jobs<typeof testKinds>, title: string, params: { items: number; fail?: number }, connectionIds: string[] = []) =>
    jobs.start({ kind: 'count', title, connectionIds, params });

  it('runs a job from queued to done, with progress and a summary, and records it durably', async () => {
    const { dir, jobs, stepped } = await counting();
    const seen: string[] = [];
    jobs.subscribe((job) => seen.push(job.state));
    const started = await count(jobs, 'Count to 3', { items: 3 }, ['c1']);
    expect(started.state).toBe('queued');
    stepped.step(3);
    const done = await waitFor(jobs, started.id, (j) => j.state === 'done');
    expect(done).toMatchObject({ progress: { done: 3, total: 3 }, result: { processed: 3 }, summary: '3 items', connectionIds: ['c1'], hasResumePoint: false });
    expect(done.startedAt).toBeDefined();
    expect(done.finishedAt).toBeDefined();
    expect(seen[0]).toBe('queued');
    expect(seen).toContain('running');
    expect(seen.at(-1)).toBe('done');
    const file = JSON.parse(await readFile(join(dir, `${started.id}.json`), 'utf8')) as { state: string; params: unknown };
    expect(file).toMatchObject({ state: 'done', params: { items: 3 } });
  });

  it('queues jobs beyond its concurrency and starts them as others finish', async () => {
    const { jobs, stepped } = await counting({ concurrency: 1 });
    const first = await count(jobs, 'a', { items: 1 });
    const second = await count(jobs, 'b', { items: 1 });
    await waitFor(jobs, first.id, (j) => j.state === 'running');
    expect((await jobs.get(second.id)).state).toBe('queued');
    stepped.step();
    await waitFor(jobs, first.id, (j) => j.state === 'done');
    await waitFor(jobs, second.id, (j) => j.state === 'running');
    stepped.step();
    await waitFor(jobs, second.id, (j) => j.state === 'done');
    expect((await jobs.list()).map((j) => j.id).sort()).toEqual([first.id, second.id].sort());
  });

  it('cancels a running job and a queued one; a finished job cannot be cancelled', async () => {
    const { jobs, stepped } = await counting({ concurrency: 1 });
    const running = await count(jobs, 'a', { items: 5 });
    const queued = await count(jobs, 'b', { items: 5 });
    await waitFor(jobs, running.id, (j) => j.state === 'running');
    expect((await jobs.cancel(queued.id)).state).toBe('cancelled');
    stepped.step();
    await waitFor(jobs, running.id, (j) => j.progress.done === 1);
    expect((await jobs.cancel(running.id)).state).toBe('cancelled');
    expect(stepped.processed).toEqual([0]);
    await expect(jobs.cancel(running.id)).rejects.toMatchObject({ code: 'conflict' });
    await expect(jobs.resume(running.id)).rejects.toMatchObject({ code: 'conflict' });
    await expect(jobs.cancel('job-nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('records a failure with its message and keeps its resume point for a resume', async () => {
    const { jobs, stepped } = await counting();
    const job = await count(jobs, 'a', { items: 4, fail: 2 });
    stepped.step(3);
    const failed = await waitFor(jobs, job.id, (j) => j.state === 'failed');
    expect(failed.error).toContain('disk on fire');
    expect(failed.hasResumePoint).toBe(true);
    expect(stepped.processed).toEqual([0, 1]);
  });

  it('shows jobs interrupted by a restart as paused, and resumes them from their resume point', async () => {
    const { dir, jobs: before, stepped } = await counting({ concurrency: 1 });
    const job = await count(before, 'a', { items: 5 }, ['c1']);
    const waiting = await count(before, 'b', { items: 1 });
    const atThird = stepped.waitingAt(2);
    stepped.step(2);
    await atThird;
    // The process dies: no dispose, the records say running and queued.
    const { jobs: after, stepped: again } = await counting({ concurrency: 1, dir });
    const paused = await after.get(job.id);
    expect(paused).toMatchObject({ state: 'paused', error: INTERRUPTED, progress: { done: 2, total: 5 }, hasResumePoint: true });
    expect((await after.get(waiting.id)).state).toBe('paused');
    await before.dispose();

    await after.resume(job.id);
    again.step(3);
    const done = await waitFor(after, job.id, (j) => j.state === 'done');
    expect(again.processed).toEqual([2, 3, 4]);
    expect(done.error).toBeUndefined();
    expect(done.hasResumePoint).toBe(false);
  });

  it('resumes a job recorded by an earlier version, whose resume point was called its checkpoint', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-jobs-'));
    const at = '2026-11-30T10:00:00.000Z';
    const legacy = {
      id: 'job-legacy',
      kind: 'count',
      title: 'old',
      connectionIds: [],
      params: { items: 5 },
      state: 'running',
      progress: { done: 2, total: 5 },
      createdAt: at,
      updatedAt: at,
      startedAt: at,
      checkpoint: { next: 2 },
    };
    await writeFile(join(dir, 'job-legacy.json'), JSON.stringify(legacy));
    const { jobs, stepped } = await counting({ dir });
    expect(await jobs.get('job-legacy')).toMatchObject({ state: 'paused', error: INTERRUPTED, hasResumePoint: true });
    await jobs.resume('job-legacy');
    stepped.step(3);
    await waitFor(jobs, 'job-legacy', (j) => j.state === 'done');
    expect(stepped.processed).toEqual([2, 3, 4]);
    const stored = JSON.parse(await readFile(join(dir, 'job-legacy.json'), 'utf8')) as Record<string, unknown>;
    expect(stored).toMatchObject({ state: 'done', result: { processed: 5 } });
    expect(Object.keys(stored)).not.toContain('checkpoint');
  });

  it('leaves running jobs recorded as running when disposed, so the next start offers to resume them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-jobs-'));
    const first = new Jobs(dir, { kinds: testKinds, progressIntervalMs: 0 });
    const stepped = steppedKind();
    first.register({ count: stepped.kind });
    const job = await first.start({ kind: 'count', title: 'a', connectionIds: [], params: { items: 3 } });
    stepped.step();
    await waitFor(first, job.id, (j) => j.progress.done === 1);
    await first.dispose();
    expect(JSON.parse(await readFile(join(dir, `${job.id}.json`), 'utf8'))).toMatchObject({ state: 'running', resumePoint: { next: 1 } });
    const second = create(dir);
    second.register({ count: steppedKind().kind });
    expect((await second.get(job.id)).state).toBe('paused');
    await expect(first.start({ kind: 'count', title: 'late', connectionIds: [], params: { items: 1 } })).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('refuses parameters that look like secrets, before writing anything', async () => {
    const { dir, jobs } = await counting();
    await expect(jobs.start({ kind: 'count', title: 'a', connectionIds: [], params: { items: 1, nested: { password: 'x' } } })).rejects.toThrow(
      /nested\.password/,
    );
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  });
});

describe('the snapshots.verifyAll job', () => {
  const ids = Array.from({ length: 23 }, (_, i) => `s-${String(i).padStart(2, '0')}`);
  /** Snapshots in memory, one per stream at version 7, paged like the real adapters; records every page read. */
  function snapshotStore() {
    const reads: (string | undefined)[] = [];
    const all: StoredSnapshot[] = ids.map((streamId, i) => ({
      streamId,
      version: 7,
      streamType: 'Account',
      takenAt: null,
      sizeBytes: 10,
      schemaVersion: null,
      state: streamId === 's-03' ? { n: -1 } : streamId === 's-05' ? { text: '<xml/>' } : { n: i },
      isJson: streamId !== 's-05',
    }));
    const matching = (filter: SnapshotFilter) => all.filter((s) => s.streamId.startsWith(filter.streamPrefix ?? ''));
    const store = {
      source: () => 'memory.snapshots',
      count: async (filter: SnapshotFilter) => matching(filter).length,
      readPage: async (options: ListSnapshotsOptions) => {
        reads.push(options.after);
        const after = options.after ? decodeSnapshotCursor(options.after).streamId : undefined;
        const rest = matching(options).filter((s) => after === undefined || s.streamId > after);
        const page = rest.slice(0, options.limit ?? 100);
        return { snapshots: page, nextCursor: rest.length > page.length ? encodeSnapshotCursor(page[page.length - 1]!) : null };
      },
    } as unknown as SnapshotStore;
    return { store, reads };
  }
  /** What a replay of a stream answers by default: the state its snapshot should hold. */
  const replayOf = (streamId: string): ReplayOutcome => ({ ok: true, state: { n: ids.indexOf(streamId) }, reached: 7, definition: 'account' });
  /** The job over `store` in pages of 5, each stream it replays pushed to `replayed` and answered by `answer`. */
  const verifyJob = (store: SnapshotStore, replayed: string[], answer = replayOf) =>
    verifyAllSnapshotsJob({
      snapshots: async () => store,
      pageSize: 5,
      replayer: async () => ({
        close: async () => undefined,
        replay: async (targets, each) => {
          for (const t of targets) {
            replayed.push(t.streamId);
            await each(t, answer(t.streamId));
          }
        },
      }),
    });

  it('verifies page by page, resumes after the last page saved, and tallies mismatches with diffs and failures', async () => {
    const replayed: string[] = [];
    const { store, reads } = snapshotStore();
    const job = verifyJob(store, replayed, (streamId) => (streamId === 's-04' ? { ok: false, message: 'handler threw at line 3' } : replayOf(streamId)));
    const resumePoints: unknown[] = [];
    const controller = new AbortController();
    const context = {
      signal: controller.signal,
      resumeFrom: undefined as never,
      progress: () => undefined,
      saveResumePoint: async (state: unknown) => {
        resumePoints.push(structuredClone(state));
        if (resumePoints.length === 2) controller.abort();
      },
    };
    await expect(job.run({ connectionId: 'c', definition: 'auto' }, context)).rejects.toMatchObject({ name: 'AbortError' });
    const last = resumePoints.at(-1) as { after: string };
    expect(decodeSnapshotCursor(last.after).streamId).toBe('s-09');
    expect(replayed).toEqual(ids.slice(0, 10).filter((id) => id !== 's-05'));

    replayed.length = 0;
    const result = await job.run(
      { connectionId: 'c', definition: 'auto' },
      { ...context, signal: new AbortController().signal, resumeFrom: last as never, saveResumePoint: async () => undefined },
    );
    expect(replayed).toEqual(ids.slice(10));
    expect(reads).toContain(last.after);
    expect(result).toMatchObject({ total: 23, verified: 23, ok: 20, mismatched: 1, failed: 2, truncated: false });
    expect(result.mismatches).toEqual([
      {
        streamId: 's-03',
        snapshotVersion: 7,
        differences: 1,
        paths: ['n'],
        streamTooShort: false,
        diff: [{ path: 'n', kind: 'changed', before: 3, after: -1 }],
      },
    ]);
    expect(result.failures).toEqual([
      { streamId: 's-04', snapshotVersion: 7, message: 'handler threw at line 3' },
      { streamId: 's-05', snapshotVersion: 7, message: expect.stringContaining('is not JSON') },
    ]);
    expect(job.summarize!(result)).toBe('20 of 23 snapshots match a replay, 1 differ, 2 could not be checked');
  });

  it('verifies a stable random sample of the size asked for', async () => {
    const { store } = snapshotStore();
    const seen: string[][] = [];
    const run = async () => {
      const replayed: string[] = [];
      const job = verifyJob(store, replayed);
      const result = await job.run(
        { connectionId: 'c', definition: 'auto', sampleSize: 8, sampleSeed: 42 },
        { signal: new AbortController().signal, resumeFrom: undefined, progress: () => undefined, saveResumePoint: async () => undefined },
      );
      seen.push(replayed);
      return result;
    };
    const result = await run();
    await run();
    expect(result.verified).toBeLessThanOrEqual(8);
    expect(result.verified).toBeGreaterThan(2);
    expect(result.sampleSize).toBe(8);
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]!.length).toBeLessThan(ids.length);
  });
});

describe('byStreamType', () => {
  it('groups snapshots by type, each stream kept together and in version order', () => {
    const s = (streamId: string, version: number, streamType: string | null) => ({ streamId, version, streamType });
    const page = [
      s('a', 1, 'Order'),
      s('a', 2, 'Order'),
      s('b', 1, 'Account'),
      s('c', 3, null),
      s('d', 1, 'Order'),
      s('e', 1, 'Account'),
      s('e', 2, 'Account'),
    ];
    expect(byStreamType(page).map((x) => `${x.streamId}@${x.version}`)).toEqual(['c@3', 'b@1', 'e@1', 'e@2', 'a@1', 'a@2', 'd@1']);
  });
});
