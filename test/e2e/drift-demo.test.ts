import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallLiveDemo } from '../support/small-live-demo';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

describe('a new user finds the demo’s drifted rows and repairs them', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ initializeLocalWorkspace: smallLiveDemo() }));
  }, 120_000);

  afterAll(() => closeAppPage(app, browser));

  it('verifies products_view, reads which rows and why, repairs them through a partial rebuild, and the drift clears', async () => {
    await page.getByTestId('live-demo-corrupted-rows').waitFor({ timeout: 30_000 });
    await goTo(page, '#/rebuilds');
    await page.getByTestId('drift-open-products_view').click();
    await page.getByTestId('drift-full').click();
    await expect.poll(() => page.getByTestId('drift-summary').textContent(), { timeout: 60_000 }).toContain('2 drifted');
    expect(await page.getByTestId('drift-row-prod-orphan-demo').textContent()).toContain('orphan');
    const edited = app.engine.localWorkspace.activity!.status().corruptedRows!.edited;
    expect(await page.getByTestId(`drift-row-${edited}`).textContent()).toContain('stock');
    await screenshot(page, 'drift-demo-report');

    // The writer paused for the swap (the projectors keep running), as an operator would.
    await app.engine.localWorkspace.setActivityPaused(true);
    await page.getByTestId('drift-repair-reason').fill('e2e: rows drifted on purpose');
    await page.getByTestId('drift-repair').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 60_000 }).toBe('indexed');
    await page.getByTestId('rebuild-swap-dry').click();
    await page.getByTestId('rebuild-swap-plan').waitFor();
    await page.getByTestId('rebuild-swap-reason').fill('e2e: repair drift');
    await page.getByTestId('rebuild-swap-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 30_000 }).toBe('swapped');

    await page.getByTestId('drift-full').click();
    await expect.poll(() => page.getByTestId('drift-summary').textContent(), { timeout: 60_000 }).toContain('no drift');
    await screenshot(page, 'drift-demo-repaired');
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
