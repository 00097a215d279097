import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerMessage } from '../../../src-shared/wire';
import type { Engine } from '../../../src-main/engine/engine';
import { sandboxPool } from '../../../src-main/engine/definitions/sandbox-pool';
import { CLASSIC_EVENTS_DDL } from '../../../src-main/stores/postgres/classic-schema';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { untilCondition } from '../../support/waiting';

const STREAMS = 6;

/** Replays beyond the sandbox worker cap wait in line and say so over the wire, then finish. */
describe('replays waiting for a sandbox worker', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);
  const limitBefore = sandboxPool.limit;

  beforeAll(async () => {
    db = await createTestDatabase('ttqueue');
    await db.pool.query(CLASSIC_EVENTS_DDL);
    for (let s = 0; s < STREAMS; s++) {
      await db.pool.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp")
         SELECT gen_random_uuid(), $1, 'Account', CASE WHEN v = 1 THEN 'AccountOpened' ELSE 'MoneyDeposited' END, v,
                CASE WHEN v = 1 THEN jsonb_build_object('ownerId', 'owner-' || $2::int, 'currency', 'EUR') ELSE jsonb_build_object('balanceCents', (v - 1) * $2::int) END,
                '{}', timestamptz '2025-01-01T00:00:00Z' + v * interval '1 second'
         FROM generate_series(1, 50 + $2::int) AS v`,
        [`account-${s}`, s + 1],
      );
    }
    engine = await createTestEngine('ttqueue');
    connectionId = (await call('connections.add', postgresConnection('Queue', db.url))).id;
    await call('stores.configure', { connectionId, preset: 'classic', reason: 'test' });
    await call('timeTravel.definitions', {}); // the built-ins are inspected (in the sandbox) before the slots are held
    sandboxPool.setLimit(2);
  });

  afterAll(async () => {
    sandboxPool.setLimit(limitBefore);
    await engine?.dispose();
    await db?.drop();
  });

  it('reports "Queued" progress for each replay in line, then every replay answers with its state', async () => {
    // The test holds both workers' slots, so every replay has to wait in line.
    const held = [await sandboxPool.acquire(), await sandboxPool.acquire()];
    const sent: ServerMessage[] = [];
    const session = engine.dispatcher.openSession((m) => sent.push(m));
    for (let s = 0; s < STREAMS; s++) {
      session.receive({
        t: 'call',
        id: `replay-${s}`,
        op: 'timeTravel.state',
        input: { connectionId, streamId: `account-${s}`, target: { version: 1000 }, definition: 'account', useSnapshot: false },
      });
    }
    const queuedMessages = (id: string) =>
      sent.flatMap((m) => (m.t === 'progress' && m.id === id && m.progress.message?.startsWith('Queued') ? [m.progress.message] : []));
    await untilCondition(() => sandboxPool.queued === STREAMS, 'every replay to wait in line');
    for (let s = 0; s < STREAMS; s++) expect(queuedMessages(`replay-${s}`)[0]).toMatch(/^Queued: [1-6] replays? ahead$/);
    expect(sent.filter((m) => m.t === 'result')).toEqual([]);

    held.forEach((release) => release());
    await untilCondition(() => sent.filter((m) => m.t === 'result').length === STREAMS, 'every replay to answer');
    for (let s = 0; s < STREAMS; s++) {
      const result = sent.find((m) => m.t === 'result' && m.id === `replay-${s}`);
      expect(result).toMatchObject({
        ok: true,
        data: { version: 51 + s, state: { status: 'open', ownerId: `owner-${s + 1}`, balanceCents: (50 + s) * (s + 1) } },
      });
    }
    // Each moved up the line one place per worker that exited, until it was next.
    for (let s = 0; s < STREAMS; s++) expect(queuedMessages(`replay-${s}`).at(-1)).toBe('Queued: 1 replay ahead');
    await untilCondition(() => sandboxPool.active === 0, 'every worker to exit');
    session.close();
  });
});
