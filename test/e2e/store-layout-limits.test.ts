import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresConnection } from '../integration/engine-support';
import { testServices } from '../integration/env';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';
import { emmettStream, insertStreams } from '../integration/stores/emmett-mongo-fixtures';
import { closeAppPage, openAppPage, screenshot, type RunningApp } from './harness';

const LOOK_ALIKE = 'Look-alike table (test PG)';
const EMMETT = 'Emmett on Mongo (test FerretDB)';

/** What a layout cannot do is said as such: no Confirm for a table a preset cannot read, no Retry for a feed that does not exist. */
describe('layouts that fall short of a preset or of a global feed', () => {
  const database = `e2e_emmett_${randomBytes(4).toString('hex')}`;
  let db: TestDatabase;
  let mongo: MongoClient;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    db = await createTestDatabase('e2e_lookalike');
    // The classic table's columns, its versions, positions and timestamps as text: it sorts 1, 10, 2.
    await db.pool.query(`CREATE TABLE events (event_id uuid PRIMARY KEY, aggregate_id varchar(255) NOT NULL, aggregate_type varchar(255) NOT NULL,
      event_type varchar(255) NOT NULL, event_version text NOT NULL, event_data jsonb NOT NULL, metadata jsonb NOT NULL DEFAULT '{}',
      "timestamp" text NOT NULL, global_position text NOT NULL UNIQUE)`);
    mongo = new MongoClient(testServices.mongoUrl);
    await mongo.connect();
    await insertStreams(mongo.db(database), 'order', [emmettStream('order', '1', 3)]);
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (_, call) => {
        await call('connections.add', postgresConnection(LOOK_ALIKE, db.url));
        const { id } = await call('connections.add', { name: EMMETT, settings: { kind: 'mongo', uri: testServices.mongoUrl, database } });
        await call('stores.configure', { connectionId: id, preset: 'emmett-mongo' });
      },
    }));
  });

  afterAll(async () => {
    await closeAppPage(app, browser);
    await db?.drop();
    await mongo?.db(database).dropDatabase();
    await mongo?.close();
  });

  it('shows the look-alike table as a near miss with its reasons, and offers no Confirm', async () => {
    await page.locator('#active-connection-select').selectOption({ label: LOOK_ALIKE });
    await page.getByTestId('nav-streams').click();
    const miss = page.locator('[data-testid="store-near-miss"][data-preset="classic"]');
    await miss.waitFor({ timeout: 30_000 });
    expect(await miss.textContent()).toContain('public.events.event_version is text; the classic preset needs an integer type');
    expect(await page.getByTestId('store-candidate').count()).toBe(0);
    expect(await page.getByTestId('store-candidate-confirm').count()).toBe(0);
    expect(await page.getByTestId('store-detection').textContent()).not.toContain('proposes the presets below');
    await screenshot(page, 'detection-near-miss');
  });

  it("says Emmett's MongoDB layout has no global feed and points to Streams, without Retry", async () => {
    await page.locator('#active-connection-select').selectOption({ label: EMMETT });
    await page.getByTestId('nav-feed').click();
    const notice = page.getByTestId('feed-unsupported');
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.textContent()).toContain('has no global feed');
    expect(await page.getByText('cannot be reached').count()).toBe(0);
    expect(await page.getByTestId('browse-retry').count()).toBe(0);
    await screenshot(page, 'feed-no-global-order');
    await page.getByTestId('feed-unsupported-streams').click();
    await page.getByTestId('streams-panel').getByText('order:1').first().waitFor({ timeout: 30_000 });
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
