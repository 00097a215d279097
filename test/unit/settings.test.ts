import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src-main/engine/engine';
import type { InputOf, OperationName, ResultOf } from '../../src-shared/operations';
import { DEFAULT_SETTINGS } from '../../src-shared/schemas/settings';

let engine: Engine | undefined;
const open = (dataDir: string) => (engine = createEngine({ dataDir, mode: 'browser', log: () => undefined, env: {} }));
const call = <N extends OperationName>(op: N, input: InputOf<N>) =>
  engine!.dispatcher.run(op, input, { operationId: 't', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined }) as Promise<
    ResultOf<N>
  >;

afterEach(async () => {
  await engine?.dispose();
  engine = undefined;
});

describe('settings kept by the main process', () => {
  it('starts from the defaults and shows the data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chrono-settings-'));
    open(dataDir);
    expect(await call('settings.get', {})).toEqual({ settings: DEFAULT_SETTINGS, dataDir });
  });

  it('validates, saves a partial change, audits it and keeps it across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chrono-settings-'));
    open(dataDir);
    await expect(call('settings.update', { pageSizes: { feed: 5 } })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('pageSizes.feed must be at least 20'),
    });
    await expect(call('settings.update', { timeZone: 'Mars/Olympus' as 'utc' })).rejects.toMatchObject({ code: 'invalid_input' });
    const changed = await call('settings.update', {
      timeZone: 'utc',
      theme: 'dark',
      pageSizes: { feed: 500 },
      sampling: { kafkaLagMs: 30_000 },
      reason: 'night shift',
    });
    expect(changed.settings).toEqual({
      ...DEFAULT_SETTINGS,
      timeZone: 'utc',
      theme: 'dark',
      pageSizes: { ...DEFAULT_SETTINGS.pageSizes, feed: 500 },
      sampling: { ...DEFAULT_SETTINGS.sampling, kafkaLagMs: 30_000 },
    });
    const { records } = await call('audit.list', { operation: 'settings.update' });
    expect(records.map((r) => [r.outcome, r.target, r.reason])).toEqual([['ok', 'settings:app', 'night shift']]);
    await engine!.dispose();
    open(dataDir);
    expect((await call('settings.get', {})).settings).toEqual(changed.settings);
  });

  it('falls back to the defaults for what a hand-edited file got wrong', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chrono-settings-'));
    await writeFile(join(dataDir, 'settings.json'), JSON.stringify({ timeZone: 'utc', theme: 'purple', pageSizes: { feed: 300, streams: -1 } }));
    open(dataDir);
    expect((await call('settings.get', {})).settings).toEqual({ ...DEFAULT_SETTINGS, timeZone: 'utc' });
    await writeFile(join(dataDir, 'settings.json'), '{ not json');
    expect((await call('settings.get', {})).settings).toEqual(DEFAULT_SETTINGS);
  });

  it('drives the background lag samplers: one Kafka interval for the Settings and the Kafka screen, the checkpoint interval at once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chrono-settings-'));
    open(dataDir);
    expect((await call('kafka.samplerSettings', {})).intervalMs).toBe(DEFAULT_SETTINGS.sampling.kafkaLagMs);
    await call('settings.update', { sampling: { kafkaLagMs: 20_000, checkpointLagMs: 7000 }, reason: 'quieter' });
    expect((await call('kafka.samplerSettings', {})).intervalMs).toBe(20_000);
    expect(
      (await call('checkpoints.history', { connectionId: 'local', key: { store: 'postgres', projector: 'accounts_view', source: 'events' } })).intervalMs,
    ).toBe(7000);
    // Changed from the Kafka screen: the Settings show the same value, also after a restart.
    await call('kafka.configureSampler', { intervalMs: 3000, reason: 'incident' });
    expect((await call('settings.get', {})).settings.sampling.kafkaLagMs).toBe(3000);
    await engine!.dispose();
    open(dataDir);
    expect((await call('kafka.samplerSettings', {})).intervalMs).toBe(3000);
    // The Kafka sampler allows at most 10 minutes: so does the setting.
    await expect(call('settings.update', { sampling: { kafkaLagMs: 3_600_000 } })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('at most 10 minutes'),
    });
  });
});
