import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openField, type SealedField } from '../../src-main/engine/personal-data/sealed-fields';
import { closeAppPage, goTo, openAppPage, screenshot, SCREENSHOT_DIR, type RunningApp } from './harness';
import { pdfPages, pdfText, renderFirstPage } from '../support/poppler';

describe('the compliance workspace on the seeded demo', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let customer: string;
  let email: string;

  beforeAll(async () => {
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      seeded: true,
      beforePage: async (started) => {
        // A demo customer with an account and orders; its e-mail is sealed in the events, opened here with its key.
        const pool = await started.engine.eventStores.pool('local');
        const { rows } = await pool.query<{ id: string; email: SealedField; key: Buffer; key_id: string }>(
          `SELECT e.aggregate_id AS id, e.event_data->'email' AS email, k.key_material AS key, k.key_id::text AS key_id
           FROM events e JOIN subject_keys k ON k.subject_id = e.aggregate_id
           WHERE e.event_type = 'CustomerRegistered' AND EXISTS (SELECT 1 FROM orders_view o WHERE o.customer_id = e.aggregate_id)
             AND NOT EXISTS (SELECT 1 FROM events c WHERE c.aggregate_id = e.aggregate_id AND c.event_type = 'CustomerEmailChanged')
           ORDER BY e.global_position LIMIT 1`,
        );
        customer = rows[0]!.id;
        email = openField(rows[0]!.email, { keyId: rows[0]!.key_id, subjectId: customer, key: rows[0]!.key }, 'email') as string;
      },
    }));
  }, 240_000);

  afterAll(() => closeAppPage(app, browser));

  const shoot = async (testId: string, name: string) => {
    await page.getByTestId(testId).scrollIntoViewIfNeeded();
    await screenshot(page, name);
  };

  it('takes one demo customer through request, inventory, export, dry run, approval, shredding, verification and report', async () => {
    await goTo(page, '#/compliance');
    await page.getByTestId('compliance-propose').click();
    await page.getByTestId('compliance-map-table').waitFor();
    expect(await page.getByTestId('compliance-map-table').textContent()).toContain('CustomerRegistered');
    // A product's name is not personal data: left out before confirming.
    await page.getByTestId('compliance-include-event:ProductCreated').uncheck();
    await page.getByTestId('compliance-include-event:ProductRenamed').uncheck();
    await page.getByTestId('compliance-two-persons').check();
    await shoot('compliance-map', 'compliance-1-map');
    await page.getByTestId('compliance-confirm-map').click();
    await expect.poll(() => page.getByTestId('compliance-map').textContent()).toContain('Confirmed');
    const saved = (await app.engine.handlers['compliance.getMap']({ connectionId: 'local' }, undefined as never)).map!;
    expect(saved.events.map((e) => e.eventType)).not.toContain('ProductCreated');
    expect(saved.requireSecondApprover).toBe(true);

    // Two registered operators: Dana enrols first, then sponsors Sam with her passphrase.
    await page.getByTestId('compliance-enroll-name').fill('Dana Opener');
    await page.getByTestId('compliance-enroll-passphrase').fill('dana-opens-cases-1');
    await page.getByTestId('compliance-enroll').click();
    await expect.poll(() => page.getByTestId('compliance-operators').textContent()).toContain('op-dana-opener');
    await page.getByTestId('compliance-enroll-name').fill('Sam Second');
    await page.getByTestId('compliance-enroll-passphrase').fill('sam-approves-them-2');
    await page.getByTestId('compliance-enroll-sponsor-operator').selectOption('op-dana-opener');
    await page.getByTestId('compliance-enroll-sponsor-passphrase').fill('dana-opens-cases-1');
    await page.getByTestId('compliance-enroll').click();
    await expect.poll(() => page.getByTestId('compliance-operators').textContent()).toContain('sponsored by op-dana-opener');
    expect(await page.getByTestId('compliance-enroll-passphrase').getAttribute('type')).toBe('password');

    await page.getByTestId('compliance-subject').fill(email);
    await page.getByTestId('compliance-ticket').fill('DPO-2026-001');
    await page.getByTestId('compliance-requester').fill('Dana Requester');
    // Under the two-person rule the case is opened by a registered operator.
    await page.getByTestId('compliance-opener-operator').selectOption('op-dana-opener');
    await page.getByTestId('compliance-opener-passphrase').fill('dana-opens-cases-1');
    await shoot('compliance-new', 'compliance-2-request');
    await page.getByTestId('compliance-create').click();
    await page.getByTestId('compliance-case-view').waitFor();

    await page.getByTestId('compliance-search').click();
    await page.getByTestId('compliance-locations').waitFor({ timeout: 60_000 });
    const locations = await page.getByTestId('compliance-locations').textContent();
    expect(locations).toContain('orders_view');
    expect(locations).toContain('subject_keys');
    await shoot('compliance-inventory', 'compliance-3-inventory');

    await page.getByTestId('compliance-export-start').click();
    await page.getByTestId('compliance-exported').waitFor({ timeout: 60_000 });
    await shoot('compliance-export', 'compliance-4-export');
    // Browser mode downloads the bundle as one zip, which holds what the export found.
    const zipPath = join(SCREENSHOT_DIR, 'compliance-access-export.zip');
    const zipDownload = page.waitForEvent('download');
    await page.getByTestId('compliance-export-file').click();
    await (await zipDownload).saveAs(zipPath);
    const bundle = unzipSync(await readFile(zipPath));
    expect(Object.keys(bundle)).toEqual(expect.arrayContaining(['summary.txt', 'events.json', 'read-models.json']));
    const exportedEvents = JSON.parse(Buffer.from(bundle['events.json']!).toString('utf8')) as unknown[];
    expect(exportedEvents.length).toBeGreaterThan(0);
    expect(Buffer.from(bundle['events.json']!).toString('utf8')).toContain(email);

    await page.getByTestId('compliance-dry-run').click();
    await page.getByTestId('compliance-previews').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('compliance-previews').textContent()).toMatch(/Deletes 1 key/);
    // Actions are named in words, never by their identifiers.
    expect(await page.getByTestId('compliance-previews').textContent()).toContain("Crypto-shred: delete the subject's encryption key");
    expect(await page.getByTestId('compliance-previews').textContent()).not.toMatch(/purgeReadModels|deleteSnapshots|(^|[^-])shred:/);
    // The crypto-shred cannot be undone: the real run waits until the request's ticket is typed.
    expect(await page.getByTestId('compliance-run').isDisabled()).toBe(true);
    await page.getByTestId('compliance-confirm-ticket').fill('DPO-2026');
    expect(await page.getByTestId('compliance-run').isDisabled()).toBe(true);
    await page.getByTestId('compliance-confirm-ticket').fill('DPO-2026-001');
    await shoot('compliance-actions', 'compliance-4b-ticket-confirm');
    // The profile asks for a second operator: the real run is refused until one approves.
    await page.getByTestId('compliance-run').click();
    await expect.poll(() => page.getByTestId('compliance-actions').textContent()).toContain('second registered operator');
    // The operator who opened the case cannot approve it.
    await page.getByTestId('compliance-approver-operator').selectOption('op-dana-opener');
    await page.getByTestId('compliance-approver-passphrase').fill('dana-opens-cases-1');
    await page.getByTestId('compliance-approve').click();
    await expect.poll(() => page.getByTestId('compliance-actions').textContent()).toContain('You opened this case');
    await page.getByTestId('compliance-approver-operator').selectOption('op-sam-second');
    await page.getByTestId('compliance-approver-passphrase').fill('sam-approves-them-2');
    await page.getByTestId('compliance-approve').click();
    await expect.poll(() => page.getByTestId('compliance-actions').textContent()).toContain('Approved by Sam Second');
    await shoot('compliance-actions', 'compliance-5-dry-run');
    await page.getByTestId('compliance-dry-run').click();
    await expect.poll(() => page.getByTestId('compliance-run').isEnabled()).toBe(true);
    await page.getByTestId('compliance-run').click();

    await page.getByTestId('compliance-verdict').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('compliance-verdict').textContent()).toContain('Nothing of the subject decrypts anywhere');
    await shoot('compliance-verification', 'compliance-6-verification');

    await page.getByTestId('compliance-report-start').click();
    await page.getByTestId('compliance-report-done').waitFor({ timeout: 60_000 });
    await shoot('compliance-report', 'compliance-7-report');

    // The PDF report, made by the main process, downloaded from the screen as a user would.
    const pdfPath = join(SCREENSHOT_DIR, 'compliance-8-report.pdf');
    const pdfDownload = page.waitForEvent('download');
    await page.getByTestId('compliance-report-pdf').click();
    const downloaded = await pdfDownload;
    expect(downloaded.suggestedFilename()).toMatch(/^erasure-report-.+\.pdf$/);
    await downloaded.saveAs(pdfPath);
    const text = await pdfText(pdfPath);
    expect(text).toContain('Erasure report Ticket DPO-2026-001');
    expect(text).toContain("Crypto-shred: delete the subject's encryption key");
    expect(text).toMatch(/Verification Passed on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d/);
    expect(text).toMatch(/Audit chain head when the report was made: record \d+, keyed hash [0-9a-f]{64}\./);
    expect(text).not.toContain(customer);
    expect(text.toLowerCase()).not.toContain(email.toLowerCase());
    expect(await pdfPages(pdfPath)).toBeGreaterThanOrEqual(1);
    // Rendered by poppler: an A4 page at 96 dpi with ink on it (a blank page compresses to a few kB).
    const png = await renderFirstPage(pdfPath, join(SCREENSHOT_DIR, 'compliance-9-report-pdf'));
    expect(png.readUInt32BE(16)).toBe(794);
    expect(png.length).toBeGreaterThan(20_000);
    // Browse after the shred: the Local workspace may decrypt, and the customer's sealed fields read "[shredded]".
    await goTo(page, `#/stream/${encodeURIComponent(customer)}?version=1`);
    const payload = page.getByTestId('event-payload');
    await expect.poll(() => payload.locator('[data-path="email"]').getAttribute('data-mark'), { timeout: 30_000 }).toBe('personal-shredded');
    expect(await payload.textContent()).toContain('"[shredded]"');
    expect((await payload.textContent())?.toLowerCase()).not.toContain(email.toLowerCase());
    await page.getByTestId('event-details').scrollIntoViewIfNeeded();
    await screenshot(page, 'compliance-10-shredded-stream');
    expect((await app.engine.audit.verify()).ok).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 300_000);
});
