/**
 * The Rebuilds screen's defaults: the swap takes the projector that feeds the model
 * (not the first checkpoint), a changed input discards the old "Swap now", a table is
 * created from a definition after its DDL is shown, and a definition is chosen from the
 * user's definitions folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresConnection } from '../integration/engine-support';
import { seedReferenceStore } from '../integration/rebuild/support';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

/** Orders with only their status: declares its table, writes two of its four columns. */
const ORDER_STATUS = `
definition = {
  name: 'order-status',
  handles: { categories: ['Order'] },
  key: (event) => event.streamId,
  columns: {
    order_id: { type: 'varchar(255)', primaryKey: true },
    status: { type: 'text', notNull: true },
    metadata: { type: 'jsonb', notNull: true, default: {} },
    noted_at: { type: 'timestamptz', notNull: true, default: { sql: 'now()' } },
  },
  apply(row, event) {
    if (event.type === 'OrderPlaced') return { order_id: event.streamId, status: 'placed' };
    return row ? { order_id: row.order_id, status: event.type.replace('Order', '').toLowerCase() } : undefined;
  },
};`;

describe('the Rebuilds screen picks the right projector and makes targets from definitions', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    db = await createTestDatabase('e2erebuilddef');
    await (await seedReferenceStore(db.pool, 3000, 13)).close();
    // The reference projectors' checkpoints, named after their views; accounts_view sorts first.
    const head = (await db.pool.query<{ p: string }>('SELECT max(global_position)::text AS p FROM events')).rows[0]!.p;
    await db.pool.query(
      `INSERT INTO projection_checkpoints (projection_name, source, position) VALUES ('accounts_view', 'events', $1), ('orders_view', 'events', $1)`,
      [head],
    );
    let id = '';
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (started, call) => {
        ({ id } = await call('connections.add', { ...postgresConnection('Reference store', db.url), readOnly: false }));
        await call('stores.configure', { connectionId: id, preset: 'classic' });
        const folder = join(started.dataDir, 'my-definitions');
        await mkdir(folder);
        await writeFile(join(folder, 'order-status.js'), ORDER_STATUS);
        await writeFile(join(folder, 'account.js'), `definition = { name: 'account', init: () => ({}), handlers: {} };`);
        const looked = await call('timeTravel.setDefinitionsFolder', { path: folder });
        await call('timeTravel.setDefinitionsFolder', { path: folder, listingHash: looked.listing.listingHash! });
      },
    }));
    await page.evaluate((connectionId) => window.localStorage.setItem('chronoscope.activeConnection', connectionId), id);
    await page.reload();
  }, 240_000);

  afterAll(async () => {
    await closeAppPage(app, browser);
    await db?.drop();
  });

  it("defaults an orders_view swap to orders_view's projector; another projector discards the old Swap now and is warned about", async () => {
    await goTo(page, '#/rebuilds');
    await page.getByTestId('rebuild-start-orders_view').click();
    await page.getByTestId('rebuild-go').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 60_000 }).toBe('indexed');
    expect(await page.getByTestId('rebuild-projector').inputValue()).toBe('orders_view|events');
    expect(await page.getByTestId('rebuild-projector-why').textContent()).toContain('declared by the definition');

    await page.getByTestId('rebuild-swap-dry').click();
    await page.getByTestId('rebuild-swap-plan').waitFor();
    expect(await page.getByTestId('rebuild-swap-warning').count()).toBe(0);
    await page.getByTestId('rebuild-projector').selectOption('accounts_view|events');
    // The plan was for orders_view's projector: it and its Swap now are gone.
    expect(await page.getByTestId('rebuild-swap-confirm').count()).toBe(0);
    expect(await page.getByTestId('rebuild-swap-plan').count()).toBe(0);
    await page.getByTestId('rebuild-swap-dry').click();
    await page.getByTestId('rebuild-swap-warning').waitFor();
    expect(await page.getByTestId('rebuild-swap-warning').textContent()).toContain('accounts_view (events) does not appear to feed orders_view');
    await page.getByTestId('rebuild-swap-confirm').scrollIntoViewIfNeeded();
    await screenshot(page, 'rebuilds-projector-warning');

    await page.getByTestId('rebuild-projector').selectOption('orders_view|events');
    expect(await page.getByTestId('rebuild-swap-confirm').count()).toBe(0);
    await page.getByTestId('rebuild-swap-dry').click();
    await page.getByTestId('rebuild-swap-reason').fill('e2e: orders_view fixed');
    await page.getByTestId('rebuild-swap-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 30_000 }).toBe('swapped');
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('creates a target table from a folder definition after showing its DDL, then rebuilds into it with that definition', async () => {
    await goTo(page, '#/rebuilds');
    await page.getByTestId('rebuild-new-target').click();
    await page.getByTestId('rebuild-target-model').fill('order_status');
    // The folder's read-model definition is offered (the time-travel file is listed as not one).
    await expect.poll(() => page.getByTestId('rebuild-definition-folder').inputValue(), { timeout: 15_000 }).toBe('user:order-status');
    expect(await page.getByTestId('rebuild-definition-folder').locator('option').allTextContents()).toContain('account.js (not a read-model definition)');
    await page.getByTestId('rebuild-target-dry').click();
    const ddl = page.getByTestId('rebuild-target-ddl');
    await ddl.waitFor();
    expect(await ddl.textContent()).toBe(
      'CREATE TABLE "public"."order_status" (\n  "order_id" varchar(255) PRIMARY KEY,\n  "status" text NOT NULL,\n  "metadata" jsonb NOT NULL DEFAULT E\'{}\'::jsonb,\n  "noted_at" timestamptz NOT NULL DEFAULT now()\n);',
    );
    await screenshot(page, 'rebuilds-target-ddl');
    // A changed name discards the DDL shown (and its confirm button).
    await page.getByTestId('rebuild-target-model').fill('order_status2');
    expect(await page.getByTestId('rebuild-target-confirm').count()).toBe(0);
    await page.getByTestId('rebuild-target-model').fill('order_status');
    await page.getByTestId('rebuild-target-dry').click();
    await page.getByTestId('rebuild-target-reason').fill('a status-only view for support');
    await page.getByTestId('rebuild-target-confirm').click();
    await page.getByTestId('rebuild-wizard').waitFor();
    expect((await db.pool.query(`SELECT to_regclass('order_status') AS t`)).rows[0].t).toBe('order_status');

    // The wizard opens for the new table, its definition chosen from the folder.
    expect(await page.getByTestId('rebuild-definition-folder').inputValue()).toBe('user:order-status');
    await page.getByTestId('rebuild-go').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 60_000 }).toBe('indexed');
    expect(await page.getByTestId('rebuild-facts').textContent()).toContain('user:order-status');
    // Nothing feeds order_status: no projector is chosen, and the screen says so.
    expect(await page.getByTestId('rebuild-projector').inputValue()).toBe('');
    await page.getByTestId('rebuild-projector-none').waitFor();
    const { rows } = await db.pool.query<{ n: string; defaulted: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE metadata = '{}'::jsonb AND noted_at IS NOT NULL) AS defaulted FROM order_status__shadow_${(await page.getByTestId('rebuild-detail').locator('h2').textContent())!.split(' ')[1]}`,
    );
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);
    expect(rows[0]!.defaulted).toBe(rows[0]!.n);
    await screenshot(page, 'rebuilds-folder-definition');
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it('says which column a failed rebuild left empty and offers no resume that would fail the same way', async () => {
    await db.pool.query(`CREATE TABLE order_totals (order_id text PRIMARY KEY, total_cents bigint NOT NULL)`);
    await goTo(page, '#/rebuilds');
    await page.getByTestId('rebuild-start-order_totals').click();
    await page.getByTestId('rebuild-definition-kind-user').click();
    await page.getByTestId('rebuild-definition-name').fill('totals');
    await page
      .getByTestId('rebuild-definition-source')
      .fill(`definition = { name: 'totals', handles: { types: ['OrderPlaced'] }, key: (e) => e.streamId, apply: (row, e) => ({ order_id: e.streamId }) };`);
    await page.getByTestId('rebuild-go').click();
    const stopped = page.getByTestId('rebuild-progress').locator('.alert');
    await stopped.waitFor({ timeout: 60_000 });
    expect(await stopped.textContent()).toContain(
      'Definition totals wrote rows without a value for column total_cents of order_totals, which is NOT NULL and has no default',
    );
    expect(await stopped.textContent()).not.toMatch(/Resume it/);
    expect(await page.getByTestId('rebuild-resume').count()).toBe(0);
    await screenshot(page, 'rebuilds-failure-explained');
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
