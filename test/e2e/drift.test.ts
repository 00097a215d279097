import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallLiveDemo } from '../support/small-live-demo';
import { closeAppPage, openAppPage, screenshot, type RunningApp } from './harness';

/** A new user on the live demo: finds the read-model rows corrupted on purpose, reads why each drifted, repairs only those. */
describe('read-model drift on the live demo', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ initializeLocalWorkspace: smallLiveDemo() }));
  }, 120_000);

  afterAll(() => closeAppPage(app, browser));

  const drifted = () => app.engine.localWorkspace.activity!.status().driftedRows!;

  it('finds the edited, the deleted and the orphan row, repairs just their streams, and checks clean afterwards', async () => {
    await page.getByTestId('live-demo-drift').waitFor({ timeout: 30_000 });
    const { model, keys } = drifted();
    const [edited, deleted, orphan] = keys as [string, string, string];
    expect(await page.getByTestId('live-demo-drift').textContent()).toContain(model);
    await page.getByTestId('live-demo-drift-check').click();

    // The link opens the model's drift check on the Rebuilds screen.
    await page.getByTestId('drift-check').waitFor({ timeout: 15_000 });
    await page.getByTestId('drift-mode-full').click();
    await page.getByTestId('drift-go').click();
    await page.getByTestId('drift-found').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('drift-found').textContent()).toMatch(/1 edited, 1 missing, 1 orphan/);
    expect(await page.getByTestId(`drift-row-${edited}`).getAttribute('data-kind')).toBe('edited');
    expect(await page.getByTestId(`drift-row-${edited}`).textContent()).toContain('balance');
    expect(await page.getByTestId(`drift-row-${deleted}`).getAttribute('data-kind')).toBe('missing');
    expect(await page.getByTestId(`drift-row-${orphan}`).getAttribute('data-kind')).toBe('orphan');
    expect(await page.getByTestId(`drift-row-${orphan}`).textContent()).toContain('no stream gives this row');
    expect(await page.getByTestId('drift-report-download').getAttribute('href')).toMatch(/^\/downloads\/drift-accounts_view-.+\.json$/);
    await screenshot(page, 'drift-found');

    // The repair is a partial rebuild of exactly the drifted streams into a shadow (dry run first, with a reason); the swap confirms.
    await page.getByTestId('drift-repair-reason').fill('e2e: repair the demo drift');
    await page.getByTestId('drift-repair-plan').click();
    await page.getByTestId('drift-repair-confirm').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('drift-repair-next').textContent()).toContain('nothing is written yet');
    expect(await page.getByTestId('drift-repair-confirm').textContent()).toContain('3 streams');
    await page.getByTestId('drift-repair-confirm').click();
    await expect
      .poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 60_000 })
      .toBe('indexed')
      .catch(async (err: unknown) => {
        console.log('DEBUG3', JSON.stringify(await app.engine.jobs.list()).slice(0, 4000));
        throw err;
      });
    await page.getByTestId('rebuild-swap-dry').click();
    await page.getByTestId('rebuild-swap-reason').fill('e2e: repair the demo drift');
    await page.getByTestId('rebuild-swap-confirm').click();
    await expect
      .poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 30_000 })
      .toBe('swapped')
      .catch(async (err: unknown) => {
        console.log('DEBUG4', await page.locator('main').textContent());
        throw err;
      });
    await screenshot(page, 'drift-repaired');

    // Checked again: nothing drifted (the live traffic goes on meanwhile; what it has not projected yet is lag, not drift).
    await page.getByTestId('drift-go').click();
    await page.getByTestId('drift-none').waitFor({ timeout: 60_000 });
    const { records } = await app.engine.audit.list({ operation: 'drift.repair', limit: 5 });
    expect(records[0]).toMatchObject({ outcome: 'ok' });
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
