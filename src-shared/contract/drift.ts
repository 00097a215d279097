import { driftRepairInput, driftRepairResult, driftStatusInput, driftStatusResult, driftVerifyInput, driftVerifyResult } from '../schemas/drift';
import { op } from './op';

/** The operations of read-model drift: verify a model against the log, repair exactly what drifted. */
export const driftOperations = {
  'drift.verify': op({
    summary:
      'Start a job comparing a read model with a replay of the streams behind it (a sample, every row, or chosen streams), without touching it: edited, missing, orphan and skipped-event rows',
    input: driftVerifyInput,
    result: driftVerifyResult,
    effect: 'none',
    invalidates: ['jobs.list'],
  }),
  'drift.repair': op({
    summary:
      'Start a partial rebuild of exactly the streams a verification found drifted (orphans included: their keys are deleted); read its diff, then swap it with the rebuild operations',
    input: driftRepairInput,
    result: driftRepairResult,
    effect: 'target',
    target: (input) => `connection:${input.connectionId}/drift:${input.jobId}`,
    invalidates: ['rebuilds.catalog', 'jobs.list'],
  }),
  'drift.status': op({
    summary:
      "Each read model's drift as its newest check found it (scheduled at the Settings' interval, or run by hand), when the next scheduled check is due, and the drift rate of past checks",
    input: driftStatusInput,
    result: driftStatusResult,
    effect: 'none',
  }),
} as const;
