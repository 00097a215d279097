import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAGGING_PROJECTOR } from '../../src-main/reference/demo/live-demo';
import { smallLiveDemo } from '../support/small-live-demo';
import { closeAppPage, goTo, openAppPage, type RunningApp, screenshot } from './harness';

/** How far the live demo keeps orders_view behind: short, so the test sees it move. */
const LAG_MS = 15_000;

/** The demo workspace, smaller, with the live demo writing events and orders_view trailing by LAG_MS. */
const liveDemo = smallLiveDemo({ events: 12_000, commandsPerSecond: 4, lagBehindMs: LAG_MS });

describe('the checkpoints screen on the live demo', () => {
  let app: RunningApp, browser: Browser, page: Page, pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ initializeLocalWorkspace: liveDemo, engine: { lagSamplingIntervalMs: 500 } }));
  }, 240_000);
  afterAll(() => closeAppPage(app, browser));

  const lagging = () => page.locator(`[data-testid="checkpoint-row"][data-projector="${LAGGING_PROJECTOR}"]`);
  const position = async () => BigInt((await lagging().locator('td').nth(3).textContent())!.trim());

  it('shows the lagging projector on its chart, resets it with a dry run and confirmation, and watches it catch up', async () => {
    await goTo(page, '#/checkpoints');
    await lagging().waitFor({ timeout: 60_000 });
    await expect.poll(async () => Number(await lagging().getAttribute('data-lag-events')), { timeout: 60_000 }).toBeGreaterThan(0);
    expect(await lagging().getAttribute('data-status')).toMatch(/behind|stalled/);
    expect(await page.locator('[data-testid="checkpoint-row"][data-projector="accounts_view"]').count()).toBe(1);

    await lagging().getByTestId('checkpoint-chart').click();
    const plot = page.getByTestId('lag-chart-plot');
    await expect.poll(async () => Number((await plot.getAttribute('data-points').catch(() => '0')) ?? 0), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('lag-chart').textContent()).toContain(`Lag of ${LAGGING_PROJECTOR}`);
    await screenshot(page, 'checkpoints-lagging');

    // Reset to the beginning: the dry run counts what is reprocessed and warns that the projector runs.
    const before = await position();
    await lagging().getByTestId('checkpoint-reset').click();
    const dialog = page.getByTestId('reset-dialog');
    await dialog.getByTestId('reset-target').selectOption('beginning');
    await dialog.getByTestId('reset-dry-run').click();
    const preview = dialog.getByTestId('reset-preview');
    await preview.waitFor({ timeout: 30_000 });
    expect(await preview.textContent()).toMatch(/will be processed again/);
    expect(await dialog.getByTestId('reset-types').textContent()).toContain('OrderPlaced');
    // The dry run's reading of the checkpoint replaces the older row's: "Now at" is what "From" says.
    const from = await preview
      .locator('.kv__row')
      .filter({ has: page.locator('dt', { hasText: /^From$/ }) })
      .locator('dd')
      .textContent();
    expect(await dialog.getByTestId('reset-now').textContent()).toBe(from);
    // The real run waits for a reason.
    expect(await dialog.getByTestId('reset-confirm').isDisabled()).toBe(true);
    await dialog.getByTestId('reset-reason').fill('e2e: replay orders_view');
    await screenshot(page, 'checkpoints-reset-dry-run');
    await dialog.getByTestId('reset-confirm').click();
    // It says it succeeded, then closes when asked.
    await dialog.getByTestId('reset-done').waitFor({ timeout: 30_000 });
    expect(await dialog.getByTestId('reset-done').textContent()).toMatch(new RegExp(`${LAGGING_PROJECTOR} now starts from 0`));
    await dialog.getByTestId('reset-close').click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });

    // The list shows the reset (position back near zero), then it reprocesses and comes back to where it was, and beyond.
    await expect.poll(position, { timeout: 30_000, interval: 100 }).toBeLessThan(before);
    await expect.poll(position, { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(before);
    await expect.poll(async () => lagging().getAttribute('data-status'), { timeout: 60_000 }).toMatch(/behind|caught-up/);
    // The chart kept the reprocessing: a lag of thousands of events, then back down.
    await expect.poll(async () => Number(await plot.getAttribute('data-max-events')), { timeout: 30_000 }).toBeGreaterThan(1_000);
    await expect.poll(async () => Number(await plot.getAttribute('data-last-events')), { timeout: 30_000 }).toBeLessThan(1_000);
    await screenshot(page, 'checkpoints-caught-up');

    const audit = await app.engine.audit.list({ operation: 'checkpoints.reset', limit: 10 });
    expect(JSON.stringify(audit)).toContain('e2e: replay orders_view');

    // The overview names the lagging projector, and after a bulk verification the snapshot the demo left stale.
    await goTo(page, '#/overview');
    await page.locator(`[data-testid="lag-overview-projector"][data-projector="${LAGGING_PROJECTOR}"]`).waitFor({ timeout: 30_000 });
    await page.getByTestId('verify-all-snapshots-start').click();
    const verification = page.getByTestId('lag-overview-verification');
    await verification.waitFor({ timeout: 180_000 });
    expect(await verification.textContent()).toMatch(/^[1-9]\d* mismatched/);
    await screenshot(page, 'checkpoints-overview');
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('maps a checkpoint table of its own from the screen, refusing a text position first', async () => {
    const pool = new pg.Pool({ ...app.engine.localWorkspace.endpoint!, max: 1 });
    try {
      await pool.query(`CREATE TABLE consumer_offsets (consumer text PRIMARY KEY, last_seen text, touched timestamptz)`);
      await pool.query(`INSERT INTO consumer_offsets VALUES ('mailer', '100', now())`);
      await goTo(page, '#/checkpoints');
      await page.getByTestId('checkpoints-map').click();
      const form = page.getByTestId('checkpoint-mapping');
      await form.getByTestId('mapping-table').fill('consumer_offsets');
      await form.getByTestId('mapping-name').fill('consumer');
      await form.getByTestId('mapping-position').fill('last_seen');
      await form.getByTestId('mapping-updated-at').fill('touched');
      await form.getByTestId('mapping-save').click();
      await expect
        .poll(
          async () =>
            (await form
              .getByTestId('mapping-error')
              .textContent()
              .catch(() => '')) ?? '',
          { timeout: 15_000 },
        )
        .toMatch(/last_seen/);
      await screenshot(page, 'checkpoints-mapping-refused');

      await pool.query('ALTER TABLE consumer_offsets ALTER COLUMN last_seen TYPE bigint USING last_seen::bigint');
      await form.getByTestId('mapping-save').click();
      const mailer = page.locator('[data-testid="checkpoint-row"][data-projector="mailer"]');
      await mailer.waitFor({ timeout: 30_000 });
      expect(await mailer.getAttribute('data-status')).toBe('behind');
      expect(await page.locator(`[data-testid="checkpoint-row"][data-projector="${LAGGING_PROJECTOR}"]`).count()).toBe(0);
      await screenshot(page, 'checkpoints-mapping');
      expect(pageErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
    } finally {
      await pool.end();
    }
  }, 120_000);
});
