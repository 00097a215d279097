import { ConcurrencyConflictError } from '../../../src-main/reference/errors';
import type { DomainEvent } from '../../../src-main/reference/events';
import type { AppendRequest, CommandEventStore, Snapshot } from '../../../src-main/reference/store';

/** A CommandEventStore in memory, with the same uniqueness rules as the real ones. */
export class InMemoryEventStore implements CommandEventStore {
  readonly kind = 'postgres' as const;
  readonly streams = new Map<string, DomainEvent[]>();
  readonly snapshots = new Map<string, Snapshot[]>();
  private readonly ids = new Set<string>();
  /** Called after the conflict checks and before the write: lets a test slip in a concurrent writer. */
  beforeWrite?: (request: AppendRequest) => void;

  async *readStream(aggregateId: string, afterVersion: number): AsyncIterable<DomainEvent> {
    for (const e of this.streams.get(aggregateId) ?? []) if (e.version > afterVersion) yield e;
  }

  async append(request: AppendRequest): Promise<void> {
    this.beforeWrite?.(request);
    const stream = this.streams.get(request.aggregateId) ?? [];
    const taken = new Set(stream.map((e) => e.version));
    if (request.events.some((e) => taken.has(e.version) || this.ids.has(e.eventId))) {
      throw new ConcurrencyConflictError(request.aggregateType, request.aggregateId, request.expectedVersion);
    }
    for (const e of request.events) this.ids.add(e.eventId);
    this.streams.set(request.aggregateId, [...stream, ...request.events]);
    if (request.snapshot) this.snapshots.set(request.aggregateId, [...(this.snapshots.get(request.aggregateId) ?? []), request.snapshot]);
  }

  async findEvent(eventId: string): Promise<DomainEvent | null> {
    for (const stream of this.streams.values()) for (const e of stream) if (e.eventId === eventId) return e;
    return null;
  }

  async latestSnapshot(aggregateId: string): Promise<Snapshot | null> {
    return this.snapshots.get(aggregateId)?.at(-1) ?? null;
  }
}
