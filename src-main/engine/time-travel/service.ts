import { ChronoError } from '../../../src-shared/errors';
import type { EventStore } from '../../stores/event-store';
import type { EventStores } from '../browse/event-stores';
import type { DefinitionCatalog, ResolvedDefinition } from '../definitions/definition-catalog';
import type { DefinitionSource } from '../definitions/definitions';
import { parsePath } from './diff';
import { compare, fieldHistory, stateAt, stepThrough, verifySnapshot, type TimeTravelOptions, type TimeTravelTarget } from './reconstruct';
import { WAYPOINT_EVERY, ReplayCache, type ReplayWaypoint } from './replay-cache';
import { SandboxError } from '../definitions/sandbox';
import { sandboxPool, type SandboxPool } from '../definitions/sandbox-pool';
import { NOT_ALLOWED_NOTE, type DecryptedViews, type DecryptionSession } from '../personal-data/decrypted-views';
import { isSealedField } from '../personal-data/sealed-fields';
import { SnapshotVerdicts, type SnapshotVerdict } from './snapshot-verdicts';
import type { SnapshotUse } from '../../../src-shared/schemas/time-travel';

/**
 * A stored snapshot nobody verified is compared with a replay before use when the
 * stream up to it holds at most this many versions (so at most as many events).
 * Such a replay takes well under a second in the sandbox; longer streams keep the
 * snapshot's speed-up and report it `unverified` (Verify snapshot checks it on demand).
 */
export const QUICK_CHECK_MAX_VERSIONS = 5_000;

/** Presets of the reference system's own stores (PostgreSQL's classic table, also the Local workspace's; its MongoDB layout). */
const REFERENCE_PRESETS: readonly string[] = ['classic', 'reference'];

interface Context {
  signal: AbortSignal;
  progress(p: { done: number; total?: number; message?: string }): void;
}

/** The time-travel operations over a connection's event store, in the sandbox. */
export class TimeTravelService {
  constructor(
    private readonly stores: EventStores,
    private readonly catalog: DefinitionCatalog,
    private readonly cache = new ReplayCache(),
    /** Caps the sandbox workers of all replays at once; the process-wide pool by default. */
    private readonly pool: SandboxPool = sandboxPool,
    /** Opens sealed personal data for profiles that may decrypt; replays fold what it gives. */
    private readonly views?: DecryptedViews,
    /** What verifications found about stored snapshots (shared with the Snapshots screen and its jobs). */
    readonly verdicts = new SnapshotVerdicts(),
    /** Longest stream (in versions up to the snapshot) whose unverified snapshot is compared with a replay before use; 0: never. */
    private readonly quickCheckMaxVersions = QUICK_CHECK_MAX_VERSIONS,
  ) {
    // Waypoints met after a wrong snapshot carry its error on: a stream's cache goes with it.
    verdicts.onMismatch((connectionId, streamId) => this.cache.forgetStream(connectionId, streamId));
  }

  async definitions() {
    const user = this.catalog.user;
    return { definitions: await this.catalog.list(), folder: user.folder, revision: user.revision };
  }

  async state(connectionId: string, streamId: string, target: TimeTravelTarget, name: string, useSnapshot: boolean, context: Context) {
    const { stored, definition, resolved, session, sealedAtStart } = await this.open(connectionId, streamId, name);
    const mayOpen = session?.mode === 'decrypted';
    const replay = (decrypting: boolean) =>
      this.replayState(
        connectionId,
        streamId,
        target,
        definition,
        resolved,
        resolved.origin === 'builtin' && useSnapshot,
        useSnapshot,
        context,
        decrypting ? session! : undefined,
        stored,
      );
    // Streams that start with sealed fields (a customer's) are replayed decrypted; others on the fast path with
    // waypoints, and again decrypted only if sealed fields reached their state after all.
    let replayed = await replay(mayOpen && sealedAtStart);
    if (mayOpen && !sealedAtStart && holdsSealed(replayed.result.state)) replayed = await replay(true);
    const { result, fromCache, start, snapshot } = replayed;
    await session?.audit('timeTravel.state', `stream:${connectionId}/${streamId}`, { streamId, version: result.version });
    const personalData = personalDataOf(session, result.state);
    return {
      ...result,
      definition: resolved.name,
      ...(resolved.reason ? { definitionReason: resolved.reason } : {}),
      ...(fromCache && result.fromSnapshotVersion === start?.version ? { fromCache: true } : {}),
      ...(personalData ? { personalData } : {}),
      ...snapshotReport(snapshot, result, fromCache),
    };
  }

  /** One replay to the target: as stored (waypoints kept), or through `decrypting` (no waypoints). */
  private async replayState(
    connectionId: string,
    streamId: string,
    target: TimeTravelTarget,
    definition: DefinitionSource,
    resolved: ResolvedDefinition,
    /** A stored snapshot holds the system's own state shape: only the built-ins are known to reproduce it. */
    fits: boolean,
    useSnapshot: boolean,
    context: Context,
    decrypting: DecryptionSession | undefined,
    stored: EventStore,
  ) {
    const store = decrypting ? decrypting.store(stored) : stored;
    const targetVersion = 'version' in target ? target.version : undefined;
    const storedSnapshot = fits ? await this.stores.snapshotAtOrBefore(connectionId, streamId, targetVersion) : undefined;
    // A state met by an earlier replay with this very definition, if it is further along.
    // Decrypted replays keep no waypoints: no clear personal data stays in memory after the call, and a shred takes effect at once.
    const key = this.cache.key(connectionId, streamId, definition);
    const cached = useSnapshot && !decrypting ? this.cache.best(key, targetVersion) : undefined;
    let start: { version: number; state: unknown } | undefined;
    let snapshot: CheckedSnapshot | undefined;
    let fromCache = false;
    if (cached && cached.version > (storedSnapshot?.version ?? 0) && (await this.stillMatches(store, streamId, cached))) {
      start = { version: cached.version, state: JSON.parse(cached.state) as unknown };
      fromCache = true;
    } else {
      if (cached && cached.version > (storedSnapshot?.version ?? 0)) this.cache.forget(key);
      if (storedSnapshot) {
        // Compared as stored, before any decryption: verdicts are about the stored state.
        snapshot = await this.checkSnapshot(connectionId, streamId, storedSnapshot, definition, resolved.name, stored, context);
        if (snapshot.verdict?.ok !== false) start = decrypting ? { ...storedSnapshot, state: await decrypting.value(storedSnapshot.state) } : storedSnapshot;
      }
    }
    const result = await guard(() =>
      stateAt(store, streamId, target, definition, {
        ...this.options(context),
        ...(start ? { snapshot: start } : {}),
        ...(decrypting ? {} : { waypointEvery: WAYPOINT_EVERY, onWaypoint: (waypoint: ReplayWaypoint) => this.cache.record(key, waypoint) }),
      }),
    );
    return { result, fromCache, start, snapshot };
  }

  /**
   * What is known of a stored snapshot: a remembered verdict, else, when the stream up to
   * it is short (QUICK_CHECK_MAX_VERSIONS), a replay to its version compared with it now.
   */
  private async checkSnapshot(
    connectionId: string,
    streamId: string,
    stored: { version: number; state: unknown; takenAt?: string | null },
    definition: DefinitionSource,
    definitionName: string,
    store: EventStore,
    context: Context,
  ): Promise<CheckedSnapshot> {
    const ref = { streamId, ...stored };
    const known = this.verdicts.lookup(connectionId, ref, definitionName);
    const takenAt = { takenAt: stored.takenAt ?? null };
    if (known) return { version: stored.version, verdict: known, ...takenAt };
    if (stored.version - store.describe().firstVersion + 1 > this.quickCheckMaxVersions) return { version: stored.version, ...takenAt };
    const options = {
      ...this.options(context),
      onProgress: (p: { applied: number }) =>
        context.progress({ done: p.applied, total: stored.version, message: `checking the snapshot at version ${stored.version}` }),
    };
    const check = await guard(() => verifySnapshot(store, streamId, stored, definition, options));
    this.verdicts.record(connectionId, ref, definitionName, check.ok, 'quickCheck');
    return { version: stored.version, verdict: this.verdicts.lookup(connectionId, ref, definitionName), ...takenAt };
  }

  /** The event a waypoint was taken after is still there, unchanged in type and time. */
  private async stillMatches(store: EventStore, streamId: string, waypoint: ReplayWaypoint): Promise<boolean> {
    const [event] = (await store.readStream(streamId, { fromVersion: waypoint.version, toVersion: waypoint.version, limit: 1 })).events;
    return event !== undefined && event.type === waypoint.type && event.timestamp === waypoint.timestamp;
  }

  async compare(connectionId: string, streamId: string, a: TimeTravelTarget, b: TimeTravelTarget, name: string, context: Context) {
    const first = await this.state(connectionId, streamId, a, name, true, context);
    const second = await this.state(connectionId, streamId, b, name, true, context);
    return { a: first, b: second, diff: compare(first.state, second.state) };
  }

  async steps(connectionId: string, streamId: string, fromVersion: number, toVersion: number, name: string, context: Context) {
    if (toVersion < fromVersion) throw new ChronoError('invalid_input', 'The last version (toVersion) must not be below the first (fromVersion).');
    const { stored, definition, session } = await this.open(connectionId, streamId, name);
    // A window of steps is small: always read through the session (decrypted where the profile may).
    const store = session ? session.store(stored) : stored;
    const steps = await guard(() => stepThrough(store, streamId, fromVersion, toVersion, definition, this.options(context)));
    await session?.audit('timeTravel.steps', `stream:${connectionId}/${streamId}`, { streamId, fromVersion, toVersion });
    return steps;
  }

  async fieldHistory(connectionId: string, streamId: string, path: string, name: string, context: Context) {
    const { stored, definition, session, sealedAtStart } = await this.open(connectionId, streamId, name);
    const store = session && sealedAtStart ? session.store(stored) : stored;
    const result = await guard(() => fieldHistory(store, streamId, parsePath(path), definition, this.options(context)));
    await session?.audit('timeTravel.fieldHistory', `stream:${connectionId}/${streamId}`, { streamId, path });
    return { changes: result.changes, truncated: result.truncated, version: result.version };
  }

  async verifySnapshot(connectionId: string, streamId: string, name: string, context: Context) {
    // Compared with the stored snapshot as stored: the events are replayed as stored too.
    const { stored: store, definition, resolved } = await this.open(connectionId, streamId, name, false);
    const snapshot = await this.stores.snapshotAtOrBefore(connectionId, streamId);
    if (!snapshot) throw new ChronoError('not_found', `The store keeps no snapshot of ${streamId}.`);
    const result = await guard(() => verifySnapshot(store, streamId, snapshot, definition, this.options(context)));
    this.verdicts.record(connectionId, { streamId, ...snapshot }, resolved.name, result.ok, 'verifySnapshot');
    return { ok: result.ok, snapshotVersion: snapshot.version, diff: result.diff, streamTooShort: result.streamTooShort };
  }

  private options(context: Context): TimeTravelOptions {
    return {
      signal: context.signal,
      onProgress: (p) => context.progress({ done: p.applied, ...(p.targetVersion ? { total: p.targetVersion } : {}), message: `version ${p.version}` }),
      onQueued: (ahead) => context.progress({ done: 0, message: queuedMessage(ahead) }),
      sandbox: { pool: this.pool },
    };
  }

  /** The stream's store and the definition to replay it with (see DefinitionCatalog.resolve for "auto"). */
  private async open(
    connectionId: string,
    streamId: string,
    name: string,
    openPersonalData = true,
  ): Promise<{
    stored: EventStore;
    definition: DefinitionSource;
    resolved: ResolvedDefinition;
    session: DecryptionSession | undefined;
    sealedAtStart: boolean;
  }> {
    const stored = await this.stores.get(connectionId);
    const first = (await stored.readStream(streamId, { limit: 1 })).events[0];
    if (!first) throw new ChronoError('not_found', `Stream "${streamId}" has no events.`);
    const resolved = await this.catalog.resolve(name, {
      streamId,
      category: first.category ?? null,
      referenceSchema: REFERENCE_PRESETS.includes(stored.describe().preset),
    });
    const session = openPersonalData ? await this.views?.session(connectionId) : undefined;
    return { stored, definition: resolved.source, resolved, session, sealedAtStart: holdsSealed(first.data) || holdsSealed(first.metadata) };
  }
}

/** A stored snapshot a replay met, with what is known of it (no verdict: never compared). */
interface CheckedSnapshot {
  version: number;
  verdict?: SnapshotVerdict;
  /** When the store says it was taken; null: its layout does not record it. */
  takenAt: string | null;
}

/**
 * What the state's answer says of the stored snapshot: used (verified or not), or skipped
 * with a warning because it differs from a replay. Nothing when a cached state was used.
 */
function snapshotReport(
  snapshot: CheckedSnapshot | undefined,
  result: { version: number; fromSnapshotVersion: number },
  fromCache: boolean,
): { snapshot?: SnapshotUse; warning?: string } {
  // A state before the snapshot (a time target earlier than it) could not have started from it.
  if (!snapshot || fromCache || result.version < snapshot.version) return {};
  const checkedBy = snapshot.verdict ? { checkedBy: snapshot.verdict.source } : {};
  if (snapshot.verdict?.ok === false) {
    const by = { quickCheck: 'a quick check', verifySnapshot: 'Verify snapshot', inspect: 'the Snapshots screen', verifyAll: 'a snapshot verification job' }[
      snapshot.verdict.source
    ];
    return {
      snapshot: { version: snapshot.version, takenAt: snapshot.takenAt, used: false, verification: 'differs', ...checkedBy },
      warning: `The stored snapshot at v${snapshot.version} differs from a replay of the events (found by ${by}) and was skipped: this state was replayed from the start.`,
    };
  }
  // stateAt drops a snapshot past a time target: then it played no part.
  if (result.fromSnapshotVersion !== snapshot.version) return {};
  return { snapshot: { version: snapshot.version, takenAt: snapshot.takenAt, used: true, verification: snapshot.verdict ? 'ok' : 'unverified', ...checkedBy } };
}

/**
 * What the state says of sealed personal data: folded decrypted (subjects opened,
 * fields shredded), or still sealed in the state where the profile may not decrypt.
 */
function personalDataOf(session: DecryptionSession | undefined, state: unknown) {
  if (!session) return undefined;
  if (session.mode === 'decrypted') {
    if (session.subjects.size === 0 && session.shreddedFields === 0) return undefined;
    return { mode: 'decrypted' as const, subjects: session.subjects.size, shreddedFields: session.shreddedFields };
  }
  if (!holdsSealed(state)) return undefined;
  return { mode: 'encrypted' as const, subjects: 0, shreddedFields: 0, note: session.note ?? NOT_ALLOWED_NOTE };
}

function holdsSealed(value: unknown): boolean {
  if (isSealedField(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).some(holdsSealed);
}

/** What a replay waiting for a sandbox worker shows. */
export function queuedMessage(ahead: number): string {
  return `Queued: ${ahead} ${ahead === 1 ? 'replay' : 'replays'} ahead`;
}

/** Sandbox failures become `definition_error`s that name the event and the handler's line. */
async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SandboxError) {
      throw new ChronoError('definition_error', err.message, {
        kind: err.kind,
        ...(err.event ? { event: err.event } : {}),
        ...(err.location ? { location: err.location } : {}),
      });
    }
    throw err;
  }
}
