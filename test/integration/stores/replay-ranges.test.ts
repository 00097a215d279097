/**
 * Many streams' version ranges in one round trip (PostgresEventStore.readReplayRanges),
 * as bulk snapshot verification reads them, and the SnapshotReplayer continuing a
 * range cut at the page size: on PostgreSQL and PGlite.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotReplayer, type ReplayOutcome } from '../../../src-main/engine/snapshots/snapshot-replayer';
import type { DefinitionCatalog } from '../../../src-main/engine/definitions/definition-catalog';
import { ensureReferenceSchema } from '../../../src-main/reference/postgres/schema';
import { REPLAY_PAGE_SIZE } from '../../../src-main/stores/event-store';
import { presetMapping } from '../../../src-main/stores/presets';
import { PostgresEventStore } from '../../../src-main/stores/postgres/postgres-event-store';
import { createPgliteDatabase, createTestDatabase, type TestDatabase } from '../reference/support';

const LONG = REPLAY_PAGE_SIZE * 2 + 300;
const account = { name: 'account.js', source: readFileSync(join(import.meta.dirname, '../../../resources/projections/account.js'), 'utf8') };
/** The one definition, whatever is asked: the replayer's use of the catalog without the folder machinery. */
const catalog = { user: { list: () => [] }, resolve: async () => ({ name: 'account', source: account, origin: 'builtin' }) } as unknown as DefinitionCatalog;

describe.each(['PostgreSQL', 'PGlite'])('replay ranges on %s', (backend) => {
  let db: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    db = backend === 'PGlite' ? await createPgliteDatabase() : await createTestDatabase('ranges');
    await ensureReferenceSchema(db.pool);
    for (const [id, count] of [
      ['acc-long', LONG],
      ['acc-short', 10],
    ] as const) {
      await db.pool.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata)
         SELECT gen_random_uuid(), $1, 'Account', CASE WHEN v = 1 THEN 'AccountOpened' ELSE 'MoneyDeposited' END, v,
                CASE WHEN v = 1 THEN jsonb_build_object('ownerId', 'o', 'currency', 'EUR') ELSE jsonb_build_object('amountCents', 1, 'balanceCents', v - 1) END, '{}'::jsonb
         FROM generate_series(1, $2::int) AS v`,
        [id, count],
      );
    }
    store = await PostgresEventStore.open(db.pool, presetMapping('classic'));
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('reads each range in one query, cut at the page size, empty for an unknown stream', async () => {
    const pages = (await store.readReplayRanges([
      { streamId: 'acc-long', fromVersion: 1, toVersion: LONG },
      { streamId: 'acc-short', fromVersion: 3, toVersion: 8 },
      { streamId: 'nobody', fromVersion: 1, toVersion: 5 },
    ]))!;
    expect(pages).toHaveLength(3);
    expect(pages[0]).toMatchObject({ streamId: 'acc-long', category: 'Account', read: REPLAY_PAGE_SIZE, last: { version: REPLAY_PAGE_SIZE } });
    expect(pages[1]!.versions).toEqual([3, 4, 5, 6, 7, 8]);
    expect(JSON.parse(pages[1]!.events)).toHaveLength(6);
    expect(pages[2]).toMatchObject({ read: 0, last: null, events: '[]' });
  });

  it('replays to each snapshot version, continuing a stream and a range cut at the page size', async () => {
    const replayer = new SnapshotReplayer(store, catalog, 'account', new AbortController().signal);
    const outcomes: [string, number, ReplayOutcome][] = [];
    try {
      await replayer.replay(
        [
          { streamId: 'acc-long', version: 100 },
          { streamId: 'acc-long', version: LONG },
          { streamId: 'acc-short', version: 10 },
          { streamId: 'acc-short', version: 20 },
        ],
        (t, o) => void outcomes.push([t.streamId, t.version, o]),
      );
    } finally {
      await replayer.close();
    }
    expect(outcomes.map(([s, v, o]) => [s, v, o.ok && o.reached, o.ok && (o.state as { balanceCents: number }).balanceCents])).toEqual([
      ['acc-long', 100, 100, 99],
      ['acc-long', LONG, LONG, LONG - 1],
      ['acc-short', 10, 10, 9],
      // The stream ends before the snapshot's version: the replay says how far it got.
      ['acc-short', 20, 10, 9],
    ]);
  });
});
