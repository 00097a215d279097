import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAppPage, openAppPage, screenshot, testPostgres, type RunningApp } from './harness';

describe('the active event store picker', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let kafkaId: string;

  beforeAll(async () => {
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (_, call) => {
        const pg = testPostgres();
        await call('connections.add', {
          name: 'Orders store',
          settings: { kind: 'postgres', host: pg.host, port: Number(pg.port), database: pg.database, user: pg.user },
          secret: pg.password,
        });
        kafkaId = (await call('connections.add', { name: 'Kafka cluster', settings: { kind: 'kafka', brokers: ['127.0.0.1:1'] } })).id;
      },
    }));
    // An older version let the Kafka profile be chosen: the choice is remembered in the browser.
    await page.evaluate((id) => window.localStorage.setItem('chronoscope.activeConnection', id), kafkaId);
    await page.reload();
  });

  afterAll(() => closeAppPage(app, browser));

  it('lists event stores only, and falls back to the Local workspace when a Kafka profile was remembered', async () => {
    const select = page.locator('#active-connection-select');
    await select.waitFor({ timeout: 30_000 });
    const options = await select.locator('option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['Local workspace', 'Orders store']));
    expect(options).not.toContain('Kafka cluster');
    expect(await select.inputValue()).toBe('local');
    // The Kafka profile is still a saved connection, on the Connections screen.
    await page.getByTestId('nav-connections').click();
    await page.getByText('Kafka cluster').first().waitFor();
    // Streams never offer "Map a custom table" for a Kafka cluster.
    await page.getByTestId('nav-streams').click();
    await page.getByTestId('streams-screen').waitFor({ timeout: 30_000 });
    expect(await page.getByText(/Map a custom table/i).count()).toBe(0);
  });

  it('shows the whole target of the active store in the header at 1440 px', async () => {
    const target = page.getByTestId('active-connection-target');
    const clipped = await target.evaluate((node) => node.scrollWidth > node.clientWidth);
    expect(clipped).toBe(false);
    expect(await target.textContent()).toMatch(/^PostgreSQL · postgres@127\.0\.0\.1:\d+\/postgres$/);
    await screenshot(page, 'active-store-picker');
    expect(pageErrors).toEqual([]);
  });
});
