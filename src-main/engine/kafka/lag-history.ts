import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { LAG_STATUSES, type LagStatus } from '../../../src-shared/schemas/kafka';
import { DOWNSAMPLED_STEP_MS, FULL_RESOLUTION_MS, KEEP_MS } from '../lag/retention';
import { decodeColumnar, encodeColumnar, type ColumnarSegment } from './history-codec';

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

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

/** One segment file covers this much time. */
const SEGMENT_MS = 10 * 60_000;
/** The end offsets of a connection's partitions, shared by every group reading them. */
const ENDS = 'ends';
/** Their log start offsets (what a group without a commit has unread), shared the same way. */
const STARTS = 'starts';

interface Writer {
  segment: string;
  keys: string[];
  index: Map<string, number>;
  last: number[];
  lastAt: number;
}

/**
 * Lag history on disk, per connection: `kafka-lag/<connection>/ends/` holds
 * each topic-partition's end offset once, whatever the number of groups
 * reading it, and `starts/` its log start offset the same way (lag by the rule
 * of src-shared/partition-lag.ts needs both); `kafka-lag/<connection>/<group>/` holds the group's committed
 * offsets and status. Both are cut in ten-minute segments named by their
 * start (`yyyymmddhhmm`).
 *
 * - The open segment is NDJSON, appended each tick: a keyframe (`{t,s,k,v}`)
 *   then only the partitions that moved, as deltas (`{t,s,d:[[index,Δ]]}`),
 *   so a crash loses at most a torn last line.
 * - A closed segment is rewritten columnar (history-codec.ts: per partition,
 *   varint deltas) and gzipped: `.bin.gz`.
 * - Past an hour a segment keeps the first sample of each minute (`.min.bin.gz`);
 *   past seven days it is deleted: the retention of every lag history (lag/retention.ts). A chart over more than a few hours reads
 *   one sample a minute from the last hour too, so a day is ~1,440 points per
 *   partition, not 17,280.
 */
export class GroupLagHistory {
  private readonly writers = new Map<string, Writer>();
  private pending: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {}

  async append(connectionId: string, groupId: string, sample: GroupSample): Promise<void> {
    const connectionDir = join(this.dir, safeName(connectionId));
    await this.write(join(connectionDir, ENDS), sample.at, undefined, sample.partitions.map((p) => [p.key, p.end]), true);
    const starts = sample.partitions.flatMap((p): [string, number][] => (p.start === undefined ? [] : [[p.key, p.start]]));
    if (starts.length) await this.write(join(connectionDir, STARTS), sample.at, undefined, starts, true);
    await this.write(join(connectionDir, safeName(groupId)), sample.at, sample.status, sample.partitions.map((p) => [p.key, p.committed ?? -1]), false);
  }

  /**
   * Appends one line to a series. `merge` (end offsets): keys only ever join,
   * and a second group sampled at the same instant adds only what moved.
   */
  private async write(seriesDir: string, at: number, status: LagStatus | undefined, entries: [string, number][], merge: boolean): Promise<void> {
    const segment = segmentName(at);
    let writer = this.writers.get(seriesDir);
    const keyframe = !writer || writer.segment !== segment || (merge ? entries.some(([k]) => !writer!.index.has(k)) : !sameKeys(writer.keys, entries));
    const s = status === undefined ? {} : { s: status };
    let line: string;
    if (keyframe) {
      if (!writer) await mkdir(seriesDir, { recursive: true });
      else if (writer.segment !== segment) this.closeLater(join(seriesDir, `${writer.segment}.ndjson`));
      const keys = merge && writer && writer.segment === segment ? [...writer.keys, ...entries.map(([k]) => k).filter((k) => !writer!.index.has(k))] : entries.map(([k]) => k);
      const index = new Map(keys.map((k, i) => [k, i]));
      const last = keys.map((k) => (merge && writer?.index.has(k) ? writer.last[writer.index.get(k)!]! : 0));
      for (const [k, v] of entries) last[index.get(k)!] = v;
      writer = { segment, keys, index, last, lastAt: at };
      this.writers.set(seriesDir, writer);
      line = JSON.stringify({ t: at, ...s, k: keys, v: last });
    } else {
      const w = writer!;
      const deltas: [number, number][] = [];
      for (const [k, v] of entries) {
        const i = w.index.get(k)!;
        if (v !== w.last[i]) deltas.push([i, v - w.last[i]!]);
        w.last[i] = v;
      }
      // A second group at the same instant with nothing new: the end offsets are already there.
      if (merge && at === w.lastAt && deltas.length === 0) return;
      w.lastAt = at;
      line = JSON.stringify({ t: at, ...s, d: deltas });
    }
    await appendFile(join(seriesDir, `${segment}.ndjson`), `${line}\n`);
  }

  /** Waits for closed segments being rewritten (the bench and tests measure settled files). */
  async flush(): Promise<void> {
    await this.pending;
  }

  private closeLater(file: string): void {
    this.pending = this.pending.then(() => closeSegment(file)).catch(() => undefined);
  }

  /**
   * Samples in [from, to], oldest first. With `stepMs`, only the first sample
   * of each step (a chart that cannot show more).
   */
  async read(connectionId: string, groupId: string, from: number, to: number, stepMs = 0): Promise<GroupSample[]> {
    const connectionDir = join(this.dir, safeName(connectionId));
    const [group, ends, starts] = await Promise.all([
      readSeries(join(connectionDir, safeName(groupId)), from, to),
      readSeries(join(connectionDir, ENDS), from, to),
      readSeries(join(connectionDir, STARTS), from, to),
    ]);
    return join2(group, ends, starts, from, to, stepMs);
  }

  /** Downsamples segments older than an hour, deletes those older than seven days, closes any left open by a restart. */
  async compact(now: number): Promise<void> {
    await this.flush();
    const current = segmentName(now);
    for (const connection of await safeReaddir(this.dir)) {
      const connectionDir = join(this.dir, connection);
      if (!(await stat(connectionDir).catch(() => null))?.isDirectory()) continue;
      for (const series of await safeReaddir(connectionDir)) {
        const seriesDir = join(connectionDir, series);
        for (const file of await safeReaddir(seriesDir)) {
          const path = join(seriesDir, file);
          if (LEGACY.test(file)) {
            await rm(path, { force: true }); // the first format (NDJSON with end offsets per group): unreadable now
            continue;
          }
          if (!SEGMENT.test(file)) continue;
          const end = segmentStart(file) + SEGMENT_MS;
          if (end < now - KEEP_MS) await rm(path, { force: true });
          else if (end < now - FULL_RESOLUTION_MS && !file.includes('.min.')) await downsample(path);
          else if (file.endsWith('.ndjson') && !file.startsWith(current) && end < now - SEGMENT_MS) await closeSegment(path);
        }
      }
    }
  }

  /** Bytes on disk, for the bench and the settings screen. */
  async bytes(): Promise<number> {
    await this.flush();
    let total = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else total += (await stat(path).catch(() => undefined))?.size ?? 0;
      }
    };
    await walk(this.dir);
    return total;
  }
}

const SEGMENT = /^\d{12}(\.ndjson|\.bin\.gz|\.min\.bin\.gz)$/;
const LEGACY = /^\d{12}(\.min)?\.ndjson\.gz$/;

/** A file name for any group id: percent-encoded, with the characters some file systems refuse encoded too. */
function safeName(name: string): string {
  return `g-${encodeURIComponent(name).replace(/[*!'()~.]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

function segmentName(at: number): string {
  return new Date(Math.floor(at / SEGMENT_MS) * SEGMENT_MS).toISOString().slice(0, 16).replace(/[-T:]/g, '');
}

function segmentStart(file: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(file);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5])) : 0;
}

async function safeReaddir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

function sameKeys(keys: readonly string[], entries: readonly [string, number][]): boolean {
  return keys.length === entries.length && keys.every((k, i) => k === entries[i]![0]);
}

/** A segment file as columns, whatever its form. */
async function readSegment(path: string): Promise<ColumnarSegment> {
  const bytes = await readFile(path);
  return path.endsWith('.gz') ? decodeColumnar(await gunzip(bytes)) : decodeLines(bytes.toString('utf8'));
}

/** The segments of a series overlapping [from, to], oldest first, concatenated in time order. */
async function readSeries(seriesDir: string, from: number, to: number): Promise<ColumnarSegment[]> {
  const files = (await safeReaddir(seriesDir)).filter((f) => SEGMENT.test(f)).sort();
  const chosen = files.filter((f) => {
    const start = segmentStart(f);
    return start + SEGMENT_MS >= from && start <= to;
  });
  return Promise.all(chosen.map((f) => readSegment(join(seriesDir, f)).catch(() => ({ keys: [], times: [], statuses: [], columns: [] }))));
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
          if (v !== undefined && v !== null) state.set(seg.keys[k]!, v);
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
function join2(groupSegments: ColumnarSegment[], endSegments: ColumnarSegment[], startSegments: ColumnarSegment[], from: number, to: number, stepMs: number): GroupSample[] {
  const ends = seriesCursor(endSegments);
  const starts = seriesCursor(startSegments);
  const out: GroupSample[] = [];
  let lastBucket = Number.NaN;
  for (const seg of groupSegments) {
    for (let i = 0; i < seg.times.length; i += 1) {
      const t = seg.times[i]!;
      if (t < from || t > to) continue;
      if (stepMs > 0) {
        const bucket = Math.floor(t / stepMs);
        if (bucket === lastBucket) continue;
        lastBucket = bucket;
      }
      ends.advance(t);
      starts.advance(t);
      const partitions: GroupSample['partitions'] = [];
      for (let k = 0; k < seg.keys.length; k += 1) {
        const committed = seg.columns[k]![i];
        if (committed === undefined) continue;
        const key = seg.keys[k]!;
        const start = starts.state.get(key);
        partitions.push({ key, committed: committed === null || committed < 0 ? null : committed, end: ends.state.get(key) ?? 0, ...(start !== undefined ? { start } : {}) });
      }
      out.push({ at: t, status: LAG_STATUSES[seg.statuses[i]!] ?? 'OK', partitions });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * Rebuilds an open segment's samples from keyframes and deltas; lines of the
 * same instant merge (end offsets); a torn last line (crash mid-write) is skipped.
 */
export function decodeLines(text: string): ColumnarSegment {
  const segment: ColumnarSegment = { keys: [], times: [], statuses: [], columns: [] };
  const union = new Map<string, number>();
  let keys: string[] = [];
  let values: number[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    let record: { t: number; s?: LagStatus; k?: string[]; v?: number[]; d?: [number, number][] };
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (record.k && record.v) {
      keys = record.k;
      values = [...record.v];
    } else if (record.d) {
      for (const [i, delta] of record.d) if (values[i] !== undefined) values[i] += delta;
    } else continue;
    let row = segment.times.length - 1;
    if (row < 0 || segment.times[row] !== record.t) {
      row = segment.times.length;
      segment.times.push(record.t);
      segment.statuses.push(record.s === undefined ? -1 : LAG_STATUSES.indexOf(record.s));
      for (const column of segment.columns) column.push(undefined);
    }
    keys.forEach((key, i) => {
      let c = union.get(key);
      if (c === undefined) {
        union.set(key, (c = segment.keys.length));
        segment.keys.push(key);
        segment.columns.push(new Array<number | null | undefined>(segment.times.length).fill(undefined));
      }
      segment.columns[c]![row] = values[i]! < 0 ? null : values[i]!;
    });
  }
  return segment;
}

/** Rewrites a closed NDJSON segment columnar and gzipped (written aside and renamed, so a crash leaves one or the other). */
async function closeSegment(path: string): Promise<void> {
  const raw = await readFile(path, 'utf8').catch(() => undefined);
  if (raw === undefined) return;
  const target = path.replace(/\.ndjson$/, '.bin.gz');
  await writeAtomically(target, await gzip(encodeColumnar(decodeLines(raw))));
  await rm(path, { force: true });
}

/** Keeps the first sample of each minute. */
async function downsample(path: string): Promise<void> {
  const segment = await readSegment(path);
  const kept: number[] = [];
  let lastMinute = -1;
  segment.times.forEach((t, i) => {
    const minute = Math.floor(t / DOWNSAMPLED_STEP_MS);
    if (minute !== lastMinute) kept.push(i);
    lastMinute = minute;
  });
  const thinned: ColumnarSegment = {
    keys: segment.keys,
    times: kept.map((i) => segment.times[i]!),
    statuses: kept.map((i) => segment.statuses[i]!),
    columns: segment.columns.map((column) => kept.map((i) => column[i])),
  };
  const target = path.replace(/(\.ndjson|\.bin\.gz)$/, '.min.bin.gz');
  await writeAtomically(target, await gzip(encodeColumnar(thinned)));
  await rm(path, { force: true });
}

async function writeAtomically(path: string, data: Buffer): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}
