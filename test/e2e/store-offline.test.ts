import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresConnection } from '../integration/engine-support';
import { testServices } from '../integration/env';
import type { TestDatabase } from '../integration/reference/support';
import { closeAppPage, createClassicStore, openAppPage, screenshot, type RunningApp } from './harness';

const PROFILE = 'Behind a proxy that goes away';

/** A TCP proxy in front of the shared PostgreSQL: closing it takes "the store" offline without touching the service. */
class Proxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(port = 0): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

describe('a store that goes offline while its screens are open', () => {
  const target = new URL(testServices.postgresUrl);
  const proxy = new Proxy({ host: target.hostname, port: Number(target.port) });
  let db: TestDatabase;
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    db = await createClassicStore('e2e_off');
    await proxy.open();
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      beforePage: async (_, call) => {
        const viaProxy = new URL(db.url);
        viaProxy.hostname = '127.0.0.1';
        viaProxy.port = String(proxy.port);
        const { id } = await call('connections.add', postgresConnection(PROFILE, viaProxy.toString()));
        await call('stores.configure', { connectionId: id, preset: 'classic' });
      },
    }));
  });

  afterAll(async () => {
    await closeAppPage(app, browser);
    await proxy.close();
    await db?.drop();
  });

  it('shows one clear banner, marks the list it still shows as stale, and recovers on retry', async () => {
    await page.locator('#active-connection-select').selectOption({ label: PROFILE });
    await page.getByTestId('nav-streams').click();
    await page.locator('[data-testid="stream-row"][data-stream-id="account-1"]').waitFor({ timeout: 30_000 });

    await proxy.close();
    // Coming back to the screen reads again; the read fails and the rows of the last one stay, marked.
    await page.getByTestId('nav-feed').click();
    const banner = page.getByTestId('browse-error');
    await banner.waitFor({ timeout: 30_000 });
    await page.getByTestId('nav-streams').click();
    await expect.poll(() => page.getByTestId('stale-badge').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId('browse-error').count()).toBe(1);
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain(`“${PROFILE}” cannot be reached`);
    expect(text).toContain('nothing is listening there');
    expect(text).toContain('may be out of date');
    expect(text).not.toMatch(/ECONNREFUSED|no preset|confirmed/i);
    expect(await page.locator('[data-testid="stream-row"][data-stream-id="account-1"]').count()).toBe(1);
    expect(await page.getByText('This store has no streams yet.').count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain('ECONNREFUSED');
    await screenshot(page, 'store-offline-streams');

    // A new filter has nothing to show stale: the banner alone, not "no streams".
    await page.getByTestId('streams-filter-category').fill('account');
    await expect.poll(() => page.getByTestId('stale-badge').count(), { timeout: 30_000 }).toBe(0);
    await banner.waitFor({ timeout: 30_000 });
    expect(await page.getByText(/no streams? (yet|matches)/i).count()).toBe(0);

    // The feed: one banner, no "no events yet" under it.
    await page.getByTestId('nav-feed').click();
    await expect.poll(async () => (await page.getByTestId('browse-error').textContent()) ?? '', { timeout: 30_000 }).toContain('cannot be reached');
    // Retries re-render the banner; what counts is that one (never two) settles.
    await expect.poll(() => page.getByTestId('browse-error').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByText('This store has no events yet.').count()).toBe(0);
    await screenshot(page, 'store-offline-feed');

    // The store is back: Retry reads again and the banner goes.
    await proxy.open(proxy.port);
    await page.getByTestId('browse-retry').click();
    await page.locator('[data-testid="feed-event"]').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('browse-error').count()).toBe(0);
    await page.getByTestId('nav-streams').click();
    await page
      .getByTestId('browse-retry')
      .click()
      .catch(() => undefined);
    await page.locator('[data-testid="stream-row"][data-stream-id="account-1"]').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('stale-badge').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 240_000); // a dozen waits of up to 30 s each: under a loaded CI machine the default 120 s is too tight
});
