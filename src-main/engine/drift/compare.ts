/**
 * Verifies a batch of keys: the live rows against a replay of their streams, and each
 * difference told apart:
 * - `orphan`: a live row the replay does not produce;
 * - `missing`: a row the replay produces that is not live;
 * - `stale-skipped`: the live row equals the replay without the stream's last handled
 *   event, and the projector's checkpoint is at or past that event (or no checkpoint is
 *   known): the projector skipped it;
 * - `edited`: any other difference (someone or something changed the row).
 * A row that equals the replay up to the projector's checkpoint, when events after the
 * checkpoint touch it, is lag, not drift: counted, not reported.
 *
 * Rows are matched to streams by key (rows keyed by stream id, as partial rebuilds
 * assume): the key's stream is replayed, and the replay's rows are compared by key.
 */
import type { StoredEventView } from '../../stores/event-store';
import { fieldChanges } from '../rebuild/diff';
import type { ModelRow, ReadModelDefinition } from '../rebuild/read-model';
import type { LiveModel } from './live-model';
import { cutEvents, foldKept, readStreams, type DriftFeed } from './replay';

export type DriftKind = 'edited' | 'missing' | 'orphan' | 'stale-skipped';

export interface DriftedRow {
  key: string;
  kind: DriftKind;
  streamId: string;
  fields: { field: string; live: unknown; replayed: unknown }[];
  lastEvent: { position: string | null; version: number; type: string; storedAt: string | null } | null;
  checkpointPassed: boolean | null;
}

export interface BatchOutcome {
  drifted: DriftedRow[];
  lagging: number;
  /** Keys compared (live rows and replayed rows of the batch). */
  checked: number;
}

export interface VerifyBatchContext {
  live: LiveModel;
  feed: DriftFeed;
  definition: ReadModelDefinition;
  /** The projector's checkpoint now (null: none known): read after the live rows, so it is at or past what they reflect. */
  checkpoint(): Promise<bigint | null>;
}

const positionOf = (e: StoredEventView): bigint | null => (e.position !== undefined ? BigInt(e.position) : null);

function sameRow(a: ModelRow | undefined, b: ModelRow | undefined): boolean {
  if (!a || !b) return a === b;
  return fieldChanges(a, b).length === 0;
}

export async function verifyBatch(context: VerifyBatchContext, keys: readonly string[]): Promise<BatchOutcome> {
  const { live, feed, definition } = context;
  const streams = [...new Set(keys)];
  if (streams.length === 0) return { drifted: [], lagging: 0, checked: 0 };
  // The live rows first, then the checkpoint and the head: the replay reaches at least as far as the rows do.
  const liveRows = await live.rows(streams);
  const checkpoint = await context.checkpoint();
  const head = BigInt((await feed.headPosition()) ?? '0');
  const events = await readStreams(feed, definition, streams, head);
  const replayed = await live.asStored(await foldKept(definition, events));
  // A definition may write a row under a key not asked for: compared too, read now.
  const extra = [...replayed.keys()].filter((k) => !liveRows.has(k) && !streams.includes(k));
  if (extra.length > 0) for (const [k, row] of await live.rows(extra)) liveRows.set(k, row);

  const differing = [...new Set([...streams, ...replayed.keys()])].filter((k) => !sameRow(liveRows.get(k), replayed.get(k)));
  const outcome: BatchOutcome = { drifted: [], lagging: 0, checked: new Set([...liveRows.keys(), ...replayed.keys()]).size };
  if (differing.length === 0) return outcome;

  const lastOf = (key: string): StoredEventView | undefined => events.get(key)?.at(-1);
  // Without the stream's last event, and up to the checkpoint (only where events after it touch the stream).
  const withoutLast = await live.asStored(
    await foldKept(
      definition,
      cutEvents(events, differing, (list) => list.slice(0, -1)),
    ),
  );
  const behind = differing.filter((k) => {
    const p = lastOf(k) && positionOf(lastOf(k)!);
    return checkpoint !== null && p !== undefined && p !== null && p > checkpoint;
  });
  const atCheckpoint =
    behind.length > 0
      ? await live.asStored(
          await foldKept(
            definition,
            cutEvents(events, behind, (list) => list.filter((e) => (positionOf(e) ?? 0n) <= checkpoint!)),
          ),
        )
      : new Map<string, ModelRow>();

  for (const key of differing) {
    const l = liveRows.get(key);
    const r = replayed.get(key);
    const last = lastOf(key);
    const lastPosition = last ? positionOf(last) : null;
    const passed = last && lastPosition !== null && checkpoint !== null ? lastPosition <= checkpoint : null;
    if (behind.includes(key) && sameRow(l, atCheckpoint.get(key))) {
      outcome.lagging += 1;
      continue;
    }
    const kind: DriftKind = !r ? 'orphan' : !l ? 'missing' : last && passed !== false && sameRow(l, withoutLast.get(key)) ? 'stale-skipped' : 'edited';
    outcome.drifted.push({
      key,
      kind,
      streamId: key,
      fields: fieldChanges(l ?? {}, r ?? {}).map((f) => ({ field: f.field, live: l ? f.live : null, replayed: r ? f.shadow : null })),
      lastEvent: last ? { position: last.position ?? null, version: last.version, type: last.type, storedAt: last.timestamp } : null,
      checkpointPassed: passed,
    });
  }
  return outcome;
}
