import type { PartitionLag } from '../../../src-shared/schemas/kafka';
import type { PartitionOffsets } from './cluster';
import { refKey, type MessageRef } from './first-message';

/** Message reads per connection per sampler tick (positions already read cost nothing). */
export const EXACT_FETCHES_PER_TICK = 20;
/** Message reads for the one group a view shows (one Fetch per broker carries up to 64). */
export const EXACT_FETCHES_PER_VIEW = 64;
/** How long a tick or a view waits for them; later answers still fill the cache for the next one. */
export const EXACT_DEADLINE_MS = 1500;
/** A position nobody asked about for this long is forgotten. */
const IDLE_MS = 10 * 60_000;
const MAX_CACHED = 20_000;
/** A position that could not be read (batch over the byte limit, request failed) is tried again after this long. */
const RETRY_MS = 60_000;

/** A partition whose oldest unconsumed message may be read, with what ranks it. */
export interface ExactCandidate extends MessageRef {
  pinned: boolean;
  lag: number;
  /** The interpolated estimate, when there is one. */
  seconds?: number;
}

/**
 * The position to read for a partition's exact lag in seconds: its committed
 * offset, when the group is behind and that offset is still inside the log.
 * Below the log start the message was deleted by retention (and past the end
 * there is none): those keep the interpolated figure.
 */
export function exactPosition(
  p: Pick<PartitionLag, 'topic' | 'partition' | 'committed' | 'lag'>,
  bounds: PartitionOffsets | undefined,
): MessageRef | undefined {
  if (!bounds || p.committed === null || p.lag <= 0) return undefined;
  const offset = Number(p.committed);
  if (offset < bounds.start || offset >= bounds.end) return undefined;
  return { topic: p.topic, partition: p.partition, offset };
}

/**
 * Which positions to read now, at most `budget`, each once however many groups
 * sit on it: positions already known (or being read) are skipped; pinned
 * groups' partitions first, then the longest estimated lag in seconds, then
 * the most messages behind.
 */
export function chooseFetches(candidates: readonly ExactCandidate[], known: (ref: MessageRef) => boolean, budget: number): MessageRef[] {
  const best = new Map<string, ExactCandidate>();
  for (const c of candidates) {
    const key = refKey(c);
    if (known(c)) continue;
    const seen = best.get(key);
    if (!seen || rank(c, seen) < 0) best.set(key, c);
  }
  return [...best.values()]
    .sort(rank)
    .slice(0, Math.max(0, budget))
    .map(({ topic, partition, offset }) => ({ topic, partition, offset }));
}

function rank(a: ExactCandidate, b: ExactCandidate): number {
  return Number(b.pinned) - Number(a.pinned) || (b.seconds ?? -1) - (a.seconds ?? -1) || b.lag - a.lag;
}

export interface ExactLagDeps {
  /** Timestamps (ms) of the first message at or after each position; positions not read are absent. */
  readTimes(connectionId: string, refs: MessageRef[]): Promise<Map<string, number>>;
  deadlineMs?: number;
  log?: (message: string) => void;
}

/** Groups whose partitions' lag in seconds `ExactLag.refine` may make exact. */
export interface GroupPartitions {
  pinned: boolean;
  partitions: PartitionLag[];
}

/**
 * Lag in seconds read exactly where it is cheap: now minus the timestamp of
 * the oldest unconsumed message (the one at the committed offset), read once
 * per (topic, partition, offset) and remembered, so an offset that does not
 * move is not read again. Partitions it could not read keep the interpolated
 * (or extrapolated) figure and say so.
 */
export class ExactLag {
  private readonly times = new Map<string, { at: number; usedAt: number }>();
  private readonly reading = new Set<string>();
  private readonly underWay = new Set<Promise<void>>();
  /** Positions not read, until when they are left alone. */
  private readonly misses = new Map<string, number>();
  /** Positions asked of the brokers so far (a cached position is not asked again). */
  positionsRead = 0;

  constructor(private readonly deps: ExactLagDeps) {}

  /** Replaces the seconds of every partition whose message time is known (reading up to `budget` new ones first). */
  async refine(
    connectionId: string,
    groups: readonly GroupPartitions[],
    ends: Map<string, PartitionOffsets[]>,
    now: number,
    budget = EXACT_FETCHES_PER_TICK,
  ): Promise<void> {
    const targets: { partition: PartitionLag; key: string }[] = [];
    const candidates: ExactCandidate[] = [];
    for (const group of groups) {
      for (const p of group.partitions) {
        const ref = exactPosition(
          p,
          ends.get(p.topic)?.find((b) => b.partition === p.partition),
        );
        if (!ref) continue;
        targets.push({ partition: p, key: this.key(connectionId, ref) });
        candidates.push({ ...ref, pinned: group.pinned, lag: p.lag, ...(p.lagSeconds !== undefined ? { seconds: p.lagSeconds } : {}) });
      }
    }
    const wanted = chooseFetches(candidates, (ref) => this.known(this.key(connectionId, ref), now), budget);
    if (wanted.length) await this.read(connectionId, wanted, now);
    for (const { partition, key } of targets) {
      const known = this.times.get(key);
      if (!known) continue;
      known.usedAt = now;
      partition.lagSeconds = Math.round(Math.max(0, now - known.at) / 100) / 10;
      partition.lagSecondsBasis = 'exact';
    }
    this.evict(now);
  }

  private async read(connectionId: string, refs: MessageRef[], now: number): Promise<void> {
    const keys = refs.map((ref) => this.key(connectionId, ref));
    for (const key of keys) this.reading.add(key);
    this.positionsRead += refs.length;
    const reading = this.deps
      .readTimes(connectionId, refs)
      .then((times) => {
        for (const ref of refs) {
          const time = times.get(refKey(ref));
          if (time !== undefined && time >= 0) this.times.set(this.key(connectionId, ref), { at: time, usedAt: now });
          else this.misses.set(this.key(connectionId, ref), now + RETRY_MS);
        }
      })
      .catch((err: unknown) => {
        for (const key of keys) this.misses.set(key, now + RETRY_MS);
        this.deps.log?.(`Exact lag: messages at committed offsets not read (${(err as Error).message}); lag in seconds stays interpolated.`);
      })
      .finally(() => {
        for (const key of keys) this.reading.delete(key);
        this.underWay.delete(reading);
      });
    this.underWay.add(reading);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([reading, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.deps.deadlineMs ?? EXACT_DEADLINE_MS)))]);
    clearTimeout(timer);
  }

  /** Waits for reads that outlived their deadline, so the clients can close under none. */
  async settle(): Promise<void> {
    await Promise.all([...this.underWay]);
  }

  /** Known, being read, or recently unreadable: not asked again now. */
  private known(key: string, now: number): boolean {
    return this.times.has(key) || this.reading.has(key) || (this.misses.get(key) ?? 0) > now;
  }

  private evict(now: number): void {
    for (const [key, until] of this.misses) if (until <= now) this.misses.delete(key);
    for (const [key, entry] of this.times) if (now - entry.usedAt > IDLE_MS) this.times.delete(key);
    if (this.times.size <= MAX_CACHED) return;
    const oldest = [...this.times].sort((a, b) => a[1].usedAt - b[1].usedAt).slice(0, this.times.size - MAX_CACHED);
    for (const [key] of oldest) this.times.delete(key);
  }

  private key(connectionId: string, ref: MessageRef): string {
    return `${connectionId}\u0000${refKey(ref)}`;
  }
}
