import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_ALLOWED_NOTE } from '../../src-main/engine/personal-data/decrypted-views';
import { openField, type SealedField } from '../../src-main/engine/personal-data/sealed-fields';
import { seedDemoWorkspace } from '../../src-main/reference/demo/seed-demo';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';
import { closeAppPage, goTo, launchBrowser, openApp, screenshot, startApp, type RunningApp } from './harness';

describe('decrypted personal data in browse and time travel', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let customer: string;
  let email: string;
  /** A scratch reference database reached by a profile that may not decrypt. */
  let db: TestDatabase;
  let deniedId: string;
  let deniedCustomer: string;
  const run = <T>(op: string, input: unknown) =>
    app.engine.dispatcher.run(op, input, {
      operationId: 'setup',
      signal: new AbortController().signal,
      emit: () => undefined,
      progress: () => undefined,
    }) as Promise<T>;

  beforeAll(async () => {
    app = await startApp({ seeded: true });
    const pool = await app.engine.eventStores.pool('local');
    const { rows } = await pool.query<{ id: string; email: SealedField; key: Buffer; key_id: string }>(
      `SELECT e.aggregate_id AS id, e.event_data->'email' AS email, k.key_material AS key, k.key_id::text AS key_id
       FROM events e JOIN subject_keys k ON k.subject_id = e.aggregate_id
       WHERE e.event_type = 'CustomerRegistered'
         AND NOT EXISTS (SELECT 1 FROM events c WHERE c.aggregate_id = e.aggregate_id AND c.event_type = 'CustomerEmailChanged')
       ORDER BY e.global_position LIMIT 1`,
    );
    customer = rows[0]!.id;
    email = openField(rows[0]!.email, { keyId: rows[0]!.key_id, subjectId: customer, key: rows[0]!.key }, 'email') as string;

    db = await createTestDatabase('e2e_decrypt');
    await seedDemoWorkspace(db.pool, { events: 1_000, seed: 3 });
    deniedCustomer = (
      await db.pool.query<{ id: string }>(`SELECT aggregate_id AS id FROM events WHERE event_type = 'CustomerRegistered' ORDER BY global_position LIMIT 1`)
    ).rows[0]!.id;
    const url = new URL(db.url);
    deniedId = (
      await run<{ id: string }>('connections.add', {
        name: 'Support (no decryption)',
        settings: { kind: 'postgres', host: url.hostname, port: Number(url.port), database: url.pathname.slice(1), user: decodeURIComponent(url.username) },
        secret: decodeURIComponent(url.password),
      })
    ).id;
    await run('stores.configure', { connectionId: deniedId, preset: 'classic', reason: 'e2e' });

    browser = await launchBrowser();
    ({ page, errors: pageErrors } = await openApp(browser, app.host.url));
  }, 240_000);

  afterAll(async () => {
    await closeAppPage(app, browser);
    await db?.drop();
  });

  it('shows the demo customer decrypted in the stream view, with a badge on the field', async () => {
    await goTo(page, `#/stream/${encodeURIComponent(customer)}?version=1`);
    const payload = page.getByTestId('event-payload');
    await expect.poll(() => payload.textContent(), { timeout: 30_000 }).toContain(email);
    const emailLine = payload.locator('[data-path="email"]');
    expect(await emailLine.getAttribute('data-mark')).toBe('personal-decrypted');
    expect(await emailLine.getByTestId('personal-data-decrypted').textContent()).toBe('decrypted');
    await page.getByTestId('event-details').scrollIntoViewIfNeeded();
    await screenshot(page, 'decrypted-1-stream');
    // One audit record for the view, naming the customer, never the e-mail.
    const records = (await app.engine.audit.list({ limit: 50, operation: 'personalData.decrypted' })).records;
    expect(records.some((r) => (r.details?.subjects as string[] | undefined)?.includes(customer))).toBe(true);
    expect(JSON.stringify(records)).not.toContain(email);
  });

  it('folds time travel with the decrypted events', async () => {
    await goTo(page, `#/time-travel/${encodeURIComponent(customer)}`);
    await expect.poll(() => page.getByTestId('tt-personal-data').textContent(), { timeout: 30_000 }).toContain('decrypted (1 subject)');
    expect(await page.getByTestId('tt-state-tree').textContent()).toContain(email);
    await screenshot(page, 'decrypted-2-time-travel');
    // The selected step's payload is decrypted too, with its badges.
    await page.locator('[data-testid="tt-event"][data-version="1"]').click();
    await expect
      .poll(() => page.locator('[data-testid="tt-payload-raw"] [data-path="email"]').getAttribute('data-mark'), { timeout: 30_000 })
      .toBe('personal-decrypted');
    expect(await page.getByTestId('tt-payload-raw').textContent()).toContain(email);
  });

  it('keeps the envelope and says why for a profile that may not decrypt', async () => {
    await page.locator('#active-connection-select').selectOption(deniedId);
    await goTo(page, `#/stream/${encodeURIComponent(deniedCustomer)}?version=1`);
    await expect.poll(() => page.getByTestId('personal-data-hint').textContent(), { timeout: 30_000 }).toBe(NOT_ALLOWED_NOTE);
    const payload = page.getByTestId('event-payload');
    expect(await payload.locator('[data-path="email"]').getAttribute('data-mark')).toBe('personal-encrypted');
    expect(await payload.textContent()).toContain('aes-256-gcm');
    await screenshot(page, 'decrypted-3-not-allowed');
    expect(pageErrors).toEqual([]);
  });

  it('grants the permission in the profile form, after which the same view decrypts', async () => {
    await page.getByTestId('nav-connections').click();
    const row = page.locator('[data-testid="connection-row"][data-connection-name="Support (no decryption)"]');
    await row.getByTestId('connection-edit').click();
    const form = page.getByTestId('connection-form');
    expect(await form.getByTestId('field-may-decrypt').isChecked()).toBe(false);
    await form.getByTestId('field-may-decrypt').check();
    await screenshot(page, 'decrypted-4-profile-permission');
    await form.getByTestId('connection-form-save').click();
    await form.waitFor({ state: 'detached' });
    await row.getByTestId('may-decrypt-badge').waitFor();
    // Still read-only: reading keys is not writing.
    expect(await row.getByTestId('access-badge').textContent()).toBe('Read-only');

    await goTo(page, `#/stream/${encodeURIComponent(deniedCustomer)}?version=1`);
    const payload = page.getByTestId('event-payload');
    await expect.poll(() => payload.locator('[data-path="email"]').getAttribute('data-mark'), { timeout: 30_000 }).toBe('personal-decrypted');
    expect(await payload.textContent()).not.toContain('aes-256-gcm');
    expect(await page.getByTestId('personal-data-hint').count()).toBe(0);
    await page.locator('#active-connection-select').selectOption('local');
    expect(pageErrors).toEqual([]);
  });
});
