import type { EventStore, ReadStreamOptions, ReadStreamPage, StoreCapabilities, StoredEventView } from '../../../src-main/stores/event-store';
import { MemoryEventStore } from '../stores/memory-event-store';
import { accountDecider, type AccountCommand, type AccountEvent, type AccountState } from '../../../src-main/reference/domain/accounts';
import { DomainRuleViolation } from '../../../src-main/reference/errors';

/**
 * The in-memory EventStore (the one the contract checks), counting the
 * `readStream` pages it serves so replays can be shown to read few pages.
 */
export class MemoryPort extends MemoryEventStore {
  pagesRead = 0;
  maxPageServed = 0;

  asStore(): EventStore {
    return this;
  }

  override describe(): StoreCapabilities {
    return { ...super.describe(), hasCorrelation: false, hasCausation: false };
  }

  override async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<ReadStreamPage> {
    this.pagesRead++;
    const page = await super.readStream(streamId, options);
    this.maxPageServed = Math.max(this.maxPageServed, page.events.length);
    return page;
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
export function generateAccountStream(
  streamId: string,
  count: number,
  seed = 1,
  start = Date.parse('2026-01-01T00:00:00Z'),
): { events: StoredEventView[]; states: AccountState[] } {
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
