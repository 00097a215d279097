import type { ErasureAction } from '../../../../src-shared/schemas/compliance';

/** Snapshots are deleted or regenerated, not both: choosing one drops the other. */
export const EXCLUSIVE_ACTIONS: Partial<Record<ErasureAction, ErasureAction>> = {
  deleteSnapshots: 'regenerateSnapshots',
  regenerateSnapshots: 'deleteSnapshots',
};
