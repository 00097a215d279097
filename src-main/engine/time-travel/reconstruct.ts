/**
 * Time travel: an aggregate's state at any version or instant, step-through,
 * field history and snapshot verification. Streams are read in keyset pages
 * (never all in memory) and folded by a definition in the sandbox.
 */
import type { EventStore, ReplayPage, StoredEventView, StreamedReplayPage } from '../../stores/event-store';
import { clampLimit, MAX_PAGE_SIZE, REPLAY_PAGE_SIZE } from '../../stores/event-store';
import type { DefinitionSource } from '../definitions/definitions';
import { encodedBatch } from '../../stores/replay-wire';
import { type DiffEntry, type DiffPath, diff, valueAt } from './diff';
import { type DefinitionInfo, type EventRefs, Sandbox, type SandboxOptions, type UpcastEvent } from '../definitions/sandbox';

export type TimeTravelTarget = { version: number } | { time: string };

export interface TimeTravelProgress {
  /** Events folded so far in this call. */
  applied: number;
  /** Stream version reached. */
  version: number;
  /** Target version, when known. */
  targetVersion?: number;
}

export interface TimeTravelOptions {
  signal?: AbortSignal;
  onProgress?: (progress: TimeTravelProgress) => void;
  /** Events per page read and per sandbox batch (≤ MAX_PAGE_SIZE). */
  pageSize?: number;
  sandbox?: SandboxOptions;
  /** Called while the replay waits for a free sandbox worker, with its place in line. */
  onQueued?: (ahead: number) => void;
}

export interface StateAtOptions extends TimeTravelOptions {
  /** Start from this state instead of replaying from the stream's first version (ignored when it lies past the target). */
  snapshot?: { version: number; state: unknown };
  /**
   * Called with the state at page ends, about every `waypointEvery` events
   * (state as JSON text), so a cache can start later replays near their target.
   */
  onWaypoint?: (waypoint: { version: number; state: string; type: string; timestamp: string | null }) => void;
  waypointEvery?: number;
  /** Versions per page on the replay fast path (EventStore.readReplayPage), ≤ REPLAY_PAGE_SIZE. */
  replayPageSize?: number;
}

export interface StateAtResult {
  state: unknown;
  /** Version of the last event folded (the store's first version - 1: none, the initial state). */
  version: number;
  /** Timestamp of that event. */
  timestamp: string | null;
  /** Events folded in this call (after the snapshot, if one was used). */
  applied: number;
  /** Version of the snapshot the replay started from; 0 when it replayed from the start. */
  fromSnapshotVersion: number;
}

export interface TimeTravelStep {
  /** The event as stored (raw). */
  event: StoredEventView;
  before: unknown;
  after: unknown;
  diff: DiffEntry[];
  /** The event as the definition's upcasters turned it, when one applied. */
  upcast?: UpcastEvent;
}

export interface StepThroughResult {
  steps: TimeTravelStep[];
  /** The window was cut at `maxSteps`. */
  truncated: boolean;
}

export interface StateFieldChange {
  event: StoredEventView;
  before: unknown;
  after: unknown;
}

export interface FieldHistoryResult {
  path: DiffPath;
  changes: StateFieldChange[];
  /** Stopped after `maxChanges`. */
  truncated: boolean;
  /** Version of the last event read. */
  version: number;
}

export interface SnapshotVerification {
  ok: boolean;
  version: number;
  /** Replayed (expected) state → snapshot state: what the snapshot got wrong. */
  diff: DiffEntry[];
  replayed: unknown;
  /** The stream ends before the snapshot's version. */
  streamTooShort: boolean;
  /** Version the stream actually reached when it was too short. */
  reachedVersion: number;
}

export const DEFAULT_MAX_STEPS = 1000;
export const DEFAULT_MAX_CHANGES = 10_000;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new DOMException('The operation was aborted', 'AbortError');
}

/** Forward pages of a stream between two inclusive versions; the next page is read while the caller folds this one. */
async function* streamPages(
  store: EventStore,
  streamId: string,
  fromVersion: number,
  toVersion: number | undefined,
  pageSize: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<StoredEventView[]> {
  let options: Parameters<EventStore['readStream']>[1] | null = {
    fromVersion,
    direction: 'forward',
    limit: pageSize,
    ...(toVersion !== undefined ? { toVersion } : {}),
  };
  let pending = store.readStream(streamId, options);
  while (options) {
    throwIfAborted(signal);
    const page = await pending;
    options = page.next;
    if (options) {
      pending = store.readStream(streamId, options);
      pending.catch(() => undefined); // awaited on the next turn; never an unhandled rejection if the caller stops
    }
    if (page.events.length > 0) yield page.events;
  }
}

/** Replay pages read ahead of the one the sandbox folds, each on its own pooled connection. */
export const REPLAY_READ_AHEAD = 2;

interface ReplayPlan {
  fromVersion: number;
  toVersion: number;
  /** Versions per page (≤ REPLAY_PAGE_SIZE). */
  pageSize: number;
  /** Event types to ship to the sandbox; all when absent. */
  types?: readonly string[];
}

/**
 * Pages the database encoded itself (EventStore.readReplayPage), over fixed version
 * ranges so that they need not wait for each other: REPLAY_READ_AHEAD pages are read
 * at once, on as many connections, while the caller folds the current one. Null when
 * the store offers no such path. When the caller stops (error, abort), no further page
 * is asked for and the reads in flight are awaited, so every connection is back in its
 * pool when the replay returns.
 */
async function replayPages(store: EventStore, streamId: string, plan: ReplayPlan, signal: AbortSignal | undefined): Promise<AsyncGenerator<ReplayPage> | null> {
  const readReplayPage = store.readReplayPage?.bind(store);
  if (!readReplayPage) return null;
  // The stream's first and last versions in the range bound the pages: a short stream
  // is not read up to a far target in empty pages. Versions are unique within a stream,
  // so a range of pageSize versions never holds more than pageSize rows.
  const bound = (direction: 'forward' | 'backward') =>
    store
      .readStream(streamId, { fromVersion: plan.fromVersion, toVersion: plan.toVersion, direction, limit: 1, payloadLimit: 1 })
      .then((page) => page.events[0]?.version);
  const [first, last] = await Promise.all([bound('forward'), bound('backward')]);
  if (first === undefined || last === undefined) return (async function* () {})();
  const pageCount = Math.ceil((last - first + 1) / plan.pageSize);
  const inFlight: Promise<ReplayPage | null>[] = [];
  let next = 0;
  const readAhead = (): void => {
    while (inFlight.length < REPLAY_READ_AHEAD && next < pageCount) {
      const from = first + next * plan.pageSize;
      const read = readReplayPage(streamId, {
        fromVersion: from,
        toVersion: Math.min(last, from + plan.pageSize - 1),
        limit: plan.pageSize,
        ...(plan.types ? { types: plan.types } : {}),
      });
      read.catch(() => undefined); // awaited in turn, or settled by `drain`; never an unhandled rejection
      inFlight.push(read);
      next += 1;
    }
  };
  const drain = async (): Promise<void> => {
    next = pageCount;
    await Promise.allSettled(inFlight.splice(0));
  };
  readAhead();
  let head: ReplayPage | null;
  try {
    head = await inFlight.shift()!;
  } catch (err) {
    await drain();
    throw err;
  }
  if (head === null) {
    await drain();
    return null;
  }
  const firstPage = head;
  return (async function* () {
    try {
      let page: ReplayPage | null = firstPage;
      while (page) {
        throwIfAborted(signal);
        readAhead();
        yield page;
        const pending = inFlight.shift();
        page = pending ? await pending : null;
      }
    } finally {
      await drain();
    }
  })();
}

/** The whole range as one read ahead of the fold (EventStore.streamReplayPages), or null when the store has no such path. */
async function streamedPages(
  store: EventStore,
  streamId: string,
  plan: ReplayPlan,
  signal: AbortSignal | undefined,
): Promise<AsyncGenerator<StreamedReplayPage> | null> {
  return store.streamReplayPages ? store.streamReplayPages(streamId, { ...plan, readAhead: STREAM_READ_AHEAD, signal }) : null;
}

/** Pages of a streamed replay read ahead of the fold: a few MB, enough for PostgreSQL never to wait on the sandbox. */
export const STREAM_READ_AHEAD = 4;

/**
 * A streamed page's events named for error messages, found only when one is asked for (on a
 * failure): an object per event of a million-event replay would cost more than its fold.
 */
function lazyRefs(page: StreamedReplayPage): EventRefs {
  let tuples: unknown[][] | null = null;
  return {
    length: page.count,
    at(index) {
      tuples ??= JSON.parse(page.events) as unknown[][];
      const tuple = tuples[index];
      return tuple ? { streamId: page.streamId, version: Number(tuple[0]), type: String(tuple[1]) } : undefined;
    },
  };
}

/**
 * The types worth shipping to a definition: those it handles or upcasts; none named (every
 * type) when it has an `any` handler, which sees every event.
 */
export function shippedTypes(info: DefinitionInfo): { types?: string[] } {
  if (info.hasAny) return {};
  return { types: [...new Set([...info.handlerTypes, ...info.upcasterTypes])] };
}

function replayPageSize(options: StateAtOptions): number {
  return Math.min(REPLAY_PAGE_SIZE, Math.max(1, Math.floor(options.replayPageSize ?? REPLAY_PAGE_SIZE)));
}

/** Closes the run when the signal fires, so a long batch stops at once. */
async function withRun<T>(definition: DefinitionSource, options: TimeTravelOptions, initialState: unknown, body: (run: Sandbox) => Promise<T>): Promise<T> {
  throwIfAborted(options.signal);
  const run = await Sandbox.start(definition.source, definition.name, {
    ...options.sandbox,
    signal: options.signal,
    onQueued: options.onQueued,
    ...(initialState !== undefined ? { initialState } : {}),
  });
  const onAbort = (): void => void run.close();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort(); // while the definition's state was initialised
  try {
    const result = await body(run);
    throwIfAborted(options.signal);
    return result;
  } catch (err) {
    throwIfAborted(options.signal);
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await run.close();
  }
}

function instant(value: string, what: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new RangeError(`${what} is not a valid ISO-8601 instant: ${JSON.stringify(value)}`);
  return t;
}

/** The events of a page up to the target; `stop` when the target was reached within it. */
function cutAtTarget(events: StoredEventView[], target: TimeTravelTarget): { events: StoredEventView[]; stop: boolean } {
  if ('version' in target) {
    const kept = events.filter((e) => e.version <= target.version);
    return { events: kept, stop: kept.length < events.length || (kept.length > 0 && kept[kept.length - 1]!.version >= target.version) };
  }
  const limit = instant(target.time, 'time');
  const index = events.findIndex((e) => {
    if (e.timestamp === null)
      throw new RangeError(`Event ${e.type} (stream ${e.streamId}, version ${e.version}) has no timestamp: this store cannot travel by time`);
    return instant(e.timestamp, `timestamp of version ${e.version}`) > limit;
  });
  return index < 0 ? { events, stop: false } : { events: events.slice(0, index), stop: true };
}

/**
 * The state after the last event at or before the target: `{version}` (inclusive)
 * or `{time}` (events recorded at or before that instant; the stream's versions
 * are assumed to be in time order, the first event after it ends the replay).
 */
export async function stateAt(
  store: EventStore,
  streamId: string,
  target: TimeTravelTarget,
  definition: DefinitionSource,
  options: StateAtOptions = {},
): Promise<StateAtResult> {
  const pageSize = clampLimit(options.pageSize ?? MAX_PAGE_SIZE);
  const targetVersion = 'version' in target ? Math.floor(target.version) : undefined;
  if (targetVersion !== undefined && (!Number.isFinite(targetVersion) || targetVersion < 0))
    throw new RangeError(`version must be a non-negative integer, got ${targetVersion}`);
  if ('time' in target) instant(target.time, 'time');

  let snapshot = options.snapshot;
  if (snapshot && targetVersion !== undefined && snapshot.version > targetVersion) snapshot = undefined;
  if (snapshot && 'time' in target) {
    // Usable only if the snapshot's last event is itself at or before the instant.
    const at = await store.readStream(streamId, { fromVersion: snapshot.version, toVersion: snapshot.version, limit: 1 });
    const last = at.events[0];
    if (!last || cutAtTarget([last], target).events.length === 0) snapshot = undefined;
  }

  // Without a snapshot the replay starts just before the store's own first version (0 in Message DB).
  const startVersion = snapshot?.version ?? store.describe().firstVersion - 1;
  const every = options.waypointEvery ?? 0;
  return withRun(definition, options, snapshot?.state, async (run) => {
    let version = startVersion;
    let timestamp: string | null = null;
    let applied = 0;
    let lastWaypoint = Math.max(0, startVersion);
    const waypoint = async (type: string) => {
      if (!options.onWaypoint || every <= 0 || Math.floor(version / every) === Math.floor(lastWaypoint / every)) return;
      lastWaypoint = version;
      options.onWaypoint({ version, state: JSON.stringify(await run.state()), type, timestamp });
    };
    const plan =
      targetVersion !== undefined && targetVersion > startVersion
        ? { fromVersion: startVersion + 1, toVersion: targetVersion, pageSize: replayPageSize(options), ...shippedTypes(run.info) }
        : null;
    const streamed = plan ? await streamedPages(store, streamId, plan, options.signal) : null;
    const fast = plan && !streamed ? await replayPages(store, streamId, plan, options.signal) : null;
    if (streamed) {
      // One copy read ahead while the sandbox folds; a page is posted while the one before it
      // folds, so the worker never waits for this thread. With waypoints each page is awaited:
      // a waypoint's state must be the one at its version.
      let folding: Promise<unknown> | null = null;
      try {
        for await (const page of streamed) {
          throwIfAborted(options.signal);
          const folded = page.count > 0 ? run.applyEncoded(encodedBatch(page), lazyRefs(page), { state: false }) : null;
          folded?.catch(() => undefined); // awaited next
          const before = folding;
          // After the page before it (a page with nothing to fold must not report ahead of it).
          const fold = (async () => {
            await before;
            await folded;
            // Events of types the definition ignores were not shipped, yet the replay went past them.
            version = page.last.version;
            timestamp = page.last.timestamp;
            applied += page.read;
            options.onProgress?.({ applied, version, targetVersion: targetVersion! });
            await waypoint(page.last.type);
          })();
          fold.catch(() => undefined); // awaited below
          if (folding) await folding;
          folding = options.onWaypoint ? (await fold, null) : fold;
        }
        if (folding) await folding;
      } finally {
        if (folding) await folding.catch(() => undefined);
      }
    } else if (fast) {
      for await (const page of fast) {
        if (page.versions.length > 0) {
          const refs = page.versions.map((v, i) => ({ streamId: page.streamId, version: v, type: page.types[i]! }));
          await run.applyEncoded(encodedBatch(page), refs, { state: false });
        }
        if (!page.last) continue;
        // Events of types the definition ignores were not shipped, yet the replay went past them.
        version = page.last.version;
        timestamp = page.last.timestamp;
        applied += page.read;
        options.onProgress?.({ applied, version, targetVersion: targetVersion! });
        await waypoint(page.last.type);
      }
    } else if (targetVersion === undefined || targetVersion > startVersion) {
      for await (const page of streamPages(store, streamId, startVersion + 1, targetVersion, pageSize, options.signal)) {
        const { events, stop } = cutAtTarget(page, target);
        if (events.length > 0) {
          await run.apply(events, { state: false });
          const last = events[events.length - 1]!;
          version = last.version;
          timestamp = last.timestamp;
          applied += events.length;
          options.onProgress?.({ applied, version, ...(targetVersion !== undefined ? { targetVersion } : {}) });
          await waypoint(last.type);
        }
        if (stop) break;
      }
    }
    return { state: await run.state(), version, timestamp, applied, fromSnapshotVersion: snapshot?.version ?? 0 };
  });
}

/** The differences between two states (`a` → `b`). */
export function compare(a: unknown, b: unknown): DiffEntry[] {
  return diff(a, b);
}

/**
 * Each event from `fromVersion` to `toVersion` (inclusive) with the state before
 * and after it and their diff. The state before `fromVersion` is replayed first.
 * At most `maxSteps` events (default 1000) are returned.
 */
export async function stepThrough(
  store: EventStore,
  streamId: string,
  fromVersion: number,
  toVersion: number,
  definition: DefinitionSource,
  options: StateAtOptions & { maxSteps?: number } = {},
): Promise<StepThroughResult> {
  const first = store.describe().firstVersion;
  const from = Math.max(first, Math.floor(fromVersion));
  const maxSteps = Math.max(1, Math.floor(options.maxSteps ?? DEFAULT_MAX_STEPS));
  const to = Math.min(Math.floor(toVersion), from + maxSteps - 1);
  const pageSize = clampLimit(options.pageSize ?? MAX_PAGE_SIZE);
  const snapshot = options.snapshot && options.snapshot.version < from ? options.snapshot : undefined;
  const startVersion = snapshot?.version ?? first - 1;
  const steps: TimeTravelStep[] = [];
  let truncated = false;
  await withRun(definition, options, snapshot?.state, async (run) => {
    let applied = 0;
    for await (const page of streamPages(store, streamId, startVersion + 1, to, pageSize, options.signal)) {
      const before = page.filter((e) => e.version < from);
      const window = page.filter((e) => e.version >= from);
      if (before.length > 0) await run.apply(before, { state: false });
      if (window.length > 0) {
        const result = await run.apply(window, { state: false, steps: true });
        (result.steps ?? []).forEach((s, i) =>
          steps.push({ event: window[i]!, before: s.before, after: s.after, diff: diff(s.before, s.after), ...(s.upcast ? { upcast: s.upcast } : {}) }),
        );
      }
      applied += page.length;
      options.onProgress?.({ applied, version: page[page.length - 1]!.version, targetVersion: to });
    }
  });
  if (to < Math.floor(toVersion) && steps.length === maxSteps) {
    const more = await store.readStream(streamId, { fromVersion: to + 1, toVersion: to + 1, limit: 1 });
    truncated = more.events.length > 0;
  }
  return { steps, truncated };
}

/** Every event that changed the value at `path` (or anything under it), with the value before and after. */
export async function fieldHistory(
  store: EventStore,
  streamId: string,
  path: DiffPath,
  definition: DefinitionSource,
  options: TimeTravelOptions & { maxChanges?: number; toVersion?: number } = {},
): Promise<FieldHistoryResult> {
  const pageSize = clampLimit(options.pageSize ?? MAX_PAGE_SIZE);
  const maxChanges = Math.max(1, Math.floor(options.maxChanges ?? DEFAULT_MAX_CHANGES));
  const changes: StateFieldChange[] = [];
  let truncated = false;
  const first = store.describe().firstVersion;
  let version = first - 1;
  await withRun(definition, options, undefined, async (run) => {
    let applied = 0;
    outer: for await (const page of streamPages(store, streamId, first, options.toVersion, pageSize, options.signal)) {
      const result = await run.apply(page, { state: false, steps: true });
      const steps = result.steps ?? [];
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i]!;
        const event = page[i]!;
        version = event.version;
        const before = valueAt(step.before, path);
        const after = valueAt(step.after, path);
        if (diff(before, after).length > 0) {
          if (changes.length >= maxChanges) {
            truncated = true;
            break outer;
          }
          changes.push({ event, before, after });
        }
      }
      applied += page.length;
      options.onProgress?.({ applied, version });
    }
  });
  return { path, changes, truncated, version };
}

/**
 * Replays the stream from its first version to the snapshot's version and compares the
 * result with the snapshot's state. `diff` goes from the replayed (true) state to
 * the snapshot's, so `before` is what it should be and `after` what it holds.
 */
export async function verifySnapshot(
  store: EventStore,
  streamId: string,
  snapshot: { version: number; state: unknown },
  definition: DefinitionSource,
  options: TimeTravelOptions = {},
): Promise<SnapshotVerification> {
  const replay = await stateAt(store, streamId, { version: snapshot.version }, definition, { ...options, snapshot: undefined });
  const streamTooShort = replay.version < snapshot.version;
  const entries = diff(replay.state, snapshot.state);
  return {
    ok: !streamTooShort && entries.length === 0,
    version: snapshot.version,
    diff: entries,
    replayed: replay.state,
    streamTooShort,
    reachedVersion: replay.version,
  };
}
