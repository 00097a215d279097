import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { testServices } from '../env';
import { emmettStream, insertStreams } from '../stores/emmett-mongo-fixtures';

/** Emmett's MongoDB layout end to end through the dispatcher: detect, confirm, list, read; the feed refused. */
describe("browsing Emmett's MongoDB event store (FerretDB) through the engine", () => {
  const database = `browse_emmett_${randomBytes(4).toString('hex')}`;
  const emptyDatabase = `browse_emmett_empty_${randomBytes(4).toString('hex')}`;
  let engine: Engine;
  let client: MongoClient;
  let connectionId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    client = new MongoClient(testServices.mongoUrl);
    await client.connect();
    const db = client.db(database);
    await insertStreams(db, 'order', [emmettStream('order', '1', 3), emmettStream('order', '2', 1200)]);
    await insertStreams(db, 'customer', [emmettStream('customer', 'a', 1)]);
    engine = await createTestEngine('browse-emmett');
    connectionId = (await call('connections.add', { name: 'Emmett on Mongo', settings: { kind: 'mongo', uri: testServices.mongoUrl, database } })).id;
  });
  afterAll(async () => {
    await engine?.dispose();
    await client?.db(database).dropDatabase();
    await client?.db(emptyDatabase).dropDatabase();
    await client?.close();
  });

  it('detects the layout with evidence and refuses PostgreSQL presets on it', async () => {
    const detected = await call('stores.detect', { connectionId });
    expect(detected.candidates).toEqual([expect.objectContaining({ preset: 'emmett-mongo', source: `${database}.emt:*`, confidence: 1, missing: [] })]);
    expect(detected.candidates[0]!.evidence).toContain('stream collections emt:customer, emt:order');
    await expect(call('stores.configure', { connectionId, preset: 'emmett' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'Preset "emmett" reads PostgreSQL, but this is a MongoDB connection. For Emmett on MongoDB choose "emmett-mongo".',
    });
  });

  it('reads streams once the preset is confirmed, and refuses the feed with the reason', async () => {
    expect(await call('stores.configure', { connectionId, preset: 'emmett-mongo', reason: 'ticket 7' })).toMatchObject({
      backend: 'mongo',
      preset: 'emmett-mongo',
      hasGlobalPosition: false,
    });
    expect((await call('stores.detect', { connectionId })).confirmed).toBe('emmett-mongo');
    const listed = await call('streams.list', { connectionId, limit: 2 });
    expect(listed.streams.map((s) => [s.streamId, s.category, s.eventCount])).toEqual([
      ['customer:a', 'customer', 1],
      ['order:1', 'order', 3],
    ]);
    const rest = await call('streams.list', { connectionId, limit: 2, after: listed.nextCursor! });
    expect(rest).toMatchObject({ streams: [expect.objectContaining({ streamId: 'order:2', eventCount: 1200 })], nextCursor: null });
    expect((await call('streams.list', { connectionId, category: 'customer' })).streams.map((s) => s.streamId)).toEqual(['customer:a']);

    const last = await call('streams.read', { connectionId, streamId: 'order:2', direction: 'backward', limit: 1000 });
    expect(last.events.map((e) => e.version).slice(0, 2)).toEqual([1200, 1199]);
    expect(last.next).toEqual({ direction: 'backward', limit: 1000, toVersion: 200 });
    const first = await call('streams.read', { connectionId, streamId: 'order:2', ...last.next! });
    expect(first.events.map((e) => e.version)).toEqual(Array.from({ length: 200 }, (_, i) => 200 - i));
    expect(first.next).toBeNull();
    expect((await call('streams.read', { connectionId, streamId: 'order:1', fromVersion: 2 })).events.map((e) => [e.version, e.eventId])).toEqual([
      [2, 'order:1/2'],
      [3, 'order:1/3'],
    ]);

    // Not a connectivity error: the layout has no global feed, and the answer says where to go instead.
    await expect(call('feed.read', { connectionId })).rejects.toMatchObject({
      code: 'unsupported',
      message:
        "Emmett's MongoDB layout keeps one document per stream and no global position: it has no global feed or live tail. Browse its events stream by stream on the Streams screen.",
    });
    expect(await call('stores.describe', { connectionId })).toMatchObject({ hasGlobalPosition: false });
    await expect(call('stats.histogram', { connectionId, from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', bucket: 'day' })).rejects.toMatchObject({
      code: 'unsupported',
    });
    expect((await call('stats.largestStreams', { connectionId, limit: 1 })).streams).toEqual([{ streamId: 'order:2', category: 'order', eventCount: 1200 }]);
    // The Overview's figures: what the layout cannot give is null, not a failed call.
    expect(await call('stats.store', { connectionId })).toMatchObject({ events: null, streams: null, head: null });
  });

  it('refuses emmett-mongo where there is no emt: collection, and on a PostgreSQL connection', async () => {
    const empty = await call('connections.add', { name: 'Empty Mongo', settings: { kind: 'mongo', uri: testServices.mongoUrl, database: emptyDatabase } });
    expect((await call('stores.detect', { connectionId: empty.id })).candidates).toEqual([]);
    await expect(call('stores.configure', { connectionId: empty.id, preset: 'emmett-mongo' })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('no emt:<streamType> collections'),
    });

    const postgres = await call('connections.add', postgresConnection('Some PostgreSQL', testServices.postgresUrl));
    await expect(call('stores.configure', { connectionId: postgres.id, preset: 'emmett-mongo' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'Preset "emmett-mongo" reads MongoDB, but this is a PostgreSQL connection. For Emmett on PostgreSQL choose "emmett".',
    });
  });
});
