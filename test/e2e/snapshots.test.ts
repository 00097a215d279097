import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAppPage, goTo, openAppPage, type RunningApp, screenshot } from './harness';

/**
 * The Snapshots screen on the seeded demo with its live part started (paused):
 * the demo left one account snapshot 1,000 cents off. Bulk verification finds
 * it, the inspector shows the difference, and it is deleted after a dry run.
 */
describe('the Snapshots screen', () => {
  let app: RunningApp, browser: Browser, page: Page, pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ seeded: true, live: true }));
  }, 300_000);
  afterAll(() => closeAppPage(app, browser));

  it('verifies every snapshot in a job, shows the stale one beside its replay, and deletes it with a dry run and confirmation', async () => {
    await goTo(page, '#/snapshots');
    await page.getByTestId('snapshot-row').first().waitFor({ timeout: 60_000 });
    await screenshot(page, 'snapshots-list');

    // Filters live in the address and narrow the list.
    await page.getByTestId('snapshot-filter-type').fill('Account');
    await expect.poll(() => page.evaluate(() => window.location.hash), { timeout: 10_000 }).toContain('streamType=Account');

    await page.getByTestId('snapshot-verify-start').click();
    const mismatch = page.getByTestId('snapshot-mismatch');
    await mismatch.first().waitFor({ timeout: 240_000 });
    expect(await mismatch.count()).toBe(1);
    const stream = (await mismatch.getAttribute('data-stream'))!;
    const version = Number(await mismatch.getAttribute('data-version'));
    expect(await mismatch.textContent()).toMatch(/balanceCents: (-?\d+) → (-?\d+)/);
    const [, before, after] = /balanceCents: (-?\d+) → (-?\d+)/.exec((await mismatch.textContent())!)!;
    expect(Number(after) - Number(before)).toBe(1000);
    expect(await page.getByTestId('snapshot-verify-report').textContent()).toMatch(/match a replay, 1 differ/);
    await screenshot(page, 'snapshots-verify');

    await page.getByTestId('snapshot-mismatch-inspect').click();
    const verdict = page.getByTestId('snapshot-verdict');
    await verdict.waitFor({ timeout: 60_000 });
    expect(await verdict.getAttribute('data-ok')).toBe('false');
    expect(await page.getByTestId('snapshot-diff').textContent()).toContain('balanceCents');
    await screenshot(page, 'snapshots-inspect');

    await page.getByTestId('snapshot-delete-one').click();
    await page.getByTestId('snapshot-change-preview').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('snapshot-change-count').textContent()).toBe('1');
    expect(await page.getByTestId('snapshot-change-preview').textContent()).toContain(stream);
    await page.getByTestId('snapshot-change-reason').fill('E2E: snapshot written by the fee bug');
    await screenshot(page, 'snapshots-delete-dialog');
    await page.getByTestId('snapshot-change-confirm').click();
    await page.getByTestId('snapshot-change-done').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.locator(`[data-testid="snapshot-row"][data-stream="${stream}"][data-version="${version}"]`).count(), { timeout: 30_000 }).toBe(0);
    await screenshot(page, 'snapshots-deleted');

    const inspect = app.engine.dispatcher.run('snapshots.inspect', { connectionId: 'local', streamId: stream, version }, { operationId: 'e2e', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined });
    await expect(inspect).rejects.toMatchObject({ code: 'not_found' });
    const audit = (await app.engine.audit.list({ operation: 'snapshots.delete', limit: 10 })).records;
    expect(audit.map((r) => [r.dryRun, r.outcome, r.reason])).toEqual([
      [false, 'ok', 'E2E: snapshot written by the fee bug'],
      [true, 'ok', ''],
    ]);
    expect(pageErrors).toEqual([]);
  }, 420_000);
});
