import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEvents } from '../../src-main/reference/generator/generate';
import { writeToMongo } from '../../src-main/reference/generator/write-mongo';
import { engineCaller, postgresConnection } from '../integration/engine-support';
import { testServices } from '../integration/env';
import { projectMongoProductsView, seedReferenceStore } from '../integration/rebuild/support';
import { createTestDatabase, createTestMongo, type TestDatabase, type TestMongo } from '../integration/reference/support';
import { closeAppPage, goTo, launchBrowser, openApp, screenshot, startApp, type RunningApp } from './harness';

/** The Rebuilds screen's scope choice (PostgreSQL) and a MongoDB collection's rebuild with its swap risk. */
describe('partial and Mongo rebuilds from the Rebuilds screen', () => {
  let db: TestDatabase;
  let mongo: TestMongo;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let postgresId: string;
  let mongoId: string;

  const activate = async (connectionId: string) => {
    await page.evaluate((id) => window.localStorage.setItem('chronoscope.activeConnection', id), connectionId);
    await page.reload();
    await goTo(page, '#/rebuilds');
  };

  beforeAll(async () => {
    db = await createTestDatabase('e2erebuildscope');
    await (await seedReferenceStore(db.pool, 6000, 21)).close();
    mongo = await createTestMongo('e2erebuildmongo');
    await writeToMongo(mongo.db, generateEvents({ events: 2000, seed: 4 }));
    await projectMongoProductsView(mongo.db);
    app = await startApp();
    const call = engineCaller(() => app.engine);
    postgresId = (await call('connections.add', { ...postgresConnection('Reference store', db.url), readOnly: false })).id;
    await call('stores.configure', { connectionId: postgresId, preset: 'classic' });
    mongoId = (
      await call('connections.add', { name: 'Mongo reference', settings: { kind: 'mongo', uri: testServices.mongoUrl, database: mongo.name }, readOnly: false })
    ).id;
    await call('stores.configure', { connectionId: mongoId, preset: 'reference-mongo' });
    browser = await launchBrowser();
    ({ page, errors: pageErrors } = await openApp(browser, app.host.url));
  }, 240_000);

  afterAll(async () => {
    await closeAppPage(app, browser);
    await db?.drop();
    await mongo?.drop();
  });

  it('rebuilds the accounts touched by withdrawals in a time range: their balances fixed, the others left as they were', async () => {
    const { rows: times } = await db.pool.query<{ t: string }>(
      `SELECT to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS t FROM events WHERE event_type = 'MoneyWithdrawn' ORDER BY "timestamp"`,
    );
    const from = times[Math.floor(times.length * 0.4)]!.t;
    const to = times[Math.floor(times.length * 0.6)]!.t;
    const { rows: touched } = await db.pool.query<{ id: string }>(
      `SELECT DISTINCT aggregate_id AS id FROM events WHERE event_type = 'MoneyWithdrawn' AND "timestamp" >= $1 AND "timestamp" < $2 ORDER BY 1`,
      [from, to],
    );
    const inScope = touched.map((r) => r.id);
    const { rows: others } = await db.pool.query<{ id: string }>(
      'SELECT account_id AS id FROM accounts_view WHERE NOT (account_id = ANY($1)) ORDER BY 1 LIMIT 1',
      [inScope],
    );
    const chosen = [inScope[0]!, others[0]!.id];
    const { rows: correct } = await db.pool.query<{ b: string }>(
      'SELECT balance_cents AS b FROM accounts_view WHERE account_id = ANY($1) ORDER BY account_id',
      [chosen],
    );
    await db.pool.query('UPDATE accounts_view SET balance_cents = 1 WHERE account_id = ANY($1)', [chosen]);

    await activate(postgresId);
    await page.getByTestId('rebuild-start-accounts_view').click();
    await page.getByTestId('rebuild-scope-kind-types').click();
    await page.getByTestId('rebuild-scope-types').fill('MoneyWithdrawn');
    await page.getByTestId('rebuild-scope-from').fill(from);
    await page.getByTestId('rebuild-scope-to').fill(to);
    await page.getByTestId('rebuild-scope-check').click();
    await expect.poll(() => page.getByTestId('rebuild-scope-count').textContent(), { timeout: 30_000 }).toContain(`${inScope.length} stream`);
    await screenshot(page, 'rebuilds-scope-wizard');
    await page.getByTestId('rebuild-go').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 60_000 }).toBe('indexed');
    await expect
      .poll(() => page.getByTestId('rebuild-diff-summary').textContent(), { timeout: 30_000 })
      .toContain(`Live ${inScope.length} rows, shadow ${inScope.length}: 1 changed`);
    await page.getByTestId('rebuild-projector').selectOption('');
    await page.getByTestId('rebuild-swap-dry').click();
    await page.getByTestId('rebuild-swap-reason').fill('e2e: fix the scope');
    await page.getByTestId('rebuild-swap-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 30_000 }).toBe('swapped');
    const { rows: after } = await db.pool.query<{ id: string; b: string }>(
      'SELECT account_id AS id, balance_cents AS b FROM accounts_view WHERE account_id = ANY($1) ORDER BY account_id',
      [chosen],
    );
    const byId = new Map(after.map((r) => [r.id, Number(r.b)]));
    const correctById = new Map([...chosen].sort().map((id, i) => [id, Number(correct[i]!.b)]));
    expect(byId.get(inScope[0]!)).toBe(correctById.get(inScope[0]!)); // in the scope: fixed
    expect(byId.get(others[0]!.id)).toBe(1); // outside: left as it was

    // Rolled back, it leaves its shadow (the rebuilt rows) and the copy of the old rows: both listed, and dropped together.
    await page.getByTestId('rebuild-rollback-reason').fill('e2e: compare the scope');
    await page.getByTestId('rebuild-rollback-dry').click();
    await page.getByTestId('rebuild-rollback-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 30_000 }).toBe('rolled back');
    const leftover = page.getByTestId('rebuild-leftovers').locator('li').first();
    await leftover.waitFor({ timeout: 30_000 });
    const text = (await leftover.textContent())!;
    const tables = [/accounts_view__shadow_\w+/.exec(text)?.[0], /accounts_view__before_\w+/.exec(text)?.[0]];
    expect(tables.every(Boolean)).toBe(true);
    expect(text).toContain('a copy of the old rows (live again)');
    await screenshot(page, 'rebuilds-partial-rolled-back-leftovers');
    await leftover.getByTestId('rebuild-leftover-drop').click();
    await leftover.getByTestId('rebuild-leftover-reason').fill('e2e: compare done');
    await leftover.getByTestId('rebuild-leftover-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-leftovers').count(), { timeout: 15_000 }).toBe(0);
    for (const table of tables) expect((await db.pool.query('SELECT to_regclass($1) AS t', [table])).rows[0].t).toBeNull();
    expect(pageErrors).toEqual([]);
  }, 240_000);

  it('rebuilds a Mongo collection, states the swap risk, swaps and reports the window', async () => {
    const [victim] = await mongo.db.collection<{ _id: string; stock: number }>('products_view').find({}).sort({ _id: 1 }).limit(1).toArray();
    await mongo.db.collection<{ _id: string }>('products_view').updateOne({ _id: victim!._id }, { $set: { stock: -5 } });

    await activate(mongoId);
    await page.getByTestId('rebuild-start-products_view').click();
    await page.getByTestId('rebuild-scope-kind-all').waitFor();
    expect(await page.getByTestId('rebuild-follow').count()).toBe(0); // a collection's swap folds the newer events itself
    await page.getByTestId('rebuild-go').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 90_000 }).toBe('indexed');
    await expect
      .poll(() => page.getByTestId('rebuild-diff-summary').textContent(), { timeout: 30_000 })
      .toContain('1 changed, 0 only in live, 0 only in the shadow');
    await page.getByTestId('rebuild-projector').selectOption('');
    await page.getByTestId('rebuild-swap-dry').click();
    await expect.poll(() => page.getByTestId('rebuild-swap-risk').textContent(), { timeout: 30_000 }).toContain('no transaction across collections');
    await screenshot(page, 'rebuilds-mongo-swap-risk');
    await page.getByTestId('rebuild-swap-reason').fill('e2e: stock fixed');
    await page.getByTestId('rebuild-swap-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 30_000 }).toBe('swapped');
    await expect.poll(() => page.getByTestId('rebuild-swap-window').textContent(), { timeout: 10_000 }).toMatch(/was missing for [\d.,]+ ms/);
    expect((await mongo.db.collection<{ _id: string; stock: number }>('products_view').findOne({ _id: victim!._id }))!.stock).toBe(victim!.stock);
    expect(pageErrors).toEqual([]);
  }, 240_000);

  it('lists the collection a Mongo roll back leaves, with the personal-data warning, and drops it', async () => {
    await page.getByTestId('rebuild-open-products_view').click();
    await page.getByTestId('rebuild-rollback-reason').fill('e2e: compare the old stock');
    await page.getByTestId('rebuild-rollback-dry').click();
    await page.getByTestId('rebuild-rollback-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 30_000 }).toBe('rolled back');

    const leftovers = page.getByTestId('rebuild-leftovers');
    await leftovers.waitFor({ timeout: 30_000 });
    expect(await leftovers.locator('.panel__title').textContent()).toBe('Collections left by roll backs');
    expect(await page.getByTestId('rebuild-leftovers-warning').textContent()).toContain('personal data');
    const row = leftovers.locator('li').first();
    const collection = /products_view__after_[\d_]+/.exec((await row.textContent())!)![0];
    expect(await row.textContent()).toMatch(/ · [\d,]+ documents, the documents rebuild /);
    expect(await mongo.db.listCollections({ name: collection }).toArray()).toHaveLength(1);
    await screenshot(page, 'rebuilds-mongo-rolled-back-leftover');

    await page.getByTestId('rebuild-leftover-drop').click();
    await page.getByTestId('rebuild-leftover-reason').fill('e2e: compare done');
    await page.getByTestId('rebuild-leftover-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-leftovers').count(), { timeout: 15_000 }).toBe(0);
    expect(await mongo.db.listCollections({ name: collection }).toArray()).toHaveLength(0);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
