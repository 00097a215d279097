/**
 * Jobs the engine owns: long work (bulk verification, rebuilds, erasure) that
 * runs on in the engine whoever started it, outlives the window or socket that
 * asked for it, and is recorded in the data directory so a restart shows what
 * was running and can resume it from where it stopped (its resume point).
 */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  jobKinds,
  type JobKindSpec,
  type JobKindTable,
  type JobKinds,
  type JobParamsInputOf,
  type JobParamsOf,
  type JobProgressOf,
  type JobResultOf,
} from '../../../src-shared/contract/job-kinds';
import { ChronoError, isAbortError } from '../../../src-shared/errors';
import type { JobView } from '../../../src-shared/schemas/jobs';
import { describeIssues, type FieldProblem } from '../../../src-shared/validate';
import { JobRecords, type JobProgress, type JobRecord } from './job-records';

export type { JobProgress, JobRecord };

export interface JobContext<ResumePoint, Progress extends JobProgress = JobProgress> {
  /** Fires when the job is cancelled or the engine shuts down: stop soon and throw (or return). */
  signal: AbortSignal;
  /** Reports how far the job is; cheap, kept in memory and sent to watchers. */
  progress(progress: Progress): void;
  /**
   * Saves resumable state durably (with the progress so far): after a restart,
   * `jobs.resume` starts the runner again with this state as `resumeFrom`.
   */
  saveResumePoint(state: ResumePoint, progress?: Progress): Promise<void>;
  /** The last resume point saved when the job is resumed; undefined on a fresh start. */
  resumeFrom: ResumePoint | undefined;
}

/** What runs the jobs of one kind; what the kind takes, ends with and whether it writes is its contract (src-shared/contract/job-kinds.ts). */
export interface JobRunner<Params, ResumePoint, Result, Progress extends JobProgress = JobProgress> {
  run(params: Params, context: JobContext<ResumePoint, Progress>): Promise<Result>;
  /** Checks what else must still hold before every run (e.g. an erasure's approvals); throws a ChronoError to refuse. */
  authorize?(params: Params): Promise<void>;
  /** One line about a result, shown in the jobs tray. */
  summarize?(result: Result): string;
}

/**
 * The runners of some kinds of a table, by kind, as a capability hands them to `Jobs.register`.
 * Each runner keeps its own resume state type (`never` here accepts any: see JobContext).
 */
export type JobRunners<T extends JobKindTable = JobKinds> = {
  [K in keyof T]?: JobRunner<JobParamsOf<K, T>, never, JobResultOf<K, T>, JobProgressOf<K, T> & JobProgress>;
};

export type StartJob<T extends JobKindTable = JobKinds> = {
  [K in keyof T & string]: {
    kind: K;
    title: string;
    connectionIds: string[];
    /** Plain settings the runner needs, as the kind's contract declares them; never secrets (they would be written to disk). */
    params: JobParamsInputOf<K, T>;
  };
}[keyof T & string];

export interface JobsOptions<T extends JobKindTable = JobKinds> {
  /** The contract of the kinds (the product's `jobKinds`; tests declare their own). */
  kinds?: T;
  /** Jobs running at once; more wait in `queued`. */
  concurrency?: number;
  now?: () => Date;
  log?: (message: string) => void;
  /** Watchers hear about progress at most this often per job (state changes go out at once). */
  progressIntervalMs?: number;
  /** Finished jobs kept on disk; older ones are forgotten at start. */
  keepFinished?: number;
  /**
   * Hears every params or result refused by the kind's contract (the test harness fails on one, like
   * the dispatcher's output mismatches). When given, each progress report is checked too (reported,
   * never refused): off in the product, where it would parse every report again.
   */
  onContractMismatch?: (mismatch: { kind: string; what: 'params' | 'result' | 'progress'; problems: FieldProblem[] }) => void;
  /** Throws `read_only` for a connection that may not be changed; asked for every connection of a writing job before each run. */
  assertWritable?: (connectionId: string) => Promise<void>;
}

const FINISHED: ReadonlySet<JobRecord['state']> = new Set(['done', 'failed', 'cancelled']);
const SECRET_KEY = /secret|password|token|confirmation|credential/i;
export const INTERRUPTED = 'Interrupted by a restart of Chronoscope: resume it to continue from where it stopped.';

interface Running {
  controller: AbortController;
  settled: Promise<void>;
  cancelRequested: boolean;
}

export class Jobs<T extends JobKindTable = JobKinds> {
  private readonly records: JobRecords;
  private readonly jobs = new Map<string, JobRecord>();
  private readonly contract: T;
  private readonly kinds = new Map<string, JobRunner<never, never, unknown>>();
  private readonly queue: string[] = [];
  private readonly running = new Map<string, Running>();
  private readonly listeners = new Set<(job: JobView) => void>();
  private readonly progressTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly lastProgressSent = new Map<string, number>();
  private readonly concurrency: number;
  private readonly now: () => Date;
  private readonly log: (message: string) => void;
  private readonly progressIntervalMs: number;
  private readonly assertWritable: (connectionId: string) => Promise<void>;
  private readonly onContractMismatch: JobsOptions['onContractMismatch'];
  private disposed = false;
  /** Resolves once the records of earlier runs are loaded. */
  readonly ready: Promise<void>;

  constructor(dir: string, options: JobsOptions<T> = {}) {
    this.records = new JobRecords(dir);
    this.contract = options.kinds ?? (jobKinds as JobKindTable as T);
    this.concurrency = Math.max(1, options.concurrency ?? 2);
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => undefined);
    this.progressIntervalMs = options.progressIntervalMs ?? 100;
    this.assertWritable = options.assertWritable ?? (async () => undefined);
    this.onContractMismatch = options.onContractMismatch;
    this.ready = this.restore(options.keepFinished ?? 200).catch((err: unknown) => this.log(`Jobs of earlier runs not restored: ${(err as Error).message}`));
  }

  /** Takes a capability's runners; every kind must be in the contract, and have one runner. */
  register(runners: JobRunners<T>): void {
    for (const [kind, runner] of Object.entries(runners)) {
      if (!runner) continue;
      if (!this.specOf(kind)) throw new Error(`Job kind ${kind} is not in the job-kind contract`);
      if (this.kinds.has(kind)) throw new Error(`Job kind ${kind} is registered twice`);
      this.kinds.set(kind, runner as JobRunner<never, never, unknown>);
    }
  }

  /** Kinds with a runner. */
  registeredKinds(): string[] {
    return [...this.kinds.keys()];
  }

  /** Kinds of the contract without a runner (the engine refuses to start with any). */
  kindsWithoutRunner(): string[] {
    return Object.keys(this.contract).filter((kind) => !this.kinds.has(kind));
  }

  /** Records the job (durably) and queues it; returns at once, before it runs. */
  async start(request: StartJob<T>): Promise<JobView> {
    await this.ready;
    this.assertOpen();
    if (!this.kinds.has(request.kind)) throw new Error(`Unknown job kind ${request.kind}`);
    const secret = findSecretKey(request.params);
    if (secret) throw new Error(`Job parameters must not hold secrets (${secret}): they are written to the data directory`);
    this.check(request.kind, 'params', request.params);
    await this.authorize({ kind: request.kind, connectionIds: request.connectionIds, params: request.params as Record<string, unknown> });
    const at = this.now().toISOString();
    const record: JobRecord = {
      id: `job-${randomUUID()}`,
      kind: request.kind,
      title: request.title,
      connectionIds: [...request.connectionIds],
      params: structuredClone(request.params) as Record<string, unknown>,
      state: 'queued',
      progress: { done: 0 },
      createdAt: at,
      updatedAt: at,
    };
    this.jobs.set(record.id, record);
    await this.records.save(record);
    this.queue.push(record.id);
    this.changed(record);
    const queued = view(record);
    this.pump();
    return queued;
  }

  async list(): Promise<JobView[]> {
    await this.ready;
    return [...this.jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)).map(view);
  }

  async get(id: string): Promise<JobView> {
    await this.ready;
    return view(this.find(id));
  }

  /**
   * Rewrites a finished job's result (and its summary) when later work made part of it
   * untrue, e.g. a verification's mismatches once those snapshots are regenerated.
   * `amend` returns the new result, or undefined to leave the job as it is. Only a job of `kind` is amended.
   */
  async amendResult<K extends keyof T & string>(id: string, kind: K, amend: (result: JobResultOf<K, T>) => JobResultOf<K, T> | undefined): Promise<void> {
    await this.ready;
    const record = this.jobs.get(id);
    if (!record || record.kind !== kind || record.state !== 'done' || record.result === undefined) return;
    // The stored result was checked against the kind's contract when the job ended.
    const result = amend(structuredClone(record.result) as JobResultOf<K, T>);
    if (result === undefined) return;
    this.check(record.kind, 'result', result);
    await this.transition(record, { result, summary: this.kinds.get(record.kind)?.summarize?.(result as never) ?? record.summary });
  }

  /** Hears every change of every job (progress throttled); returns the unsubscribe. */
  /** Drops finished jobs and their records: a kind started on a schedule keeps its own history short instead of pushing others out. */
  async forget(ids: readonly string[]): Promise<void> {
    await this.ready;
    for (const id of ids) {
      const record = this.jobs.get(id);
      if (!record || !FINISHED.has(record.state)) continue;
      this.jobs.delete(id);
      await this.records.remove(id);
    }
  }

  subscribe(listener: (job: JobView) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Queued and paused jobs stop at once; a running one when its runner sees the signal. */
  async cancel(id: string): Promise<JobView> {
    await this.ready;
    const record = this.find(id);
    if (FINISHED.has(record.state))
      throw new ChronoError('conflict', `The job is already ${record.state}: there is nothing to cancel.`, { state: record.state });
    const running = this.running.get(id);
    if (running) {
      running.cancelRequested = true;
      running.controller.abort();
      await running.settled;
      return view(this.find(id));
    }
    this.dequeue(id);
    await this.transition(record, { state: 'cancelled', finishedAt: this.now().toISOString(), error: undefined });
    return view(record);
  }

  /** A paused or failed job goes back in the queue and continues from its resume point. */
  async resume(id: string): Promise<JobView> {
    await this.ready;
    this.assertOpen();
    const record = this.find(id);
    if (record.state !== 'paused' && record.state !== 'failed') {
      throw new ChronoError('conflict', `Only a paused or failed job can be resumed; this one is ${record.state}.`, { state: record.state });
    }
    if (!this.kinds.has(record.kind))
      throw new ChronoError('unavailable', `This version of Chronoscope cannot run "${record.kind}" jobs, so the job cannot be resumed.`);
    await this.authorize(record);
    await this.transition(record, { state: 'queued', error: undefined, retryable: undefined, finishedAt: undefined });
    this.queue.push(id);
    const queued = view(record);
    this.pump();
    return queued;
  }

  /**
   * Stops every runner without recording it as stopped: the records still say
   * `running`, so the next start shows them paused, ready to resume.
   */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.ready;
    for (const timer of this.progressTimers.values()) clearTimeout(timer);
    this.progressTimers.clear();
    for (const running of this.running.values()) running.controller.abort();
    await Promise.all([...this.running.values()].map((r) => r.settled));
    await this.records.flush();
    this.listeners.clear();
  }

  private async restore(keepFinished: number): Promise<void> {
    const records = await this.records.loadAll((file, err) => this.log(`Job record ${file} is unreadable and was skipped: ${(err as Error).message}`));
    const finished = records.filter((r) => FINISHED.has(r.state)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    for (const old of finished.slice(keepFinished)) await this.records.remove(old.id);
    const dropped = new Set(finished.slice(keepFinished).map((r) => r.id));
    for (const record of records) {
      if (dropped.has(record.id)) continue;
      this.jobs.set(record.id, record);
      if (record.state === 'running' || record.state === 'queued') {
        record.state = 'paused';
        record.error = INTERRUPTED;
        record.updatedAt = this.now().toISOString();
        await this.records.save(record);
      }
    }
  }

  private pump(): void {
    while (!this.disposed && this.running.size < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!;
      const record = this.jobs.get(id);
      if (record?.state === 'queued') this.launch(record);
    }
  }

  private launch(record: JobRecord): void {
    const kind = this.kinds.get(record.kind)!;
    const controller = new AbortController();
    const entry: Running = { controller, cancelRequested: false, settled: Promise.resolve() };
    this.running.set(record.id, entry);
    const context: JobContext<unknown> = {
      signal: controller.signal,
      resumeFrom: record.resumePoint,
      progress: (progress) => {
        this.checkProgress(record.kind, progress);
        this.reportProgress(record, progress);
      },
      saveResumePoint: async (state, progress) => {
        if (this.disposed || controller.signal.aborted) return;
        record.resumePoint = structuredClone(state);
        if (progress) {
          this.checkProgress(record.kind, progress);
          record.progress = { ...progress };
        }
        record.updatedAt = this.now().toISOString();
        await this.records.save(record);
        this.changed(record);
      },
    };
    entry.settled = (async () => {
      await this.transition(record, { state: 'running', startedAt: record.startedAt ?? this.now().toISOString() });
      let outcome: Partial<JobRecord>;
      try {
        if (controller.signal.aborted) throw Object.assign(new Error('The job was stopped before it started.'), { name: 'AbortError' });
        // Again at the moment it runs: a queued job may wait while its profile is made read-only.
        await this.authorize(record);
        const result = await kind.run(record.params as never, context as never);
        if (!entry.cancelRequested) this.check(record.kind, 'result', result);
        outcome = entry.cancelRequested
          ? { state: 'cancelled' }
          : { state: 'done', result, summary: kind.summarize?.(result as never), resumePoint: undefined, error: undefined };
      } catch (err) {
        if (entry.cancelRequested) outcome = { state: 'cancelled' };
        else if (isAbortError(err) || controller.signal.aborted) outcome = { state: 'paused', error: INTERRUPTED };
        else {
          if (!(err instanceof ChronoError) || err.code === 'internal')
            this.log(`Job ${record.id} (${record.kind}) failed: ${(err as Error).stack ?? String(err)}`);
          outcome = { state: 'failed', error: failureMessage(err), ...(isRetryable(err) ? {} : { retryable: false }) };
        }
      }
      this.running.delete(record.id);
      // After dispose the record keeps saying `running`: the next start pauses it.
      if (!this.disposed) {
        await this.transition(record, { ...outcome, ...(outcome.state === 'paused' ? {} : { finishedAt: this.now().toISOString() }) });
        this.pump();
      }
    })().catch((err: unknown) => this.log(`Job ${record.id} could not record its outcome: ${(err as Error).message}`));
  }

  /** The guards a job passes before each run: writable connections for a writing kind, then the kind's own checks. */
  private async authorize(job: Pick<JobRecord, 'kind' | 'connectionIds' | 'params'>): Promise<void> {
    const kind = this.kinds.get(job.kind);
    if (!kind) return;
    if (this.specOf(job.kind)?.writes) for (const connectionId of job.connectionIds) await this.assertWritable(connectionId);
    await kind.authorize?.(job.params as never);
  }

  private specOf(kind: string): JobKindSpec | undefined {
    return Object.prototype.hasOwnProperty.call(this.contract, kind) ? this.contract[kind] : undefined;
  }

  /**
   * Checks a job's params (at start) or result (at its end) against its kind's contract, as
   * written to disk and sent (JSON). A mismatch is Chronoscope's own bug: an internal error,
   * which fails the start, naming the fields (never their values). A result off its contract
   * fails the job only under test (the mismatch hook); in use the job's work is done, so it is logged.
   */
  private check(kind: string, what: 'params' | 'result', value: unknown): void {
    const schema: z.ZodType | undefined = this.specOf(kind)?.[what];
    if (!schema) return;
    const parsed = schema.safeParse(value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
    if (parsed.success) return;
    const issues = describeIssues(parsed.error);
    this.onContractMismatch?.({ kind, what, problems: issues });
    const problems = issues.map((p) => `${p.field}: ${p.message}`).join('; ');
    if (what === 'result' && !this.onContractMismatch) {
      // The job's work is done (its writes committed): failing it would report as lost what happened. Logged, kept.
      this.log(`The result of a "${kind}" job does not match its contract (${problems}): this is a bug in Chronoscope.`);
      return;
    }
    const subject = what === 'params' ? 'The params of a' : 'The result of a';
    // Not retryable: the same run would end the same way.
    throw new ChronoError(
      'internal',
      `${subject} "${kind}" job ${what === 'params' ? 'do' : 'does'} not match its contract (${problems}): this is a bug in Chronoscope.`,
      { kind, mismatch: what, retryable: false },
    );
  }

  private checkProgress(kind: string, progress: JobProgress): void {
    const schema: z.ZodType | undefined = this.onContractMismatch && this.specOf(kind)?.progress;
    const parsed = schema?.safeParse(progress);
    if (parsed && !parsed.success) this.onContractMismatch?.({ kind, what: 'progress', problems: describeIssues(parsed.error) });
  }

  private reportProgress(record: JobRecord, progress: JobProgress): void {
    if (this.disposed) return;
    record.progress = { ...progress };
    const since = Date.now() - (this.lastProgressSent.get(record.id) ?? 0);
    if (since >= this.progressIntervalMs) {
      this.changed(record);
      return;
    }
    if (!this.progressTimers.has(record.id)) {
      this.progressTimers.set(
        record.id,
        setTimeout(() => {
          this.progressTimers.delete(record.id);
          if (!this.disposed) this.changed(record);
        }, this.progressIntervalMs - since),
      );
    }
  }

  private async transition(record: JobRecord, patch: Partial<JobRecord>): Promise<void> {
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) delete (record as unknown as Record<string, unknown>)[key];
      else (record as unknown as Record<string, unknown>)[key] = value;
    }
    record.updatedAt = this.now().toISOString();
    await this.records.save(record);
    this.changed(record);
  }

  private changed(record: JobRecord): void {
    const timer = this.progressTimers.get(record.id);
    if (timer) clearTimeout(timer);
    this.progressTimers.delete(record.id);
    this.lastProgressSent.set(record.id, Date.now());
    const snapshot = view(record);
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch (err) {
        this.log(`A jobs watcher failed: ${(err as Error).message}`);
      }
    }
  }

  private dequeue(id: string): void {
    const index = this.queue.indexOf(id);
    if (index >= 0) this.queue.splice(index, 1);
  }

  private find(id: string): JobRecord {
    const record = this.jobs.get(id);
    if (!record) throw new ChronoError('not_found', `There is no job ${id}: it may have been forgotten after a restart.`, { id });
    return record;
  }

  private assertOpen(): void {
    if (this.disposed) throw new ChronoError('unavailable', 'Chronoscope is shutting down: start the job again after it restarts.');
  }
}

function view(record: JobRecord): JobView {
  const { resumePoint, ...rest } = record;
  return { ...structuredClone(rest), hasResumePoint: resumePoint !== undefined };
}

/** A failure flagged `details.retryable === false` (e.g. a rebuild's rows the table refuses) would recur on a resume. */
function isRetryable(err: unknown): boolean {
  const details = err instanceof ChronoError ? err.details : undefined;
  return !(typeof details === 'object' && details !== null && (details as { retryable?: unknown }).retryable === false);
}

function failureMessage(err: unknown): string {
  if (err instanceof ChronoError) return err.message;
  const message = err instanceof Error ? err.message : String(err);
  return `The job stopped on an unexpected error (${message}). Resume it to try again from where it stopped.`;
}

function findSecretKey(value: unknown, path = ''): string | undefined {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findSecretKey(item, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const here = path ? `${path}.${key}` : key;
    if (SECRET_KEY.test(key)) return here;
    const found = findSecretKey(item, here);
    if (found) return found;
  }
  return undefined;
}
