import { join } from 'node:path';
import type { CheckpointsListResult } from '../../../src-shared/schemas/checkpoints';
import { SamplingLoop } from '../lag/sampling-loop';
import { readJsonIfExists, writeFileAtomic } from '../util/files';
import type { BoardOptions, CheckpointBoard } from './checkpoint-board';
import type { ProjectorLagHistory } from './lag-history';

/** How often the engine samples the lags of the connections it watches, unless set otherwise. */
export const DEFAULT_SAMPLING_INTERVAL_MS = 5_000;
/** After a failed round, a connection is left alone this long (an unreachable server is not asked every 5 s). */
const BACKOFF_MS = 60_000;

interface Watched extends BoardOptions {
  connectionId: string;
}

export interface SamplerDeps {
  board: CheckpointBoard;
  history: ProjectorLagHistory;
  /** Where the watched connections are kept across restarts. */
  dataDir: string;
  intervalMs?: number;
  /** Whether the profile still exists: a removed one is no longer sampled. */
  exists?: (connectionId: string) => Promise<boolean>;
  log?: (message: string) => void;
  now?: () => number;
}

/**
 * Samples every watched connection's checkpoints in the background and appends
 * each round to the lag history. A connection is watched once its checkpoints
 * were opened (checkpoints.list) and stays watched across restarts until its
 * profile goes. Rounds run one after another: a slow one delays the next
 * instead of piling up.
 */
export class ProjectorLagSampler {
  private readonly watched = new Map<string, Watched>();
  private readonly latestRounds = new Map<string, { result?: CheckpointsListResult; error?: string; failedAt?: number }>();
  private readonly loop: SamplingLoop;
  /** Set by stop(): a round under way leaves its remaining connections. */
  private stopped = false;
  private readonly file: string;
  private interval: number;
  private readonly now: () => number;
  private restored: Promise<void> | undefined;
  /** When the retention last went over every checkpoint's series (those of projectors gone too). */
  private lastCompaction = 0;

  constructor(private readonly deps: SamplerDeps) {
    this.file = join(deps.dataDir, 'checkpoint-history', 'watched.json');
    this.interval = deps.intervalMs ?? DEFAULT_SAMPLING_INTERVAL_MS;
    this.now = deps.now ?? Date.now;
    this.loop = new SamplingLoop({
      round: () => this.sampleOnce(),
      intervalMs: () => this.interval,
      onError: (err) => this.deps.log?.(`Lag sampling failed: ${(err as Error).message}`),
    });
  }

  get intervalMs(): number {
    return this.interval;
  }

  /** A new interval (the Settings screen's): the next round waits that long, counted from now. */
  setIntervalMs(ms: number): void {
    if (ms === this.interval) return;
    this.interval = ms;
    this.loop.intervalChanged();
  }

  /** Restores the watched connections and starts sampling. */
  start(): Promise<void> {
    this.stopped = false;
    this.restored ??= readJsonIfExists<Watched[]>(this.file)
      .then((saved) => {
        for (const w of saved ?? []) if (!this.watched.has(w.connectionId)) this.watched.set(w.connectionId, w);
      })
      .catch((err: unknown) => this.deps.log?.(`Lag sampling: watched connections not restored (${(err as Error).message})`));
    void this.restored.then(() => {
      if (!this.stopped) this.loop.start();
    });
    return this.restored;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
  }

  /** Resolves once the watched connections saved by an earlier run are known. */
  ready(): Promise<void> {
    return this.restored ?? Promise.resolve();
  }

  isWatching(connectionId: string): boolean {
    return this.watched.has(connectionId);
  }

  /** Samples this connection from now on, with these options (the latest list's). */
  async watch(connectionId: string, options: BoardOptions): Promise<void> {
    const before = this.watched.get(connectionId);
    const next: Watched = {
      connectionId,
      stalledAfterSeconds: options.stalledAfterSeconds,
      ...(options.kafkaConnectionId ? { kafkaConnectionId: options.kafkaConnectionId } : {}),
    };
    this.watched.set(connectionId, next);
    if (!before || JSON.stringify(before) !== JSON.stringify(next)) await this.save();
  }

  async unwatch(connectionId: string): Promise<void> {
    this.latestRounds.delete(connectionId);
    if (this.watched.delete(connectionId)) await this.save();
  }

  /** The last round of a connection, as sampled or listed. */
  latest(connectionId: string): { result?: CheckpointsListResult; error?: string } | undefined {
    return this.latestRounds.get(connectionId);
  }

  watchedConnections(): string[] {
    return [...this.watched.keys()];
  }

  /** Remembers a round listed for the screen, so the overview shows it without asking the store again. */
  remember(result: CheckpointsListResult): void {
    this.latestRounds.set(result.connectionId, { result });
  }

  /** One round over every watched connection (the timer's work; tests and the bench call it directly). */
  async sampleOnce(): Promise<void> {
    for (const w of [...this.watched.values()]) {
      if (this.stopped) return;
      const last = this.latestRounds.get(w.connectionId);
      if (last?.failedAt !== undefined && this.now() - last.failedAt < BACKOFF_MS) continue;
      if (this.deps.exists && !(await this.deps.exists(w.connectionId))) {
        await this.unwatch(w.connectionId);
        continue;
      }
      try {
        const result = await this.deps.board.list(w.connectionId, w);
        this.latestRounds.set(w.connectionId, { result });
        await this.deps.history.append(
          w.connectionId,
          result.projectors.flatMap((g) =>
            g.rows.map((row) => ({
              key: { store: row.store, projector: row.projector, source: row.source },
              sample: {
                at: result.at,
                position: row.position,
                head: row.head,
                lagEvents: row.lag?.events ?? null,
                estimated: row.lag?.estimated ?? false,
                lagMs: row.lagMs,
              },
            })),
          ),
        );
      } catch (err) {
        const message = (err as Error).message;
        this.latestRounds.set(w.connectionId, { error: message, failedAt: this.now() });
      }
    }
    const now = this.now();
    if (now - this.lastCompaction > 3_600_000) {
      this.lastCompaction = now;
      await this.deps.history.compact(now).catch((err: unknown) => this.deps.log?.(`Lag history compaction failed: ${(err as Error).message}`));
    }
  }

  private save(): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify([...this.watched.values()], null, 2));
  }
}
