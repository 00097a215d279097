import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PAGE_SIZE, type ReadStreamOptions, type StoredEventView } from '../../../src-main/stores/event-store';
import { detectEmmettMongo } from '../../../src-main/stores/mongo/emmett-mongo-detect';
import { EmmettMongoStore } from '../../../src-main/stores/mongo/emmett-mongo-store';
import { createTestMongo, type TestMongo } from '../reference/support';
import { emmettStream, insertStreams } from './emmett-mongo-fixtures';
import { eventStoreContract } from './event-store-contract';
import { EVENTS } from './fixtures';

const versions = (events: StoredEventView[]) => events.map((e) => e.version);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Reads a whole stream page by page, as the UI does, returning the versions in order of arrival. */
async function readAll(store: EmmettMongoStore, streamId: string, options: ReadStreamOptions): Promise<{ pages: number; versions: number[] }> {
  const seen: number[] = [];
  let next: ReadStreamOptions | null = options;
  let pages = 0;
  while (next) {
    const page = await store.readStream(streamId, next);
    seen.push(...versions(page.events));
    next = page.next;
    pages += 1;
    if (pages > 10) throw new Error('paging does not end');
  }
  return { pages, versions: seen };
}

describe("Emmett's MongoDB layout (one document per stream) on FerretDB", () => {
  let mongo: TestMongo;
  let store: EmmettMongoStore;

  beforeAll(async () => {
    mongo = await createTestMongo('emmett_store');
    await insertStreams(mongo.db, 'order', [
      emmettStream('order', '1', 3, {
        updatedAt: new Date('2026-02-01T10:00:00Z'),
        message: (i) => ({ type: ['OrderPlaced', 'ItemAdded', 'OrderConfirmed'][i]!, data: { i } }),
      }),
      emmettStream('order', '2', 2500),
      emmettStream('order', '3', 1, { positions: 'number', message: () => ({ metadata: { createdAt: new Date('2026-03-01T00:00:00Z') } }) }),
    ]);
    await insertStreams(mongo.db, 'customer', [emmettStream('customer', 'a', 2, { positions: 'string' }), emmettStream('customer', 'b', 1)]);
    // Single-collection storage: a stream type without its own collection.
    await insertStreams(mongo.db, 'streams', [emmettStream('shipment', '1', 2)]);
    await mongo.db.collection('emt:processors').insertOne({ processorId: 'p1', lastCheckpoint: 'token' });
    // Documents that are not what Emmett writes.
    const notArray = { ...emmettStream('broken', 'not-array', 0), messages: 'oops' };
    const { messages: _dropped, ...noMessages } = emmettStream('broken', 'no-messages', 0);
    const noType = emmettStream('broken', 'no-type', 2, { message: (i) => (i === 1 ? { type: undefined as unknown as string } : {}) });
    await insertStreams(mongo.db, 'broken', [notArray, noMessages, noType, emmettStream('broken', 'empty', 0)]);
    store = await EmmettMongoStore.open(mongo.db);
  });

  afterAll(async () => {
    await store?.close();
    await mongo?.drop();
  });

  it('says it has no global position, category from the stream type', () => {
    expect(store.describe()).toMatchObject({
      backend: 'mongo',
      preset: 'emmett-mongo',
      source: `${mongo.name}.emt:*`,
      hasGlobalPosition: false,
      hasCategory: true,
      supportsNotify: false,
    });
  });

  it('lists streams of every emt: collection in keyset pages, skipping emt:processors', async () => {
    const names: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await store.listStreams({ limit: 3, ...(after ? { after } : {}) });
      expect(page.streams.length).toBeLessThanOrEqual(3);
      names.push(...page.streams.map((s) => s.streamId));
      after = page.nextCursor ?? undefined;
      pages += 1;
    } while (after);
    expect(names).toEqual([
      'broken:empty',
      'broken:no-messages',
      'broken:no-type',
      'broken:not-array',
      'customer:a',
      'customer:b',
      'order:1',
      'order:2',
      'order:3',
      'shipment:1',
    ]);
    expect(pages).toBe(4);
  });

  it('summarises a stream from its metadata: count from streamPosition (Long, number or string), activity from updatedAt', async () => {
    const { streams } = await store.listStreams({ category: 'order' });
    expect(streams).toEqual([
      { streamId: 'order:1', category: 'order', eventCount: 3, lastVersion: 3, lastActivity: '2026-02-01T10:00:00.000Z' },
      { streamId: 'order:2', category: 'order', eventCount: 2500, lastVersion: 2500, lastActivity: '2026-01-01T00:00:00.000Z' },
      { streamId: 'order:3', category: 'order', eventCount: 1, lastVersion: 1, lastActivity: '2026-01-01T00:00:00.000Z' },
    ]);
    expect((await store.listStreams({ category: 'customer' })).streams.map((s) => [s.streamId, s.eventCount])).toEqual([
      ['customer:a', 2],
      ['customer:b', 1],
    ]);
  });

  it('filters by category with paging, by prefix and by search', async () => {
    const first = await store.listStreams({ category: 'order', limit: 2 });
    expect(first.streams.map((s) => s.streamId)).toEqual(['order:1', 'order:2']);
    const second = await store.listStreams({ category: 'order', limit: 2, after: first.nextCursor! });
    expect(second).toMatchObject({ streams: [expect.objectContaining({ streamId: 'order:3' })], nextCursor: null });
    expect((await store.listStreams({ category: 'shipment' })).streams.map((s) => s.streamId)).toEqual(['shipment:1']);
    expect((await store.listStreams({ idPrefix: 'customer:' })).streams.map((s) => s.streamId)).toEqual(['customer:a', 'customer:b']);
    expect((await store.listStreams({ search: 'ORDER:2' })).streams.map((s) => s.streamId)).toEqual(['order:2']);
    expect((await store.listStreams({ idPrefix: '.*' })).streams).toEqual([]);
  });

  it('reads a stream as Emmett wrote it', async () => {
    const page = await store.readStream('order:1');
    expect(page.next).toBeNull();
    expect(page.events.map((e) => e.type)).toEqual(['OrderPlaced', 'ItemAdded', 'OrderConfirmed']);
    expect(page.events[0]).toEqual({
      streamId: 'order:1',
      category: 'order',
      version: 1,
      eventId: 'order:1/1',
      type: 'OrderPlaced',
      timestamp: null,
      data: { i: 0 },
      metadata: { eventId: 'order:1/1', streamName: 'order:1', streamPosition: 1 },
    });
    const [withTime] = (await store.readStream('order:3')).events;
    expect(withTime).toMatchObject({ version: 1, timestamp: '2026-03-01T00:00:00.000Z' });
    expect(versions((await store.readStream('customer:a')).events)).toEqual([1, 2]);
  });

  it('finds a stream kept in the shared emt:streams collection', async () => {
    expect((await store.readStream('shipment:1')).events.map((e) => [e.streamId, e.category, e.version])).toEqual([
      ['shipment:1', 'shipment', 1],
      ['shipment:1', 'shipment', 2],
    ]);
  });

  it('pages a 2500-message stream forward and backward without gaps or repeats', async () => {
    const forward = await readAll(store, 'order:2', { limit: MAX_PAGE_SIZE });
    expect(forward).toEqual({ pages: 3, versions: range(1, 2500) });
    const backward = await readAll(store, 'order:2', { direction: 'backward', limit: MAX_PAGE_SIZE });
    expect(backward).toEqual({ pages: 3, versions: range(1, 2500).reverse() });
    const first = await store.readStream('order:2', { limit: 1000 });
    expect(first.next).toEqual({ direction: 'forward', limit: 1000, fromVersion: 1001 });
    const last = await store.readStream('order:2', { direction: 'backward', limit: 1000 });
    expect(last.next).toEqual({ direction: 'backward', limit: 1000, toVersion: 1500 });
    expect(last.events[0]).toMatchObject({ version: 2500, data: { n: 2500 } });
  });

  it('reads version ranges, forward and backward, including their edges', async () => {
    expect(versions((await store.readStream('order:2', { fromVersion: 999, toVersion: 1002 })).events)).toEqual([999, 1000, 1001, 1002]);
    expect(versions((await store.readStream('order:2', { fromVersion: 999, toVersion: 1002, direction: 'backward' })).events)).toEqual([1002, 1001, 1000, 999]);
    const ranged = await readAll(store, 'order:2', { fromVersion: 10, toVersion: 14, limit: 2 });
    expect(ranged).toEqual({ pages: 3, versions: [10, 11, 12, 13, 14] });
    const rangedBack = await readAll(store, 'order:2', { fromVersion: 10, toVersion: 14, limit: 2, direction: 'backward' });
    expect(rangedBack).toEqual({ pages: 3, versions: [14, 13, 12, 11, 10] });
    expect(versions((await store.readStream('order:2', { fromVersion: 2500 })).events)).toEqual([2500]);
    expect(await store.readStream('order:2', { fromVersion: 2501 })).toEqual({ events: [], next: null });
    expect(await store.readStream('order:2', { fromVersion: 5, toVersion: 4 })).toEqual({ events: [], next: null });
    // A toVersion past the end starts from the last message, not from an empty page.
    expect(versions((await store.readStream('order:2', { toVersion: 9999, direction: 'backward', limit: 2 })).events)).toEqual([2500, 2499]);
    expect(versions((await store.readStream('order:2', { fromVersion: 0, limit: 2 })).events)).toEqual([1, 2]);
  });

  it('returns an empty page for a stream that does not exist', async () => {
    expect(await store.readStream('order:404')).toEqual({ events: [], next: null });
    expect(await store.readStream('no-type-prefix')).toEqual({ events: [], next: null });
    expect(await store.readStream('broken:empty')).toEqual({ events: [], next: null });
    expect(await store.readStream('broken:empty', { direction: 'backward' })).toEqual({ events: [], next: null });
  });

  it('refuses the global feed and the timeline with a clear reason', async () => {
    await expect(store.readFeed()).rejects.toThrow(
      /no global position: it has no global feed or live tail. Browse its events stream by stream on the Streams screen./,
    );
    await expect(store.histogram()).rejects.toThrow(/no per-event time/);
  });

  it('lists the largest streams by message count', async () => {
    const largest = await store.largestStreams(3);
    expect(largest).toEqual([
      { streamId: 'order:2', category: 'order', eventCount: 2500 },
      { streamId: 'order:1', category: 'order', eventCount: 3 },
      { streamId: 'broken:no-type', category: 'broken', eventCount: 2 },
    ]);
  });

  it('names the stream and what is wrong when a document is not in Emmett shape', async () => {
    await expect(store.readStream('broken:not-array')).rejects.toThrow(
      'stream broken:not-array in emt:broken has a "messages" field that is not an array: this is not an Emmett stream document',
    );
    await expect(store.readStream('broken:no-messages')).rejects.toThrow('stream broken:no-messages in emt:broken has no "messages" field');
    await expect(store.readStream('broken:no-type')).rejects.toThrow('message 2 of stream broken:no-type (emt:broken) has no type');
    expect(versions((await store.readStream('broken:no-type', { limit: 1 })).events)).toEqual([1]);
    await expect(store.readStream('broken:not-array', { direction: 'backward' })).rejects.toThrow(/not an array/);
  });
});

describe('the EventStore contract on Emmett streams (FerretDB)', () => {
  let mongo: TestMongo;
  let store: EmmettMongoStore;

  beforeAll(async () => {
    mongo = await createTestMongo('emmett_contract');
    // The contract's five events, one stream document per stream as Emmett appends them.
    for (const category of ['account', 'order']) {
      const names = [...new Set(EVENTS.filter((e) => e.category === category).map((e) => e.stream))];
      const docs = names.map((name) => {
        const events = EVENTS.filter((e) => e.stream === name);
        return emmettStream(category, name, events.length, {
          updatedAt: new Date(events[events.length - 1]!.timestamp),
          message: (i) => ({
            type: events[i]!.type,
            data: events[i]!.data,
            metadata: { eventId: events[i]!.eventId, createdAt: new Date(events[i]!.timestamp) },
          }),
        });
      });
      await insertStreams(mongo.db, category, docs);
    }
    store = await EmmettMongoStore.open(mongo.db);
  });

  afterAll(async () => {
    await store?.close();
    await mongo?.drop();
  });

  eventStoreContract(() => store, {
    capabilities: { backend: 'mongo', preset: 'emmett-mongo', hasGlobalPosition: false, hasEventId: true, supportsNotify: false },
    streamId: (name) => `${name.split('-')[0]}:${name}`,
    textIds: true,
    missingStreamId: 'account:nope-1',
  });
});

describe('detecting Emmett on MongoDB', () => {
  let mongo: TestMongo;

  beforeAll(async () => {
    mongo = await createTestMongo('emmett_detect');
  });
  afterAll(async () => {
    await mongo?.drop();
  });

  it('proposes nothing for a database without emt: collections', async () => {
    await mongo.db.collection('events').insertOne({ aggregateId: 'x' });
    expect(await detectEmmettMongo(mongo.db)).toEqual([]);
  });

  it('proposes emmett-mongo with the collections, the unique index and the sampled shape as evidence', async () => {
    await insertStreams(mongo.db, 'order', [emmettStream('order', '1', 2)]);
    await insertStreams(mongo.db, 'customer', [emmettStream('customer', 'c', 1)]);
    await mongo.db.collection('emt:processors').insertOne({ processorId: 'p1' });
    const [proposal, ...others] = await detectEmmettMongo(mongo.db);
    expect(others).toEqual([]);
    expect(proposal).toEqual({
      collections: ['emt:customer', 'emt:order'],
      confidence: 1,
      evidence: [
        'stream collections emt:customer, emt:order',
        'unique index on streamName in every stream collection',
        'emt:customer document customer:c: streamName, metadata{streamId, streamType, streamPosition, createdAt, updatedAt}',
        'its first message: type, data, metadata{eventId, streamName, streamPosition}',
        'processor checkpoints in emt:processors',
      ],
      missing: [],
    });
  });

  it('lowers confidence and says what is missing without the unique index', async () => {
    await mongo.db.collection('emt:legacy').insertOne(emmettStream('legacy', '1', 1));
    const [proposal] = await detectEmmettMongo(mongo.db);
    expect(proposal).toMatchObject({ confidence: 0.8, missing: ['unique index on streamName in emt:legacy'] });
  });
});
