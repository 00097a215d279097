/**
 * The `drift.verify` job: chooses the keys its mode names and verifies them a batch at a
 * time (compare.ts). A sample draws live rows at random and, for rows that should
 * exist but do not, streams at random positions of the feed; a full verification walks
 * the live keys in key order, then the store's streams (for missing rows), saving
 * where it is after each batch so a resumed job goes on from there.
 */
import type { z } from 'zod';
import type { driftReport, driftVerifyParams } from '../../../src-shared/schemas/drift';
import type { EventStore } from '../../stores/event-store';
import { feedFilter } from '../rebuild/feed-fold';
import type { ReadModelDefinition } from '../rebuild/read-model';
import type { JobContext } from '../jobs/jobs';
import { verifyBatch, type BatchOutcome, type DriftedRow, type VerifyBatchContext } from './compare';
import type { LiveModel } from './live-model';
import { seededRandom } from './mongo-model';

export type DriftVerifyParams = z.output<typeof driftVerifyParams>;
export type DriftReport = z.output<typeof driftReport>;

/** Keys verified per batch. */
export const BATCH_KEYS = 500;
/** Keys per batch of a full verification, and streams per page of its stream listing: fewer round trips over a whole model. */
export const FULL_BATCH_KEYS = 2_000;
/** Drifted rows listed in a report (all are counted). */
export const MAX_LISTED = 1000;
/** Streams a report names for a repair (a partial rebuild's limit for chosen ids). */
export const MAX_REPAIR_STREAMS = 10_000;
/** Streams probed at once when sampling the feed. */
const PROBE_CONCURRENCY = 4;
/** Longest a sample spends drawing streams from the feed (for rows that should exist but do not). */
const PROBE_BUDGET_MS = 2_000;
/** Batches of a full verification verified at once. */
const PARALLEL_BATCHES = 3;

/** The report so far (kept in the resume point of a full verification). */
export interface Tally {
  rowsChecked: number;
  counts: DriftReport['counts'];
  lagging: number;
  rows: DriftedRow[];
  streamIds: string[];
  truncated: boolean;
}

export interface FullResumePoint {
  /** Last live key verified (null: from the first). */
  after: string | null;
  liveDone: boolean;
  /** The store's stream cursor in the category being listed, and that category's index. */
  streamsAfter: string | null;
  category: number;
  /** The store could not list a category's streams by index: every stream is listed, filtered by category here. */
  unfiltered?: boolean;
  streamsDone: boolean;
  tally: Tally;
  startedAt: string;
}

export function freshPoint(startedAt = new Date().toISOString()): FullResumePoint {
  return { after: null, liveDone: false, streamsAfter: null, category: 0, streamsDone: false, tally: emptyTally(), startedAt };
}

export function emptyTally(): Tally {
  return { rowsChecked: 0, counts: { edited: 0, missing: 0, orphan: 0, staleSkipped: 0 }, lagging: 0, rows: [], streamIds: [], truncated: false };
}

export function addOutcome(tally: Tally, outcome: BatchOutcome): void {
  tally.rowsChecked += outcome.checked;
  tally.lagging += outcome.lagging;
  for (const row of outcome.drifted) {
    tally.counts[row.kind === 'stale-skipped' ? 'staleSkipped' : row.kind] += 1;
    if (tally.rows.length < MAX_LISTED) tally.rows.push(row);
    else tally.truncated = true;
    if (tally.streamIds.length < MAX_REPAIR_STREAMS && !tally.streamIds.includes(row.streamId)) tally.streamIds.push(row.streamId);
  }
}

export interface VerifyRun {
  params: DriftVerifyParams;
  live: LiveModel;
  store: EventStore;
  definition: ReadModelDefinition;
  batch: VerifyBatchContext;
  context: JobContext<FullResumePoint>;
}

/** How long a drifted row is given to settle before it is checked again (a projector's row and checkpoint writes in flight). */
const CONFIRM_AFTER_MS = 1_000;

/**
 * Checks the listed drifted rows once more and keeps those that drift again, with the second look's details. Under live
 * traffic a row read just before its projector applied an event looks drifted (one "skipped event"): on the second look
 * it has caught up, and it counts as lag. Real drift stays. Run only when the log or the projector moved during the check.
 */
export async function confirmDrift(run: VerifyRun, tally: Tally): Promise<void> {
  if (tally.rows.length === 0) return;
  await new Promise((resolve) => setTimeout(resolve, CONFIRM_AFTER_MS));
  const again = new Map<string, DriftedRow>();
  const keys = tally.rows.map((r) => r.key);
  for (let from = 0; from < keys.length; from += BATCH_KEYS)
    for (const row of (await verifyBatch(run.batch, keys.slice(from, from + BATCH_KEYS))).drifted) again.set(row.key, row);
  const settled = tally.rows.filter((r) => !again.has(r.key));
  for (const row of settled) tally.counts[row.kind === 'stale-skipped' ? 'staleSkipped' : row.kind] -= 1;
  tally.lagging += settled.length;
  const kept = tally.rows.filter((r) => again.has(r.key)).map((r) => again.get(r.key)!);
  for (const [i, row] of kept.entries()) {
    const before = tally.rows.find((r) => r.key === row.key)!;
    if (before.kind !== row.kind) {
      tally.counts[before.kind === 'stale-skipped' ? 'staleSkipped' : before.kind] -= 1;
      tally.counts[row.kind === 'stale-skipped' ? 'staleSkipped' : row.kind] += 1;
    }
    kept[i] = row;
  }
  const unlisted = new Set(tally.streamIds);
  for (const r of tally.rows) unlisted.delete(r.streamId);
  tally.rows = kept;
  tally.streamIds = [...new Set([...kept.map((r) => r.streamId), ...unlisted])];
}

/** Verifies the keys in batches, reporting progress. */
async function verifyKeys(run: VerifyRun, tally: Tally, keys: readonly string[], progress: (done: number) => void): Promise<void> {
  for (let from = 0; from < keys.length; from += BATCH_KEYS) {
    if (run.context.signal.aborted) throw new DOMException('The verification was cancelled.', 'AbortError');
    addOutcome(tally, await verifyBatch(run.batch, keys.slice(from, from + BATCH_KEYS)));
    progress(Math.min(keys.length, from + BATCH_KEYS));
  }
}

/**
 * Streams at up to `count` random positions of the feed the definition reads (a stream's chance grows with its events), probed
 * for at most PROBE_BUDGET_MS: a store whose feed no index serves by category (FerretDB without the store's indexes) is probed
 * less, never for long.
 */
async function sampleStreams(store: EventStore, definition: ReadModelDefinition, count: number, seed: number): Promise<string[]> {
  const head = Number((await store.headPosition()) ?? '0');
  if (head <= 0 || !store.describe().hasGlobalPosition) return [];
  const random = seededRandom(seed ^ 0x5bd1e995);
  const positions = Array.from({ length: count }, () => Math.floor(random() * head));
  const found = new Set<string>();
  const deadline = performance.now() + PROBE_BUDGET_MS;
  let next = 0;
  const probe = async () => {
    for (let i = next++; i < positions.length && performance.now() < deadline; i = next++) {
      const page = await store.readFeed({ afterPosition: String(positions[i]), limit: 1, payloadLimit: 0, ...feedFilter(definition.handles) });
      if (page.events[0]) found.add(page.events[0].streamId);
    }
  };
  await Promise.all(Array.from({ length: PROBE_CONCURRENCY }, probe));
  return [...found];
}

export async function runSample(run: VerifyRun, mode: { fraction?: number | undefined; rows?: number | undefined }, tally: Tally): Promise<void> {
  const seed = run.params.seed ?? 1;
  const count = mode.rows ?? Math.max(1, Math.ceil((mode.fraction ?? 0.01) * (await run.live.count())));
  const [liveKeys, streams] = await Promise.all([run.live.sampleKeys(count, seed), sampleStreams(run.store, run.definition, count, seed)]);
  const keys = [...new Set([...liveKeys, ...streams])];
  await verifyKeys(run, tally, keys, (done) =>
    run.context.progress({ done, total: keys.length, message: `${done} of ${keys.length} sampled rows and streams` }),
  );
}

export async function runStreams(run: VerifyRun, streamIds: readonly string[], tally: Tally): Promise<void> {
  const keys = [...new Set(streamIds)];
  await verifyKeys(run, tally, keys, (done) => run.context.progress({ done, total: keys.length, message: `${done} of ${keys.length} streams` }));
}

/**
 * Every live row in key order and, at the same time, every stream without a live row; a resume point after each batch of
 * either (each keeps its own cursor in it).
 */
export async function runFull(run: VerifyRun, point: FullResumePoint): Promise<void> {
  const { live, store, definition, context } = run;
  const total = await live.count();
  let stopped = false;
  const cancelled = () => {
    if (context.signal.aborted) throw new DOMException('The verification was cancelled.', 'AbortError');
    return stopped;
  };
  let saving = Promise.resolve();
  const save = () => {
    const done = point.tally.rowsChecked;
    context.progress({ done, total, message: `${done.toLocaleString('en-US')} rows and streams checked of about ${total.toLocaleString('en-US')} rows` });
    saving = saving.then(() => context.saveResumePoint(point, { done, total }));
    return saving;
  };

  // Batches of live keys verified a few at once: the cursor moves past a group only when all of it is done.
  const liveRows = async () => {
    while (!point.liveDone && !cancelled()) {
      const batches: string[][] = [];
      for (let after = point.after; batches.length < PARALLEL_BATCHES;) {
        const keys = await live.keysAfter(after, FULL_BATCH_KEYS);
        if (keys.length === 0) break;
        batches.push(keys);
        after = keys.at(-1)!;
      }
      if (batches.length === 0) point.liveDone = true;
      else {
        for (const outcome of await Promise.all(batches.map((keys) => verifyBatch(run.batch, keys)))) addOutcome(point.tally, outcome);
        point.after = batches.at(-1)!.at(-1)!;
      }
      await save();
    }
  };

  // Streams of each category the definition handles (all streams when it names types only): those without a live row. A
  // category listing the store stops (no index leads with the category) becomes one listing of every stream, filtered here.
  const handled = definition.handles.categories?.length && !definition.handles.types?.length ? definition.handles.categories : null;
  const streamsWithoutRow = async () => {
    while (!point.streamsDone && !cancelled()) {
      const categories: (string | undefined)[] = handled && !point.unfiltered ? handled : [undefined];
      if (point.category >= categories.length) {
        point.streamsDone = true;
        await save();
        break;
      }
      const category = categories[point.category];
      const page = await store.listStreams({
        limit: FULL_BATCH_KEYS,
        ...(category !== undefined ? { category } : {}),
        ...(point.streamsAfter !== null ? { after: point.streamsAfter } : {}),
      });
      if (page.stoppedAfterMs !== undefined && category !== undefined) {
        Object.assign(point, { unfiltered: true, category: 0, streamsAfter: null });
        continue;
      }
      const ids = page.streams
        .filter((s) => category !== undefined || !handled || (s.category !== null && handled.includes(s.category)))
        .map((s) => s.streamId);
      const present = await live.present(ids);
      const absent = ids.filter((id) => !present.has(id));
      if (absent.length > 0) addOutcome(point.tally, await verifyBatch(run.batch, absent));
      if (page.nextCursor) point.streamsAfter = page.nextCursor;
      else Object.assign(point, { streamsAfter: null, category: point.category + 1 });
      await save();
    }
  };

  // Either failing stops the other after its batch in flight.
  const guarded = (loop: () => Promise<void>) =>
    loop().catch((err: unknown) => {
      stopped = true;
      throw err;
    });
  const outcomes = await Promise.allSettled([guarded(liveRows), guarded(streamsWithoutRow)]);
  await saving;
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}
