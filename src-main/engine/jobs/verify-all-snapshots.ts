/**
 * The `snapshots.verifyAll` job: every stored snapshot of a connection checked
 * against a replay from zero, streams taken in keyset pages, the last verified
 * stream id checkpointed so a resumed job continues after it.
 */
import { ChronoError, isAbortError } from '../../../src-shared/errors';
import type { SnapshotsVerifyAllResult } from '../../../src-shared/schemas/jobs';
import type { JobKind } from './jobs';
import type { SnapshotStreamFilter, SnapshotStreams } from './snapshot-streams';

export const VERIFY_ALL_SNAPSHOTS = 'snapshots.verifyAll';

export interface VerifyAllParams extends SnapshotStreamFilter {
  connectionId: string;
  definition: string;
}

export interface VerifyAllDeps {
  snapshotStreams(connectionId: string): Promise<SnapshotStreams>;
  /** One stream's latest snapshot checked against a replay (timeTravel.verifySnapshot). */
  verify(
    connectionId: string,
    streamId: string,
    definition: string,
    signal: AbortSignal,
  ): Promise<{ ok: boolean; snapshotVersion: number; diff: { path: (string | number)[] }[]; streamTooShort: boolean }>;
  /** Streams per page read from the snapshots table. */
  pageSize?: number;
  /** Least time between two checkpoints within a page (one is also taken at every page end). */
  checkpointEveryMs?: number;
}

/** What a resumed job starts from: the last stream verified and the tallies so far. */
interface VerifyAllCheckpoint {
  after: string;
  result: SnapshotsVerifyAllResult;
}

export const MAX_LISTED = 100;
const PATHS_PER_MISMATCH = 5;
/** Errors about one stream (its definition, a snapshot gone meanwhile): counted, and the job goes on. */
const PER_STREAM_ERRORS = new Set(['not_found', 'definition_error', 'invalid_input']);

export function verifyAllSnapshotsJob(deps: VerifyAllDeps): JobKind<VerifyAllParams, VerifyAllCheckpoint, SnapshotsVerifyAllResult> {
  const pageSize = deps.pageSize ?? 100;
  const checkpointEveryMs = deps.checkpointEveryMs ?? 250;
  return {
    async run(params, context) {
      const streams = await deps.snapshotStreams(params.connectionId);
      const filter: SnapshotStreamFilter = {
        ...(params.streamPrefix !== undefined ? { streamPrefix: params.streamPrefix } : {}),
        ...(params.category !== undefined ? { category: params.category } : {}),
      };
      const resumed = context.resumeFrom;
      const result: SnapshotsVerifyAllResult = resumed
        ? structuredClone(resumed.result)
        : { total: 0, verified: 0, ok: 0, mismatched: 0, failed: 0, mismatches: [], failures: [], truncated: false };
      // Counted again on resume: snapshots may have been taken meanwhile.
      result.total = Math.max(await streams.count(filter), result.verified);
      let after = resumed?.after;
      const progress = () => ({ done: result.verified, total: Math.max(result.total, result.verified), ...(after !== undefined ? { message: after } : {}) });
      context.progress(progress());
      let lastCheckpoint = Date.now();
      for (;;) {
        if (context.signal.aborted) throw abortError();
        const page = await streams.page(filter, after, pageSize);
        if (page.length === 0) break;
        for (const streamId of page) {
          if (context.signal.aborted) throw abortError();
          await verifyOne(deps, params, streamId, context.signal, result);
          after = streamId;
          context.progress(progress());
          if (Date.now() - lastCheckpoint >= checkpointEveryMs) {
            await context.checkpoint({ after, result }, progress());
            lastCheckpoint = Date.now();
          }
        }
        await context.checkpoint({ after: after!, result }, progress());
        lastCheckpoint = Date.now();
        if (page.length < pageSize) break;
      }
      result.total = result.verified;
      return result;
    },
    summarize(result) {
      const parts = [`${result.ok} of ${result.verified} snapshot${result.verified === 1 ? '' : 's'} match a replay`];
      if (result.mismatched > 0) parts.push(`${result.mismatched} differ`);
      if (result.failed > 0) parts.push(`${result.failed} could not be checked`);
      return parts.join(', ');
    },
  };
}

async function verifyOne(deps: VerifyAllDeps, params: VerifyAllParams, streamId: string, signal: AbortSignal, result: SnapshotsVerifyAllResult): Promise<void> {
  try {
    const outcome = await deps.verify(params.connectionId, streamId, params.definition, signal);
    result.verified += 1;
    if (outcome.ok) {
      result.ok += 1;
      return;
    }
    result.mismatched += 1;
    if (result.mismatches.length < MAX_LISTED) {
      result.mismatches.push({
        streamId,
        snapshotVersion: outcome.snapshotVersion,
        differences: outcome.diff.length,
        paths: outcome.diff.slice(0, PATHS_PER_MISMATCH).map((d) => d.path.join('.')),
        streamTooShort: outcome.streamTooShort,
      });
    } else result.truncated = true;
  } catch (err) {
    if (isAbortError(err) || signal.aborted) throw err;
    if (!(err instanceof ChronoError) || !PER_STREAM_ERRORS.has(err.code)) throw err;
    result.verified += 1;
    result.failed += 1;
    if (result.failures.length < MAX_LISTED) result.failures.push({ streamId, message: err.message });
    else result.truncated = true;
  }
}

function abortError(): Error {
  return Object.assign(new Error('The job was stopped.'), { name: 'AbortError' });
}
