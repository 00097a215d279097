import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallLiveDemo } from '../support/small-live-demo';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

/**
 * A new user on the live demo: the scheduled drift check warns that accounts_view drifted; the report says which rows and
 * why; a repair rebuilds just those streams; checked again, the warning clears.
 */
describe('read-model drift on the live demo', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ initializeLocalWorkspace: smallLiveDemo(), engine: { watchDrift: true } }));
  }, 120_000);

  afterAll(() => closeAppPage(app, browser));

  const drifted = () => app.engine.localWorkspace.activity!.status().driftedRows!;

  it('warns of the corrupted rows, tells each kind apart, repairs just their streams, and the warning clears', async () => {
    await page.getByTestId('live-demo-drift').waitFor({ timeout: 30_000 });
    const { model, keys } = drifted();
    const [edited, deleted, orphan] = keys as [string, string, string];
    expect(await page.getByTestId('live-demo-drift').textContent()).toContain(model);

    // The scheduled check (every row of a model this small) finds them without being asked.
    await page.getByTestId('drift-status-warning').waitFor({ timeout: 90_000 });
    expect(await page.getByTestId('drift-status-warning').textContent()).toContain(`${model}: 3 of`);
    await screenshot(page, 'drift-overview-warning');
    await page.getByTestId(`drift-status-open-${model}`).click();

    // Its report opens on the Rebuilds screen.
    await page.getByTestId('drift-found').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('drift-found').textContent()).toMatch(/1 edited, 1 missing, 1 orphan, 0 with a skipped event/);
    expect(await page.getByTestId(`drift-row-${edited}`).getAttribute('data-kind')).toBe('edited');
    expect(await page.getByTestId(`drift-row-${edited}`).textContent()).toContain('balance_cents');
    expect(await page.getByTestId(`drift-row-${deleted}`).getAttribute('data-kind')).toBe('missing');
    expect(await page.getByTestId(`drift-row-${orphan}`).getAttribute('data-kind')).toBe('orphan');
    expect(await page.getByTestId(`drift-row-${orphan}`).textContent()).toContain('no stream gives this row');
    expect(await page.getByTestId('drift-report-download').getAttribute('href')).toMatch(/^\/downloads\/drift-accounts_view-.+\.json$/);
    expect(Number(await page.getByTestId('drift-chart').getAttribute('data-checks'))).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'drift-report');

    // The repair is a partial rebuild of exactly the drifted streams into a shadow (dry run first, with a reason); the swap confirms.
    await page.getByTestId('drift-repair-reason').fill('e2e: repair the demo drift');
    await page.getByTestId('drift-repair-plan').click();
    await page.getByTestId('drift-repair-confirm').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('drift-repair-next').textContent()).toContain('nothing is written yet');
    expect(await page.getByTestId('drift-repair-confirm').textContent()).toContain('3 streams');
    await page.getByTestId('drift-repair-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 60_000 }).toBe('indexed');
    await page.getByTestId('rebuild-swap-dry').click();
    await page.getByTestId('rebuild-swap-reason').fill('e2e: repair the demo drift');
    await page.getByTestId('rebuild-swap-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 30_000 }).toBe('swapped');
    await screenshot(page, 'drift-repaired');

    // Checked again (every row): nothing drifted, though the live traffic goes on (what it has not projected yet is lag, not drift).
    await page.getByTestId('drift-mode-full').click();
    await page.getByTestId('drift-go').click();
    await page.getByTestId('drift-none').waitFor({ timeout: 60_000 });
    const { records } = await app.engine.audit.list({ operation: 'drift.repair', limit: 5 });
    expect(records[0]).toMatchObject({ outcome: 'ok' });

    await goTo(page, '#/overview');
    await expect.poll(() => page.getByTestId(`drift-status-${model}`).getAttribute('data-state'), { timeout: 30_000 }).toBe('clean');
    expect(await page.getByTestId('drift-status-warning').count()).toBe(0);
    await screenshot(page, 'drift-overview-clean');
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
