import { appendFile, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import { SerialQueue } from '../util/serial-queue';
import { decodeColumnar, encodeColumnar, LABEL_KEY, type ColumnarSegment, type SeriesValue } from './segment-codec';
import { FULL_RESOLUTION_MS, KEEP_MS, retainSamples } from './retention';

export type { ColumnarSegment, SeriesValue } from './segment-codec';

/** One sample of a series: its time and a value per key, in key order. */
export interface SeriesSample {
  at: number;
  values: Map<string, SeriesValue>;
}

export interface AppendOptions {
  /** Keys only ever join, and a second writer at the same instant adds only what moved (Kafka end offsets shared by groups). */
  merge?: boolean;
}

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

/** One segment file covers this much time. */
export const SEGMENT_MS = 10 * 60_000;
const SEGMENT = /^\d{12}(\.ndjson|\.bin\.gz|\.min\.bin\.gz)$/;
/** The Kafka groups' first format (NDJSON with end offsets per group, gzipped): unreadable now, deleted by compaction. */
const LEGACY_GROUP_SEGMENT = /^\d{12}(\.min)?\.ndjson\.gz$/;

interface Writer {
  segment: string;
  keys: string[];
  index: Map<string, number>;
  last: SeriesValue[];
  lastAt: number;
}

/**
 * The one on-disk format of every lag history (Kafka groups, projector
 * checkpoints, the store-to-read-model pipeline): a series is a directory of
 * ten-minute segments named by their start (`yyyymmddhhmm`), each sample a
 * time and a value per key (an offset, a position, a count, a label).
 *
 * - The open segment is NDJSON, appended each sample: a keyframe
 *   (`{t,k,v}`) then only what moved, integers as deltas (`{t,d:[[i,Δ]]}`) and
 *   anything else replaced (`r:[[i,value]]`), so a crash loses at most a torn
 *   last line.
 * - A closed segment is rewritten columnar (segment-codec.ts) and gzipped:
 *   `.bin.gz`.
 * - Past an hour a segment keeps the first sample of each minute
 *   (`.min.bin.gz`); past seven days it is deleted: the retention of every lag
 *   history (retention.ts). Each series applies it when a segment of its own
 *   ends, `compact` to every series (those no longer written too).
 */
export class SegmentHistory {
  private readonly writers = new Map<string, Writer>();
  private readonly queues = new Map<string, SerialQueue>();
  /** Series whose earlier-format file was looked for in this run. */
  private readonly migrated = new Map<string, Promise<void>>();
  /** Closing, thinning and importing, one at a time: two of them on one segment could write it from forms the other just deleted. */
  private readonly maintenance = new SerialQueue();

  constructor(readonly dir: string) {}

  /** Appends one sample to the series in the directory `series` (relative to the history's). */
  append(series: string, at: number, entries: ReadonlyArray<readonly [string, SeriesValue]>, options: AppendOptions = {}): Promise<void> {
    const seriesDir = join(this.dir, series);
    return this.queue(seriesDir).run(() => this.write(seriesDir, at, entries, options.merge === true));
  }

  private queue(seriesDir: string): SerialQueue {
    let q = this.queues.get(seriesDir);
    if (!q) this.queues.set(seriesDir, (q = new SerialQueue()));
    return q;
  }

  private async write(seriesDir: string, at: number, entries: ReadonlyArray<readonly [string, SeriesValue]>, merge: boolean): Promise<void> {
    const segment = segmentName(at);
    let writer = this.writers.get(seriesDir);
    const keyframe = !writer || writer.segment !== segment || (merge ? entries.some(([k]) => !writer!.index.has(k)) : !sameKeys(writer.keys, entries));
    let line: string;
    if (keyframe) {
      // The first write of this run or a new segment: the series' older segments are closed and thinned by the retention.
      if (!writer || writer.segment !== segment) {
        if (!writer) await mkdir(seriesDir, { recursive: true });
        this.later(() => compactSeries(seriesDir, at));
      }
      const sameSegment = merge && writer !== undefined && writer.segment === segment;
      const keys = sameSegment ? [...writer!.keys, ...entries.map(([k]) => k).filter((k) => !writer!.index.has(k))] : entries.map(([k]) => k);
      const index = new Map(keys.map((k, i) => [k, i]));
      const last = keys.map((k): SeriesValue => (sameSegment && writer!.index.has(k) ? writer!.last[writer!.index.get(k)!]! : null));
      for (const [k, v] of entries) last[index.get(k)!] = v;
      writer = { segment, keys, index, last, lastAt: at };
      this.writers.set(seriesDir, writer);
      line = JSON.stringify({ t: at, k: keys, v: last });
    } else {
      const w = writer!;
      const deltas: [number, number][] = [];
      const replaced: [number, SeriesValue][] = [];
      for (const [k, v] of entries) {
        const i = w.index.get(k)!;
        const before = w.last[i]!;
        if (v === before) continue;
        if (typeof v === 'number' && typeof before === 'number' && Number.isSafeInteger(v) && Number.isSafeInteger(before)) deltas.push([i, v - before]);
        else replaced.push([i, v]);
        w.last[i] = v;
      }
      // A second writer at the same instant with nothing new: the shared values are already there.
      if (merge && at === w.lastAt && deltas.length === 0 && replaced.length === 0) return;
      w.lastAt = at;
      line = JSON.stringify({ t: at, d: deltas, ...(replaced.length ? { r: replaced } : {}) });
    }
    const file = join(seriesDir, `${segment}.ndjson`);
    // A segment this run has not written to yet may end in a line a crash cut short: end it, so this one starts clean.
    const prefix = keyframe && !(await endsLineCleanly(file)) ? '\n' : '';
    await appendFile(file, `${prefix}${line}\n`, { mode: 0o600 });
  }

  /** The segments of a series overlapping [from, to], oldest first. */
  readSegments(series: string, from: number, to: number): Promise<ColumnarSegment[]> {
    return readSeries(join(this.dir, series), from, to);
  }

  /** Samples of a series in [from, to], oldest first; with `stepMs`, only the first of each step. */
  async read(series: string, from: number, to: number, stepMs = 0): Promise<SeriesSample[]> {
    return samplesOf(await this.readSegments(series, from, to), from, to, stepMs);
  }

  /**
   * Writes samples taken before (history kept in an earlier format) as closed
   * segments of the series, merged with any already there; rewriting the same
   * samples twice (a migration a crash interrupted) leaves them once.
   */
  async import(series: string, samples: readonly SeriesSample[]): Promise<void> {
    const seriesDir = join(this.dir, series);
    await this.queue(seriesDir).run(() => this.maintenance.run(() => this.importInto(seriesDir, samples)));
  }

  private async importInto(seriesDir: string, samples: readonly SeriesSample[]): Promise<void> {
    await mkdir(seriesDir, { recursive: true });
    const bySegment = new Map<string, SeriesSample[]>();
    for (const sample of samples) {
      const name = segmentName(sample.at);
      let list = bySegment.get(name);
      if (!list) bySegment.set(name, (list = []));
      list.push(sample);
    }
    const forms = segmentForms(await safeReaddir(seriesDir));
    for (const [name, imported] of bySegment) {
      // Samples already closed in the segment stay; an open NDJSON form is merged with this one when read and closed.
      const settled = (forms.get(name) ?? []).filter((f) => f.endsWith('.bin.gz'));
      const byTime = new Map<number, SeriesSample>();
      for (const sample of [...samplesOf([await readForms(settled.map((f) => join(seriesDir, f)))], -Infinity, Infinity, 0), ...imported])
        if (!byTime.has(sample.at)) byTime.set(sample.at, sample);
      await settle(seriesDir, name, '.bin.gz', segmentOf([...byTime.values()].sort((a, b) => a.at - b.at)), settled);
    }
  }

  /**
   * Moves a series kept in the earlier NDJSON format (one JSON record a line,
   * in `<series>.ndjson` beside the series' directory) into the series, once
   * per run: its records become closed segments, then the file is deleted. A
   * line a crash cut short, or of another shape, is skipped.
   */
  migrateOnce<T>(series: string, isRecord: (value: unknown) => value is T, toSample: (record: T) => SeriesSample): Promise<void> {
    let done = this.migrated.get(series);
    if (!done) this.migrated.set(series, (done = this.migrate(series, isRecord, toSample)));
    return done;
  }

  private async migrate<T>(series: string, isRecord: (value: unknown) => value is T, toSample: (record: T) => SeriesSample): Promise<void> {
    const file = `${join(this.dir, series)}.ndjson`;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const samples: SeriesSample[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const value: unknown = JSON.parse(line);
        if (isRecord(value)) samples.push(toSample(value));
      } catch {
        // A line cut short by a crash: the others still count.
      }
    }
    await this.import(series, samples);
    await rm(file, { force: true });
  }

  /** Forgets what this run wrote to the series under `series` (after they were deleted). */
  forget(series: string): void {
    const prefix = join(this.dir, series);
    const under = (key: string) => key === prefix || key.startsWith(`${prefix}/`);
    for (const key of [...this.writers.keys()]) if (under(key)) this.writers.delete(key);
    for (const key of [...this.migrated.keys()]) if (under(join(this.dir, key))) this.migrated.delete(key);
    for (const key of [...this.queues.keys()]) if (under(key)) this.queues.delete(key);
  }

  /** Waits for closed segments being rewritten (the bench and tests measure settled files). */
  flush(): Promise<void> {
    return this.maintenance.run(async () => undefined);
  }

  private later(task: () => Promise<void>): void {
    void this.maintenance.run(task).catch(() => undefined);
  }

  /** Applies the retention to every series under the history's directory and closes segments a restart left open. */
  compact(now: number): Promise<void> {
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      if (entries.some((e) => e.isFile() && (SEGMENT.test(e.name) || LEGACY_GROUP_SEGMENT.test(e.name)))) await compactSeries(dir, now);
      for (const entry of entries) if (entry.isDirectory()) await walk(join(dir, entry.name));
    };
    return this.maintenance.run(() => walk(this.dir));
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

/** The retention of one series at `now`: deletes, thins and closes its segments (never the one `now` writes to). */
async function compactSeries(seriesDir: string, now: number): Promise<void> {
  const current = segmentName(now);
  const files = await safeReaddir(seriesDir);
  for (const file of files) if (LEGACY_GROUP_SEGMENT.test(file)) await rm(join(seriesDir, file), { force: true });
  for (const [name, forms] of segmentForms(files)) {
    if (name === current) continue;
    const end = segmentStart(name) + SEGMENT_MS;
    const paths = forms.map((f) => join(seriesDir, f));
    if (end < now - KEEP_MS) {
      for (const path of paths) await rm(path, { force: true });
    } else if (end < now - FULL_RESOLUTION_MS && (forms.length > 1 || !forms[0]!.endsWith('.min.bin.gz'))) {
      const segment = await readForms(paths);
      const kept = retainSamples(
        segment.times.map((_, i) => i),
        (i) => segment.times[i]!,
        now,
      );
      const thinned: ColumnarSegment = {
        keys: segment.keys,
        times: kept.map((i) => segment.times[i]!),
        columns: segment.columns.map((column) => kept.map((i) => column[i])),
      };
      await settle(seriesDir, name, '.min.bin.gz', thinned, forms);
    } else if (end <= now && (forms.length > 1 || forms[0]!.endsWith('.ndjson'))) {
      await settle(seriesDir, name, '.bin.gz', await readForms(paths), forms);
    }
  }
}

/**
 * Writes a segment columnar and gzipped in the form `suffix` (aside, then
 * renamed, so a crash leaves the old forms or the new one), then deletes its other forms.
 */
async function settle(seriesDir: string, name: string, suffix: string, segment: ColumnarSegment, forms: readonly string[]): Promise<void> {
  const target = `${name}${suffix}`;
  await writeAtomically(join(seriesDir, target), await gzip(encodeColumnar(segment)));
  for (const form of forms) if (form !== target) await rm(join(seriesDir, form), { force: true });
}

/** The segment files of a series by segment, each segment's forms most settled first. */
function segmentForms(files: readonly string[]): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const file of files) {
    if (!SEGMENT.test(file)) continue;
    const name = file.slice(0, 12);
    byName.set(
      name,
      [...(byName.get(name) ?? []), file].sort((a, b) => FORM_RANK(a) - FORM_RANK(b)),
    );
  }
  return byName;
}

/** Whether a file is absent, empty or ends with a newline. */
async function endsLineCleanly(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return true;
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await handle.close();
  }
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

function sameKeys(keys: readonly string[], entries: ReadonlyArray<readonly [string, SeriesValue]>): boolean {
  return keys.length === entries.length && keys.every((k, i) => k === entries[i]![0]);
}

function emptySegment(): ColumnarSegment {
  return { keys: [], times: [], columns: [] };
}

/** A segment file as columns, whatever its form. */
async function readSegment(path: string): Promise<ColumnarSegment> {
  const bytes = await readFile(path);
  return path.endsWith('.gz') ? decodeColumnar(await gunzip(bytes)) : decodeLines(bytes.toString('utf8'));
}

/** Most settled first. */
const FORM_RANK = (file: string): number => (file.endsWith('.min.bin.gz') ? 0 : file.endsWith('.bin.gz') ? 1 : 2);

/**
 * One segment from all its forms on disk: usually one, two while it is being
 * closed or thinned (the same samples) or when samples of an earlier format
 * were imported into the segment then being written. A sample time found in a
 * more settled form is taken from it.
 */
async function readForms(paths: readonly string[]): Promise<ColumnarSegment> {
  const segments = await Promise.all(paths.map((p) => readSegment(p).catch(() => emptySegment())));
  if (segments.length <= 1) return segments[0] ?? emptySegment();
  const byTime = new Map<number, SeriesSample>();
  for (const sample of samplesOf(segments, -Infinity, Infinity, 0)) if (!byTime.has(sample.at)) byTime.set(sample.at, sample);
  return segmentOf([...byTime.values()].sort((a, b) => a.at - b.at));
}

/** The segments of a series overlapping [from, to], oldest first. */
async function readSeries(seriesDir: string, from: number, to: number): Promise<ColumnarSegment[]> {
  const chosen = [...segmentForms(await safeReaddir(seriesDir))].filter(([name]) => {
    const start = segmentStart(name);
    return start + SEGMENT_MS >= from && start <= to;
  });
  chosen.sort(([a], [b]) => a.localeCompare(b));
  return Promise.all(chosen.map(([, forms]) => readForms(forms.map((f) => join(seriesDir, f)))));
}

/** The samples of segments in [from, to] as (segment, index) pairs in segment order; with `stepMs`, the first of each step. */
export function* sampleIndexes(
  segments: readonly ColumnarSegment[],
  from: number,
  to: number,
  stepMs: number,
): Generator<{ seg: ColumnarSegment; i: number; t: number }> {
  let lastBucket = Number.NaN;
  for (const seg of segments) {
    for (let i = 0; i < seg.times.length; i += 1) {
      const t = seg.times[i]!;
      if (t < from || t > to) continue;
      if (stepMs > 0) {
        const bucket = Math.floor(t / stepMs);
        if (bucket === lastBucket) continue;
        lastBucket = bucket;
      }
      yield { seg, i, t };
    }
  }
}

/** The samples of segments in [from, to], oldest first; with `stepMs`, the first of each step. */
export function samplesOf(segments: readonly ColumnarSegment[], from: number, to: number, stepMs: number): SeriesSample[] {
  const out: SeriesSample[] = [];
  for (const { seg, i, t } of sampleIndexes(segments, from, to, stepMs)) {
    const values = new Map<string, SeriesValue>();
    for (let k = 0; k < seg.keys.length; k += 1) {
      const v = seg.columns[k]![i];
      if (v !== undefined) values.set(seg.keys[k]!, v);
    }
    out.push({ at: t, values });
  }
  return out.sort((a, b) => a.at - b.at);
}

/** Samples as one segment's columns (keys in the order they first appear). */
function segmentOf(samples: readonly SeriesSample[]): ColumnarSegment {
  const keys: string[] = [];
  const index = new Map<string, number>();
  for (const s of samples) for (const k of s.values.keys()) if (!index.has(k)) index.set(k, keys.push(k) - 1);
  return { keys, times: samples.map((s) => s.at), columns: keys.map((k) => samples.map((s) => s.values.get(k))) };
}

interface Line {
  t: number;
  k?: string[];
  v?: SeriesValue[];
  d?: [number, number][];
  r?: [number, SeriesValue][];
  /** The Kafka groups' status, as lines written before it was a key. */
  s?: string;
}

/**
 * Rebuilds an open segment's samples from keyframes and changes; lines of the
 * same instant merge (shared end offsets); a torn last line (crash mid-write) is skipped.
 */
export function decodeLines(text: string): ColumnarSegment {
  const segment = emptySegment();
  const union = new Map<string, number>();
  let keys: string[] = [];
  let values: SeriesValue[] = [];
  for (const text_ of text.split('\n')) {
    if (!text_) continue;
    let record: Line;
    try {
      record = JSON.parse(text_) as Line;
    } catch {
      continue;
    }
    if (record.k && record.v) {
      keys = record.k;
      values = [...record.v];
    } else if (record.d) {
      for (const [i, delta] of record.d) {
        const before = values[i];
        if (typeof before === 'number') values[i] = before + delta;
      }
      for (const [i, value] of record.r ?? []) if (i < values.length) values[i] = value;
    } else continue;
    let row = segment.times.length - 1;
    if (row < 0 || segment.times[row] !== record.t) {
      row = segment.times.length;
      segment.times.push(record.t);
      for (const column of segment.columns) column.push(undefined);
    }
    const put = (key: string, value: SeriesValue) => {
      let c = union.get(key);
      if (c === undefined) {
        union.set(key, (c = segment.keys.length));
        segment.keys.push(key);
        segment.columns.push(new Array<SeriesValue | undefined>(segment.times.length).fill(undefined));
      }
      segment.columns[c]![row] = value;
    };
    keys.forEach((key, i) => put(key, values[i] ?? null));
    if (record.s !== undefined) put(LABEL_KEY, record.s);
  }
  return segment;
}

let temporaries = 0;

async function writeAtomically(path: string, data: Buffer): Promise<void> {
  const temporary = `${path}.${process.pid}.${(temporaries += 1)}.tmp`;
  await writeFile(temporary, data, { mode: 0o600 });
  await rename(temporary, path);
}
