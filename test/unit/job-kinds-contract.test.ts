import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jobKinds, staleAfterJob, type JobKindTable } from '../../src-shared/contract/job-kinds';
import { isOperationName } from '../../src-shared/operations';
import { jobProgress, type JobView } from '../../src-shared/schemas/jobs';
import { createEngine, type Engine } from '../../src-main/engine/engine';
import { Jobs } from '../../src-main/engine/jobs/jobs';

const kinds = {
  sum: {
    summary: 'Add two numbers',
    params: z.strictObject({ a: z.number(), b: z.number() }),
    progress: jobProgress,
    result: z.object({ total: z.number() }),
    invalidates: [],
  },
} satisfies JobKindTable;

function settled(jobs: Jobs<typeof kinds>, id: string): Promise<JobView> {
  const final = (job: JobView) => ['done', 'failed', 'cancelled'].includes(job.state);
  return new Promise((resolve) => {
    const stop = jobs.subscribe((job) => job.id === id && final(job) && (stop(), resolve(job)));
    void jobs.get(id).then((job) => final(job) && (stop(), resolve(job)));
  });
}

describe('the job-kind contract', () => {
  const open: { dispose(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.dispose()));
  });

  it('has a runner in the engine for every kind, and the engine runs no kind it does not declare', async () => {
    const engine: Engine = createEngine({
      dataDir: await mkdtemp(join(tmpdir(), 'chrono-jobkinds-')),
      mode: 'browser',
      log: () => undefined,
      env: {},
      sampleLags: false,
    });
    open.push(engine);
    expect(engine.jobs.registeredKinds().sort()).toEqual(Object.keys(jobKinds).sort());
    expect(engine.jobs.kindsWithoutRunner()).toEqual([]);
  });

  it('names only operations in what a kind invalidates', () => {
    for (const kind of Object.keys(jobKinds)) for (const op of staleAfterJob(kind)) expect(isOperationName(op), `${kind} invalidates ${op}`).toBe(true);
    expect(staleAfterJob('a.kind.of.an.older.version')).toEqual([]);
  });

  it('refuses to register a runner for a kind it does not declare', async () => {
    const jobs = new Jobs(await mkdtemp(join(tmpdir(), 'chrono-jobkinds-')), { kinds });
    open.push(jobs);
    expect(jobs.kindsWithoutRunner()).toEqual(['sum']);
    expect(() => jobs.register({ product: { run: async () => ({ total: 0 }) } } as never)).toThrow(/product is not in the job-kind contract/);
  });

  it('refuses to start a job whose params do not match its kind, and writes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-jobkinds-'));
    const jobs = new Jobs(dir, { kinds });
    open.push(jobs);
    jobs.register({ sum: { run: async ({ a, b }) => ({ total: a + b }) } });
    await expect(jobs.start({ kind: 'sum', title: 'bad', connectionIds: [], params: { a: 1, b: 'two' } as never })).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/params of a "sum" job do not match its contract \(b: /),
    });
    expect(await readdir(dir).catch(() => [])).toEqual([]);
    const good = await jobs.start({ kind: 'sum', title: 'good', connectionIds: [], params: { a: 1, b: 2 } });
    expect(await settled(jobs, good.id)).toMatchObject({ state: 'done', result: { total: 3 } });
  });

  it('fails a job whose result does not match its kind, without keeping the result, and not as retryable', async () => {
    const logged: string[] = [];
    const reported: unknown[] = [];
    const jobs = new Jobs(await mkdtemp(join(tmpdir(), 'chrono-jobkinds-')), {
      kinds,
      progressIntervalMs: 0,
      log: (m) => logged.push(m),
      onContractMismatch: (m) => reported.push(m),
    });
    open.push(jobs);
    jobs.register({ sum: { run: async ({ a, b }) => ({ total: `${a + b}` }) as never } });
    const job = await jobs.start({ kind: 'sum', title: 'wrong result', connectionIds: [], params: { a: 1, b: 2 } });
    const failed = await settled(jobs, job.id);
    expect(failed).toMatchObject({
      state: 'failed',
      retryable: false,
      error: expect.stringMatching(/result of a "sum" job does not match its contract \(total: /),
    });
    expect(failed.result).toBeUndefined();
    expect(logged.join('\n')).toMatch(/does not match its contract/);
    expect(reported).toEqual([{ kind: 'sum', what: 'result', problems: [{ field: 'total', message: expect.any(String) }] }]);
  });

  it('in use (no mismatch hook), keeps a finished job done when its result is off its kind (its work is done), and logs the bug', async () => {
    const logged: string[] = [];
    const jobs = new Jobs(await mkdtemp(join(tmpdir(), 'chrono-jobkinds-')), { kinds, progressIntervalMs: 0, log: (m) => logged.push(m) });
    open.push(jobs);
    jobs.register({ sum: { run: async ({ a, b }) => ({ total: `${a + b}` }) as never } });
    const job = await jobs.start({ kind: 'sum', title: 'wrong result', connectionIds: [], params: { a: 1, b: 2 } });
    expect(await settled(jobs, job.id)).toMatchObject({ state: 'done', result: { total: '3' } });
    expect(logged.join('\n')).toMatch(/result of a "sum" job does not match its contract \(total: /);
  });

  it("reports a progress off its kind's contract when asked to check (tests), without stopping the job", async () => {
    const reported: unknown[] = [];
    const jobs = new Jobs(await mkdtemp(join(tmpdir(), 'chrono-jobkinds-')), { kinds, progressIntervalMs: 0, onContractMismatch: (m) => reported.push(m) });
    open.push(jobs);
    jobs.register({
      sum: {
        run: async ({ a, b }, context) => {
          context.progress({ done: 'half' as never });
          return { total: a + b };
        },
      },
    });
    const job = await jobs.start({ kind: 'sum', title: 'odd progress', connectionIds: [], params: { a: 1, b: 2 } });
    expect(await settled(jobs, job.id)).toMatchObject({ state: 'done', result: { total: 3 } });
    expect(reported).toEqual([{ kind: 'sum', what: 'progress', problems: [{ field: 'done', message: expect.any(String) }] }]);
  });
});
