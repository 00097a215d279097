import { StoreInputError } from '../event-store';

/**
 * The `SnapshotStore` port: the aggregate snapshots a store keeps, listed in
 * keyset pages on (stream id, version), read one at a time, deleted one at a
 * time or by filter (counted first).
 */

export interface SnapshotKey {
  streamId: string;
  version: number;
}

export interface SnapshotView extends SnapshotKey {
  streamType: string | null;
  /** ISO-8601 (or the store's own text where it keeps text), null when the layout has no time. */
  takenAt: string | null;
  /** Bytes of the stored snapshot (its JSON text, or its bytes for binary payloads). */
  sizeBytes: number;
  /** Definition / schema version it was written with, where the layout keeps one. */
  schemaVersion: string | null;
}

export interface SnapshotFilter {
  streamType?: string;
  /** Stream ids starting with this. */
  streamPrefix?: string;
  /** Taken strictly before this instant (ISO-8601). */
  takenBefore?: string;
  /** Versions strictly below this. */
  versionBelow?: number;
  minSizeBytes?: number;
  maxSizeBytes?: number;
}

export interface ListSnapshotsOptions extends SnapshotFilter {
  /** Cursor from the previous page's `nextCursor`. */
  after?: string;
  limit?: number;
}

export interface SnapshotPage {
  snapshots: SnapshotView[];
  nextCursor: string | null;
}

export interface StoredSnapshot extends SnapshotView {
  /** Parsed JSON, or `{text}` / `{hex}` when not JSON. */
  state: unknown;
  /** False when the stored snapshot is text or bytes that do not parse as JSON (an XML payload, a binary format). */
  isJson: boolean;
}

export interface SnapshotStatePage {
  snapshots: StoredSnapshot[];
  nextCursor: string | null;
}

export interface SnapshotStore {
  source(): string;
  list(options?: ListSnapshotsOptions): Promise<SnapshotPage>;
  read(key: SnapshotKey): Promise<StoredSnapshot | null>;
  /** A page like `list`, each snapshot with its state (for verification and regeneration). */
  readPage(options?: ListSnapshotsOptions): Promise<SnapshotStatePage>;
  /** How many snapshots the filter matches (all with an empty filter). */
  count(filter: SnapshotFilter): Promise<number>;
  /**
   * Overwrites the state of an existing snapshot in the store's own format (and its
   * time, where kept). Refused with a StoreInputError when the stored snapshot is
   * not JSON: Chronoscope writes JSON only. False when there was no such snapshot.
   */
  write(key: SnapshotKey, state: unknown): Promise<boolean>;
  /** True when it existed and is gone. */
  delete(key: SnapshotKey): Promise<boolean>;
  /** Counts what the filter matches (dry run) or deletes it; returns the count either way. */
  deleteWhere(filter: SnapshotFilter, options: { dryRun: boolean }): Promise<{ count: number }>;
}

/** Snapshot cursors are opaque: base64url of `[streamId, version]`. */
export function encodeSnapshotCursor(key: SnapshotKey): string {
  return Buffer.from(JSON.stringify([key.streamId, key.version]), 'utf8').toString('base64url');
}

export function decodeSnapshotCursor(cursor: string): SnapshotKey {
  const bad = new StoreInputError('invalid snapshot cursor: pass back the nextCursor of the previous page');
  if (!/^[A-Za-z0-9_-]*$/.test(cursor)) throw bad;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'string' && Number.isSafeInteger(value[1])) return { streamId: value[0], version: value[1] as number };
  } catch {
    // fall through
  }
  throw bad;
}

/** Why a snapshot that is not JSON is neither compared nor rewritten. */
export function notJsonMessage(key: SnapshotKey, source: string): string {
  return `The snapshot of ${key.streamId} at version ${key.version} in ${source} is not JSON (text or bytes in another format): Chronoscope can neither compare it with a replay nor rewrite it in that format, and wrote nothing. Delete it instead, and let the application take a new one.`;
}

/** A filter that deletes everything must be said out loud: at least one criterion. */
export function isEmptyFilter(filter: SnapshotFilter): boolean {
  return Object.values(filter).every((v) => v === undefined);
}

/** What every adapter refuses alike; `source` names its table or collection. */
export const snapshotRefusals = {
  /** A delete with no criterion would take every snapshot. */
  emptyDeleteFilter(filter: SnapshotFilter): void {
    if (isEmptyFilter(filter)) throw new StoreInputError('Say which snapshots to delete: a stream type, a prefix, an age, a version or a size.');
  },
  /** Chronoscope rewrites JSON only. */
  notJson(snapshot: StoredSnapshot, source: string): void {
    if (!snapshot.isJson) throw new StoreInputError(notJsonMessage(snapshot, source));
  },
  /** A filter on what the layout does not keep. */
  unkeptField(source: string, field: 'streamType' | 'takenAt'): StoreInputError {
    return new StoreInputError(
      field === 'streamType'
        ? `${source} keeps no stream type: filter by stream prefix instead.`
        : `${source} keeps no time of snapshot: filter by version instead.`,
    );
  },
};
