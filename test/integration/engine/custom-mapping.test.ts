import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { testServices } from '../env';
import { createTestDatabase, type TestDatabase } from '../reference/support';

const suffix = () => randomBytes(4).toString('hex');

/** The columns of `audit_log` mapped onto the event-store roles. */
const AUDIT_COLUMNS = { streamId: 'entity_key', version: 'seq', type: 'kind', data: 'body', metadata: 'meta', timestamp: 'happened_at', position: 'gpos' };

describe('custom mapping of a PostgreSQL table: inspect, validate, browse', () => {
  let db: TestDatabase;
  let database: string;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    db = await createTestDatabase('cmap');
    database = new URL(db.url).pathname.slice(1);
    await db.pool.query(`
      CREATE TABLE audit_log (entity_key text NOT NULL, seq int NOT NULL, kind text NOT NULL, body jsonb NOT NULL, meta jsonb,
                              happened_at timestamptz NOT NULL DEFAULT now(), gpos bigserial PRIMARY KEY, note text);
      CREATE SCHEMA ops;
      CREATE TABLE ops.jobs (id uuid PRIMARY KEY, payload json);
      CREATE VIEW ops.recent AS SELECT entity_key, kind FROM public.audit_log;
    `);
    const rows: [string, number, string][] = [
      ['invoice-1', 1, 'InvoiceRaised'],
      ['invoice-1', 2, 'InvoicePaid'],
      ['refund-7', 1, 'RefundRequested'],
    ];
    for (const [key, seq, kind] of rows) {
      await db.pool.query(`INSERT INTO audit_log (entity_key, seq, kind, body, meta) VALUES ($1, $2, $3, $4, $5)`, [
        key,
        seq,
        kind,
        { seq },
        { corr: `c-${key}` },
      ]);
    }
    await db.pool.query('ANALYZE audit_log');
    engine = await createTestEngine('cmap');
    connectionId = (await call('connections.add', postgresConnection('Custom table', db.url))).id;
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('lists tables and views with their columns, types, nullability and estimated rows', async () => {
    const inspected = await call('stores.inspect', { connectionId });
    expect(inspected).toMatchObject({ backend: 'postgres', database, truncated: false });
    expect(inspected.tables.map((t) => `${t.schema}.${t.name}:${t.kind}`)).toEqual(['public.audit_log:table', 'ops.jobs:table', 'ops.recent:view']);
    const audit = inspected.tables[0]!;
    expect(audit.approximateRows).toBe(3);
    expect(audit.columns.map((c) => c.name)).toEqual(['entity_key', 'seq', 'kind', 'body', 'meta', 'happened_at', 'gpos', 'note']);
    expect(audit.columns.find((c) => c.name === 'seq')).toEqual({ name: 'seq', dataType: 'integer', nullable: false });
    expect(audit.columns.find((c) => c.name === 'meta')).toEqual({ name: 'meta', dataType: 'jsonb', nullable: true });
    expect(audit.columns.find((c) => c.name === 'happened_at')?.dataType).toBe('timestamp with time zone');
    // Never analysed: unknown, not zero.
    expect(inspected.tables.find((t) => t.name === 'jobs')?.approximateRows).toBeNull();
  });

  it('validates the inspect input in the main process', async () => {
    await expect(call('stores.inspect', { connectionId, sampleSize: 0 })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('sampleSize'),
    });
    await expect(call('stores.inspect', { connectionId, sql: 'select 1' } as never)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('unknown field(s): sql'),
    });
    await expect(call('stores.inspect', { connectionId: 'no-such-profile' })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a malformed mapping, naming the field', async () => {
    const { data: _data, ...withoutData } = AUDIT_COLUMNS;
    await expect(
      call('stores.configure', { connectionId, preset: 'custom', custom: { table: 'audit_log', columns: withoutData } as never }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      details: { problems: [expect.objectContaining({ field: 'custom.columns.data' })] },
    });
    await expect(call('stores.configure', { connectionId, preset: 'custom', custom: { table: ' ', columns: AUDIT_COLUMNS } })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('custom.table: is required'),
    });
    await expect(
      call('stores.configure', { connectionId, preset: 'custom', custom: { table: 'audit_log', columns: { ...AUDIT_COLUMNS, colour: 'x' } } as never }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('unknown field(s): colour'),
    });
  });

  it('refuses a missing table or column, naming it', async () => {
    await expect(call('stores.configure', { connectionId, preset: 'custom', custom: { table: 'audit', columns: AUDIT_COLUMNS } })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('table public.audit does not exist'),
    });
    await expect(
      call('stores.configure', { connectionId, preset: 'custom', custom: { table: 'audit_log', columns: { ...AUDIT_COLUMNS, eventId: 'event_id' } } }),
    ).rejects.toMatchObject({
      code: 'not_found',
      details: { problems: ['column public.audit_log.event_id does not exist'] },
    });
  });

  it('refuses columns of the wrong type, saying what the role needs', async () => {
    const err = await call('stores.configure', {
      connectionId,
      preset: 'custom',
      custom: { table: 'audit_log', columns: { ...AUDIT_COLUMNS, version: 'kind', timestamp: 'seq', data: 'gpos' } },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'not_found' });
    const problems = (err as { details: { problems: string[] } }).details.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        'column public.audit_log.kind is text: the version column must be an integer type (smallint, integer, bigint, numeric)',
        'column public.audit_log.seq is integer: the timestamp column must be timestamptz, timestamp, date or text',
        'column public.audit_log.gpos is bigint: the data column must be json, jsonb, bytea or text',
      ]),
    );
    // Nothing was kept: the connection still has no confirmed layout.
    expect((await call('stores.detect', { connectionId })).confirmed).toBeUndefined();
  });

  it('keeps a valid mapping, browses through it and reports it back', async () => {
    const custom = { table: 'audit_log', columns: AUDIT_COLUMNS, categoryFromStreamId: { separator: '-' }, metadataKeys: { correlationId: 'corr' } };
    const caps = await call('stores.configure', { connectionId, preset: 'custom', custom, reason: 'map the audit log' });
    expect(caps).toMatchObject({
      backend: 'postgres',
      preset: 'custom',
      source: '"public"."audit_log"',
      hasGlobalPosition: true,
      hasCategory: true,
      hasCorrelation: true,
      hasTimestamp: true,
    });
    const streams = await call('streams.list', { connectionId });
    expect(streams.streams.map((s) => [s.streamId, s.category, s.eventCount])).toEqual([
      ['invoice-1', 'invoice', 2],
      ['refund-7', 'refund', 1],
    ]);
    const feed = await call('feed.read', { connectionId, correlationId: 'c-invoice-1' });
    expect(feed.events.map((e) => [e.version, e.type])).toEqual([
      [1, 'InvoiceRaised'],
      [2, 'InvoicePaid'],
    ]);
    const detected = await call('stores.detect', { connectionId });
    expect(detected).toMatchObject({ confirmed: 'custom', confirmedCustom: custom });
    expect((await call('audit.list', { operation: 'stores.configure' })).records[0]).toMatchObject({ reason: 'map the audit log', outcome: 'ok' });
  });
});

describe('custom mapping of a MongoDB collection (FerretDB)', () => {
  const database = `cmap_${suffix()}`;
  let client: MongoClient;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);

  beforeAll(async () => {
    client = new MongoClient(testServices.mongoUrl);
    await client.connect();
    const db = client.db(database);
    await db.collection('ledger').insertMany(
      Array.from({ length: 30 }, (_, i) => ({
        entity: `acct-${i % 3}`,
        rev: Math.floor(i / 3) + 1,
        seq: i + 1,
        kind: i % 2 ? 'Credited' : 'Debited',
        at: new Date(Date.UTC(2024, 0, 1, 0, i)),
        body: { amount: i },
        metadata: { corr: `c-${i % 3}`, ...(i === 25 ? { late: true } : {}) },
        ...(i === 0 ? { note: null } : {}),
      })),
    );
    await db.collection('settings').insertOne({ key: 'x', value: 1 });
    engine = await createTestEngine('cmap-mongo');
    connectionId = (await call('connections.add', { name: 'Mongo ledger', settings: { kind: 'mongo', uri: testServices.mongoUrl, database } })).id;
  });

  afterAll(async () => {
    await engine?.dispose();
    await client
      ?.db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client?.close();
  });

  it('lists collections with the fields of a small sample, metadata keys included', async () => {
    const inspected = await call('stores.inspect', { connectionId, sampleSize: 20 });
    expect(inspected).toMatchObject({ backend: 'mongo', database, truncated: false });
    expect(inspected.tables.map((t) => t.name)).toEqual(['ledger', 'settings']);
    const ledger = inspected.tables[0]!;
    expect(ledger.kind).toBe('collection');
    expect(ledger.approximateRows).toBe(30);
    const fields = Object.fromEntries(ledger.columns.map((c) => [c.name, c]));
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['_id', 'entity', 'rev', 'seq', 'kind', 'at', 'body', 'metadata', 'metadata.corr']));
    // Only the first 20 documents are read: a key that appears in document 26 is not seen.
    expect(fields['metadata.late']).toBeUndefined();
    expect(fields.at).toMatchObject({ dataType: 'date', nullable: false });
    expect(fields.note).toMatchObject({ dataType: 'null', nullable: true });
    expect(fields._id?.dataType).toBe('objectId');
  });

  it('refuses field names MongoDB would read as operators or cannot store, naming each, and keeps nothing', async () => {
    const columns = { streamId: 'entity', version: 'rev', type: 'kind', data: 'body', metadata: 'metadata' };
    const err = await call('stores.configure', {
      connectionId,
      preset: 'custom',
      custom: { table: 'ledger', columns: { ...columns, streamId: '$where', type: 'kind.$ne' }, metadataKeys: { correlationId: '$corr' } },
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'invalid_input' });
    const message = (err as Error).message;
    expect(message).toContain('columns.streamId "$where": a MongoDB field name cannot start with "$"');
    expect(message).toContain('columns.type "kind.$ne"');
    expect(message).toContain('metadataKeys.correlationId "$corr"');
    await expect(
      call('stores.configure', { connectionId, preset: 'custom', custom: { table: 'ledger', columns: { ...columns, data: 'bo\u0000dy' } } }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('custom.columns.data: must not contain a NUL character'),
    });
    expect((await call('stores.detect', { connectionId })).confirmed).toBeUndefined();
  });

  it('keeps a mapping whose fields occur, and browses through it', async () => {
    const columns = { streamId: 'entity', version: 'rev', type: 'kind', data: 'body', metadata: 'metadata', timestamp: 'at', position: 'seq' };
    await expect(
      call('stores.configure', { connectionId, preset: 'custom', custom: { table: 'ledger', columns: { ...columns, version: 'revision' } } }),
    ).rejects.toMatchObject({
      code: 'not_found',
      details: { problems: [expect.stringContaining('field ' + database + '.ledger.revision does not occur')] },
    });
    await expect(call('stores.configure', { connectionId, preset: 'custom', custom: { table: 'ledgers', columns } })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('ledgers does not exist'),
    });
    await expect(
      call('stores.configure', { connectionId, preset: 'custom', custom: { table: 'ledger', columns, categoryFromStreamId: { separator: '-' } } }),
    ).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringContaining('category taken from the stream id'),
    });
    const caps = await call('stores.configure', {
      connectionId,
      preset: 'custom',
      custom: { table: 'ledger', columns, metadataKeys: { correlationId: 'corr' } },
    });
    expect(caps).toMatchObject({ backend: 'mongo', preset: 'custom', hasGlobalPosition: true, hasCorrelation: true });
    const streams = await call('streams.list', { connectionId });
    expect(streams.streams.map((s) => [s.streamId, s.eventCount, s.lastVersion])).toEqual([
      ['acct-0', 10, 10],
      ['acct-1', 10, 10],
      ['acct-2', 10, 10],
    ]);
    const read = await call('streams.read', { connectionId, streamId: 'acct-1', limit: 2 });
    expect(read.events.map((e) => [e.version, e.type, e.correlationId])).toEqual([
      [1, 'Credited', 'c-1'],
      [2, 'Debited', 'c-1'],
    ]);
  });
});
