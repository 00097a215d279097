import { empty } from '../schemas/common';
import { demoSetPausedInput, demoStatus } from '../schemas/demo';
import { op } from './op';

/** The operations of the Local workspace's live demo. */
export const localWorkspaceOperations = {
  'demo.status': op({
    summary: 'The Local workspace live demo: paused or not, events written, the projector it keeps lagging, the stale snapshot',
    input: empty,
    result: demoStatus,
    effect: 'none',
  }),
  'demo.setPaused': op({
    summary: 'Pause or resume the live demo traffic in the Local workspace (remembered across restarts)',
    input: demoSetPausedInput,
    result: demoStatus,
    // Changes only Chronoscope's own demo database: audited, never a confirmation.
    effect: 'local',
    target: () => 'local-workspace:live-demo',
    invalidates: ['demo.status'],
  }),
} as const;
