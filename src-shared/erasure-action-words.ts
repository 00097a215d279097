import type { ErasureAction } from './schemas/compliance';

/**
 * The erasure actions in plain words, in the order they run: what the Compliance screen
 * offers and what the erasure report says was done (never the identifiers `shred`, `purgeReadModels`).
 */
export const ERASURE_ACTION_WORDS: ReadonlyArray<{ value: ErasureAction; label: string }> = [
  { value: 'shred', label: "Crypto-shred: delete the subject's encryption key" },
  { value: 'redact', label: 'Redact events: overwrite the mapped personal fields with "[erased]"' },
  { value: 'purgeReadModels', label: "Remove the subject's rows from the read models" },
  { value: 'deleteSnapshots', label: "Delete the snapshots that hold the subject's data" },
  { value: 'regenerateSnapshots', label: 'Regenerate those snapshots by replaying the erased events' },
  { value: 'tombstoneTopics', label: 'Write tombstones to compacted Kafka topics keyed by the subject' },
];

export function erasureActionWords(action: string): string {
  return ERASURE_ACTION_WORDS.find((a) => a.value === action)?.label ?? action;
}
