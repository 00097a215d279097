import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoEventStore, detectMongoPresets } from '../../../src-main/stores/mongo/mongo-event-store';
import { createTestMongo, type TestMongo } from '../reference/support';
import { eventStoreContract } from './event-store-contract';
import { EVENTS } from './fixtures';

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

  eventStoreContract(() => store, {
    capabilities: {
      backend: 'mongo',
      preset: 'reference',
      hasGlobalPosition: true,
      hasCorrelation: true,
      hasEventId: true,
      hasTimestamp: true,
      supportsNotify: false,
    },
    streamId: (name) => name,
    textIds: true,
    correlation: (e) => e.correlationId,
    missingStreamId: 'nope-1',
  });

  it('reads an event document with its metadata, correlation and causation', async () => {
    const forward = await store.readStream('account-1');
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
    const first = await store.listStreams({ limit: 1 });
    expect(first.streams[0]).toEqual({ streamId: 'account-1', category: 'account', eventCount: 2, lastVersion: 2, lastActivity: EVENTS[2]!.timestamp });
  });

  it('refuses feed positions beyond 2^53 (the documents keep numbers)', async () => {
    await expect(store.readFeed({ afterPosition: '9223372036854775807' })).rejects.toThrow(/2\^53/);
  });

  it('detects the reference collection', async () => {
    const [proposal] = await detectMongoPresets(mongo.db);
    expect(proposal?.mapping.preset).toBe('reference');
    expect(proposal!.confidence).toBe(1);
    expect(proposal!.evidence.join('\n')).toMatch(/aggregateId/);
  });
});
