import { createHash } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProjectorLagHistory } from '../../../src-main/engine/checkpoints/lag-history';
import { keyId } from '../../../src-main/engine/checkpoints/movements';
import { extrapolateLag } from '../../../src-main/stores/position-ranges';

const key = { store: 'projection_checkpoints', projector: 'orders_view', source: 'events' };
const sample = (at: number, lagEvents: number) => ({
  at: new Date(at).toISOString(),
  position: String(100 - lagEvents),
  head: '100',
  lagEvents,
  estimated: false,
  lagMs: lagEvents * 10,
});

describe('ProjectorLagHistory', () => {
  it('reads back a range and thins long ones keeping the spikes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-history-'));
    const history = new ProjectorLagHistory(dir);
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 150; i++) await history.append('c1', [{ key, sample: sample(t0 + i * 5000, i === 120 ? 9_999 : i % 7) }]);

    const all = await history.read('c1', key, 0, Number.MAX_SAFE_INTEGER, 5000);
    expect(all).toHaveLength(150);
    expect(all.at(-1)).toMatchObject({ at: new Date(t0 + 149 * 5000).toISOString(), lagEvents: 149 % 7 });

    const range = await history.read('c1', key, t0 + 100 * 5000, t0 + 110 * 5000, 5000);
    expect(range.map((s) => Date.parse(s.at))).toEqual(Array.from({ length: 11 }, (_, i) => t0 + (100 + i) * 5000));

    const thin = await history.read('c1', key, 0, Number.MAX_SAFE_INTEGER, 10);
    expect(thin.length).toBeLessThanOrEqual(10);
    expect(thin.some((s) => s.lagEvents === 9_999)).toBe(true);

    // Another checkpoint and another connection have histories of their own.
    expect(await history.read('c2', key, 0, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
    expect(await history.read('c1', { ...key, projector: 'other' }, 0, Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
  });

  it('keeps the last hour as sampled, one sample a minute before it and nothing past seven days, as every lag history does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-history-'));
    const history = new ProjectorLagHistory(dir);
    const t0 = Date.UTC(2026, 0, 1);
    await history.append('c1', [{ key, sample: sample(t0 - 8 * 86_400_000, 1) }]);
    for (let i = 0; i < 360; i++) await history.append('c1', [{ key, sample: sample(t0 + i * 20_000, i % 7) }]);
    const now = t0 + 359 * 20_000;
    await history.compact(now);
    const kept = (await history.read('c1', key, 0, Number.MAX_SAFE_INTEGER, 5000)).map((s) => Date.parse(s.at));
    // By ten-minute segments: those ended over an hour before `now` (before t0 + 50 min) keep one sample a minute.
    const thinnedBefore = t0 + 50 * 60_000;
    const expected = Array.from({ length: 360 }, (_, i) => t0 + i * 20_000).filter((at) => at >= thinnedBefore || at % 60_000 === 0);
    expect(kept).toEqual(expected);
  });

  it('keeps reading after a line cut short by a crash, and a new instance sees what an old one wrote', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-history-'));
    const first = new ProjectorLagHistory(dir);
    await first.append('c1', [{ key, sample: sample(1_000, 3) }]);
    const series = (await readdir(join(dir, 'c1')))[0]!;
    const segment = (await readdir(join(dir, 'c1', series)))[0]!;
    await appendFile(join(dir, 'c1', series, segment), '{"t":2000,"d":[[2,');
    const second = new ProjectorLagHistory(dir);
    await second.append('c1', [{ key, sample: sample(3_000, 5) }]);
    expect((await second.read('c1', key, 0, 10_000, 100)).map((s) => s.lagEvents)).toEqual([3, 5]);
  });

  it('moves a checkpoint history file of the earlier NDJSON format into its series on first read, then appends after it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'chrono-lag-history-'));
    const t0 = Date.UTC(2026, 0, 1);
    // Where and how the earlier version kept one checkpoint: `<connection>/<sha1 of the key, 20 hex>.ndjson`, one array a line.
    const file = join(dir, 'c1', `${createHash('sha1').update(keyId(key)).digest('hex').slice(0, 20)}.ndjson`);
    await mkdir(join(dir, 'c1'), { recursive: true });
    await writeFile(
      file,
      [JSON.stringify([t0, '90', '100', 10, 0, 1500]), JSON.stringify([t0 + 5000, null, '100', null, 1, null]), '[t0 cut short'].join('\n'),
    );
    const history = new ProjectorLagHistory(dir);
    expect(await history.read('c1', key, 0, Number.MAX_SAFE_INTEGER, 100)).toEqual([
      { at: new Date(t0).toISOString(), position: '90', head: '100', lagEvents: 10, estimated: false, lagMs: 1500 },
      { at: new Date(t0 + 5000).toISOString(), position: null, head: '100', lagEvents: null, estimated: true, lagMs: null },
    ]);
    await expect(stat(file)).rejects.toThrow(); // moved, not read twice
    await history.append('c1', [{ key, sample: sample(t0 + 10_000, 4) }]);
    const again = new ProjectorLagHistory(dir);
    expect((await again.read('c1', key, 0, Number.MAX_SAFE_INTEGER, 100)).map((s) => s.lagEvents)).toEqual([10, null, 4]);
  });
});

describe('extrapolateLag', () => {
  it('is exact within the window and an estimate beyond it', () => {
    expect(extrapolateLag(10n, 10n, 0, 100)).toEqual({ events: 0, estimated: false });
    expect(extrapolateLag(10n, 60n, 48, 100)).toEqual({ events: 48, estimated: false });
    expect(extrapolateLag(0n, 5_000_000n, 99, 100)).toEqual({ events: 4_950_000, estimated: true });
  });
});
