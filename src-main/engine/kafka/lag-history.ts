import { appendFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip as gunzipCallback, gzip as gzipCallback } from 'node:zlib';
import type { LagStatus } from '../../../src-shared/schemas/kafka';

/** One sample of a group: every partition's committed (null: none) and end offsets, and the group status then. */
export interface GroupSample {
  at: number;
  status: LagStatus;
  partitions: { key: string; committed: number | null; end: number }[];
}

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** One segment file covers this much time; closed segments are gzipped. */
const SEGMENT_MS = 10 * 60_000;
/** History older than this is deleted. */
export const KEEP_MS = 7 * DAY;
/** Segments older than this keep one sample per minute. */
export const FULL_RESOLUTION_MS = DAY;
const DOWNSAMPLED_STEP_MS = 60_000;

interface Writer {
  segment: string;
  keys: string[];
  index: Map<string, number>;
  last: [number, number][];
}

/**
 * Lag history on disk: per connection and group, one NDJSON segment per ten
 * minutes (`kafka-lag/<connection>/<group>/<yyyymmddhhmm>.ndjson`), gzipped
 * once the next one starts (offset deltas compress well). A segment starts
 * with a keyframe line (partition keys and absolute offsets, `{t,s,k,v}`); each
 * later line carries only the partitions whose offsets moved, as deltas
 * (`{t,s,d:[[index,Δcommitted,Δend]]}`), so idle partitions cost nothing.
 * `compact` keeps one sample per minute past a day and deletes past seven.
 */
export class LagHistory {
  private readonly writers = new Map<string, Writer>();
  private compressing: Promise<unknown> = Promise.resolve();

  constructor(readonly dir: string) {}

  async append(connectionId: string, groupId: string, sample: GroupSample): Promise<void> {
    const groupDir = this.groupDir(connectionId, groupId);
    const segment = segmentName(sample.at);
    const id = `${connectionId}\u0000${groupId}`;
    let writer = this.writers.get(id);
    const keys = sample.partitions.map((p) => p.key);
    const values = sample.partitions.map((p): [number, number] => [p.committed ?? -1, p.end]);
    let line: string;
    if (!writer || writer.segment !== segment || !sameKeys(writer.keys, keys)) {
      if (!writer) await mkdir(groupDir, { recursive: true });
      else if (writer.segment !== segment) this.compressLater(join(groupDir, `${writer.segment}.ndjson`));
      writer = { segment, keys, index: new Map(keys.map((k, i) => [k, i])), last: values };
      this.writers.set(id, writer);
      line = JSON.stringify({ t: sample.at, s: sample.status, k: keys, v: values });
    } else {
      const deltas: [number, number, number][] = [];
      values.forEach(([committed, end], i) => {
        const [c0, e0] = writer!.last[i]!;
        if (committed !== c0 || end !== e0) deltas.push([i, committed - c0, end - e0]);
      });
      writer.last = values;
      line = JSON.stringify({ t: sample.at, s: sample.status, d: deltas });
    }
    await appendFile(join(groupDir, `${segment}.ndjson`), `${line}\n`);
  }

  /** Waits for segments being gzipped (the bench and tests measure settled files). */
  async flush(): Promise<void> {
    await this.compressing;
  }

  private compressLater(file: string): void {
    this.compressing = this.compressing.then(() => gzipFile(file)).catch(() => undefined);
  }

  /** Samples in [from, to], oldest first. */
  async read(connectionId: string, groupId: string, from: number, to: number): Promise<GroupSample[]> {
    const groupDir = this.groupDir(connectionId, groupId);
    const files = await listSegments(groupDir);
    const samples: GroupSample[] = [];
    for (const file of files) {
      const start = segmentStart(file);
      if (start + SEGMENT_MS < from || start > to) continue;
      for (const sample of decode(await readSegment(join(groupDir, file)))) if (sample.at >= from && sample.at <= to) samples.push(sample);
    }
    return samples.sort((a, b) => a.at - b.at);
  }

  /** Downsamples segments older than a day, deletes those older than seven, gzips any left open by a restart. */
  async compact(now: number): Promise<void> {
    await this.flush();
    const current = segmentName(now);
    for (const connection of await safeReaddir(this.dir)) {
      const connectionDir = join(this.dir, connection);
      if (!(await stat(connectionDir).catch(() => null))?.isDirectory()) continue;
      for (const group of await safeReaddir(connectionDir)) {
        const groupDir = join(connectionDir, group);
        for (const file of await listSegments(groupDir)) {
          const end = segmentStart(file) + SEGMENT_MS;
          if (end < now - KEEP_MS) await rm(join(groupDir, file), { force: true });
          else if (end < now - FULL_RESOLUTION_MS && !file.includes('.min.')) await this.downsample(groupDir, file);
          else if (file.endsWith('.ndjson') && !file.startsWith(current) && end < now - SEGMENT_MS) await gzipFile(join(groupDir, file));
        }
      }
    }
  }

  /** Bytes on disk, for the bench and the settings screen. */
  async bytes(): Promise<number> {
    let total = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else total += (await stat(path)).size;
      }
    };
    await walk(this.dir);
    return total;
  }

  private async downsample(groupDir: string, file: string): Promise<void> {
    const kept: GroupSample[] = [];
    let lastMinute = -1;
    for (const sample of decode(await readSegment(join(groupDir, file)))) {
      const minute = Math.floor(sample.at / DOWNSAMPLED_STEP_MS);
      if (minute !== lastMinute) kept.push(sample);
      lastMinute = minute;
    }
    const target = file.replace(/\.ndjson(\.gz)?$/, '.min.ndjson.gz');
    const temporary = join(groupDir, `${target}.tmp`);
    await writeFile(temporary, await gzip(encode(kept)));
    await rename(temporary, join(groupDir, target));
    await rm(join(groupDir, file), { force: true });
  }

  private groupDir(connectionId: string, groupId: string): string {
    return join(this.dir, safeName(connectionId), safeName(groupId));
  }
}

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

async function listSegments(groupDir: string): Promise<string[]> {
  return (await safeReaddir(groupDir)).filter((f) => /^\d{12}(\.min)?\.ndjson(\.gz)?$/.test(f)).sort();
}

async function readSegment(path: string): Promise<string> {
  const bytes = await readFile(path);
  return (path.endsWith('.gz') ? await gunzip(bytes) : bytes).toString('utf8');
}

/** Replaces a closed segment by its gzipped copy (written aside and renamed, so a crash leaves one or the other). */
async function gzipFile(path: string): Promise<void> {
  const raw = await readFile(path).catch(() => undefined);
  if (!raw) return;
  const temporary = `${path}.gz.tmp`;
  await writeFile(temporary, await gzip(raw));
  await rename(temporary, `${path}.gz`);
  await rm(path, { force: true });
}

async function safeReaddir(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** Rebuilds samples from keyframes and deltas; a torn last line (crash mid-write) is skipped. */
export function decode(text: string): GroupSample[] {
  const samples: GroupSample[] = [];
  let keys: string[] = [];
  let values: [number, number][] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    let record: { t: number; s: LagStatus; k?: string[]; v?: [number, number][]; d?: [number, number, number][] };
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    if (record.k && record.v) {
      keys = record.k;
      values = record.v.map(([c, e]) => [c, e]);
    } else if (record.d) {
      for (const [i, dc, de] of record.d) {
        const current = values[i];
        if (current) values[i] = [current[0] + dc, current[1] + de];
      }
    } else continue;
    samples.push({ at: record.t, status: record.s, partitions: keys.map((key, i) => ({ key, committed: values[i]![0] >= 0 ? values[i]![0] : null, end: values[i]![1] })) });
  }
  return samples;
}

function encode(samples: readonly GroupSample[]): string {
  let out = '';
  let keys: string[] = [];
  let last: [number, number][] = [];
  for (const sample of samples) {
    const k = sample.partitions.map((p) => p.key);
    const v = sample.partitions.map((p): [number, number] => [p.committed ?? -1, p.end]);
    if (!sameKeys(keys, k)) {
      out += `${JSON.stringify({ t: sample.at, s: sample.status, k, v })}\n`;
    } else {
      const d: [number, number, number][] = [];
      v.forEach(([c, e], i) => {
        if (c !== last[i]![0] || e !== last[i]![1]) d.push([i, c - last[i]![0], e - last[i]![1]]);
      });
      out += `${JSON.stringify({ t: sample.at, s: sample.status, d })}\n`;
    }
    keys = k;
    last = v;
  }
  return out;
}
