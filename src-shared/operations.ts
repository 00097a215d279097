import { z } from 'zod';
import { auditListInput, auditListResult, auditVerifyResult } from './schemas/audit';
import {
  eventsExportInput,
  eventsExportResult,
  feedReadInput,
  statsHistogramInput,
  statsHistogramResult,
  statsLargestStreamsInput,
  statsLargestStreamsResult,
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
import { exportTarget } from './feed-filters';
import { demoSetPausedInput, demoStatus } from './schemas/demo';
import { settingsUpdateInput, settingsView } from './schemas/settings';
import { jobStarted, jobsCancelInput, jobsListResult, jobsResumeInput, jobsWatchData, jobsWatchInput, jobView, snapshotsVerifyAllInput } from './schemas/jobs';
import {
  timeTravelCompareInput,
  timeTravelCompareResult,
  timeTravelClearDefinitionsFolderInput,
  timeTravelDefinitionsChangedData,
  timeTravelDefinitionsFolderResult,
  timeTravelDefinitionsResult,
  timeTravelSetDefinitionsFolderInput,
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
}

function op<I extends z.ZodType, R extends z.ZodType, D extends z.ZodType = z.ZodNever>(
  spec: OperationSpec<I, R, D>,
): OperationSpec<I, R, D> {
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
  }),
  'connections.update': op({
    summary: 'Change a connection profile (name, settings, read-only flag, secret)',
    input: connectionsUpdateInput,
    result: connectionView,
    effect: 'local',
    target: (input) => `connection:${input.id}`,
  }),
  'connections.remove': op({
    summary: 'Delete a connection profile and its stored secret',
    input: connectionsRemoveInput,
    result: z.object({ removed: z.boolean(), profile: connectionView, confirmation: z.string().optional() }),
    effect: 'local',
    destructive: true,
    target: (input) => `connection:${input.id}`,
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
  }),
  'stores.describe': op({ summary: 'What the connected store can do (global order, categories, correlation...)', input: storesDescribeInput, result: storeCapabilities, effect: 'none' }),
  'streams.list': op({ summary: 'Streams with event count and last activity, keyset-paged', input: streamsListInput, result: streamsListResult, effect: 'none' }),
  'streams.read': op({ summary: 'Events of one stream by version range', input: streamsReadInput, result: streamsReadResult, effect: 'none' }),
  'feed.read': op({ summary: 'The global feed by position, filtered by type, category, time, correlation/causation or a JSON field; with index advice', input: feedReadInput, result: feedReadResult, effect: 'none' }),

  'feed.tail': op({
    summary: 'Follow new events live (polling), gap-safe: a late commit with a lower position is never skipped',
    input: feedTailInput,
    result: z.object({ position: z.string() }),
    stream: feedTailData,
    effect: 'none',
  }),

  'events.export': op({
    summary: 'Write a stream or a filtered feed to an NDJSON or CSV file, streamed, with progress and cancel',
    input: eventsExportInput,
    result: eventsExportResult,
    // Data leaves the store: recorded in the audit log like a change.
    effect: 'local',
    // Names what left: "who exported this stream?" is answered by searching for it.
    target: (input) => exportTarget(input.connectionId, input.source),
  }),

  'stats.histogram': op({
    summary: 'Events per minute, hour or day over a time range, per type',
    input: statsHistogramInput,
    result: statsHistogramResult,
    effect: 'none',
  }),
  'stats.largestStreams': op({ summary: 'The streams with the most events', input: statsLargestStreamsInput, result: statsLargestStreamsResult, effect: 'none' }),

  'timeTravel.definitions': op({
    summary: 'Projection definitions for time travel: built-ins and the user folder\'s files, each loaded or with its load error',
    input: empty,
    result: timeTravelDefinitionsResult,
    effect: 'none',
  }),
  'timeTravel.setDefinitionsFolder': op({
    summary: 'Load user projection definitions from a folder (its *.js files), reloaded when they change',
    input: timeTravelSetDefinitionsFolderInput,
    result: timeTravelDefinitionsFolderResult,
    effect: 'local',
    target: () => 'settings:definitions-folder',
  }),
  'timeTravel.clearDefinitionsFolder': op({
    summary: 'Stop loading user projection definitions',
    input: timeTravelClearDefinitionsFolderInput,
    result: timeTravelDefinitionsFolderResult,
    effect: 'local',
    target: () => 'settings:definitions-folder',
  }),
  'timeTravel.definitionsChanged': op({
    summary: 'Stream the definitions revision: once at once, then whenever user definition files change',
    input: empty,
    result: z.object({ revision: z.number() }),
    stream: timeTravelDefinitionsChangedData,
    effect: 'none',
  }),
  'timeTravel.state': op({
    summary: 'State of an aggregate at a version or a time, replayed in a sandbox, from a snapshot when one fits',
    input: timeTravelStateInput,
    result: timeTravelStateResult,
    effect: 'none',
  }),
  'timeTravel.compare': op({ summary: 'States at two points and their structural diff', input: timeTravelCompareInput, result: timeTravelCompareResult, effect: 'none' }),
  'timeTravel.steps': op({ summary: 'Each event of a range with the state before and after it and the diff', input: timeTravelStepsInput, result: timeTravelStepsResult, effect: 'none' }),
  'timeTravel.fieldHistory': op({ summary: 'Every event that changed one field of the state, with old and new values', input: timeTravelFieldHistoryInput, result: timeTravelFieldHistoryResult, effect: 'none' }),
  'timeTravel.verifySnapshot': op({ summary: 'Replay from zero to the latest snapshot and diff it with the stored state', input: timeTravelVerifySnapshotInput, result: timeTravelVerifySnapshotResult, effect: 'none' }),

  'jobs.list': op({ summary: 'Jobs the engine runs or ran (long work that outlives a window), newest first', input: empty, result: jobsListResult, effect: 'none' }),
  'jobs.watch': op({
    summary: 'Stream the jobs: the whole list at once, then every job that changes; cancelling the watch leaves the jobs running',
    input: jobsWatchInput,
    result: z.object({}),
    stream: jobsWatchData,
    effect: 'none',
  }),
  'jobs.cancel': op({ summary: 'Stop a queued, running or paused job', input: jobsCancelInput, result: jobView, effect: 'local', target: (input) => `job:${input.id}` }),
  'jobs.resume': op({
    summary: 'Continue a paused or failed job from its last checkpoint',
    input: jobsResumeInput,
    result: jobView,
    effect: 'local',
    target: (input) => `job:${input.id}`,
  }),
  'snapshots.verifyAll': op({
    summary: "Start a job that verifies every stored snapshot of a connection against a replay from zero, page by page",
    input: snapshotsVerifyAllInput,
    result: jobStarted,
    effect: 'none',
  }),

  'demo.status': op({ summary: 'The Local workspace live demo: paused or not, events written, the projector it keeps lagging, the stale snapshot', input: empty, result: demoStatus, effect: 'none' }),
  'demo.setPaused': op({
    summary: 'Pause or resume the live demo traffic in the Local workspace (remembered across restarts)',
    input: demoSetPausedInput,
    result: demoStatus,
    // Changes only Chronoscope's own demo database: audited, never a confirmation.
    effect: 'local',
    target: () => 'local-workspace:live-demo',
  }),

  'settings.get': op({ summary: 'The user settings (time zone, theme, page sizes, sampling intervals) and the data directory', input: empty, result: settingsView, effect: 'none' }),
  'settings.update': op({
    summary: 'Change some of the user settings; validated and saved in the data directory',
    input: settingsUpdateInput,
    result: settingsView,
    effect: 'local',
    target: () => 'settings:app',
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

export function isOperationName(name: string): name is OperationName {
  return Object.prototype.hasOwnProperty.call(operations, name);
}
