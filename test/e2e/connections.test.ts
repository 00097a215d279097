import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAppPage, openAppPage, screenshot, testPostgres, type RunningApp } from './harness';

const PROFILE = 'Orders store (test PG)';
const SCRATCH = 'Scratch profile';
const STATUS_TIMEOUT = 45_000;

describe('connections in browser mode', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  const pg = testPostgres();

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage());
  });

  afterAll(() => closeAppPage(app, browser));

  const row = (name: string): Locator => page.locator(`[data-testid="connection-row"][data-connection-name="${name}"]`);
  const form = (): Locator => page.getByTestId('connection-form');

  async function fillPostgres(name: string, password: string) {
    await form().getByTestId('field-name').fill(name);
    await form().getByTestId('field-kind-postgres').click();
    await form().getByTestId('field-host').fill(pg.host);
    await form().getByTestId('field-port').fill(pg.port);
    await form().getByTestId('field-database').fill(pg.database);
    await form().getByTestId('field-user').fill(pg.user);
    await form().getByTestId('field-secret').fill(password);
  }

  it('shows the app info and the built-in Local workspace', async () => {
    await expect.poll(() => page.getByTestId('app-info').textContent()).toContain('Browser mode');
    // The token leaves the address bar once it is kept in sessionStorage, and a reload still gets in.
    expect(page.url()).not.toContain('token=');
    await page.reload();
    await expect.poll(() => page.getByTestId('app-info').textContent()).toContain('Browser mode');
    await page.getByTestId('nav-connections').click();
    const first = page.getByTestId('connection-row').first();
    await expect.poll(() => first.getAttribute('data-connection-name')).toBe('Local workspace');
    expect(await first.getByTestId('builtin-badge').textContent()).toBe('Built-in');
    await first.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: STATUS_TIMEOUT });
  });

  it('reports invalid fields next to the fields', async () => {
    await page.getByTestId('add-connection').click();
    await form().getByTestId('connection-form-save').click();
    const errors = form().getByTestId('field-error');
    await errors.first().waitFor();
    const messages = await errors.allTextContents();
    expect(messages).toEqual(expect.arrayContaining(['name is required', 'host is required', 'database is required', 'user is required']));
    await screenshot(page, 'connections-invalid');

    // Nested paths (settings.brokers.1) land on their field too.
    await form().getByTestId('field-kind-kafka').click();
    await form().getByTestId('field-brokers').fill('kafka-1:9092, not-a-broker');
    await form().getByTestId('field-sasl-mechanism').selectOption('scram-sha-256');
    await form().getByTestId('connection-form-save').click();
    await expect
      .poll(() => form().getByTestId('field-error').allTextContents())
      .toEqual(expect.arrayContaining(['each broker must be written host:port', 'sasl username is required']));
    await screenshot(page, 'connections-kafka-invalid');
    await form().getByTestId('field-kind-postgres').click();
  });

  it('tests the draft against the real PostgreSQL, saves it and sees it connected', async () => {
    await fillPostgres(PROFILE, pg.password);
    expect(await form().getByTestId('field-read-only').isChecked()).toBe(true);
    await form().getByTestId('connection-form-test').click();
    const result = form().getByTestId('connection-form-test-result');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.getByTestId('test-server-version').textContent()).toMatch(/^PostgreSQL \d+/);
    expect(await result.textContent()).toMatch(/round trip/);
    await screenshot(page, 'connections-form-tested');

    await form().getByTestId('connection-form-save').click();
    await form().waitFor({ state: 'detached' });
    await row(PROFILE).waitFor();
    expect(await row(PROFILE).getByTestId('access-badge').textContent()).toBe('Read-only');
    expect(await row(PROFILE).getByTestId('secret-storage').textContent()).toMatch(/memory/i);
    await row(PROFILE).locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: STATUS_TIMEOUT });
    expect(await row(PROFILE).getByTestId('connection-status').textContent()).toMatch(/Connected · [\d.]+ ms/);

    await row(PROFILE).getByTestId('connection-test').click();
    await row(PROFILE).locator('xpath=following-sibling::tr[1]').getByTestId('connection-test-result').waitFor({ timeout: 30_000 });
    await screenshot(page, 'connections');
  });

  it('edits a profile without ever showing its password', async () => {
    await row(PROFILE).getByTestId('connection-edit').click();
    const secret = form().getByTestId('field-secret');
    expect(await secret.inputValue()).toBe('');
    expect(await secret.getAttribute('placeholder')).toBe('leave empty to keep');
    // Unchanged settings are tested by id, with the stored password.
    await form().getByTestId('connection-form-test').click();
    await form().getByTestId('connection-form-test-result').getByTestId('test-server-version').waitFor({ timeout: 30_000 });
    // Another port is another server: the stored password is not sent there, the form asks for it next to the password field.
    await form()
      .getByTestId('field-port')
      .fill(String(Number(pg.port) + 1));
    await form().getByTestId('connection-form-test').click();
    await expect.poll(() => form().locator('.secret-field').getByTestId('field-error').textContent()).toContain('enter the password again');
    await form().getByTestId('field-port').fill(pg.port);
    await form().getByTestId('field-read-only').uncheck();
    await screenshot(page, 'connections-edit');
    await form().getByTestId('connection-form-save').click();
    await form().waitFor({ state: 'detached' });
    await expect.poll(() => row(PROFILE).getByTestId('access-badge').textContent()).toBe('Read-write');
  });

  it('explains a wrong password clearly', async () => {
    await page.getByTestId('add-connection').click();
    await fillPostgres(SCRATCH, 'definitely-not-the-password');
    await form().getByTestId('connection-form-test').click();
    const message = form().getByTestId('test-error-message');
    await message.waitFor({ timeout: 30_000 });
    expect(await message.textContent()).toBe(`PostgreSQL at ${pg.host}:${pg.port} rejected the user name or password.`);
    await screenshot(page, 'connections-auth-error');

    // Saved anyway, its live status carries the same explanation.
    await form().getByTestId('connection-form-save').click();
    await row(SCRATCH).locator('[data-testid="connection-status"][data-state="error"]').waitFor({ timeout: STATUS_TIMEOUT });
    expect(await row(SCRATCH).getByTestId('connection-status').textContent()).toContain('rejected the user name or password');
  });

  it('removes a profile after a dry run and a confirmation', async () => {
    await row(SCRATCH).getByTestId('connection-remove').click();
    const dialog = page.getByTestId('remove-dialog');
    await dialog.waitFor();
    expect(await dialog.getByTestId('remove-preview').textContent()).toContain(SCRATCH);
    await dialog.getByTestId('remove-reason').fill('e2e: wrong password on purpose');
    await screenshot(page, 'connections-remove');
    await dialog.getByTestId('remove-confirm').click();
    await row(SCRATCH).waitFor({ state: 'detached' });
    expect(await row(PROFILE).count()).toBe(1);
  });

  it('lists the changes in the audit log and verifies the chain', async () => {
    await page.getByTestId('nav-audit').click();
    const addRecord = page.locator('[data-testid="audit-row"][data-operation="connections.add"]', { hasText: PROFILE });
    await addRecord.waitFor();
    await page.locator('[data-testid="audit-row"][data-operation="connections.update"]').waitFor();
    const removals = page.locator('[data-testid="audit-row"][data-operation="connections.remove"]');
    await expect.poll(() => removals.count()).toBe(2); // the dry run and the real run
    await addRecord.getByRole('button', { name: 'Show details' }).click();
    expect(await addRecord.getByTestId('audit-details').textContent()).toContain('[redacted]');

    await page.getByTestId('audit-verify').click();
    const verdict = page.getByTestId('audit-verify-result');
    await verdict.waitFor();
    expect(await verdict.textContent()).toContain('Chain intact');
    await screenshot(page, 'audit');
  });

  it('pages through a long audit log and filters it', async () => {
    for (let n = 1; n <= 230; n += 1) {
      await app.engine.audit.append({
        at: new Date().toISOString(),
        user: 'bulk-writer',
        operation: 'connections.update',
        target: `connection:bulk-${n}`,
        reason: `bulk record ${n}`,
        dryRun: false,
        outcome: 'ok',
      });
    }
    await page.getByTestId('audit-filter-text').fill('bulk');
    const title = page.locator('.audit__records .panel__title');
    await expect.poll(() => title.textContent()).toBe('Records (100+)');
    // Virtualised: far fewer rows in the DOM than loaded.
    expect(await page.getByTestId('audit-row').count()).toBeLessThan(60);
    await page.getByTestId('audit-load-more').click();
    await expect.poll(() => title.textContent()).toBe('Records (200+)');
    await page.getByTestId('audit-load-more').click();
    await expect.poll(() => title.textContent()).toBe('Records (230)');
    expect(await page.getByTestId('audit-load-more').count()).toBe(0);

    await page.getByTestId('audit-filter-text').fill('');
    await page.getByTestId('audit-filter-operation').selectOption('connections.remove');
    await page.getByTestId('audit-filter-runs').selectOption('dry');
    await expect.poll(() => title.textContent()).toBe('Records (1)');
    await page.getByTestId('audit-filter-runs').selectOption('all');
    await page.getByTestId('audit-filter-operation').selectOption('');
  });

  it('shows a banner while the host is away and recovers when it is back', async () => {
    await app.stopHost();
    const banner = page.getByTestId('link-banner');
    await banner.waitFor({ timeout: 15_000 });
    expect(await banner.getAttribute('data-state')).toBe('reconnecting');
    expect(await banner.textContent()).toContain('Disconnected from Chronoscope');
    await screenshot(page, 'disconnected');
    await app.restartHost();
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('shows every connection live on the overview', async () => {
    await page.getByTestId('nav-overview').click();
    const health = page.locator(`[data-testid="health-row"][data-connection-name="${PROFILE}"]`);
    await health.locator('[data-testid="connection-status"][data-state="connected"]').waitFor({ timeout: STATUS_TIMEOUT });
    await page.locator('[data-testid="local-workspace-state"][data-state="ready"]').waitFor({ timeout: STATUS_TIMEOUT });
    await screenshot(page, 'overview');
    // The dropped WebSocket is logged by Chromium itself; anything else is a defect.
    expect(pageErrors.filter((e) => !/WebSocket connection to .* failed/.test(e))).toEqual([]);
  });
});
