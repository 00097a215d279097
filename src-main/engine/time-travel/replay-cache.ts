/**
 * States met along earlier replays, kept in memory so the next question about
 * the same stream starts near its target instead of at version 1: sliding
 * through a million-event stream replays at most WAYPOINT_EVERY events once
 * the first replay has passed. Keyed by connection, stream and the exact
 * definition source; each replay waypoint remembers its event's type and timestamp,
 * checked against the store before use, so a changed store is never trusted.
 * ("Waypoint", not "checkpoint": a checkpoint is a projection's position in a store.)
 */
import { createHash } from 'node:crypto';
import type { DefinitionSource } from '../definitions/definitions';

export const WAYPOINT_EVERY = 10_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/** A state a replay passed through, remembered to start a later replay from. */
export interface ReplayWaypoint {
  version: number;
  /** The state as JSON text (also its size in the budget). */
  state: string;
  /** The event at `version`, to recognise the same stream later. */
  type: string;
  timestamp: string | null;
}

interface Entry {
  waypoints: ReplayWaypoint[]; // ascending versions
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

  /** The latest waypoint at or before `version` (any version when undefined). */
  best(key: string, version: number | undefined): ReplayWaypoint | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (let i = entry.waypoints.length - 1; i >= 0; i--) {
      const waypoint = entry.waypoints[i]!;
      if (version === undefined || waypoint.version <= version) return waypoint;
    }
    return undefined;
  }

  record(key: string, waypoint: ReplayWaypoint): void {
    if (waypoint.state.length > this.maxBytes / 8) return; // one huge state must not evict everything else
    const entry = this.entries.get(key) ?? { waypoints: [], bytes: 0 };
    if (entry.waypoints.some((c) => c.version === waypoint.version)) return;
    entry.waypoints.push(waypoint);
    entry.waypoints.sort((a, b) => a.version - b.version);
    entry.bytes += waypoint.state.length;
    this.bytes += waypoint.state.length;
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

  /** Drops every definition's waypoints of one stream (they may descend from a snapshot found wrong). */
  forgetStream(connectionId: string, streamId: string): void {
    const prefix = `${connectionId}\u0000${streamId}\u0000`;
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.forget(key);
  }

  get size(): { streams: number; bytes: number } {
    return { streams: this.entries.size, bytes: this.bytes };
  }
}
