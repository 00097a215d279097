/**
 * Replays many streams to many versions with one sandbox worker: the states a
 * replay from each stream's start gives at the versions of its snapshots. Bulk
 * verification and regeneration use it; a replay per snapshot would spawn a
 * worker each time (tens of ms), this resets the state of a live one instead.
 *
 * The version ranges of fifty snapshots are read in one round trip where the
 * store can, and the next batches are read while the sandbox folds the current one.
 * Several snapshots of a stream are reached in one pass: the replay goes on from
 * the previous snapshot's version.
 */
import { ChronoError } from '../../../src-shared/errors';
import { REPLAY_PAGE_SIZE, type EventStore, type ReplayPage } from '../../stores/event-store';
import { Sandbox, SandboxError, encodeBatch, type DefinitionCatalog, type ResolvedDefinition, type SandboxEventRef } from './replay-port';

export interface ReplayTarget {
  streamId: string;
  version: number;
}

export type ReplayOutcome =
  | { ok: true; state: unknown; /** Version the stream reached (below the target when it is too short). */ reached: number; definition: string }
  | { ok: false; message: string };

interface Chunk {
  /** `"s":…,"c":…[,"k":…]` of the sandbox's wire form. */
  header: string;
  /** The JSON array of event tuples. */
  events: string;
  refs: SandboxEventRef[];
  category: string | null;
  reached: number | null;
}

/** Snapshot ranges read in one round trip, where the store can (EventStore.readReplayRanges). */
export const RANGES_PER_READ = 50;
/** Batches read ahead of the one being folded. */
export const BATCHES_READ_AHEAD = 3;
const READ_PAGE = 1000;
/** Presets of the reference system's own schema, where "auto" picks the built-ins. */
const REFERENCE_PRESETS: readonly string[] = ['classic', 'reference'];

export class SnapshotReplayer {
  private sandbox: Sandbox | undefined;
  private sandboxKey: string | undefined;
  private readonly resolved = new Map<string, Promise<ResolvedDefinition>>();

  constructor(
    private readonly store: EventStore,
    private readonly catalog: DefinitionCatalog,
    private readonly definition: string,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Calls `each` with every target's outcome, in order. Targets must come in
   * (stream, version) order. Errors of one stream (its definition threw) are outcomes;
   * a lost database or an abort rejects.
   */
  async replay(targets: readonly ReplayTarget[], each: (target: ReplayTarget, outcome: ReplayOutcome) => Promise<void> | void): Promise<void> {
    const first = this.store.describe().firstVersion;
    const ranges = targets.map((t, i) => {
      const previous = i > 0 ? targets[i - 1] : undefined;
      const continues = previous !== undefined && previous.streamId === t.streamId && previous.version < t.version;
      return { target: t, from: continues ? previous.version + 1 : first, continues };
    });
    // Batches of ranges read in one round trip each, BATCHES_READ_AHEAD of them ahead of the fold.
    const batches: (typeof ranges)[] = [];
    for (let i = 0; i < ranges.length; i += RANGES_PER_READ) batches.push(ranges.slice(i, i + RANGES_PER_READ));
    const reads: Promise<Chunk[][]>[] = [];
    let next = 0;
    const fill = () => {
      while (reads.length < BATCHES_READ_AHEAD && next < batches.length) {
        const read = this.readBatch(batches[next]!.map((r) => ({ streamId: r.target.streamId, from: r.from, to: r.target.version })));
        read.catch(() => undefined); // awaited in turn, or dropped on abort: never unhandled
        reads.push(read);
        next += 1;
      }
    };
    let failedStream: { streamId: string; message: string } | undefined;
    let reached = first - 1;
    let batchChunks: Chunk[][] = [];
    try {
      for (const [index, range] of ranges.entries()) {
        this.throwIfAborted();
        if (index % RANGES_PER_READ === 0) {
          fill();
          batchChunks = await reads.shift()!;
        }
        const chunks = batchChunks[index % RANGES_PER_READ]!;
        const { target } = range;
        if (!range.continues) {
          failedStream = undefined;
          reached = first - 1;
        }
        if (failedStream?.streamId === target.streamId) {
          await each(target, { ok: false, message: failedStream.message });
          continue;
        }
        let outcome: ReplayOutcome;
        try {
          const run = await this.runFor(target.streamId, chunks[0]?.category ?? null);
          // A new stream starts from init(): said by a marker in its first batch (one message, not two), else by a reset.
          const fresh = !range.continues;
          if (fresh && (chunks[0]?.refs.length ?? 0) === 0) await run.sandbox.reset();
          let state: unknown;
          let hasState = false;
          for (const [i, chunk] of chunks.entries()) {
            const last = i === chunks.length - 1;
            if (chunk.refs.length > 0) {
              const marked = fresh && i === 0 ? withResetMarker(chunk) : chunk;
              const applied = await run.sandbox.applyEncoded(`{${marked.header},"e":${marked.events}}`, marked.refs, { state: last });
              if (last) {
                state = applied.state;
                hasState = true;
              }
            }
            if (chunk.reached !== null) reached = chunk.reached;
          }
          if (!hasState) state = await run.sandbox.state();
          outcome = { ok: true, state, reached, definition: run.name };
        } catch (err) {
          this.throwIfAborted();
          const message = perStreamMessage(err);
          if (message === undefined) throw err;
          failedStream = { streamId: target.streamId, message };
          outcome = { ok: false, message };
        }
        await each(target, outcome);
      }
    } finally {
      await Promise.allSettled(reads.splice(0));
    }
  }

  async close(): Promise<void> {
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    this.sandboxKey = undefined;
    await sandbox?.close();
  }

  /** The replayer's sandbox for this stream's definition (its state is the caller's to reset). */
  private async runFor(streamId: string, category: string | null): Promise<{ sandbox: Sandbox; name: string }> {
    const resolved = await this.resolve(streamId, category);
    const key = `${resolved.name}\n${resolved.source.source}`;
    if (this.sandbox && (!this.sandbox.alive || this.sandboxKey !== key)) await this.close();
    if (!this.sandbox) {
      // One worker per replayer: a second one could wait forever for a slot the first holds.
      this.sandbox = await Sandbox.start(withResetHandler(resolved.source.source), resolved.source.name, { signal: this.signal });
      this.sandboxKey = key;
    }
    return { sandbox: this.sandbox, name: resolved.name };
  }

  private resolve(streamId: string, category: string | null): Promise<ResolvedDefinition> {
    // User definitions may claim streams by prefix: then each stream resolves on its own.
    const byPrefix = this.definition === 'auto' && this.catalog.user.list().some((d) => d.info?.appliesTo.streamPrefix !== undefined);
    const key = byPrefix ? `${category ?? ''}\n${streamId}` : this.definition === 'auto' ? (category ?? '') : '';
    let found = this.resolved.get(key);
    if (!found) {
      found = this.catalog.resolve(this.definition, { streamId, category, referenceSchema: REFERENCE_PRESETS.includes(this.store.describe().preset) });
      found.catch(() => this.resolved.delete(key));
      if (!byPrefix) this.resolved.set(key, found);
    }
    return found;
  }

  /** The chunks of each range: one query for all where the store can, else one read per range (at most 4 at once). */
  private async readBatch(ranges: readonly { streamId: string; from: number; to: number }[]): Promise<Chunk[][]> {
    const wanted = ranges.filter((r) => r.to >= r.from);
    const pages = this.store.readReplayRanges && wanted.length > 0 ? await this.store.readReplayRanges(wanted.map((r) => ({ streamId: r.streamId, fromVersion: r.from, toVersion: r.to }))) : null;
    if (pages) {
      const byRange = new Map(wanted.map((r, i) => [r, pages[i]!]));
      return Promise.all(
        ranges.map(async (r) => {
          const page = byRange.get(r);
          if (!page) return [];
          const chunks = [replayChunk(page)];
          // A range cut at the page size goes on from where it stopped.
          if (page.last && page.read >= REPLAY_PAGE_SIZE && page.last.version < r.to) chunks.push(...(await this.read(r.streamId, page.last.version + 1, r.to)));
          return chunks;
        }),
      );
    }
    const out: Chunk[][] = [];
    for (let i = 0; i < ranges.length; i += 4) out.push(...(await Promise.all(ranges.slice(i, i + 4).map((r) => this.read(r.streamId, r.from, r.to)))));
    return out;
  }

  /** The events of versions `from`..`to` of a stream, in sandbox batches. */
  private async read(streamId: string, from: number, to: number): Promise<Chunk[]> {
    const chunks: Chunk[] = [];
    if (to < from) return chunks;
    if (this.store.readReplayPage) {
      let fromVersion = from;
      for (;;) {
        const page = await this.store.readReplayPage(streamId, { fromVersion, toVersion: to, limit: REPLAY_PAGE_SIZE });
        if (page === null) break; // this layout's payloads are not JSON: read them the slow way
        chunks.push(replayChunk(page));
        if (!page.last || page.read < REPLAY_PAGE_SIZE || page.last.version >= to) return chunks;
        fromVersion = page.last.version + 1;
      }
    }
    let options: Parameters<EventStore['readStream']>[1] | null = { fromVersion: from, toVersion: to, direction: 'forward', limit: READ_PAGE };
    while (options) {
      this.throwIfAborted();
      const page = await this.store.readStream(streamId, options);
      options = page.next;
      const last = page.events[page.events.length - 1];
      if (!last) break;
      const header = `"s":${JSON.stringify(page.events[0]!.streamId)},"c":${JSON.stringify(page.events[0]!.category ?? null)}`;
      const encoded = encodeBatch(page.events);
      chunks.push({ header, events: encoded.slice(`{${header},"e":`.length, -1), refs: page.events.map((e) => ({ streamId: e.streamId, version: e.version, type: e.type })), category: page.events[0]!.category ?? null, reached: last.version });
    }
    return chunks;
  }

  private throwIfAborted(): void {
    if (this.signal.aborted) throw Object.assign(new Error('The job was stopped.'), { name: 'AbortError' });
  }
}

/** An event type no store writes: its handler (added below the definition) returns `init()`. */
const RESET_TYPE = '__chronoscope_reset';

/**
 * The definition with one more handler, for RESET_TYPE, so a batch can start a new
 * stream from `init()` itself. Appended after the definition's own code (its line
 * numbers stay); a script that assigns no proper definition is left for the
 * sandbox's own check to describe.
 */
function withResetHandler(source: string): string {
  return `${source}
;(function () {
  var d = globalThis.definition;
  if (d === null || typeof d !== 'object' || typeof d.init !== 'function' || (d.handlers !== undefined && (d.handlers === null || typeof d.handlers !== 'object'))) return;
  var handlers = {};
  var own = d.handlers === undefined ? [] : Object.keys(d.handlers);
  for (var i = 0; i < own.length; i++) handlers[own[i]] = d.handlers[own[i]];
  handlers[${JSON.stringify(RESET_TYPE)}] = function () { return d.init(); };
  globalThis.definition = Object.assign({}, d, { handlers: handlers });
})();
`;
}

/** The chunk with the reset event before its first event. */
function withResetMarker(chunk: Chunk): Chunk {
  const marker = `[0,${JSON.stringify(RESET_TYPE)},null,null,null,null,null,null,null]`;
  const rest = chunk.events.slice(1);
  return {
    ...chunk,
    events: `[${marker}${rest.startsWith(']') ? '' : ','}${rest}`,
    refs: [{ streamId: chunk.refs[0]!.streamId, version: 0, type: RESET_TYPE }, ...chunk.refs],
  };
}

/** A store-encoded replay page as a sandbox batch. */
function replayChunk(page: ReplayPage): Chunk {
  const header = `"s":${JSON.stringify(page.streamId)},"c":${JSON.stringify(page.category)}${page.metadataKeys ? `,"k":${JSON.stringify(page.metadataKeys)}` : ''}`;
  return { header, events: page.events, refs: page.versions.map((v, i) => ({ streamId: page.streamId, version: v, type: page.types[i]! })), category: page.category, reached: page.last?.version ?? null };
}

/** Errors about one stream's replay, as a sentence; undefined for those that stop the whole run. */
function perStreamMessage(err: unknown): string | undefined {
  if (err instanceof SandboxError) return err.message;
  if (err instanceof ChronoError && ['not_found', 'definition_error', 'invalid_input', 'confirmation_required'].includes(err.code)) return err.message;
  return undefined;
}
