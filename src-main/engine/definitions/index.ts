/**
 * Definitions: JavaScript folds over events (resources/projections/README.md), and the
 * sandbox that runs them. Shared by time travel and rebuilds; import from here.
 *
 * - `Sandbox.start(source, name, options)` loads one definition in its own worker
 *   (heap and time limits, no host objects); `apply(events)` / `applyEncoded(batch)`
 *   fold events into its state, `state()` reads it, `close()` ends it. A failed run
 *   throws a `SandboxError` (kind, the event it failed at, the definition's line) and is dead.
 * - `userReadModel(name, source)` runs a rebuild's user read-model definition
 *   (`handles`, `key`, `apply(row, event)`) in the same kind of worker (read-model-sandbox.ts).
 * - `sandboxPool` caps the live workers process-wide: `Sandbox.start` and read-model
 *   workers wait for a slot.
 * - `DefinitionCatalog` resolves a definition by name (built-in, `merge`, the user's
 *   confirmed folder) and lists the ones that apply to a stream.
 * - `UserDefinitions` / `DefinitionsFolder` watch and confirm the user's definitions folder.
 * - The replay wire format (`stores/replay-wire.ts`, re-exported here): how a batch of events is written for the
 *   sandbox, by `encodeBatch` here or by a store itself (`EventStore.readReplayPage`).
 */
export {
  Sandbox,
  SandboxError,
  definitionFilename,
  definitionLocation,
  sandboxHint,
  DEFAULT_BATCH_SIZE,
  DEFAULT_BATCH_TIMEOUT_MS,
  DEFAULT_MEMORY_MB,
} from './sandbox';
export type {
  ApplyOptions,
  ApplyResult,
  DefinitionInfo,
  EventRefs,
  SandboxErrorKind,
  SandboxEventRef,
  SandboxOptions,
  SandboxStep,
  UpcastEvent,
} from './sandbox';
export { SandboxPool, defaultMaxWorkers, sandboxPool } from './sandbox-pool';
export type { AcquireOptions } from './sandbox-pool';
export { REPLAY_TUPLE, encodeBatch, encodedBatch, replayTupleSql } from '../../stores/replay-wire';
export type { EncodedTuples, ReplayBatch, ReplayMetadataKeys, ReplayTupleCoreField, ReplayTupleField } from '../../stores/replay-wire';
export { BUILTIN_DEFINITION_NAMES, MERGE_DEFINITION, definitionApplies, findProjectionsDir, loadBuiltinDefinitions, loadDefinitionFile } from './definitions';
export type { DefinitionSource } from './definitions';
export { DefinitionCatalog } from './definition-catalog';
export type { ResolvedDefinition, StreamFacts } from './definition-catalog';
export { inspectDefinition, summarizeAppliesTo } from './inspect-definition';
export type { DefinitionLoadError, Inspection } from './inspect-definition';
export { UserDefinitions } from './user-definitions';
export { DefinitionsFolder } from './definitions-folder';
export { READ_MODEL_MEMORY_MB, READ_MODEL_TIMEOUT_MS, userReadModel } from './read-model-sandbox';
export type { ReadModelSandboxOptions } from './read-model-sandbox';
