import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallLiveDemo } from '../support/small-live-demo';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

/**
 * The rebuild's rate chart (issue 23 item 7) on a store big enough that a rebuild of
 * accounts_view reports its rate several times, even on a busy machine (on the 12k-event
 * demo of finish-charts a rebuild can end between two progress reports).
 */
const liveDemo = smallLiveDemo({ events: 60_000, commandsPerSecond: 1, lagBehindMs: 15_000 });

describe('the rebuild rate chart', () => {
  let app: RunningApp, browser: Browser, page: Page;

  beforeAll(async () => {
    ({ app, browser, page } = await openAppPage({ initializeLocalWorkspace: liveDemo }));
  }, 240_000);
  afterAll(() => closeAppPage(app, browser));

  it('draws the rebuild speed in events/s over time', async () => {
    await goTo(page, '#/rebuilds');
    await page.getByTestId('rebuild-start-accounts_view').click();
    await page.getByTestId('rebuild-reason').fill('e2e: rate chart');
    await page.getByTestId('rebuild-go').click();
    const chart = page.getByTestId('rebuild-chart');
    await expect.poll(async () => Number((await chart.getAttribute('data-points').catch(() => '0')) ?? 0), { timeout: 90_000 }).toBeGreaterThanOrEqual(2);
    expect(await chart.getByTestId('rebuild-chart-unit').textContent()).toBe('events/s');
    expect(await chart.locator('.recharts-label').allTextContents()).toEqual([expect.stringMatching(/^UTC/)]);
    const times = await chart.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
    expect(times.length).toBeGreaterThanOrEqual(2);
    for (const time of times) expect(time).toMatch(/^\d{2}:\d{2}:\d{2}$/);
    await screenshot(page, 'finish-rebuild-rate-chart');
  }, 150_000);
});
