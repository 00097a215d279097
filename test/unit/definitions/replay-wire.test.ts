import { describe, expect, it } from 'vitest';
import { Sandbox } from '../../../src-main/engine/definitions/sandbox';
import { REPLAY_TUPLE, encodeBatch, encodedBatch, replayTupleSql, type ReplayBatch } from '../../../src-main/stores/replay-wire';
import type { StoredEventView } from '../../../src-main/stores/event-store';

const event = (version: number, streamId = 'account-1', category: string | null = 'account'): StoredEventView => ({
  streamId,
  category,
  version,
  position: String(100 + version),
  eventId: `e${version}`,
  type: 'Deposited',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: { amount: version },
  metadata: { traceId: `t${version}` },
  correlationId: `c${version}`,
});

/** Returns every event exactly as the definition saw it. */
const ECHO = { name: 'echo.js', source: `definition = { name: 'echo', init: () => [], any: (state, event) => state.concat([event]) };` };

describe('the replay wire format', () => {
  it('writes each event as one tuple in REPLAY_TUPLE order, with the stream once per batch', () => {
    const batch = JSON.parse(encodeBatch([event(1), event(2, 'account-2')])) as ReplayBatch;
    expect(batch.s).toBe('account-1');
    expect(batch.c).toBe('account');
    const at = (field: (typeof REPLAY_TUPLE)[number]) => REPLAY_TUPLE.indexOf(field);
    expect(batch.e[0]).toHaveLength(at('streamId'));
    expect(batch.e[0]![at('version')]).toBe(1);
    expect(batch.e[0]![at('correlationId')]).toBe('c1');
    expect(batch.e[1]![at('streamId')]).toBe('account-2');
  });

  it('a batch of tuples a store encoded reads the same as one encoded here', () => {
    const events = [event(1), event(2)];
    const own = JSON.parse(encodeBatch(events)) as ReplayBatch;
    const fromStore = encodedBatch({ streamId: 'account-1', category: 'account', events: `[${own.e.map((t) => JSON.stringify(t)).join(',')}]` });
    expect(JSON.parse(fromStore)).toEqual(own);
  });

  it('builds the SQL tuple in the same order', () => {
    const fields = Object.fromEntries(REPLAY_TUPLE.slice(0, 9).map((field) => [field, field])) as Parameters<typeof replayTupleSql>[0];
    expect(replayTupleSql(fields)).toBe(`'[' || ${REPLAY_TUPLE.slice(0, 9).join(" || ',' || ")} || ']'`);
  });

  it('the sandbox rebuilds the events a definition sees from it, including another stream and metadata keys', async () => {
    const sandbox = await Sandbox.start(ECHO.source, ECHO.name);
    try {
      const events = [event(1), event(2, 'account-2', null)];
      const refs = events.map((e) => ({ streamId: e.streamId, version: e.version, type: e.type }));
      const batch = encodedBatch({
        streamId: 'account-1',
        category: 'account',
        events: JSON.stringify((JSON.parse(encodeBatch(events)) as ReplayBatch).e),
        metadataKeys: { causationId: 'traceId' },
      });
      const { state } = await sandbox.applyEncoded(batch, refs);
      expect(state).toEqual([
        { ...event(1), causationId: 't1' },
        { ...event(2, 'account-2', null), causationId: 't2' },
      ]);
    } finally {
      await sandbox.close();
    }
  });
});
