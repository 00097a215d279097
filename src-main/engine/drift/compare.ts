/**
 * Verifies a batch of keys: the live rows against a replay of their streams, and each
 * difference told apart:
 * - `orphan`: a live row the replay does not produce;
 * - `missing`: a row the replay produces that is not live;
 * - `stale-skipped`: the live row equals the replay without the stream's last handled
 *   event, and the projector's checkpoint is at or past that event (or no checkpoint is
 *   known): the projector skipped it;
 * - `edited`: any other difference (someone or something changed the row).
 * A row that equals the replay without some of its stream's events after the projector's
 * checkpoint (read before the rows) is lag, not drift: counted, not reported.
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
  /** The projector's checkpoint now (null: none known): read before the live rows, so they reflect at least its events. */
  checkpoint(): Promise<bigint | null>;
}

const positionOf = (e: StoredEventView): bigint | null => (e.position !== undefined ? BigInt(e.position) : null);

function sameRow(a: ModelRow | undefined, b: ModelRow | undefined): boolean {
  if (!a || !b) return a === b;
  return fieldChanges(a, b).length === 0;
}

/** Events after the checkpoint a row may not reflect yet, tried one cut at a time (a row further behind is reported). */
const MAX_LAG_EVENTS = 5;

export async function verifyBatch(context: VerifyBatchContext, keys: readonly string[]): Promise<BatchOutcome> {
  const { live, feed, definition } = context;
  const streams = [...new Set(keys)];
  if (streams.length === 0) return { drifted: [], lagging: 0, checked: 0 };
  // The checkpoint before the rows, the head after them: the rows reflect at least the checkpoint's events, at most the head's.
  const checkpoint = await context.checkpoint();
  const liveRows = await live.rows(streams);
  const head = BigInt((await feed.headPosition()) ?? '0');
  const events = await readStreams(feed, definition, streams, head);
  const replayed = await live.asStored(await foldKept(definition, events));
  // A definition may write a row under a key not asked for: compared too, read now.
  const extra = [...replayed.keys()].filter((k) => !liveRows.has(k) && !streams.includes(k));
  if (extra.length > 0) for (const [k, row] of await live.rows(extra)) liveRows.set(k, row);

  const differing = [...new Set([...streams, ...replayed.keys()])].filter((k) => !sameRow(liveRows.get(k), replayed.get(k)));
  const outcome: BatchOutcome = { drifted: [], lagging: 0, checked: new Set([...liveRows.keys(), ...replayed.keys()]).size };
  if (differing.length === 0) return outcome;

  // Lag: the row equals the replay without some of the events after the checkpoint (the projector had not passed them).
  const after = (key: string) => (checkpoint === null ? 0 : (events.get(key) ?? []).filter((e) => (positionOf(e) ?? 0n) > checkpoint).length);
  const lagging = new Set<string>();
  for (let cut = 1; cut <= MAX_LAG_EVENTS; cut++) {
    const tried = differing.filter((k) => !lagging.has(k) && after(k) >= cut);
    if (tried.length === 0) break;
    const behind = await live.asStored(
      await foldKept(
        definition,
        cutEvents(events, tried, (list) => list.slice(0, -cut)),
      ),
    );
    for (const k of tried) if (sameRow(liveRows.get(k), behind.get(k))) lagging.add(k);
  }
  const withoutLast = await live.asStored(
    await foldKept(
      definition,
      cutEvents(
        events,
        differing.filter((k) => !lagging.has(k)),
        (list) => list.slice(0, -1),
      ),
    ),
  );

  for (const key of differing) {
    if (lagging.has(key)) {
      outcome.lagging += 1;
      continue;
    }
    const l = liveRows.get(key);
    const r = replayed.get(key);
    const last = events.get(key)?.at(-1);
    const lastPosition = last ? positionOf(last) : null;
    const passed = last && lastPosition !== null && checkpoint !== null ? lastPosition <= checkpoint : null;
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
