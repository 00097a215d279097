import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresConnection } from '../integration/engine-support';
import type { TestDatabase } from '../integration/reference/support';
import { closeAppPage, createClassicStore, openAppPage, screenshot, type RunningApp } from './harness';

const PROFILE = 'Classic, changed under the app (test PG)';

describe('a store whose table changed under the confirmed preset', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    db = await createClassicStore('e2e_serr');
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (_, call) => {
        const { id } = await call('connections.add', postgresConnection(PROFILE, db.url));
        await call('stores.configure', { connectionId: id, preset: 'classic' });
        // The confirmed store stays open while its table changes: versions become text, the type column goes.
        await db.pool.query('ALTER TABLE events ALTER COLUMN event_version TYPE text USING event_version::text');
        await db.pool.query('ALTER TABLE events DROP COLUMN event_type');
      },
    }));
  });

  afterAll(async () => {
    await closeAppPage(app, browser);
    await db?.drop();
  });

  it('the streams screen says what to do, and not that the store is empty', async () => {
    await page.locator('#active-connection-select').selectOption({ label: PROFILE });
    await page.getByTestId('nav-streams').click();
    const alert = page.getByTestId('browse-error');
    await alert.waitFor({ timeout: 30_000 });
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('Run the schema detection again');
    expect(text).not.toContain('operator does not exist');
    expect(await page.getByText('This store has no streams yet.').count()).toBe(0);
    await screenshot(page, 'store-error-streams');
  });

  it('the feed says what to do, and not that the store has no events', async () => {
    await page.getByTestId('nav-feed').click();
    const alert = page.getByTestId('browse-error');
    await expect.poll(async () => (await alert.textContent({ timeout: 30_000 })) ?? '', { timeout: 30_000 }).toContain('no longer exists');
    expect(await alert.textContent()).not.toMatch(/column .* does not exist/);
    expect(await page.getByText('This store has no events yet.').count()).toBe(0);
  });

  it('raised no page errors', () => {
    // The failed calls are answers on the WebSocket, not HTTP errors or page errors.
    expect(pageErrors).toEqual([]);
  });
});
