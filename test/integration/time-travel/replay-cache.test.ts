import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InputOf, OperationName, ResultOf } from '../../../src-shared/operations';
import { createEngine, type Engine } from '../../../src-main/engine/engine';
import { CLASSIC_EVENTS_DDL } from '../../../src-main/stores/postgres/classic-schema';
import { testServices } from '../env';

/** A long stream without stored snapshots: later questions start from states earlier replays met. */
describe('time travel remembers states along a long stream', () => {
  const database = `ttcache_${randomBytes(4).toString('hex')}`;
  const STREAM = 'account-cache';
  const EVENTS = 25_000;
  let admin: pg.Client;
  let db: pg.Client;
  let engine: Engine;
  let connectionId: string;

  const call = <N extends OperationName>(op: N, input: InputOf<N>) =>
    engine.dispatcher.run(op, input, { operationId: 't', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined }) as Promise<ResultOf<N>>;
  const state = (version: number, useSnapshot = true) => call('timeTravel.state', { connectionId, streamId: STREAM, target: { version }, definition: 'account', useSnapshot });

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: testServices.postgresUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const url = new URL(testServices.postgresUrl);
    url.pathname = `/${database}`;
    db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    await db.query(CLASSIC_EVENTS_DDL);
    await db.query(
      `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, "timestamp")
       SELECT gen_random_uuid(), $1, 'Account', CASE WHEN v = 1 THEN 'AccountOpened' ELSE 'MoneyDeposited' END, v,
              CASE WHEN v = 1 THEN '{"ownerId":"o","currency":"EUR"}'::jsonb ELSE jsonb_build_object('balanceCents', v * 10) END,
              timestamptz '2026-02-01T00:00:00Z' + v * interval '1 second'
       FROM generate_series(1, $2::int) AS v`,
      [STREAM, EVENTS],
    );
    engine = createEngine({ dataDir: await mkdtemp(join(tmpdir(), 'chrono-ttcache-')), mode: 'browser', log: () => undefined, env: {} });
    connectionId = (
      await call('connections.add', {
        name: 'Cache test',
        settings: { kind: 'postgres', host: url.hostname, port: Number(url.port), database, user: decodeURIComponent(url.username) },
        secret: decodeURIComponent(url.password),
      })
    ).id;
    await call('stores.configure', { connectionId, preset: 'classic', reason: 'test' });
  });

  afterAll(async () => {
    await engine?.dispose();
    await db?.end();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('starts a later replay from the nearest state an earlier one met, with the same result', async () => {
    const first = await state(EVENTS);
    expect(first).toMatchObject({ version: EVENTS, fromSnapshotVersion: 0, applied: EVENTS });
    const later = await state(24_000);
    expect(later).toMatchObject({ version: 24_000, fromSnapshotVersion: 20_000, fromCache: true, applied: 4_000 });
    const fromZero = await state(24_000, false); // "no snapshot" means from version 1, cache included
    expect(fromZero).toMatchObject({ fromSnapshotVersion: 0, applied: 24_000 });
    expect(later.state).toEqual(fromZero.state);
    expect(later.state).toMatchObject({ status: 'open', balanceCents: 240_000 });
  });

  it('does not trust a remembered state once the store changed under it', async () => {
    await db.query(`UPDATE events SET "timestamp" = "timestamp" + interval '1 hour' WHERE aggregate_id = $1 AND event_version = 20000`, [STREAM]);
    const after = await state(24_000);
    expect(after.fromCache).toBeUndefined();
    expect(after).toMatchObject({ fromSnapshotVersion: 0, applied: 24_000, state: { balanceCents: 240_000 } });
  });
});
