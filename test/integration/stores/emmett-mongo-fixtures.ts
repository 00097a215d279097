import { Long, type Db } from 'mongodb';

export interface EmmettMessage {
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
}

export interface EmmettStreamOptions {
  /** How positions are stored: Long (current Emmett, bigint), number (older releases) or string. */
  positions?: 'long' | 'number' | 'string';
  updatedAt?: Date;
  /** Builds message i (0-based); defaults to `${streamType}Event` with `{n: i + 1}`. */
  message?: (i: number) => Partial<EmmettMessage>;
}

const position = (n: number, as: EmmettStreamOptions['positions']) => (as === 'number' ? n : as === 'string' ? String(n) : Long.fromNumber(n));

/** A stream document as @event-driven-io/emmett-mongodb's appendToStream leaves it. */
export function emmettStream(streamType: string, streamId: string, count: number, options: EmmettStreamOptions = {}) {
  const streamName = `${streamType}:${streamId}`;
  const updatedAt = options.updatedAt ?? new Date(Date.UTC(2026, 0, 1));
  const messages = Array.from({ length: count }, (_, i) => {
    const custom = options.message?.(i) ?? {};
    return {
      type: `${streamType}Event`,
      data: { n: i + 1 },
      ...custom,
      metadata: { eventId: `${streamName}/${i + 1}`, streamName, streamPosition: position(i + 1, options.positions), ...custom.metadata },
    };
  });
  return {
    streamName,
    messages,
    metadata: { streamId, streamType, streamPosition: position(count, options.positions), createdAt: new Date(Date.UTC(2025, 11, 31)), updatedAt },
    projections: {},
  };
}

/** Inserts documents into `emt:<collection>` with the unique index Emmett creates. */
export async function insertStreams(db: Db, collection: string, docs: object[]): Promise<void> {
  const target = db.collection(`emt:${collection}`);
  await target.createIndex({ streamName: 1 }, { unique: true });
  if (docs.length > 0) await target.insertMany(docs.map((d) => ({ ...d })));
}
