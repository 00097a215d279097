import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GroupLagHistory } from '../../../src-main/engine/kafka/lag-history';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const sample = (at: number, committed: number | null, end: number, status: 'OK' | 'WARN' = 'OK') => ({
  at,
  status,
  partitions: [
    { key: 'orders:0', committed, end },
    { key: 'orders:1', committed: 7, end: 7 },
  ],
});

describe('lag history on disk', () => {
  it('reads back what was written: end offsets once per connection, committed offsets per group, only moved partitions as deltas', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    const history = new GroupLagHistory(dir);
    await history.append('c1', 'group/with*odd:chars', sample(T0, 1, 10));
    await history.append('c1', 'group/with*odd:chars', sample(T0 + 5000, 5, 12, 'WARN'));
    await history.append('c1', 'group/with*odd:chars', sample(T0 + 10_000, null, 12));
    const read = await history.read('c1', 'group/with*odd:chars', T0, T0 + 10_000);
    expect(read).toEqual([sample(T0, 1, 10), sample(T0 + 5000, 5, 12, 'WARN'), sample(T0 + 10_000, null, 12)]);
    const dirs = (await readdir(join(dir, 'g-c1'))).sort();
    expect(dirs).toEqual(['ends', expect.stringMatching(/^g-group/)]);
    expect(dirs[1]).not.toMatch(/[*/:]/);
    const lines = (await readFile(join(dir, 'g-c1', dirs[1]!, '202601101200.ndjson'), 'utf8')).trim().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { t: T0, k: ['', 'orders:0', 'orders:1'], v: ['OK', 1, 7] }, // the status under the label key, then each partition
      { t: T0 + 5000, d: [[1, 4]], r: [[0, 'WARN']] },
      {
        t: T0 + 10_000,
        d: [],
        r: [
          [0, 'OK'],
          [1, null],
        ],
      },
    ]);
    const ends = (await readFile(join(dir, 'g-c1', 'ends', '202601101200.ndjson'), 'utf8')).trim().split('\n');
    expect(ends.map((l) => JSON.parse(l))).toEqual([
      { t: T0, k: ['orders:0', 'orders:1'], v: [10, 7] },
      { t: T0 + 5000, d: [[0, 2]] },
      { t: T0 + 10_000, d: [] },
    ]);
  });

  it('shares end offsets between the groups of a connection, each group joining them at its own samples', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    const history = new GroupLagHistory(dir);
    await history.append('c1', 'a', sample(T0, 1, 10));
    await history.append('c1', 'b', {
      at: T0,
      status: 'OK',
      partitions: [
        { key: 'orders:0', committed: 3, end: 10 },
        { key: 'payments:0', committed: 0, end: 4 },
      ],
    });
    await history.append('c1', 'b', {
      at: T0 + 5000,
      status: 'OK',
      partitions: [
        { key: 'orders:0', committed: 9, end: 12 },
        { key: 'payments:0', committed: 4, end: 4 },
      ],
    });
    await history.append('c1', 'a', sample(T0 + 5000, 2, 12));
    expect(await history.read('c1', 'a', T0, T0 + 5000)).toEqual([sample(T0, 1, 10), sample(T0 + 5000, 2, 12)]);
    expect((await history.read('c1', 'b', T0, T0 + 5000)).map((s) => s.partitions.map((p) => [p.key, p.committed, p.end]))).toEqual([
      [
        ['orders:0', 3, 10],
        ['payments:0', 0, 4],
      ],
      [
        ['orders:0', 9, 12],
        ['payments:0', 4, 4],
      ],
    ]);
    const ends = (await readFile(join(dir, 'g-c1', 'ends', '202601101200.ndjson'), 'utf8')).trim().split('\n');
    expect(ends).toHaveLength(3); // a's keyframe, b's new partition, the second tick's moved end once
  });

  it('reads one sample per step when asked (long chart ranges)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    const history = new GroupLagHistory(dir);
    for (let i = 0; i < 36; i += 1) await history.append('c1', 'g', sample(T0 + i * 5000, i, 100));
    const read = await history.read('c1', 'g', T0, T0 + 180_000, 60_000);
    expect(read.map((s) => s.partitions[0]!.committed)).toEqual([0, 12, 24]);
  });

  it('continues after a restart with a new keyframe in the same segment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    await new GroupLagHistory(dir).append('c1', 'g', sample(T0, 1, 10));
    await new GroupLagHistory(dir).append('c1', 'g', sample(T0 + 5000, 2, 10));
    expect((await new GroupLagHistory(dir).read('c1', 'g', 0, T0 + 60_000)).map((s) => s.partitions[0]!.committed)).toEqual([1, 2]);
  });

  it('rewrites a segment columnar and gzipped once the next one starts, and reads it back the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    const history = new GroupLagHistory(dir);
    await history.append('c1', 'g', sample(T0, 1, 10));
    await history.append('c1', 'g', sample(T0 + 5000, 2, 11));
    await history.append('c1', 'g', sample(T0 + 600_000, 3, 12)); // the next ten minutes
    await history.flush();
    for (const series of await readdir(join(dir, 'g-c1')))
      expect((await readdir(join(dir, 'g-c1', series))).sort()).toEqual(['202601101200.bin.gz', '202601101210.ndjson']);
    expect((await history.read('c1', 'g', 0, T0 + 600_000)).map((s) => s.partitions[0]!.committed)).toEqual([1, 2, 3]);
  });

  it('keeps one sample a minute past an hour and nothing past seven days', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    const history = new GroupLagHistory(dir);
    for (let i = 0; i < 24; i += 1) await history.append('c1', 'g', sample(T0 + i * 5000, i, 100)); // two minutes at 5 s
    await history.append('c1', 'g', sample(T0 - 8 * 86_400_000, 0, 1));
    const before = await history.bytes();
    await history.compact(T0 + 2 * 3_600_000);
    const kept = await history.read('c1', 'g', 0, T0 + 86_400_000);
    expect(kept.map((s) => s.at)).toEqual([T0, T0 + 60_000]);
    expect(kept).toEqual([sample(T0, 0, 100), sample(T0 + 60_000, 12, 100)]);
    expect((await readdir(join(dir, 'g-c1', 'ends'))).sort()).toEqual(['202601101200.min.bin.gz']);
    expect(await history.bytes()).toBeLessThan(before);
  });

  it("keeps each partition's log start beside its end, and reads history written before starts were kept without one", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    const history = new GroupLagHistory(dir);
    await history.append('c1', 'g', sample(T0, 1, 10)); // written the old way: no start
    const withStart = (at: number, start: number) => ({ at, status: 'OK' as const, partitions: [{ key: 'orders:0', committed: null, end: 20, start }] });
    await history.append('c1', 'g', withStart(T0 + 5000, 4));
    await history.append('c1', 'g', withStart(T0 + 600_000, 9)); // retention moved the start; the first segment closes
    await history.flush();
    const read = await history.read('c1', 'g', 0, T0 + 600_000);
    expect(read[0]!.partitions[0]).toEqual({ key: 'orders:0', committed: 1, end: 10 });
    expect(read.slice(1)).toEqual([withStart(T0 + 5000, 4), withStart(T0 + 600_000, 9)]);
    expect((await readdir(join(dir, 'g-c1', 'starts'))).sort()).toEqual(['202601101200.bin.gz', '202601101210.ndjson']);
  });
});
