/**
 * Rebuilds of a connection's read models, as the engine offers them: a catalog,
 * rebuild jobs (resumable: their state is in the target database), the diff,
 * swap, roll back and drops. Writes go through the connection scope's pool (the
 * one browse reads with); the feed is read through the connection's event store.
 */
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import { ChronoError } from '../../../src-shared/errors';
import type { EventStore } from '../../stores/event-store';
import type { CheckpointStore } from '../../stores/ports/checkpoint-store';
import { companionStoreNames } from '../../stores/presets';
import { qualifiedName, quoteIdent } from '../../stores/postgres/mapping';
import type { ConnectionClients } from '../connections/connection-scope';
import type { Connections } from '../connections/connections';
import { isJobOf } from '../../../src-shared/contract/job-kinds';
import type { JobRunners, Jobs } from '../jobs/jobs';
import type { BuiltinReadModels } from './builtin-read-models';
import { defaultProjector, projectorWarning } from './feeding-projector';
import { projectorCheckpoints } from './projector-checkpoint';
import { FolderReadModels, type FolderDefinitions } from './folder-definitions';
import { createTargetTable, tableExists, targetTableSql } from './target-table';
import { kafkaConfig, postgresConfig } from '../connections/drivers';
import { diffPostgres, type ModelDiff } from './diff';
import type { RebuildJobContext } from './job-context';
import { explainRebuildFailure } from './rebuild-errors';
import { createShadow, listRebuilds, readRebuild, tableShape, type RebuildRecord } from './postgres-target';
import type { ReadModelDefinition } from './read-model';
import { MongoRebuilds } from './mongo-service';
import { createPartialShadow, rebuildPartialPostgres, rollbackPartialPostgres, scopeOf, swapPartialPostgres } from './partial-postgres';
import { resolveScope, type RebuildScope } from './scope';
import { rebuildPostgres } from './rebuild-postgres';
import { definitionOfRecord, loadUserDefinition } from './record-definition';
import { rebuildScaleOut, WORKER_MISSING, workerEntry, type ScaleOutProgressReport } from './scale-out/coordinator';
import { refuseUnlessKeyedByStream } from './scale-out/keying';
import { PARTITIONS_TABLE, SCALE_OUT_TABLE } from './scale-out/offsets-store';
import { discardShadow, dropBeforeTable, rollbackPostgres, swapPostgres, type ProjectorCheckpoint, type RollbackPlan, type SwapPlan } from './swap-postgres';

export const REBUILD_JOB = 'rebuilds.run';

export interface RebuildJobParams {
  connectionId: string;
  rebuildId: string;
  /** Keep following the head after the load until the swap. */
  follow?: boolean;
  /** A partial rebuild of these streams (its shadow is created by the job, from these). */
  streamIds?: string[];
  /** A partial rebuild whose shadow and streams were recorded at its start. */
  partial?: boolean;
  /** The connection is a MongoDB one (its record is in the database's chronoscope_rebuilds collection). */
  backend?: 'mongo';
  schema?: string;
  model?: string;
  definition?: string;
  definitionSource?: string;
  /** Scale-out on Kafka: the replay topic lives on this Kafka connection, applied by this many worker processes. */
  scaleOut?: ScaleOutChoice;
}

export interface ScaleOutChoice {
  workers: number;
  kafkaConnectionId: string;
}

export type DefinitionChoice = { builtin: true } | { folder: string } | { name: string; source: string };

export interface RebuildServiceDeps {
  connections: Connections;
  /** The connections' clients (each connection scope's own: the pool browse uses, the Kafka client of a scale-out). */
  clients: Pick<ConnectionClients, 'pool' | 'mongo' | 'kafka'>;
  /** The connection's event store (the feed the rebuild replays). */
  store(connectionId: string): Promise<EventStore>;
  jobs: Jobs;
  /** The read models offered without a user definition (engine.ts gives the reference system's). */
  builtins: BuiltinReadModels;
  connectionName(connectionId: string): Promise<string>;
  /** The user's definitions folder (the one time travel uses): its read-model definitions can be chosen by name. */
  userDefinitions?: FolderDefinitions;
  /** How scale-out workers are started (default: `node --import tsx worker-main.ts`, as `bun run rebuild:worker`). */
  spawnScaleOutWorker?(): ChildProcess;
  /** The tables the connection's snapshots and checkpoints live in (a custom mapping's too): never offered as read models. */
  companionSources?(connectionId: string): Promise<string[]>;
  /** The connection's projector checkpoints (its preset's or custom layout): what a swap holds its projector's position through. */
  checkpoints?(connectionId: string): Promise<CheckpointStore>;
}

/**
 * Tables of an event-sourced system that are not read models (the reference layout's, Chronoscope's own, and every preset's checkpoint and snapshot tables,
 * also when the connection's ports cannot be opened): never offered for a rebuild.
 */
const NOT_READ_MODELS = [
  'chronoscope_rebuilds',
  SCALE_OUT_TABLE,
  PARTITIONS_TABLE,
  'outbox',
  'subject_keys',
  'reference_markers',
  ...companionStoreNames('postgres'),
];

/** The rebuild record as the renderer sees it (the definition's source stays in the database). */
export function recordView(record: RebuildRecord) {
  const { definitionSource: _source, indexes: _indexes, ...view } = record;
  return view;
}

/** Rows of a roll-back table counted exactly up to here; above, the planner's estimate. */
const LEFTOVER_EXACT_COUNT = 100_000;

/**
 * The tables a roll back left, while they exist: the rebuilt rows (a full roll back records
 * their `<model>__after_…` table as the shadow; a partial one keeps its shadow), and a partial
 * roll back's copy of the old rows (its `__before_` table; a full roll back renamed it back).
 */
async function leftoverOf(pool: pg.Pool, record: RebuildRecord): Promise<{ table: string; rows: number; tables?: { table: string; rows: number }[] } | null> {
  const names = [record.shadow, record.beforeTable].filter((t): t is string => typeof t === 'string' && /__(after|shadow|before)_/.test(t));
  const found: { table: string; rows: number }[] = [];
  for (const table of names) {
    const stats = await pool.query<{ estimate: string | null }>(
      `SELECT (SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass($1))::text AS estimate`,
      [qualifiedName(record.schema, table)],
    );
    const estimate = stats.rows[0]?.estimate;
    if (estimate === null || estimate === undefined) continue;
    // The catalog reloads often: a big table's planner estimate, an exact count only where counting is cheap.
    if (Number(estimate) > LEFTOVER_EXACT_COUNT) found.push({ table, rows: Number(estimate) });
    else found.push({ table, rows: Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedName(record.schema, table)}`)).rows[0]!.n) });
  }
  const [first] = found;
  if (!first) return null;
  return found.length > 1 ? { ...first, tables: found } : first;
}

export class RebuildService {
  /** Rebuild jobs following the head, by rebuild id: the swap stops them and waits for their last batch. */
  private readonly following = new Map<string, { stop: AbortController; finished: Promise<void> }>();
  private readonly mongo: MongoRebuilds;
  private readonly folder: FolderReadModels;
  private readonly declaredProjectors = new Map<string, Promise<string | undefined>>();

  constructor(private readonly deps: RebuildServiceDeps) {
    this.folder = new FolderReadModels(deps.userDefinitions, (name, source) => this.loadUserDefinition(name, source));
    this.mongo = new MongoRebuilds({
      db: async (id) => (await deps.clients.mongo(id)).db,
      store: deps.store,
      loadUserDefinition: (name, source) => this.loadUserDefinition(name, source),
      builtins: deps.builtins,
      ...(deps.checkpoints ? { checkpoints: deps.checkpoints } : {}),
    });
  }

  /** The runner of rebuild jobs, for `Jobs.register`. */
  jobRunners(): JobRunners {
    return {
      [REBUILD_JOB]: {
        run: async (params, context: RebuildJobContext) => {
          if (params.backend === 'mongo') return this.mongo.run(params.connectionId, params.rebuildId, context);
          try {
            return await this.runPostgres(params, context);
          } catch (err) {
            throw explainRebuildFailure(err, params.definition ?? (await this.definitionName(params)));
          }
        },
        summarize: (result) =>
          `${result.events.toLocaleString('en-US')} events folded into ${result.rows.toLocaleString('en-US')} rows: read the diff, then swap`,
      },
    };
  }

  /** The definition a failed job ran, for its error (the record may be unreadable: the connection may be what failed). */
  private async definitionName(params: RebuildJobParams): Promise<string> {
    const record = await this.pool(params.connectionId)
      .then((pool) => readRebuild(pool, params.rebuildId))
      .catch(() => null);
    return record?.definition ?? 'of this rebuild';
  }

  private async runPostgres(params: RebuildJobParams, context: RebuildJobContext): Promise<{ rows: number; events: number }> {
    const { deps } = this;
    const pool = await this.pool(params.connectionId);
    if (params.partial) {
      const record = await this.record(pool, params.rebuildId);
      const done = await rebuildPartialPostgres({
        pool,
        feed: await deps.store(params.connectionId),
        id: record.id,
        model: record.model,
        definition: await this.definitionOf(record),
        signal: context.signal,
        onProgress: (p) =>
          context.progress({
            done: p.streamsDone,
            total: p.streams,
            message: `stream ${p.streamsDone.toLocaleString('en-US')} of ${p.streams.toLocaleString('en-US')}, ${p.events.toLocaleString('en-US')} events folded`,
          }),
      });
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedName(done.schema, done.shadow)}`);
      return { rows: Number(rows[0]!.n), events: done.events };
    }
    if (params.streamIds) {
      const scoped = { definition: params.definition ?? '', definitionSource: params.definitionSource ?? null, model: params.model ?? '' };
      const done = await rebuildPartialPostgres({
        pool,
        feed: await deps.store(params.connectionId),
        id: params.rebuildId,
        schema: params.schema ?? 'public',
        model: scoped.model,
        definition: await this.definitionOf(scoped),
        ...(params.definitionSource !== undefined ? { definitionSource: params.definitionSource } : {}),
        streamIds: params.streamIds,
        signal: context.signal,
      });
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedName(done.schema, done.shadow)}`);
      return { rows: Number(rows[0]!.n), events: done.events };
    }
    const record = await this.record(pool, params.rebuildId);
    const definition = await this.definitionOf(record);
    if (params.scaleOut) {
      const done = await this.runScaleOut(params.connectionId, params.scaleOut, pool, record, definition, context);
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedName(done.schema, done.shadow)}`);
      return { rows: Number(rows[0]!.n), events: done.events };
    }
    const stop = new AbortController();
    let finish = () => undefined as void;
    if (params.follow) this.following.set(record.id, { stop, finished: new Promise<void>((resolve) => (finish = resolve)) });
    const done = await rebuildPostgres({
      pool,
      feed: await deps.store(params.connectionId),
      id: record.id,
      schema: record.schema,
      model: record.model,
      definition,
      signal: context.signal,
      ...(params.follow ? { followUntil: stop.signal } : {}),
      onProgress: (p) =>
        context.progress({
          done: Number(p.position),
          total: Number(p.horizon),
          message:
            p.phase === 'loading'
              ? `${p.eventsPerSecond.toLocaleString('en-US')} events/s, position ${p.position} of ${p.horizon}${p.etaSeconds !== null ? `, about ${p.etaSeconds} s left` : ''}`
              : p.phase === 'following the head'
                ? `following the head at ${p.position} until the swap`
                : p.phase,
          ...(p.phase === 'loading' ? { eventsPerSecond: p.eventsPerSecond } : {}),
        }),
    }).finally(() => {
      this.following.delete(record.id);
      finish();
    });
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedName(done.schema, done.shadow)}`);
    return { rows: Number(rows[0]!.n), events: done.events };
  }

  /** MongoDB connections' rebuilds are the Mongo module's. */
  private async isMongo(connectionId: string): Promise<boolean> {
    return (await this.deps.connections.get(connectionId)).kind === 'mongo';
  }

  private pool(connectionId: string): Promise<pg.Pool> {
    return this.deps.clients.pool(connectionId);
  }

  private async record(pool: pg.Pool, id: string): Promise<RebuildRecord> {
    const record = await readRebuild(pool, id);
    if (!record) throw new ChronoError('not_found', `There is no rebuild ${id} on this connection.`);
    return record;
  }

  private definitionOf(record: Pick<RebuildRecord, 'definition' | 'definitionSource' | 'model'>): Promise<ReadModelDefinition> {
    return definitionOfRecord(record, this.deps.builtins);
  }

  private loadUserDefinition(name: string, source: string): Promise<ReadModelDefinition> {
    return loadUserDefinition(name, source);
  }

  /** A user's definition and the source the rebuild records: pasted text, or a confirmed file of the definitions folder. */
  private async userChoice(choice: Exclude<DefinitionChoice, { builtin: true }>): Promise<{ definition: ReadModelDefinition; source: string }> {
    if ('source' in choice) return { definition: await this.loadUserDefinition(choice.name, choice.source), source: choice.source };
    return this.folder.choose(choice.folder);
  }

  /** The definition a PostgreSQL model is rebuilt (or created) with, and the user source to record (none for a built-in). */
  private async postgresChoice(model: string, choice: DefinitionChoice): Promise<{ definition: ReadModelDefinition; source?: string }> {
    if (!('builtin' in choice)) return this.userChoice(choice);
    const builtin = this.deps.builtins.postgres[model];
    if (!builtin)
      throw new ChronoError(
        'invalid_input',
        `There is no built-in definition for ${model}: choose a user definition (built-ins: ${Object.keys(this.deps.builtins.postgres).join(', ')}).`,
      );
    return { definition: builtin };
  }

  /**
   * The definition a rebuild of this model would run, and the user source it would record (none for a built-in): what drift
   * verification replays, so a verification and the repair it leads to fold with the same code.
   */
  async chooseDefinition(connectionId: string, model: string, choice: DefinitionChoice): Promise<{ definition: ReadModelDefinition; source?: string }> {
    if (!(await this.isMongo(connectionId))) return this.postgresChoice(model, choice);
    return 'builtin' in choice ? { definition: this.mongo.builtinFor(model) } : this.userChoice(choice);
  }

  /** The folder's files as rebuild definitions. */
  folderDefinitions() {
    return this.folder.list();
  }

  /**
   * Creates the model's table from its definition, or (dry run) shows the exact DDL;
   * the dispatcher binds the confirmation to that DDL.
   */
  async createTarget(input: {
    connectionId: string;
    schema: string;
    model: string;
    definition: DefinitionChoice;
    dryRun?: boolean | undefined;
  }): Promise<{ schema: string; model: string; ddl: string; created: boolean; dryRun: boolean }> {
    if (await this.isMongo(input.connectionId))
      throw new ChronoError('invalid_input', 'A MongoDB collection needs no table: the rebuild creates it. Choose a PostgreSQL connection to create a table.');
    const pool = await this.pool(input.connectionId);
    const { definition } = await this.postgresChoice(input.model, input.definition);
    const ddl = targetTableSql(input.schema, input.model, definition, this.deps.builtins);
    if (await tableExists(pool, input.schema, input.model))
      throw new ChronoError('conflict', `${input.schema}.${input.model} already exists: rebuild it, or choose another name.`);
    if (input.dryRun) return { schema: input.schema, model: input.model, ddl, created: false, dryRun: true };
    await createTargetTable(pool, input.schema, input.model, ddl);
    return { schema: input.schema, model: input.model, ddl, created: true, dryRun: false };
  }

  /** The Kafka connection of a scale-out, checked when the rebuild starts (and again when its job runs). */
  private async kafkaSettings(kafkaConnectionId: string) {
    const resolved = await this.deps.connections.resolve(kafkaConnectionId);
    if (resolved.settings.kind !== 'kafka')
      throw new ChronoError(
        'invalid_input',
        `scaleOut.kafkaConnectionId: "${resolved.name}" is a ${resolved.settings.kind} connection; choose a Kafka connection for the replay topic.`,
      );
    return { settings: resolved.settings, secret: resolved.secret };
  }

  /** The job of a scale-out rebuild: the coordinator with this connection's drivers; workers get the settings on their standard input. */
  private async runScaleOut(
    connectionId: string,
    choice: ScaleOutChoice,
    pool: pg.Pool,
    record: RebuildRecord,
    definition: ReadModelDefinition,
    context: { signal: AbortSignal; progress(p: { done: number; total: number; message: string }): void },
  ): Promise<RebuildRecord> {
    const target = await this.deps.connections.resolve(connectionId);
    if (target.settings.kind !== 'postgres') throw new ChronoError('invalid_input', `"${target.name}" is not a PostgreSQL connection.`);
    const kafka = await this.kafkaSettings(choice.kafkaConnectionId);
    const format = (n: number) => n.toLocaleString('en-US');
    return rebuildScaleOut({
      pool,
      feed: await this.deps.store(connectionId),
      kafka: await this.deps.clients.kafka(choice.kafkaConnectionId),
      workerConfig: {
        postgres: { ...postgresConfig(target.settings, target.secret) },
        kafka: { ...kafkaConfig(kafka.settings, kafka.secret), brokers: kafka.settings.brokers },
      },
      id: record.id,
      definition,
      workers: choice.workers,
      signal: context.signal,
      ...(this.deps.spawnScaleOutWorker ? { spawnWorker: this.deps.spawnScaleOutWorker } : {}),
      onProgress: (p: ScaleOutProgressReport) =>
        context.progress({
          done: p.applied,
          total: Math.max(p.published, p.applied),
          message:
            p.phase === 'indexing'
              ? 'indexing the shadow'
              : `published ${format(p.published)}${p.publishedDone ? ' (all)' : ''}, applied ${format(p.applied)} by ${p.workers} Kafka workers at ${format(p.eventsPerSecond)} events/s${p.behind !== null ? `, ${format(p.behind)} behind` : ''}`,
        }),
    });
  }

  /** The read models, each with the projector checkpoint that appears to keep it (the swap's default). */
  async catalog(connectionId: string, schema: string) {
    const mongo = await this.isMongo(connectionId);
    const catalog = mongo ? await this.mongo.catalog(connectionId) : await this.postgresCatalog(connectionId, schema);
    const builtins = mongo ? this.deps.builtins.mongo : this.deps.builtins.postgres;
    return {
      ...catalog,
      models: catalog.models.map((m) => ({
        ...m,
        projector: defaultProjector(m.model, builtins[m.model]?.projector, m.model in builtins, catalog.checkpoints),
        // A rebuild with a user definition that declares its projector defaults to that one.
        rebuilds: m.rebuilds.map(({ declaredProjector, ...view }: ReturnType<typeof recordView> & { declaredProjector?: string }) =>
          declaredProjector ? { ...view, projector: defaultProjector(m.model, declaredProjector, false, catalog.checkpoints) } : view,
        ),
      })),
    };
  }

  /** The projector a rebuild's user definition declares (loaded once per definition text: it takes a sandbox worker). */
  private declaredProjectorOf(record: RebuildRecord): Promise<string | undefined> {
    const key = createHash('sha256')
      .update(`${record.definition}\u0000${record.definitionSource ?? ''}`)
      .digest('hex');
    let found = this.declaredProjectors.get(key);
    if (!found) {
      found = this.definitionOf(record).then(
        (d) => d.projector,
        () => {
          // A failed load (a busy pool, a timeout) is tried again next time, not remembered.
          this.declaredProjectors.delete(key);
          return undefined;
        },
      );
      this.declaredProjectors.set(key, found);
    }
    return found;
  }

  private async postgresCatalog(connectionId: string, schema: string) {
    const pool = await this.pool(connectionId);
    const rebuilds = await listRebuilds(pool);
    const { rows } = await pool.query<{ name: string; estimate: number; pages: number }>(
      `SELECT c.relname AS name, c.reltuples::float8 AS estimate, c.relpages AS pages FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary AND i.indnatts = 1
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname !~ '__(shadow|before|after)_' AND c.relname <> ALL($2::text[])
        ORDER BY c.relname LIMIT 500`,
      [schema, NOT_READ_MODELS],
    );
    // The event store's own table, and its snapshots' and checkpoints' tables, are not read models.
    const storeSource =
      (await this.deps
        .store(connectionId)
        .then((s) => s.describe().source)
        .catch(() => '')) || '';
    const companions = (await this.deps.companionSources?.(connectionId).catch(() => [])) ?? [];
    const notModels = new Set([storeSource, ...companions].filter(Boolean));
    const tables = rows.filter(
      (r) => !notModels.has(qualifiedName(schema, r.name)) && !notModels.has(`${schema}.${r.name}`) && !(schema === 'public' && notModels.has(r.name)),
    );
    // Never analysed (a new table): counted when small, otherwise shown as unknown (-1).
    const counted = await Promise.all(
      tables.map(async (r) =>
        r.estimate >= 0
          ? Math.round(r.estimate)
          : r.pages < 10_000
            ? Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualifiedName(schema, r.name)}`)).rows[0]!.n)
            : -1,
      ),
    );
    const checkpoints = await this.projectorCheckpoints(connectionId);
    // Only a rebuild waiting for its swap needs its projector.
    const views = await Promise.all(
      rebuilds.map(async (b) => {
        const declared = b.phase === 'indexed' && b.definitionSource !== null ? await this.declaredProjectorOf(b) : undefined;
        const view = { ...recordView(b), leftover: b.phase === 'rolled_back' ? await leftoverOf(pool, b) : null };
        return declared ? { ...view, declaredProjector: declared } : view;
      }),
    );
    return {
      models: tables.map((r, i) => ({
        schema,
        model: r.name,
        kind: 'table' as const,
        rows: counted[i]!,
        builtin: this.deps.builtins.postgres[r.name]?.name ?? null,
        rebuilds: views.filter((b) => b.model === r.name && b.schema === schema),
      })),
      checkpoints,
    };
  }

  /** Creates the shadow now (so a missing table or a broken definition is reported at once) and starts the job. */
  async start(input: {
    connectionId: string;
    schema: string;
    model: string;
    definition: DefinitionChoice;
    follow?: boolean | undefined;
    streamIds?: string[] | undefined;
    scope?: Exclude<RebuildScope, { kind: 'streams' }> | undefined;
    scaleOut?: ScaleOutChoice | undefined;
    dryRun?: boolean | undefined;
  }): Promise<{ rebuildId: string; jobId?: string; shadow: string; scope?: { description: string; streams: number } }> {
    if (await this.isMongo(input.connectionId)) {
      if (input.scaleOut)
        throw new ChronoError('invalid_input', 'scaleOut: the Kafka scale-out rebuilds PostgreSQL read models; a Mongo collection is rebuilt in one process.');
      return this.startMongo(input);
    }
    const pool = await this.pool(input.connectionId);
    const { schema, model } = input;
    const chosen = await this.postgresChoice(model, input.definition);
    const { definition } = chosen;
    await tableShape(pool, schema, model); // the live table exists and has a single-column key
    if (input.scaleOut) {
      if (input.streamIds || input.scope)
        throw new ChronoError('invalid_input', 'scaleOut: a partial rebuild runs in one process; leave out scaleOut, or the streams and scope.');
      if (input.follow)
        throw new ChronoError(
          'invalid_input',
          'scaleOut: a scale-out rebuild loads up to the head at its start and the swap folds the rest; leave out follow.',
        );
      if (!this.deps.spawnScaleOutWorker && !workerEntry()) throw new ChronoError('unavailable', WORKER_MISSING);
      await this.kafkaSettings(input.scaleOut.kafkaConnectionId);
      await refuseUnlessKeyedByStream(definition, await this.deps.store(input.connectionId));
    }
    const rebuildId = randomBytes(4).toString('hex');
    const shadow = `${model}__shadow_${rebuildId}`;
    // A scope (category, prefix, types in a time range) is resolved to its streams here, bounded, and recorded with the shadow.
    const scoped = input.scope ? await resolveScope(await this.deps.store(input.connectionId), input.scope) : undefined;
    const scopeView = scoped ? { scope: { description: scoped.description, streams: scoped.streamIds.length } } : {};
    if (input.dryRun) return { rebuildId, shadow, ...scopeView };
    const source = chosen.source !== undefined ? { definitionSource: chosen.source } : {};
    if (scoped) await createPartialShadow(pool, { id: rebuildId, schema, model, definition: definition.name, ...source, streamIds: scoped.streamIds });
    // A partial rebuild of chosen ids creates its shadow (and records its streams) in the job.
    const record = input.streamIds || scoped ? { shadow } : await createShadow(pool, { id: rebuildId, schema, model, definition: definition.name, ...source });
    const name = await this.deps.connectionName(input.connectionId);
    const job = await this.deps.jobs.start({
      kind: REBUILD_JOB,
      title: `Rebuild ${schema}.${model} of ${name} (${definition.name})${scoped ? `: ${scoped.description}` : ''}${input.scaleOut ? ` on ${input.scaleOut.workers} Kafka workers` : ''}`,
      connectionIds: [input.connectionId, ...(input.scaleOut ? [input.scaleOut.kafkaConnectionId] : [])],
      params: {
        connectionId: input.connectionId,
        rebuildId,
        ...(scoped
          ? { partial: true }
          : input.streamIds
            ? { streamIds: input.streamIds, schema, model, definition: definition.name, ...source }
            : input.follow
              ? { follow: true }
              : {}),
        ...(input.scaleOut ? { scaleOut: { workers: input.scaleOut.workers, kafkaConnectionId: input.scaleOut.kafkaConnectionId } } : {}),
      },
    });
    return { rebuildId, jobId: job.id, shadow: record.shadow, ...scopeView };
  }

  private async startMongo(
    input: Parameters<RebuildService['start']>[0],
  ): Promise<{ rebuildId: string; jobId?: string; shadow: string; scope?: { description: string; streams: number } }> {
    if (input.follow)
      throw new ChronoError(
        'invalid_input',
        'Following the head until the swap is for PostgreSQL read models: a Mongo swap folds the events that arrived since the load itself.',
      );
    const chosen = 'builtin' in input.definition ? { definition: this.mongo.builtinFor(input.model) } : await this.userChoice(input.definition);
    const { definition } = chosen;
    await this.mongo.checkModel(input.connectionId, input.model);
    const rebuildId = randomBytes(4).toString('hex');
    const scoped =
      input.scope || input.streamIds
        ? await resolveScope(await this.deps.store(input.connectionId), input.scope ?? { kind: 'streams', streamIds: input.streamIds! })
        : undefined;
    const scopeView = scoped ? { scope: { description: scoped.description, streams: scoped.streamIds.length } } : {};
    if (input.dryRun) return { rebuildId, shadow: `${input.model}__shadow_${rebuildId}`, ...scopeView };
    const { shadow } = await this.mongo.createShadow(input.connectionId, {
      id: rebuildId,
      model: input.model,
      definition,
      ...('source' in chosen ? { definitionSource: chosen.source } : {}),
      ...(scoped ? { streamIds: scoped.streamIds } : {}),
    });
    const name = await this.deps.connectionName(input.connectionId);
    const job = await this.deps.jobs.start({
      kind: REBUILD_JOB,
      title: `Rebuild collection ${input.model} of ${name} (${definition.name})${scoped ? `: ${scoped.description}` : ''}`,
      connectionIds: [input.connectionId],
      params: { connectionId: input.connectionId, rebuildId, backend: 'mongo' },
    });
    return { rebuildId, jobId: job.id, shadow, ...scopeView };
  }

  /** A new job for a rebuild still loading whose job ended (cancelled or failed): it goes on from the last committed batch. */
  async resume(connectionId: string, rebuildId: string): Promise<{ rebuildId: string; jobId: string; position: string }> {
    const running = (await this.deps.jobs.list()).find(
      (j) =>
        isJobOf(j, REBUILD_JOB) &&
        !['done', 'failed', 'cancelled'].includes(j.state) &&
        j.params.rebuildId === rebuildId &&
        j.params.connectionId === connectionId,
    );
    if (running)
      throw new ChronoError(
        'conflict',
        `Rebuild ${rebuildId} already has a job (${running.state}): ${running.state === 'paused' ? 'resume that job' : 'wait for it or cancel it'}.`,
      );
    const mongo = await this.isMongo(connectionId);
    const record = mongo ? await this.mongo.resumable(connectionId, rebuildId) : await this.record(await this.pool(connectionId), rebuildId);
    if (record.phase !== 'loading')
      throw new ChronoError(
        'conflict',
        `Rebuild ${rebuildId} is ${record.phase.replace('_', ' ')}: only a rebuild that has not finished loading can be resumed.`,
      );
    const partial = !mongo && (await scopeOf(await this.pool(connectionId), rebuildId)) !== null;
    // A scale-out rebuild goes on with the workers and Kafka connection its last job had (the stored offsets say where).
    const scaleOut = mongo
      ? undefined
      : (await this.deps.jobs.list())
          .flatMap((j) => (isJobOf(j, REBUILD_JOB) ? [j.params] : []))
          .find((p) => p.rebuildId === rebuildId && p.connectionId === connectionId && p.scaleOut)?.scaleOut;
    const name = await this.deps.connectionName(connectionId);
    const job = await this.deps.jobs.start({
      kind: REBUILD_JOB,
      title: `Resume rebuild ${rebuildId} of ${record.model} on ${name} (from ${scaleOut ? 'the offsets its workers stored' : `position ${record.position}`})`,
      connectionIds: [connectionId, ...(scaleOut ? [scaleOut.kafkaConnectionId] : [])],
      params: { connectionId, rebuildId, ...(mongo ? { backend: 'mongo' } : partial ? { partial: true } : scaleOut ? { scaleOut } : {}) },
    });
    return { rebuildId, jobId: job.id, position: record.position };
  }

  async diff(connectionId: string, rebuildId: string, sampleRows: number): Promise<ModelDiff> {
    if (await this.isMongo(connectionId)) return this.mongo.diff(connectionId, rebuildId, sampleRows);
    const pool = await this.pool(connectionId);
    const record = await this.record(pool, rebuildId);
    if (record.phase !== 'indexed')
      throw new ChronoError(
        'conflict',
        record.phase === 'loading'
          ? 'The rebuild is still loading: diff it once its job is done.'
          : `The rebuild is ${record.phase.replace('_', ' ')}: there is no shadow to compare.`,
      );
    const shape = await tableShape(pool, record.schema, record.model);
    const scope = await scopeOf(pool, rebuildId);
    const liveKeys = scope
      ? [
          ...new Set([
            ...scope,
            ...(
              await pool.query<{ k: string }>(`SELECT ${quoteIdent(shape.keyColumn)}::text AS k FROM ${qualifiedName(record.schema, record.shadow)}`)
            ).rows.map((r) => r.k),
          ]),
        ]
      : undefined;
    return diffPostgres(pool, {
      schema: record.schema,
      live: record.model,
      shadow: record.shadow,
      keyColumn: shape.keyColumn,
      keyType: shape.keyType,
      sampleRows,
      ...(liveKeys ? { liveKeys } : {}),
    });
  }

  async swap(
    connectionId: string,
    rebuildId: string,
    options: { projector?: ProjectorCheckpoint | undefined; dryRun: boolean },
  ): Promise<SwapPlan & { dryRun: boolean; risk?: string; windowMs?: number; warning?: string }> {
    const plan = await this.swapOnly(connectionId, rebuildId, options);
    if (!options.dryRun || !options.projector) return plan;
    const warning = await this.projectorWarning(connectionId, rebuildId, options.projector);
    return warning ? { ...plan, warning } : plan;
  }

  /** Whether the chosen projector appears to feed the rebuilt model: by the definition's declared projector, the model's name, the reference conventions. */
  private async projectorWarning(connectionId: string, rebuildId: string, projector: ProjectorCheckpoint): Promise<string | undefined> {
    if (await this.isMongo(connectionId)) {
      const catalog = await this.mongo.catalog(connectionId);
      const model = catalog.models.find((m) => m.rebuilds.some((r) => r.id === rebuildId));
      const builtin = model ? this.deps.builtins.mongo[model.model] : undefined;
      const isBuiltin = builtin !== undefined && model!.rebuilds.some((r) => r.id === rebuildId && r.definition === builtin.name);
      return model ? projectorWarning(model.model, builtin?.projector, isBuiltin, projector, catalog.checkpoints) : undefined;
    }
    const pool = await this.pool(connectionId);
    const record = await this.record(pool, rebuildId);
    const builtin = this.deps.builtins.postgres[record.model];
    const isBuiltin = record.definitionSource === null && builtin?.name === record.definition;
    // A user definition may declare its projector: it is loaded from the source the rebuild recorded.
    const declared = isBuiltin ? builtin.projector : (await this.definitionOf(record).catch(() => undefined))?.projector;
    return projectorWarning(record.model, declared, isBuiltin, projector, await this.projectorCheckpoints(connectionId));
  }

  /** The projector checkpoints a swap can take (any layout); none when the connection keeps none Chronoscope reads. */
  private async projectorCheckpoints(connectionId: string) {
    const store = await this.deps.checkpoints?.(connectionId).catch(() => undefined);
    return store ? projectorCheckpoints(store).catch(() => []) : [];
  }

  /** The checkpoints a swap naming a projector holds it through (their errors said as they are). */
  private async swapCheckpoints(connectionId: string, projector: ProjectorCheckpoint | undefined): Promise<{ checkpoints?: CheckpointStore }> {
    const store = projector ? await this.deps.checkpoints?.(connectionId) : undefined;
    return store ? { checkpoints: store } : {};
  }

  private async swapOnly(
    connectionId: string,
    rebuildId: string,
    options: { projector?: ProjectorCheckpoint | undefined; dryRun: boolean },
  ): Promise<SwapPlan & { dryRun: boolean; risk?: string; windowMs?: number }> {
    if (await this.isMongo(connectionId)) return this.mongo.swap(connectionId, rebuildId, options);
    const pool = await this.pool(connectionId);
    const record = await this.record(pool, rebuildId);
    const following = this.following.get(rebuildId);
    if (following && !options.dryRun && record.phase === 'indexed') {
      following.stop.abort();
      await following.finished; // its last batch is committed: the swap folds from there
    }
    if (await scopeOf(pool, rebuildId)) {
      if (options.dryRun) {
        if (record.phase !== 'indexed') throw new ChronoError('conflict', 'Only a finished partial rebuild can be swapped.');
        return {
          model: record.model,
          shadow: record.shadow,
          beforeTable: `${record.model}__before_…`,
          position: record.position,
          catchUpFrom: record.position,
          dryRun: true,
        };
      }
      const done = await swapPartialPostgres({
        pool,
        feed: await this.deps.store(connectionId),
        id: rebuildId,
        definition: await this.definitionOf(record),
        ...(options.projector ? { projector: options.projector } : {}),
        ...(await this.swapCheckpoints(connectionId, options.projector)),
      });
      return { model: done.model, shadow: record.shadow, beforeTable: done.beforeTable, position: done.position, catchUpFrom: record.position, dryRun: false };
    }
    const plan = await swapPostgres({
      pool,
      feed: await this.deps.store(connectionId),
      id: rebuildId,
      definition: await this.definitionOf(record),
      ...(options.projector ? { projector: options.projector } : {}),
      ...(await this.swapCheckpoints(connectionId, options.projector)),
      dryRun: options.dryRun,
    });
    return { ...plan, dryRun: options.dryRun };
  }

  async rollback(connectionId: string, rebuildId: string, dryRun: boolean): Promise<RollbackPlan & { dryRun: boolean }> {
    if (await this.isMongo(connectionId)) return this.mongo.rollback(connectionId, rebuildId, dryRun);
    const pool = await this.pool(connectionId);
    if (await scopeOf(pool, rebuildId)) {
      const record = await this.record(pool, rebuildId);
      if (record.phase !== 'swapped' || !record.beforeTable) throw new ChronoError('conflict', 'Only a swapped rebuild can be rolled back.');
      if (!dryRun) await rollbackPartialPostgres(pool, rebuildId);
      // The rebuilt rows of the scope stay in the shadow (listed with the copy of the old ones, to drop).
      return { model: record.model, restored: record.beforeTable, rebuiltKeptAs: record.shadow, dryRun };
    }
    return { ...(await rollbackPostgres(pool, rebuildId, { dryRun })), dryRun };
  }

  async drop(
    connectionId: string,
    rebuildId: string,
    what: 'before' | 'shadow',
    dryRun: boolean,
  ): Promise<{ table: string; dropped: boolean; dryRun: boolean }> {
    if (await this.isMongo(connectionId)) return this.mongo.drop(connectionId, rebuildId, what, dryRun);
    const pool = await this.pool(connectionId);
    const record = await this.record(pool, rebuildId);
    if (what === 'before') {
      if (!record.beforeTable) throw new ChronoError('not_found', 'This rebuild kept no old model (it was not swapped, or the old model was already dropped).');
      if (record.phase !== 'swapped') throw new ChronoError('conflict', 'After a roll back the old model is the live one again: it cannot be dropped here.');
      if (dryRun) return { table: record.beforeTable, dropped: false, dryRun };
      return { table: await dropBeforeTable(pool, rebuildId), dropped: true, dryRun };
    }
    if (record.phase === 'rolled_back') {
      // The rebuilt rows a roll back set aside (`<model>__after_<stamp>`), never the live model.
      const leftover = await leftoverOf(pool, record);
      if (!leftover) throw new ChronoError('not_found', 'The roll back of this rebuild left no table behind (or it was already dropped).');
      const tables = (leftover.tables ?? [leftover]).map((t) => t.table);
      if (dryRun) return { table: tables.join(', '), dropped: false, dryRun };
      for (const table of tables) await pool.query(`DROP TABLE IF EXISTS ${qualifiedName(record.schema, table)}`);
      return { table: tables.join(', '), dropped: true, dryRun };
    }
    if (record.phase === 'swapped') throw new ChronoError('conflict', 'The shadow of this rebuild was swapped in: there is no shadow left to drop.');
    if (dryRun) return { table: record.shadow, dropped: false, dryRun };
    await discardShadow(pool, rebuildId);
    return { table: record.shadow, dropped: true, dryRun };
  }

  /** Nothing of its own to close: the clients are the connection scopes'. */
  async close(): Promise<void> {}
}
