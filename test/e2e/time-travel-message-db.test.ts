import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresConnection } from '../integration/engine-support';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';
import { installMessageDb, messageDbWriter } from '../integration/stores/message-db';
import { closeAppPage, goTo, openAppPage, type RunningApp } from './harness';

const PROFILE = 'Message DB (test PG)';
const MESSAGES = 150;
const STREAM = 'account-e2e';

/** The time travel screen on a Message DB stream, whose positions run 0..149. */
describe('time travel on a Message DB stream numbered from 0', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    db = await createTestDatabase('e2e_mdb');
    await installMessageDb(db.url);
    const writer = await messageDbWriter(db.url);
    try {
      for (let n = 0; n < MESSAGES; n += 1) await writer.write(STREAM, n === 0 ? 'Opened' : 'Deposited', { seq: n });
    } finally {
      await writer.close();
    }
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (_, call) => {
        const { id } = await call('connections.add', postgresConnection(PROFILE, db.url));
        await call('stores.configure', { connectionId: id, preset: 'message-db' });
      },
    }));
  });

  afterAll(async () => {
    await closeAppPage(app, browser);
    await db?.drop();
  });

  it('slides over 0..149, shows the state at version 0, and says why it replays with the generic merge', async () => {
    await page.locator('#active-connection-select').selectOption({ label: PROFILE });
    await goTo(page, `#/time-travel/${encodeURIComponent(STREAM)}`);
    const range = page.getByTestId('tt-range');
    await expect.poll(() => range.getAttribute('max'), { timeout: 30_000 }).toBe(String(MESSAGES - 1));
    expect(await range.getAttribute('min')).toBe('0');
    await range.fill('0');
    await expect.poll(() => page.getByTestId('tt-state').getAttribute('data-version'), { timeout: 30_000 }).toBe('0');
    await expect.poll(() => page.getByTestId('tt-state').getAttribute('aria-busy')).toBeNull();
    expect(await page.locator('[data-testid="tt-state-tree"] [data-path="seq"] .json-tree__number').textContent()).toBe('0');
    expect(await page.locator('[data-testid="tt-event"][data-version="0"]').count()).toBe(1);
    // The step at version 0 (Opened) is shown with what it changed.
    await expect.poll(() => page.getByTestId('tt-changed').textContent(), { timeout: 30_000 }).toContain('v0 Opened changed');
    expect(await page.getByTestId('tt-definition-used').textContent()).toBe('definition: merge');
    expect(await page.getByTestId('tt-definition-reason').textContent()).toMatch(/^Generic merge: this store is not the reference system's schema/);
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
