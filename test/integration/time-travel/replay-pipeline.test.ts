/**
 * The pipelined replay (pages read ahead on several connections while the sandbox
 * folds, only the types a definition handles shipped) must reach exactly the state,
 * version and time a sequential replay of every event reaches, and stop cleanly.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DefinitionSource } from '../../../src-main/engine/definitions/definitions';
import { REPLAY_READ_AHEAD, stateAt } from '../../../src-main/engine/time-travel/reconstruct';
import { SandboxError } from '../../../src-main/engine/definitions/sandbox';
import type { EventStore, ReplayPage, ReplayRange } from '../../../src-main/stores/event-store';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { presetMapping } from '../../../src-main/stores/presets';
import { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createTestDatabase, type TestDatabase } from '../reference/support';

const STREAM = 'ledger-pipeline';
const EVENTS = 1000;
/** Small pages, so a short stream spans many of them (28 pages). */
const PAGE = 37;
const PAGES = Math.ceil(EVENTS / PAGE);
const START = Date.parse('2026-02-01T00:00:00.000Z');

/** Version v's type: the last one (1000) and every third are `Noted`, which no handler takes. */
const typeOf = (v: number): string => (v === EVENTS || v % 3 === 0 ? 'Noted' : v % 5 === 0 ? 'LegacyDeposit' : 'Deposited');
const expectedTotal = (upTo: number): number => {
  let total = 0;
  for (let v = 1; v <= upTo; v++) if (typeOf(v) !== 'Noted') total += v;
  return total;
};

/** Handles Deposited, upcasts LegacyDeposit into it, ignores Noted: no `any` handler. */
const LEDGER: DefinitionSource = {
  name: 'ledger.js',
  source: `definition = {
    name: 'ledger',
    init: () => ({ total: 0, deposits: 0, lastDeposit: 0 }),
    handlers: {
      Deposited(state, event) {
        if (event.data.amount === -1) throw new Error('boom');
        return Object.assign({}, state, { total: state.total + event.data.amount, deposits: state.deposits + 1, lastDeposit: event.version });
      },
    },
    upcasters: { LegacyDeposit: { 1(event) { return Object.assign({}, event, { type: 'Deposited', data: { amount: event.data.cents } }); } } },
  };`,
};

/** The same ledger with a catch-all handler that counts every event it sees. */
const LEDGER_WITH_ANY: DefinitionSource = {
  name: 'ledger-any.js',
  source: LEDGER.source.replace(
    "name: 'ledger',",
    "name: 'ledger-any', any(state, event) { return Object.assign({}, state, { seen: (state.seen || 0) + 1, lastSeen: event.version }); },",
  ),
};

let db: TestDatabase;
let store: PostgresEventStore;

/** The store with the fast path hidden: stateAt then reads every event with readStream, one page after the other. */
function sequential(inner: EventStore): EventStore {
  return new Proxy(inner, { get: (target, key) => (key === 'readReplayPage' || key === 'streamReplayPages' ? undefined : Reflect.get(target, key, target)) });
}

interface ReadLog {
  ranges: ReplayRange[];
  pages: ReplayPage[];
  inFlight: number;
  maxInFlight: number;
}

/** The store, recording every replay page asked for and returned (and how many were read at once); its streamed path (one COPY) hidden. */
function recording(inner: PostgresEventStore, onRead?: (call: number) => void): { store: EventStore; log: ReadLog } {
  const log: ReadLog = { ranges: [], pages: [], inFlight: 0, maxInFlight: 0 };
  const readReplayPage = async (streamId: string, range: ReplayRange): Promise<ReplayPage | null> => {
    log.ranges.push(range);
    onRead?.(log.ranges.length);
    log.inFlight += 1;
    log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
    try {
      const page = await inner.readReplayPage(streamId, range);
      if (page) log.pages.push(page);
      return page;
    } finally {
      log.inFlight -= 1;
    }
  };
  return {
    store: new Proxy(inner, {
      get: (target, key) => (key === 'readReplayPage' ? readReplayPage : key === 'streamReplayPages' ? undefined : Reflect.get(target, key, target)),
    }),
    log,
  };
}

function expectConnectionsReleased(): void {
  expect(db.pool.waitingCount).toBe(0);
  expect(db.pool.idleCount).toBe(db.pool.totalCount);
}

beforeAll(async () => {
  db = await createTestDatabase('replaypipe');
  await ensureReferenceSchema(db.pool);
  const types = Array.from({ length: EVENTS }, (_, i) => typeOf(i + 1));
  await db.pool.query(
    `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp")
     SELECT gen_random_uuid(), $1, 'Ledger', t.type, t.v,
            CASE t.type WHEN 'Deposited' THEN jsonb_build_object('amount', t.v) WHEN 'LegacyDeposit' THEN jsonb_build_object('cents', t.v) ELSE jsonb_build_object('text', 'note ' || t.v) END,
            jsonb_build_object('schemaVersion', 1), to_timestamp($3::double precision / 1000) + t.v * interval '1 second'
     FROM unnest($2::text[]) WITH ORDINALITY AS t(type, v)`,
    [STREAM, types, START],
  );
  store = await PostgresEventStore.open(db.pool, presetMapping('classic'));
});

afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe('pipelined replay', () => {
  it('reaches the state, version and time of a sequential replay, at the end and mid-page', async () => {
    for (const target of [EVENTS, 500, 999, 1]) {
      const { store: piped, log } = recording(store);
      const fast = await stateAt(piped, STREAM, { version: target }, LEDGER, { replayPageSize: PAGE });
      const slow = await stateAt(sequential(store), STREAM, { version: target }, LEDGER);
      expect(log.pages.length).toBeGreaterThan(0);
      expect(fast).toEqual(slow);
      expect(fast.version).toBe(target);
      expect(fast.applied).toBe(target);
      expect(fast.timestamp).toBe(new Date(START + target * 1000).toISOString());
      expect((fast.state as { total: number }).total).toBe(expectedTotal(target));
    }
  });

  it('reads the next pages on separate connections while the sandbox folds the current one', async () => {
    const { store: piped, log } = recording(store);
    const readsAtFirstFold: number[] = [];
    await stateAt(piped, STREAM, { version: EVENTS }, LEDGER, { replayPageSize: PAGE, onProgress: () => readsAtFirstFold.push(log.ranges.length) });
    // When the first page had been folded, the pages after it were already asked for.
    expect(readsAtFirstFold[0]).toBe(1 + REPLAY_READ_AHEAD);
    expect(log.maxInFlight).toBe(REPLAY_READ_AHEAD);
    expect(log.ranges).toHaveLength(PAGES);
    // Fixed, adjacent version ranges: each page is independent of the one before.
    expect(log.ranges.map((r) => r.fromVersion)).toEqual(Array.from({ length: PAGES }, (_, i) => 1 + i * PAGE));
    expectConnectionsReleased();
  });

  it('stops reading and folding when cancelled during a read, and gives every connection back', async () => {
    const controller = new AbortController();
    let readsAtAbort = 0;
    const { store: piped, log } = recording(store, (call) => {
      if (call === 5) {
        controller.abort();
        readsAtAbort = call;
      }
    });
    const progress: number[] = [];
    await expect(
      stateAt(piped, STREAM, { version: EVENTS }, LEDGER, { replayPageSize: PAGE, signal: controller.signal, onProgress: (p) => progress.push(p.version) }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(readsAtAbort).toBe(5);
    expect(log.ranges).toHaveLength(readsAtAbort);
    expect(log.inFlight).toBe(0);
    // The sandbox folded nothing after the abort: at most the pages read before it.
    expect(progress.length).toBeLessThan(readsAtAbort);
    expectConnectionsReleased();
  });

  it('stops reading when the definition throws', async () => {
    const failAt = 200; // page 6 of 28
    await db.pool.query(`UPDATE events SET event_data = '{"cents": -1}' WHERE aggregate_id = $1 AND event_version = $2`, [STREAM, failAt]);
    try {
      const { store: piped, log } = recording(store);
      const failure = stateAt(piped, STREAM, { version: EVENTS }, LEDGER, { replayPageSize: PAGE });
      await expect(failure).rejects.toBeInstanceOf(SandboxError);
      await expect(failure).rejects.toThrow(/boom.*version 200/);
      const failingPage = Math.floor((failAt - 1) / PAGE) + 1;
      expect(log.ranges.length).toBeLessThanOrEqual(failingPage + REPLAY_READ_AHEAD);
      expect(log.inFlight).toBe(0);
      expectConnectionsReleased();
    } finally {
      await db.pool.query(`UPDATE events SET event_data = jsonb_build_object('cents', event_version) WHERE aggregate_id = $1 AND event_version = $2`, [
        STREAM,
        failAt,
      ]);
    }
  });
});

describe('type filtering', () => {
  it('ships only the handled and upcast types, and still reaches the version of a skipped last event', async () => {
    const { store: piped, log } = recording(store);
    const filtered = await stateAt(piped, STREAM, { version: EVENTS }, LEDGER, { replayPageSize: PAGE });
    const unfiltered = await stateAt(sequential(store), STREAM, { version: EVENTS }, LEDGER);
    expect(log.ranges.every((r) => [...(r.types ?? [])].sort().join() === 'Deposited,LegacyDeposit')).toBe(true);
    const shipped = log.pages.flatMap((p) => p.types);
    expect(new Set(shipped)).toEqual(new Set(['Deposited', 'LegacyDeposit']));
    expect(shipped.length).toBe(Array.from({ length: EVENTS }, (_, i) => typeOf(i + 1)).filter((t) => t !== 'Noted').length);
    expect(filtered.state).toEqual(unfiltered.state);
    expect(typeOf(EVENTS)).toBe('Noted');
    expect(filtered.version).toBe(EVENTS);
    expect(filtered.timestamp).toBe(unfiltered.timestamp);
    expect(filtered.applied).toBe(EVENTS);
  });

  it('is not applied to a definition with an `any` handler', async () => {
    const { store: piped, log } = recording(store);
    const fast = await stateAt(piped, STREAM, { version: EVENTS }, LEDGER_WITH_ANY, { replayPageSize: PAGE });
    const slow = await stateAt(sequential(store), STREAM, { version: EVENTS }, LEDGER_WITH_ANY);
    expect(log.ranges.every((r) => r.types === undefined)).toBe(true);
    expect(log.pages.reduce((n, p) => n + p.versions.length, 0)).toBe(EVENTS);
    expect(fast.state).toEqual(slow.state);
    expect(fast.state).toMatchObject({ seen: Math.floor(EVENTS / 3) + 1, lastSeen: EVENTS });
  });
});

describe('streamed replay (one COPY read ahead of the fold)', () => {
  it('reaches the state, version, time and count of a sequential replay, skipped types included', async () => {
    for (const definition of [LEDGER, LEDGER_WITH_ANY]) {
      const progress: number[] = [];
      const streamed = await stateAt(store, STREAM, { version: EVENTS }, definition, { replayPageSize: PAGE, onProgress: (p) => progress.push(p.version) });
      const slow = await stateAt(sequential(store), STREAM, { version: EVENTS }, definition);
      expect(streamed.state).toEqual(slow.state);
      expect(streamed.version).toBe(EVENTS);
      expect(streamed.timestamp).toBe(slow.timestamp);
      expect(streamed.applied).toBe(EVENTS);
      expect(progress).toHaveLength(PAGES);
      expect(progress.at(-1)).toBe(EVENTS);
    }
    expect((await stateAt(store, STREAM, { version: 500 }, LEDGER, { replayPageSize: PAGE })).state).toMatchObject({ total: expectedTotal(500) });
    expectConnectionsReleased();
  });

  it('gives the waypoints the state at their own version', async () => {
    const waypoints: { version: number; state: string }[] = [];
    await stateAt(store, STREAM, { version: EVENTS }, LEDGER, { replayPageSize: PAGE, waypointEvery: 100, onWaypoint: (w) => waypoints.push(w) });
    expect(waypoints.length).toBeGreaterThan(5);
    for (const w of waypoints) expect(JSON.parse(w.state)).toMatchObject({ total: expectedTotal(w.version) });
  });

  it('ends its copy and gives the connection back when aborted or when the definition throws', async () => {
    const controller = new AbortController();
    const aborted = stateAt(store, STREAM, { version: EVENTS }, LEDGER, {
      replayPageSize: PAGE,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.version > 300) controller.abort();
      },
    });
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError' });
    expectConnectionsReleased();
    const failAt = 200;
    await db.pool.query(`UPDATE events SET event_data = '{"cents": -1}' WHERE aggregate_id = $1 AND event_version = $2`, [STREAM, failAt]);
    try {
      const failure = stateAt(store, STREAM, { version: EVENTS }, LEDGER, { replayPageSize: PAGE });
      await expect(failure).rejects.toBeInstanceOf(SandboxError);
      await expect(failure).rejects.toThrow(/boom.*version 200/);
      expectConnectionsReleased();
    } finally {
      await db.pool.query(`UPDATE events SET event_data = jsonb_build_object('cents', event_version) WHERE aggregate_id = $1 AND event_version = $2`, [
        STREAM,
        failAt,
      ]);
    }
  });

  it("is not cut by a pool's query_timeout and leaves no query timer behind (pg-copy-streams never clears it)", async () => {
    const timed = new pg.Pool({ connectionString: db.url, max: 2, query_timeout: 300 });
    try {
      const timedStore = await PostgresEventStore.open(timed, presetMapping('classic'));
      const result = await stateAt(timedStore, STREAM, { version: EVENTS }, LEDGER, { replayPageSize: PAGE });
      expect(result.version).toBe(EVENTS);
      // Past the timeout: a timer left running would fail the finished copy now, an uncaught error.
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(timed.idleCount).toBe(timed.totalCount);
    } finally {
      await timed.end();
    }
  });
});
