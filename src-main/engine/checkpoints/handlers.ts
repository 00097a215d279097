import type { CheckpointsOverviewResult, CheckpointsResetResult } from '../../../src-shared/schemas/checkpoints';
import type { Handlers } from '../dispatch/dispatcher';
import type { JobView } from '../../../src-shared/schemas/jobs';
import { isJobOf } from '../../../src-shared/contract/job-kinds';
import type { CheckpointBoard } from './checkpoint-board';
import type { CheckpointResets } from './checkpoint-reset';
import type { CheckpointService } from './checkpoint-service';
import type { ProjectorLagHistory } from './lag-history';
import type { ProjectorLagSampler } from './lag-sampler';

export type CheckpointOperation =
  'checkpoints.list' | 'checkpoints.history' | 'checkpoints.reset' | 'checkpoints.overview' | 'checkpoints.mapping' | 'checkpoints.configure';

export interface CheckpointHandlerDeps {
  board: CheckpointBoard;
  checkpoints: CheckpointService;
  resets: CheckpointResets;
  history: ProjectorLagHistory;
  sampler: ProjectorLagSampler;
  /** Jobs recorded by the engine, for failed snapshot verifications. */
  jobs(): Promise<JobView[]>;
  now?: () => number;
}

const HOUR_MS = 3_600_000;
/** Projectors the overview names per connection. */
const WORST_PER_CONNECTION = 3;

/** Checkpoints of projectors: their lags and history, resets, and the overview's worst lags. */
export function checkpointHandlers(deps: CheckpointHandlerDeps): Pick<Handlers, CheckpointOperation> {
  const now = deps.now ?? Date.now;
  return {
    'checkpoints.list': async (input) => {
      const options = { stalledAfterSeconds: input.stalledAfterSeconds, ...(input.kafkaConnectionId ? { kafkaConnectionId: input.kafkaConnectionId } : {}) };
      const result = await deps.board.list(input.connectionId, options);
      // Opened once: sampled in the background from now on, across restarts.
      await deps.sampler.watch(input.connectionId, options);
      deps.sampler.remember(result);
      return result;
    },
    'checkpoints.history': async (input) => {
      const to = input.to ? Date.parse(input.to) : now();
      const from = input.from ? Date.parse(input.from) : to - HOUR_MS;
      await deps.sampler.ready();
      const samples = await deps.history.read(input.connectionId, input.key, from, to, input.maxPoints);
      return { samples, intervalMs: deps.sampler.intervalMs, sampling: deps.sampler.isWatching(input.connectionId) };
    },
    'checkpoints.reset': (input, context) =>
      deps.resets.run(
        {
          confirmed: context.confirmed as Pick<CheckpointsResetResult, 'expected' | 'target'> | undefined,
          connectionId: input.connectionId,
          key: input.key,
          target: input.target,
          kafkaConnectionId: input.kafkaConnectionId,
          expected: input.expected,
          aliveWithinSeconds: input.aliveWithinSeconds,
        },
        input.dryRun === true,
      ),
    'checkpoints.overview': async () => ({ connections: await overview(deps) }),
    'checkpoints.mapping': async (input) => ({ mapping: await deps.checkpoints.mapping(input.connectionId) }),
    'checkpoints.configure': async (input) => ({ mapping: input.mapping, ...(await deps.checkpoints.configure(input.connectionId, input.mapping)) }),
  };
}

async function overview(deps: CheckpointHandlerDeps): Promise<CheckpointsOverviewResult['connections']> {
  const verifications = latestVerifications(await deps.jobs());
  const ids = [...new Set([...deps.sampler.watchedConnections(), ...verifications.keys()])];
  return ids.map((connectionId) => {
    const latest = deps.sampler.latest(connectionId);
    const worst = (latest?.result?.projectors ?? [])
      .filter((g) => g.status !== 'caught-up')
      .sort((a, b) => (b.lagMs ?? 0) - (a.lagMs ?? 0) || (b.lagEvents ?? 0) - (a.lagEvents ?? 0))
      .slice(0, WORST_PER_CONNECTION)
      .map((g) => ({ connectionId, projector: g.projector, status: g.status, lagEvents: g.lagEvents, lagEstimated: g.lagEstimated, lagMs: g.lagMs }));
    return {
      connectionId,
      sampledAt: latest?.result?.at ?? null,
      ...(latest?.error ? { error: latest.error } : {}),
      worst,
      failedVerifications: verifications.get(connectionId) ?? null,
    };
  });
}

/** The last finished snapshot verification of each connection that found mismatches or failures. */
function latestVerifications(jobs: JobView[]): Map<string, { mismatched: number; failed: number; at: string; jobId: string }> {
  const out = new Map<string, { mismatched: number; failed: number; at: string; jobId: string }>();
  const finished = jobs
    .flatMap((j) => (isJobOf(j, 'snapshots.verifyAll') && j.state === 'done' ? [j] : []))
    .sort((a, b) => (a.finishedAt ?? a.updatedAt).localeCompare(b.finishedAt ?? b.updatedAt));
  for (const job of finished) {
    const mismatched = job.result?.mismatched ?? 0;
    const failed = job.result?.failed ?? 0;
    for (const connectionId of job.connectionIds) {
      if (mismatched + failed > 0) out.set(connectionId, { mismatched, failed, at: job.finishedAt ?? job.updatedAt, jobId: job.id });
      else out.delete(connectionId);
    }
  }
  return out;
}
