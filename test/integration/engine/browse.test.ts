import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultOf } from '../../../src-shared/operations';
import type { Engine } from '../../../src-main/engine/engine';
import { CLASSIC_EVENTS_DDL } from '../../../src-main/stores/postgres/classic-schema';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { testServices } from '../env';
import { createTestDatabase, type TestDatabase } from '../reference/support';

/** The browse operations end to end through the dispatcher, on a real PostgreSQL database of its own. */
describe('browsing an event store through the engine', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    db = await createTestDatabase('browse');
    await db.pool.query(CLASSIC_EVENTS_DDL);
    const events: [string, string, string, number][] = [
      ['account-1', 'Account', 'AccountOpened', 1],
      ['account-1', 'Account', 'MoneyDeposited', 2],
      ['product-1', 'Product', 'ProductCreated', 1],
      ['account-1', 'Account', 'MoneyDeposited', 3],
      ['product-1', 'Product', 'PriceChanged', 2],
    ];
    for (const [aggregate, type, eventType, version] of events) {
      await db.pool.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [randomUUID(), aggregate, type, eventType, version, { version }, { correlationId: 'c-1', userId: 'u-7' }],
      );
    }
    engine = await createTestEngine('browse');
    connectionId = (await call('connections.add', postgresConnection('Browse test', db.url))).id;
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('asks for a confirmed preset before reading', async () => {
    await expect(call('streams.list', { connectionId })).rejects.toMatchObject({ code: 'not_found', details: { next: 'stores.detect' } });
  });

  it('detects the classic schema with evidence, and remembers the confirmed preset', async () => {
    const detected = await call('stores.detect', { connectionId });
    expect(detected.confirmed).toBeUndefined();
    expect(detected.candidates[0]).toMatchObject({ preset: 'classic', source: 'public.events' });
    expect(detected.candidates[0]!.evidence.length).toBeGreaterThan(0);
    const capabilities = await call('stores.configure', { connectionId, preset: 'classic', reason: 'support ticket 12' });
    expect(capabilities).toMatchObject({ backend: 'postgres', preset: 'classic', hasGlobalPosition: true });
    expect((await call('stores.detect', { connectionId })).confirmed).toBe('classic');
    expect((await call('audit.list', { operation: 'stores.configure' })).records[0]).toMatchObject({ reason: 'support ticket 12', outcome: 'ok' });
  });

  it('refuses a preset whose tables are not there, naming what is missing', async () => {
    await expect(call('stores.configure', { connectionId, preset: 'marten' })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('mt_events'),
    });
    expect((await call('stores.describe', { connectionId })).preset).toBe('classic');
  });

  it('accepts a custom mapping only when the live schema has its columns', async () => {
    const columns = {
      streamId: 'aggregate_id',
      version: 'event_version',
      type: 'event_type',
      data: 'event_data',
      metadata: 'metadata',
      position: 'global_position',
      streamType: 'aggregate_type',
    };
    await expect(
      call('stores.configure', {
        connectionId,
        preset: 'custom',
        custom: { table: 'events', columns: { ...columns, timestamp: 'created_at', eventId: 'id' } },
      }),
    ).rejects.toMatchObject({
      code: 'not_found',
      details: { problems: expect.arrayContaining([expect.stringContaining('created_at'), expect.stringContaining('.id does not exist')]) },
    });
    await expect(call('stores.configure', { connectionId, preset: 'custom' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('custom'),
    });
    const custom = await call('stores.configure', {
      connectionId,
      preset: 'custom',
      custom: { table: 'events', columns, metadataKeys: { correlationId: 'correlationId' } },
    });
    expect(custom).toMatchObject({ preset: 'custom', hasGlobalPosition: true, hasTimestamp: false, hasCorrelation: true });
    expect((await call('feed.read', { connectionId, correlationId: 'c-1' })).events).toHaveLength(5);
    await call('stores.configure', { connectionId, preset: 'classic' });
  });

  it('lists streams in keyset pages', async () => {
    const first = await call('streams.list', { connectionId, limit: 1 });
    expect(first.streams).toHaveLength(1);
    expect(first.nextCursor).not.toBeNull();
    const second = await call('streams.list', { connectionId, limit: 1, after: first.nextCursor! });
    const all = [...first.streams, ...second.streams];
    expect(all.map((s) => s.streamId).sort()).toEqual(['account-1', 'product-1']);
    expect(all.find((s) => s.streamId === 'account-1')).toMatchObject({ eventCount: 3, lastVersion: 3, category: 'Account' });
    expect((await call('streams.list', { connectionId, category: 'Product' })).streams.map((s) => s.streamId)).toEqual(['product-1']);
  });

  it('says which index a category listing lacks, and stops saying so once it exists', async () => {
    const byCategory = await call('streams.list', { connectionId, category: 'Product' });
    expect(byCategory.advice?.[0]?.ddl).toBe(
      'CREATE INDEX CONCURRENTLY "events_aggregate_type_aggregate_id_idx" ON "public"."events" ("aggregate_type", "aggregate_id", "event_version");',
    );
    expect((await call('streams.list', { connectionId })).advice).toBeUndefined(); // no category filter, nothing to advise
    await db.pool.query(byCategory.advice![0]!.ddl!);
    const served = await call('streams.list', { connectionId, category: 'Product' });
    expect(served.advice).toBeUndefined();
    expect(served.streams.map((s) => s.streamId)).toEqual(['product-1']);
  });

  it('reads a stream forward and backward', async () => {
    const forward = await call('streams.read', { connectionId, streamId: 'account-1', limit: 2 });
    expect(forward.events.map((e) => e.version)).toEqual([1, 2]);
    expect(forward.events[0]).toMatchObject({ type: 'AccountOpened', data: { version: 1 }, correlationId: 'c-1' });
    const backward = await call('streams.read', { connectionId, streamId: 'account-1', direction: 'backward', limit: 1 });
    expect(backward.events.map((e) => e.version)).toEqual([3]);
  });

  it('reads the global feed filtered by type, after a position', async () => {
    const deposits = await call('feed.read', { connectionId, eventTypes: ['MoneyDeposited'] });
    expect(deposits.events.map((e) => e.type)).toEqual(['MoneyDeposited', 'MoneyDeposited']);
    const positions = deposits.events.map((e) => BigInt(e.position!));
    expect(positions[0]! < positions[1]!).toBe(true);
    const after = await call('feed.read', { connectionId, afterPosition: String(positions[0]), eventTypes: ['MoneyDeposited'] });
    expect(after.events.map((e) => e.position)).toEqual([String(positions[1])]);
  });

  it('follows a correlation id and filters on JSON fields, advising the missing index', async () => {
    const correlated = await call('feed.read', { connectionId, correlationId: 'c-1' });
    expect(correlated.events).toHaveLength(5);
    expect(correlated.advice?.[0]).toMatchObject({
      message: expect.stringContaining('correlation id'),
      ddl: expect.stringContaining(`"metadata" #>> '{"correlationId"}'`),
    });

    // Apply the advised DDL for real: the advice goes away and the results stay the same.
    await db.pool.query(correlated.advice![0]!.ddl!);
    const indexed = await call('feed.read', { connectionId, correlationId: 'c-1' });
    expect(indexed.advice).toBeUndefined();
    expect(indexed.events.map((e) => e.position)).toEqual(correlated.events.map((e) => e.position));

    const byField = await call('feed.read', { connectionId, field: { in: 'data', path: ['version'], op: 'equals', value: '2' } });
    expect(byField.events.map((e) => `${e.streamId}@${e.version}`).sort()).toEqual(['account-1@2', 'product-1@2']);
    const byUser = await call('feed.read', { connectionId, field: { in: 'metadata', path: ['userId'], op: 'contains', value: 'U-' } });
    expect(byUser.events).toHaveLength(5);
    expect(byUser.advice?.[0]?.message).toMatch(/substring/);
    const tricky = await call('feed.read', { connectionId, field: { in: 'data', path: ["it's", 'a"b'], op: 'equals', value: "'; DROP TABLE events; --" } });
    expect(tricky.events).toEqual([]);
    expect((await call('streams.list', { connectionId })).streams).toHaveLength(2);
  });

  it('tails live without skipping a commit that lands late with a lower position', async () => {
    const slow = new pg.Client({ connectionString: db.url });
    const fast = new pg.Client({ connectionString: db.url });
    await Promise.all([slow.connect(), fast.connect()]);
    const insert = (db: pg.Client, aggregate: string, version: number) =>
      db.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES ($1, $2, 'Tail', 'Ticked', $3, '{}') RETURNING global_position::text AS p`,
        [randomUUID(), aggregate, version],
      );
    const seen: string[] = [];
    let started: string | undefined;
    const controller = new AbortController();
    const tail = engine.dispatcher.run(
      'feed.tail',
      { connectionId, category: 'Tail', pollMs: 100, gapTimeoutMs: 20_000 },
      {
        operationId: 'tail',
        signal: controller.signal,
        emit: (data) => {
          const d = data as { events: { position: string }[]; position: string };
          started ??= d.position;
          seen.push(...d.events.map((e) => e.position));
        },
        progress: () => undefined,
      },
    );
    await expect.poll(() => started).toBeDefined(); // the tail has read the head: its first message says where it starts
    await slow.query('BEGIN');
    const late = (await insert(slow, 'tail-a', 1)).rows[0]!.p; // takes the lower position, commits last
    const early = (await insert(fast, 'tail-b', 1)).rows[0]!.p; // autocommit: visible at once
    expect(BigInt(late) < BigInt(early)).toBe(true);
    // Nothing may happen here, so there is no condition to await: six polls' worth of time to (wrongly) emit past the hole.
    await new Promise((r) => setTimeout(r, 600));
    expect(seen).toEqual([]); // not emitted past the hole: that would skip the late commit
    await slow.query('COMMIT');
    await expect.poll(() => seen, { timeout: 5000 }).toEqual([late, early]);
    controller.abort();
    await expect(tail).resolves.toEqual({ position: early });
    await Promise.all([slow.end(), fast.end()]);
  });

  it('exports a stream to NDJSON and the filtered feed to CSV, with progress, and audits it', async () => {
    const progress: number[] = [];
    const context = { operationId: 'x', signal: new AbortController().signal, emit: () => undefined, progress: (p: { done: number }) => progress.push(p.done) };
    const ndjson = (await engine.dispatcher.run(
      'events.export',
      { connectionId, source: { kind: 'stream', streamId: 'account-1' }, format: 'ndjson', reason: 'ticket 9' },
      context,
    )) as ResultOf<'events.export'>;
    expect(ndjson).toMatchObject({ events: 3, fileName: expect.stringMatching(/^stream-account-1-.*\.ndjson$/) });
    const lines = (await readFile(ndjson.path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(progress.at(-1)).toBe(3);

    const csv = await call('events.export', {
      connectionId,
      source: { kind: 'feed', eventTypes: ['MoneyDeposited'] },
      format: 'csv',
      fileName: 'deposits.csv',
    });
    const rows = (await readFile(csv.path, 'utf8')).trimEnd().split('\n');
    expect(rows[0]).toBe('position,stream_id,category,version,event_id,type,timestamp,correlation_id,causation_id,data,metadata');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toContain(',account-1,Account,2,');
    expect(rows[1]).toContain('"{""version"":2}"');
    expect((await call('audit.list', { operation: 'events.export' })).records.map((r) => r.reason)).toContain('ticket 9');
    await expect(call('events.export', { connectionId, source: { kind: 'feed' }, format: 'csv', fileName: '../escape.csv' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('fileName'),
    });
  });

  it('exports exactly the feed the screen shows, every filter included, named in the audit log', async () => {
    const filters = {
      eventTypes: ['MoneyDeposited', 'PriceChanged', 'AccountOpened'],
      correlationId: 'c-1',
      field: { in: 'data' as const, path: ['version'], op: 'equals' as const, value: '2' },
      afterPosition: '1',
      from: '2000-01-01T00:00:00Z',
      to: '2100-01-01T00:00:00Z',
    };
    const shown = await call('feed.read', { connectionId, ...filters, limit: 500 });
    expect(shown.nextAfterPosition).toBeNull();
    const exported = await call('events.export', {
      connectionId,
      source: { kind: 'feed', ...filters },
      format: 'ndjson',
      fileName: 'filtered.ndjson',
      reason: 'ticket 31',
    });
    const lines = (await readFile(exported.path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { position: string; type: string });
    // MoneyDeposited v2 and PriceChanged v2, not the whole store.
    expect(shown.events.map((e) => e.position)).toHaveLength(2);
    expect(exported.events).toBe(shown.events.length);
    expect(lines.map((e) => e.position)).toEqual(shown.events.map((e) => e.position));
    // Seeking past the first of them leaves one.
    const seeked = await call('events.export', {
      connectionId,
      source: { kind: 'feed', ...filters, afterPosition: shown.events[0]!.position! },
      format: 'ndjson',
      fileName: 'seeked.ndjson',
    });
    expect(seeked.events).toBe(1);

    const { records } = await call('audit.list', { operation: 'events.export', text: 'data.version equals' });
    expect(records.find((r) => r.reason === 'ticket 31')?.target).toBe(
      `connection:${connectionId} feed:types MoneyDeposited, PriceChanged, AccountOpened; from 2000-01-01T00:00:00Z; to 2100-01-01T00:00:00Z; correlation c-1; data.version equals "2"; positions after 1`,
    );
    // "Who exported this stream?": the target names it, and details are searched too.
    expect((await call('audit.list', { text: 'stream:account-1' })).records.some((r) => r.operation === 'events.export' && r.reason === 'ticket 9')).toBe(true);
    expect((await call('audit.list', { text: '"fileName":"filtered.ndjson"' })).records.map((r) => r.reason)).toEqual(['ticket 31']);
  });

  it('saves an export where the desktop save dialog says, and starts nothing when it is cancelled', async () => {
    // Browser mode has no dialog: asking for one is refused, not silently redirected.
    await expect(
      call('events.export', { connectionId, source: { kind: 'stream', streamId: 'account-1' }, format: 'ndjson', saveAs: true }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('desktop app'),
    });
    const folder = await mkdtemp(join(tmpdir(), 'chrono-save-as-'));
    let answer: string | undefined = join(folder, 'picked.ndjson');
    const asked: string[] = [];
    const desktop = await createTestEngine('desktop', {
      mode: 'desktop',
      chooseSaveFile: async (suggested) => {
        asked.push(suggested);
        return answer;
      },
    });
    try {
      const run = engineCaller(() => desktop);
      const view = await run('connections.add', postgresConnection('Desktop', db.url));
      await run('stores.configure', { connectionId: view.id, preset: 'classic', reason: 'test' });
      const saved = await run('events.export', { connectionId: view.id, source: { kind: 'stream', streamId: 'account-1' }, format: 'ndjson', saveAs: true });
      expect(asked[0]).toMatch(/^stream-account-1-.*\.ndjson$/);
      expect(saved).toMatchObject({ path: join(folder, 'picked.ndjson'), fileName: 'picked.ndjson', events: 3 });
      expect((await readFile(saved.path, 'utf8')).trimEnd().split('\n')).toHaveLength(3);
      answer = undefined; // the user closes the dialog
      await expect(run('events.export', { connectionId: view.id, source: { kind: 'feed' }, format: 'csv', saveAs: true })).rejects.toMatchObject({
        code: 'cancelled',
      });
      expect(await readdir(folder)).toEqual(['picked.ndjson']);
    } finally {
      await desktop.dispose();
    }
  });

  it('leaves no file behind when an export is cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      engine.dispatcher.run(
        'events.export',
        { connectionId, source: { kind: 'feed' }, format: 'ndjson', fileName: 'cancelled.ndjson' },
        { operationId: 'c', signal: controller.signal, emit: () => undefined, progress: () => undefined },
      ),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(await readdir(engine.exportsDir)).not.toEqual(expect.arrayContaining([expect.stringMatching(/^cancelled/)]));
  });

  it('counts events per bucket and type, and names the largest streams', async () => {
    const now = new Date();
    const histogram = await call('stats.histogram', {
      connectionId,
      from: new Date(now.getTime() - 3_600_000).toISOString(),
      to: new Date(now.getTime() + 60_000).toISOString(),
      bucket: 'day',
    });
    const total = (type: string) => histogram.buckets.filter((b) => b.type === type).reduce((sum, b) => sum + b.count, 0);
    expect(total('MoneyDeposited')).toBe(2);
    expect(histogram.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(7); // five seeded, two from the tail test
    const totals = histogram.types.map(total);
    expect(totals).toEqual([...totals].sort((a, b) => b - a)); // most frequent first
    expect(histogram.buckets.every((b) => /T00:00:00Z$/.test(b.at))).toBe(true);
    expect(histogram.truncated).toBe(false);
    const filtered = await call('stats.histogram', {
      connectionId,
      from: '2000-01-01T00:00:00Z',
      to: '2100-01-01T00:00:00Z',
      bucket: 'hour',
      eventTypes: ['PriceChanged'],
    });
    expect(filtered.types).toEqual(['PriceChanged']);
    const largest = await call('stats.largestStreams', { connectionId, limit: 1 });
    expect(largest.streams).toEqual([{ streamId: 'account-1', category: 'Account', eventCount: 3 }]);
  });

  it('rejects bad input with the field named', async () => {
    await expect(call('feed.read', { connectionId, afterPosition: '-1' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('afterPosition'),
    });
    await expect(call('feed.read', { connectionId, from: 'yesterday' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('from'),
    });
  });
});

describe('browsing a MongoDB event store (FerretDB) through the engine', () => {
  const database = `browse_${randomBytes(4).toString('hex')}`;
  let engine: Engine;
  let client: MongoClient;
  let connectionId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    client = new MongoClient(testServices.mongoUrl);
    await client.connect();
    await client
      .db(database)
      .collection('events')
      .insertMany(
        [1, 2, 3].map((version) => ({
          _id: randomUUID() as never,
          aggregateId: 'order-9',
          aggregateType: 'Order',
          type: version === 1 ? 'OrderPlaced' : 'OrderStatusUpdated',
          version,
          position: version * 10,
          timestamp: new Date(Date.UTC(2026, 0, version)),
          data: { version },
          metadata: { correlationId: 'c-9' },
        })),
      );
    engine = await createTestEngine('browse-mongo');
    connectionId = (await call('connections.add', { name: 'Mongo store', settings: { kind: 'mongo', uri: testServices.mongoUrl, database } })).id;
  });
  afterAll(async () => {
    await engine?.dispose();
    await client.db(database).dropDatabase();
    await client.close();
  });

  it('detects the reference layout, refuses a PostgreSQL preset, and reads streams and the feed', async () => {
    const detected = await call('stores.detect', { connectionId });
    expect(detected.candidates[0]).toMatchObject({ preset: 'reference-mongo', source: `${database}.events` });
    await expect(call('stores.configure', { connectionId, preset: 'classic' })).rejects.toMatchObject({ code: 'invalid_input' });
    expect(await call('stores.configure', { connectionId, preset: 'reference-mongo' })).toMatchObject({ backend: 'mongo', hasGlobalPosition: true });
    expect((await call('streams.list', { connectionId })).streams).toEqual([expect.objectContaining({ streamId: 'order-9', eventCount: 3, lastVersion: 3 })]);
    expect((await call('streams.read', { connectionId, streamId: 'order-9', direction: 'backward', limit: 1 })).events[0]).toMatchObject({
      version: 3,
      correlationId: 'c-9',
    });
    const feed = await call('feed.read', { connectionId, eventTypes: ['OrderStatusUpdated'], afterPosition: '20' });
    expect(feed.events.map((e) => e.position)).toEqual(['30']);
    const correlated = await call('feed.read', { connectionId, correlationId: 'c-9' });
    expect(correlated.events.map((e) => e.version)).toEqual([1, 2, 3]);
    expect(correlated.advice?.[0]?.ddl).toBe('db.events.createIndex({ "metadata.correlationId": 1, "position": 1 })');
    const byField = await call('feed.read', { connectionId, field: { in: 'data', path: ['version'], op: 'equals', value: '2' } });
    expect(byField.events).toEqual([]); // values compare as typed: the number 2 is not the string "2"
    await expect(call('feed.read', { connectionId, field: { in: 'data', path: ['$where'], op: 'equals', value: 'x' } })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    const histogram = await call('stats.histogram', { connectionId, from: '2026-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z', bucket: 'day' });
    expect(histogram.buckets).toEqual([
      { at: '2026-01-01T00:00:00Z', type: 'OrderPlaced', count: 1 },
      { at: '2026-01-02T00:00:00Z', type: 'OrderStatusUpdated', count: 1 },
    ]);
    expect((await call('stats.largestStreams', { connectionId })).streams).toEqual([{ streamId: 'order-9', category: 'Order', eventCount: 3 }]);
    // The Overview's figures: counted exactly (a small collection), the head, and no events in the last minutes.
    expect(await call('stats.store', { connectionId })).toEqual({
      events: { count: 3, exact: true },
      streams: { count: 1, exact: true },
      head: '30',
      ratePerMinute: 0,
      rateWindowMinutes: 10,
    });
  });
});
