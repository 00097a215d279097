import { describe, expect, it } from 'vitest';
import type { JobView } from '../../src-shared/schemas/jobs';
import {
  DriftWatch,
  driftStatus,
  FULL_CHECK_ROWS,
  KEEP_CLEAN_CHECKS,
  nextCheckAt,
  scheduledMode,
  checksOf,
  staleChecks,
} from '../../src-main/engine/drift/drift-watch';

const NOW = Date.parse('2026-12-08T12:00:00Z');

function check(model: string, createdAt: string, state: JobView['state'], drifted?: number, scheduled = false): JobView {
  return {
    id: `job-${model}-${createdAt}`,
    kind: 'drift.verify',
    title: 'check',
    connectionIds: ['c1'],
    params: { connectionId: 'c1', schema: 'public', model, mode: { kind: 'full' }, ...(scheduled ? { scheduled: true } : {}) },
    state,
    progress: { done: 0 },
    createdAt,
    updatedAt: createdAt,
    hasResumePoint: false,
    ...(drifted === undefined
      ? {}
      : {
          result: {
            connectionId: 'c1',
            schema: 'public',
            model,
            definition: 'builtin',
            mode: { kind: 'full' },
            horizon: '10',
            projector: null,
            rowsChecked: 100,
            counts: { edited: drifted, missing: 0, orphan: 0, staleSkipped: 0 },
            drifted,
            lagging: 0,
            rows: [],
            truncated: false,
            streamIds: [],
            startedAt: createdAt,
            finishedAt: createdAt,
            durationMs: 1,
          },
        }),
  } as JobView;
}

describe('scheduled drift checks', () => {
  it('checks a small model in full and a big one by a bounded sample', () => {
    expect(scheduledMode(FULL_CHECK_ROWS)).toEqual({ kind: 'full' });
    expect(scheduledMode(-1)).toEqual({ kind: 'sample', rows: 1000 });
    expect(scheduledMode(50_000)).toEqual({ kind: 'sample', rows: 1000 });
    expect(scheduledMode(1_000_000)).toEqual({ kind: 'sample', rows: 10_000 });
    expect(scheduledMode(50_000_000)).toEqual({ kind: 'sample', rows: 100_000 });
  });

  it('is due at once when never checked, an interval after the newest check, never while one runs or when off', () => {
    expect(nextCheckAt([], 60, NOW)).toBe(NOW);
    const newest = check('m', '2026-12-08T11:30:00Z', 'done', 0);
    expect(nextCheckAt([newest], 60, NOW)).toBe(Date.parse('2026-12-08T12:30:00Z'));
    expect(nextCheckAt([check('m', '2026-12-08T10:00:00Z', 'done', 0)], 60, NOW)).toBe(NOW);
    expect(nextCheckAt([check('m', '2026-12-08T11:59:00Z', 'running'), newest], 60, NOW)).toBeNull();
    expect(nextCheckAt([], 0, NOW)).toBeNull();
  });

  it('starts the checks that are due, and only those', async () => {
    const jobs = [check('orders_view', '2026-12-08T11:50:00Z', 'done', 0), check('other', '2026-12-08T11:00:00Z', 'done', 0)];
    const started: string[] = [];
    const watch = new DriftWatch({
      everyMinutes: async () => 30,
      connections: async () => ['c1'],
      models: async () => [
        { schema: 'public', model: 'orders_view', rows: 100 },
        { schema: 'public', model: 'accounts_view', rows: 2_000_000 },
      ],
      jobs: async () => jobs,
      startCheck: async (input) => void started.push(`${input.model}:${JSON.stringify(input.mode)}`),
      forget: async () => undefined,
      log: () => undefined,
      now: () => NOW,
    });
    expect(await watch.tick()).toBe(1);
    expect(started).toEqual(['accounts_view:{"kind":"sample","rows":20000}']);
  });

  it('keeps the newest clean scheduled checks, every drifted one and every check run by hand', async () => {
    const hour = (h: number) => new Date(NOW - h * 3_600_000).toISOString();
    const clean = Array.from({ length: KEEP_CLEAN_CHECKS + 6 }, (_, h) => check('m', hour(h + 1), 'done', 0, true));
    const drifted = check('m', hour(100), 'done', 2, true);
    const byHand = check('m', hour(101), 'done', 0);
    const checks = checksOf([...clean, drifted, byHand], 'c1', 'public', 'm');
    expect(staleChecks(checks).map((j) => j.id)).toEqual(clean.slice(KEEP_CLEAN_CHECKS).map((j) => j.id));
    const forgotten: string[] = [];
    const watch = new DriftWatch({
      everyMinutes: async () => 60,
      connections: async () => ['c1'],
      models: async () => [{ schema: 'public', model: 'm', rows: 10 }],
      jobs: async () => [...clean, drifted, byHand],
      startCheck: async () => undefined,
      forget: async (ids) => void forgotten.push(...ids),
      log: () => undefined,
      now: () => NOW,
    });
    await watch.tick();
    expect(forgotten).toHaveLength(6);
  });

  it("says each model's state from its newest checks, a model checked by hand included", async () => {
    const jobs = [
      check('accounts_view', '2026-12-08T11:40:00Z', 'done', 3),
      check('accounts_view', '2026-12-08T11:00:00Z', 'done', 0),
      check('hand_checked', '2026-12-08T11:10:00Z', 'done', 0),
    ];
    const status = await driftStatus(
      {
        everyMinutes: async () => 60,
        models: async () => [{ schema: 'public', model: 'accounts_view', rows: 100 }],
        jobs: async () => jobs,
        now: () => NOW,
      },
      'c1',
    );
    const accounts = status.models.find((m) => m.model === 'accounts_view')!;
    expect(accounts).toMatchObject({ state: 'drifted', last: { drifted: 3, rowsChecked: 100 }, nextCheckAt: '2026-12-08T12:40:00.000Z' });
    expect(accounts.history.map((h) => h.drifted)).toEqual([0, 3]);
    expect(status.models.find((m) => m.model === 'hand_checked')).toMatchObject({ state: 'clean', nextCheckAt: null });
    expect(checksOf(jobs, 'c2', 'public', 'accounts_view')).toEqual([]);
  });
});
