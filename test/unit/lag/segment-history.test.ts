import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { GroupLagHistory } from '../../../src-main/engine/kafka/lag-history';
import { PipelineHistory } from '../../../src-main/engine/kafka/pipeline-history';
import { decodeColumnar, encodeColumnar, type ColumnarSegment } from '../../../src-main/engine/lag/segment-codec';
import { SegmentHistory } from '../../../src-main/engine/lag/segment-history';
import type { KafkaPipelineInput, PipelinePoint } from '../../../src-shared/schemas/kafka';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const tempDir = () => mkdtemp(join(tmpdir(), 'chrono-segments-'));

/** A segment as the Kafka groups' history wrote it before LH3 (history-codec.ts): no column kinds, one status byte a sample. */
function encodeLh2(segment: { keys: string[]; times: number[]; statuses: number[]; columns: (number | null | undefined)[][] }): Buffer {
  const out: number[] = [...Buffer.from('LH2\n')];
  const varint = (value: number) => {
    let v = value;
    while (v >= 0x80) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
  };
  const signed = (v: number) => varint(v >= 0 ? v * 2 : -v * 2 - 1);
  varint(segment.times.length);
  varint(segment.keys.length);
  for (const key of segment.keys) {
    varint(Buffer.byteLength(key));
    out.push(...Buffer.from(key));
  }
  let previous = 0;
  for (const t of segment.times) {
    signed(t - previous);
    previous = t;
  }
  for (const s of segment.statuses) out.push(s < 0 ? 0xff : s);
  for (const column of segment.columns) {
    let last = 0;
    for (const value of column) {
      const stored = value === undefined ? 0 : value === null ? 1 : value + 2;
      signed(stored - last);
      last = stored;
    }
  }
  return Buffer.from(out);
}

describe("the lag histories' segment codec", () => {
  it('keeps integers past 2^31, negatives, nulls, absences, text and fractions as they were', () => {
    const segment: ColumnarSegment = {
      keys: ['offset', 'position', 'ratio', 'halves', 'signed', 'sparse'],
      times: [T0, T0 + 5000, T0 + 10_000, T0 + 15_000],
      columns: [
        [3_000_000_000, 3_000_000_017, 3_000_000_001, 0],
        ['0/16B3F28', '0/16B3F28', null, 'x'],
        [0.5, 1.25, null, 2],
        [0.5, 1.5, 2.5, null],
        [-3, 4, -5, 0],
        [undefined, null, 7, undefined],
      ],
    };
    expect(decodeColumnar(encodeColumnar(segment))).toEqual(segment);
  });
});

describe('histories kept in earlier formats', () => {
  it("reads a Kafka group's LH2 segments and an open segment of the lines written before statuses were keys", async () => {
    const dir = await tempDir();
    const groupDir = join(dir, 'g-c1', 'g-g');
    const endsDir = join(dir, 'g-c1', 'ends');
    await mkdir(groupDir, { recursive: true });
    await mkdir(endsDir, { recursive: true });
    // 12:00: closed, LH2 (status 1 = WARN; null committed as 1 before the +2 shift).
    await writeFile(
      join(groupDir, '202601101200.bin.gz'),
      gzipSync(encodeLh2({ keys: ['orders:0'], times: [T0, T0 + 5000], statuses: [0, 1], columns: [[4, null]] })),
    );
    await writeFile(
      join(endsDir, '202601101200.bin.gz'),
      gzipSync(encodeLh2({ keys: ['orders:0'], times: [T0, T0 + 5000], statuses: [-1, -1], columns: [[10, 12]] })),
    );
    // 12:10: still open, NDJSON of that version: the status as `s`, no commit as -1.
    const t1 = T0 + 600_000;
    await writeFile(
      join(groupDir, '202601101210.ndjson'),
      `${JSON.stringify({ t: t1, s: 'STALL', k: ['orders:0'], v: [-1] })}\n${JSON.stringify({ t: t1 + 5000, s: 'OK', d: [[0, 13]] })}\n`,
    );
    await writeFile(join(endsDir, '202601101210.ndjson'), `${JSON.stringify({ t: t1, k: ['orders:0'], v: [15] })}\n`);
    const history = new GroupLagHistory(dir);
    const expected = [
      { at: T0, status: 'OK', partitions: [{ key: 'orders:0', committed: 4, end: 10 }] },
      { at: T0 + 5000, status: 'WARN', partitions: [{ key: 'orders:0', committed: null, end: 12 }] },
      { at: t1, status: 'STALL', partitions: [{ key: 'orders:0', committed: null, end: 15 }] },
      { at: t1 + 5000, status: 'OK', partitions: [{ key: 'orders:0', committed: 12, end: 15 }] },
    ];
    expect(await history.read('c1', 'g', 0, T0 + 3_600_000)).toEqual(expected);
    // Appended to in this version, then closed: the old and new lines read as one segment.
    await history.append('c1', 'g', { at: t1 + 10_000, status: 'OK', partitions: [{ key: 'orders:0', committed: 14, end: 16 }] });
    await history.compact(T0 + 1_800_000);
    expect((await readdir(groupDir)).sort()).toEqual(['202601101200.bin.gz', '202601101210.bin.gz']);
    expect(await history.read('c1', 'g', 0, T0 + 3_600_000)).toEqual([
      ...expected,
      { at: t1 + 10_000, status: 'OK', partitions: [{ key: 'orders:0', committed: 14, end: 16 }] },
    ]);
  });

  it('moves a pipeline history file of the earlier NDJSON format into its series on first append, keeping what the file held', async () => {
    const dir = await tempDir();
    const input: KafkaPipelineInput = { storeConnectionId: 's', kafkaConnectionId: 'k', groupId: 'g', projection: 'p' } as KafkaPipelineInput;
    const point = (at: number, consumer: number): PipelinePoint => ({
      at: new Date(at).toISOString(),
      storeHead: 100,
      relayed: null,
      unpublished: null,
      topicEnd: 90,
      committed: 90 - consumer,
      checkpoint: 80,
      backlog: { relay: null, consumer, projector: 10 },
    });
    // Where the earlier version kept it: the first 24 hex of the key's sha256, `.ndjson`, one point a line.
    const key = ['s', 'k', 'g', 'orders', 'p', 's'].join('\u0000');
    const file = join(dir, `${createHash('sha256').update(key).digest('hex').slice(0, 24)}.ndjson`);
    await writeFile(file, `${JSON.stringify(point(T0, 5))}\n${JSON.stringify(point(T0 + 5000, 3))}\n{"at":"cut`);
    const history = new PipelineHistory(dir);
    await history.append(input, 'orders', point(T0 + 10_000, 1));
    await expect(stat(file)).rejects.toThrow();
    expect(await history.read(input, 'orders', 0, T0 + 60_000)).toEqual([point(T0, 5), point(T0 + 5000, 3), point(T0 + 10_000, 1)]);
    expect(await new PipelineHistory(dir).read(input, 'orders', T0 + 1, T0 + 60_000, 1)).toEqual([point(T0 + 10_000, 1)]);
  });
});

describe('SegmentHistory', () => {
  it('keeps what changed as deltas or replacements while a segment is open, and the same values once it is closed', async () => {
    const dir = await tempDir();
    const history = new SegmentHistory(dir);
    const rows: [number, [string, number | string | null][]][] = [
      [
        T0,
        [
          ['position', '0/16B3F28'],
          ['lag', 3],
          ['rate', 0.5],
        ],
      ],
      [
        T0 + 5000,
        [
          ['position', '0/16B3F30'],
          ['lag', 5],
          ['rate', 0.75],
        ],
      ],
      [
        T0 + 10_000,
        [
          ['position', null],
          ['lag', 5],
          ['rate', 0.75],
        ],
      ],
    ];
    for (const [at, entries] of rows) await history.append('one', at, entries);
    const expected = rows.map(([at, entries]) => ({ at, values: new Map(entries) }));
    expect(await history.read('one', 0, T0 + 60_000)).toEqual(expected);
    await history.compact(T0 + 1_200_000);
    expect(await readdir(join(dir, 'one'))).toEqual(['202601101200.bin.gz']);
    expect(await history.read('one', 0, T0 + 60_000)).toEqual(expected);
  });

  it('imports samples of an earlier format into segments already written, once however often it is asked', async () => {
    const dir = await tempDir();
    const history = new SegmentHistory(dir);
    await history.append('s', T0 + 20_000, [['v', 3]]);
    const earlier = [T0, T0 + 5000].map((at, i) => ({ at, values: new Map([['v', i]]) }));
    await history.import('s', earlier);
    await history.import('s', earlier); // a migration a crash interrupted, run again
    expect((await history.read('s', 0, T0 + 60_000)).map((s) => [s.at, s.values.get('v')])).toEqual([
      [T0, 0],
      [T0 + 5000, 1],
      [T0 + 20_000, 3],
    ]);
  });
});
