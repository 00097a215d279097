import type { Browser, Page } from 'playwright-core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

/**
 * A stream far longer than a screen: the slider spans all of it, the event list
 * follows the selection in windows, and a long replay shows progress and can be
 * cancelled without the window freezing.
 */
describe('time travel through a long stream', () => {
  const STREAM = 'account-e2e-long';
  const EVENTS = 300_000;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (started) => {
        const endpoint = await started.engine.localWorkspace.start();
        const db = new pg.Client({ host: endpoint.host, port: endpoint.port, database: endpoint.database, user: endpoint.user });
        await db.connect();
        await db.query(
          `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata, "timestamp")
           SELECT gen_random_uuid(), $1, 'Account', CASE WHEN v = 1 THEN 'AccountOpened' ELSE 'MoneyDeposited' END, v,
                  CASE WHEN v = 1 THEN jsonb_build_object('ownerId', 'owner-e2e', 'currency', 'EUR') ELSE jsonb_build_object('amountCents', 100, 'balanceCents', (v - 1) * 100) END,
                  jsonb_build_object('correlationId', 'e2e-' || v), timestamptz '2026-01-01T00:00:00Z' + v * interval '1 second'
           FROM generate_series(1, $2::int) AS v`,
          [STREAM, EVENTS],
        );
        await db.end();
      },
    }));
  }, 240_000);

  afterAll(() => closeAppPage(app, browser));

  it('shows progress for the long replay and cancels it, and the page stays responsive', async () => {
    await goTo(page, `#/time-travel/${encodeURIComponent(STREAM)}`);
    await page.getByTestId('time-travel-screen').waitFor();
    await page.getByTestId('tt-progress').waitFor({ timeout: 30_000 });
    await page.getByTestId('tt-cancel').click();
    await page.getByText('Replay cancelled').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('tt-progress').count()).toBe(0);
    await screenshot(page, 'time-travel-long-cancelled');
  });

  it('spans the whole stream on the slider and lists the events around the selection', async () => {
    expect(await page.getByTestId('tt-range').getAttribute('max')).toBe(String(EVENTS));
    const near = EVENTS - 12;
    await page.getByTestId('tt-range').fill(String(near));
    await page.getByTestId('tt-progress').waitFor({ timeout: 30_000 });
    // The UI still answers while the replay runs: the tabs switch.
    await page.getByTestId('tt-tab-compare').click();
    expect(await page.getByTestId('tt-tab-compare').getAttribute('aria-selected')).toBe('true');
    await screenshot(page, 'time-travel-long-progress');
    await page.locator(`[data-testid="tt-event"][data-version="${near}"]`).waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="tt-event"][data-version="1"]').count()).toBe(0); // a window, not the whole stream
    // The replay to that version runs to the end (progress shown meanwhile) and lands on the balance the events imply.
    await expect.poll(() => page.getByTestId('tt-state').getAttribute('data-version'), { timeout: 120_000, interval: 500 }).toBe(String(near));
    const balance = await page.locator('[data-testid="tt-state-tree"] [data-path="balanceCents"] .json-tree__number').textContent();
    expect(Number(balance?.replace(/[^\d]/g, ''))).toBe((near - 1) * 100);
    await screenshot(page, 'time-travel-long-stream');
  }, 180_000);

  it('slides back quickly from a state the long replay met on its way', async () => {
    const back = EVENTS - 25_000;
    await page.getByTestId('tt-range').fill(String(back));
    await expect.poll(() => page.getByTestId('tt-state').getAttribute('data-version'), { timeout: 60_000, interval: 250 }).toBe(String(back));
    expect(await page.getByTestId('tt-replay-note').textContent()).toMatch(/^From a state met by an earlier replay at v270000, replayed 5,000 events$/);
  }, 90_000);

  it('had no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
