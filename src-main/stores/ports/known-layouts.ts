import type { CompanionLayouts } from './layouts';

/** What each preset keeps beside its events (filled in by the checkpoint, snapshot and read-model adapters). */
export const KNOWN_LAYOUTS: Readonly<Record<string, CompanionLayouts>> = {};
