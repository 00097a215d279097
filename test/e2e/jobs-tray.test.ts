import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAppPage, openAppPage, type RunningApp, screenshot } from './harness';

describe('the jobs tray', () => {
  let app: RunningApp, browser: Browser, page: Page, pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ seeded: true }));
  }, 240_000);
  afterAll(() => closeAppPage(app, browser));

  const row = () => page.getByTestId('job-row').first();

  it('starts "Verify all snapshots" from the overview, follows it across a reload, and shows its outcome', async () => {
    await page.getByTestId('verify-all-snapshots-start').click();
    await page.getByTestId('jobs-tray-button').click();
    await row().waitFor({ timeout: 30_000 });
    expect(await row().textContent()).toContain('Verify all snapshots of Local workspace');

    // A reload drops the page's calls; the job belongs to the engine and the tray finds it again.
    await page.reload();
    await page.getByTestId('jobs-tray-button').click();
    await row().waitFor({ timeout: 30_000 });
    await expect.poll(() => row().getAttribute('data-state'), { timeout: 180_000 }).toBe('done');
    const summary = await page.getByTestId('job-summary').first().textContent();
    expect(summary).toMatch(/^\d+ of \d+ snapshots? match a replay/);
    const jobs = (await app.engine.jobs.list()).filter((j) => j.kind === 'snapshots.verifyAll');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.state).toBe('done');
    await screenshot(page, 'jobs-tray');
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
