import { clampLimit, type EventStore, type ReadStreamOptions, type ReadStreamPage, type StoredEventView } from '../../../src-main/stores/event-store';
import { accountDecider, type AccountCommand, type AccountEvent, type AccountState } from '../../../src-main/reference/domain/accounts';
import { DomainRuleViolation } from '../../../src-main/reference/errors';

/** The EventStore port over arrays, with keyset `readStream` pages; counts the pages it serves. */
export class MemoryPort {
  readonly streams = new Map<string, StoredEventView[]>();
  pagesRead = 0;
  maxPageServed = 0;
  /** Version of each stream's first event (0 as in Message DB, 1 as in most stores). */
  firstVersion = 1;

  asStore(): EventStore {
    const notUsed = (): never => {
      throw new Error('not used by time travel');
    };
    return {
      readStream: (streamId: string, options?: ReadStreamOptions) => this.readStream(streamId, options),
      describe: () => ({
        backend: 'postgres',
        preset: 'memory',
        source: 'memory',
        hasGlobalPosition: true,
        hasCategory: true,
        hasCorrelation: false,
        hasCausation: false,
        hasEventId: true,
        hasTimestamp: true,
        supportsNotify: false,
        maxPageSize: 1000,
        firstVersion: this.firstVersion,
      }),
      histogram: notUsed,
      largestStreams: notUsed,
      listStreams: notUsed,
      readFeed: notUsed,
      headPosition: notUsed,
      close: async () => undefined,
    };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamPage> {
    this.pagesRead++;
    const limit = clampLimit(options.limit);
    const all = (this.streams.get(streamId) ?? []).filter(
      (e) => (options.fromVersion === undefined || e.version >= options.fromVersion) && (options.toVersion === undefined || e.version <= options.toVersion),
    );
    if (options.direction === 'backward') all.reverse();
    const events = all.slice(0, limit);
    this.maxPageServed = Math.max(this.maxPageServed, events.length);
    const last = events[events.length - 1];
    const next = all.length > limit && last ? { ...options, limit, fromVersion: last.version + 1 } : null;
    return { events, next };
  }
}

/** A deterministic pseudo-random generator (mulberry32). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An account stream made by the reference decider from random commands, with the decider's state after each version. */
export function generateAccountStream(streamId: string, count: number, seed = 1, start = Date.parse('2026-01-01T00:00:00Z')): { events: StoredEventView[]; states: AccountState[] } {
  const rnd = random(seed);
  let state = accountDecider.initialState();
  const states: AccountState[] = [state];
  const events: StoredEventView[] = [];
  const commands = (): AccountCommand => {
    if (state.status === 'new') return { type: 'OpenAccount', ownerId: `owner-${seed}`, currency: 'EUR' };
    const r = rnd();
    const amountCents = 1 + Math.floor(rnd() * 10_000);
    if (events.length === count - 1 && state.balanceCents === 0) return { type: 'CloseAccount', reason: 'done' };
    if (r < 0.4) return { type: 'DepositMoney', amountCents };
    if (r < 0.7) return { type: 'WithdrawMoney', amountCents };
    if (r < 0.85) return { type: 'SendTransfer', transferId: `t${events.length}`, toAccountId: 'other', amountCents };
    return { type: 'ReceiveTransfer', transferId: `r${events.length}`, fromAccountId: 'other', amountCents };
  };
  while (events.length < count) {
    let drafts: AccountEvent[];
    try {
      drafts = accountDecider.decide(commands(), state);
    } catch (err) {
      if (err instanceof DomainRuleViolation) continue;
      throw err;
    }
    for (const draft of drafts) {
      state = accountDecider.evolve(state, draft);
      states.push(state);
      const version = events.length + 1;
      events.push({
        streamId,
        category: 'Account',
        version,
        position: String(version),
        eventId: `e-${streamId}-${version}`,
        type: draft.type,
        timestamp: new Date(start + version * 60_000).toISOString(),
        data: draft.data,
        metadata: { schemaVersion: 1 },
      });
    }
  }
  return { events, states };
}
