import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { installMessageDb, messageDbWriter } from '../stores/message-db';

const MESSAGES = 150;

/**
 * A Message DB installed from its own SQL and written by its own write_message:
 * stream positions start at 0, and every operation takes position 0 as the first.
 */
describe('time travel and browse on Message DB (stream positions from 0)', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);
  const streamId = 'account-7f3c';

  beforeAll(async () => {
    db = await createTestDatabase('mdb');
    await installMessageDb(db.url);
    const writer = await messageDbWriter(db.url);
    try {
      for (let n = 0; n < MESSAGES; n += 1) {
        const position = await writer.write(streamId, n === 0 ? 'Opened' : 'Deposited', { seq: n, ...(n === 0 ? { owner: 'ada' } : {}) });
        expect(position).toBe(n);
      }
    } finally {
      await writer.close();
    }
    engine = await createTestEngine('mdb');
    connectionId = (await call('connections.add', postgresConnection('Message DB', db.url))).id;
    await call('stores.configure', { connectionId, preset: 'message-db' });
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it('describes the store as numbering streams from 0', async () => {
    expect((await call('stores.describe', { connectionId })).firstVersion).toBe(0);
  });

  it('reads the whole stream from position 0, and lists it with 150 events', async () => {
    const read = await call('streams.read', { connectionId, streamId, limit: 1000 });
    expect(read.events).toHaveLength(MESSAGES);
    expect(read.events[0]).toMatchObject({ version: 0, type: 'Opened', data: { seq: 0, owner: 'ada' } });
    expect(read.events.at(-1)!.version).toBe(MESSAGES - 1);
    const fromZero = await call('streams.read', { connectionId, streamId, fromVersion: 0, toVersion: 2 });
    expect(fromZero.events.map((e) => e.version)).toEqual([0, 1, 2]);
    const listed = await call('streams.list', { connectionId, category: 'account' });
    expect(listed.streams).toEqual([expect.objectContaining({ streamId, eventCount: MESSAGES, lastVersion: MESSAGES - 1 })]);
  });

  it('feeds the slider with the range 0..149', async () => {
    // The reads the time travel screen takes its bounds from: the first event and the last.
    const first = await call('streams.read', { connectionId, streamId, direction: 'forward', limit: 1 });
    const last = await call('streams.read', { connectionId, streamId, direction: 'backward', limit: 1 });
    expect([first.events[0]!.version, last.events[0]!.version]).toEqual([0, MESSAGES - 1]);
  });

  it('reconstructs the state at version 0 and at the end', async () => {
    const atZero = await call('timeTravel.state', { connectionId, streamId, target: { version: 0 }, definition: 'merge' });
    expect(atZero).toMatchObject({ version: 0, applied: 1, state: { seq: 0, owner: 'ada' } });
    const atEnd = await call('timeTravel.state', { connectionId, streamId, target: { version: MESSAGES - 1 }, definition: 'merge' });
    expect(atEnd).toMatchObject({ version: MESSAGES - 1, applied: MESSAGES, state: { seq: MESSAGES - 1, owner: 'ada' } });
  });

  it('steps from version 0, compares with it and finds it in a field history', async () => {
    const steps = await call('timeTravel.steps', { connectionId, streamId, fromVersion: 0, toVersion: 2, definition: 'merge' });
    expect(steps.steps.map((s) => s.event.version)).toEqual([0, 1, 2]);
    expect(steps.steps[0]).toMatchObject({ before: {}, after: { seq: 0, owner: 'ada' } });
    const compared = await call('timeTravel.compare', { connectionId, streamId, a: { version: 0 }, b: { version: 3 }, definition: 'merge' });
    expect(compared.diff).toEqual([{ path: ['seq'], kind: 'changed', before: 0, after: 3 }]);
    const history = await call('timeTravel.fieldHistory', { connectionId, streamId, path: 'owner', definition: 'merge' });
    expect(history.changes.map((c) => [c.event.version, c.before, c.after])).toEqual([[0, undefined, 'ada']]);
  });

  it('replays an "account" category with the generic merge, and says why, unless the built-in is chosen', async () => {
    const auto = await call('timeTravel.state', { connectionId, streamId, target: { version: 5 } });
    expect(auto.definition).toBe('merge');
    expect(auto.definitionReason).toMatch(/^Generic merge: this store is not the reference system's schema/);
    expect(auto.state).toEqual({ seq: 5, owner: 'ada' });
    const chosen = await call('timeTravel.state', { connectionId, streamId, target: { version: 5 }, definition: 'account' });
    expect(chosen.definition).toBe('account');
  });
});
