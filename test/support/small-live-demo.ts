import pg from 'pg';
import type { LocalWorkspaceInitializer } from '../../src-main/engine/local-workspace/local-workspace';
import { LiveDemo } from '../../src-main/reference/demo/live-demo';
import { seedDemoWorkspace } from '../../src-main/reference/demo/seed-demo';

/** The real live demo on a small seed, so tests reach a moving workspace in seconds. */
export function smallLiveDemo({ events = 2_000, commandsPerSecond = 20, lagBehindMs = 3_000 } = {}): LocalWorkspaceInitializer {
  return async (endpoint, _report, options) => {
    const seedPool = new pg.Pool({ ...endpoint, max: 1 });
    await seedDemoWorkspace(seedPool, { events });
    await seedPool.end();
    const pool = new pg.Pool({ ...endpoint, max: 4 });
    pool.on('error', () => undefined);
    const demo = new LiveDemo(pool, { commandsPerSecond, lagBehindMs, paused: options.paused });
    await demo.start();
    return {
      status: () => demo.status(),
      setPaused: (paused) => void demo.setPaused(paused),
      stop: async () => {
        await demo.stop();
        await pool.end();
      },
    };
  };
}
