import pg from 'pg';
import { seedDemoWorkspace } from '../../reference/demo/seed-demo';
import { LiveDemo, type LiveDemoOptions } from '../../reference/demo/live-demo';
import type { LocalEndpoint, LocalWorkspaceActivity, LocalWorkspaceInitializer } from './local-workspace';

/**
 * Fills a new Local workspace with the reference system's demo data (~50k
 * events, snapshots, encrypted customers, read models, one lagging projector),
 * so a first-time user sees a working console. Idempotent: a seeded or
 * non-empty workspace is left alone.
 */
export const seedLocalWorkspace: LocalWorkspaceInitializer = async (endpoint, report) => {
  const pool = new pg.Pool({ host: endpoint.host, port: endpoint.port, database: endpoint.database, user: endpoint.user, max: 1 });
  pool.on('error', () => undefined);
  try {
    await seedDemoWorkspace(pool, {
      onProgress: ({ phase, done, total }) => report(phase === 'done' ? 'Demo data ready' : `Seeding demo data: ${phase} ${done}/${total}`),
    });
  } finally {
    await pool.end();
  }
};

/**
 * The demo workspace that moves: seeded as above, then the reference system's
 * command side and store-side projectors keep running at a gentle rate (events
 * dated now, `orders_view` kept behind, one stale snapshot), until paused.
 */
export const liveDemoWorkspace: LocalWorkspaceInitializer = async (endpoint, report, options) => {
  await seedLocalWorkspace(endpoint, report, options);
  return startLiveDemo(endpoint, { paused: options.paused, log: (message) => console.log(`[chronoscope] ${message}`) });
};

/** The live demo writing to the workspace on a pool of its own, as the workspace's activity (stopping it ends the pool). */
export async function startLiveDemo(endpoint: LocalEndpoint, options: LiveDemoOptions): Promise<LocalWorkspaceActivity> {
  const pool = new pg.Pool({ host: endpoint.host, port: endpoint.port, database: endpoint.database, user: endpoint.user, max: 4 });
  pool.on('error', () => undefined);
  const demo = new LiveDemo(pool, options);
  await demo.start();
  return {
    status: () => demo.status(),
    setPaused: (paused) => void demo.setPaused(paused),
    stop: async () => {
      await demo.stop();
      await pool.end();
    },
  };
}
