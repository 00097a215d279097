/**
 * The jobs that change a store's snapshots: delete and regenerate (replay with a
 * definition and overwrite in the store's own format). Both walk their selection
 * in keyset batches (a filter's pages, or a list of keys) and save a resume point after
 * each batch, so a job interrupted by a crash resumes after the last batch done.
 */
import { ChronoError } from '../../../src-shared/errors';
import type { SnapshotsChangeJobResult } from '../../../src-shared/schemas/snapshots';
import {
  encodeSnapshotCursor,
  isEmptyFilter,
  notJsonMessage,
  type SnapshotFilter,
  type SnapshotKey,
  type SnapshotStore,
  type StoredSnapshot,
} from '../../stores/ports/snapshot-store';
import type { JobContext, JobRunner } from '../jobs/jobs';
import { byStreamType, type Replayer } from '../jobs/verify-all-snapshots';
import { translateCompanionError } from '../checkpoints/companion-ports';
import type { SettleVerifications } from './settle-verifications';

export const DELETE_SNAPSHOTS = 'snapshots.delete';
export const REGENERATE_SNAPSHOTS = 'snapshots.regenerate';

/** A filter, or the keys of the snapshots (those a verification found wrong). */
export type ChangeScope = { filter: SnapshotFilter; keys?: undefined } | { keys: SnapshotKey[]; filter?: undefined };

export type DeleteParams = ChangeScope & { connectionId: string };
export type RegenerateParams = ChangeScope & { connectionId: string; definition: string };

/** Where a walk is: after a filter's page (its cursor), or at a list's index. */
interface WalkPosition {
  after?: string;
  index?: number;
}

/** After a filter's page (its cursor) or a list's index, with the tallies so far. */
interface ChangeResumePoint extends WalkPosition {
  result: SnapshotsChangeJobResult;
  /**
   * A delete batch under way: the snapshots it selected (each existed then) and where
   * the walk goes on after it. Saved before the batch deletes anything, so a job
   * killed midway recounts the batch from the store when it resumes.
   */
  inFlight?: WalkPosition & { keys: SnapshotKey[]; missing: number };
}

export interface ChangeJobDeps {
  snapshots(connectionId: string): Promise<SnapshotStore>;
  replayer(connectionId: string, definition: string, signal: AbortSignal): Promise<Replayer>;
  /** Throws `read_only` when the profile became read-only (a resumed job is not guarded by the dispatcher). */
  assertWritable(connectionId: string): Promise<void>;
  /** Snapshots per batch. */
  batchSize?: number;
  /** Told after each batch which snapshots were changed, so finished verifications stop counting them. */
  settle?: SettleVerifications;
}

const MAX_FAILURES = 100;

export function refuseEmptyFilter(filter: SnapshotFilter): void {
  if (isEmptyFilter(filter))
    throw new ChronoError(
      'invalid_input',
      'Say which snapshots: a stream type, a prefix, an age, a version or a size (an empty filter would select every snapshot).',
    );
}

/**
 * Runs `work` over the scope's snapshots, one batch at a time, saving a resume point after each.
 * `announce`, when given, names the batch's snapshots to save as in flight
 * before `work` changes them (deletion: see ChangeResumePoint.inFlight).
 */
async function walk(
  store: SnapshotStore,
  scope: ChangeScope,
  batchSize: number,
  context: JobContext<ChangeResumePoint>,
  result: SnapshotsChangeJobResult,
  work: (batch: StoredSnapshot[] | SnapshotKey[]) => Promise<void>,
  announce?: (batch: StoredSnapshot[] | SnapshotKey[]) => Promise<SnapshotKey[]>,
  resumeAt: WalkPosition | undefined = context.resumeFrom,
): Promise<void> {
  const done = () => ({ done: result.changed + result.missing + result.failed });
  const run = async (batch: StoredSnapshot[] | SnapshotKey[], at: WalkPosition, next: WalkPosition, progress: { done: number; total?: number }) => {
    if (announce) {
      const keys = await announce(batch);
      await context.saveResumePoint({ ...at, result, inFlight: { keys, missing: batch.length - keys.length, ...next } }, progress);
    }
    await work(batch);
    await context.saveResumePoint({ ...next, result }, { ...done(), ...(progress.total !== undefined ? { total: progress.total } : {}) });
  };
  if (scope.keys) {
    for (let index = resumeAt?.index ?? 0; index < scope.keys.length; index += batchSize) {
      stopIfAborted(context.signal);
      await run(scope.keys.slice(index, index + batchSize), { index }, { index: index + batchSize }, { ...done(), total: scope.keys.length });
    }
    return;
  }
  let after = resumeAt?.after;
  for (;;) {
    stopIfAborted(context.signal);
    const page = await store.readPage({ ...scope.filter, limit: batchSize, ...(after !== undefined ? { after } : {}) });
    const last = page.snapshots[page.snapshots.length - 1];
    if (!last) break;
    const next = encodeSnapshotCursor(last);
    await run(page.snapshots, after !== undefined ? { after } : {}, { after: next }, done());
    after = next;
    if (page.nextCursor === null) break;
  }
}

function startResult(context: JobContext<ChangeResumePoint>): SnapshotsChangeJobResult {
  return context.resumeFrom ? structuredClone(context.resumeFrom.result) : { changed: 0, missing: 0, failed: 0, failures: [] };
}

function addFailure(result: SnapshotsChangeJobResult, key: SnapshotKey, message: string): void {
  result.failed += 1;
  if (result.failures.length < MAX_FAILURES) result.failures.push({ streamId: key.streamId, version: key.version, message });
}

function summary(verb: string, result: SnapshotsChangeJobResult): string {
  const parts = [`${verb} ${result.changed} snapshot${result.changed === 1 ? '' : 's'}`];
  if (result.missing > 0) parts.push(`${result.missing} already gone`);
  if (result.failed > 0) parts.push(`${result.failed} failed`);
  return parts.join(', ');
}

/**
 * Deletes the selection. A resumed job first settles the batch its predecessor was
 * killed in: each of its snapshots existed when selected, so each one gone now was
 * deleted (by that process, or now): the tally is what the store says, not what
 * the last resume point remembered.
 */
export function deleteSnapshotsJob(deps: ChangeJobDeps): JobRunner<DeleteParams, ChangeResumePoint, SnapshotsChangeJobResult> {
  const batchSize = deps.batchSize ?? 200;
  return {
    async run(params, context) {
      await deps.assertWritable(params.connectionId);
      if (params.filter) refuseEmptyFilter(params.filter);
      const store = await deps.snapshots(params.connectionId);
      const result = startResult(context);
      const deleteBatch = async (batch: StoredSnapshot[] | SnapshotKey[]) => {
        const deleted: SnapshotKey[] = [];
        for (const key of batch) {
          if (await store.delete({ streamId: key.streamId, version: key.version })) deleted.push({ streamId: key.streamId, version: key.version });
          else result.missing += 1;
        }
        result.changed += deleted.length;
        await deps.settle?.(params.connectionId, 'deleted', deleted);
      };
      // Of a list of keys, those that exist; a filter's page holds only snapshots that exist.
      const selected = async (batch: StoredSnapshot[] | SnapshotKey[]) => {
        const keys = batch.map((k) => ({ streamId: k.streamId, version: k.version }));
        if (params.filter) return keys;
        const present: SnapshotKey[] = [];
        for (const key of keys) if (await store.read(key)) present.push(key);
        return present;
      };
      await guarded(async () => {
        const interrupted = context.resumeFrom?.inFlight;
        if (interrupted) {
          for (const key of interrupted.keys) {
            await store.delete(key);
            result.changed += 1; // selected, and gone now
          }
          await deps.settle?.(params.connectionId, 'deleted', interrupted.keys);
          result.missing += interrupted.missing;
          const { keys: _keys, missing: _missing, ...next } = interrupted;
          await context.saveResumePoint({ ...next, result }, { done: result.changed + result.missing + result.failed });
        }
        await walk(store, params, batchSize, context, result, deleteBatch, selected, interrupted ?? context.resumeFrom);
      });
      return result;
    },
    summarize: (result) => summary('Deleted', result),
  };
}

export function regenerateSnapshotsJob(deps: ChangeJobDeps): JobRunner<RegenerateParams, ChangeResumePoint, SnapshotsChangeJobResult> {
  const batchSize = deps.batchSize ?? 200;
  return {
    async run(params, context) {
      await deps.assertWritable(params.connectionId);
      if (params.filter) refuseEmptyFilter(params.filter);
      const store = await deps.snapshots(params.connectionId);
      const result = startResult(context);
      const replayer = await deps.replayer(params.connectionId, params.definition, context.signal);
      try {
        await guarded(() =>
          walk(store, params, batchSize, context, result, async (batch) => {
            const stored: StoredSnapshot[] = [];
            for (const item of batch) {
              const snapshot = 'state' in item ? item : await store.read(item);
              if (snapshot) stored.push(snapshot);
              else result.missing += 1;
            }
            const written: SnapshotKey[] = [];
            await regenerate(store, replayer, stored, result, written);
            await deps.settle?.(params.connectionId, 'regenerated', written);
          }),
        );
      } finally {
        await replayer.close();
      }
      return result;
    },
    summarize: (result) => summary('Regenerated', result),
  };
}

/** Replays each snapshot's stream to its version and overwrites it; snapshots that are not JSON are left as they are. */
export async function regenerate(
  store: SnapshotStore,
  replayer: Replayer,
  snapshots: readonly StoredSnapshot[],
  result: SnapshotsChangeJobResult,
  written: SnapshotKey[] = [],
): Promise<void> {
  for (const s of snapshots.filter((x) => !x.isJson)) addFailure(result, s, notJsonMessage(s, store.source()));
  const targets = byStreamType(
    snapshots.filter((s) => s.isJson).sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : a.version - b.version)),
  );
  await replayer.replay(targets, async (target, outcome) => {
    if (!outcome.ok) return addFailure(result, target, outcome.message);
    if (outcome.reached < target.version) {
      return addFailure(
        result,
        target,
        `The stream ends at version ${outcome.reached}, before the snapshot's version ${target.version}: it was not rewritten; delete it instead.`,
      );
    }
    if (await store.write(target, outcome.state)) {
      result.changed += 1;
      written.push({ streamId: target.streamId, version: target.version });
    } else result.missing += 1;
  });
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translateCompanionError(err);
  }
}

function stopIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw Object.assign(new Error('The job was stopped.'), { name: 'AbortError' });
}
