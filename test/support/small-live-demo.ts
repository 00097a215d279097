import pg from 'pg';
import type { LocalWorkspaceInitializer } from '../../src-main/engine/local-workspace/local-workspace';
import { startLiveDemo } from '../../src-main/engine/local-workspace/seed';
import { seedDemoWorkspace } from '../../src-main/reference/demo/seed-demo';

/** The real live demo on a small seed, so tests reach a moving workspace in seconds. */
export function smallLiveDemo({ events = 2_000, commandsPerSecond = 20, lagBehindMs = 3_000 } = {}): LocalWorkspaceInitializer {
  return async (endpoint, _report, options) => {
    const seedPool = new pg.Pool({ ...endpoint, max: 1 });
    await seedDemoWorkspace(seedPool, { events });
    await seedPool.end();
    return startLiveDemo(endpoint, { commandsPerSecond, lagBehindMs, paused: options.paused });
  };
}
