/**
 * Everything snapshot management takes from time travel, in one place: the
 * sandbox that folds events, the definitions catalog and the structural diff.
 * (Time travel's files may move; only these imports follow them.)
 */
export { Sandbox, SandboxError, type ManyItem, type ManyOutcome, type SandboxEventRef } from '../definitions/sandbox';
export { encodeBatch } from '../../stores/replay-wire';
export { diff, type DiffEntry } from '../time-travel/diff';
export type { DefinitionCatalog, ResolvedDefinition } from '../definitions/definition-catalog';
export type { TimeTravelService } from '../time-travel/service';
