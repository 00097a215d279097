import { userInfo } from 'node:os';
import { basename, join } from 'node:path';
import { ChronoError } from '../../src-shared/errors';
import { BROWSE_PAYLOAD_LIMIT } from '../stores/event-store';
import type { Handlers } from '../transport/dispatcher';
import { createDispatcher } from '../transport/dispatcher';
import { operations } from '../../src-shared/operations';
import { redactSecretsDeep, redactSecretsInText } from '../../src-shared/redact-secrets';
import { AuditLog } from './audit/audit-log';
import { ConfirmationTokens } from './audit/confirmations';
import { Connections } from './connections/connections';
import { ProfileStore } from './connections/profile-store';
import { SecretStore, type SecretCipher } from './connections/secret-store';
import { LocalWorkspace, type LocalWorkspaceInitializer } from './local-workspace/local-workspace';
import { APP_VERSION } from './version';
import { EventStores, translateStoreError } from './browse/event-stores';
import { StoreChoices } from './browse/store-choices';
import { holeRule, tailFeed } from './browse/gap-safe-tail';
import { exportEvents } from './browse/export-events';
import { DefinitionCatalog } from './time-travel/definition-catalog';
import { DefinitionsFolder } from './time-travel/definitions-folder';
import { TimeTravelService, findProjectionsDir } from './time-travel/service';
import { UserDefinitions } from './time-travel/user-definitions';
import { jobHandlers } from './jobs/handlers';
import { localWorkspaceHandlers } from './local-workspace/handlers';
import { settingsHandlers } from './settings/handlers';
import { SettingsStore } from './settings/settings-store';
import { Jobs } from './jobs/jobs';
import { VERIFY_ALL_SNAPSHOTS, verifyAllSnapshotsJob } from './jobs/verify-all-snapshots';

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
  const eventStores = new EventStores(connections, new StoreChoices(options.dataDir));
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
  /** Runs a read on the connection's event store, with store errors in contract terms. */
  const onStore = async <T>(connectionId: string, read: (store: Awaited<ReturnType<EventStores['get']>>) => Promise<T>): Promise<T> => {
    const store = await eventStores.get(connectionId);
    try {
      return await read(store);
    } catch (err) {
      throw translateStoreError(err);
    }
  };

  /**
   * Which folder's code may run: in the desktop app only one the user picked in
   * the OS dialog shown by this process, never a path the window names.
   */
  const definitionsFolderPath = async (typed: string | undefined): Promise<string> => {
    if (options.mode === 'desktop') {
      if (typed !== undefined) throw new ChronoError('invalid_input', 'In the desktop app the definitions folder is chosen in the system dialog: call without a path.');
      if (!options.chooseDefinitionsFolder) throw new ChronoError('unavailable', 'This desktop build has no folder dialog; the definitions folder cannot be set.');
      const chosen = await options.chooseDefinitionsFolder();
      if (chosen === undefined) throw new ChronoError('cancelled', 'No folder was chosen: the definitions folder did not change.');
      return chosen;
    }
    if (typed === undefined) throw new ChronoError('invalid_input', 'path: type the folder on the host running Chronoscope.');
    return typed;
  };

  const handlers: Handlers = {
    'app.info': async () => ({
      name: 'Chronoscope',
      version: APP_VERSION,
      mode: options.mode,
      user,
      platform: `${process.platform} ${process.arch}, Node ${process.versions.node}${process.versions.electron ? `, Electron ${process.versions.electron}` : ''}`,
      dataDir: options.dataDir,
      secretStorage: options.cipher
        ? { kind: 'safeStorage', note: `Secrets are encrypted at rest with ${options.cipher.name}.` }
        : { kind: 'memory', note: options.cipherNote ?? 'Secrets are kept in memory only (or read from CHRONOSCOPE_SECRET_<ID> variables) and are never written to disk.' },
      localWorkspace: { state: local.state, ...(local.message ? { message: local.message } : {}) },
    }),
    'connections.list': () => connections.list(),
    'connections.add': (input) => connections.add(input),
    'connections.update': async (input) => {
      const view = await connections.update(input);
      await eventStores.forget(input.id);
      return view;
    },
    'connections.remove': async (input) => {
      const result = await connections.remove(input.id, input.dryRun === true);
      if (result.removed) await eventStores.forget(input.id);
      return result;
    },
    'connections.test': (input, context) => connections.test(input, context.signal),
    'connections.status': async (input, context) => {
      let rounds = 0;
      while (!context.signal.aborted) {
        context.emit(await connections.checkAll(context.signal));
        rounds += 1;
        await sleep(input.intervalMs, context.signal);
      }
      return { rounds };
    },
    'stores.detect': (input) => eventStores.detect(input.connectionId),
    'stores.inspect': (input) => eventStores.inspect(input.connectionId, input.sampleSize),
    'stores.configure': async (input) =>
      (
        await eventStores.configure(input.connectionId, {
          preset: input.preset,
          ...(input.schema ? { schema: input.schema } : {}),
          ...(input.custom ? { custom: input.custom } : {}),
        })
      ).describe(),
    'stores.describe': (input) => onStore(input.connectionId, async (store) => store.describe()),
    'streams.list': ({ connectionId, ...options }) => onStore(connectionId, (store) => store.listStreams(options)),
    'streams.read': ({ connectionId, streamId, ...options }) =>
      onStore(connectionId, async (store) => {
        const page = await store.readStream(streamId, { ...options, payloadLimit: BROWSE_PAYLOAD_LIMIT });
        if (!page.next) return page;
        const { payloadLimit: _host, ...next } = page.next; // the host's own setting, not part of the client's cursor
        return { ...page, next };
      }),
    'feed.read': ({ connectionId, ...options }) => onStore(connectionId, (store) => store.readFeed({ ...options, payloadLimit: BROWSE_PAYLOAD_LIMIT })),
    'feed.tail': ({ connectionId, afterPosition, pollMs, gapTimeoutMs, ...filters }, context) =>
      onStore(connectionId, async (store) => {
        const appends = (await store.listenForAppends?.().catch(() => null)) ?? null;
        const mode = appends ? `notify:${appends.channel}` : 'poll';
        // Holes are closed by transaction visibility where the store can report its snapshot; by a timeout elsewhere.
        const watches = (await store.watchTransactions?.().catch(() => null)) != null;
        const tailOptions = { ...(afterPosition ? { afterPosition } : {}), filters, pollMs, gapTimeoutMs };
        const watch = watches ? { watchTransactions: () => store.watchTransactions!() } : {};
        const holes = holeRule(tailOptions, watch);
        try {
          return {
            position: await tailFeed(tailOptions, {
              readFeed: (options) => store.readFeed({ ...options, payloadLimit: BROWSE_PAYLOAD_LIMIT }),
              headPosition: () => store.headPosition(),
              emit: (events, position) => context.emit({ events, position, mode, holes }),
              signal: context.signal,
              ...(appends ? { appends } : {}),
              ...watch,
            }),
          };
        } finally {
          await appends?.close();
        }
      }),
    'events.export': ({ connectionId, source, format, fileName, saveAs }, context) =>
      onStore(connectionId, async (store) => {
        const name = fileName ?? `${source.kind === 'stream' ? `stream-${source.streamId.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60)}` : 'feed'}-${new Date().toISOString().replace(/[:.]/g, '-')}.${format}`;
        let path = join(exportsDir, name);
        if (saveAs) {
          if (!options.chooseExportFile) throw new ChronoError('invalid_input', 'Choosing where to save is only possible in the desktop app; in browser mode the export is downloaded.');
          // The path comes from the OS dialog in this process, never from the renderer.
          const chosen = await options.chooseExportFile(name, format);
          if (chosen === undefined) throw new ChronoError('cancelled', 'No file was chosen: the export did not start.');
          path = chosen;
        }
        const outcome = await exportEvents(store, { source, format, file: path }, (done) => context.progress({ done, message: `${done} events written` }), context.signal);
        return { fileName: basename(path), path, events: outcome.events, bytes: outcome.bytes };
      }),
    'stats.histogram': ({ connectionId, ...options }) => onStore(connectionId, (store) => store.histogram(options)),
    'stats.largestStreams': async ({ connectionId, limit }) => ({ streams: await onStore(connectionId, (store) => store.largestStreams(limit)) }),
    'timeTravel.definitions': () => afterRestore(() => timeTravel.definitions()),
    'timeTravel.setDefinitionsFolder': (input) => afterRestore(async () => ({ folder: await definitionsFolder.set(await definitionsFolderPath(input.path)) })),
    'timeTravel.clearDefinitionsFolder': () => afterRestore(async () => ({ folder: await definitionsFolder.clear() })),
    'timeTravel.definitionsChanged': (_input, context) => streamRevisions(userDefinitions, context),
    'timeTravel.state': (input, context) => afterRestore(() => timeTravel.state(input.connectionId, input.streamId, input.target, input.definition, input.useSnapshot, context)),
    'timeTravel.compare': (input, context) => afterRestore(() => timeTravel.compare(input.connectionId, input.streamId, input.a, input.b, input.definition, context)),
    'timeTravel.steps': (input, context) => afterRestore(() => timeTravel.steps(input.connectionId, input.streamId, input.fromVersion, input.toVersion, input.definition, context)),
    'timeTravel.fieldHistory': (input, context) => afterRestore(() => timeTravel.fieldHistory(input.connectionId, input.streamId, input.path, input.definition, context)),
    'timeTravel.verifySnapshot': (input, context) => afterRestore(() => timeTravel.verifySnapshot(input.connectionId, input.streamId, input.definition, context)),
    ...jobHandlers({ jobs, connectionName: async (id) => (await connections.get(id)).name, openStore: (id) => eventStores.get(id) }),
    ...localWorkspaceHandlers({ local }),
    ...settingsHandlers({ settings: new SettingsStore(options.dataDir), dataDir: options.dataDir }),
    // Records written before URI passwords were masked are masked on the way out.
    'audit.list': async (input) => {
      const page = await audit.list(input);
      return { ...page, records: page.records.map((record) => ({ ...record, details: redactSecretsDeep(record.details) })) };
    },
    'audit.verify': () => audit.verify(),
  };

  const dispatcher = createDispatcher({
    operations,
    handlers: handlers as never,
    audit,
    confirmations: new ConfirmationTokens(),
    isReadOnly: (id) => connections.isReadOnly(id),
    user,
    onInternalError: (op, err) => log(`${op} failed: ${redactSecretsInText((err as Error).stack ?? String(err))}`),
  });

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
    async dispose() {
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

/** Emits the definitions revision now and after every change, until the caller cancels. */
function streamRevisions(definitions: UserDefinitions, context: { signal: AbortSignal; emit(data: { revision: number }): void }): Promise<{ revision: number }> {
  return new Promise((resolve) => {
    context.emit({ revision: definitions.revision });
    const unsubscribe = definitions.onChange(() => context.emit({ revision: definitions.revision }));
    const stop = () => {
      unsubscribe();
      resolve({ revision: definitions.revision });
    };
    if (context.signal.aborted) stop();
    else context.signal.addEventListener('abort', stop, { once: true });
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
