import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEventView } from '../../../src-main/stores/event-store';
import { foldFeed, type ShadowSink } from '../../../src-main/engine/rebuild/feed-fold';
import type { ModelFolder } from '../../../src-main/engine/rebuild/read-model';
import { detectPresets } from '../../../src-main/stores/postgres/detect';
import { MappingValidationError, qualifiedName, validateMapping, type PostgresEventMapping } from '../../../src-main/stores/postgres/mapping';
import { presetMapping } from '../../../src-main/stores/presets';
import { axonJdbcMapping } from '../../../src-main/stores/presets/axon';
import { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createPgliteDatabase, createTestDatabase, type TestDatabase } from '../reference/support';
import { eventStoreContract } from './event-store-contract';
import { AXON_BINARY_PAYLOAD, AXON_XML_PAYLOAD, EVENTS, FIXTURES } from './fixtures';

const positions = (events: StoredEventView[]) => events.map((e) => e.position);

/** Every preset on the PostgreSQL server and on PGlite (the Local workspace's engine), through the same `pg` code. */
const BACKENDS = [
  { backend: 'PostgreSQL', create: () => createTestDatabase('stores') },
  { backend: 'PGlite', create: () => createPgliteDatabase() },
];
const CASES = BACKENDS.flatMap((b) => FIXTURES.map((fixture) => ({ ...b, fixture, preset: fixture.preset })));

describe.each(CASES)('$backend preset $preset', ({ create, fixture }) => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await create();
    await db.pool.query(fixture.ddl);
    await fixture.insert(db.pool, EVENTS);
    await fixture.insertHidden?.(db.pool);
    store = await PostgresEventStore.open(db.pool, presetMapping(fixture.preset));
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  eventStoreContract(() => store, {
    capabilities: { backend: 'postgres', preset: fixture.preset, hasGlobalPosition: true, hasEventId: true, hasTimestamp: true, hasCorrelation: true },
    streamId: fixture.streamId,
    textIds: fixture.textIds,
    correlation: fixture.correlation,
    missingStreamId: fixture.textIds ? 'nope-1' : 'not-a-uuid',
  });

  it('detects its preset with evidence', async () => {
    const proposals = await detectPresets(db.pool);
    const best = proposals[0];
    expect(best?.preset).toBe(fixture.preset);
    expect(best!.usable).toBe(true);
    expect(best!.confidence).toBeGreaterThan(0.8);
    expect(best!.evidence.join('\n')).toMatch(/has columns/);
    const detected = await PostgresEventStore.open(db.pool, best!.mapping);
    expect((await detected.readFeed({ limit: 10 })).events).toHaveLength(5);
  });

  it('reads a feed range by one ordered scan where no index serves its positions, and by pages where one does', async () => {
    const all = (await store.readFeed({ limit: 100 })).events;
    const head = all.at(-1)!.position!;
    const cursor = await store.openFeedCursor({ afterPosition: all[0]!.position!, throughPosition: all.at(-2)!.position! });
    const mapping = presetMapping(fixture.preset);
    const { rows } = await db.pool.query<{ found: boolean; pglite: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = to_regclass($1) AND a.attname = $2) AS found, version() LIKE '%PGlite%' AS pglite`,
      [qualifiedName(mapping.schema, mapping.table), mapping.columns.position],
    );
    // PGlite runs one transaction at a time across its connections: a cursor's would hold the rest back.
    if (rows[0]!.found || rows[0]!.pglite) {
      expect(cursor).toBeNull();
      return;
    }
    expect(cursor).not.toBeNull();
    // Exclusive start, inclusive end, fetched in as many rounds as asked.
    const read: StoredEventView[] = [];
    for (let page = await cursor!.next(2); page.length > 0; page = await cursor!.next(2)) read.push(...page);
    await cursor!.close();
    expect(read).toEqual(all.slice(1, -1));
    // The type filter applies as on pages; an empty range reads nothing.
    const type = all[1]!.type;
    const typed = await store.openFeedCursor({ afterPosition: '0', throughPosition: head, eventTypes: [type] });
    expect(positions(await typed!.next(100))).toEqual(positions(all.filter((e) => e.type === type)));
    await typed!.close();
    const empty = await store.openFeedCursor({ afterPosition: head, throughPosition: head });
    expect(await empty!.next(10)).toEqual([]);
    await empty!.close();
  });

  it('leaves no connection in a transaction once a fold over the feed has read it all', async () => {
    const head = (await store.headPosition())!;
    const folded: string[] = [];
    const folder: ModelFolder = {
      missingKeys: async () => [],
      apply: async (events) => {
        folded.push(...events.map((e) => e.position!));
        return new Map();
      },
      reset: async () => undefined,
      close: async () => undefined,
    };
    const sink: ShadowSink = { load: async () => new Map(), commit: async () => undefined };
    await foldFeed({
      feed: store,
      handles: { categories: [...new Set((await store.readFeed({ limit: 100 })).events.map((e) => e.category!))] },
      folder,
      sink,
      after: '0',
      horizon: head,
    });
    expect(folded).toEqual(positions((await store.readFeed({ limit: 100 })).events));
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('rejects a mapping whose column or table is missing, naming it', async () => {
    const base = presetMapping(fixture.preset);
    const badColumn: PostgresEventMapping = { ...base, columns: { ...base.columns, type: 'no_such_column' } };
    const err = await validateMapping(db.pool, badColumn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MappingValidationError);
    expect((err as Error).message).toContain(`${base.table}.no_such_column does not exist`);
    await expect(PostgresEventStore.open(db.pool, { ...base, table: 'missing_table' })).rejects.toThrow(/table .*missing_table does not exist/);
  });

  if (fixture.preset === 'axon') {
    it('shows non-JSON payloads as text or hex', async () => {
      const order = await store.readStream('order-1');
      expect(order.events[0]!.data).toEqual({ text: AXON_XML_PAYLOAD });
      expect(order.events[1]!.data).toEqual({ hex: AXON_BINARY_PAYLOAD.toString('hex') });
      expect(order.events[0]!.metadata).toMatchObject({ traceId: 'corr-order-1' });
      expect(order.events[0]!.causationId).toBe(EVENTS[1]!.eventId);
    });

    it('recognises the JDBC naming (DomainEventEntry folded to lower case)', async () => {
      await db.pool.query(`
        CREATE SCHEMA axonjdbc;
        CREATE TABLE axonjdbc.DomainEventEntry (
          globalIndex bigint NOT NULL PRIMARY KEY, aggregateIdentifier varchar(255) NOT NULL, sequenceNumber bigint NOT NULL,
          type varchar(255), eventIdentifier varchar(255) NOT NULL UNIQUE, metaData bytea, payload bytea NOT NULL,
          payloadRevision varchar(255), payloadType varchar(255) NOT NULL, timeStamp varchar(255) NOT NULL,
          UNIQUE (aggregateIdentifier, sequenceNumber));
        CREATE TABLE axonjdbc.TokenEntry (processorName varchar(255) NOT NULL, segment integer NOT NULL, token bytea, tokenType varchar(255), timestamp varchar(255), owner varchar(255), PRIMARY KEY (processorName, segment));
        INSERT INTO axonjdbc.DomainEventEntry VALUES (7, 'order-9', 0, 'order', 'e-7', NULL, convert_to('{"n":1}', 'UTF8'), NULL, 'OrderPlaced', '2024-02-01T10:00:00.123Z');
      `);
      const proposal = (await detectPresets(db.pool)).find((p) => p.mapping.schema === 'axonjdbc');
      expect(proposal).toMatchObject({ preset: 'axon', usable: true, mapping: axonJdbcMapping('axonjdbc') });
      const jdbc = await PostgresEventStore.open(db.pool, proposal!.mapping);
      const [event] = (await jdbc.readFeed()).events;
      expect(event).toMatchObject({
        streamId: 'order-9',
        category: 'order',
        position: '7',
        type: 'OrderPlaced',
        data: { n: 1 },
        metadata: null,
        timestamp: '2024-02-01T10:00:00.123Z',
      });
    });
  }

  if (fixture.preset === 'classic') {
    it('keeps positions beyond 2^53 exact', async () => {
      await db.pool.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, global_position)
         VALUES ('00000000-0000-4000-8000-0000000000ff', 'account-9', 'account', 'AccountOpened', 1, '{}', 9007199254740993)`,
      );
      expect(await store.headPosition()).toBe('9007199254740993');
      const page = await store.readFeed({ afterPosition: '9007199254740992', limit: 5 });
      expect(positions(page.events)).toEqual(['9007199254740993']);
      expect((await store.readFeed({ afterPosition: '9007199254740993' })).events).toEqual([]);
    });

    it('quotes identifiers of a custom mapping', async () => {
      await db.pool.query(`CREATE SCHEMA "odd""schema"; CREATE TABLE "odd""schema"."ev""ents" AS SELECT * FROM events`);
      const base = presetMapping('classic');
      const custom = await PostgresEventStore.open(db.pool, { ...base, preset: 'custom', schema: 'odd"schema', table: 'ev"ents' });
      expect(custom.describe().source).toBe('"odd""schema"."ev""ents"');
      expect((await custom.listStreams({ limit: 10 })).streams).toHaveLength(4);
    });

    it('works without a global position column (no feed)', async () => {
      await db.pool.query(
        `CREATE SCHEMA nopos; CREATE TABLE nopos.events AS SELECT event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp" FROM events`,
      );
      const proposals = await detectPresets(db.pool);
      const nopos = proposals.find((p) => p.mapping.schema === 'nopos');
      expect(nopos?.preset).toBe('classic');
      expect(nopos!.evidence.join('\n')).toMatch(/no global position/);
      const s = await PostgresEventStore.open(db.pool, nopos!.mapping);
      expect(s.describe().hasGlobalPosition).toBe(false);
      expect((await s.readStream('account-1')).events).toHaveLength(2);
      await expect(s.readFeed()).rejects.toThrow(/no global position/);
    });
  }
});
