/**
 * Scheduled drift checks: every read model with a built-in definition, on the event-store
 * connections in use, is checked against the log in the background at the interval of the
 * Settings (a sample; every row of a small model), so corruption shows the day it starts.
 * Each check is an ordinary `drift.verify` job: its report, its repair and the Jobs tray are
 * the manual check's, and a manual check counts as the model's latest check too.
 * The drift status and its history are read from those jobs.
 */
import type { JobView } from '../../../src-shared/schemas/jobs';
import type { DriftReport, DriftVerifyParams } from './verify-job';

/** A model of this many rows or fewer is checked in full (a few seconds); a bigger one by a sample. */
export const FULL_CHECK_ROWS = 5_000;
/** A sample's share of a bigger model, within the bounds below. */
const SAMPLE_FRACTION = 0.01;
const SAMPLE_MIN_ROWS = 1_000;
const SAMPLE_MAX_ROWS = 100_000;
/** How often the watch looks for checks that are due (the interval itself is in minutes). */
const TICK_MS = 30_000;
/** Clean scheduled checks kept per model (a day of hourly checks for the chart); drifted ones and checks run by hand are kept. */
export const KEEP_CLEAN_CHECKS = 24;
const KEEP_FAILED_CHECKS = 3;
/** The first look after start: long enough for the connection's first screens to load first. */
const FIRST_TICK_MS = 10_000;

export interface WatchedModel {
  schema: string;
  model: string;
  /** Live rows (an estimate; -1 unknown). */
  rows: number;
}

export interface DriftWatchDeps {
  everyMinutes(): Promise<number>;
  /** Event-store connections in use this session (their scope is open). */
  connections(): Promise<string[]>;
  /** The connection's read models with a built-in definition. */
  models(connectionId: string): Promise<WatchedModel[]>;
  jobs(): Promise<JobView[]>;
  startCheck(input: { connectionId: string; schema: string; model: string; mode: DriftVerifyParams['mode']; scheduled: true }): Promise<unknown>;
  /** Drops finished jobs (the scheduled clean checks past the newest few). */
  forget(ids: readonly string[]): Promise<void>;
  log(message: string): void;
  now?(): number;
}

type DriftJob = JobView & { kind: 'drift.verify'; params: DriftVerifyParams; result?: DriftReport };

const isDriftJob = (job: JobView): job is DriftJob => job.kind === 'drift.verify';
const isActive = (job: JobView) => job.state === 'queued' || job.state === 'running';

/** The checks of one model, newest first. */
export function checksOf(jobs: readonly JobView[], connectionId: string, schema: string, model: string): DriftJob[] {
  return jobs.filter(isDriftJob).filter((j) => j.params.connectionId === connectionId && j.params.model === model && j.params.schema === schema);
}

/** Scheduled checks past the newest few of the model that found nothing, or failed (checks are newest first). */
export function staleChecks(checks: readonly DriftJob[]): DriftJob[] {
  const scheduled = checks.filter((j) => j.params.scheduled);
  const clean = scheduled.filter((j) => j.state === 'done' && j.result?.drifted === 0).slice(KEEP_CLEAN_CHECKS);
  // A model whose check keeps failing (a replica refusing the temporary table, a dropped table) keeps its newest failures only.
  const failed = scheduled.filter((j) => j.state === 'failed').slice(KEEP_FAILED_CHECKS);
  return [...clean, ...failed];
}

/** What a scheduled check of a model of `rows` rows verifies. */
export function scheduledMode(rows: number): DriftVerifyParams['mode'] {
  if (rows >= 0 && rows <= FULL_CHECK_ROWS) return { kind: 'full' };
  return { kind: 'sample', rows: Math.min(SAMPLE_MAX_ROWS, Math.max(SAMPLE_MIN_ROWS, Math.ceil(rows * SAMPLE_FRACTION))) };
}

/** When the model's next check is due: its newest check's start plus the interval (now when it was never checked); null when off or one runs. */
export function nextCheckAt(checks: readonly JobView[], everyMinutes: number, now: number): number | null {
  if (everyMinutes <= 0 || checks.some(isActive)) return null;
  const newest = checks[0];
  return newest ? Math.max(now, new Date(newest.createdAt).getTime() + everyMinutes * 60_000) : now;
}

export class DriftWatch {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ticking = false;
  private stopped = false;

  constructor(private readonly deps: DriftWatchDeps) {}

  start(): void {
    this.schedule(FIRST_TICK_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () =>
        void this.tick()
          .catch((err: unknown) => this.deps.log(`Scheduled drift checks skipped this round: ${(err as Error).message}`))
          .finally(() => this.schedule(TICK_MS)),
      ms,
    );
    this.timer.unref?.();
  }

  /** Starts the checks that are due; one failing connection does not hold back the others. Returns how many were started. */
  async tick(): Promise<number> {
    if (this.ticking) return 0;
    this.ticking = true;
    let started = 0;
    try {
      const every = await this.deps.everyMinutes();
      if (every <= 0) return 0;
      const now = this.deps.now?.() ?? Date.now();
      const jobs = await this.deps.jobs();
      for (const connectionId of await this.deps.connections()) {
        try {
          for (const m of await this.deps.models(connectionId)) {
            const checks = checksOf(jobs, connectionId, m.schema, m.model);
            await this.deps.forget(staleChecks(checks).map((j) => j.id));
            const due = nextCheckAt(checks, every, now);
            if (due === null || due > now) continue;
            await this.deps.startCheck({ connectionId, schema: m.schema, model: m.model, mode: scheduledMode(m.rows), scheduled: true });
            started += 1;
          }
        } catch (err) {
          this.deps.log(`Scheduled drift check of ${connectionId} not started: ${(err as Error).message}`);
        }
      }
    } finally {
      this.ticking = false;
    }
    return started;
  }
}

/** How many past checks a model's status charts. */
const HISTORY_CHECKS = 200;

/** The drift status of a connection's watched models, from their checks (scheduled or manual). */
export async function driftStatus(deps: Pick<DriftWatchDeps, 'everyMinutes' | 'models' | 'jobs' | 'now'>, connectionId: string) {
  const [every, models, jobs] = await Promise.all([deps.everyMinutes(), deps.models(connectionId), deps.jobs()]);
  const now = deps.now?.() ?? Date.now();
  const known = new Map(models.map((m) => [`${m.schema}.${m.model}`, m]));
  // A model checked by hand is listed too, with or without a built-in definition.
  for (const job of jobs.filter(isDriftJob).filter((j) => j.params.connectionId === connectionId)) {
    const key = `${job.params.schema}.${job.params.model}`;
    if (!known.has(key)) known.set(key, { schema: job.params.schema, model: job.params.model, rows: -1 });
  }
  return {
    everyMinutes: every,
    models: [...known.values()].map((m) => {
      const checks = checksOf(jobs, connectionId, m.schema, m.model);
      const done = checks.filter((j) => j.state === 'done' && j.result);
      const last = done[0];
      const running = checks.find(isActive);
      const failed = checks[0]?.state === 'failed' ? checks[0] : undefined;
      const next = known.has(`${m.schema}.${m.model}`) && models.includes(m) ? nextCheckAt(checks, every, now) : null;
      const report = last?.result;
      return {
        schema: m.schema,
        model: m.model,
        state: running
          ? ('checking' as const)
          : !report
            ? failed
              ? ('failed' as const)
              : ('unchecked' as const)
            : report.drifted > 0
              ? ('drifted' as const)
              : ('clean' as const),
        ...(report
          ? {
              last: {
                jobId: last.id,
                finishedAt: report.finishedAt,
                mode: report.mode.kind,
                rowsChecked: report.rowsChecked,
                drifted: report.drifted,
                lagging: report.lagging,
                counts: report.counts,
              },
            }
          : {}),
        ...(running ? { runningJobId: running.id } : {}),
        ...(failed?.error ? { error: failed.error } : {}),
        nextCheckAt: next === null ? null : new Date(next).toISOString(),
        history: done
          .slice(0, HISTORY_CHECKS)
          .reverse()
          .map((j) => ({ at: j.result!.finishedAt, rowsChecked: j.result!.rowsChecked, drifted: j.result!.drifted })),
      };
    }),
  };
}
