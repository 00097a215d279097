/**
 * The EventStore contract: what every adapter does with the same five events
 * (fixtures.ts EVENTS: three streams, global positions 1,2,3,5,6 with a hole at 4).
 * Called inside a describe block that opened the store (PostgreSQL presets,
 * PGlite, FerretDB layouts, the in-memory port of unit tests); it holds no
 * service of its own, so unit tests can run it too.
 */
import { expect, it } from 'vitest';
import { StoreCapabilityError, type EventStore, type StoreCapabilities, type StoredEventView } from '../../../src-main/stores/event-store';
import { EVENTS, type TestEvent } from './fixtures';

export interface EventStoreSubject {
  /** What `describe()` says, checked with toMatchObject; whether it has a feed decides which feed tests run. */
  capabilities: Partial<StoreCapabilities> & { hasGlobalPosition: boolean };
  /** The stream id as the store shows it. */
  streamId(name: string): string;
  /** Stream ids are text, so prefix and search filters mean something. */
  textIds: boolean;
  /** The correlation id the store exposes for an event, when it has correlations. */
  correlation?(e: TestEvent): string | undefined;
  /** Stream ids that cannot exist in this store (a text id where ids are uuids). */
  missingStreamId: string;
}

const positions = (events: StoredEventView[]) => events.map((e) => e.position);

/** Registers the contract's tests; `store()` is read when each test runs. */
export function eventStoreContract(store: () => EventStore, subject: EventStoreSubject): void {
  const sid = (name: string) => subject.streamId(name);

  it('describes its capabilities', () => {
    expect(store().describe()).toMatchObject({ maxPageSize: 1000, hasCategory: true, ...subject.capabilities });
  });

  it('lists streams in keyset pages with counts and last activity', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await store().listStreams({ limit: 2, ...(after ? { after } : {}) });
      expect(page.streams.length).toBeLessThanOrEqual(2);
      seen.push(...page.streams.map((s) => s.streamId));
      after = page.nextCursor ?? undefined;
      pages += 1;
    } while (after && pages < 10);
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(3);
    expect([...seen].sort()).toEqual(['account-1', 'account-2', 'order-1'].map(sid).sort());

    const all = await store().listStreams({ limit: 10 });
    expect(all.nextCursor).toBeNull();
    const account1 = all.streams.find((s) => s.streamId === sid('account-1'));
    expect(account1).toMatchObject({ category: 'account', eventCount: 2, lastVersion: 2 });
    expect(new Date(account1!.lastActivity!).toISOString()).toBe(EVENTS[2]!.timestamp);
  });

  it('filters streams by category, prefix and search, taking wildcards literally', async () => {
    const accounts = await store().listStreams({ category: 'account', limit: 10 });
    expect(accounts.streams.map((s) => s.streamId).sort()).toEqual([sid('account-1'), sid('account-2')].sort());
    const orders = await store().listStreams({ category: 'order', limit: 1 });
    expect(orders.streams.map((s) => s.streamId)).toEqual([sid('order-1')]);
    expect(orders.nextCursor).toBeNull();
    if (subject.textIds) {
      const prefixed = await store().listStreams({ idPrefix: sid('order'), limit: 10 });
      expect(prefixed.streams.map((s) => s.streamId)).toEqual([sid('order-1')]);
      const searched = await store().listStreams({ search: 'UNT-2', limit: 10 });
      expect(searched.streams.map((s) => s.streamId)).toEqual([sid('account-2')]);
      expect((await store().listStreams({ idPrefix: '%', limit: 10 })).streams).toEqual([]);
      expect((await store().listStreams({ idPrefix: '.*', limit: 10 })).streams).toEqual([]);
    }
  });

  it('reads a stream forward and backward by version range, paging both ways', async () => {
    const forward = await store().readStream(sid('account-1'));
    expect(forward.events.map((e) => [e.version, e.type])).toEqual([
      [1, 'AccountOpened'],
      [2, 'MoneyDeposited'],
    ]);
    expect(forward.next).toBeNull();
    const first = forward.events[0]!;
    expect(first).toMatchObject({ streamId: sid('account-1'), category: 'account', data: { owner: 'ann' } });
    if (store().describe().hasGlobalPosition) expect(first.position).toBe('1');
    if (store().describe().hasEventId) expect(first.eventId).toBe(EVENTS[0]!.eventId);
    if (store().describe().hasTimestamp) expect(new Date(first.timestamp!).toISOString()).toBe(EVENTS[0]!.timestamp);
    if (subject.correlation) expect(first.correlationId).toBe(subject.correlation(EVENTS[0]!));

    const forward1 = await store().readStream(sid('account-1'), { limit: 1 });
    expect(forward1.events.map((e) => e.version)).toEqual([1]);
    expect(forward1.next).toMatchObject({ fromVersion: 2 });
    expect((await store().readStream(sid('account-1'), forward1.next!)).events.map((e) => e.version)).toEqual([2]);

    const back1 = await store().readStream(sid('account-1'), { direction: 'backward', limit: 1 });
    expect(back1.events.map((e) => e.version)).toEqual([2]);
    expect(back1.next).toMatchObject({ direction: 'backward', toVersion: 1 });
    const back2 = await store().readStream(sid('account-1'), back1.next!);
    expect(back2.events.map((e) => e.version)).toEqual([1]);
    expect(back2.next).toBeNull();

    const ranged = await store().readStream(sid('account-1'), { fromVersion: 2, toVersion: 2 });
    expect(ranged.events.map((e) => e.version)).toEqual([2]);
    expect(await store().readStream(sid('account-1'), { fromVersion: 3 })).toEqual({ events: [], next: null });
    expect(await store().readStream(subject.missingStreamId)).toEqual({ events: [], next: null });
  });

  if (!subject.capabilities.hasGlobalPosition) {
    it('says it has no global feed', async () => {
      await expect(store().readFeed()).rejects.toThrow(StoreCapabilityError);
      await expect(store().headPosition()).rejects.toThrow(/no global position/);
    });
    return;
  }

  it('pages the global feed across the hole without duplicates or skips', async () => {
    const pages: (string | undefined)[][] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await store().readFeed({ limit: 2, ...(after ? { afterPosition: after } : {}) });
      pages.push(positions(page.events));
      if (!page.nextAfterPosition) break;
      after = page.nextAfterPosition;
    }
    expect(pages).toEqual([['1', '2'], ['3', '5'], ['6']]);
    expect(await store().headPosition()).toBe('6');
  });

  it('filters the feed by event type, category and time', async () => {
    const opened = await store().readFeed({ eventTypes: ['AccountOpened'], limit: 10 });
    expect(positions(opened.events)).toEqual(['1', '5']);
    const orders = await store().readFeed({ category: 'order', limit: 10 });
    expect(positions(orders.events)).toEqual(['2', '6']);
    const window = await store().readFeed({ from: EVENTS[1]!.timestamp, to: EVENTS[4]!.timestamp, limit: 10 });
    expect(positions(window.events)).toEqual(['2', '3', '5']);
    const afterGap = await store().readFeed({ afterPosition: '3', eventTypes: ['AccountOpened', 'OrderShipped'], limit: 1 });
    expect(positions(afterGap.events)).toEqual(['5']);
    expect(afterGap.nextAfterPosition).toBe('5');
    await expect(store().readFeed({ afterPosition: '1; DROP TABLE x' })).rejects.toThrow(/64-bit decimal/);
  });
}
