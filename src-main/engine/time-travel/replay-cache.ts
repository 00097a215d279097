/**
 * States met along earlier replays, kept in memory so the next question about
 * the same stream starts near its target instead of at version 1: sliding
 * through a million-event stream replays at most CHECKPOINT_EVERY events once
 * the first replay has passed. Keyed by connection, stream and the exact
 * definition source; each checkpoint remembers its event's type and timestamp,
 * checked against the store before use, so a changed store is never trusted.
 */
import { createHash } from 'node:crypto';
import type { DefinitionSource } from '../definitions/definitions';

export const CHECKPOINT_EVERY = 10_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

export interface Checkpoint {
  version: number;
  /** The state as JSON text (also its size in the budget). */
  state: string;
  /** The event at `version`, to recognise the same stream later. */
  type: string;
  timestamp: string | null;
}

interface Entry {
  checkpoints: Checkpoint[]; // ascending versions
  bytes: number;
}

export class ReplayCache {
  /** Insertion order is recency: a read moves its entry to the end. */
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes = DEFAULT_MAX_BYTES) {}

  key(connectionId: string, streamId: string, definition: DefinitionSource): string {
    const digest = createHash('sha256').update(definition.name).update('\0').update(definition.source).digest('base64url');
    return `${connectionId}\u0000${streamId}\u0000${digest}`;
  }

  /** The latest checkpoint at or before `version` (any version when undefined). */
  best(key: string, version: number | undefined): Checkpoint | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (let i = entry.checkpoints.length - 1; i >= 0; i--) {
      const checkpoint = entry.checkpoints[i]!;
      if (version === undefined || checkpoint.version <= version) return checkpoint;
    }
    return undefined;
  }

  record(key: string, checkpoint: Checkpoint): void {
    if (checkpoint.state.length > this.maxBytes / 8) return; // one huge state must not evict everything else
    const entry = this.entries.get(key) ?? { checkpoints: [], bytes: 0 };
    if (entry.checkpoints.some((c) => c.version === checkpoint.version)) return;
    entry.checkpoints.push(checkpoint);
    entry.checkpoints.sort((a, b) => a.version - b.version);
    entry.bytes += checkpoint.state.length;
    this.bytes += checkpoint.state.length;
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const [oldest, old] of this.entries) {
      if (this.bytes <= this.maxBytes || oldest === key) break;
      this.entries.delete(oldest);
      this.bytes -= old.bytes;
    }
  }

  /** Drops what is known about one stream (its store no longer matches). */
  forget(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  get size(): { streams: number; bytes: number } {
    return { streams: this.entries.size, bytes: this.bytes };
  }
}
