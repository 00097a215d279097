import { join } from 'node:path';
import { LAG_STATUSES, type LagStatus } from '../../../src-shared/schemas/kafka';
import { LABEL_KEY } from '../lag/segment-codec';
import { SegmentHistory, sampleIndexes, type ColumnarSegment, type SeriesValue } from '../lag/segment-history';

/**
 * One sample of a group: every partition's committed (null: none), log start
 * and end offsets, and the group status then. `start` is absent in history
 * written before log starts were recorded.
 */
export interface GroupSample {
  at: number;
  status: LagStatus;
  partitions: { key: string; committed: number | null; end: number; start?: number }[];
}

/** The end offsets of a connection's partitions, shared by every group reading them. */
const ENDS = 'ends';
/** Their log start offsets (what a group without a commit has unread), shared the same way. */
const STARTS = 'starts';

/**
 * The Kafka groups' lag history, in the format of every lag history
 * (lag/segment-history.ts), per connection: `kafka-lag/<connection>/ends/`
 * holds each topic-partition's end offset once, whatever the number of groups
 * reading it, and `starts/` its log start offset the same way (lag by the
 * rule of src-shared/partition-lag.ts needs both); `kafka-lag/<connection>/<group>/`
 * holds the group's committed offsets, one key per partition, and its status
 * under the label key. A chart over more than a few hours reads one sample a
 * minute from the last hour too, so a day is ~1,440 points per partition, not 17,280.
 */
export class GroupLagHistory {
  private readonly segments: SegmentHistory;

  constructor(readonly dir: string) {
    this.segments = new SegmentHistory(dir);
  }

  async append(connectionId: string, groupId: string, sample: GroupSample): Promise<void> {
    const connection = safeName(connectionId);
    await this.segments.append(
      join(connection, ENDS),
      sample.at,
      sample.partitions.map((p) => [p.key, p.end] as const),
      { merge: true },
    );
    const starts = sample.partitions.flatMap((p): [string, number][] => (p.start === undefined ? [] : [[p.key, p.start]]));
    if (starts.length) await this.segments.append(join(connection, STARTS), sample.at, starts, { merge: true });
    const entries: [string, SeriesValue][] = [[LABEL_KEY, sample.status], ...sample.partitions.map((p): [string, SeriesValue] => [p.key, p.committed])];
    await this.segments.append(join(connection, safeName(groupId)), sample.at, entries);
  }

  /** Waits for closed segments being rewritten (the bench and tests measure settled files). */
  flush(): Promise<void> {
    return this.segments.flush();
  }

  /**
   * Samples in [from, to], oldest first. With `stepMs`, only the first sample
   * of each step (a chart that cannot show more).
   */
  async read(connectionId: string, groupId: string, from: number, to: number, stepMs = 0): Promise<GroupSample[]> {
    const connection = safeName(connectionId);
    const [group, ends, starts] = await Promise.all([
      this.segments.readSegments(join(connection, safeName(groupId)), from, to),
      this.segments.readSegments(join(connection, ENDS), from, to),
      this.segments.readSegments(join(connection, STARTS), from, to),
    ]);
    return joinOffsets(group, ends, starts, from, to, stepMs);
  }

  /** Applies the retention of every lag history to every series, closes segments left open by a restart. */
  compact(now: number): Promise<void> {
    return this.segments.compact(now);
  }

  /** Bytes on disk, for the bench and the settings screen. */
  bytes(): Promise<number> {
    return this.segments.bytes();
  }
}

/** A file name for any group id: percent-encoded, with the characters some file systems refuse encoded too. */
function safeName(name: string): string {
  return `g-${encodeURIComponent(name).replace(/[*!'()~.]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

/** A status as written now (its name) or in segments of the first columnar format (its index). */
function statusOf(value: SeriesValue | undefined): LagStatus {
  if (typeof value === 'number') return LAG_STATUSES[value] ?? 'OK';
  return typeof value === 'string' && (LAG_STATUSES as readonly string[]).includes(value) ? (value as LagStatus) : 'OK';
}

/**
 * A connection-wide series (end or start offsets) read forward in time: each
 * call moves it to `t` and leaves the latest value of each key at or before it.
 */
function seriesCursor(segments: ColumnarSegment[]): { state: Map<string, number>; advance(t: number): void } {
  const state = new Map<string, number>();
  let segIndex = 0;
  let sampleIndex = 0;
  const advance = (t: number) => {
    for (; segIndex < segments.length; segIndex += 1, sampleIndex = 0) {
      const seg = segments[segIndex]!;
      for (; sampleIndex < seg.times.length; sampleIndex += 1) {
        if (seg.times[sampleIndex]! > t) return;
        for (let k = 0; k < seg.keys.length; k += 1) {
          const v = seg.columns[k]![sampleIndex];
          if (typeof v === 'number') state.set(seg.keys[k]!, v);
        }
      }
    }
  };
  return { state, advance };
}

/**
 * A group's samples joined with the connection's end and start offsets: each
 * sample takes, per partition, the latest ones recorded at or before it.
 */
function joinOffsets(
  groupSegments: ColumnarSegment[],
  endSegments: ColumnarSegment[],
  startSegments: ColumnarSegment[],
  from: number,
  to: number,
  stepMs: number,
): GroupSample[] {
  const ends = seriesCursor(endSegments);
  const starts = seriesCursor(startSegments);
  const out: GroupSample[] = [];
  for (const { seg, i, t } of sampleIndexes(groupSegments, from, to, stepMs)) {
    const label = seg.keys.indexOf(LABEL_KEY);
    ends.advance(t);
    starts.advance(t);
    const partitions: GroupSample['partitions'] = [];
    for (let k = 0; k < seg.keys.length; k += 1) {
      const committed = seg.columns[k]![i];
      if (committed === undefined || k === label) continue;
      const key = seg.keys[k]!;
      const start = starts.state.get(key);
      // Segments written before null was a value kept -1 for "no commit".
      const offset = typeof committed === 'number' && committed >= 0 ? committed : null;
      partitions.push({ key, committed: offset, end: ends.state.get(key) ?? 0, ...(start !== undefined ? { start } : {}) });
    }
    out.push({ at: t, status: statusOf(label < 0 ? undefined : seg.columns[label]![i]), partitions });
  }
  return out.sort((a, b) => a.at - b.at);
}
