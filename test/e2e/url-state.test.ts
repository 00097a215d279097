import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAppPage, goTo, openAppPage, type RunningApp, screenshot } from './harness';

describe('filters and selection kept in the address', () => {
  let app: RunningApp, browser: Browser, page: Page, pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ seeded: true }));
  });
  afterAll(() => closeAppPage(app, browser));

  const attributes = (selector: string, name: string) =>
    page.locator(selector).evaluateAll((nodes, attr) => nodes.map((node) => node.getAttribute(attr)), name);
  const feedTypes = () => attributes('[data-testid="feed-event"]', 'data-type');
  const onlyShipped = async () => {
    const types = await feedTypes();
    return types.length > 0 && types.every((t) => t === 'OrderShipped');
  };
  /** The feed's positions once the list stopped growing (a filtered feed fills in pages). */
  const settledPositions = async () => {
    let last = '';
    let positions: (string | null)[] = [];
    await expect
      .poll(
        async () => {
          positions = await attributes('[data-testid="feed-event"]', 'data-position');
          const now = JSON.stringify(positions);
          const same = now === last;
          last = now;
          return same && positions.length > 0;
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBe(true);
    return positions;
  };
  const filterValues = () =>
    Promise.all(
      ['feed-filter-types', 'feed-filter-category', 'feed-filter-from', 'feed-field-path', 'feed-field-op'].map((id) => page.getByTestId(id).inputValue()),
    );

  it('keeps the feed filters when an event is opened and the user comes back, and on reload', async () => {
    await goTo(page, '#/feed');
    await page.getByTestId('feed-event').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('feed-filter-types').fill('OrderShipped');
    await page.getByTestId('feed-filter-category').fill('Order');
    await page.getByTestId('feed-filter-from').fill('2025-03-01T00:00');
    await page.getByTestId('feed-field-path').fill('trackingNumber');
    await page.getByTestId('feed-field-op').selectOption('contains');
    await page.getByTestId('feed-field-value').fill('TRK');
    await expect.poll(onlyShipped, { timeout: 15_000 }).toBe(true);
    const url = new URL(page.url());
    const query = new URLSearchParams(url.hash.slice(url.hash.indexOf('?') + 1));
    expect(Object.fromEntries(query)).toEqual({
      types: 'OrderShipped',
      category: 'Order',
      from: '2025-03-01T00:00',
      fieldPath: 'trackingNumber',
      fieldOp: 'contains',
      fieldValue: 'TRK',
    });
    const before = await settledPositions();

    // Open an event in its stream, pick another event there, and come back.
    const first = page.getByTestId('feed-event').first();
    const opened = /^#\/stream\/.+\?version=(\d+)$/.exec((await first.getAttribute('href')) ?? '')?.[1];
    expect(opened).toBeDefined();
    await first.click();
    await page.getByTestId('stream-screen').waitFor();
    await page.getByTestId('stream-event').first().click();
    await expect.poll(() => new URL(page.url()).hash).toMatch(/\?version=1$/);
    const streamAddress = page.url();

    // Picking an event is a step of its own: Back returns to the event opened from the feed, then to the feed.
    await page.goBack();
    await expect.poll(() => page.getByTestId('event-details').getAttribute('data-version'), { timeout: 30_000 }).toBe(opened);
    await page.goBack();
    await page.getByTestId('feed-screen').waitFor();
    expect(await filterValues()).toEqual(['OrderShipped', 'Order', '2025-03-01T00:00', 'trackingNumber', 'contains']);
    expect(await page.getByTestId('feed-field-value').inputValue()).toBe('TRK');
    await expect.poll(onlyShipped, { timeout: 15_000 }).toBe(true);
    await expect.poll(() => attributes('[data-testid="feed-event"]', 'data-position'), { timeout: 15_000 }).toEqual(before);
    await screenshot(page, 'feed-filters-after-back');

    // The address alone carries them: a reload (or a shared link) shows the same filtered feed.
    await page.reload();
    await page.getByTestId('feed-screen').waitFor();
    expect(await filterValues()).toEqual(['OrderShipped', 'Order', '2025-03-01T00:00', 'trackingNumber', 'contains']);
    await expect.poll(() => attributes('[data-testid="feed-event"]', 'data-position'), { timeout: 30_000 }).toEqual(before);

    // Forward again: the stream opens at the event picked there.
    await page.goto(streamAddress);
    await expect.poll(() => page.getByTestId('event-details').getAttribute('data-version'), { timeout: 30_000 }).toBe('1');

    // Clearing the filters clears the address too.
    await goTo(page, '#/feed?types=OrderShipped');
    await expect.poll(onlyShipped, { timeout: 15_000 }).toBe(true);
    expect(await page.getByTestId('feed-filter-types').inputValue()).toBe('OrderShipped');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => new URL(page.url()).hash).toBe('#/feed');
  });

  it('keeps the stream list, audit and chart filters in the address', async () => {
    await goTo(page, '#/streams?category=Order&prefix=order-1');
    await expect.poll(() => page.getByTestId('streams-filter-prefix').inputValue()).toBe('order-1');
    await expect
      .poll(
        async () => {
          const ids = await attributes('[data-testid="stream-row"]', 'data-stream-id');
          return ids.length > 0 && ids.every((id) => id?.startsWith('order-1'));
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await page.getByTestId('streams-filter-search').fill('2');
    await expect.poll(() => new URL(page.url()).hash).toBe('#/streams?category=Order&prefix=order-1&search=2');

    await goTo(page, '#/audit?outcome=refused&runs=bogus');
    await expect.poll(() => page.getByTestId('audit-filter-outcome').inputValue()).toBe('refused');
    expect(await page.getByTestId('audit-filter-runs').inputValue()).toBe('all');

    await goTo(page, '#/charts?from=2025-01-01&to=2025-02-01&bucket=hour');
    await expect.poll(() => page.getByTestId('charts-from').inputValue()).toBe('2025-01-01');
    expect(await page.getByTestId('charts-to').inputValue()).toBe('2025-02-01');
    expect(pageErrors).toEqual([]);
  });

  it('says when "To" is before "From", and jumps to the latest events', async () => {
    await goTo(page, '#/feed?types=OrderShipped&from=2025-03-02T00:00&to=2025-03-01T00:00');
    const toField = page.getByTestId('feed-filter-to');
    await expect.poll(() => toField.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field__error').first().textContent()).toContain('"To" is before "From"');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => toField.getAttribute('aria-invalid')).toBe('false');

    await page.getByTestId('feed-filter-types').fill('OrderShipped');
    await expect.poll(onlyShipped, { timeout: 15_000 }).toBe(true);
    const firstBefore = Number((await attributes('[data-testid="feed-event"]', 'data-position'))[0]);
    await page.getByTestId('feed-jump-latest').click();
    await expect.poll(() => page.getByTestId('feed-filter-seek').inputValue(), { timeout: 30_000 }).toMatch(/^\d+$/);
    await expect.poll(onlyShipped, { timeout: 15_000 }).toBe(true);
    const seek = Number(await page.getByTestId('feed-filter-seek').inputValue());
    expect(seek).toBeGreaterThan(firstBefore);
    // Scrolled to the end: the last row shown is the newest OrderShipped, and nothing loads after it.
    await expect.poll(() => page.getByTestId('feed-load-more').count(), { timeout: 15_000 }).toBe(0);
    const positions = (await attributes('[data-testid="feed-event"]', 'data-position')).map(Number);
    expect(positions.every((position) => position >= seek)).toBe(true);
    await screenshot(page, 'feed-jump-latest');
  });

  it('matches a stream category whatever its case and sorts the loaded streams', async () => {
    await goTo(page, '#/streams');
    await page.getByTestId('stream-row').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('streams-filter-category').fill('order');
    await expect
      .poll(
        async () => {
          const categories = await attributes('[data-testid="stream-row"]', 'data-category');
          return categories.length > 0 && categories.every((c) => c === 'Order');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    const offered = await page
      .locator('[data-testid="streams-filter-category-suggestions"] option')
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute('value')));
    expect(offered).toContain('Order');

    await page.getByTestId('streams-sort-events').click();
    await expect.poll(() => new URL(page.url()).hash).toContain('sort=events-desc');
    const counts = await page.locator('[data-testid="stream-row"] [role="cell"]:nth-child(3)').allTextContents();
    const numbers = counts.map((text) => Number(text.replace(/\D/g, '')));
    expect(numbers.length).toBeGreaterThan(1);
    expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
    await screenshot(page, 'streams-sorted');
    expect(pageErrors).toEqual([]);
  });
});
