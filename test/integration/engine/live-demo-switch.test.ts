import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { LAGGING_PROJECTOR } from '../../../src-main/reference/demo/live-demo';
import { smallLiveDemo } from '../../support/small-live-demo';
import { createTestEngine, engineCaller } from '../engine-support';
import { pollUntil } from '../../support/waiting';

const smallLiveDemoWorkspace = smallLiveDemo();

describe('the live demo switch', () => {
  let engine: Engine;
  let dataDir: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    engine = await createTestEngine('live-demo-switch', { initializeLocalWorkspace: smallLiveDemoWorkspace });
    dataDir = (await call('app.info', {})).dataDir;
    await engine.localWorkspace.start();
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
  });

  it('reports the events written, the lagging projector and the stale snapshot', async () => {
    const status = await pollUntil('demo events', async () => {
      const s = await call('demo.status', {});
      return s.events > 0 ? s : undefined;
    });
    expect(status).toMatchObject({ available: true, paused: false, laggingProjector: LAGGING_PROJECTOR, lagBehindMs: 3_000 });
    expect(status.commands).toBeGreaterThan(0);
    expect(status.staleSnapshotStream).toBeTruthy();
  }, 70_000);

  it('pauses without a confirmation, audited, and the pause outlives a restart', async () => {
    const paused = await call('demo.setPaused', { paused: true, reason: 'quiet screens for a demo' });
    expect(paused.paused).toBe(true);
    const written = (await call('demo.status', {})).events;
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // At most one command in flight may still land.
    expect((await call('demo.status', {})).events - written).toBeLessThanOrEqual(2);

    const { records } = await call('audit.list', { operation: 'demo.setPaused' });
    expect(records[0]).toMatchObject({ target: 'local-workspace:live-demo', reason: 'quiet screens for a demo', outcome: 'ok' });

    await engine.dispose();
    engine = await createTestEngine('unused', { dataDir, initializeLocalWorkspace: smallLiveDemoWorkspace });
    await engine.localWorkspace.start();
    const after = await call('demo.status', {});
    expect(after).toMatchObject({ available: true, paused: true });

    const resumed = await call('demo.setPaused', { paused: false });
    expect(resumed.paused).toBe(false);
    await pollUntil('writing again', async () => ((await call('demo.status', {})).events > 0 ? true : undefined));
  }, 120_000);

  it('answers without a demo', async () => {
    const plain = await createTestEngine('no-demo');
    try {
      const status = await engineCaller(() => plain)('demo.status', {});
      expect(status).toEqual({ available: false, paused: false, events: 0, commands: 0, rejected: 0 });
    } finally {
      await plain.dispose();
    }
  });
});
