import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAppPage, goTo, openAppPage, type RunningApp, screenshot } from './harness';

describe('correlation, export, live tail and charts on the Local workspace', () => {
  let app: RunningApp, browser: Browser, page: Page, pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ seeded: true }));
  });
  afterAll(() => closeAppPage(app, browser));

  const attributes = (selector: string, name: string) =>
    page.locator(selector).evaluateAll((nodes, attr) => nodes.map((node) => node.getAttribute(attr)), name);

  let orderStream = '';

  it('follows an event through its correlation: cause, effects, the others in order and the causation graph', async () => {
    await page.getByTestId('nav-streams').click();
    await page.getByTestId('streams-filter-category').fill('Order');
    const first = page.locator('[data-testid="stream-row"][data-category="Order"]').first();
    await first.waitFor({ timeout: 30_000 });
    orderStream = (await first.getAttribute('data-stream-id')) ?? '';
    await first.click();
    await page.getByTestId('stream-event').first().click();
    const details = page.getByTestId('event-details');
    await details.waitFor();
    expect(await details.getAttribute('data-version')).toBe('1');

    // OrderPlaced starts a chain across streams: stock taken from products, payment from an account.
    const graph = page.getByTestId('causation-graph');
    await expect.poll(() => graph.locator('rect').count(), { timeout: 15_000 }).toBeGreaterThan(1);
    await expect.poll(() => page.getByTestId('correlation-effect').count()).toBeGreaterThan(0);
    expect(await graph.getByTestId('causation-edge').count()).toBeGreaterThan(0);
    expect(await graph.locator('[data-testid="causation-node"][data-current="true"]').count()).toBe(1);
    // Each card shows its whole stream id, and the events are not listed a second time under the graph.
    const labels = await graph.locator('.causation-graph__stream').allTextContents();
    expect(labels.length).toBeGreaterThan(1);
    expect(labels.every((label) => !label.includes('…'))).toBe(true);
    expect(await graph.evaluate((box) => box.scrollWidth <= box.clientWidth)).toBe(true);
    expect(await page.getByTestId('correlation-list').count()).toBe(0);
    await page.getByTestId('correlation').scrollIntoViewIfNeeded();
    await screenshot(page, 'correlation');

    // The other view: the same events in order of position.
    await page.getByTestId('correlation-view-list').click();
    const related = page.getByTestId('correlation-event');
    await expect.poll(() => related.count()).toBe(labels.length);
    expect(await graph.count()).toBe(0);
    const streams = await attributes('[data-testid="correlation-event"]', 'data-stream-id');
    expect(streams.some((s) => s !== orderStream)).toBe(true);
    await page.getByTestId('correlation-view-graph').click();

    // Following an effect opens it, and its cause is the event we came from.
    const effect = page.getByTestId('correlation-effect').first();
    const effectStream = await effect.getAttribute('data-stream-id');
    const effectVersion = await effect.getAttribute('data-version');
    await effect.click();
    await expect.poll(() => page.getByTestId('stream-screen').getAttribute('data-stream-id')).toBe(effectStream);
    await expect.poll(() => page.getByTestId('event-details').getAttribute('data-version')).toBe(effectVersion);
    const cause = page.getByTestId('correlation-cause');
    await cause.waitFor({ timeout: 15_000 });
    expect(await cause.getAttribute('data-stream-id')).toBe(orderStream);
    expect(await cause.getAttribute('data-version')).toBe('1');
  });

  it('shows whole type names in the timeline, and says where the stream ends when asked for a version past it', async () => {
    await openOrderStream();
    await page.getByTestId('stream-event').first().waitFor();
    const clipped = await page
      .locator('[data-testid="stream-event"] .event-type')
      .evaluateAll((cells) => cells.filter((cell) => cell.scrollWidth > cell.clientWidth).map((cell) => cell.textContent));
    expect(clipped).toEqual([]);
    const last = Number(await page.getByTestId('stream-last-version').textContent());
    await page.getByTestId('stream-jump-version').fill(String(last + 100));
    await page.getByTestId('stream-jump-version').press('Enter');
    const problem = page.getByTestId('stream-jump-problem');
    await problem.waitFor();
    expect(await problem.textContent()).toContain(`Version ${last + 100} is past the end: this stream ends at version ${last}.`);
    await screenshot(page, 'stream-past-the-end');
    await page.getByTestId('stream-jump-nearest').click();
    await expect.poll(() => page.getByTestId('event-details').getAttribute('data-version')).toBe(String(last));
    expect(await problem.count()).toBe(0);
  });

  it('exports a stream as NDJSON and downloads the file', async () => {
    await openOrderStream();
    await page.getByTestId('export-toggle').click();
    await page.getByTestId('export-format-ndjson').click();
    // Data leaves the store: the reason is asked for and recorded.
    expect(await page.getByTestId('export-start').isDisabled()).toBe(true);
    await page.getByTestId('export-reason').fill('ticket 4711');
    await page.getByTestId('export-start').click();
    const download = page.getByTestId('export-download');
    await download.waitFor({ timeout: 30_000 });
    const href = await download.getAttribute('href');
    expect(href).toMatch(/^\/downloads\/stream-.+\.ndjson$/);
    await screenshot(page, 'export');

    const text = await page.evaluate(async (url) => {
      const response = await fetch(url ?? '', { credentials: 'same-origin' });
      return response.ok ? response.text() : `HTTP ${response.status}`;
    }, href);
    const lines = text.split('\n').filter(Boolean);
    const total = Number(await page.getByTestId('stream-total').textContent());
    expect(lines.length).toBe(total);
    const firstLine = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(JSON.stringify(firstLine)).toContain(orderStream);
    await page.getByTestId('export-toggle').click();
    const { records } = await app.engine.audit.list({ operation: 'events.export', text: orderStream, limit: 5 });
    expect(records[0]).toMatchObject({ target: `connection:local stream:${orderStream}`, reason: 'ticket 4711', outcome: 'ok' });
  });

  it('filters the feed by a JSON field and advises an index when none serves it', async () => {
    await page.getByTestId('nav-feed').click();
    await page.getByTestId('feed-event').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('feed-field-path').fill('currency');
    await page.getByTestId('feed-field-value').fill('EUR');
    await page.getByTestId('feed-advice').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('feed-advice-ddl').first().textContent()).toMatch(/CREATE INDEX/i);
    await expect
      .poll(
        async () => {
          const types = await attributes('[data-testid="feed-event"]', 'data-type');
          // Only orders and accounts carry a currency in their payload.
          return types.length > 0 && types.every((t) => t === 'OrderPlaced' || t === 'AccountOpened');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await screenshot(page, 'field-filter');
    await page.getByRole('button', { name: 'Clear filters' }).click();
  });

  it('exports exactly the filtered feed the screen shows: types and JSON field included', async () => {
    await page.getByTestId('nav-feed').click();
    await page.getByTestId('feed-event').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('feed-filter-types').fill('OrderPlaced');
    await page.getByTestId('feed-field-path').fill('currency');
    await page.getByTestId('feed-field-value').fill('GBP');
    await expect.poll(() => page.url(), { timeout: 15_000 }).toContain('fieldValue=GBP');
    await expect
      .poll(
        async () => {
          const types = await attributes('[data-testid="feed-event"]', 'data-type');
          return types.length > 0 && types.every((t) => t === 'OrderPlaced');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    // Everything the filters match, read page by page as the screen would.
    const filters = { eventTypes: ['OrderPlaced'], field: { in: 'data' as const, path: ['currency'], op: 'equals' as const, value: 'GBP' } };
    let expected = 0;
    let after: string | undefined;
    do {
      const page = (await app.engine.dispatcher.run(
        'feed.read',
        { connectionId: 'local', ...filters, limit: 500, ...(after ? { afterPosition: after } : {}) },
        { operationId: 'f', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined },
      )) as { events: unknown[]; nextAfterPosition: string | null };
      expected += page.events.length;
      after = page.nextAfterPosition ?? undefined;
    } while (after);
    expect(expected).toBeGreaterThan(0);

    await page.getByTestId('export-toggle').click();
    expect(await page.getByTestId('export-panel').textContent()).toContain('data.currency equals "GBP"');
    await page.getByTestId('export-reason').fill('GBP orders for finance');
    await page.getByTestId('export-start').click();
    const download = page.getByTestId('export-download');
    await download.waitFor({ timeout: 60_000 });
    await screenshot(page, 'export-filtered-feed');
    const text = await page.evaluate(async (url) => (await fetch(url ?? '', { credentials: 'same-origin' })).text(), await download.getAttribute('href'));
    const lines = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { type: string; data: { currency?: string } });
    expect(lines).toHaveLength(expected);
    expect(lines.every((event) => event.type === 'OrderPlaced' && event.data.currency === 'GBP')).toBe(true);
    const { records } = await app.engine.audit.list({ operation: 'events.export', text: 'finance', limit: 5 });
    expect(records[0]?.target).toBe('connection:local feed:types OrderPlaced; data.currency equals "GBP"');
    await page.getByTestId('export-toggle').click();
    await page.getByRole('button', { name: 'Clear filters' }).click();
  });

  it('tails the feed live and shows an event inserted into the store', async () => {
    // A fresh feed: the export case before this one left its filters and panel on the screen.
    await goTo(page, '#/feed');
    await page.reload();
    // The export case before this one left type and JSON-field filters on the feed; the probe matches neither.
    for (const id of ['feed-filter-types', 'feed-field-path', 'feed-field-value']) await page.getByTestId(id).fill('');
    await expect.poll(() => page.evaluate(() => location.hash), { timeout: 10_000 }).not.toContain('types=');
    await page.getByTestId('feed-event').first().waitFor({ timeout: 30_000 });
    await page.getByTestId('live-toggle').click();
    await page.getByTestId('live-rate').waitFor();
    expect(await page.getByTestId('live-toggle').getAttribute('aria-pressed')).toBe('true');
    // PGlite reports its transactions: a late commit is waited for, not skipped after a timeout.
    const holes = page.getByTestId('live-holes');
    await holes.waitFor();
    expect(await holes.getAttribute('data-rule')).toBe('visibility');
    expect(await holes.textContent()).toBe('holes closed by transaction visibility');
    // The hole rule arrives with the tail's first message, sent once it has taken its starting position: writing may start.

    const resolved = await app.engine.connections.resolve('local');
    const settings = resolved.settings as unknown as { host: string; port: number };
    const client = new pg.Client({ host: settings.host, port: Number(settings.port), user: 'postgres', database: 'postgres' });
    await client.connect();
    const aggregate = `order-e2e-live-${randomUUID().slice(0, 8)}`;
    try {
      await client.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data, metadata)
         VALUES ($1, $2, 'Order', 'E2eLiveProbe', 1, $3, $4)`,
        [randomUUID(), aggregate, JSON.stringify({ probe: true }), JSON.stringify({ userId: 'e2e' })],
      );
    } finally {
      await client.end();
    }

    const probe = page.locator('[data-testid="feed-event"][data-type="E2eLiveProbe"]');
    await probe.waitFor({ timeout: 30_000 });
    expect(await probe.getAttribute('href')).toContain(encodeURIComponent(aggregate));
    await screenshot(page, 'tail');

    // Pausing cancels the tail; the toggle offers to resume.
    await page.getByTestId('live-toggle').click();
    expect(await page.getByTestId('live-toggle').getAttribute('aria-pressed')).toBe('false');
    expect(await page.getByTestId('live-toggle').textContent()).toContain('Resume');
  });

  it('charts events per day by type and the largest streams', async () => {
    await page.getByTestId('nav-charts').click();
    await page.getByTestId('charts-screen').waitFor();
    // The demo data is from 2025: widen the range to the whole store.
    const fit = page.getByTestId('charts-fit');
    await expect.poll(() => fit.isEnabled(), { timeout: 15_000 }).toBe(true);
    await fit.click();
    // The whole demo (~50k events), not just the probe the live test wrote today.
    await expect.poll(() => page.getByTestId('charts-histogram-chart').getAttribute('data-total').then(Number), { timeout: 30_000 }).toBeGreaterThan(10_000);
    const bars = page.locator('[data-testid="charts-histogram-chart"] svg rect.chart-bar');
    await expect.poll(() => bars.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    // The demo's own months, without the long empty stretch up to today's probe.
    await page.getByTestId('charts-to').fill('2025-06-30');
    await expect
      .poll(
        async () => {
          const title = await page.locator('[data-testid="charts-histogram"] .panel__title').textContent();
          const total = Number(await page.getByTestId('charts-histogram-chart').getAttribute('data-total'));
          return Boolean(title?.includes('2025-06-30')) && total > 10_000 && (await bars.count()) > 0;
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    const largest = page.getByTestId('charts-largest-row');
    await expect.poll(() => largest.count(), { timeout: 30_000 }).toBeGreaterThan(0);
    // Whole ids and their counts, largest first.
    const counts = (await page.getByTestId('charts-largest-count').allTextContents()).map((text) => Number(text.replace(/\D/g, '')));
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    const firstId = await largest.first().getAttribute('data-stream-id');
    expect(await largest.first().textContent()).toContain(firstId);
    await screenshot(page, 'charts');

    await largest.first().click();
    await page.getByTestId('stream-screen').waitFor();
    expect(await page.getByTestId('stream-id').textContent()).toBe(firstId);
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });

  /** Back to the order stream the first test started from. */
  async function openOrderStream(): Promise<void> {
    await goTo(page, `#/stream/${encodeURIComponent(orderStream)}`);
    await page.getByTestId('stream-event').first().waitFor();
    await expect.poll(() => page.getByTestId('stream-total').textContent()).toMatch(/^\d+$/);
  }
});
