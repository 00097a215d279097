import type { ErasureAction } from '../../../../src-shared/schemas/compliance';

/** The erasure actions a case offers, in the order they run, with their labels. */
export const ALL_ACTIONS: { value: ErasureAction; label: string }[] = [
  { value: 'shred', label: 'Crypto-shred (delete the subject key)' },
  { value: 'redact', label: 'Redact events ("[erased]" at mapped paths)' },
  { value: 'purgeReadModels', label: 'Purge read models' },
  { value: 'deleteSnapshots', label: 'Delete snapshots' },
  { value: 'regenerateSnapshots', label: 'Regenerate snapshots (replay the erased events)' },
  { value: 'tombstoneTopics', label: 'Tombstones for compacted topics keyed by the subject' },
];

/** Snapshots are deleted or regenerated, not both: choosing one drops the other. */
export const EXCLUSIVE_ACTIONS: Partial<Record<ErasureAction, ErasureAction>> = { deleteSnapshots: 'regenerateSnapshots', regenerateSnapshots: 'deleteSnapshots' };
