import type { CheckpointKey } from '../../stores/ports/checkpoint-store';

interface Seen {
  position: string | null;
  /** When this position was first seen (it has not moved since). */
  since: number;
  /** When a change of position was last seen, if one was. */
  changedAt: number | null;
}

/** Identity of a checkpoint within a connection, for maps and file names. */
export function keyId(key: CheckpointKey): string {
  return JSON.stringify([key.store, key.projector, key.source]);
}

/**
 * What the engine saw of each checkpoint's position over time: how long it has
 * held still, and when it last moved. Layouts without an updated-at column get
 * their stalled status and the reset's liveness warning from here.
 */
export class Movements {
  private readonly seen = new Map<string, Seen>();

  constructor(private readonly now: () => number = Date.now) {}

  observe(connectionId: string, key: CheckpointKey, position: string | null): Seen {
    const id = `${connectionId}\u0000${keyId(key)}`;
    const at = this.now();
    const before = this.seen.get(id);
    if (!before) {
      const fresh = { position, since: at, changedAt: null };
      this.seen.set(id, fresh);
      return fresh;
    }
    if (before.position !== position) {
      const moved = { position, since: at, changedAt: at };
      this.seen.set(id, moved);
      return moved;
    }
    return before;
  }

  /** When the checkpoint was last seen moving: its own updated-at or an observed change, whichever is later. */
  lastMovedAt(connectionId: string, key: CheckpointKey, updatedAt: string | null): number | null {
    const observed = this.seen.get(`${connectionId}\u0000${keyId(key)}`)?.changedAt ?? null;
    const written = updatedAt ? Date.parse(updatedAt) : NaN;
    const candidates = [observed, Number.isNaN(written) ? null : written].filter((t): t is number => t !== null);
    return candidates.length ? Math.max(...candidates) : null;
  }

  forget(connectionId: string): void {
    for (const id of this.seen.keys()) if (id.startsWith(`${connectionId}\u0000`)) this.seen.delete(id);
  }
}
