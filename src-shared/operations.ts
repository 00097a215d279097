import { z } from 'zod';
import { auditListInput, auditListResult, auditVerifyResult } from './schemas/audit';
import {
  rebuildsCatalogInput,
  rebuildsCatalogResult,
  rebuildsCreateTargetInput,
  rebuildsCreateTargetResult,
  rebuildsDefinitionsInput,
  rebuildsDefinitionsResult,
  rebuildsDiffInput,
  rebuildsDiffResult,
  rebuildsDropInput,
  rebuildsDropResult,
  rebuildsResumeInput,
  rebuildsResumeResult,
  rebuildsRollbackInput,
  rebuildsRollbackResult,
  rebuildsStartInput,
  rebuildsStartResult,
  rebuildsSwapInput,
  rebuildsSwapResult,
} from './schemas/rebuild';
import {
  eventsExportInput,
  eventsExportResult,
  feedReadInput,
  statsHistogramInput,
  statsHistogramResult,
  statsLargestStreamsInput,
  statsLargestStreamsResult,
  statsStoreInput,
  statsStoreResult,
  feedTailData,
  feedTailInput,
  feedReadResult,
  storeCapabilities,
  storesConfigureInput,
  storesDescribeInput,
  storesDetectInput,
  storesDetectResult,
  storesInspectInput,
  storesInspectResult,
  streamsListInput,
  streamsListResult,
  streamsReadInput,
  streamsReadResult,
} from './schemas/browse';
import { empty } from './schemas/common';
import {
  checkpointsConfigureInput,
  checkpointsConfigureResult,
  checkpointsHistoryInput,
  checkpointsMappingInput,
  checkpointsMappingResult,
  checkpointsHistoryResult,
  checkpointsListInput,
  checkpointsListResult,
  checkpointsOverviewResult,
  checkpointsResetInput,
  checkpointsResetResult,
} from './schemas/checkpoints';
import {
  complianceApproveInput,
  complianceCaseInput,
  complianceChangesInput,
  complianceChangesResult,
  complianceCreateCaseInput,
  complianceEraseInput,
  complianceEraseResult,
  complianceExportInput,
  complianceExportResult,
  complianceGetMapInput,
  complianceGetMapResult,
  complianceListCasesResult,
  complianceProposeMapInput,
  complianceReportInput,
  complianceReportResult,
  complianceSaveMapInput,
  complianceSearchInput,
  complianceSetTwoPersonRuleInput,
  complianceSetTwoPersonRuleResult,
  complianceVerifyInput,
  erasureCase,
  personalDataMap,
  verification,
} from './schemas/compliance';
import { exportTarget } from './feed-filters';
import { exportsSaveCopyInput, exportsSaveCopyResult } from './schemas/exports';
import { operatorsEnrollInput, operatorsListResult, operatorView } from './schemas/operators';
import { demoSetPausedInput, demoStatus } from './schemas/demo';
import { settingsUpdateInput, settingsView } from './schemas/settings';
import { jobStarted, jobsCancelInput, jobsListResult, jobsResumeInput, jobsWatchData, jobsWatchInput, jobView, snapshotsVerifyAllInput } from './schemas/jobs';
import {
  snapshotsChangeResult,
  snapshotsConfigureInput,
  snapshotsConfigureResult,
  snapshotsDeleteInput,
  snapshotsInspectInput,
  snapshotsInspectResult,
  snapshotsListInput,
  snapshotsListResult,
  snapshotsMappingInput,
  snapshotsMappingResult,
  snapshotsRegenerateInput,
} from './schemas/snapshots';
import {
  timeTravelCompareInput,
  timeTravelCompareResult,
  timeTravelClearDefinitionsFolderInput,
  timeTravelDefinitionsChangedData,
  timeTravelDefinitionsFolderResult,
  timeTravelDefinitionsResult,
  timeTravelSetDefinitionsFolderInput,
  timeTravelSetDefinitionsFolderResult,
  timeTravelConfirmDefinitionsInput,
  timeTravelFieldHistoryInput,
  timeTravelFieldHistoryResult,
  timeTravelStateInput,
  timeTravelStateResult,
  timeTravelStepsInput,
  timeTravelStepsResult,
  timeTravelVerifySnapshotInput,
  timeTravelVerifySnapshotResult,
} from './schemas/time-travel';
import {
  kafkaClusterInput,
  kafkaClusterResult,
  kafkaGroupInput,
  kafkaGroupsInput,
  kafkaGroupsResult,
  kafkaGroupResult,
  kafkaLagHistoryInput,
  kafkaMessagesData,
  kafkaMessagesInput,
  kafkaMessagesResult,
  kafkaLagHistoryResult,
  kafkaOutboxGapsInput,
  kafkaOutboxGapsResult,
  kafkaPipelineHistoryInput,
  kafkaPipelineHistoryResult,
  kafkaPipelineInput,
  kafkaStoreLinkInput,
  kafkaStoreLinkResult,
  kafkaPipelineResult,
  kafkaResetOffsetsInput,
  kafkaResetOffsetsResult,
  kafkaSamplerConfigureInput,
  kafkaSamplerSettings,
} from './schemas/kafka';
import {
  connectionStatus,
  connectionTestResult,
  connectionView,
  connectionsAddInput,
  connectionsRemoveInput,
  connectionsStatusInput,
  connectionsTestInput,
  connectionsUpdateInput,
} from './schemas/connections';

/**
 * What an operation changes, which decides how the dispatcher guards it:
 * - `none`: reads only;
 * - `local`: Chronoscope's own state (profiles, settings): audited;
 * - `target`: a connected system: audited, and refused on a read-only profile.
 */
export type Effect = 'none' | 'local' | 'target';

export interface OperationSpec<
  I extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  D extends z.ZodType = z.ZodType,
  V extends string = string,
> {
  summary: string;
  input: I;
  result: R;
  effect: Effect;
  /** Streaming operations emit `data` events until they end or are cancelled. */
  stream?: D;
  /** Destructive operations need a dry run first; its confirmation token authorises the real run. */
  destructive?: boolean;
  /** What the audit log names as the target, from the validated input (and the result, once there is one). */
  target?: (input: z.output<I>, result?: z.output<R>) => string;
  /**
   * The connection profiles the operation acts on, for read-only enforcement.
   * Only needed when the input does not name them as `connectionId` / `connectionIds`.
   */
  connectionsOf?: (input: z.output<I>) => string[];
  /**
   * Results made stale when the operation succeeds (for a stream, each time it
   * emits), which the renderer refetches. Audited operations (effect other than
   * `none`) also make `audit.list` and `audit.verify` stale, failed or not:
   * see `staleAfter`. Each entry must name an operation (checked below the table).
   */
  invalidates?: readonly V[];
  /** The input as the audit log records it, when some of it must not be kept there (a data subject's e-mail). */
  auditInput?: (input: z.output<I>) => unknown;
  /**
   * Destructive operations: what a dry run's answer promises will change (per-partition
   * offsets, the snapshots selected, a checkpoint's from and to), without figures that
   * move on their own (durations, notes). The confirmation is bound to it: the real run
   * recomputes it and runs nothing if it differs from what the user confirmed.
   */
  plan?: (result: z.output<R>) => unknown;
  /**
   * The operation can return, or match on, personal data decrypted from sealed
   * fields. Such an operation opens sealed fields only where the connection
   * profile may decrypt personal data (browse and time travel through
   * `DecryptedViews.session`, compliance through `ComplianceDeps.mayDecrypt`), and
   * must name its connection so that profile is known. test/unit/personal-data-contract
   * fails when an operation returning free-form stored data is neither flagged nor
   * reviewed as never decrypting.
   */
  personalData?: true;
}

function op<I extends z.ZodType, R extends z.ZodType, D extends z.ZodType = z.ZodNever, const V extends string = never>(
  spec: OperationSpec<I, R, D, V>,
): OperationSpec<I, R, D, V> {
  return spec;
}

const appInfo = z.object({
  name: z.string(),
  version: z.string(),
  mode: z.enum(['desktop', 'browser']),
  user: z.string(),
  platform: z.string(),
  dataDir: z.string(),
  secretStorage: z.object({ kind: z.enum(['safeStorage', 'memory']), note: z.string() }),
  localWorkspace: z.object({
    state: z.enum(['starting', 'ready', 'failed', 'stopped']),
    message: z.string().optional(),
  }),
});

/** Reads of a connection's events through its confirmed preset: stale once the preset or the profile changes. */
const STORE_READS = [
  'stores.detect',
  'stores.describe',
  'streams.list',
  'streams.read',
  'feed.read',
  'stats.histogram',
  'stats.largestStreams',
  'stats.store',
  'timeTravel.compare',
  'timeTravel.steps',
  'timeTravel.fieldHistory',
] as const;

/** The one table of operations: both hosts and the typed client are derived from it. */
export const operations = {
  'app.info': op({ summary: 'Version, mode and storage facts of this Chronoscope', input: empty, result: appInfo, effect: 'none' }),

  'connections.list': op({ summary: 'Saved connection profiles, secrets omitted', input: empty, result: z.array(connectionView), effect: 'none' }),
  'connections.add': op({
    summary: 'Save a new connection profile',
    input: connectionsAddInput,
    result: connectionView,
    effect: 'local',
    // Named by id like update and remove, so one profile's history lines up in the audit log.
    target: (input, result) => `connection:${result?.id ?? input.name}`,
    invalidates: ['connections.list', 'kafka.storeLink'],
  }),
  'connections.update': op({
    summary: 'Change a connection profile (name, settings, read-only flag, secret)',
    input: connectionsUpdateInput,
    result: connectionView,
    effect: 'local',
    target: (input) => `connection:${input.id}`,
    invalidates: ['connections.list', 'stores.inspect', 'kafka.storeLink', ...STORE_READS],
  }),
  'connections.remove': op({
    summary: 'Delete a connection profile and its stored secret',
    input: connectionsRemoveInput,
    result: z.object({ removed: z.boolean(), profile: connectionView, confirmation: z.string().optional() }),
    effect: 'local',
    destructive: true,
    target: (input) => `connection:${input.id}`,
    plan: (result) => ({ id: result.profile.id, name: result.profile.name }),
    invalidates: ['connections.list', 'kafka.storeLink'],
  }),
  'connections.test': op({
    summary: 'Connect for real and report server version or cluster id and round-trip time',
    input: connectionsTestInput,
    result: connectionTestResult,
    effect: 'none',
  }),
  'connections.status': op({
    summary: 'Stream the reachability of every profile, checked periodically',
    input: connectionsStatusInput,
    result: z.object({ rounds: z.number() }),
    stream: z.array(connectionStatus),
    effect: 'none',
  }),

  'stores.detect': op({
    summary: 'Propose an event-store schema preset from the tables found, with the evidence',
    input: storesDetectInput,
    result: storesDetectResult,
    effect: 'none',
  }),
  'stores.inspect': op({
    summary: 'Tables and columns (PostgreSQL) or collections and sampled field names (MongoDB), for a custom mapping',
    input: storesInspectInput,
    result: storesInspectResult,
    effect: 'none',
  }),
  'stores.configure': op({
    summary: 'Confirm which preset maps this connection onto the event-store port',
    input: storesConfigureInput,
    result: storeCapabilities,
    effect: 'local',
    target: (input) => `connection:${input.connectionId}`,
    invalidates: [...STORE_READS, 'kafka.storeLink'],
  }),
  'stores.describe': op({ summary: 'What the connected store can do (global order, categories, correlation...)', input: storesDescribeInput, result: storeCapabilities, effect: 'none' }),
  'streams.list': op({ summary: 'Streams with event count and last activity, keyset-paged', input: streamsListInput, result: streamsListResult, effect: 'none' }),
  'streams.read': op({ summary: 'Events of one stream by version range', input: streamsReadInput, result: streamsReadResult, effect: 'none', personalData: true }),
  'feed.read': op({ summary: 'The global feed by position, filtered by type, category, time, correlation/causation or a JSON field; with index advice', input: feedReadInput, result: feedReadResult, effect: 'none', personalData: true }),

  'feed.tail': op({
    summary: 'Follow new events live (polling), gap-safe: a late commit with a lower position is never skipped',
    input: feedTailInput,
    result: z.object({ position: z.string() }),
    stream: feedTailData,
    effect: 'none',
    personalData: true,
  }),

  'events.export': op({
    summary: 'Write a stream or a filtered feed to an NDJSON or CSV file, streamed, with progress and cancel',
    input: eventsExportInput,
    result: eventsExportResult,
    // Data leaves the store: recorded in the audit log like a change.
    effect: 'local',
    personalData: true,
    // Names what left: "who exported this stream?" is answered by searching for it.
    target: (input) => exportTarget(input.connectionId, input.source),
  }),

  'exports.saveCopy': op({
    summary: 'Desktop app: save a copy of a finished file of the exports folder (a report, an access export zip) where the system dialog says',
    input: exportsSaveCopyInput,
    result: exportsSaveCopyResult,
    // A copy of data leaving the app's folder: recorded like an export.
    effect: 'local',
    target: (input) => `file:${input.fileName}`,
  }),

  'stats.histogram': op({
    summary: 'Events per minute, hour or day over a time range, per type',
    input: statsHistogramInput,
    result: statsHistogramResult,
    effect: 'none',
  }),
  'stats.largestStreams': op({ summary: 'The streams with the most events', input: statsLargestStreamsInput, result: statsLargestStreamsResult, effect: 'none' }),
  'stats.store': op({ summary: "The store's own figures: events and streams (exact when cheap), head position, recent rate", input: statsStoreInput, result: statsStoreResult, effect: 'none' }),

  'timeTravel.definitions': op({
    summary: 'Projection definitions for time travel: built-ins and the user folder\'s files, each loaded or with its load error',
    input: empty,
    result: timeTravelDefinitionsResult,
    effect: 'none',
  }),
  'timeTravel.setDefinitionsFolder': op({
    summary: 'List a folder of user projection definitions (its *.js files, nothing run); with the listing hash, use it and run the files listed',
    input: timeTravelSetDefinitionsFolderInput,
    result: timeTravelSetDefinitionsFolderResult,
    effect: 'local',
    target: () => 'settings:definitions-folder',
    invalidates: ['timeTravel.definitions'],
  }),
  'timeTravel.confirmDefinitions': op({
    summary: 'Confirm the definitions folder\'s files as they are now (new or changed ones run from then on)',
    input: timeTravelConfirmDefinitionsInput,
    result: timeTravelSetDefinitionsFolderResult,
    effect: 'local',
    target: () => 'settings:definitions-folder',
    invalidates: ['timeTravel.definitions'],
  }),
  'timeTravel.clearDefinitionsFolder': op({
    summary: 'Stop loading user projection definitions',
    input: timeTravelClearDefinitionsFolderInput,
    result: timeTravelDefinitionsFolderResult,
    effect: 'local',
    target: () => 'settings:definitions-folder',
    invalidates: ['timeTravel.definitions'],
  }),
  'timeTravel.definitionsChanged': op({
    summary: 'Stream the definitions revision: once at once, then whenever user definition files change',
    input: empty,
    result: z.object({ revision: z.number() }),
    stream: timeTravelDefinitionsChangedData,
    effect: 'none',
    invalidates: ['timeTravel.definitions', 'timeTravel.steps', 'timeTravel.fieldHistory', 'timeTravel.compare'],
  }),
  'timeTravel.state': op({
    summary: 'State of an aggregate at a version or a time, replayed in a sandbox, from a snapshot when one fits',
    input: timeTravelStateInput,
    result: timeTravelStateResult,
    effect: 'none',
    personalData: true,
  }),
  'timeTravel.compare': op({ summary: 'States at two points and their structural diff', input: timeTravelCompareInput, result: timeTravelCompareResult, effect: 'none', personalData: true }),
  'timeTravel.steps': op({ summary: 'Each event of a range with the state before and after it and the diff', input: timeTravelStepsInput, result: timeTravelStepsResult, effect: 'none', personalData: true }),
  'timeTravel.fieldHistory': op({ summary: 'Every event that changed one field of the state, with old and new values', input: timeTravelFieldHistoryInput, result: timeTravelFieldHistoryResult, effect: 'none', personalData: true }),
  'timeTravel.verifySnapshot': op({ summary: 'Replay from zero to the latest snapshot and diff it with the stored state', input: timeTravelVerifySnapshotInput, result: timeTravelVerifySnapshotResult, effect: 'none' }),

  'jobs.list': op({ summary: 'Jobs the engine runs or ran (long work that outlives a window), newest first', input: empty, result: jobsListResult, effect: 'none' }),
  'jobs.watch': op({
    summary: 'Stream the jobs: the whole list at once, then every job that changes; cancelling the watch leaves the jobs running',
    input: jobsWatchInput,
    result: z.object({}),
    stream: jobsWatchData,
    effect: 'none',
  }),
  'jobs.cancel': op({ summary: 'Stop a queued, running or paused job', input: jobsCancelInput, result: jobView, effect: 'local', target: (input) => `job:${input.id}`, invalidates: ['jobs.list'] }),
  'jobs.resume': op({
    summary: 'Continue a paused or failed job from its last checkpoint',
    input: jobsResumeInput,
    result: jobView,
    effect: 'local',
    target: (input) => `job:${input.id}`,
    invalidates: ['jobs.list'],
  }),
  'snapshots.verifyAll': op({
    summary: "Start a job that verifies every stored snapshot of a connection against a replay from zero, page by page",
    input: snapshotsVerifyAllInput,
    result: jobStarted,
    effect: 'none',
    invalidates: ['jobs.list'],
  }),
  'snapshots.list': op({
    summary: "The store's snapshots in keyset pages on (stream, version), filtered by stream type, prefix, age, version and size",
    input: snapshotsListInput,
    result: snapshotsListResult,
    effect: 'none',
  }),
  'snapshots.mapping': op({ summary: 'The custom snapshot mapping of a connection, if one is kept', input: snapshotsMappingInput, result: snapshotsMappingResult, effect: 'none' }),
  'snapshots.configure': op({
    summary: 'Map snapshots kept where no preset knows (a table or collection: stream id, version, state as JSON, taken-at, schema version), checked against the live schema; null forgets it',
    input: snapshotsConfigureInput,
    result: snapshotsConfigureResult,
    effect: 'local',
    target: (input) => `connection:${input.connectionId}`,
    invalidates: ['snapshots.mapping', 'snapshots.list', 'snapshots.inspect'],
  }),
  'snapshots.inspect': op({ summary: 'One stored snapshot beside the state a replay from zero gives at its version, and their diff', input: snapshotsInspectInput, result: snapshotsInspectResult, effect: 'none' }),
  'snapshots.delete': op({
    summary: 'Delete one snapshot, those a filter matches, or those a verification job found wrong (dry run: how many and the first ones); more than one runs as a resumable job',
    input: snapshotsDeleteInput,
    result: snapshotsChangeResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}:snapshots`,
    plan: (result) => ({ count: result.count, first: result.first.map((s) => [s.streamId, s.version]) }),
    invalidates: ['snapshots.list', 'snapshots.inspect', 'jobs.list'],
  }),
  'snapshots.regenerate': op({
    summary: "Replay with a chosen definition and overwrite the selected snapshots in the store's own format (dry run first); more than one runs as a resumable job",
    input: snapshotsRegenerateInput,
    result: snapshotsChangeResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}:snapshots`,
    plan: (result) => ({ count: result.count, first: result.first.map((s) => [s.streamId, s.version]) }),
    invalidates: ['snapshots.list', 'snapshots.inspect', 'jobs.list'],
  }),

  'checkpoints.list': op({
    summary: 'Every projector with its position, the head, lag in events and in time, last update and status; per partition for Kafka sources',
    input: checkpointsListInput,
    result: checkpointsListResult,
    effect: 'none',
  }),
  'checkpoints.history': op({ summary: "A checkpoint's lag over a time range, as the engine sampled it in the background", input: checkpointsHistoryInput, result: checkpointsHistoryResult, effect: 'none' }),
  'checkpoints.reset': op({
    summary: 'Move a checkpoint to the beginning, a position, a time, the head or another projector\'s position; the dry run shows what is reprocessed or skipped, the real run is a compare-and-set',
    input: checkpointsResetInput,
    result: checkpointsResetResult,
    effect: 'target',
    destructive: true,
    target: (input) => `checkpoint:${input.connectionId}/${input.key.store}/${input.key.projector}${input.key.source ? `/${input.key.source}` : ''}`,
    // The real run applies the confirmed target as a compare-and-set against the confirmed start (a head that moved
    // since is not followed; a checkpoint that moved is refused, naming both positions), so the plan is held atomically.
    plan: (result) => ({ key: result.key }),
    invalidates: ['checkpoints.list', 'checkpoints.history', 'checkpoints.overview'],
  }),
  'checkpoints.mapping': op({ summary: 'The custom checkpoint mapping of a connection, if one is kept', input: checkpointsMappingInput, result: checkpointsMappingResult, effect: 'none' }),
  'checkpoints.configure': op({
    summary: 'Map checkpoints kept where no preset knows (a table or collection: name, position, updated-at), checked against the live schema; null forgets it',
    input: checkpointsConfigureInput,
    result: checkpointsConfigureResult,
    effect: 'local',
    target: (input) => `connection:${input.connectionId}`,
    invalidates: ['checkpoints.mapping', 'checkpoints.list', 'checkpoints.history', 'checkpoints.overview'],
  }),
  'checkpoints.overview': op({
    summary: 'Per connection whose checkpoints are sampled: the worst lags, and failed snapshot verifications',
    input: empty,
    result: checkpointsOverviewResult,
    effect: 'none',
  }),

  'kafka.cluster': op({
    summary: 'Brokers, controller and topics (partitions, replication, retention, size, end offsets)',
    input: kafkaClusterInput,
    result: kafkaClusterResult,
    effect: 'none',
  }),
  'kafka.groups': op({
    summary: "Consumer groups of every kind with state, members, lag and status, as of the lag sampler's last sample (read fresh before its first)",
    input: kafkaGroupsInput,
    result: kafkaGroupsResult,
    effect: 'none',
  }),
  'kafka.group': op({
    summary: "One consumer group: members and assignments, per partition committed/end offsets, lag in messages and seconds, Burrow status and reason",
    input: kafkaGroupInput,
    result: kafkaGroupResult,
    effect: 'none',
  }),
  'kafka.lagHistory': op({
    summary: 'Sampled lag of a group over a time range, per partition, in messages and seconds, with the status at each point',
    input: kafkaLagHistoryInput,
    result: kafkaLagHistoryResult,
    effect: 'none',
  }),
  'kafka.messages': op({
    summary: "A partition's messages from an offset, a time or the last N, key/value decoded (JSON, text, hex) with headers; with follow, new ones stream until cancelled",
    input: kafkaMessagesInput,
    result: kafkaMessagesResult,
    stream: kafkaMessagesData,
    effect: 'none',
  }),
  'kafka.samplerSettings': op({ summary: 'The background lag sampler: interval, all or pinned groups, the SLO line', input: empty, result: kafkaSamplerSettings, effect: 'none' }),
  'kafka.configureSampler': op({
    summary: 'Change the lag sampler interval, its scope, pinned groups or the SLO',
    input: kafkaSamplerConfigureInput,
    result: kafkaSamplerSettings,
    effect: 'local',
    target: () => 'settings:kafka-lag',
    invalidates: ['kafka.samplerSettings', 'kafka.group', 'kafka.groups'],
  }),
  'kafka.resetOffsets': op({
    summary: "Move a consumer group's committed offsets (earliest, latest, a time, an exact offset, shift ±N, copy a group), refused while it has active members",
    input: kafkaResetOffsetsInput,
    result: kafkaResetOffsetsResult,
    effect: 'target',
    destructive: true,
    target: (input) => `kafka:${input.connectionId}:group:${input.groupId}`,
    // The offsets the user saw (`next`) are applied as confirmed, even where the end moved since: only where each partition starts from must hold.
    plan: (result) => result.plan.map((row) => ({ topic: row.topic, partition: row.partition, current: row.current, checkpoint: row.checkpoint ?? null })),
    invalidates: ['kafka.group', 'kafka.groups', 'kafka.lagHistory', 'kafka.pipeline', 'kafka.pipelineHistory'],
    // The projector's checkpoints live in another (PostgreSQL) connection, which must be read-write too.
    connectionsOf: (input) => [input.connectionId, ...(input.checkpoints ? [input.checkpoints.connectionId] : [])],
  }),

  'compliance.proposeMap': op({
    summary: 'Propose where a connection keeps personal data (event paths, read-model columns, snapshots, key store) from a sample of events',
    input: complianceProposeMapInput,
    result: personalDataMap,
    effect: 'none',
  }),
  'compliance.getMap': op({ summary: "The connection's confirmed personal-data map, if any", input: complianceGetMapInput, result: complianceGetMapResult, effect: 'none' }),
  'compliance.saveMap': op({
    summary: 'Confirm a personal-data map (and the two-person rule) for a connection',
    input: complianceSaveMapInput,
    result: personalDataMap,
    effect: 'local',
    target: (input) => `connection:${input.connectionId}`,
    invalidates: ['compliance.getMap'],
  }),
  'compliance.setTwoPersonRule': op({
    summary: 'Turn the two-person rule of a connection on or off (a dry run, a confirmation and a reason); cases opened under the rule keep it',
    input: complianceSetTwoPersonRuleInput,
    result: complianceSetTwoPersonRuleResult,
    effect: 'local',
    destructive: true,
    target: (input) => `connection:${input.connectionId}`,
    invalidates: ['compliance.getMap'],
  }),
  'operators.list': op({ summary: 'The registered operators: name, id, key fingerprint, sponsor (never a key)', input: empty, result: operatorsListResult, effect: 'none' }),
  'operators.enroll': op({
    summary: "Register an operator with their own passphrase-protected signing key; once one exists, an existing operator sponsors each new one with their passphrase",
    input: operatorsEnrollInput,
    result: operatorView,
    effect: 'local',
    target: (input, result) => `operator:${result?.id ?? input.name}`,
    invalidates: ['operators.list'],
  }),
  'compliance.createCase': op({
    summary: 'Open an access or erasure case: subject, ticket, reason, requester',
    input: complianceCreateCaseInput,
    result: erasureCase,
    effect: 'local',
    target: (input, result) => `case:${result?.id ?? input.ticket}`,
    // The audit log outlives an erasure: it names the case, never the subject.
    auditInput: (input) => ({ ...input, subject: { by: input.subject.by, value: '[subject]' } }),
    invalidates: ['compliance.listCases'],
  }),
  'compliance.listCases': op({ summary: 'Erasure cases, newest first', input: empty, result: complianceListCasesResult, effect: 'none' }),
  'compliance.getCase': op({ summary: 'One erasure case with its inventory, dry runs, outcomes and verification', input: complianceCaseInput, result: erasureCase, effect: 'none' }),
  'compliance.search': op({
    summary: "Start a job that finds the case's subject in events (data and metadata), snapshots, read models and the key store",
    input: complianceSearchInput,
    result: z.object({ jobId: z.string() }),
    // Looking for a person's data is itself recorded.
    effect: 'local',
    // An e-mail is matched against decrypted values (which tells whether that person is in the store).
    personalData: true,
    target: (input) => `case:${input.caseId}`,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.export': op({
    summary: "Write everything found about the case's subject, decrypted where the key exists, as a bundle (JSON per location and a summary)",
    input: complianceExportInput,
    result: complianceExportResult,
    effect: 'local',
    personalData: true,
    target: (input) => `case:${input.caseId}`,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.approve': op({
    summary: "A second registered operator approves the case's previewed actions: their passphrase opens their key, which signs the digest of exactly those actions",
    input: complianceApproveInput,
    result: erasureCase,
    effect: 'local',
    target: (input) => `case:${input.caseId}`,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.erase': op({
    summary: 'Erase the case subject: crypto-shred, redact events, purge read models, delete or regenerate snapshots, tombstone compacted topics; the dry run previews each, the real run is a job',
    input: complianceEraseInput,
    result: complianceEraseResult,
    effect: 'target',
    destructive: true,
    target: (input) => `case:${input.caseId}`,
    plan: (result) => (result.previews ?? []).map((p) => ({ action: p.action, affected: p.affected, refused: p.refused ?? null })),
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.verify': op({
    summary: "Check that nothing of the case's subject decrypts anywhere and list what still holds its data in clear",
    input: complianceVerifyInput,
    result: verification,
    effect: 'local',
    target: (input) => `case:${input.caseId}`,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.report': op({
    summary: 'Write the erasure report (JSON and printable HTML, no personal data of the subject) and chain its hash into the audit log',
    input: complianceReportInput,
    result: complianceReportResult,
    effect: 'local',
    target: (input) => `case:${input.caseId}`,
    invalidates: ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  }),
  'compliance.changes': op({
    summary: 'The events a redaction changed: position, id, paths and SHA-256 after (never the erased values)',
    input: complianceChangesInput,
    result: complianceChangesResult,
    effect: 'none',
  }),

  'kafka.pipeline': op({
    summary: 'One lag line from store to read model: store head, outbox relayed position, topic end offsets, the projector group\'s committed offsets and its read-model checkpoint; where it is behind and an ETA at the measured rates (each call records a sample)',
    input: kafkaPipelineInput,
    result: kafkaPipelineResult,
    effect: 'none',
  }),
  'kafka.pipelineHistory': op({
    summary: 'The recorded samples of a store-to-read-model pipeline over a time range',
    input: kafkaPipelineHistoryInput,
    result: kafkaPipelineHistoryResult,
    effect: 'none',
  }),
  'kafka.storeLink': op({
    summary:
      "The event store a topic's or a group's events come from: declared on the Kafka profile, or detected where a PostgreSQL outbox " +
      "published the topic's newest messages; otherwise the choices to ask from",
    input: kafkaStoreLinkInput,
    result: kafkaStoreLinkResult,
    effect: 'none',
  }),
  'kafka.outboxGaps': op({
    summary: 'Events of a store position range missing from a topic or published more than once, by event id (scans the topic; progress, cancellable)',
    input: kafkaOutboxGapsInput,
    result: kafkaOutboxGapsResult,
    effect: 'none',
  }),

  'rebuilds.catalog': op({
    summary: 'Read models of a PostgreSQL connection (tables with a single-column key) or a MongoDB one (collections): rows, built-in definition, rebuilds, projector checkpoints',
    input: rebuildsCatalogInput,
    result: rebuildsCatalogResult,
    effect: 'none',
  }),
  'rebuilds.start': op({
    summary: 'Start a job rebuilding a read model into a shadow table or collection beside the live one (the live model is not touched); a partial one names streams by id or by scope',
    input: rebuildsStartInput,
    result: rebuildsStartResult,
    effect: 'target',
    target: (input) => `connection:${input.connectionId}/${input.schema}.${input.model}`,
    // A scale-out creates the replay topic on its Kafka connection: a read-only one refuses it.
    connectionsOf: (input) => [input.connectionId, ...(input.scaleOut ? [input.scaleOut.kafkaConnectionId] : [])],
    invalidates: ['rebuilds.catalog', 'jobs.list'],
  }),
  'rebuilds.definitions': op({
    summary: "Read-model definitions in the user's definitions folder (the one time travel uses): ready, awaiting confirmation, or not a read-model definition",
    input: rebuildsDefinitionsInput,
    result: rebuildsDefinitionsResult,
    effect: 'none',
  }),
  'rebuilds.createTarget': op({
    summary: "Create a read model's table from its definition: a built-in's reference DDL or a user definition's declared columns (the dry run shows the exact DDL)",
    input: rebuildsCreateTargetInput,
    result: rebuildsCreateTargetResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}/${input.schema}.${input.model}`,
    // The confirmation is bound to the exact statements shown.
    plan: (result) => ({ table: `${result.schema}.${result.model}`, ddl: result.ddl }),
    invalidates: ['rebuilds.catalog'],
  }),
  'rebuilds.resume': op({
    summary: 'Continue a cancelled or failed rebuild from its last committed batch, in a new job',
    input: rebuildsResumeInput,
    result: rebuildsResumeResult,
    effect: 'target',
    target: (input) => `connection:${input.connectionId}/rebuild:${input.rebuildId}`,
    invalidates: ['rebuilds.catalog', 'jobs.list'],
  }),
  'rebuilds.diff': op({
    summary: 'Compare a rebuilt shadow with the live model: counts, keys only in one, changed rows with a field sample',
    input: rebuildsDiffInput,
    result: rebuildsDiffResult,
    effect: 'none',
  }),
  'rebuilds.swap': op({
    summary: 'Swap the rebuilt shadow in (PostgreSQL: one transaction with the projector checkpoint; MongoDB: two renames, the risk stated); the old model is kept for roll back',
    input: rebuildsSwapInput,
    result: rebuildsSwapResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}/rebuild:${input.rebuildId}`,
    // The names kept for the old model carry the time of the run, and the projector's position is taken when it runs: neither is part of the plan.
    plan: (result) => ({ model: result.model, shadow: result.shadow, catchUpFrom: result.catchUpFrom }),
    invalidates: ['rebuilds.catalog', 'rebuilds.diff', 'checkpoints.list'],
  }),
  'rebuilds.rollback': op({
    summary: 'Put the model kept by a swap back in place; the rebuilt one is kept beside it',
    input: rebuildsRollbackInput,
    result: rebuildsRollbackResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}/rebuild:${input.rebuildId}`,
    // The name kept for the rebuilt model carries the time of the run: not part of the plan.
    plan: (result) => ({ model: result.model, restored: result.restored }),
    invalidates: ['rebuilds.catalog', 'rebuilds.diff', 'checkpoints.list'],
  }),
  'rebuilds.drop': op({
    summary: "Drop the old model a swap kept, or a shadow that was not swapped in",
    input: rebuildsDropInput,
    result: rebuildsDropResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}/rebuild:${input.rebuildId}/${input.what}`,
    plan: (result) => ({ table: result.table }),
    invalidates: ['rebuilds.catalog'],
  }),

  'demo.status': op({ summary: 'The Local workspace live demo: paused or not, events written, the projector it keeps lagging, the stale snapshot', input: empty, result: demoStatus, effect: 'none' }),
  'demo.setPaused': op({
    summary: 'Pause or resume the live demo traffic in the Local workspace (remembered across restarts)',
    input: demoSetPausedInput,
    result: demoStatus,
    // Changes only Chronoscope's own demo database: audited, never a confirmation.
    effect: 'local',
    target: () => 'local-workspace:live-demo',
    invalidates: ['demo.status'],
  }),

  'settings.get': op({ summary: 'The user settings (time zone, theme, page sizes, sampling intervals) and the data directory', input: empty, result: settingsView, effect: 'none' }),
  'settings.update': op({
    summary: 'Change some of the user settings; validated and saved in the data directory',
    input: settingsUpdateInput,
    result: settingsView,
    effect: 'local',
    target: () => 'settings:app',
    invalidates: ['settings.get'],
  }),

  'audit.list': op({ summary: 'Audit records, newest first, filtered', input: auditListInput, result: auditListResult, effect: 'none' }),
  'audit.verify': op({ summary: 'Check the audit hash chain for edited or deleted records', input: empty, result: auditVerifyResult, effect: 'none' }),
} as const;

export type Operations = typeof operations;
export type OperationName = keyof Operations;
/** What the caller passes (defaults may be omitted). */
export type InputOf<N extends OperationName> = z.input<Operations[N]['input']>;
/** What the handler receives after validation (defaults applied). */
export type ParsedInputOf<N extends OperationName> = z.output<Operations[N]['input']>;
export type ResultOf<N extends OperationName> = z.output<Operations[N]['result']>;
/** Every name some operation's `invalidates` lists. */
type Invalidated = { [N in OperationName]: Operations[N] extends OperationSpec<z.ZodType, z.ZodType, z.ZodType, infer V> ? V : never }[OperationName];
type Assert<T extends true> = T;
/** Fails to compile when an `invalidates` entry names no operation (a typo would silently refresh nothing). */
export type InvalidatesNameOperations = Assert<[Exclude<Invalidated, OperationName>] extends [never] ? true : false>;
export type StreamDataOf<N extends OperationName> = Operations[N] extends { stream?: infer D } ? (D extends z.ZodType ? z.output<D> : never) : never;

/** The connection profiles an operation acts on: its own declaration, else `connectionId` and `connectionIds` of the input. */
export function connectionsOf(spec: OperationSpec, input: unknown): string[] {
  if (spec.connectionsOf) return spec.connectionsOf(input as never);
  if (typeof input !== 'object' || input === null) return [];
  const { connectionId, connectionIds } = input as { connectionId?: unknown; connectionIds?: unknown };
  const named = [
    ...(typeof connectionId === 'string' ? [connectionId] : []),
    ...(Array.isArray(connectionIds) ? connectionIds.filter((id): id is string => typeof id === 'string') : []),
  ];
  return [...new Set(named)];
}

/**
 * Whether the operation can always name the connections it acts on: a declaration,
 * or a required `connectionId` / `connectionIds` in its input. `target` operations must.
 */
export function namesItsConnections(spec: OperationSpec): boolean {
  if (spec.connectionsOf) return true;
  const shape = spec.input instanceof z.ZodObject ? (spec.input.shape as Record<string, z.ZodType>) : undefined;
  if (!shape) return false;
  const required = (key: string) => key in shape && !shape[key]!.safeParse(undefined).success;
  return required('connectionId') || required('connectionIds');
}

/** Names of `target` operations that could run without naming a connection: the read-only guard would not see them. */
export function targetsWithoutConnections(table: Record<string, OperationSpec>): string[] {
  return Object.entries(table)
    .filter(([, spec]) => spec.effect === 'target' && !namesItsConnections(spec))
    .map(([name]) => name);
}

/** What follows a call: whether it succeeded, and whether it was a dry run (which changes nothing). */
export interface CallOutcome {
  succeeded: boolean;
  dryRun?: boolean;
}

/**
 * The results a call made stale, from the table: the operation's `invalidates`
 * after a real success, and the audit log after any audited call (failures are
 * audited too).
 */
export function staleAfter(op: OperationName, outcome: CallOutcome): OperationName[] {
  const spec: OperationSpec = operations[op];
  // Entries are operation names: `InvalidatesNameOperations` checks the table.
  const changed = outcome.succeeded && outcome.dryRun !== true ? ((spec.invalidates ?? []) as readonly OperationName[]) : [];
  const audited: OperationName[] = spec.effect === 'none' ? [] : ['audit.list', 'audit.verify'];
  return [...new Set([...changed, ...audited])];
}

export function isOperationName(name: string): name is OperationName {
  return Object.prototype.hasOwnProperty.call(operations, name);
}

/**
 * What a job of each kind makes stale when it settles (done, failed, cancelled) or its
 * finished result is amended, long after the call that started it answered.
 */
export const JOB_INVALIDATES: Readonly<Record<string, readonly OperationName[]>> = {
  'snapshots.verifyAll': ['snapshots.list', 'snapshots.inspect', 'checkpoints.overview', 'jobs.list'],
  'snapshots.delete': ['snapshots.list', 'snapshots.inspect', 'checkpoints.overview', 'timeTravel.state', 'jobs.list'],
  'snapshots.regenerate': ['snapshots.list', 'snapshots.inspect', 'checkpoints.overview', 'timeTravel.state', 'jobs.list'],
  'rebuilds.run': ['rebuilds.catalog', 'rebuilds.diff', 'jobs.list'],
  'compliance.search': ['compliance.getCase', 'compliance.listCases', 'jobs.list'],
  'compliance.erase': ['compliance.getCase', 'compliance.listCases', 'snapshots.list', 'rebuilds.catalog', 'checkpoints.overview', 'jobs.list'],
};
