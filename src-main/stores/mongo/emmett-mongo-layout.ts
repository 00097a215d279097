import { Long, type Db } from 'mongodb';

/**
 * Emmett's MongoDB layout (@event-driven-io/emmett-mongodb): one document per
 * stream, `{streamName, messages[], metadata, projections}`, in `emt:<streamType>`
 * (the default storage) or one shared collection (`emt:streams` by default).
 */
export const EMMETT_COLLECTION_PREFIX = 'emt:';

/** `emt:` collections that hold no streams: Emmett keeps processor checkpoints there. */
const NON_STREAM_COLLECTIONS = new Set(['emt:processors']);

export function isStreamCollection(name: string): boolean {
  return name.startsWith(EMMETT_COLLECTION_PREFIX) && !NON_STREAM_COLLECTIONS.has(name);
}

/** The database's stream collections, sorted; read on every call so new stream types show up. */
export async function listStreamCollections(db: Db): Promise<string[]> {
  const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  return names.filter(isStreamCollection).sort();
}

/** `order:42` -> `order`; the text before the first `:`, as Emmett's `fromStreamName` splits it. */
export function streamTypeOf(streamName: string): string | null {
  const at = streamName.indexOf(':');
  return at > 0 ? streamName.slice(0, at) : null;
}

/**
 * Stream positions are written as BSON Long by current Emmett (bigint with
 * useBigInt64), as plain numbers by older releases, and show up as strings in
 * hand-made or migrated documents. Returns null when it is none of these.
 */
export function positionOf(value: unknown): number | null {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (value instanceof Long) n = value.toNumber();
  else if (typeof value === 'string' && /^\d{1,16}$/.test(value.trim())) n = Number(value.trim());
  else return null;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

export function isoOf(value: unknown): string | null {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'string' && value.length > 0) return value;
  return null;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Orders stream names the way the server's keyset does (bytewise on UTF-8). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
