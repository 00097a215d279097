import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import pg from 'pg';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAppPage, openAppPage, screenshot, testPostgres, type RunningApp } from './harness';

const PROFILE = 'Audit log (test PG)';

/** A table no preset knows, in a database of its own on the real PostgreSQL. */
const DDL = `CREATE TABLE audit_log (entity_key text NOT NULL, seq int NOT NULL, kind text NOT NULL, body jsonb NOT NULL,
                                     happened_at timestamptz NOT NULL, gpos bigserial PRIMARY KEY)`;
const ROWS: [string, number, string][] = [
  ['invoice-1', 1, 'InvoiceRaised'],
  ['invoice-1', 2, 'InvoicePaid'],
  ['invoice-2', 1, 'InvoiceRaised'],
  ['refund-7', 1, 'RefundRequested'],
  ['refund-7', 2, 'RefundApproved'],
  ['refund-7', 3, 'RefundPaid'],
];

describe('mapping a custom table through the editor', () => {
  const target = testPostgres();
  const database = `e2e_cmap_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    const config = { host: target.host, port: Number(target.port), user: target.user, password: target.password };
    admin = new pg.Client({ ...config, database: target.database });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const db = new pg.Client({ ...config, database });
    await db.connect();
    await db.query(DDL);
    for (const [i, [key, seq, kind]] of ROWS.entries()) {
      await db.query('INSERT INTO audit_log (entity_key, seq, kind, body, happened_at) VALUES ($1, $2, $3, $4, $5)', [
        key,
        seq,
        kind,
        { n: i },
        new Date(Date.UTC(2025, 0, 1, 9, i)),
      ]);
    }
    await db.end();

    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      // Added through the engine like a saved profile; in browser mode the password stays in memory.
      beforePage: async (_, call) => {
        await call('connections.add', {
          name: PROFILE,
          settings: { kind: 'postgres', host: target.host, port: Number(target.port), database, user: target.user },
          secret: target.password,
        });
      },
    }));
  });

  afterAll(async () => {
    await closeAppPage(app, browser);
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  const form = (): Locator => page.getByTestId('custom-mapping-form');
  const role = (name: string): Locator => form().getByTestId(`mapping-role-${name}`);
  /** The error line under one role's select (the inner locator is matched inside each field). */
  const fieldError = (name: string): Locator =>
    form()
      .locator('.field', { has: page.getByTestId(`mapping-role-${name}`) })
      .getByTestId('field-error');

  it('offers the editor when no preset fits, with the table and its roles guessed', async () => {
    await page.locator('#active-connection-select').selectOption({ label: PROFILE });
    await page.getByTestId('nav-streams').click();
    await page.getByTestId('store-detection').waitFor({ timeout: 30_000 });
    await form().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('store-candidate').count()).toBe(0);
    expect(await page.getByTestId('custom-mapping-toggle').textContent()).toBe('Hide the custom mapping');

    const table = form().getByTestId('mapping-table');
    expect(await table.locator('option:checked').textContent()).toMatch(/^public\.audit_log — .*6 columns$/);
    const guessed = {
      streamId: 'entity_key',
      version: 'seq',
      type: 'kind',
      data: 'body',
      timestamp: 'happened_at',
      position: 'gpos',
      metadata: '',
      eventId: '',
    };
    for (const [name, column] of Object.entries(guessed)) {
      expect(await role(name).inputValue(), name).toBe(column);
    }
    expect(await role('version').locator('option:checked').textContent()).toBe('seq · integer · not null');
  });

  it('shows the host’s verdict next to the form and the field when a column has the wrong type', async () => {
    await role('version').selectOption('kind');
    await form().getByTestId('custom-mapping-save').click();
    const alert = page.getByTestId('custom-mapping-error');
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toContain('This mapping does not fit public.audit_log');
    expect(await alert.textContent()).toContain('column public.audit_log.kind is text: the version column must be an integer type');
    expect(await fieldError('version').textContent()).toContain('must be an integer type');
    expect(await fieldError('type').count()).toBe(0);
    await screenshot(page, 'custom-mapping-error');

    // Editing clears the stale verdict; the save button waits for every required role.
    await role('data').selectOption('');
    expect(await alert.count()).toBe(0);
    expect(await form().getByTestId('custom-mapping-save').isDisabled()).toBe(true);
    await role('data').selectOption('body');
  });

  it('keeps the corrected mapping and lists the streams through it', async () => {
    await role('version').selectOption('seq');
    await form().getByTestId('mapping-separator').fill('-');
    await form().getByTestId('mapping-reason').fill('e2e: audit log mapped by hand');
    await form().getByTestId('custom-mapping-save').click();

    await page.getByTestId('stream-row').first().waitFor({ timeout: 30_000 });
    const rows = await page
      .getByTestId('stream-row')
      .evaluateAll((nodes) => nodes.map((n) => [n.getAttribute('data-stream-id'), n.getAttribute('data-category')]));
    expect(rows).toEqual([
      ['invoice-1', 'invoice'],
      ['invoice-2', 'invoice'],
      ['refund-7', 'refund'],
    ]);
    const refund = page.locator('[data-testid="stream-row"][data-stream-id="refund-7"]');
    expect(await refund.textContent()).toContain('3');
    await screenshot(page, 'custom-mapping-streams');

    const audit = await app.engine.dispatcher.run(
      'audit.list',
      { operation: 'stores.configure' },
      { operationId: 'check', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined },
    );
    expect((audit as { records: { reason: string; outcome: string }[] }).records.slice(0, 2)).toMatchObject([
      { reason: 'e2e: audit log mapped by hand', outcome: 'ok' },
      { reason: 'Custom mapping of public.audit_log', outcome: 'error' },
    ]);
  });

  it('reopens the confirmed mapping from the streams screen to change it', async () => {
    await page.getByTestId('change-mapping').click();
    await form().waitFor({ timeout: 15_000 });
    await expect.poll(() => page.locator('[data-testid="store-detection"] .panel__title').textContent()).toBe(`Event-store mapping of “${PROFILE}”`);
    await expect.poll(() => form().getByTestId('mapping-separator').inputValue()).toBe('-');
    expect(await role('version').inputValue()).toBe('seq');
    await screenshot(page, 'custom-mapping-change');

    // Dropping the separator changes the categories: none are left.
    await form().getByTestId('mapping-separator').fill('');
    await form().getByTestId('custom-mapping-save').click();
    await page.getByTestId('store-detection').waitFor({ state: 'detached', timeout: 15_000 });
    await expect.poll(() => page.getByTestId('stream-row').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-category')))).toEqual(['', '', '']);
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});

describe('mapping a custom MongoDB collection through the editor', () => {
  const mongoUrl = process.env.CHRONO_TEST_MONGO_URL;
  const database = `e2e_cmap_${randomBytes(4).toString('hex')}`;
  let client: MongoClient;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    if (!mongoUrl) throw new Error('CHRONO_TEST_MONGO_URL is not set: run `eval "$(scripts/services env)"` first.');
    client = new MongoClient(mongoUrl);
    await client.connect();
    await client
      .db(database)
      .collection('ledger')
      .insertMany(
        Array.from({ length: 9 }, (_, i) => ({
          entity: `acct-${i % 3}`,
          rev: Math.floor(i / 3) + 1,
          seq: i + 1,
          kind: i % 2 ? 'Credited' : 'Debited',
          at: new Date(Date.UTC(2025, 0, 1, 9, i)),
          body: { amount: i },
          metadata: { corr: `c-${i % 3}` },
        })),
      );
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (_, call) => {
        await call('connections.add', { name: 'Ledger (test Mongo)', settings: { kind: 'mongo', uri: mongoUrl, database } });
      },
    }));
  });

  afterAll(async () => {
    await closeAppPage(app, browser);
    await client
      ?.db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client?.close();
  });

  it('guesses the fields from a sample, offers only what a collection can do, and browses once saved', async () => {
    await page.locator('#active-connection-select').selectOption({ label: 'Ledger (test Mongo)' });
    await page.getByTestId('nav-streams').click();
    const form = page.getByTestId('custom-mapping-form');
    await form.waitFor({ timeout: 30_000 });
    expect(await form.getAttribute('data-backend')).toBe('mongo');
    expect(await form.getByTestId('mapping-table').locator('option:checked').textContent()).toMatch(/^ledger — ~?9 rows/);
    const guessed = { streamId: 'entity', version: 'rev', type: 'kind', data: 'body', metadata: 'metadata', timestamp: 'at', eventId: '_id', position: 'seq' };
    for (const [name, field] of Object.entries(guessed)) {
      expect(await form.getByTestId(`mapping-role-${name}`).inputValue(), name).toBe(field);
    }
    expect(await form.getByTestId('mapping-correlation-key').inputValue()).toBe('corr');
    // No category separator nor correlation columns for a collection.
    expect(await form.getByTestId('mapping-separator').count()).toBe(0);
    expect(await form.getByTestId('mapping-role-correlationId').count()).toBe(0);
    await screenshot(page, 'custom-mapping-mongo');

    await form.getByTestId('custom-mapping-save').click();
    await page.getByTestId('stream-row').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('stream-row').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-stream-id')))).toEqual([
      'acct-0',
      'acct-1',
      'acct-2',
    ]);
  });

  it('time travel lists the streams of a store without categories, with an example id from it', async () => {
    await page.getByTestId('nav-time-travel').click();
    await page.getByTestId('tt-pick-stream').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('tt-pick-stream').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-stream-id')))).toEqual([
      'acct-0',
      'acct-1',
      'acct-2',
    ]);
    expect(await page.locator('[data-testid="tt-picker-list"] .panel__title').textContent()).toBe('Streams');
    expect(await page.getByTestId('tt-picker-category').count()).toBe(0);
    expect(await page.getByTestId('tt-error').count()).toBe(0);
    expect(await page.getByTestId('tt-stream-input').getAttribute('placeholder')).toBe('e.g. acct-…');
    await screenshot(page, 'time-travel-picker-no-categories');
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
