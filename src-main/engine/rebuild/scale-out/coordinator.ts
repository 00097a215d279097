/**
 * The coordinator of a scale-out rebuild (runs in the engine, as the rebuild job):
 * creates the partitioned replay topic, publishes the feed to it, starts N worker
 * processes in one consumer group (Kafka assigns them the partitions and moves
 * them when a worker dies), reports published / applied, and once every partition
 * is applied up to the end of what was published, builds the shadow's indexes and
 * marks it ready: the diff, swap and roll back are the single-process ones.
 * Cancelling kills the workers and stops the publisher; running it again resumes
 * both from what the target database recorded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import type pg from 'pg';
import { ChronoError } from '../../../../src-shared/errors';
import { RebuildCancelled, settledHead, type RebuildFeed } from '../feed-fold';
import { buildShadowIndexes, readRebuild, updateRebuild, type RebuildRecord } from '../postgres-target';
import type { ReadModelDefinition } from '../read-model';
import { scaleOutProgress } from './bookkeeping';
import { ensureScaleOut, markFinished, readPartitions, readScaleOut, restartPublishing, type ScaleOutRecord } from './offsets-store';
import { publishFeed } from './publisher';
import type { WorkerConfig } from './worker-config';

export interface ScaleOutProgressReport {
  phase: 'publishing' | 'applying' | 'indexing';
  published: number;
  publishedDone: boolean;
  applied: number;
  /** Published, not yet applied (null until the topic's ends are read). */
  behind: number | null;
  workers: number;
  eventsPerSecond: number;
}

export interface ScaleOutOptions {
  pool: pg.Pool;
  feed: RebuildFeed;
  /** The Kafka cluster the replay topic lives on (the coordinator's admin and producer). */
  kafka: Kafka;
  /** What each worker process is given on its standard input (minus the rebuild id). */
  workerConfig: Omit<WorkerConfig, 'rebuildId'>;
  id: string;
  definition: ReadModelDefinition;
  workers: number;
  /** Partitions of the replay topic (default: twice the workers, so more workers can join later). */
  partitions?: number;
  signal?: AbortSignal;
  onProgress?(progress: ScaleOutProgressReport): void;
  /** Starts one worker process (tests and the packaged app may start it differently). */
  spawnWorker?(): ChildProcess;
  /** Restarts allowed per worker slot after a crash that is not the definition's fault. */
  maxRestarts?: number;
  pollMs?: number;
}

/**
 * The worker's entry: the source file beside this module (run through tsx, as
 * `bun run rebuild:worker` does), or the bundle electron-vite builds next to the
 * main process (`out/main/rebuild-worker.js`). Null when neither is there.
 */
export function workerEntry(): { script: string; tsx: boolean } | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const source = join(here, 'worker-main.ts');
  if (existsSync(source)) return { script: source, tsx: true };
  for (const bundled of [join(here, 'rebuild-worker.js'), join(here, '..', 'rebuild-worker.js')])
    if (existsSync(bundled)) return { script: bundled, tsx: false };
  return null;
}

export const WORKER_MISSING =
  'This build of Chronoscope does not ship the scale-out worker: rebuild in one process, or start workers with `bun run rebuild:worker` from the source tree.';

/** Starts a worker process with this process's runtime (Electron's binary runs as Node with ELECTRON_RUN_AS_NODE). */
export function spawnWorkerScript(): ChildProcess {
  const entry = workerEntry();
  if (!entry) throw new ChronoError('unavailable', WORKER_MISSING);
  let root = dirname(entry.script);
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  return spawn(process.execPath, [...(entry.tsx ? ['--import', 'tsx'] : []), entry.script], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
}

interface Slot {
  child: ChildProcess | null;
  restarts: number;
  stopping: boolean;
}

/** Worker processes of one run: started, restarted after a crash, stopped. A fatal report fails the run. */
class WorkerFleet {
  private readonly slots: Slot[] = [];
  private failure: Error | null = null;
  private onFailure: (err: Error) => void = () => undefined;
  readonly failed = new Promise<never>((_, reject) => (this.onFailure = reject));

  constructor(
    private readonly config: WorkerConfig,
    private readonly spawnWorker: () => ChildProcess,
    private readonly maxRestarts: number,
  ) {
    this.failed.catch(() => undefined);
  }

  start(count: number): void {
    for (let i = 0; i < count; i++) {
      const slot: Slot = { child: null, restarts: 0, stopping: false };
      this.slots.push(slot);
      this.launch(slot, i);
    }
  }

  get running(): number {
    return this.slots.filter((s) => s.child !== null).length;
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.onFailure(err);
  }

  private launch(slot: Slot, index: number): void {
    const child = this.spawnWorker();
    slot.child = child;
    let fatal: string | null = null;
    let stderr = '';
    let lastFailure = '';
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const report = JSON.parse(line) as { event?: string; fatal?: boolean; message?: string };
          if (report.event === 'failed') {
            lastFailure = report.message ?? '';
            if (report.fatal) fatal = lastFailure;
          }
        } catch {
          // not a report line
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.on('error', (err) => this.fail(new ChronoError('unavailable', `The scale-out worker could not be started: ${err.message}`)));
    child.on('exit', (code, signal) => {
      slot.child = null;
      if (slot.stopping || this.failure) return;
      if (fatal) return this.fail(new ChronoError('definition_error', fatal));
      if (code === 0) return; // it saw the rebuild finished
      if (slot.restarts >= this.maxRestarts) {
        return this.fail(
          new ChronoError(
            'unavailable',
            `Scale-out worker ${index + 1} stopped ${slot.restarts + 1} times (last: ${signal ?? `exit ${code}`}${lastFailure ? `, ${lastFailure}` : stderr ? `, ${stderr.trim().split('\n').pop()}` : ''}). Check that Kafka and the database are reachable, then resume the rebuild.`,
          ),
        );
      }
      slot.restarts++;
      setTimeout(() => {
        if (!slot.stopping && !this.failure) this.launch(slot, index);
      }, 500);
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify(this.config));
  }

  /** SIGTERM (the worker leaves the group cleanly), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.stopping = true;
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

async function topicEnds(admin: ReturnType<Kafka['admin']>, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

/**
 * A resumed run whose replay topic is gone (deleted by hand, or by retention):
 * publish everything again from the start. The partitions' offsets start over; the
 * positions they applied are kept, so nothing already in the shadow is applied twice.
 */
async function restartPublishingIfLost(pool: pg.Pool, scale: ScaleOutRecord): Promise<boolean> {
  const started = scale.publishedPosition !== '0' || (await readPartitions(pool, scale.rebuildId)).some((p) => p.nextOffset > 0n);
  if (started) await restartPublishing(pool, scale.rebuildId);
  return started;
}

/** Runs (or resumes) a scale-out rebuild until the shadow is indexed. */
export async function rebuildScaleOut(options: ScaleOutOptions): Promise<RebuildRecord> {
  const { pool, feed, kafka, id, definition, signal } = options;
  let record = await readRebuild(pool, id);
  if (!record) throw new ChronoError('not_found', `There is no rebuild ${id} on this connection.`);
  if (record.phase !== 'loading') return record;
  if (record.horizon === null) {
    const horizon = await settledHead(feed, signal);
    await updateRebuild(pool, id, { horizon });
    record = { ...record, horizon };
  }
  const horizon = record.horizon!;
  let scale: ScaleOutRecord = await ensureScaleOut(pool, id, options.partitions ?? Math.max(2, options.workers * 2));
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const fleet = new WorkerFleet({ ...options.workerConfig, rebuildId: id }, options.spawnWorker ?? spawnWorkerScript, options.maxRestarts ?? 3);
  const publishing = new AbortController();
  const stopPublishing = () => publishing.abort();
  signal?.addEventListener('abort', stopPublishing, { once: true });
  try {
    await admin.connect();
    const created = await admin.createTopics({ topics: [{ topic: scale.topic, numPartitions: scale.partitions }], waitForLeaders: true });
    if (created && (await restartPublishingIfLost(pool, scale))) scale = (await readScaleOut(pool, id))!;
    await producer.connect();
    const published = publishFeed({ pool, feed, producer, record: scale, handles: definition.handles, horizon, signal: publishing.signal });
    published.catch(() => undefined);
    fleet.start(options.workers);
    const started = performance.now();
    const appliedAtStart = (await readPartitions(pool, id)).reduce((sum, p) => sum + p.events, 0);
    let publishedDone = false;
    published.then(
      () => (publishedDone = true),
      () => undefined,
    );
    for (;;) {
      if (signal?.aborted) throw new RebuildCancelled();
      // A publisher or worker failure ends the wait at once.
      await Promise.race([sleep(options.pollMs ?? 250, signal), fleet.failed, ...(publishedDone ? [] : [published])]);
      const done = publishedDone;
      const [partitions, state, now] = await Promise.all([readPartitions(pool, id), readScaleOut(pool, id), readRebuild(pool, id)]);
      if (now?.phase !== 'loading')
        throw new ChronoError(
          'conflict',
          `Rebuild ${id} was ${now ? now.phase.replace('_', ' ') : 'removed'} while its workers were loading it: there is nothing left to load.`,
        );
      const ends = await topicEnds(admin, scale.topic);
      const progress = scaleOutProgress(partitions, ends, done);
      const seconds = (performance.now() - started) / 1000;
      options.onProgress?.({
        phase: done ? 'applying' : 'publishing',
        published: state?.publishedEvents ?? 0,
        publishedDone: done,
        applied: progress.applied,
        behind: progress.behind,
        workers: fleet.running,
        eventsPerSecond: seconds > 0 ? Math.round((progress.applied - appliedAtStart) / seconds) : 0,
      });
      // A cancel asked for while this reading was taken wins, even over a load that just completed.
      if (signal?.aborted) throw new RebuildCancelled();
      if (progress.complete) break;
    }
    await markFinished(pool, id); // workers still polling leave by themselves
    await fleet.stop();
    const applied = (await readPartitions(pool, id)).reduce((sum, p) => sum + p.events, 0);
    await updateRebuild(pool, id, { position: horizon, events: applied });
    options.onProgress?.({ phase: 'indexing', published: applied, publishedDone: true, applied, behind: 0, workers: 0, eventsPerSecond: 0 });
    await buildShadowIndexes(pool, (await readRebuild(pool, id))!);
    // The replay topic and group served their purpose; a failure to delete them leaves only clutter.
    await admin.deleteTopics({ topics: [scale.topic] }).catch(() => undefined);
    await admin.deleteGroups([scale.groupId]).catch(() => undefined);
    return (await readRebuild(pool, id))!;
  } finally {
    signal?.removeEventListener('abort', stopPublishing);
    publishing.abort();
    await fleet.stop();
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
