/**
 * Drift of read models: verification jobs (a sample, every row, or chosen streams of a
 * model, compared with a replay of the log through the definition a rebuild would
 * run) and the targeted repair, which is a partial rebuild of exactly the drifted
 * streams started through the rebuild service: its shadow, diff, swap with dry run and
 * confirmation, reason and audit are the rebuild operations'.
 */
import { basename, join } from 'node:path';
import { randomInt } from 'node:crypto';
import { ChronoError } from '../../../src-shared/errors';
import { isJobOf } from '../../../src-shared/contract/job-kinds';
import type { CheckpointStore } from '../../stores/ports/checkpoint-store';
import type { EventStore } from '../../stores/event-store';
import type { ConnectionClients } from '../connections/connection-scope';
import type { JobRunners, Jobs } from '../jobs/jobs';
import type { BuiltinReadModels } from '../rebuild/builtin-read-models';
import { defaultProjector } from '../rebuild/feeding-projector';
import { projectorCheckpoints, type ProjectorCheckpoint } from '../rebuild/projector-checkpoint';
import type { DefinitionChoice, RebuildService } from '../rebuild/service';
import { placeNewFiles, writePartial } from '../util/new-files';
import type { LiveModel } from './live-model';
import { mongoLiveModel } from './mongo-model';
import { postgresLiveModel } from './postgres-model';
import {
  confirmDrift,
  freshPoint,
  runFull,
  runSample,
  runStreams,
  type DriftReport,
  type DriftVerifyParams,
  type FullResumePoint,
  type VerifyRun,
} from './verify-job';

export const DRIFT_VERIFY_JOB = 'drift.verify';

export interface DriftServiceDeps {
  rebuilds: RebuildService;
  jobs: Jobs;
  clients: Pick<ConnectionClients, 'pool' | 'mongo'>;
  store(connectionId: string): Promise<EventStore>;
  isMongo(connectionId: string): Promise<boolean>;
  builtins: BuiltinReadModels;
  connectionName(connectionId: string): Promise<string>;
  checkpoints?(connectionId: string): Promise<CheckpointStore>;
  /** Where each run's report is written as JSON (the exports folder). */
  exportsDir?: string;
}

type VerifyInput = {
  connectionId: string;
  schema: string;
  model: string;
  definition: DefinitionChoice;
  mode: DriftVerifyParams['mode'];
  projector?: ProjectorCheckpoint | undefined;
  /** Started by the drift watch. */
  scheduled?: boolean;
};

export class DriftService {
  constructor(private readonly deps: DriftServiceDeps) {}

  jobRunners(): JobRunners {
    return {
      [DRIFT_VERIFY_JOB]: {
        run: (params, context) => this.run(params, context as never),
        summarize: (report) =>
          report.drifted === 0
            ? `${report.rowsChecked.toLocaleString('en-US')} rows checked: no drift${report.lagging ? ` (${report.lagging} lagging)` : ''}`
            : `${report.drifted.toLocaleString('en-US')} drifted rows of ${report.rowsChecked.toLocaleString('en-US')} checked (edited ${report.counts.edited}, missing ${report.counts.missing}, orphan ${report.counts.orphan}, skipped event ${report.counts.staleSkipped})`,
      },
    };
  }

  /** Checks the model and definition now (a missing table or broken definition is reported at once), then starts the job. */
  async verify(input: VerifyInput): Promise<{ jobId: string }> {
    const chosen = await this.deps.rebuilds.chooseDefinition(input.connectionId, input.model, input.definition);
    await this.liveModel(input.connectionId, input.schema, input.model);
    const name = await this.deps.connectionName(input.connectionId);
    const what = input.mode.kind === 'sample' ? `a sample of` : input.mode.kind === 'full' ? 'every row of' : `${input.mode.streamIds.length} streams of`;
    const job = await this.deps.jobs.start({
      kind: DRIFT_VERIFY_JOB,
      title: `${input.scheduled ? 'Scheduled: verify' : 'Verify'} ${what} ${input.schema}.${input.model} of ${name} against the log (${chosen.definition.name})`,
      connectionIds: [input.connectionId],
      params: {
        connectionId: input.connectionId,
        schema: input.schema,
        model: input.model,
        ...('builtin' in input.definition ? {} : { definition: chosen.definition.name, definitionSource: chosen.source }),
        mode: input.mode,
        ...(input.projector ? { projector: input.projector } : {}),
        seed: randomInt(1, 2 ** 31 - 1),
        ...(input.scheduled ? { scheduled: true } : {}),
      },
    });
    return { jobId: job.id };
  }

  /** A partial rebuild of the streams a finished verification found drifted, through the rebuild service. */
  async repair(input: { connectionId: string; jobId: string; reason?: string | undefined; dryRun?: boolean | undefined }) {
    const job = await this.deps.jobs.get(input.jobId);
    if (!isJobOf(job, DRIFT_VERIFY_JOB) || job.params.connectionId !== input.connectionId)
      throw new ChronoError('not_found', `Job ${input.jobId} is not a drift verification of this connection.`);
    if (job.state !== 'done' || !job.result) throw new ChronoError('conflict', `The verification is ${job.state}: repair once it is done.`);
    const report = job.result;
    if (report.streamIds.length === 0) throw new ChronoError('invalid_input', 'The verification found no drifted row: there is nothing to repair.');
    const { params } = job;
    const definition: DefinitionChoice =
      params.definitionSource !== undefined && params.definition !== undefined
        ? { name: params.definition, source: params.definitionSource }
        : { builtin: true };
    const started = await this.deps.rebuilds.start({
      connectionId: input.connectionId,
      schema: params.schema,
      model: params.model,
      definition,
      streamIds: report.streamIds,
      dryRun: input.dryRun,
    });
    return {
      rebuildId: started.rebuildId,
      ...(started.jobId ? { jobId: started.jobId } : {}),
      shadow: started.shadow,
      streams: report.streamIds.length,
      model: params.model,
      dryRun: input.dryRun === true,
      next: `When rebuild ${started.rebuildId} is loaded, read its diff (only the drifted rows change), then swap it: dry run, confirmation and reason as for any rebuild.`,
    };
  }

  private async liveModel(connectionId: string, schema: string, model: string): Promise<LiveModel> {
    if (await this.deps.isMongo(connectionId)) {
      const { db } = await this.deps.clients.mongo(connectionId);
      if ((await db.listCollections({ name: model }, { nameOnly: true }).toArray()).length === 0)
        throw new ChronoError('not_found', `There is no collection ${model} in ${db.databaseName}.`);
      return mongoLiveModel(db, model, this.deps.builtins.mongoDateFields[model] ?? []);
    }
    return postgresLiveModel(await this.deps.clients.pool(connectionId), schema, model);
  }

  /** The checkpoint the verification compares events with: the one chosen, else the one that appears to feed the model. */
  private async projector(
    params: DriftVerifyParams,
    declared: string | undefined,
    builtin: boolean,
  ): Promise<{ read(): Promise<bigint | null>; view: DriftReport['projector'] }> {
    const store = await this.deps.checkpoints?.(params.connectionId).catch(() => undefined);
    const list = store ? await projectorCheckpoints(store).catch(() => []) : [];
    const chosen = params.projector ?? defaultProjector(params.model, declared, builtin, list);
    if (!store || !chosen) return { read: async () => null, view: null };
    const find = async () =>
      (await projectorCheckpoints(store)).find((c) => c.name === chosen.name && c.source === chosen.source && (!chosen.store || c.store === chosen.store))
        ?.position ?? null;
    const position = await find();
    return {
      read: async () => {
        const at = await find();
        return at === null ? null : BigInt(at);
      },
      view: { name: chosen.name, source: chosen.source, position },
    };
  }

  private async run(params: DriftVerifyParams, context: VerifyRun['context']): Promise<DriftReport> {
    const started = new Date();
    const definitionChoice: DefinitionChoice =
      params.definitionSource !== undefined && params.definition !== undefined
        ? { name: params.definition, source: params.definitionSource }
        : { builtin: true };
    const { definition } = await this.deps.rebuilds.chooseDefinition(params.connectionId, params.model, definitionChoice);
    const live = await this.liveModel(params.connectionId, params.schema, params.model);
    const store = await this.deps.store(params.connectionId);
    const projector = await this.projector(params, definition.projector, 'builtin' in definitionChoice);
    const run: VerifyRun = {
      params,
      live,
      store,
      definition,
      batch: { live, feed: store, definition, checkpoint: projector.read },
      context,
    };
    const point: FullResumePoint = context.resumeFrom ?? freshPoint(started.toISOString());
    // Where the log and the projector stood as the check began: if neither moved, no row can have been caught mid-update.
    const before = { head: await store.headPosition(), checkpoint: await projector.read() };
    const { mode } = params;
    if (mode.kind === 'full') await runFull(run, point);
    else if (mode.kind === 'sample') await runSample(run, mode, point.tally);
    else await runStreams(run, mode.streamIds, point.tally);
    const moved = (await store.headPosition()) !== before.head || (await projector.read()) !== before.checkpoint;
    if (moved) await confirmDrift(run, point.tally);
    const finished = new Date();
    const { tally } = point;
    const report: DriftReport = {
      connectionId: params.connectionId,
      schema: params.schema,
      model: params.model,
      definition: definition.name,
      mode,
      horizon: await store.headPosition(),
      projector: projector.view,
      rowsChecked: tally.rowsChecked,
      counts: tally.counts,
      drifted: tally.counts.edited + tally.counts.missing + tally.counts.orphan + tally.counts.staleSkipped,
      lagging: tally.lagging,
      rows: tally.rows,
      truncated: tally.truncated,
      streamIds: tally.streamIds,
      startedAt: point.startedAt,
      finishedAt: finished.toISOString(),
      durationMs: finished.getTime() - new Date(point.startedAt).getTime(),
    };
    // A scheduled check that found nothing leaves no file: the exports folder would fill with empty reports every interval.
    const keepFile = this.deps.exportsDir && !(params.scheduled && report.drifted === 0);
    return keepFile ? { ...report, reportFile: await this.writeReport(this.deps.exportsDir!, report) } : report;
  }

  /** The report as JSON in the exports folder, a new file each run (exports.saveCopy saves a copy elsewhere). */
  private async writeReport(dir: string, report: DriftReport): Promise<string> {
    const name = `drift-${report.model}-${report.finishedAt.replace(/[:.]/g, '-')}.json`;
    const partial = await writePartial(join(dir, name), `${JSON.stringify(report, null, 2)}\n`);
    const [placed] = await placeNewFiles(dir, [{ partial, name }]);
    return basename(placed!);
  }
}
