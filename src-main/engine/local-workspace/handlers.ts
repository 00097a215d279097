import type { z } from 'zod';
import type { demoStatus } from '../../../src-shared/schemas/demo';
import { LAGGING_PROJECTOR } from '../../reference/demo/live-demo';
import type { Handlers } from '../dispatch/dispatcher';
import type { LocalWorkspace } from './local-workspace';

type DemoStatus = z.output<typeof demoStatus>;

/** The live demo's status as the Overview shows it; `available: false` when the workspace runs none. */
export function liveDemoStatus(local: LocalWorkspace, rememberedPaused?: boolean): DemoStatus {
  const activity = local.activity;
  if (!activity) return { available: false, paused: rememberedPaused ?? false, events: 0, commands: 0, rejected: 0 };
  const status = activity.status();
  return {
    available: true,
    paused: status.paused,
    events: status.events,
    commands: status.commands,
    rejected: status.rejected,
    laggingProjector: LAGGING_PROJECTOR,
    lagBehindMs: status.lagBehindMs,
    ...(status.staleSnapshotStream ? { staleSnapshotStream: status.staleSnapshotStream } : {}),
    ...(status.driftedRows ? { driftedRows: status.driftedRows } : {}),
    ...(status.lastError ? { lastError: status.lastError } : {}),
  };
}

/** The Local workspace's operations: its live demo switch. */
export function localWorkspaceHandlers({ local }: { local: LocalWorkspace }): Pick<Handlers, 'demo.status' | 'demo.setPaused'> {
  return {
    'demo.status': async () => liveDemoStatus(local),
    'demo.setPaused': async ({ paused }) => {
      await local.setActivityPaused(paused);
      return liveDemoStatus(local, paused);
    },
  };
}
