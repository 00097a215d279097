import type { Collection, Document } from 'mongodb';
import { checkPosition, StoreCapabilityError, StoreInputError } from '../event-store';
import { get } from './document-path';
import { extrapolateLag, type PositionLag, type PositionRanges, type RangeEvent, type RangeSummary } from '../position-ranges';

/** Field names the range reads need (a subset of the events mapping). */
export interface RangeFields {
  position: string;
  streamId: string;
  type: string;
  timestamp?: string;
}

function numberOf(position: string, what: string): number {
  checkPosition(position, what);
  const n = Number(position);
  if (!Number.isSafeInteger(n)) throw new StoreInputError(`${what} ${position} is beyond what this MongoDB store can compare exactly (2^53)`);
  return n;
}

function iso(value: unknown): string | null {
  if (value instanceof Date) return value.toISOString();
  return value === undefined || value === null ? null : String(value);
}

/** Position-range reads over a one-document-per-event collection: counts bounded by the window, like PostgreSQL's. */
export class MongoPositionRanges implements PositionRanges {
  constructor(
    private readonly events: Collection,
    private readonly f: RangeFields,
  ) {}

  private projection(): Document {
    return { [this.f.position]: 1, [this.f.streamId]: 1, [this.f.type]: 1, ...(this.f.timestamp ? { [this.f.timestamp]: 1 } : {}) };
  }

  private edge(doc: Document | undefined): RangeEvent | null {
    if (!doc) return null;
    return {
      position: String(get(doc, this.f.position)),
      streamId: String(get(doc, this.f.streamId)),
      type: String(get(doc, this.f.type)),
      timestamp: iso(get(doc, this.f.timestamp)),
    };
  }

  async lagBehind(positions: readonly string[], head: string, window: number, category?: string): Promise<Map<string, PositionLag>> {
    // No MongoDB layout keeps category checkpoints (Message DB is PostgreSQL only).
    if (category !== undefined) throw new StoreCapabilityError('lag within a category is not counted on MongoDB stores');
    const top = numberOf(head, 'the head position');
    const out = new Map<string, PositionLag>();
    for (const position of new Set(positions)) {
      const from = numberOf(position, 'a checkpoint position');
      const counted = from >= top ? 0 : await this.events.countDocuments({ [this.f.position]: { $gt: from, $lte: Math.min(top, from + window) } });
      const [oldest] =
        from >= top || !this.f.timestamp
          ? []
          : await this.events
              .find({ [this.f.position]: { $gt: from, $lte: top } }, { projection: { [this.f.timestamp]: 1 } })
              .sort({ [this.f.position]: 1 })
              .limit(1)
              .toArray();
      out.set(position, {
        ...extrapolateLag(BigInt(from), BigInt(top), counted, window),
        oldestUnprocessedAt: oldest ? iso(get(oldest, this.f.timestamp)) : null,
      });
    }
    return out;
  }

  async summarize(after: string, upTo: string): Promise<RangeSummary> {
    const range = { [this.f.position]: { $gt: numberOf(after, 'the range start'), $lte: numberOf(upTo, 'the range end') } };
    const groups = await this.events
      .aggregate<{ _id: unknown; n: number }>([{ $match: range }, { $group: { _id: `$${this.f.type}`, n: { $sum: 1 } } }])
      .toArray();
    const byType = groups.map((g) => ({ type: String(g._id), count: g.n })).sort((a, b) => b.count - a.count || a.type.localeCompare(b.type));
    const [first] = await this.events
      .find(range, { projection: this.projection() })
      .sort({ [this.f.position]: 1 })
      .limit(1)
      .toArray();
    const [last] = await this.events
      .find(range, { projection: this.projection() })
      .sort({ [this.f.position]: -1 })
      .limit(1)
      .toArray();
    return { count: byType.reduce((n, t) => n + t.count, 0), byType, first: this.edge(first), last: this.edge(last) };
  }

  async lastPositionBefore(at: Date): Promise<string | null> {
    if (!this.f.timestamp) return null;
    // Positions follow time closely: the newest position among events older than `at`.
    const [doc] = await this.events
      .find({ [this.f.timestamp]: { $lt: at } }, { projection: { [this.f.position]: 1 } })
      .sort({ [this.f.position]: -1 })
      .limit(1)
      .toArray();
    return doc ? String(get(doc, this.f.position)) : null;
  }
}
