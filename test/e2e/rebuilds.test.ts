import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresConnection } from '../integration/engine-support';
import { seedReferenceStore } from '../integration/rebuild/support';
import { testServices } from '../integration/env';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

describe('rebuilding a read model from the Rebuilds screen', () => {
  let db: TestDatabase;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let readOnlyId = '';
  let connectionIdOf = '';

  beforeAll(async () => {
    db = await createTestDatabase('e2erebuild');
    await (await seedReferenceStore(db.pool, 6000, 9)).close();
    let id = '';
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (_, call) => {
        ({ id } = await call('connections.add', { ...postgresConnection('Reference store', db.url), readOnly: false }));
        await call('stores.configure', { connectionId: id, preset: 'classic' });
        ({ id: readOnlyId } = await call('connections.add', postgresConnection('Orders PG', db.url)));
        await call('stores.configure', { connectionId: readOnlyId, preset: 'classic', reason: 'e2e' });
        await call('connections.add', { name: 'Replay Kafka', readOnly: false, settings: { kind: 'kafka', brokers: testServices.kafkaBrokers } });
      },
    }));
    connectionIdOf = id;
    await page.evaluate((connectionId) => window.localStorage.setItem('chronoscope.activeConnection', connectionId), id);
    await page.reload();
  }, 240_000);

  afterAll(async () => {
    await closeAppPage(app, browser);
    await db?.drop();
  });

  const balances = async (ids: string[]) =>
    (await db.pool.query<{ b: string }>('SELECT balance_cents AS b FROM accounts_view WHERE account_id = ANY($1) ORDER BY account_id', [ids])).rows.map((r) =>
      Number(r.b),
    );

  it('corrupts balances, rebuilds, reads the diff, swaps (balances fixed) and rolls back', async () => {
    const { rows } = await db.pool.query<{ account_id: string; balance_cents: string }>(
      'SELECT account_id, balance_cents FROM accounts_view WHERE balance_cents <> 0 ORDER BY account_id LIMIT 3',
    );
    const ids = rows.map((r) => r.account_id);
    const correct = rows.map((r) => Number(r.balance_cents));
    await db.pool.query('UPDATE accounts_view SET balance_cents = 0 WHERE account_id = ANY($1)', [ids]);

    await goTo(page, '#/rebuilds');
    await page.getByTestId('rebuild-start-accounts_view').click();
    await page.getByTestId('rebuild-reason').fill('balances zeroed by a bad deploy');
    await page.getByTestId('rebuild-go').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 60_000 }).toBe('indexed');
    // The job keeps following the head until the swap.
    await expect.poll(() => page.getByTestId('rebuild-progress').textContent(), { timeout: 30_000 }).toContain('following the head');
    await expect
      .poll(() => page.getByTestId('rebuild-diff-summary').textContent(), { timeout: 30_000 })
      .toContain('3 changed, 0 only in live, 0 only in the shadow');
    expect(await page.getByTestId('rebuild-diff-row').count()).toBe(3);
    await screenshot(page, 'rebuilds-diff');

    // Tables that are not read models are never offered for a rebuild.
    for (const table of ['outbox', 'subject_keys', 'snapshots', 'projection_checkpoints', 'reference_markers', 'events'])
      expect(await page.getByTestId(`rebuild-start-${table}`).count()).toBe(0);

    await page.getByTestId('rebuild-swap-dry').click();
    await page.getByTestId('rebuild-swap-plan').waitFor();
    // The real run waits for a reason.
    expect(await page.getByTestId('rebuild-swap-confirm').isDisabled()).toBe(true);
    await page.getByTestId('rebuild-swap-reason').fill('e2e: balances zeroed');
    await page.getByTestId('rebuild-swap-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 30_000 }).toBe('swapped');
    await page.getByTestId('rebuild-swap-done').waitFor();
    await expect.poll(() => page.getByTestId('rebuild-progress').textContent()).toContain('swapped in');
    expect(await page.getByTestId('rebuild-progress').textContent()).not.toContain('read the diff, then swap');
    expect(await balances(ids)).toEqual(correct);
    const job = (await app.engine.jobs.list()).find((j) => j.kind === 'rebuilds.run');
    expect(job?.state).toBe('done'); // the swap stopped the catch-up, which ended the job
    await screenshot(page, 'rebuilds-swapped');

    await page.getByTestId('rebuild-rollback-dry').click();
    await page.getByTestId('rebuild-rollback-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 30_000 }).toBe('rolled back');
    expect(await balances(ids)).toEqual([0, 0, 0]);
    await page.getByTestId('rebuild-rollback-done').waitFor();
    expect(await page.getByTestId('rebuild-progress').textContent()).toContain('rolled back');
    expect(await page.getByTestId('rebuild-progress').textContent()).not.toContain('read the diff, then swap');

    // The rebuilt rows the roll back set aside are listed, with a personal-data warning and a drop.
    const leftovers = page.getByTestId('rebuild-leftovers');
    await leftovers.waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('rebuild-leftovers-warning').textContent()).toContain('personal data');
    const leftover = leftovers.locator('li').first();
    const table = /accounts_view__after_[\d_]+/.exec((await leftover.textContent())!)![0];
    await screenshot(page, 'rebuilds-rolled-back-leftover');

    // On a read-only profile of the same store, the panel says so before anything is filled in, naming the profile and the action.
    await page.evaluate((connectionId) => window.localStorage.setItem('chronoscope.activeConnection', connectionId), readOnlyId);
    await page.reload();
    await page.getByTestId('rebuild-leftovers').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('read-only-notice').textContent()).toContain(
      '"Orders PG" is read-only: dropping a rebuild table changes the store. Mark the profile read-write in Connections to do it.',
    );
    await screenshot(page, 'rebuilds-read-only-notice');
    await page.getByTestId('rebuild-leftover-drop').click();
    await page.getByTestId('rebuild-leftover-reason').fill('e2e: compare done');
    await page.getByTestId('rebuild-leftover-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-leftovers').textContent()).toContain('"Orders PG" is read-only: dropping a rebuild table');
    await expect
      .poll(() => page.locator('[data-testid="rebuild-leftovers"] .alert--danger').textContent())
      .toContain('"Orders PG" is read-only: dropping a rebuild table changes the store.');
    expect(await page.locator('[data-testid="rebuild-leftovers"] .alert--danger').textContent()).not.toMatch(/rebuilds\.drop/);

    // Back on the writable profile it is dropped after a dry run and a reason.
    await page.evaluate((connectionId) => window.localStorage.setItem('chronoscope.activeConnection', connectionId), connectionIdOf);
    await page.reload();
    await page.getByTestId('rebuild-leftover-drop').click();
    expect(await page.getByTestId('rebuild-leftover-confirm').isDisabled()).toBe(true);
    await page.getByTestId('rebuild-leftover-reason').fill('e2e: compare done');
    await page.getByTestId('rebuild-leftover-confirm').click();
    await expect.poll(() => page.getByTestId('rebuild-leftovers').count(), { timeout: 15_000 }).toBe(0);
    expect((await db.pool.query('SELECT to_regclass($1) AS t', [table])).rows[0].t).toBeNull();
    expect(pageErrors).toEqual([]);
  }, 240_000);

  it('rebuilds on 2 Kafka workers from the wizard and shows the same diff', async () => {
    // After the roll back above the live model holds the three zeroed balances again.
    await goTo(page, '#/rebuilds');
    await page.getByTestId('rebuild-start-accounts_view').click();
    await page.getByTestId('rebuild-scale-out').check();
    expect(await page.getByTestId('rebuild-follow').count()).toBe(0); // a scale-out loads to the head; the swap folds the rest
    await page.getByTestId('rebuild-scale-out-workers').selectOption('2');
    expect(await page.getByTestId('rebuild-scale-out-kafka').locator('option:checked').textContent()).toBe('Replay Kafka');
    await page.getByTestId('rebuild-reason').fill('scale-out check');
    await page.getByTestId('rebuild-go').click();
    await expect.poll(() => page.getByTestId('rebuild-phase').textContent(), { timeout: 120_000 }).toBe('indexed');
    await expect
      .poll(() => page.getByTestId('rebuild-diff-summary').textContent(), { timeout: 30_000 })
      .toContain('3 changed, 0 only in live, 0 only in the shadow');
    const job = (await app.engine.jobs.list()).find((j) => j.kind === 'rebuilds.run' && /Kafka workers/.test(j.title));
    expect(job?.state).toBe('done');
    await screenshot(page, 'rebuilds-scale-out-diff');
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
