/**
 * The erasure case's snapshot step when the user chose to regenerate rather than
 * delete: the snapshots naming the subject are replayed from their streams (which
 * the earlier steps shredded or redacted) and overwritten at their version in the
 * store's own format, through the snapshot engine's own `regenerate`. The list of
 * snapshots is fixed when the step starts and walked in batches, each saved as a resume point.
 */
import type { SnapshotsChangeJobResult } from '../../../src-shared/schemas/snapshots';
import type { SnapshotKey, SnapshotStore, StoredSnapshot } from '../../stores/ports/snapshot-store';
import type { Replayer } from '../jobs/verify-all-snapshots';
import { regenerate } from '../snapshots/change-jobs';

export interface SnapshotPorts {
  snapshots(connectionId: string): Promise<SnapshotStore>;
  replayer(connectionId: string, definition: string, signal: AbortSignal): Promise<Replayer>;
}

/** Where a resumed regeneration continues: the snapshots chosen at the start, the next index, the tallies. */
export interface RegenerationResumePoint {
  keys: SnapshotKey[];
  index: number;
  result: SnapshotsChangeJobResult;
}

/** The built-in definitions of the reference schema, or a user definition claiming the stream's category. */
export const REGENERATION_DEFINITION = 'auto';
const SHOWN = 20;

export function snapshotKeys(rows: readonly { aggregateId: string; version: number }[]): SnapshotKey[] {
  return rows
    .map((r) => ({ streamId: r.aggregateId, version: r.version }))
    .sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : a.version - b.version));
}

/** The first snapshots with their type, and those that are not JSON (which cannot be regenerated in their format). */
export async function describeSnapshots(
  store: SnapshotStore,
  keys: readonly SnapshotKey[],
): Promise<{ shown: { streamId: string; version: number; streamType: string | null }[]; notJson: number }> {
  const shown: { streamId: string; version: number; streamType: string | null }[] = [];
  let notJson = 0;
  for (const key of keys) {
    const stored = await store.read(key);
    if (!stored) continue;
    if (!stored.isJson) notJson += 1;
    if (shown.length < SHOWN) shown.push({ streamId: stored.streamId, version: stored.version, streamType: stored.streamType });
  }
  return { shown, notJson };
}

/** Regenerates from `state.index` on, saving the state after each batch. */
export async function regenerateSnapshots(
  store: SnapshotStore,
  replayer: Replayer,
  state: RegenerationResumePoint,
  batch: number,
  save: (state: RegenerationResumePoint) => Promise<void>,
  signal: AbortSignal,
): Promise<SnapshotsChangeJobResult> {
  try {
    while (state.index < state.keys.length) {
      signal.throwIfAborted();
      const stored: StoredSnapshot[] = [];
      for (const key of state.keys.slice(state.index, state.index + batch)) {
        const snapshot = await store.read(key);
        if (snapshot) stored.push(snapshot);
        else state.result.missing += 1;
      }
      await regenerate(store, replayer, stored, state.result);
      state.index += batch;
      await save(state);
    }
    return state.result;
  } finally {
    await replayer.close();
  }
}

export function regenerationSummary(result: SnapshotsChangeJobResult): string {
  const parts = [`Regenerated ${result.changed} snapshot(s) from the erased events (in the store's own format)`];
  if (result.missing > 0) parts.push(`${result.missing} already gone`);
  // The failures' messages name streams (the subject's ids): the outcome goes into the report, so only their count.
  if (result.failed > 0)
    parts.push(
      `${result.failed} could not be regenerated (not JSON, or the stream ends before the snapshot's version) and still hold their old state: delete them instead`,
    );
  return `${parts.join('; ')}.`;
}
