/**
 * Replays many streams to many versions with one sandbox worker: the states a
 * replay from each stream's start gives at the versions of its snapshots. Bulk
 * verification and regeneration use it; a replay per snapshot would spawn a
 * worker each time (tens of ms), this resets the state of a live one instead.
 *
 * The version ranges of fifty snapshots are read in one round trip where the
 * store can, and the next batches are read while the sandbox folds the current one.
 * The sandbox folds many streams per message (`Sandbox.applyMany`: up to
 * EVENTS_PER_MESSAGE events), two messages in flight, so the worker never waits for
 * the main thread between short streams. Several snapshots of a stream are reached
 * in one pass: the replay goes on from the previous snapshot's version. When a whole
 * message fails (a timeout, the worker out of memory), its streams are replayed one
 * by one from their start in a fresh worker, so the failure is named per stream.
 */
import { ChronoError } from '../../../src-shared/errors';
import { REPLAY_PAGE_SIZE, type EventStore, type ReplayPage } from '../../stores/event-store';
import {
  Sandbox,
  SandboxError,
  encodeBatch,
  type DefinitionCatalog,
  type ManyItem,
  type ManyOutcome,
  type ResolvedDefinition,
  type SandboxEventRef,
} from './replay-port';

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

interface Range {
  target: ReplayTarget;
  from: number;
  /** Goes on from the previous target's state (same stream, a later version). */
  continues: boolean;
}

/** A target on its way: its outcome once known, delivered to `each` in order. */
interface Entry {
  range: Range;
  outcome?: ReplayOutcome;
  /** Version reached at its last event (before its state comes back). */
  reached: number;
  definition: string;
}

/** One applyMany call in flight and the entries whose last item it carries. */
interface Message {
  result: Promise<ManyOutcome[]>;
  /** Per item: the entry it belongs to and whether it is that entry's last item. */
  items: { entry: Entry; last: boolean }[];
  /** Entries whose last item is in this message. */
  entries: Entry[];
}

/** Snapshot ranges read in one round trip, where the store can (EventStore.readReplayRanges). */
export const RANGES_PER_READ = 50;
/** Batches read ahead of the one being folded. */
export const BATCHES_READ_AHEAD = 3;
/** Events per sandbox message: well inside one evaluation's time limit, enough to amortise the round trip. */
export const EVENTS_PER_MESSAGE = 5000;
/** Messages sent to the worker before the first one's answer is awaited. */
const MESSAGES_IN_FLIGHT = 2;
const READ_PAGE = 1000;
/** Presets of the reference system's own schema, where "auto" picks the built-ins. */
const REFERENCE_PRESETS: readonly string[] = ['classic', 'reference'];

export class SnapshotReplayer {
  private sandbox: Sandbox | undefined;
  private sandboxKey: string | undefined;
  private readonly resolved = new Map<string, Promise<ResolvedDefinition>>();
  /** Reads started by `prepare` for the next `replay`'s targets. */
  private prepared: { targets: readonly ReplayTarget[]; reads: Promise<Chunk[][]>[]; next: number } | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly catalog: DefinitionCatalog,
    private readonly definition: string,
    private readonly signal: AbortSignal,
  ) {}

  /**
   * Starts reading the first batches of the targets the next `replay` will be given (the
   * same array), while the current one folds: a job's next page then starts without
   * waiting for the database.
   */
  prepare(targets: readonly ReplayTarget[]): void {
    const { batches } = this.plan(targets);
    const reads: Promise<Chunk[][]>[] = [];
    while (reads.length < BATCHES_READ_AHEAD && reads.length < batches.length) reads.push(this.startRead(batches[reads.length]!));
    this.prepared = { targets, reads, next: reads.length };
  }

  /**
   * Calls `each` with every target's outcome, in order. Targets must come in
   * (stream, version) order. Errors of one stream (its definition threw) are outcomes;
   * a lost database or an abort rejects.
   */
  async replay(targets: readonly ReplayTarget[], each: (target: ReplayTarget, outcome: ReplayOutcome) => Promise<void> | void): Promise<void> {
    const { first, batches } = this.plan(targets);
    // Batches of ranges read in one round trip each, BATCHES_READ_AHEAD of them ahead of the fold.
    const prepared = this.prepared?.targets === targets ? this.prepared : undefined;
    this.prepared = undefined;
    const reads: Promise<Chunk[][]>[] = prepared?.reads ?? [];
    let next = prepared?.next ?? 0;
    const fill = () => {
      while (reads.length < BATCHES_READ_AHEAD && next < batches.length) {
        reads.push(this.startRead(batches[next]!));
        next += 1;
      }
    };

    const queue: Entry[] = [];
    const inFlight: Message[] = [];
    /** The last stream whose replay failed, and why: its later targets fail alike. */
    let failed: { streamId: string; message: string } | undefined;
    let reached = first - 1;
    let building: { sandbox: Sandbox; key: string; items: ManyItem[]; owners: Message['items']; events: number } | undefined;

    const deliver = async () => {
      while (queue[0]?.outcome) {
        const entry = queue.shift()!;
        await each(entry.range.target, entry.outcome!);
      }
    };
    const send = () => {
      if (!building || building.items.length === 0) return;
      const result = building.sandbox.applyMany(building.items);
      result.catch(() => undefined); // settled in turn
      inFlight.push({ result, items: building.owners, entries: [...new Set(building.owners.filter((o) => o.last).map((o) => o.entry))] });
      building = { ...building, items: [], owners: [], events: 0 };
    };
    const fail = (entry: Entry, message: string) => {
      entry.outcome = { ok: false, message };
      failed = { streamId: entry.range.target.streamId, message };
    };
    /** The oldest message's answers; when the whole message failed, it and every message after it are replayed stream by stream. */
    const settle = async () => {
      const message = inFlight.shift()!;
      let outcomes: ManyOutcome[];
      try {
        outcomes = await message.result;
      } catch (err) {
        this.throwIfAborted();
        if (!(err instanceof SandboxError)) throw err;
        const dead = [message, ...inFlight.splice(0)];
        await Promise.allSettled(dead.map((m) => m.result));
        for (const entry of dead.flatMap((m) => m.entries)) await this.replayAlone(entry, first, failed, (f) => (failed = f));
        building = undefined;
        return;
      }
      for (const [i, outcome] of outcomes.entries()) {
        const { entry, last } = message.items[i]!;
        if (entry.outcome) continue;
        if (!outcome.ok) {
          fail(
            entry,
            'skipped' in outcome
              ? failed?.streamId === entry.range.target.streamId
                ? failed.message
                : 'An earlier event of this stream failed.'
              : outcome.error.message,
          );
        } else if (last) {
          entry.outcome = { ok: true, state: outcome.state ?? null, reached: entry.reached, definition: entry.definition };
        }
      }
    };

    try {
      for (const batch of batches) {
        this.throwIfAborted();
        fill();
        const chunkLists = await reads.shift()!;
        for (const [index, range] of batch.entries()) {
          const chunks = chunkLists[index]!;
          const { target } = range;
          if (!range.continues) reached = first - 1;
          for (const chunk of chunks) if (chunk.reached !== null) reached = chunk.reached;
          const entry: Entry = { range, reached, definition: '' };
          queue.push(entry);
          if (range.continues && failed?.streamId === target.streamId) {
            entry.outcome = { ok: false, message: failed.message };
            continue;
          }
          let resolved: ResolvedDefinition;
          try {
            resolved = await this.resolve(target.streamId, chunks[0]?.category ?? null);
          } catch (err) {
            const message = perStreamMessage(err);
            if (message === undefined) throw err;
            fail(entry, message);
            continue;
          }
          entry.definition = resolved.name;
          const key = sandboxKeyOf(resolved);
          if (!building || building.key !== key || !building.sandbox.alive) {
            // Another definition (or a worker lost meanwhile): what was sent to the old one is answered first.
            send();
            while (inFlight.length > 0) await settle();
            try {
              building = { sandbox: await this.sandboxFor(resolved), key, items: [], owners: [], events: 0 };
            } catch (err) {
              this.throwIfAborted();
              const message = perStreamMessage(err);
              if (message === undefined) throw err;
              fail(entry, message);
              building = undefined;
              continue;
            }
          }
          const parts: Chunk[] = chunks.length > 0 ? chunks : [emptyChunk(target.streamId)];
          for (const [i, chunk] of parts.entries()) {
            const last = i === parts.length - 1;
            if (building.events > 0 && building.events + chunk.refs.length > EVENTS_PER_MESSAGE) {
              send();
              while (inFlight.length >= MESSAGES_IN_FLIGHT) await settle();
              if (!building) {
                // The worker failed meanwhile, with the start of this target: it is replayed on its own.
                await this.replayAlone(entry, first, failed, (f) => (failed = f));
                break;
              }
            }
            building.items.push({ header: chunk.header, events: chunk.events, refs: chunk.refs, reset: i === 0 && !range.continues, state: last });
            building.owners.push({ entry, last });
            building.events += chunk.refs.length;
          }
          await deliver();
        }
        send();
        while (inFlight.length >= MESSAGES_IN_FLIGHT) await settle();
        await deliver();
      }
      send();
      while (inFlight.length > 0) await settle();
      await deliver();
    } finally {
      await Promise.allSettled([...reads.splice(0), ...inFlight.splice(0).map((m) => m.result)]);
    }
  }

  /** Each target's version range (from the previous target's version when it continues a stream), in batches of RANGES_PER_READ. */
  private plan(targets: readonly ReplayTarget[]): { first: number; batches: Range[][] } {
    const first = this.store.describe().firstVersion;
    const ranges: Range[] = targets.map((t, i) => {
      const previous = i > 0 ? targets[i - 1] : undefined;
      const continues = previous !== undefined && previous.streamId === t.streamId && previous.version < t.version;
      return { target: t, from: continues ? previous.version + 1 : first, continues };
    });
    const batches: Range[][] = [];
    for (let i = 0; i < ranges.length; i += RANGES_PER_READ) batches.push(ranges.slice(i, i + RANGES_PER_READ));
    return { first, batches };
  }

  private startRead(batch: readonly Range[]): Promise<Chunk[][]> {
    const read = this.readBatch(batch.map((r) => ({ streamId: r.target.streamId, from: r.from, to: r.target.version })));
    read.catch(() => undefined); // awaited in turn, or dropped on abort: never unhandled
    return read;
  }

  /**
   * One target replayed from its stream's start on its own, after the message
   * carrying it failed as a whole; a failure here is this stream's.
   */
  private async replayAlone(
    entry: Entry,
    first: number,
    failed: { streamId: string; message: string } | undefined,
    setFailed: (f: { streamId: string; message: string }) => void,
  ): Promise<void> {
    if (entry.outcome) return;
    const { target } = entry.range;
    if (entry.range.continues && failed?.streamId === target.streamId) {
      entry.outcome = { ok: false, message: failed.message };
      return;
    }
    try {
      const chunks = await this.read(target.streamId, first, target.version);
      const resolved = await this.resolve(target.streamId, chunks[0]?.category ?? null);
      const sandbox = await this.sandboxFor(resolved);
      await sandbox.reset();
      let state: unknown;
      let hasState = false;
      let reached = first - 1;
      for (const [i, chunk] of chunks.entries()) {
        const last = i === chunks.length - 1;
        if (chunk.refs.length > 0) {
          const applied = await sandbox.applyEncoded(`{${chunk.header},"e":${chunk.events}}`, chunk.refs, { state: last });
          if (last) {
            state = applied.state;
            hasState = true;
          }
        }
        if (chunk.reached !== null) reached = chunk.reached;
      }
      if (!hasState) state = await sandbox.state();
      entry.outcome = { ok: true, state, reached, definition: resolved.name };
    } catch (err) {
      this.throwIfAborted();
      const message = perStreamMessage(err);
      if (message === undefined) throw err;
      entry.outcome = { ok: false, message };
      setFailed({ streamId: target.streamId, message });
    }
  }

  async close(): Promise<void> {
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    this.sandboxKey = undefined;
    await sandbox?.close();
  }

  /** The replayer's sandbox for a definition (its state is the caller's to reset); a new worker when the definition changed or the last one died. */
  private async sandboxFor(resolved: ResolvedDefinition): Promise<Sandbox> {
    const key = sandboxKeyOf(resolved);
    if (this.sandbox && (!this.sandbox.alive || this.sandboxKey !== key)) await this.close();
    if (!this.sandbox) {
      // One worker per replayer: a second one could wait forever for a slot the first holds.
      this.sandbox = await Sandbox.start(resolved.source.source, resolved.source.name, { signal: this.signal });
      this.sandboxKey = key;
    }
    return this.sandbox;
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
    const pages =
      this.store.readReplayRanges && wanted.length > 0
        ? await this.store.readReplayRanges(wanted.map((r) => ({ streamId: r.streamId, fromVersion: r.from, toVersion: r.to })))
        : null;
    if (pages) {
      const byRange = new Map(wanted.map((r, i) => [r, pages[i]!]));
      return Promise.all(
        ranges.map(async (r) => {
          const page = byRange.get(r);
          if (!page) return [];
          const chunks = [replayChunk(page)];
          // A range cut at the page size goes on from where it stopped.
          if (page.last && page.read >= REPLAY_PAGE_SIZE && page.last.version < r.to)
            chunks.push(...(await this.read(r.streamId, page.last.version + 1, r.to)));
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
      chunks.push({
        header,
        events: encoded.slice(`{${header},"e":`.length, -1),
        refs: page.events.map((e) => ({ streamId: e.streamId, version: e.version, type: e.type })),
        category: page.events[0]!.category ?? null,
        reached: last.version,
      });
    }
    return chunks;
  }

  private throwIfAborted(): void {
    if (this.signal.aborted) throw Object.assign(new Error('The job was stopped.'), { name: 'AbortError' });
  }
}

function sandboxKeyOf(resolved: ResolvedDefinition): string {
  return `${resolved.name}\n${resolved.source.source}`;
}

/** A stream without events in its range: folds nothing, answers the state. */
function emptyChunk(streamId: string): Chunk {
  return { header: `"s":${JSON.stringify(streamId)},"c":null`, events: '[]', refs: [], category: null, reached: null };
}

/** A store-encoded replay page as a sandbox batch. */
function replayChunk(page: ReplayPage): Chunk {
  const header = `"s":${JSON.stringify(page.streamId)},"c":${JSON.stringify(page.category)}${page.metadataKeys ? `,"k":${JSON.stringify(page.metadataKeys)}` : ''}`;
  return {
    header,
    events: page.events,
    refs: page.versions.map((v, i) => ({ streamId: page.streamId, version: v, type: page.types[i]! })),
    category: page.category,
    reached: page.last?.version ?? null,
  };
}

/** Errors about one stream's replay, as a sentence; undefined for those that stop the whole run. */
function perStreamMessage(err: unknown): string | undefined {
  if (err instanceof SandboxError) return err.message;
  if (err instanceof ChronoError && ['not_found', 'definition_error', 'invalid_input', 'confirmation_required'].includes(err.code)) return err.message;
  return undefined;
}
