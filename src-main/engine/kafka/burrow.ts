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

/** Burrow keeps the last 10 commits of each partition, and the last 10 samples of its end offset. */
export const WINDOW_SIZE = 10;

/*
 * Burrow's rules for one partition, as its evaluator codes them
 * (core/internal/evaluator/caching.go; the names are Burrow's). `window`: the
 * last commits, oldest first; `recentEnds`: the partition's end offset at each
 * of the last samples, oldest first (Burrow's broker offsets).
 */

/** Rule 1: no commit in the window had zero lag. */
export function isLagAlwaysNotZero(window: readonly CommitEntry[]): boolean {
  return window.every((entry) => entry.lag > 0);
}

/** Rule 2: the index of the first commit whose offset went back, or -1. */
export function checkIfOffsetsRewind(window: readonly CommitEntry[]): number {
  for (let i = 1; i < window.length; i += 1) if (window[i]!.offset < window[i - 1]!.offset) return i;
  return -1;
}

/** Rule 2, part 2: after the rewind at `index`, a commit got back to the offset before it (a rebalance replaying a little). */
export function checkIfRewindRecovered(window: readonly CommitEntry[], index: number): boolean {
  const before = window[index - 1]!.offset;
  return window.slice(index).some((entry) => entry.offset >= before);
}

/** Rule 3: the time since the last commit is longer than the window spans. */
export function checkIfOffsetsStopped(window: readonly CommitEntry[], now: number): boolean {
  const first = window[0]!.at;
  const last = window[window.length - 1]!.at;
  return now - last > last - first;
}

/** Rule 4: every commit in the window has the same offset. */
export function checkIfOffsetsStalled(window: readonly CommitEntry[]): boolean {
  return window.every((entry) => entry.offset === window[0]!.offset);
}

/** Rule 5: the lag never went down from one commit to the next. */
export function checkIfLagNotDecreasing(window: readonly CommitEntry[]): boolean {
  return window.every((entry, i) => i === 0 || entry.lag >= window[i - 1]!.lag);
}

/** Holds off STOP: one of the recent end offsets was at or below the last commit, so the group was caught up moments ago. */
export function checkIfRecentLagZero(window: readonly CommitEntry[], recentEnds: readonly number[]): boolean {
  const last = window[window.length - 1]!.offset;
  return recentEnds.some((end) => end <= last);
}

/**
 * Burrow's calculatePartitionStatus: the rules in its order. STOP comes first,
 * because a zero lag somewhere in an old window says nothing about a group
 * that has stopped committing since; a rewind the consumer has already made up
 * does not count; STALL and WARN only for a window whose lag was never zero.
 */
export function calculatePartitionStatus(window: readonly CommitEntry[], recentEnds: readonly number[], currentLag: number, now: number): LagStatus {
  return judge(window, recentEnds, currentLag, now, false).status;
}

/**
 * A partition's status and the reason for it: Burrow's rules on the last
 * WINDOW_SIZE commits and end offsets, each status only once the samples its
 * rule is defined on are there. STALL and WARN speak of the window, so they
 * wait for a full one (the first sample of a lagging group, also after a
 * restart, is no stall); STOP weighs the recent end offsets, so it waits for
 * WINDOW_SIZE of them. A partition whose committed offset lies outside the log is ERR.
 */
export function evaluatePartition(
  window: readonly CommitEntry[],
  recentEnds: readonly number[],
  currentLag: number,
  now: number,
  outOfRange?: string,
): Verdict {
  if (outOfRange) return { status: 'ERR', reason: outOfRange };
  return judge(window.slice(-WINDOW_SIZE), recentEnds.slice(-WINDOW_SIZE), currentLag, now, true);
}

function judge(window: readonly CommitEntry[], recentEnds: readonly number[], currentLag: number, now: number, needSamples: boolean): Verdict {
  if (window.length === 0) return { status: 'OK', reason: currentLag > 0 ? `No commits seen yet; ${currentLag} messages behind.` : 'No commits seen yet.' };
  if (currentLag <= 0) return { status: 'OK', reason: 'Caught up: no lag now.' };
  const first = window[0]!;
  const last = window[window.length - 1]!;
  const commits = plural(window.length, 'commit');
  const quiet = `No commit for ${seconds(now - last.at)}, longer than the last ${commits} span (${seconds(last.at - first.at)})`;
  const collecting = `Collecting samples: ${window.length} of the ${WINDOW_SIZE} commits and ${recentEnds.length} of the ${WINDOW_SIZE} end offsets the rules weigh; ${currentLag} messages behind.`;
  // Why a partition that meets the STOP rule is not STOP (yet), said in place of an OK reason.
  let held: string | undefined;
  if (checkIfOffsetsStopped(window, now)) {
    if (checkIfRecentLagZero(window, recentEnds))
      held = `${quiet}, but the group was at the end of the log within the last ${plural(recentEnds.length, 'sample')}; ${currentLag} messages behind.`;
    else if (needSamples && recentEnds.length < WINDOW_SIZE) held = collecting;
    else return { status: 'STOP', reason: `${quiet}; ${currentLag} messages behind.` };
  }
  const rewind = checkIfOffsetsRewind(window);
  if (rewind > 0 && !checkIfRewindRecovered(window, rewind)) {
    return { status: 'REWIND', reason: `The committed offset went back from ${window[rewind - 1]!.offset} to ${window[rewind]!.offset}.` };
  }
  if (!isLagAlwaysNotZero(window)) return { status: 'OK', reason: held ?? 'The lag was zero within the last commits.' };
  const stalled = checkIfOffsetsStalled(window);
  if ((stalled || checkIfLagNotDecreasing(window)) && needSamples && window.length < WINDOW_SIZE) return { status: 'OK', reason: held ?? collecting };
  if (stalled) return { status: 'STALL', reason: `Commits keep offset ${first.offset} over the last ${commits} while ${currentLag} messages wait.` };
  if (checkIfLagNotDecreasing(window))
    return { status: 'WARN', reason: `Offsets advance but the lag never shrank over the last ${commits} (${first.lag} → ${last.lag}).` };
  return { status: 'OK', reason: held ?? `Consuming: lag went from ${first.lag} to ${last.lag} over the last ${commits}.` };
}

/** Severity order: the group takes its worst partition's status. */
export function worse(a: LagStatus, b: LagStatus): LagStatus {
  return rank(a) >= rank(b) ? a : b;
}

function rank(status: LagStatus): number {
  return LAG_STATUSES.indexOf(status);
}

/**
 * The group's status and reason: its worst partition, named. `uncommitted`:
 * partitions of the group's topics it has no offset for (Kafka lists only
 * committed ones), so the OK sentence counts every partition of its topics.
 */
export function evaluateGroup(
  partitions: readonly (Verdict & { topic: string; partition: number; committed?: string | null })[],
  uncommitted: readonly { topic: string; partition: number }[] = [],
): Verdict {
  let worst: (Verdict & { topic: string; partition: number }) | undefined;
  for (const partition of partitions) if (!worst || rank(partition.status) > rank(worst.status)) worst = partition;
  if (!worst) return { status: 'OK', reason: 'The group has no committed offsets.' };
  if (worst.status === 'OK') return { status: 'OK', reason: okSentence(partitions, uncommitted) };
  const same = partitions.filter((p) => p.status === worst.status).length;
  return { status: worst.status, reason: `${worst.topic}[${worst.partition}]${same > 1 ? ` and ${same - 1} more` : ''}: ${worst.reason}` };
}

/** "All 3 partitions are OK." or, when some have no commit, "2 of 3 partitions are OK; 1 has no commit (orders[2])." */
function okSentence(
  partitions: readonly { topic: string; partition: number; committed?: string | null }[],
  uncommitted: readonly { topic: string; partition: number }[],
): string {
  const none = [...partitions.filter((p) => p.committed === null), ...uncommitted];
  const total = partitions.length + uncommitted.length;
  if (none.length === 0) return total === 1 ? 'The partition is OK.' : `All ${total} partitions are OK.`;
  const names =
    none
      .slice(0, 3)
      .map((p) => `${p.topic}[${p.partition}]`)
      .join(', ') + (none.length > 3 ? ` and ${none.length - 3} more` : '');
  return `${total - none.length} of ${total} partitions are OK; ${none.length} ${none.length === 1 ? 'has' : 'have'} no commit (${names}).`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`;
}
