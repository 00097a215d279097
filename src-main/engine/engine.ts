import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, type DispatcherDeps } from './dispatch/dispatcher';
import { operations } from '../../src-shared/operations';
import { redactSecretsInText } from '../../src-shared/redact-secrets';
import { appHandlers } from './app/handlers';
import { auditHandlers } from './audit/handlers';
import { browseHandlers } from './browse/handlers';
import { connectionHandlers } from './connections/handlers';
import { composeHandlers } from './handlers';
import { jobHandlers } from './jobs/handlers';
import { checkpointHandlers } from './checkpoints/handlers';
import { CheckpointBoard } from './checkpoints/checkpoint-board';
import { CheckpointResets } from './checkpoints/checkpoint-reset';
import { CheckpointService } from './checkpoints/checkpoint-service';
import { CheckpointMappings } from './checkpoints/checkpoint-mappings';
import { SnapshotMappings } from './snapshots/snapshot-mappings';
import { kafkaPartitionBounds, kafkaPartitionEnds } from './checkpoints/kafka-ends';
import { ProjectorLagHistory } from './checkpoints/lag-history';
import { ProjectorLagSampler } from './checkpoints/lag-sampler';
import { Movements } from './checkpoints/movements';
import { ConnectionScopes } from './connections/connection-scope';
import { timeTravelHandlers } from './time-travel/handlers';
import { AuditLog } from './audit/audit-log';
import { ConfirmationTokens } from './audit/confirmations';
import { checkUnfinishedChange } from './audit/unfinished-changes';
import { committedOffsets } from './kafka/cluster';
import { Connections } from './connections/connections';
import { ProfileStore } from './connections/profile-store';
import { SecretStore, type SecretCipher } from './connections/secret-store';
import { LocalWorkspace, type LocalWorkspaceInitializer } from './local-workspace/local-workspace';
import { EventStores } from './browse/event-stores';
import { StoreChoices } from './browse/store-choices';
import { DefinitionCatalog } from './definitions/definition-catalog';
import { DefinitionsFolder } from './definitions/definitions-folder';
import { findProjectionsDir } from './definitions/definitions';
import { TimeTravelService } from './time-travel/service';
import { UserDefinitions } from './definitions/user-definitions';
import { complianceHandlers } from './compliance/handlers';
import { ComplianceService } from './compliance/service';
import { localWorkspaceHandlers } from './local-workspace/handlers';
import { REFERENCE_READ_MODELS } from './local-workspace/reference-read-models';
import { settingsHandlers } from './settings/handlers';
import { SettingsStore } from './settings/settings-store';
import { exportsHandlers, type ChooseSaveFile } from './exports/handlers';
import { Jobs } from './jobs/jobs';
import { createKafkaCapability } from './kafka/capability';
import { kafkaHandlers } from './kafka/handlers';
import { SnapshotService } from './checkpoints/snapshot-service';
import { ChronoError } from '../../src-shared/errors';
import { snapshotJobRunners } from './snapshots/job-runners';
import { snapshotHandlers } from './snapshots/handlers';
import { settleVerifications } from './snapshots/settle-verifications';
import { SnapshotReplayer } from './snapshots/snapshot-replayer';
import { rebuildHandlers } from './rebuild/handlers';
import { DecryptedViews } from './personal-data/decrypted-views';
import { RebuildService } from './rebuild/service';
import { DriftService } from './drift/service';
import { driftHandlers } from './drift/handlers';
import { DriftWatch, driftStatus, type DriftWatchDeps } from './drift/drift-watch';

export interface EngineOptions {
  dataDir: string;
  mode: 'desktop' | 'browser';
  /** Encrypts secrets at rest (Electron safeStorage); absent in browser mode, where secrets stay in memory. */
  cipher?: SecretCipher;
  /** Why there is no cipher, shown to the user. */
  cipherNote?: string;
  user?: string;
  env?: NodeJS.ProcessEnv;
  initializeLocalWorkspace?: LocalWorkspaceInitializer;
  /** Start the Local workspace at once (the app) or on first use (tests). */
  startLocalWorkspace?: boolean;
  /** Folder of the built-in projection definitions; found next to the code when absent. */
  projectionsDir?: string;
  /**
   * Asks the user where to save a file (the desktop's save dialog); resolves
   * undefined when they cancel. Absent in browser mode, where exports go to the
   * data directory and are downloaded.
   */
  chooseSaveFile?: ChooseSaveFile;
  /** Asks the user for the definitions folder (the desktop's folder dialog); undefined when they cancel. */
  chooseDefinitionsFolder?: () => Promise<string | undefined>;
  log?: (message: string) => void;
  /** How often checkpoint lags are sampled in the background (5 s unless set). */
  lagSamplingIntervalMs?: number;
  /** Background lag sampling; on unless false. */
  sampleLags?: boolean;
  /** Checks every answer against the contract's schemas and reports mismatches (the test harness). */
  onOutputMismatch?: DispatcherDeps['onOutputMismatch'];
  /** Sample Kafka consumer lag in the background (default); tests that drive ticks themselves turn it off. */
  sampleKafkaLag?: boolean;
  /** Check read models for drift in the background at the Settings' interval (the desktop app and browser mode; tests opt in). */
  watchDrift?: boolean;
}

/** The product's logic, wired together; plain Node, no Electron. */
export function createEngine(options: EngineOptions) {
  const user = options.user ?? safeUserName();
  const log = options.log ?? ((message: string) => console.log(`[chronoscope] ${message}`));
  // The chain's key lives beside the log, sealed by the OS key store in the desktop app (0600 file in browser mode).
  const audit = new AuditLog(join(options.dataDir, 'audit'), {
    keyFile: join(options.dataDir, 'audit-key.json'),
    ...(options.cipher ? { cipher: options.cipher } : {}),
  });
  // Intents an earlier run left without outcome are answered "unknown" before any new change is recorded.
  // Checked against their targets where those can be read back (checkpoint and offset resets), once the services exist.
  // (The readers are called after the log is read, asynchronously: by then the services below exist.)
  const auditReady = audit
    .closeUnfinished(
      checkUnfinishedChange({
        checkpoint: (id, key) => checkpointService.read(id, key),
        committedOffsets: async (id, groupId, topics) => {
          const offsets = await committedOffsets(await kafka.admin(id), groupId, topics);
          return new Map([...offsets.values()].map((o) => [`${o.topic}:${o.partition}`, o.committed === null ? null : String(o.committed)]));
        },
      }),
    )
    .then(
      (unfinished) =>
        unfinished.forEach((intent) =>
          log(`Audit: ${intent.operation} on ${intent.target} (intent #${intent.seq}) has no recorded outcome; recorded as outcome unknown.`),
        ),
      (err: unknown) => log(`Audit: unfinished changes of an earlier run could not be checked: ${(err as Error).message}`),
    );
  const exportsDir = join(options.dataDir, 'exports');
  const secrets = new SecretStore(options.dataDir, options.cipher, options.env ?? process.env);
  const local = new LocalWorkspace(join(options.dataDir, 'local-workspace'), options.initializeLocalWorkspace);
  const connections = new Connections(new ProfileStore(options.dataDir), secrets, local);
  const storeChoices = new StoreChoices(options.dataDir);
  const checkpointMappings = new CheckpointMappings(options.dataDir);
  const snapshotMappings = new SnapshotMappings(options.dataDir);
  // Each connection's clients, store, companion ports and key cache: replaced as a whole when its profile or preset changes.
  const scopes = new ConnectionScopes({ connections, choices: storeChoices, checkpointMappings, snapshotMappings });
  const eventStores = new EventStores(connections, storeChoices, scopes);
  // Browse and time travel open sealed personal data only for profiles that may; the key table comes from the confirmed map.
  const decryptedViews = new DecryptedViews({
    mayDecrypt: (id) => connections.mayDecryptPersonalData(id),
    kind: async (id) => (await connections.resolve(id)).settings.kind,
    pool: (id) => scopes.pool(id),
    confirmedKeyStore: async (id) => (await compliance.maps.get(id))?.keyStore,
    keys: { of: (id) => scopes.get(id).keys, forgetSubjects: (subjectIds) => scopes.forgetSubjects(subjectIds) },
    audit,
    user,
  });
  const checkpointService = new CheckpointService(scopes, {
    mappings: checkpointMappings,
    kindOf: async (id) => (await connections.resolve(id)).settings.kind,
  });
  const movements = new Movements();
  const checkpointDeps = {
    checkpoints: checkpointService,
    eventStore: (id: string) => eventStores.get(id),
    kafkaEnds: kafkaPartitionEnds(scopes),
    kafkaBounds: kafkaPartitionBounds(scopes),
    movements,
  };
  const settings = new SettingsStore(options.dataDir);
  const board = new CheckpointBoard(checkpointDeps);
  const lagHistory = new ProjectorLagHistory(join(options.dataDir, 'checkpoint-history'));
  const lagSampler = new ProjectorLagSampler({
    board,
    history: lagHistory,
    dataDir: options.dataDir,
    ...(options.lagSamplingIntervalMs !== undefined ? { intervalMs: options.lagSamplingIntervalMs } : {}),
    exists: (id) =>
      connections.get(id).then(
        () => true,
        () => false,
      ),
    log,
  });
  const snapshotService = new SnapshotService(scopes, {
    mappings: snapshotMappings,
    kindOf: async (id) => (await connections.resolve(id)).settings.kind,
  });
  const kafka = createKafkaCapability({
    dataDir: options.dataDir,
    clients: scopes,
    connections,
    samplingInterval: {
      read: async () => (await settings.get()).sampling.kafkaLagMs,
      save: async (kafkaLagMs) => void (await settings.update({ sampling: { kafkaLagMs } })),
    },
    log,
  });
  const userDefinitions = new UserDefinitions({ log });
  const definitionsFolder = new DefinitionsFolder(options.dataDir, userDefinitions);
  // Lists and replays wait for the saved folder's first load; a failure is logged, never fatal.
  const definitionsRestored = definitionsFolder.restore().catch((err: unknown) => log(`User definitions folder not restored: ${(err as Error).message}`));
  const definitionCatalog = new DefinitionCatalog(options.projectionsDir ?? findProjectionsDir(), userDefinitions);
  const quickCheck = options.env?.CHRONOSCOPE_SNAPSHOT_QUICK_CHECK_VERSIONS;
  const timeTravel = new TimeTravelService(
    eventStores,
    definitionCatalog,
    undefined,
    undefined,
    decryptedViews,
    undefined,
    quickCheck !== undefined && /^\d+$/.test(quickCheck) ? Number(quickCheck) : undefined,
  );
  const snapshotVerdicts = timeTravel.verdicts;
  const afterRestore = <T>(work: () => Promise<T>) => definitionsRestored.then(work);
  const assertWritable = async (connectionId: string) => {
    if (!(await connections.isReadOnly(connectionId))) return;
    const name = (await connections.get(connectionId)).name;
    throw new ChronoError('read_only', `"${name}" is read-only now: the job changes it. Mark the profile read-write in Connections, then resume the job.`, {
      connectionId,
    });
  };
  const jobs = new Jobs(join(options.dataDir, 'jobs'), {
    log,
    assertWritable,
    // A job's params or result off its kind's contract is reported like an operation's answer off its schema.
    ...(options.onOutputMismatch
      ? { onContractMismatch: ({ kind, what, problems }) => options.onOutputMismatch?.({ operation: `job ${kind} (${what})`, kind: 'result', problems }) }
      : {}),
  });
  const snapshotPorts = {
    snapshots: (connectionId: string) => snapshotService.port(connectionId),
    replayer: async (connectionId: string, definition: string, signal: AbortSignal) => {
      const store = await eventStores.get(connectionId);
      await definitionsRestored;
      return new SnapshotReplayer(store, definitionCatalog, definition, signal);
    },
  };
  const settle = settleVerifications(jobs);
  jobs.register(snapshotJobRunners({ ...snapshotPorts, verdicts: snapshotVerdicts, assertWritable, settle }));
  const compliance = new ComplianceService({
    dataDir: options.dataDir,
    exportsDir,
    jobs,
    audit,
    user,
    mayDecrypt: (id) => connections.mayDecryptPersonalData(id),
    onShredded: (_id, subjects) => decryptedViews.forgetSubjects(subjects),
    pool: (id) => scopes.pool(id),
    mongo: async (id) => (await scopes.mongo(id)).db,
    kafka: (id) => scopes.kafka(id),
    resolve: (id) => connections.resolve(id),
    snapshotPorts,
    connectionName: async (id) => (await connections.get(id)).name,
    displayZone: async () => (await settings.get()).timeZone,
    redactionBatch: Number(options.env?.CHRONOSCOPE_REDACTION_BATCH) || undefined,
    snapshotBatch: Number(options.env?.CHRONOSCOPE_SNAPSHOT_ERASURE_BATCH) || undefined,
  });
  const companionSources = async (id: string) => [
    ...(await snapshotPorts.snapshots(id).then(
      (port) => [port.source()],
      () => [],
    )),
    ...(await checkpointService.list(id).then(
      (found) => found.sources,
      () => [],
    )),
  ];
  const rebuilds = new RebuildService({
    connections,
    clients: scopes,
    jobs,
    builtins: REFERENCE_READ_MODELS,
    store: (id) => eventStores.get(id),
    connectionName: async (id) => (await connections.get(id)).name,
    userDefinitions,
    companionSources,
    checkpoints: (id) => checkpointService.store(id),
  });
  jobs.register(compliance.jobRunners());
  jobs.register(rebuilds.jobRunners());
  const drift = new DriftService({
    rebuilds,
    jobs,
    clients: scopes,
    builtins: REFERENCE_READ_MODELS,
    store: (id) => eventStores.get(id),
    isMongo: async (id) => (await connections.get(id)).kind === 'mongo',
    connectionName: async (id) => (await connections.get(id)).name,
    checkpoints: (id) => checkpointService.store(id),
    exportsDir,
  });
  jobs.register(drift.jobRunners());
  const driftWatchDeps: DriftWatchDeps = {
    everyMinutes: async () => (await settings.get()).driftChecks.everyMinutes,
    connections: async () => {
      // Event stores whose preset is confirmed: their read models have the definitions a check replays.
      const watched = async (id: string) => (await connections.get(id).catch(() => undefined))?.kind !== 'kafka' && (await eventStores.hasConfirmedPreset(id));
      const ids = scopes.ids();
      const keep = await Promise.all(ids.map((id) => watched(id).catch(() => false)));
      return ids.filter((_, i) => keep[i]);
    },
    models: async (id) =>
      (await rebuilds.catalog(id, 'public')).models.filter((m) => m.builtin !== null).map((m) => ({ schema: 'public', model: m.model, rows: m.rows })),
    jobs: () => jobs.list(),
    startCheck: (input) => drift.verify({ ...input, definition: { builtin: true } }),
    forget: (ids) => jobs.forget(ids),
    log,
  };
  const driftWatch = new DriftWatch(driftWatchDeps);
  // Every kind of the job-kind contract has its runner: a job of a kind without one could never run.
  if (jobs.kindsWithoutRunner().length) throw new Error(`Job kinds without a runner: ${jobs.kindsWithoutRunner().join(', ')}`);
  const handlers = composeHandlers(
    appHandlers({ mode: options.mode, user, dataDir: options.dataDir, cipher: options.cipher, cipherNote: options.cipherNote, local }),
    connectionHandlers({ connections, scopes }),
    browseHandlers({ eventStores, exportsDir, chooseSaveFile: options.chooseSaveFile, views: decryptedViews }),
    exportsHandlers({ exportsDir, chooseSaveFile: options.chooseSaveFile }),
    timeTravelHandlers({
      mode: options.mode,
      timeTravel,
      userDefinitions,
      definitionsFolder,
      afterRestore,
      chooseDefinitionsFolder: options.chooseDefinitionsFolder,
    }),
    jobHandlers({ jobs }),
    snapshotHandlers({
      jobs,
      ...snapshotPorts,
      verdicts: snapshotVerdicts,
      settle,
      connectionName: async (id) => (await connections.get(id)).name,
      mappings: snapshotService,
    }),
    checkpointHandlers({
      board,
      checkpoints: checkpointService,
      resets: new CheckpointResets(checkpointDeps),
      history: lagHistory,
      sampler: lagSampler,
      jobs: () => jobs.list(),
    }),
    auditHandlers({ audit }),
    kafkaHandlers(kafka, {
      eventStore: (id) => eventStores.get(id),
      checkpoints: async (id) => (await checkpointService.list(id)).checkpoints,
      checkpointStore: (id) => checkpointService.store(id),
      profiles: { profile: (id) => connections.get(id), profiles: () => connections.list(), presetConfirmed: (id) => eventStores.hasConfirmedPreset(id) },
    }),
    complianceHandlers({ compliance }),
    rebuildHandlers({ rebuilds }),
    driftHandlers({ drift, status: (id) => driftStatus(driftWatchDeps, id) }),
    localWorkspaceHandlers({ local }),
    settingsHandlers({
      settings,
      dataDir: options.dataDir,
      // The sampling intervals drive the background samplers at once (a test's fixed interval stays fixed).
      onChange: async (next) => {
        if (options.lagSamplingIntervalMs === undefined) lagSampler.setIntervalMs(next.sampling.checkpointLagMs);
        await kafka.followInterval(next.sampling.kafkaLagMs);
      },
    }),
  );
  if (options.sampleLags !== false) {
    void lagSampler.start();
    // Then the Settings' interval, unless the engine was given one (tests): the next round follows it.
    if (options.lagSamplingIntervalMs === undefined) {
      settings
        .get()
        .then((s) => lagSampler.setIntervalMs(s.sampling.checkpointLagMs))
        .catch((err: unknown) => log(`Settings not read for lag sampling: ${(err as Error).message}`));
    }
  }

  const dispatcher = createDispatcher({
    operations,
    handlers: handlers as never,
    audit: { append: async (entry) => (await auditReady, audit.append(entry)) },
    confirmations: new ConfirmationTokens(),
    isReadOnly: (id) => connections.isReadOnly(id),
    profileName: async (id) => (await connections.get(id)).name,
    storedSecrets: () => secrets.known(),
    user,
    onInternalError: (op, err) => log(`${op} failed: ${redactSecretsInText((err as Error).stack ?? String(err))}`),
    ...(options.onOutputMismatch ? { onOutputMismatch: options.onOutputMismatch } : {}),
  });

  if (options.sampleKafkaLag !== false) kafka.start();
  if (options.watchDrift) driftWatch.start();

  if (options.startLocalWorkspace) {
    local.start().catch((err: unknown) => log(`Local workspace failed to start: ${(err as Error).message}`));
  }

  return {
    dispatcher,
    handlers,
    connections,
    audit,
    localWorkspace: local,
    user,
    eventStores,
    scopes,
    exportsDir,
    jobs,
    lagSampler,
    kafka,
    driftWatch,
    async dispose() {
      driftWatch.stop();
      await lagSampler.stop();
      await kafka.close();
      await jobs.dispose();
      await rebuilds.close();
      await userDefinitions.close();
      await scopes.closeAll();
      await local.stop();
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;

function safeUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
