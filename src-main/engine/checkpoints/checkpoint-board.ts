import { partitionLag } from '../../../src-shared/partition-lag';
import type { CheckpointRow, CheckpointStatus, CheckpointsListResult, ProjectorGroup } from '../../../src-shared/schemas/checkpoints';
import type { EventStore } from '../../stores/event-store';
import type { CheckpointView } from '../../stores/ports/checkpoint-store';
import { EXACT_LAG_WINDOW, type PositionLag } from '../../stores/position-ranges';
import type { CheckpointService } from './checkpoint-service';
import type { Movements } from './movements';

/** Ends of the partitions of a Kafka topic: the next offset each will be written at. */
export type KafkaEnds = (kafkaConnectionId: string, topic: string) => Promise<Map<number, string>>;

/** Log start and end offsets of the partitions of a Kafka topic. */
export type KafkaBounds = (kafkaConnectionId: string, topic: string) => Promise<Map<number, { start: string; end: string }>>;

export interface BoardDeps {
  checkpoints: CheckpointService;
  eventStore(connectionId: string): Promise<EventStore>;
  kafkaBounds: KafkaBounds;
  movements: Movements;
  now?: () => number;
}

export interface BoardOptions {
  kafkaConnectionId?: string;
  stalledAfterSeconds: number;
}

const KAFKA_SOURCE = /^kafka:(.+):(\d+)$/;

/** `kafka:<topic>:<partition>` sources: the topic and partition, else undefined. */
export function kafkaPartitionOf(source: string): { topic: string; partition: number } | undefined {
  const match = KAFKA_SOURCE.exec(source);
  return match ? { topic: match[1]!, partition: Number(match[2]) } : undefined;
}

const STATUS_RANK: Record<CheckpointStatus, number> = { ahead: 4, stalled: 3, behind: 2, unknown: 1, 'caught-up': 0 };

/** The worse of two statuses, for a projector made of several rows. */
export function worseStatus(a: CheckpointStatus, b: CheckpointStatus): CheckpointStatus {
  return STATUS_RANK[b] > STATUS_RANK[a] ? b : a;
}

/**
 * Every projector of a connection with its position, the head, the lag in events
 * and in time, and a status. One list of checkpoints, one head and one batched
 * lag query per refresh, whatever the number of checkpoints.
 */
export class CheckpointBoard {
  private readonly now: () => number;

  constructor(private readonly deps: BoardDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** An empty store's head counts as position 0: a checkpoint past it is ahead. */
  async list(connectionId: string, options: BoardOptions): Promise<CheckpointsListResult> {
    const notes: string[] = [];
    const { sources, checkpoints } = await this.deps.checkpoints.list(connectionId);
    const store = await this.deps.eventStore(connectionId);
    const ranges = store.positionRanges?.() ?? null;
    let head: string | null = null;
    let emptyStore = false;
    try {
      head = await store.headPosition();
      emptyStore = head === null;
    } catch (err) {
      notes.push(`The store's head could not be read (${(err as Error).message}): lags of its projectors are unknown.`);
    }

    const eventRows = checkpoints.filter((c) => !kafkaPartitionOf(c.source) && c.position !== null);
    const lags = new Map<string, PositionLag>();
    if (ranges && head !== null && eventRows.length) {
      // One batched query for the whole store, one per category that consumers read.
      const byCategory = new Map<string | undefined, string[]>();
      for (const c of eventRows) if (BigInt(c.position!) < BigInt(head)) byCategory.set(c.lagCategory, [...(byCategory.get(c.lagCategory) ?? []), c.position!]);
      for (const [category, positions] of byCategory) {
        for (const [position, lag] of await ranges.lagBehind(positions, head, EXACT_LAG_WINDOW, category)) lags.set(lagKey(category, position), lag);
      }
    }
    const kafkaHeads = await this.kafkaHeads(checkpoints, options.kafkaConnectionId, notes);
    const now = this.now();
    const rows = withUncheckpointedPartitions(checkpoints, kafkaHeads).map((c) =>
      this.row(connectionId, c, emptyStore ? '0' : head, lags, kafkaHeads, options, now),
    );
    return { connectionId, sources, head, at: new Date(now).toISOString(), projectors: group(rows), notes };
  }

  private async kafkaHeads(
    checkpoints: CheckpointView[],
    kafkaConnectionId: string | undefined,
    notes: string[],
  ): Promise<Map<string, { start: string; end: string }>> {
    const heads = new Map<string, { start: string; end: string }>();
    const topics = [...new Set(checkpoints.map((c) => kafkaPartitionOf(c.source)?.topic).filter((t): t is string => t !== undefined))];
    if (topics.length === 0) return heads;
    if (!kafkaConnectionId) {
      notes.push(
        `Choose the Kafka connection of topic${topics.length > 1 ? 's' : ''} ${topics.join(', ')} to see how far its partition checkpoints are behind.`,
      );
      return heads;
    }
    for (const topic of topics) {
      try {
        for (const [partition, bounds] of await this.deps.kafkaBounds(kafkaConnectionId, topic)) heads.set(`kafka:${topic}:${partition}`, bounds);
      } catch (err) {
        notes.push(`The ends of Kafka topic ${topic} could not be read: ${(err as Error).message}`);
      }
    }
    return heads;
  }

  private row(
    connectionId: string,
    c: CheckpointView,
    storeHead: string | null,
    lags: Map<string, PositionLag>,
    kafkaHeads: Map<string, { start: string; end: string }>,
    options: BoardOptions,
    now: number,
  ): CheckpointRow {
    const kafka = kafkaPartitionOf(c.source);
    const bounds = kafka ? kafkaHeads.get(c.source) : undefined;
    const head = kafka ? (bounds?.end ?? null) : storeHead;
    const seen = this.deps.movements.observe(connectionId, c, c.position);
    const lastMoved = this.deps.movements.lastMovedAt(connectionId, c, c.updatedAt);
    // Held still at least since first seen at this position, and since its own last write.
    const unmovedMs = Math.max(now - seen.since, lastMoved !== null && seen.changedAt === null ? now - lastMoved : 0);
    const base = {
      store: c.store,
      projector: c.projector,
      source: c.source,
      kind: c.kind,
      role: c.role,
      sourceKind: kafka ? ('kafka' as const) : ('events' as const),
      ...(kafka ? { kafka } : {}),
      position: c.position,
      head,
      updatedAt: c.updatedAt,
      unmovedMs,
      ...(c.extras ? { extras: c.extras } : {}),
    };
    if (kafka && bounds && c.extras?.unreadablePosition === undefined) return this.kafkaRow(base, c, bounds, unmovedMs, options);
    if (c.position === null) {
      const unreadable = c.extras?.unreadablePosition;
      const note = unreadable !== undefined ? `The stored position ${JSON.stringify(unreadable)} is not a number.` : 'No position stored yet.';
      return { ...base, lag: null, lagMs: null, oldestUnprocessedAt: null, status: 'unknown', note };
    }
    if (head === null) {
      return {
        ...base,
        lag: null,
        lagMs: null,
        oldestUnprocessedAt: null,
        status: 'unknown',
        note: kafka ? 'The end of this partition is unknown.' : 'The head of the store is unknown.',
      };
    }
    const position = BigInt(c.position);
    const end = BigInt(head);
    if (position > end) {
      return {
        ...base,
        lag: { events: 0, estimated: false },
        lagMs: 0,
        oldestUnprocessedAt: null,
        status: 'ahead',
        note: `Position ${c.position} is past the head ${head}: the checkpoint is corrupt or belongs to another store.`,
      };
    }
    const lag = lags.get(lagKey(c.lagCategory, c.position)) ?? { events: 0, estimated: false, oldestUnprocessedAt: null };
    const lagMs = lag.events === 0 ? 0 : lag.oldestUnprocessedAt ? Math.max(0, now - Date.parse(lag.oldestUnprocessedAt)) : null;
    const status = behindStatus(lag.events, c, unmovedMs, options);
    const note = status === 'stalled' ? stalledNote(unmovedMs) : lag.estimated ? 'Lag estimated from the positions nearest the checkpoint.' : undefined;
    return {
      ...base,
      lag: { events: lag.events, estimated: lag.estimated },
      lagMs,
      oldestUnprocessedAt: lag.oldestUnprocessedAt,
      status,
      ...(note ? { note } : {}),
    };
  }

  /**
   * A Kafka partition checkpoint (the next offset to read) against its
   * partition's log start and end, by the one rule of partition lag
   * (src-shared/partition-lag.ts): no offset stored counts every retained
   * message as unread, as the Kafka screens do for a group without a commit.
   */
  private kafkaRow(
    base: Omit<CheckpointRow, 'lag' | 'lagMs' | 'oldestUnprocessedAt' | 'status' | 'note'>,
    c: CheckpointView,
    bounds: { start: string; end: string },
    unmovedMs: number,
    options: BoardOptions,
  ): CheckpointRow {
    const { lag, basis } = partitionLag({ committed: c.position === null ? null : Number(c.position), start: Number(bounds.start), end: Number(bounds.end) });
    if (basis === 'past-end') {
      return {
        ...base,
        lag: { events: 0, estimated: false },
        lagMs: 0,
        oldestUnprocessedAt: null,
        status: 'ahead',
        note: `Position ${c.position} is past the partition end ${bounds.end}: the checkpoint is corrupt or belongs to another store.`,
      };
    }
    const status = behindStatus(lag, c, unmovedMs, options);
    const why =
      basis === 'no-commit'
        ? `No offset stored for this partition: every message still in it (${bounds.start} to ${bounds.end}) counts as unread.`
        : basis === 'below-start'
          ? `Offset ${c.position} was deleted by retention (the partition starts at ${bounds.start}): only the messages still in it count.`
          : undefined;
    const note = [status === 'stalled' ? stalledNote(unmovedMs) : undefined, why].filter(Boolean).join(' ');
    return { ...base, lag: { events: lag, estimated: false }, lagMs: lag === 0 ? 0 : null, oldestUnprocessedAt: null, status, ...(note ? { note } : {}) };
  }
}

function behindStatus(events: number, c: CheckpointView, unmovedMs: number, options: BoardOptions): CheckpointStatus {
  const status: CheckpointStatus = events === 0 ? 'caught-up' : unmovedMs >= options.stalledAfterSeconds * 1000 ? 'stalled' : 'behind';
  return c.role === 'mark' && status === 'stalled' ? 'behind' : status;
}

function stalledNote(unmovedMs: number): string {
  return `Behind and not moved for ${Math.round(unmovedMs / 1000)} s.`;
}

/**
 * The checkpoints with, after each Kafka projector's rows of a topic, the
 * partitions of that topic it has no checkpoint for (one it never read, or one
 * added since): listed without a position, so their unread messages count, as
 * a group's partition without a commit does on the Kafka screens.
 */
function withUncheckpointedPartitions(checkpoints: readonly CheckpointView[], kafkaHeads: Map<string, unknown>): CheckpointView[] {
  const topicOf = (c: CheckpointView): string | undefined => {
    const kafka = c.role === 'projector' ? kafkaPartitionOf(c.source) : undefined;
    return kafka ? `${c.store}\u0000${c.projector}\u0000${kafka.topic}` : undefined;
  };
  const lastIndex = new Map<string, number>();
  const present = new Set<string>();
  checkpoints.forEach((c, i) => {
    const key = topicOf(c);
    if (key === undefined) return;
    lastIndex.set(key, i);
    present.add(`${c.store}\u0000${c.projector}\u0000${c.source}`);
  });
  const out: CheckpointView[] = [];
  checkpoints.forEach((c, i) => {
    out.push(c);
    const key = topicOf(c);
    if (key === undefined || lastIndex.get(key) !== i) return;
    const prefix = `kafka:${kafkaPartitionOf(c.source)!.topic}:`;
    const partitions = [...kafkaHeads.keys()].filter((source) => source.startsWith(prefix) && /^\d+$/.test(source.slice(prefix.length)));
    for (const source of partitions.sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)))) {
      if (!present.has(`${c.store}\u0000${c.projector}\u0000${source}`))
        out.push({ store: c.store, projector: c.projector, source, kind: c.kind, role: 'projector', position: null, updatedAt: null });
    }
  });
  return out;
}

function lagKey(category: string | undefined, position: string): string {
  return category === undefined ? position : `${category}\u0000${position}`;
}

/** Rows grouped per projector, worst first within equal names' order kept. */
function group(rows: CheckpointRow[]): ProjectorGroup[] {
  const groups = new Map<string, ProjectorGroup>();
  for (const row of rows) {
    let g = groups.get(row.projector);
    if (!g) groups.set(row.projector, (g = { projector: row.projector, status: row.status, lagEvents: null, lagEstimated: false, lagMs: null, rows: [] }));
    g.rows.push(row);
    g.status = worseStatus(g.status, row.status);
    if (row.lag) {
      g.lagEvents = (g.lagEvents ?? 0) + row.lag.events;
      g.lagEstimated ||= row.lag.estimated;
    }
    if (row.lagMs !== null) g.lagMs = Math.max(g.lagMs ?? 0, row.lagMs);
  }
  return [...groups.values()];
}
