import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LagHistory } from '../../../src-main/engine/kafka/lag-history';

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
  it('reads back what was written, storing only moved partitions as deltas', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    const history = new LagHistory(dir);
    await history.append('c1', 'group/with*odd:chars', sample(T0, 1, 10));
    await history.append('c1', 'group/with*odd:chars', sample(T0 + 5000, 5, 12, 'WARN'));
    await history.append('c1', 'group/with*odd:chars', sample(T0 + 10_000, null, 12));
    const read = await history.read('c1', 'group/with*odd:chars', T0, T0 + 10_000);
    expect(read).toEqual([sample(T0, 1, 10), sample(T0 + 5000, 5, 12, 'WARN'), sample(T0 + 10_000, null, 12)]);
    const [groupDir] = await readdir(join(dir, 'g-c1'));
    expect(groupDir).not.toMatch(/[*/:]/);
    const lines = (await readFile(join(dir, 'g-c1', groupDir!, '202601101200.ndjson'), 'utf8')).trim().split('\n');
    expect(JSON.parse(lines[1]!)).toEqual({ t: T0 + 5000, s: 'WARN', d: [[0, 4, 2]] });
  });

  it('continues after a restart with a new keyframe in the same segment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    await new LagHistory(dir).append('c1', 'g', sample(T0, 1, 10));
    await new LagHistory(dir).append('c1', 'g', sample(T0 + 5000, 2, 10));
    expect((await new LagHistory(dir).read('c1', 'g', 0, T0 + 60_000)).map((s) => s.partitions[0]!.committed)).toEqual([1, 2]);
  });

  it('gzips a segment once the next one starts, and reads it back the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    const history = new LagHistory(dir);
    await history.append('c1', 'g', sample(T0, 1, 10));
    await history.append('c1', 'g', sample(T0 + 5000, 2, 11));
    await history.append('c1', 'g', sample(T0 + 600_000, 3, 12)); // the next ten minutes
    await history.flush();
    const [groupDir] = await readdir(join(dir, 'g-c1'));
    expect((await readdir(join(dir, 'g-c1', groupDir!))).sort()).toEqual(['202601101200.ndjson.gz', '202601101210.ndjson']);
    expect((await history.read('c1', 'g', 0, T0 + 600_000)).map((s) => s.partitions[0]!.committed)).toEqual([1, 2, 3]);
  });

  it('keeps one sample a minute past a day and nothing past seven days', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-'));
    const history = new LagHistory(dir);
    for (let i = 0; i < 24; i += 1) await history.append('c1', 'g', sample(T0 + i * 5000, i, 100)); // two minutes at 5 s
    await history.append('c1', 'g', sample(T0 - 8 * 86_400_000, 0, 1));
    const before = await history.bytes();
    await history.compact(T0 + 2 * 86_400_000);
    const kept = await history.read('c1', 'g', 0, T0 + 86_400_000);
    expect(kept.map((s) => s.at)).toEqual([T0, T0 + 60_000]);
    expect(kept.map((s) => s.partitions[0]!.committed)).toEqual([0, 12]);
    expect(await history.bytes()).toBeLessThan(before);
  });
});
