/**
 * The `snapshots.verifyAll` job: every stored snapshot of a connection (or a
 * random sample of them) checked against a replay from the stream's start.
 * Snapshots are read through the preset's SnapshotStore in keyset pages on
 * (stream, version); the cursor of the last one verified is saved as its resume point so a
 * resumed job continues after it. Mismatches are kept with their first diffs.
 */
import type { SnapshotsVerifyAllResult } from '../../../src-shared/schemas/jobs';
import {
  encodeSnapshotCursor,
  notJsonMessage,
  type SnapshotFilter,
  type SnapshotStatePage,
  type SnapshotStore,
  type StoredSnapshot,
} from '../../stores/ports/snapshot-store';
import { diff, type DiffEntry } from '../snapshots/replay-port';
import type { ReplayOutcome, ReplayTarget } from '../snapshots/snapshot-replayer';
import type { JobRunner } from './jobs';
import type { SnapshotVerdicts } from '../time-travel/snapshot-verdicts';

export const VERIFY_ALL_SNAPSHOTS = 'snapshots.verifyAll';

export interface VerifyAllParams {
  connectionId: string;
  definition: string;
  streamPrefix?: string;
  category?: string;
  sampleSize?: number;
  /** Seeds the sample, so a resumed job keeps choosing the same snapshots. */
  sampleSeed?: number;
}

/** What replays the snapshots' streams (a SnapshotReplayer). */
export interface Replayer {
  replay(targets: readonly ReplayTarget[], each: (target: ReplayTarget, outcome: ReplayOutcome) => Promise<void> | void): Promise<void>;
  /** Starts reading what the next `replay` of these very targets needs (optional). */
  prepare?(targets: readonly ReplayTarget[]): void;
  close(): Promise<void>;
}

export interface VerifyAllDeps {
  snapshots(connectionId: string): Promise<SnapshotStore>;
  replayer(connectionId: string, definition: string, signal: AbortSignal): Promise<Replayer>;
  /** Snapshots per page read from the store. */
  pageSize?: number;
  /** Where each snapshot's verdict is remembered, so time travel never starts silently from one known wrong. */
  verdicts?: Pick<SnapshotVerdicts, 'record'>;
}

/** What a resumed job starts from: the cursor after the last snapshot verified and the tallies so far. */
interface VerifyAllResumePoint {
  after: string;
  result: SnapshotsVerifyAllResult;
}

export const MAX_MISMATCHES = 1000;
export const MAX_FAILURES = 100;
const PATHS_PER_MISMATCH = 5;
const DIFFS_PER_MISMATCH = 10;
const VALUE_PREVIEW = 300;

export function verifyAllSnapshotsJob(deps: VerifyAllDeps): JobRunner<VerifyAllParams, VerifyAllResumePoint, SnapshotsVerifyAllResult> {
  const pageSize = deps.pageSize ?? 500;
  return {
    async run(params, context) {
      const store = await deps.snapshots(params.connectionId);
      const filter: SnapshotFilter = {
        ...(params.streamPrefix !== undefined ? { streamPrefix: params.streamPrefix } : {}),
        ...(params.category !== undefined ? { streamType: params.category } : {}),
      };
      const resumed = context.resumeFrom;
      const result: SnapshotsVerifyAllResult = resumed
        ? structuredClone(resumed.result)
        : {
            total: 0,
            verified: 0,
            ok: 0,
            mismatched: 0,
            failed: 0,
            mismatches: [],
            failures: [],
            truncated: false,
            ...(params.sampleSize !== undefined ? { sampleSize: params.sampleSize } : {}),
          };
      // Counted again on resume: snapshots may have been taken meanwhile.
      const stored = await store.count(filter);
      const sample =
        params.sampleSize !== undefined && params.sampleSize < stored
          ? { size: params.sampleSize, rate: params.sampleSize / stored, seed: params.sampleSeed ?? 1 }
          : undefined;
      result.total = Math.max(sample ? sample.size : stored, result.verified);
      let after = resumed?.after;
      let lastStream: string | undefined;
      const progress = () => ({
        done: result.verified,
        total: Math.max(result.total, result.verified),
        ...(lastStream !== undefined ? { message: lastStream } : {}),
      });
      context.progress(progress());
      const replayer = await deps.replayer(params.connectionId, params.definition, context.signal);
      /** A page's snapshots to verify, and the replay targets among them (made once: `prepare` and `replay` get the same array). */
      const plans = new WeakMap<SnapshotStatePage, { chosen: StoredSnapshot[]; targets: StoredSnapshot[] }>();
      const planOf = (page: SnapshotStatePage) => {
        let plan = plans.get(page);
        if (!plan) {
          const chosen = sample ? page.snapshots.filter((s) => sampled(sample.seed, s, sample.rate)).slice(0, sample.size - result.verified) : page.snapshots;
          plan = { chosen, targets: byStreamType(chosen.filter((s) => s.isJson)) };
          plans.set(page, plan);
        }
        return plan;
      };
      const readPage = (cursor: string | undefined) => {
        const read = store.readPage({ ...filter, limit: pageSize, ...(cursor !== undefined ? { after: cursor } : {}) });
        // A whole verification: the page's first events are read as soon as it arrives, while the page before it folds.
        // (A sample's choice depends on how many were verified before it: not planned ahead.)
        if (!sample)
          read.then(
            (page) => replayer.prepare?.(planOf(page).targets),
            () => undefined,
          );
        read.catch(() => undefined); // awaited next turn; never unhandled if the job stops first
        return read;
      };
      let pending = readPage(after);
      try {
        for (;;) {
          if (context.signal.aborted) throw abortError();
          if (sample && result.verified >= sample.size) break;
          const page = await pending;
          // The next page is read while this one is replayed.
          if (page.nextCursor !== null) pending = readPage(page.nextCursor);
          const { chosen, targets } = planOf(page);
          const byKey = new Map(chosen.map((s) => [keyOf(s), s]));
          await replayer.replay(targets, (target, outcome) => {
            const snapshot = byKey.get(keyOf(target))!;
            const ok = record(result, snapshot, outcome);
            if (ok !== undefined && outcome.ok) deps.verdicts?.record(params.connectionId, snapshot, outcome.definition, ok, 'verifyAll');
            lastStream = target.streamId;
            context.progress(progress());
          });
          for (const s of chosen.filter((c) => !c.isJson)) fail(result, s, notJsonMessage(s, store.source()));
          const last = page.snapshots[page.snapshots.length - 1];
          if (last) after = encodeSnapshotCursor(last);
          if (after !== undefined) await context.saveResumePoint({ after, result }, progress());
          if (page.nextCursor === null) break;
        }
      } finally {
        await replayer.close();
      }
      result.total = result.verified;
      return result;
    },
    summarize(result) {
      const parts = [`${result.ok} of ${result.verified} snapshot${result.verified === 1 ? '' : 's'} match a replay`];
      if (result.mismatched > 0) parts.push(`${result.mismatched} differ`);
      if (result.failed > 0) parts.push(`${result.failed} could not be checked`);
      if (result.regeneratedSince) parts.push(`${result.regeneratedSince} regenerated since`);
      if (result.deletedSince) parts.push(`${result.deletedSince} deleted since`);
      return parts.join(', ');
    },
  };
}

/**
 * Snapshots grouped by stream type (a stable sort: each stream's snapshots stay together,
 * in version order), so "auto" switches definitions, and so sandbox workers, once per type
 * in a page rather than at every interleaved stream.
 */
export function byStreamType<T extends { streamType: string | null }>(snapshots: readonly T[]): T[] {
  return [...snapshots].sort((a, b) => ((a.streamType ?? '') < (b.streamType ?? '') ? -1 : (a.streamType ?? '') > (b.streamType ?? '') ? 1 : 0));
}

function keyOf(key: { streamId: string; version: number }): string {
  return `${key.version}\n${key.streamId}`;
}

/** Tallies one outcome; whether the snapshot matched its replay (undefined when it could not be replayed). */
function record(result: SnapshotsVerifyAllResult, snapshot: StoredSnapshot, outcome: ReplayOutcome): boolean | undefined {
  if (!outcome.ok) {
    fail(result, snapshot, outcome.message);
    return undefined;
  }
  result.verified += 1;
  const streamTooShort = outcome.reached < snapshot.version;
  const entries = diff(outcome.state, snapshot.state);
  if (!streamTooShort && entries.length === 0) {
    result.ok += 1;
    return true;
  }
  result.mismatched += 1;
  if (result.mismatches.length >= MAX_MISMATCHES) {
    result.truncated = true;
    return false;
  }
  result.mismatches.push({
    streamId: snapshot.streamId,
    snapshotVersion: snapshot.version,
    differences: entries.length,
    paths: entries.slice(0, PATHS_PER_MISMATCH).map((d) => d.path.join('.')),
    streamTooShort,
    diff: entries.slice(0, DIFFS_PER_MISMATCH).map(previewEntry),
  });
  return false;
}

function fail(result: SnapshotsVerifyAllResult, snapshot: StoredSnapshot, message: string): void {
  result.verified += 1;
  result.failed += 1;
  if (result.failures.length < MAX_FAILURES) result.failures.push({ streamId: snapshot.streamId, snapshotVersion: snapshot.version, message });
  else result.truncated = true;
}

/** A diff entry small enough for the job record: long values become a cut JSON preview. */
function previewEntry(entry: DiffEntry): { path: string; kind: DiffEntry['kind']; before?: unknown; after?: unknown } {
  const preview = (value: unknown): unknown => {
    const text = JSON.stringify(value) ?? 'null';
    return text.length <= VALUE_PREVIEW ? value : `${text.slice(0, VALUE_PREVIEW)}… (${text.length} characters)`;
  };
  return {
    path: entry.path.join('.'),
    kind: entry.kind,
    ...('before' in entry ? { before: preview(entry.before) } : {}),
    ...('after' in entry ? { after: preview(entry.after) } : {}),
  };
}

/** A stable pseudo-random choice per snapshot (FNV-1a of seed, stream and version). */
export function sampled(seed: number, key: { streamId: string; version: number }, rate: number): boolean {
  let h = 0x811c9dc5 ^ seed;
  const text = `${key.streamId}\n${key.version}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) / 0x1_0000_0000 < rate;
}

function abortError(): Error {
  return Object.assign(new Error('The job was stopped.'), { name: 'AbortError' });
}
