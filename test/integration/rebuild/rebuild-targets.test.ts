/**
 * Rebuild targets on a real PostgreSQL: a table created from the definition's declared
 * columns (DDL shown by the dry run, the confirmation bound to it), omitted columns
 * written as their DEFAULT, refused rows explained without advising a resume that would
 * fail again, the projector that feeds a model chosen by name, and definitions chosen
 * from the user's definitions folder.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../../src-main/engine/engine';
import { createTestEngine, engineCaller, jobSettled, postgresConnection } from '../engine-support';
import { createTestDatabase, type TestDatabase } from '../reference/support';
import { seedReferenceStore } from './support';

/** A read model of orders that declares its table: it writes order_id, status and customer only. */
const ORDERS_LITE = (statusDefault: string) => `
definition = {
  name: 'orders-lite',
  handles: { categories: ['Order'] },
  key: (event) => event.streamId,
  projector: 'lite-orders-worker',
  columns: {
    order_id: { type: 'varchar(255)', primaryKey: true },
    status: { type: 'text', notNull: true, default: '${statusDefault}' },
    customer: 'text',
    metadata: { type: 'jsonb', notNull: true, default: { source: "rebuild's" } },
    touched_at: { type: 'timestamptz', notNull: true, default: { sql: 'now()' } },
  },
  apply(row, event) {
    if (event.type === 'OrderPlaced') return { order_id: event.streamId, status: 'placed', customer: event.data.customerId };
    return row ? { order_id: row.order_id, status: event.type.replace('Order', '').toLowerCase(), customer: row.customer } : undefined;
  },
};`;

/** A time-travel definition: not a read model (no key, no apply). */
const TIME_TRAVEL_ONLY = `definition = { name: 'acc', init: () => ({}), handlers: { AccountOpened: (s) => s } };`;

describe('rebuild targets, defaults, errors and the feeding projector', () => {
  let db: TestDatabase;
  let engine: Engine;
  let connectionId: string;
  let folder: string;
  const call = engineCaller(() => engine);

  const confirmFolder = async () => {
    const looked = await call('timeTravel.setDefinitionsFolder', { path: folder });
    await call('timeTravel.setDefinitionsFolder', { path: folder, listingHash: looked.listing.listingHash! });
  };
  const rebuild = async (model: string, definition: { name: string; source: string } | { folder: string } | { builtin: true }) => {
    const started = await call('rebuilds.start', { connectionId, model, definition });
    return { ...started, job: await jobSettled(engine, started.jobId!) };
  };

  beforeAll(async () => {
    db = await createTestDatabase('rebuildtarget');
    await (await seedReferenceStore(db.pool, 3000, 11)).close();
    folder = await mkdtemp(join(tmpdir(), 'chrono-rebuild-defs-'));
    await writeFile(join(folder, 'orders-lite.js'), ORDERS_LITE('new'));
    await writeFile(join(folder, 'acc.js'), TIME_TRAVEL_ONLY);
    engine = await createTestEngine('rebuildtarget');
    connectionId = (await call('connections.add', { ...postgresConnection('Reference', db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId, preset: 'classic' });
    await confirmFolder();
  }, 120_000);

  afterAll(async () => {
    await engine?.dispose();
    await db?.drop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("lists the folder's read-model definitions and tells the others apart", async () => {
    const listed = await call('rebuilds.definitions', {});
    expect(listed.folder).toBe(folder);
    const byName = Object.fromEntries(listed.definitions.map((d) => [d.name, d]));
    expect(byName['user:orders-lite']).toMatchObject({
      status: 'ready',
      projector: 'lite-orders-worker',
      columns: ['order_id', 'status', 'customer', 'metadata', 'touched_at'],
    });
    expect(byName['user:acc']).toMatchObject({ status: 'invalid' });
    expect(byName['user:acc']!.message).toMatch(/Not a read-model definition: .*key/);
  });

  it('creates the target from the declared columns after a dry run showing the exact DDL, bound to that DDL', async () => {
    const input = { connectionId, model: 'orders_lite', definition: { folder: 'user:orders-lite' } };
    await expect(call('rebuilds.createTarget', { ...input, reason: 'OPS-1' })).rejects.toMatchObject({ code: 'confirmation_required' });
    const dry = await call('rebuilds.createTarget', { ...input, dryRun: true });
    expect(dry.ddl).toBe(
      [
        'CREATE TABLE "public"."orders_lite" (',
        '  "order_id" varchar(255) PRIMARY KEY,',
        `  "status" text NOT NULL DEFAULT E'new'::text,`,
        '  "customer" text,',
        `  "metadata" jsonb NOT NULL DEFAULT E'{"source":"rebuild''s"}'::jsonb,`,
        '  "touched_at" timestamptz NOT NULL DEFAULT now()',
        ');',
      ].join('\n'),
    );
    expect((await db.pool.query(`SELECT to_regclass('orders_lite') AS t`)).rows[0].t).toBeNull();

    // The file changes (and is confirmed again) between the dry run and the confirmation: same input, another DDL.
    await writeFile(join(folder, 'orders-lite.js'), ORDERS_LITE('fresh'));
    await confirmFolder();
    await expect(call('rebuilds.createTarget', { ...input, confirmation: dry.confirmation!, reason: 'new read model' })).rejects.toMatchObject({
      code: 'plan_changed',
    });
    expect((await db.pool.query(`SELECT to_regclass('orders_lite') AS t`)).rows[0].t).toBeNull();

    const again = await call('rebuilds.createTarget', { ...input, dryRun: true });
    expect(again.ddl).toContain(`DEFAULT E'fresh'::text`);
    const created = await call('rebuilds.createTarget', { ...input, confirmation: again.confirmation!, reason: 'new read model' });
    expect(created).toMatchObject({ created: true, ddl: again.ddl });
    const { rows } = await db.pool.query<{ column_name: string; is_nullable: string; column_default: string | null }>(
      `SELECT column_name, is_nullable, column_default FROM information_schema.columns WHERE table_name = 'orders_lite' ORDER BY ordinal_position`,
    );
    expect(rows.map((r) => [r.column_name, r.is_nullable])).toEqual([
      ['order_id', 'NO'],
      ['status', 'NO'],
      ['customer', 'YES'],
      ['metadata', 'NO'],
      ['touched_at', 'NO'],
    ]);
    await expect(call('rebuilds.createTarget', { ...input, dryRun: true })).rejects.toMatchObject({ code: 'conflict' });
    const audit = await call('audit.list', { operation: 'rebuilds.createTarget' });
    expect(audit.records.map((r) => [r.outcome, r.dryRun])).toEqual(
      expect.arrayContaining([
        ['ok', false],
        ['refused', false],
      ]),
    );
  });

  it("rebuilds into the created table with the folder's definition: omitted columns get their DEFAULT, not NULL", async () => {
    const { job, rebuildId } = await rebuild('orders_lite', { folder: 'user:orders-lite' });
    expect(job.error).toBeUndefined();
    expect(job.state).toBe('done');
    const shadow = `orders_lite__shadow_${rebuildId}`;
    const { rows } = await db.pool.query<{ n: string; defaulted: string; nulls: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE metadata = '{"source":"rebuild''s"}'::jsonb AND touched_at IS NOT NULL) AS defaulted, count(*) FILTER (WHERE metadata IS NULL) AS nulls FROM ${shadow}`,
    );
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    expect(rows[0]!.defaulted).toBe(rows[0]!.n);
    expect(rows[0]!.nulls).toBe('0');
  }, 60_000);

  it('gives omitted columns of a hand-made table their DEFAULT (the definition writes two of its four columns)', async () => {
    await db.pool.query(
      `CREATE TABLE order_flags (order_id text PRIMARY KEY, flag text, metadata jsonb NOT NULL DEFAULT '{}'::jsonb, version integer NOT NULL DEFAULT 0)`,
    );
    const source = `definition = { name: 'flags', handles: { types: ['OrderPlaced'] }, key: (e) => e.streamId, apply: (row, e) => ({ order_id: e.streamId, flag: 'placed' }) };`;
    const { job, rebuildId } = await rebuild('order_flags', { name: 'flags', source });
    expect(job.error).toBeUndefined();
    const { rows } = await db.pool.query<{ metadata: unknown; version: number }>(`SELECT DISTINCT metadata, version FROM order_flags__shadow_${rebuildId}`);
    expect(rows).toEqual([{ metadata: {}, version: 0 }]);
  }, 60_000);

  it('explains refused rows by column, table and definition, and does not advise resuming what would fail again', async () => {
    await db.pool.query(`CREATE TABLE order_amounts (order_id text PRIMARY KEY, amount integer NOT NULL, label varchar(3), code text UNIQUE)`);
    const failWith = async (name: string, row: string) => {
      const source = `definition = { name: '${name}', handles: { types: ['OrderPlaced'] }, key: (e) => e.streamId, apply: (row, e) => (${row}) };`;
      const { job } = await rebuild('order_amounts', { name, source });
      expect(job.state).toBe('failed');
      expect(job.retryable).toBe(false);
      expect(job.error).not.toMatch(/resume it|Resume the rebuild|try again from where it stopped/i);
      expect(job.error).not.toMatch(/violates|invalid input syntax/); // the driver's words are not the sentence
      return job.error!;
    };
    expect(await failWith('no-amount', `{ order_id: e.streamId }`)).toMatch(
      /Definition no-amount wrote rows without a value for column amount of order_amounts, which is NOT NULL and has no default/,
    );
    expect(await failWith('text-amount', `{ order_id: e.streamId, amount: 'lots' }`)).toMatch(
      /Definition text-amount wrote a value PostgreSQL cannot store in column amount \(integer\) of order_amounts \(a 4-character value\)/,
    );
    expect(await failWith('long-label', `{ order_id: e.streamId, amount: 1, label: 'toolong' }`)).toMatch(
      /column label \(character varying\(3\)\) of order_amounts/,
    );
    expect(await failWith('same-code', `{ order_id: e.streamId, amount: 1, code: 'same' }`)).toMatch(
      /Definition same-code wrote two rows of order_amounts with the same value for the unique constraint order_amounts_code_key \(key code\)/,
    );
  }, 120_000);

  it('defaults the swap to the projector that feeds the model and warns about one that does not', async () => {
    const head = (await db.pool.query<{ p: string }>('SELECT max(global_position)::text AS p FROM events')).rows[0]!.p;
    await db.pool.query(
      `INSERT INTO projection_checkpoints (projection_name, source, position) VALUES ('accounts_view', 'events', $1), ('orders_view', 'events', $1), ('OrdersLiteProjection', 'events', $1), ('lite-orders-worker', 'events', $1)`,
      [head],
    );
    const catalog = await call('rebuilds.catalog', { connectionId });
    const projectorOf = (model: string) => catalog.models.find((m) => m.model === model)?.projector;
    expect(projectorOf('orders_view')).toMatchObject({ name: 'orders_view', source: 'events', reason: 'declared by the definition' });
    expect(projectorOf('accounts_view')).toMatchObject({ name: 'accounts_view' });
    expect(projectorOf('orders_lite')).toMatchObject({ name: 'OrdersLiteProjection', reason: 'named after orders_lite (projection naming conventions)' });
    expect(projectorOf('order_amounts')).toBeNull(); // nothing feeds it: no default, rather than the first checkpoint
    // The rebuild of orders_lite ran the folder's definition, which declares its projector: that one is its swap's default.
    const lite = catalog.models.find((m) => m.model === 'orders_lite')!.rebuilds[0]!;
    expect(lite).toMatchObject({ phase: 'indexed', projector: { name: 'lite-orders-worker', source: 'events', reason: 'declared by the definition' } });
    const declaredOk = await call('rebuilds.swap', {
      connectionId,
      rebuildId: lite.id,
      projector: { name: 'lite-orders-worker', source: 'events' },
      dryRun: true,
    });
    expect(declaredOk.warning).toBeUndefined();

    const { rebuildId, job } = await rebuild('orders_view', { builtin: true });
    expect(job.state).toBe('done');
    const wrong = await call('rebuilds.swap', { connectionId, rebuildId, projector: { name: 'accounts_view', source: 'events' }, dryRun: true });
    expect(wrong.warning).toMatch(/^accounts_view \(events\) does not appear to feed orders_view.*Choose orders_view \(events\)\.$/);
    const right = await call('rebuilds.swap', { connectionId, rebuildId, projector: { name: 'orders_view', source: 'events' }, dryRun: true });
    expect(right.warning).toBeUndefined();
  }, 60_000);
});
