import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatTimeValue } from '../../src-renderer/src/ui/time';
import { DEFAULT_SETTINGS } from '../../src-shared/schemas/settings';
import { smallLiveDemo } from '../support/small-live-demo';
import { closeAppPage, openAppPage, screenshot, type RunningApp } from './harness';

describe('the Settings screen: time zone, theme, page sizes, sampling, data directory', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ initializeLocalWorkspace: smallLiveDemo({ commandsPerSecond: 2 }) }));
  }, 120_000);

  afterAll(() => closeAppPage(app, browser));

  const firstFeedRow = async () => {
    const row = page.getByTestId('feed-event').first();
    await row.waitFor({ timeout: 30_000 });
    const time = row.locator('time');
    return {
      position: await row.getAttribute('data-position'),
      text: await time.textContent(),
      title: await time.getAttribute('title'),
      iso: await time.getAttribute('datetime'),
    };
  };
  const timeHeader = () => page.locator('[data-testid="feed-table"] [role="columnheader"]').nth(1).textContent();

  it('shows the data directory and the defaults', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-screen').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('settings-data-dir').textContent()).toBe(app.dataDir);
    expect(await page.getByTestId('settings-page-feed').inputValue()).toBe('200');
    expect(await page.getByTestId('settings-sampling-kafka').inputValue()).toBe(String(DEFAULT_SETTINGS.sampling.kafkaLagMs / 1000));
    await screenshot(page, 'settings');
  });

  it('shows times with their zone and ISO with offset on hover, in UTC once chosen', async () => {
    await page.getByTestId('nav-feed').click();
    const local = await firstFeedRow();
    expect(await timeHeader()).toMatch(/^Time \(.+\)$/);
    expect(local.title).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
    expect(local.text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/); // 24-hour, no AM/PM

    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-zone-utc').click();
    await expect.poll(() => page.getByTestId('settings-zone-example').textContent()).toMatch(/\d{2}:\d{2}:\d{2} UTC/);
    await page.getByTestId('nav-feed').click();
    await expect.poll(timeHeader, { timeout: 15_000 }).toBe('Time (UTC)');
    const utc = await firstFeedRow();
    expect(utc.position).toBe(local.position);
    expect(utc.text).toBe(formatTimeValue(utc.iso!, 'utc'));
    expect(utc.title).toMatch(/\+00:00$/);
    // Typed times follow the same format and zone; a time that is not one is marked.
    await page.getByTestId('feed-filter-from').fill('2025-13-01 10:00');
    await expect.poll(() => page.getByTestId('feed-filter-from').getAttribute('aria-invalid')).toBe('true');
    await page.getByTestId('feed-filter-from').fill('');
    await screenshot(page, 'settings-feed-utc');
  });

  it('applies the dark theme at once', async () => {
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-theme-dark').click();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(20, 23, 28)');
    await screenshot(page, 'settings-dark');
  });

  it('validates page sizes and sampling intervals, and the feed reads the saved page size', async () => {
    await page.getByTestId('settings-page-feed').fill('5');
    await page.getByTestId('settings-save').click();
    await expect.poll(() => page.locator('.field__error').first().textContent()).toContain('pageSizes.feed must be at least 20');
    await page.getByTestId('settings-page-feed').fill('50');
    await page.getByTestId('settings-sampling-checkpoint').fill('2');
    await page.getByTestId('settings-save').click();
    await page.getByTestId('settings-saved').waitFor();
    const { settings } = (await app.engine.dispatcher.run(
      'settings.get',
      {},
      { operationId: 's', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined },
    )) as {
      settings: { pageSizes: { feed: number }; sampling: { checkpointLagMs: number }; timeZone: string; theme: string };
    };
    expect(settings).toMatchObject({ timeZone: 'utc', theme: 'dark', pageSizes: { feed: 50 }, sampling: { checkpointLagMs: 2000 } });

    await page.getByTestId('nav-feed').click();
    // Pages of 50 events (with the default of 200 the first page alone shows 200+); the list loads
    // another page when its end comes into view, so one or two pages may be in.
    await expect
      .poll(() => page.locator('[data-testid="feed-panel"] .panel__title').textContent(), { timeout: 30_000 })
      .toMatch(/^Events by global position \((50|100)\+\)$/);
  });

  it('keeps the settings in the main process: a reload shows them', async () => {
    await page.reload();
    await page.getByTestId('nav-feed').click();
    await expect.poll(timeHeader, { timeout: 30_000 }).toBe('Time (UTC)');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(pageErrors).toEqual([]);
  });
});
