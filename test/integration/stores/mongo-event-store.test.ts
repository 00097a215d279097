import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEventView } from '../../../src-main/stores/event-store';
import { MongoEventStore, detectMongoPresets } from '../../../src-main/stores/mongo/mongo-event-store';
import { createTestMongo, type TestMongo } from '../reference/support';
import { EVENTS } from './fixtures';

const positions = (events: StoredEventView[]) => events.map((e) => e.position);

describe('MongoDB (FerretDB) one-document-per-event store', () => {
  let mongo: TestMongo;
  let store: MongoEventStore;

  beforeAll(async () => {
    mongo = await createTestMongo('stores');
    // The reference system's document shape (src-main/reference/mongo/event-store.ts).
    await mongo.db.collection('events').insertMany(
      EVENTS.map((e) => ({
        _id: e.eventId as unknown as never,
        aggregateId: e.stream,
        aggregateType: e.category,
        type: e.type,
        version: e.version,
        timestamp: new Date(e.timestamp),
        data: e.data,
        metadata: { correlationId: e.correlationId, causationId: e.eventId, userId: 'u1', schemaVersion: 1 },
        position: e.position,
        published: true,
      })),
    );
    await mongo.db.collection('events').createIndex({ aggregateId: 1, version: 1 }, { unique: true });
    await mongo.db.collection('events').createIndex({ position: 1 });
    store = new MongoEventStore(mongo.db);
  });

  afterAll(async () => {
    await store?.close();
    await mongo?.drop();
  });

  it('describes its capabilities', () => {
    expect(store.describe()).toMatchObject({ backend: 'mongo', preset: 'reference', hasGlobalPosition: true, hasCategory: true, hasCorrelation: true, supportsNotify: false });
  });

  it('lists streams in keyset pages with counts and last activity', async () => {
    const first = await store.listStreams({ limit: 2 });
    expect(first.streams.map((s) => s.streamId)).toEqual(['account-1', 'account-2']);
    expect(first.nextCursor).not.toBeNull();
    const second = await store.listStreams({ limit: 2, after: first.nextCursor! });
    expect(second.streams.map((s) => s.streamId)).toEqual(['order-1']);
    expect(second.nextCursor).toBeNull();
    expect(first.streams[0]).toEqual({ streamId: 'account-1', category: 'account', eventCount: 2, lastVersion: 2, lastActivity: EVENTS[2]!.timestamp });
  });

  it('filters streams by category, prefix and search', async () => {
    expect((await store.listStreams({ category: 'order' })).streams.map((s) => s.streamId)).toEqual(['order-1']);
    expect((await store.listStreams({ idPrefix: 'account-' })).streams.map((s) => s.streamId)).toEqual(['account-1', 'account-2']);
    expect((await store.listStreams({ search: 'UNT-2' })).streams.map((s) => s.streamId)).toEqual(['account-2']);
    expect((await store.listStreams({ idPrefix: '.*' })).streams).toEqual([]);
  });

  it('reads a stream forward and backward', async () => {
    const forward = await store.readStream('account-1');
    expect(forward.events.map((e) => e.version)).toEqual([1, 2]);
    expect(forward.events[0]).toEqual({
      streamId: 'account-1',
      category: 'account',
      version: 1,
      position: '1',
      eventId: EVENTS[0]!.eventId,
      type: 'AccountOpened',
      timestamp: EVENTS[0]!.timestamp,
      data: { owner: 'ann' },
      metadata: { correlationId: 'corr-account-1', causationId: EVENTS[0]!.eventId, userId: 'u1', schemaVersion: 1 },
      correlationId: 'corr-account-1',
      causationId: EVENTS[0]!.eventId,
    });
    const back = await store.readStream('account-1', { direction: 'backward', limit: 1 });
    expect(back.events.map((e) => e.version)).toEqual([2]);
    const back2 = await store.readStream('account-1', back.next!);
    expect(back2.events.map((e) => e.version)).toEqual([1]);
    expect(back2.next).toBeNull();
    expect((await store.readStream('account-1', { fromVersion: 2 })).events.map((e) => e.version)).toEqual([2]);
  });

  it('pages the feed across the gap without duplicates or skips', async () => {
    const pages: (string | undefined)[][] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await store.readFeed({ limit: 2, ...(after ? { afterPosition: after } : {}) });
      pages.push(positions(page.events));
      if (!page.nextAfterPosition) break;
      after = page.nextAfterPosition;
    }
    expect(pages).toEqual([['1', '2'], ['3', '5'], ['6']]);
    expect(await store.headPosition()).toBe('6');
  });

  it('filters the feed by type, category and time', async () => {
    expect(positions((await store.readFeed({ eventTypes: ['AccountOpened'] })).events)).toEqual(['1', '5']);
    expect(positions((await store.readFeed({ category: 'order' })).events)).toEqual(['2', '6']);
    expect(positions((await store.readFeed({ from: EVENTS[1]!.timestamp, to: EVENTS[4]!.timestamp })).events)).toEqual(['2', '3', '5']);
    await expect(store.readFeed({ afterPosition: '9223372036854775807' })).rejects.toThrow(/2\^53/);
  });

  it('detects the reference collection', async () => {
    const [proposal] = await detectMongoPresets(mongo.db);
    expect(proposal?.mapping.preset).toBe('reference');
    expect(proposal!.confidence).toBe(1);
    expect(proposal!.evidence.join('\n')).toMatch(/aggregateId/);
  });
});
