import pg from 'pg';
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
    await expect
      .poll(() => page.locator(`[data-testid="snapshot-row"][data-stream="${stream}"][data-version="${version}"]`).count(), { timeout: 30_000 })
      .toBe(0);
    await screenshot(page, 'snapshots-deleted');
    // The verification that found it stays true: it no longer counts a snapshot that is gone, nor does the Overview.
    await expect.poll(() => page.getByTestId('snapshot-verify-report').textContent(), { timeout: 15_000 }).toMatch(/1 deleted since/);
    expect(await page.getByTestId('snapshot-verify-report').textContent()).not.toMatch(/differ/);
    expect(await page.getByTestId('snapshot-mismatch').count()).toBe(0);
    expect(await page.getByTestId('snapshot-change-done').textContent()).toMatch(/snapshot/);
    await screenshot(page, 'snapshots-verification-after-delete');
    await goTo(page, '#/overview');
    // Loaded: a row per watched connection, or the sentence saying there is none yet.
    await page.locator('[data-testid="lag-overview"] :is(.checkpoints__empty, [data-testid="lag-overview-row"])').first().waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('lag-overview-verification').count(), { timeout: 15_000 }).toBe(0);
    await goTo(page, '#/snapshots');

    const inspect = app.engine.dispatcher.run(
      'snapshots.inspect',
      { connectionId: 'local', streamId: stream, version },
      { operationId: 'e2e', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined },
    );
    await expect(inspect).rejects.toMatchObject({ code: 'not_found' });
    const audit = (await app.engine.audit.list({ operation: 'snapshots.delete', limit: 10 })).records;
    expect(audit.map((r) => [r.dryRun, r.outcome, r.reason])).toEqual([
      [false, 'ok', 'E2E: snapshot written by the fee bug'],
      [true, 'ok', ''],
    ]);
    expect(pageErrors).toEqual([]);
  }, 420_000);

  it('maps a snapshot table of its own from the screen, refusing a state that is not JSON first', async () => {
    const pool = new pg.Pool({ ...app.engine.localWorkspace.endpoint!, max: 1 });
    try {
      await pool.query(
        `CREATE TABLE aggregate_state (stream text NOT NULL, rev bigint NOT NULL, body text NOT NULL, saved_at timestamptz, PRIMARY KEY (stream, rev))`,
      );
      await pool.query(`INSERT INTO aggregate_state VALUES ('custom-1', 3, '<state/>', now())`);
      await goTo(page, '#/snapshots');
      await page.getByTestId('snapshots-map').click();
      const form = page.getByTestId('snapshot-mapping');
      await form.getByTestId('snapshot-mapping-table').fill('aggregate_state');
      await form.getByTestId('snapshot-mapping-stream').fill('stream');
      await form.getByTestId('snapshot-mapping-version').fill('rev');
      await form.getByTestId('snapshot-mapping-state').fill('body');
      await form.getByTestId('snapshot-mapping-taken-at').fill('saved_at');
      await form.getByTestId('snapshot-mapping-save').click();
      await expect
        .poll(
          async () =>
            (await form
              .getByTestId('snapshot-mapping-error')
              .textContent()
              .catch(() => '')) ?? '',
          { timeout: 15_000 },
        )
        .toMatch(/not JSON \(stream custom-1, version 3\)/);
      await screenshot(page, 'snapshots-mapping-refused');

      await pool.query(`UPDATE aggregate_state SET body = '{"balanceCents": 5}'`);
      await form.getByTestId('snapshot-mapping-save').click();
      const row = page.locator('[data-testid="snapshot-row"][data-stream="custom-1"][data-version="3"]');
      await row.waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('snapshot-row').count()).toBe(1);
      expect(await page.getByTestId('snapshot-list').textContent()).toContain('aggregate_state');
      await screenshot(page, 'snapshots-mapping');

      await page.getByTestId('snapshots-map').click();
      await page.getByTestId('snapshot-mapping').getByTestId('snapshot-mapping-forget').click();
      await expect.poll(() => page.locator('[data-testid="snapshot-row"][data-stream="custom-1"]').count(), { timeout: 30_000 }).toBe(0);
      expect(pageErrors.filter((e) => !/status of 4\d\d/.test(e))).toEqual([]);
    } finally {
      await pool.query('DROP TABLE IF EXISTS aggregate_state').catch(() => undefined);
      await pool.end();
    }
  }, 120_000);
});
