import {
  checkpointsConfigureInput,
  checkpointsConfigureResult,
  checkpointsHistoryInput,
  checkpointsHistoryResult,
  checkpointsListInput,
  checkpointsListResult,
  checkpointsMappingInput,
  checkpointsMappingResult,
  checkpointsOverviewResult,
  checkpointsResetInput,
  checkpointsResetResult,
} from '../schemas/checkpoints';
import { empty } from '../schemas/common';
import { op } from './op';

/** The operations of projector checkpoints. */
export const checkpointsOperations = {
  'checkpoints.list': op({
    summary: 'Every projector with its position, the head, lag in events and in time, last update and status; per partition for Kafka sources',
    input: checkpointsListInput,
    result: checkpointsListResult,
    effect: 'none',
  }),
  'checkpoints.history': op({
    summary: "A checkpoint's lag over a time range, as the engine sampled it in the background",
    input: checkpointsHistoryInput,
    result: checkpointsHistoryResult,
    effect: 'none',
  }),
  'checkpoints.reset': op({
    summary:
      "Move a checkpoint to the beginning, a position, a time, the head or another projector's position; the dry run shows what is reprocessed or skipped, the real run is a compare-and-set",
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
  'checkpoints.mapping': op({
    summary: 'The custom checkpoint mapping of a connection, if one is kept',
    input: checkpointsMappingInput,
    result: checkpointsMappingResult,
    effect: 'none',
  }),
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
} as const;
