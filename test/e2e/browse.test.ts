import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionsAddInput } from '../../src-shared/schemas/connections';
import { closeAppPage, openAppPage, type RunningApp, screenshot } from './harness';

describe('browsing the Local workspace', () => {
  let app: RunningApp, browser: Browser, page: Page, pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ seeded: true }));
  });
  afterAll(() => closeAppPage(app, browser));

  const attributes = (selector: string, name: string) =>
    page.locator(selector).evaluateAll((nodes, attr) => nodes.map((node) => node.getAttribute(attr)), name);

  it('lists the streams, filters them by category and loads more as it scrolls', async () => {
    await page.getByTestId('nav-streams').click();
    await page.getByTestId('stream-row').first().waitFor({ timeout: 30_000 });

    await page.getByTestId('streams-filter-category').fill('Order');
    await expect
      .poll(
        async () => {
          const categories = await attributes('[data-testid="stream-row"]', 'data-category');
          return categories.length > 0 && categories.every((c) => c === 'Order');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    const title = () => page.locator('[data-testid="streams-screen"] .panel__title').textContent();
    await expect.poll(title).toMatch(/^Streams \(200\+\)$/);

    // Scrolling to the end pulls in the next keyset page.
    await page.locator('[data-testid="streams-table"] .vtable__scroll').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(title, { timeout: 15_000 }).toMatch(/^Streams \((400|[4-9]\d\d|\d{4,})\+?\)$/);
    await page.locator('[data-testid="streams-table"] .vtable__scroll').evaluate((el) => el.scrollTo(0, 0));
    // Virtualised: far fewer rows in the DOM than loaded.
    expect(await page.getByTestId('stream-row').count()).toBeLessThan(100);
    await screenshot(page, 'streams');
  });

  it('opens a stream, shows its timeline and an event with its JSON payload', async () => {
    const first = page.getByTestId('stream-row').first();
    const streamId = await first.getAttribute('data-stream-id');
    expect(streamId).toMatch(/^order-/);
    await first.click();
    await page.getByTestId('stream-screen').waitFor();
    expect(await page.getByTestId('stream-id').textContent()).toBe(streamId);
    expect(page.url()).toContain(`#/stream/${encodeURIComponent(streamId ?? '')}`);

    const events = page.getByTestId('stream-event');
    await events.first().waitFor();
    expect(await events.first().getAttribute('data-version')).toBe('1');
    expect(await events.first().getAttribute('data-type')).toBe('OrderPlaced');
    await expect.poll(() => page.getByTestId('stream-total').textContent()).toMatch(/^\d+$/);

    await events.first().click();
    const details = page.getByTestId('event-details');
    await details.waitFor();
    expect(await details.getAttribute('data-version')).toBe('1');
    const payload = page.getByTestId('event-payload');
    await expect.poll(() => payload.textContent()).toContain('"customerId"');
    expect(await payload.textContent()).toContain('"lines"');
    expect(await page.getByTestId('event-correlation').textContent()).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.getByTestId('event-metadata').textContent()).toContain('"userId"');

    // The tree folds: collapsing the root hides the keys, expanding shows them again.
    const rootToggle = payload.getByTestId('json-toggle').first();
    await rootToggle.click();
    expect(await payload.textContent()).not.toContain('"customerId"');
    await rootToggle.click();
    expect(await payload.textContent()).toContain('"customerId"');
    await screenshot(page, 'stream');

    // Jumping to a version reads around it and selects it.
    await page.getByTestId('stream-jump-version').fill('3');
    await page.getByTestId('stream-jump-version').press('Enter');
    await expect.poll(() => details.getAttribute('data-version')).toBe('3');

    // Jump to latest reads backward from the end: the last row is the stream's last version.
    await page.getByTestId('stream-jump-latest').click();
    const lastVersion = await page.getByTestId('stream-last-version').textContent();
    await expect.poll(() => attributes('[data-testid="stream-event"]', 'data-version').then((v) => v[v.length - 1])).toBe(lastVersion);
  });

  it('shows the global feed filtered by event type and opens an event in its stream', async () => {
    await page.getByTestId('nav-feed').click();
    const rows = page.getByTestId('feed-event');
    await rows.first().waitFor({ timeout: 30_000 });
    const positions = (await attributes('[data-testid="feed-event"]', 'data-position')).map(Number);
    expect(positions.length).toBeGreaterThan(10);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));

    await page.getByTestId('feed-filter-types').fill('OrderShipped');
    await expect
      .poll(
        async () => {
          const types = await attributes('[data-testid="feed-event"]', 'data-type');
          return types.length > 0 && types.every((t) => t === 'OrderShipped');
        },
        { timeout: 15_000 },
      )
      .toBe(true);

    // A time range and a seek position narrow it further; the type filter still holds.
    await page.getByTestId('feed-filter-from').fill('2025-03-01T00:00:00');
    await page.getByTestId('feed-filter-seek').fill('25000');
    await expect
      .poll(
        async () => {
          const shown = await page.getByTestId('feed-event').evaluateAll((nodes) =>
            nodes.map((node) => ({
              type: node.getAttribute('data-type'),
              position: Number(node.getAttribute('data-position')),
              time: node.children[1]?.textContent ?? '',
            })),
          );
          return shown.length > 0 && shown.every((e) => e.type === 'OrderShipped' && e.position >= 25000 && e.time >= '2025-03-01 00:00:00');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await screenshot(page, 'feed');

    const row = rows.nth(2);
    const href = await row.getAttribute('href');
    expect(href).toMatch(/^#\/stream\/order-[^?]+\?version=\d+$/);
    const version = href?.split('version=')[1];
    await row.click();
    const details = page.getByTestId('event-details');
    await details.waitFor();
    expect(await details.getAttribute('data-version')).toBe(version);
    expect(await page.locator('[data-testid="stream-event"][aria-selected="true"]').getAttribute('data-type')).toBe('OrderShipped');
  });

  it('asks which preset an unconfigured connection uses, then browses it once confirmed', async () => {
    // A second profile on the same embedded database: nothing is confirmed for it yet.
    const endpoint = app.engine.localWorkspace.endpoint;
    if (!endpoint) throw new Error('the Local workspace has no endpoint');
    const input = connectionsAddInput.parse({ name: 'Demo copy', settings: { kind: 'postgres', ...endpoint }, readOnly: true });
    await app.engine.handlers['connections.add'](input as never, { signal: new AbortController().signal } as never);
    await page.reload();
    await page.locator('#active-connection-select').selectOption({ label: 'Demo copy' });
    await page.getByTestId('nav-streams').click();

    const candidate = page.locator('[data-testid="store-candidate"][data-preset="classic"]');
    await candidate.waitFor({ timeout: 30_000 });
    expect(await candidate.textContent()).toContain('100% match');
    expect(await candidate.textContent()).toContain('public.events');
    await screenshot(page, 'streams-detection');
    await candidate.getByTestId('store-candidate-confirm').click();
    await page.getByTestId('stream-row').first().waitFor({ timeout: 30_000 });

    // Back to the Local workspace for whatever runs next.
    await page.locator('#active-connection-select').selectOption({ label: 'Local workspace' });
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
