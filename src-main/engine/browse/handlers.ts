import { basename, join } from 'node:path';
import { ChronoError } from '../../../src-shared/errors';
import type { EventStore } from '../../stores/event-store';
import { BROWSE_PAYLOAD_LIMIT, StoreCapabilityError } from '../../stores/event-store';
import type { Handlers } from '../dispatch/dispatcher';
import type { ChooseSaveFile } from '../exports/handlers';
import { translateStoreError, type EventStores } from './event-stores';
import { exportEvents } from './export-events';
import { holeRule, tailFeed } from './gap-safe-tail';
import type { DecryptedViews } from '../personal-data/decrypted-views';

export interface BrowseHandlerDeps {
  eventStores: EventStores;
  /** Where exports go when the user is not asked (browser mode). */
  exportsDir: string;
  /** The desktop's save dialog; resolves undefined when the user cancels. Absent in browser mode. */
  chooseSaveFile: ChooseSaveFile | undefined;
  /** Opens sealed personal data for profiles that may decrypt, marks it for the others. */
  views: DecryptedViews;
}

type BrowseOperation =
  | 'stores.detect'
  | 'stores.inspect'
  | 'stores.configure'
  | 'stores.describe'
  | 'streams.list'
  | 'streams.read'
  | 'feed.read'
  | 'feed.tail'
  | 'events.export'
  | 'stats.histogram'
  | 'stats.largestStreams'
  | 'stats.store';

/** Finding the event store of a connection, and reading, following, exporting and counting its events. */
export function browseHandlers({ eventStores, exportsDir, chooseSaveFile, views }: BrowseHandlerDeps): Pick<Handlers, BrowseOperation> {
  /** Runs a read on the connection's event store, with store errors in contract terms. */
  const onStore = async <T>(connectionId: string, read: (store: EventStore) => Promise<T>): Promise<T> => {
    const store = await eventStores.get(connectionId);
    try {
      return await read(store);
    } catch (err) {
      throw translateStoreError(err);
    }
  };

  return {
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
        const read = await store.readStream(streamId, { ...options, payloadLimit: BROWSE_PAYLOAD_LIMIT });
        const session = await views.session(connectionId);
        const page = { ...read, events: await session.events(read.events) };
        await session.audit('streams.read', `stream:${connectionId}/${streamId}`, { streamId });
        if (!page.next) return page;
        const { payloadLimit: _host, ...next } = page.next; // the host's own setting, not part of the client's cursor
        return { ...page, next };
      }),
    'feed.read': ({ connectionId, ...options }) =>
      onStore(connectionId, async (store) => {
        const page = await store.readFeed({ ...options, payloadLimit: BROWSE_PAYLOAD_LIMIT });
        const session = await views.session(connectionId);
        const events = await session.events(page.events);
        await session.audit('feed.read', `connection:${connectionId}`, { afterPosition: options.afterPosition ?? null });
        return { ...page, events };
      }),
    'feed.tail': ({ connectionId, afterPosition, pollMs, gapTimeoutMs, ...filters }, context) =>
      onStore(connectionId, async (store) => {
        const appends = (await store.listenForAppends?.().catch(() => null)) ?? null;
        const mode = appends ? `notify:${appends.channel}` : 'poll';
        // Holes are closed by transaction visibility where the store can report its snapshot; by a timeout elsewhere.
        const watches = (await store.watchTransactions?.().catch(() => null)) != null;
        const tailOptions = { ...(afterPosition ? { afterPosition } : {}), filters, pollMs, gapTimeoutMs };
        const watch = watches ? { watchTransactions: () => store.watchTransactions!() } : {};
        const holes = holeRule(tailOptions, watch);
        // One session per tail: each batch that opens personal data is audited, naming only the subjects it opened.
        const session = await views.session(connectionId);
        try {
          return {
            position: await tailFeed(tailOptions, {
              readFeed: (options) => store.readFeed({ ...options, payloadLimit: BROWSE_PAYLOAD_LIMIT }),
              headPosition: () => store.headPosition(),
              emit: async (events, position) => {
                const marked = await session.events(events);
                await session.audit('feed.tail', `connection:${connectionId}`, { position });
                session.takeAudited();
                context.emit({ events: marked, position, mode, holes });
              },
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
        const name =
          fileName ??
          `${source.kind === 'stream' ? `stream-${source.streamId.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60)}` : 'feed'}-${new Date().toISOString().replace(/[:.]/g, '-')}.${format}`;
        let path = join(exportsDir, name);
        if (saveAs) {
          if (!chooseSaveFile)
            throw new ChronoError('invalid_input', 'Choosing where to save is only possible in the desktop app; in browser mode the export is downloaded.');
          // The path comes from the OS dialog in this process, never from the renderer.
          const chosen = await chooseSaveFile(
            name,
            format === 'csv' ? { name: 'CSV', extensions: ['csv'] } : { name: 'NDJSON', extensions: ['ndjson', 'jsonl'] },
          );
          if (chosen === undefined) throw new ChronoError('cancelled', 'No file was chosen: the export did not start.');
          path = chosen;
        }
        // An export holds what the screen shows: decrypted only where the profile may decrypt.
        const session = await views.session(connectionId);
        const outcome = await exportEvents(
          store,
          { source, format, file: path, transform: (events) => session.events(events) },
          (done) => context.progress({ done, message: `${done} events written` }),
          context.signal,
        );
        await session.audit('events.export', `connection:${connectionId}`, { file: basename(outcome.file), events: outcome.events });
        return { fileName: basename(outcome.file), path: outcome.file, events: outcome.events, bytes: outcome.bytes };
      }),
    'stats.histogram': ({ connectionId, ...options }) => onStore(connectionId, (store) => store.histogram(options)),
    'stats.largestStreams': async ({ connectionId, limit }) => ({ streams: await onStore(connectionId, (store) => store.largestStreams(limit)) }),
    'stats.store': ({ connectionId }) => onStore(connectionId, storeFigures),
  };
}

/** Minutes the Overview's rate is averaged over. */
const RATE_WINDOW_MINUTES = 10;

/** The store's own figures for the Overview: counts (where the store can count), head, and the recent rate. */
async function storeFigures(store: EventStore) {
  const capabilities = store.describe();
  const now = Date.now();
  // A figure the layout cannot give (no position, no time buckets) is null; other failures fail the call.
  const unlessUnsupported = <T>(read: Promise<T>) => read.catch((err: unknown) => (err instanceof StoreCapabilityError ? null : Promise.reject(err)));
  const [counts, head, recent] = await Promise.all([
    store.counts ? store.counts() : null,
    capabilities.hasGlobalPosition ? unlessUnsupported(store.headPosition()) : null,
    capabilities.hasTimestamp
      ? unlessUnsupported(
          store.histogram({ from: new Date(now - RATE_WINDOW_MINUTES * 60_000).toISOString(), to: new Date(now).toISOString(), bucket: 'minute' }),
        )
      : null,
  ]);
  const appended = recent ? recent.buckets.reduce((sum, b) => sum + b.count, 0) : null;
  return {
    events: counts?.events ?? null,
    streams: counts?.streams ?? null,
    head,
    ratePerMinute: appended === null ? null : Math.round((appended / RATE_WINDOW_MINUTES) * 10) / 10,
    rateWindowMinutes: RATE_WINDOW_MINUTES,
  };
}
