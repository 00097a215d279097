/**
 * The replay fast path (pages encoded by PostgreSQL itself, EventStore.readReplayPage)
 * must hand definitions exactly the events the generic path (readStream, encoded by
 * the host) does, for every preset's layout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DefinitionSource } from '../../../src-main/engine/definitions/definitions';
import { stateAt } from '../../../src-main/engine/time-travel/reconstruct';
import type { EventStore } from '../../../src-main/stores/event-store';
import { presetMapping } from '../../../src-main/stores/presets';
import { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { EVENTS, FIXTURES } from '../stores/fixtures';

/** Records every event it is given, as the definition saw it. */
const RECORDER: DefinitionSource = {
  name: 'recorder.js',
  source: `definition = { name: 'recorder', init: () => ({ seen: [] }), any(state, event) { state.seen.push(event); return state; } };`,
};

/** The same store with the fast paths hidden, so stateAt falls back to readStream. */
function withoutFastPath(store: EventStore): EventStore {
  return new Proxy(store, { get: (target, key) => (key === 'readReplayPage' || key === 'streamReplayPages' ? undefined : Reflect.get(target, key, target)) });
}

/** The same store with the streamed path (one COPY) hidden, so stateAt reads pages with readReplayPage. */
function pagedOnly(store: EventStore): EventStore {
  return new Proxy(store, { get: (target, key) => (key === 'streamReplayPages' ? undefined : Reflect.get(target, key, target)) });
}

describe.each(FIXTURES)('replay fast path, preset $preset', (fixture) => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = await createTestDatabase('replayfast');
    await db.pool.query(fixture.ddl);
    await fixture.insert(db.pool, EVENTS);
    store = await PostgresEventStore.open(db.pool, presetMapping(fixture.preset));
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('gives definitions the same events as the generic path', async () => {
    const streamId = fixture.streamId('account-1');
    const page = await store.readReplayPage(streamId, { fromVersion: 0, limit: 10 });
    const generic = await stateAt(withoutFastPath(store), streamId, { version: 1_000_000 }, RECORDER);
    const fast = await stateAt(store, streamId, { version: 1_000_000 }, RECORDER);
    const paged = await stateAt(pagedOnly(store), streamId, { version: 1_000_000 }, RECORDER);
    const seen = (generic.state as { seen: unknown[] }).seen;
    expect(seen.length).toBeGreaterThan(0);
    for (const result of [fast, paged]) {
      expect(result.state).toEqual(generic.state);
      expect(result.version).toBe(generic.version);
      expect(result.timestamp).toBe(generic.timestamp);
      expect(result.applied).toBe(generic.applied);
    }
    if (page === null) return; // a layout the database cannot encode (non-JSON payloads): the generic path served both
    expect(page.versions.length).toBe(seen.length);
  });

  it('stops at the target version and pages across REPLAY boundaries the same way', async () => {
    const streamId = fixture.streamId('order-1');
    const first = await stateAt(store, streamId, { version: 1 }, RECORDER);
    expect((first.state as { seen: { version: number }[] }).seen.map((e) => e.version)).toHaveLength(1);
    expect(first.version).toBe((first.state as { seen: { version: number }[] }).seen[0]!.version);
  });
});

describe('replay fast path on a long stream', () => {
  let db: TestDatabase;
  let store: PostgresEventStore;
  const total = 12_345; // more than two REPLAY_PAGE_SIZE pages, not a multiple of it

  beforeAll(async () => {
    db = await createTestDatabase('replayfastlong');
    await db.pool.query(FIXTURES.find((f) => f.preset === 'classic')!.ddl);
    await db.pool.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp")
       SELECT gen_random_uuid(), 'acc-long', 'Account', 'MoneyDeposited', v, jsonb_build_object('n', v, 'text', 'quote " and \\ backslash é'),
              jsonb_build_object('correlationId', 'c-' || v, 'causationId', v), timestamptz '2025-01-01T00:00:00Z' + v * interval '1 millisecond'
       FROM generate_series(1, $1::int) AS v`,
      [total],
    );
    store = await PostgresEventStore.open(db.pool, presetMapping('classic'));
  });

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('folds every event once, in order, with ids read from metadata keys', async () => {
    const summing: DefinitionSource = {
      name: 'summing.js',
      source: `definition = { name: 'summing', init: () => ({ sum: 0, last: 0, ordered: true, ids: '' }),
        any(s, e) { return { sum: s.sum + e.data.n, last: e.version, ordered: s.ordered && e.version === s.last + 1, ids: e.version === 7 ? e.correlationId + '/' + e.causationId + '/' + e.data.text + '/' + e.timestamp : s.ids }; } };`,
    };
    const result = await stateAt(store, 'acc-long', { version: total - 5 }, summing);
    const n = total - 5;
    expect(result.state).toEqual({ sum: (n * (n + 1)) / 2, last: n, ordered: true, ids: 'c-7/7/quote " and \\ backslash é/2025-01-01T00:00:00.007Z' });
    expect(result.applied).toBe(n);
    expect(result.timestamp).toBe(new Date(Date.parse('2025-01-01T00:00:00Z') + n).toISOString());
    const generic = await stateAt(withoutFastPath(store), 'acc-long', { version: total - 5 }, summing);
    expect(generic.state).toEqual(result.state);
    const paged = await stateAt(pagedOnly(store), 'acc-long', { version: total - 5 }, summing);
    expect(paged.state).toEqual(result.state);
  });
});
