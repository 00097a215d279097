import { userInfo } from 'node:os';
import { join } from 'node:path';
import { createDispatcher, type DispatcherDeps } from '../transport/dispatcher';
import { operations } from '../../src-shared/operations';
import { redactSecretsInText } from '../../src-shared/redact-secrets';
import { appHandlers } from './app/handlers';
import { auditHandlers } from './audit/handlers';
import { browseHandlers } from './browse/handlers';
import { connectionHandlers } from './connections/handlers';
import { composeHandlers } from './handlers';
import { jobHandlers } from './jobs/handlers';
import { timeTravelHandlers } from './time-travel/handlers';
import { AuditLog } from './audit/audit-log';
import { ConfirmationTokens } from './audit/confirmations';
import { Connections } from './connections/connections';
import { ProfileStore } from './connections/profile-store';
import { SecretStore, type SecretCipher } from './connections/secret-store';
import { LocalWorkspace, type LocalWorkspaceInitializer } from './local-workspace/local-workspace';
import { EventStores } from './browse/event-stores';
import { StoreChoices } from './browse/store-choices';
import { CheckpointService } from './checkpoints/checkpoint-service';
import { presetResolver } from './checkpoints/companion-ports';
import { DefinitionCatalog } from './time-travel/definition-catalog';
import { DefinitionsFolder } from './time-travel/definitions-folder';
import { TimeTravelService, findProjectionsDir } from './time-travel/service';
import { UserDefinitions } from './time-travel/user-definitions';
import { Jobs } from './jobs/jobs';
import { VERIFY_ALL_SNAPSHOTS, verifyAllSnapshotsJob } from './jobs/verify-all-snapshots';
import { Clients } from './connections/clients';
import { createKafkaCapability } from './kafka/capability';
import { kafkaHandlers } from './kafka/handlers';

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
   * Asks the user where to save an export (the desktop's save dialog); resolves
   * undefined when they cancel. Absent in browser mode, where exports go to the
   * data directory and are downloaded.
   */
  chooseExportFile?: (suggestedName: string, format: 'ndjson' | 'csv') => Promise<string | undefined>;
  /** Asks the user for the definitions folder (the desktop's folder dialog); undefined when they cancel. */
  chooseDefinitionsFolder?: () => Promise<string | undefined>;
  log?: (message: string) => void;
  /** Checks every answer against the contract's schemas and reports mismatches (the test harness). */
  onOutputMismatch?: DispatcherDeps['onOutputMismatch'];
  /** Sample Kafka consumer lag in the background (default); tests that drive ticks themselves turn it off. */
  sampleKafkaLag?: boolean;
}

/** The product's logic, wired together; plain Node, no Electron. */
export function createEngine(options: EngineOptions) {
  const user = options.user ?? safeUserName();
  const log = options.log ?? ((message: string) => console.log(`[chronoscope] ${message}`));
  const audit = new AuditLog(join(options.dataDir, 'audit'));
  const exportsDir = join(options.dataDir, 'exports');
  const secrets = new SecretStore(options.dataDir, options.cipher, options.env ?? process.env);
  const local = new LocalWorkspace(join(options.dataDir, 'local-workspace'), options.initializeLocalWorkspace);
  const connections = new Connections(new ProfileStore(options.dataDir), secrets, local);
  const clients = new Clients(connections);
  const storeChoices = new StoreChoices(options.dataDir);
  const eventStores = new EventStores(connections, storeChoices, clients);
  const checkpoints = new CheckpointService(clients, presetResolver(storeChoices));
  const kafka = createKafkaCapability({ dataDir: options.dataDir, clients, connections, log });
  const userDefinitions = new UserDefinitions({ log });
  const definitionsFolder = new DefinitionsFolder(options.dataDir, userDefinitions);
  // Lists and replays wait for the saved folder's first load; a failure is logged, never fatal.
  const definitionsRestored = definitionsFolder.restore().catch((err: unknown) => log(`User definitions folder not restored: ${(err as Error).message}`));
  const timeTravel = new TimeTravelService(eventStores, new DefinitionCatalog(options.projectionsDir ?? findProjectionsDir(), userDefinitions));
  const afterRestore = <T>(work: () => Promise<T>) => definitionsRestored.then(work);
  const jobs = new Jobs(join(options.dataDir, 'jobs'), { log });
  jobs.register(
    VERIFY_ALL_SNAPSHOTS,
    verifyAllSnapshotsJob({
      snapshotStreams: (connectionId) => eventStores.snapshotStreams(connectionId),
      verify: (connectionId, streamId, definition, signal) => afterRestore(() => timeTravel.verifySnapshot(connectionId, streamId, definition, { signal, progress: () => undefined })),
    }),
  );
  const handlers = composeHandlers(
    appHandlers({ mode: options.mode, user, dataDir: options.dataDir, cipher: options.cipher, cipherNote: options.cipherNote, local }),
    connectionHandlers({ connections, forgetConnection: (id) => eventStores.forget(id) }),
    browseHandlers({ eventStores, exportsDir, chooseExportFile: options.chooseExportFile }),
    timeTravelHandlers({ mode: options.mode, timeTravel, userDefinitions, definitionsFolder, afterRestore, chooseDefinitionsFolder: options.chooseDefinitionsFolder }),
    jobHandlers({ jobs, connectionName: async (id) => (await connections.get(id)).name, openStore: (id) => eventStores.get(id) }),
    auditHandlers({ audit }),
    kafkaHandlers(kafka, { eventStore: (id) => eventStores.get(id), checkpoints: async (id) => (await checkpoints.list(id)).checkpoints }),
  );

  const dispatcher = createDispatcher({
    operations,
    handlers: handlers as never,
    audit,
    confirmations: new ConfirmationTokens(),
    isReadOnly: (id) => connections.isReadOnly(id),
    user,
    onInternalError: (op, err) => log(`${op} failed: ${redactSecretsInText((err as Error).stack ?? String(err))}`),
    ...(options.onOutputMismatch ? { onOutputMismatch: options.onOutputMismatch } : {}),
  });

  if (options.sampleKafkaLag !== false) kafka.start();

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
    exportsDir,
    jobs,
    kafka,
    async dispose() {
      await kafka.close();
      await jobs.dispose();
      await userDefinitions.close();
      await eventStores.closeAll();
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
