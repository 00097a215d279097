import { jobStarted, snapshotsVerifyAllInput } from '../schemas/jobs';
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
} from '../schemas/snapshots';
import { op } from './op';

/** The operations of stored snapshots. */
export const snapshotsOperations = {
  'snapshots.verifyAll': op({
    summary: 'Start a job that verifies every stored snapshot of a connection against a replay from zero, page by page',
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
  'snapshots.mapping': op({
    summary: 'The custom snapshot mapping of a connection, if one is kept',
    input: snapshotsMappingInput,
    result: snapshotsMappingResult,
    effect: 'none',
  }),
  'snapshots.configure': op({
    summary:
      'Map snapshots kept where no preset knows (a table or collection: stream id, version, state as JSON, taken-at, schema version), checked against the live schema; null forgets it',
    input: snapshotsConfigureInput,
    result: snapshotsConfigureResult,
    effect: 'local',
    target: (input) => `connection:${input.connectionId}`,
    invalidates: ['snapshots.mapping', 'snapshots.list', 'snapshots.inspect'],
  }),
  'snapshots.inspect': op({
    summary: 'One stored snapshot beside the state a replay from zero gives at its version, and their diff',
    input: snapshotsInspectInput,
    result: snapshotsInspectResult,
    effect: 'none',
  }),
  'snapshots.delete': op({
    summary:
      'Delete one snapshot, those a filter matches, or those a verification job found wrong (dry run: how many and the first ones); more than one runs as a resumable job',
    input: snapshotsDeleteInput,
    result: snapshotsChangeResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}:snapshots`,
    plan: (result) => ({ count: result.count, first: result.first.map((s) => [s.streamId, s.version]) }),
    invalidates: ['snapshots.list', 'snapshots.inspect', 'jobs.list'],
  }),
  'snapshots.regenerate': op({
    summary:
      "Replay with a chosen definition and overwrite the selected snapshots in the store's own format (dry run first); more than one runs as a resumable job",
    input: snapshotsRegenerateInput,
    result: snapshotsChangeResult,
    effect: 'target',
    destructive: true,
    target: (input) => `connection:${input.connectionId}:snapshots`,
    plan: (result) => ({ count: result.count, first: result.first.map((s) => [s.streamId, s.version]) }),
    invalidates: ['snapshots.list', 'snapshots.inspect', 'jobs.list'],
  }),
} as const;
