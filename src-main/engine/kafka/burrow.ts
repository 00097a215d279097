import { LAG_STATUSES, type LagStatus } from '../../../src-shared/schemas/kafka';

/** One entry of a partition's window: a commit the group made (offset, when, and the lag at that moment). */
export interface CommitEntry {
  offset: number;
  /** Epoch milliseconds. */
  at: number;
  lag: number;
}

export interface Verdict {
  status: LagStatus;
  reason: string;
}

/** Burrow keeps the last 10 commits of each partition. */
export const WINDOW_SIZE = 10;

/**
 * Burrow's consumer lag evaluation rules for one partition
 * (github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules), applied to
 * the window of its last commits:
 * 1. any zero lag in the window, or no lag now: OK;
 * 2. the offset went backwards: REWIND;
 * 3. no commit for longer than the window spans: STOP;
 * 4. commits that never move the offset: STALL;
 * 5. offsets move but the lag never shrinks: WARN;
 * otherwise OK. A partition whose committed offset lies outside the log is ERR.
 */
export function evaluatePartition(window: readonly CommitEntry[], currentLag: number, now: number, outOfRange?: string): Verdict {
  if (outOfRange) return { status: 'ERR', reason: outOfRange };
  const entries = window.slice(-WINDOW_SIZE);
  if (entries.length === 0) return { status: 'OK', reason: currentLag > 0 ? `No commits seen yet; ${currentLag} messages behind.` : 'No commits seen yet.' };
  if (currentLag <= 0) return { status: 'OK', reason: 'Caught up: no lag now.' };
  if (entries.some((entry) => entry.lag === 0)) return { status: 'OK', reason: 'The lag was zero within the last commits.' };
  const span = entries.length;
  for (let i = 1; i < entries.length; i += 1) {
    if (entries[i]!.offset < entries[i - 1]!.offset) {
      return { status: 'REWIND', reason: `The committed offset went back from ${entries[i - 1]!.offset} to ${entries[i]!.offset}.` };
    }
  }
  const first = entries[0]!;
  const last = entries[entries.length - 1]!;
  if (now - last.at > last.at - first.at) {
    return { status: 'STOP', reason: `No commit for ${seconds(now - last.at)}, longer than the window of ${span} commits spans (${seconds(last.at - first.at)}); ${currentLag} messages behind.` };
  }
  if (entries.every((entry) => entry.offset === first.offset)) {
    return { status: 'STALL', reason: `Commits keep offset ${first.offset} over the last ${span} commits while ${currentLag} messages wait.` };
  }
  if (entries.every((entry, i) => i === 0 || entry.lag >= entries[i - 1]!.lag)) {
    return { status: 'WARN', reason: `Offsets advance but the lag never shrank over the last ${span} commits (${first.lag} → ${last.lag}).` };
  }
  return { status: 'OK', reason: `Consuming: lag went from ${first.lag} to ${last.lag} over the last ${span} commits.` };
}

/** Severity order: the group takes its worst partition's status. */
export function worse(a: LagStatus, b: LagStatus): LagStatus {
  return rank(a) >= rank(b) ? a : b;
}

function rank(status: LagStatus): number {
  return LAG_STATUSES.indexOf(status);
}

/** The group's status and reason: its worst partition, named. */
export function evaluateGroup(partitions: readonly (Verdict & { topic: string; partition: number })[]): Verdict {
  let worst: (Verdict & { topic: string; partition: number }) | undefined;
  for (const partition of partitions) if (!worst || rank(partition.status) > rank(worst.status)) worst = partition;
  if (!worst) return { status: 'OK', reason: 'The group has no committed offsets.' };
  if (worst.status === 'OK') return { status: 'OK', reason: `All ${partitions.length} partitions are OK.` };
  const same = partitions.filter((p) => p.status === worst.status).length;
  return { status: worst.status, reason: `${worst.topic}[${worst.partition}]${same > 1 ? ` and ${same - 1} more` : ''}: ${worst.reason}` };
}

function seconds(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
