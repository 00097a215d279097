import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLASSIC_EVENTS_DDL } from '../../src-main/stores/postgres/classic-schema';
import { launchBrowser, openApp, screenshot, startApp, testPostgres, type RunningApp } from './harness';

const PROFILE = 'Classic, changed under the app (test PG)';

describe('a store whose table changed under the confirmed preset', () => {
  const target = testPostgres();
  const database = `e2e_serr_${randomBytes(4).toString('hex')}`;
  const config = { host: target.host, port: Number(target.port), user: target.user, password: target.password };
  let admin: pg.Client;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  const run = (op: string, input: unknown) => app.engine.dispatcher.run(op, input, { operationId: 'setup', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined });

  beforeAll(async () => {
    admin = new pg.Client({ ...config, database: target.database });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const db = new pg.Client({ ...config, database });
    await db.connect();
    await db.query(CLASSIC_EVENTS_DDL);
    for (let v = 1; v <= 3; v++) {
      await db.query(`INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES (gen_random_uuid(), 'account-1', 'account', 'Deposited', $1, '{}')`, [v]);
    }
    app = await startApp();
    const { id } = (await run('connections.add', { name: PROFILE, settings: { kind: 'postgres', host: target.host, port: Number(target.port), database, user: target.user }, secret: target.password })) as { id: string };
    await run('stores.configure', { connectionId: id, preset: 'classic' });
    // The confirmed store stays open while its table changes: versions become text, the type column goes.
    await db.query('ALTER TABLE events ALTER COLUMN event_version TYPE text USING event_version::text');
    await db.query('ALTER TABLE events DROP COLUMN event_type');
    await db.end();
    browser = await launchBrowser();
    ({ page, errors: pageErrors } = await openApp(browser, app.host.url));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await admin?.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin?.end();
  });

  it('the streams screen says what to do, and not that the store is empty', async () => {
    await page.locator('#active-connection-select').selectOption({ label: PROFILE });
    await page.getByTestId('nav-streams').click();
    const alert = page.getByTestId('browse-error');
    await alert.waitFor({ timeout: 30_000 });
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('Run the schema detection again');
    expect(text).not.toContain('operator does not exist');
    expect(await page.getByText('This store has no streams yet.').count()).toBe(0);
    await screenshot(page, 'store-error-streams');
  });

  it('the feed says what to do, and not that the store has no events', async () => {
    await page.getByTestId('nav-feed').click();
    const alert = page.getByTestId('browse-error');
    await expect.poll(async () => (await alert.textContent({ timeout: 30_000 })) ?? '', { timeout: 30_000 }).toContain('no longer exists');
    expect(await alert.textContent()).not.toMatch(/column .* does not exist/);
    expect(await page.getByText('This store has no events yet.').count()).toBe(0);
  });

  it('raised no page errors', () => {
    // The failed calls are answers on the WebSocket, not HTTP errors or page errors.
    expect(pageErrors).toEqual([]);
  });
});
