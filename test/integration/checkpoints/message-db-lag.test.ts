/**
 * Lag of Message DB consumers on a Message DB installed from its own SQL and
 * written with its own write_message: a consumer of a category is behind by that
 * category's messages only, never by other categories or position records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, postgresConnection } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { installMessageDb, messageDbWriter } from '../stores/message-db';

describe('Message DB consumer lag', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  const call = engineCaller(() => engine);
  /** Global positions of the account messages, in order. */
  const accountPositions: number[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('mdb_lag');
    await installMessageDb(db.url);
    const writer = await messageDbWriter(db.url);
    try {
      // Accounts and orders interleaved: 60 account messages, 60 order messages.
      for (let n = 0; n < 60; n += 1) {
        await writer.write(`account-${n % 4}`, 'Deposited', { n });
        await writer.write(`order-${n % 3}`, 'Placed', { n });
      }
      // Consumers record global positions (write_message answers the stream's).
      const { rows } = await db.pool.query<{ p: string }>(
        `SELECT global_position::text AS p FROM message_store.messages WHERE stream_name LIKE 'account-%' ORDER BY global_position`,
      );
      accountPositions.push(...rows.map((r) => Number(r.p)));
      // The lagging consumer processed the first 4 account messages; 56 remain.
      await writer.write('account:position-lagging', 'Recorded', { position: accountPositions[3] });
      // The caught-up consumer processed every account message, and recorded it three times since.
      for (let n = 0; n < 3; n += 1) await writer.write('account:position-done', 'Recorded', { position: accountPositions.at(-1) });
      // A consumer of orders, caught up too: the position records written after its last order are not its lag either.
      await writer.write('order:position', 'Recorded', { position: accountPositions.at(-1)! + 1 });
    } finally {
      await writer.close();
    }
    engine = await createTestEngine('mdb-lag');
    connectionId = (await call('connections.add', postgresConnection('Message DB lag', db.url))).id;
    await call('stores.configure', { connectionId, preset: 'message-db' });
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
  });

  it("counts a consumer's lag within its category, not the whole store", async () => {
    const listed = await call('checkpoints.list', { connectionId });
    const lagging = listed.projectors.find((p) => p.projector === 'account:position-lagging')!;
    expect(lagging.rows[0]).toMatchObject({
      source: 'account',
      position: String(accountPositions[3]),
      lag: { events: 56, estimated: false },
      status: 'behind',
    });
    expect(lagging.rows[0]!.oldestUnprocessedAt).not.toBeNull();
  });

  it('shows a consumer that processed its whole category as caught up, whatever position records follow', async () => {
    const listed = await call('checkpoints.list', { connectionId });
    for (const projector of ['account:position-done', 'order:position']) {
      const done = listed.projectors.find((p) => p.projector === projector)!;
      expect(done.rows[0], projector).toMatchObject({ lag: { events: 0, estimated: false }, status: 'caught-up', lagMs: 0 });
    }
  });
});
