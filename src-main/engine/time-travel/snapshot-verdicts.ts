/**
 * What verifications found about stored snapshots, remembered per connection,
 * stream and version, so a snapshot known to differ from a replay is never
 * used silently to build a state. A verdict holds only for the very state it
 * was given (a digest of it) and the definition that replayed it: a snapshot
 * regenerated since, or checked with another definition, counts as unverified.
 */
import { createHash } from 'node:crypto';

/** Who found the verdict: the time-travel quick check, "Verify snapshot", the Snapshots screen's inspect, a "verify all" job. */
export type VerdictSource = 'quickCheck' | 'verifySnapshot' | 'inspect' | 'verifyAll';

export interface SnapshotVerdict {
  ok: boolean;
  source: VerdictSource;
  /** The definition that replayed the stream (its resolved name, e.g. `account`). */
  definition: string;
  stateDigest: string;
}

export interface SnapshotRef {
  streamId: string;
  version: number;
  state: unknown;
}

/** Verdicts kept at most; the oldest go first (a remembered verdict is a shortcut, never the only guard). */
const MAX_VERDICTS = 100_000;

export class SnapshotVerdicts {
  private readonly verdicts = new Map<string, SnapshotVerdict>();
  private readonly listeners = new Set<(connectionId: string, streamId: string) => void>();

  record(connectionId: string, snapshot: SnapshotRef, definition: string, ok: boolean, source: VerdictSource): void {
    const key = keyOf(connectionId, snapshot.streamId, snapshot.version);
    this.verdicts.delete(key);
    this.verdicts.set(key, { ok, source, definition, stateDigest: digestOf(snapshot.state) });
    if (this.verdicts.size > MAX_VERDICTS) this.verdicts.delete(this.verdicts.keys().next().value!);
    if (!ok) for (const listener of this.listeners) listener(connectionId, snapshot.streamId);
  }

  /** The verdict on this very snapshot state, found with this definition; undefined when none applies. */
  lookup(connectionId: string, snapshot: SnapshotRef, definition: string): SnapshotVerdict | undefined {
    const verdict = this.verdicts.get(keyOf(connectionId, snapshot.streamId, snapshot.version));
    if (!verdict || verdict.definition !== definition || verdict.stateDigest !== digestOf(snapshot.state)) return undefined;
    return verdict;
  }

  /** Called when a snapshot is found to differ (replays that started from it are suspect). */
  onMismatch(listener: (connectionId: string, streamId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function keyOf(connectionId: string, streamId: string, version: number): string {
  return `${connectionId}\u0000${streamId}\u0000${version}`;
}

/** SHA-256 of the state as canonical JSON (keys sorted): the same state read by two paths gives the same digest. */
export function digestOf(state: unknown): string {
  return createHash('sha256').update(canonicalJson(state)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
