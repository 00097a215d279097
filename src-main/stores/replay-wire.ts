/**
 * The replay wire format: how a batch of events travels to the sandbox as one JSON text,
 * so the worker parses as little as it can and the host, on the fast path, parses nothing.
 * Written by `encodeBatch` (events already in the host) and by a store itself
 * (`EventStore.readReplayPage`, PostgreSQL via `replayTupleSql`); read by the sandbox's
 * prelude (sandbox-prelude.js), which is handed `REPLAY_TUPLE` when it starts.
 *
 * A batch is `{s: streamId, c: category, k?: metadataKeys, e: [tuple, ...]}`: the stream's
 * id and category once, one tuple per event in `REPLAY_TUPLE` order. A tuple may carry its
 * own streamId / category (the last two fields) when they differ from the batch's.
 *
 * Depends on nothing but types, so the stores' adapters can import it.
 */
import type { EncodedTuples, ReplayMetadataKeys, StoredEventView } from './event-store';

export type { EncodedTuples, ReplayMetadataKeys } from './event-store';

/** Fields of one event's tuple, in order. */
export const REPLAY_TUPLE = [
  'version',
  'type',
  'data',
  'metadata',
  'timestamp',
  'position',
  'eventId',
  'correlationId',
  'causationId',
  'streamId',
  'category',
] as const;

export type ReplayTupleField = (typeof REPLAY_TUPLE)[number];

/** The fields every tuple carries; streamId and category follow only when they differ from the batch's. */
export type ReplayTupleCoreField = Exclude<ReplayTupleField, 'streamId' | 'category'>;

/** A batch as the sandbox parses it. */
export interface ReplayBatch {
  s: string;
  c: string | null;
  k?: ReplayMetadataKeys;
  e: unknown[][];
}

/** Encodes events for `Sandbox.applyEncoded`. */
export function encodeBatch(events: readonly StoredEventView[]): string {
  const first = events[0];
  const streamId = first?.streamId ?? '';
  const category = first?.category ?? null;
  const tuples = events.map((e) => {
    const values: Record<ReplayTupleCoreField, unknown> = {
      version: e.version,
      type: e.type,
      data: e.data,
      metadata: e.metadata,
      timestamp: e.timestamp,
      position: e.position ?? null,
      eventId: e.eventId,
      correlationId: e.correlationId ?? null,
      causationId: e.causationId ?? null,
    };
    const tuple: unknown[] = CORE_FIELDS.map((field) => values[field]);
    if (e.streamId !== streamId || e.category !== category) tuple.push(e.streamId, e.category);
    return tuple;
  });
  const batch: ReplayBatch = { s: streamId, c: category, e: tuples };
  return JSON.stringify(batch);
}

/** The batch of tuples a store encoded itself (their text is spliced in, never parsed here). */
export function encodedBatch(page: EncodedTuples): string {
  const header = `"s":${JSON.stringify(page.streamId)},"c":${JSON.stringify(page.category)}${page.metadataKeys ? `,"k":${JSON.stringify(page.metadataKeys)}` : ''}`;
  return `{${header},"e":${page.events}}`;
}

const CORE_FIELDS = REPLAY_TUPLE.filter((field): field is ReplayTupleCoreField => field !== 'streamId' && field !== 'category');

/**
 * A SQL expression writing one event's tuple as JSON text, from one SQL expression per
 * field, each already JSON text (`'null'` for an absent field).
 */
export function replayTupleSql(fields: Readonly<Record<ReplayTupleCoreField, string>>): string {
  return `'[' || ${CORE_FIELDS.map((field) => fields[field]).join(" || ',' || ")} || ']'`;
}
