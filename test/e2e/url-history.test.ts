import type { Admin, Producer } from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineCaller } from '../integration/engine-support';
import { testServices } from '../integration/env';
import { createTopic, kafkaFor, produce, uniqueName } from '../integration/kafka-support';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

/**
 * Every screen with state in its address shows the state the address names: opened from a deep
 * link, after a change made on the screen and Back and Forward over it, and after the address was
 * edited by hand. The time-travel case is issue 21's: Back to `version=2800` on the demo's longest
 * stream left the screen on v2799, and `version=2801` typed by hand left it on the last version.
 */
describe('every screen follows its address', () => {
  let app: RunningApp, browser: Browser, page: Page, pageErrors: string[];
  const call = engineCaller(() => app.engine);
  let longStream: string;
  let longLast: number;
  let kafkaId: string;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  const topic = uniqueName('e2e-url');

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ seeded: true }));
    const { streams } = await call('stats.largestStreams', { connectionId: 'local', limit: 1 });
    longStream = streams[0]!.streamId;
    longLast = streams[0]!.eventCount;
    kafkaId = (await call('connections.add', { name: 'URL cluster', readOnly: true, settings: { kind: 'kafka', brokers: testServices.kafkaBrokers } })).id;
    const kafka = kafkaFor(testServices.kafkaBrokers);
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
    await createTopic(admin, topic, 2);
    await produce(producer, topic, 0, 30);
    await produce(producer, topic, 1, 30);
  }, 240_000);

  afterAll(async () => {
    await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await Promise.all([admin?.disconnect(), producer?.disconnect()]);
    await closeAppPage(app, browser);
  });

  const hashOf = () => new URL(page.url()).hash;

  interface Case {
    name: string;
    /** The deep link, and what the screen shows for it. */
    link: string;
    linked: unknown;
    /** What the screen shows (read from the page, not from the address). */
    shown: () => Promise<unknown>;
    /** A change made on the screen that opens a history entry, and what it shows then. */
    change: () => Promise<void>;
    changed: unknown;
    /** An address typed by hand, and what the screen shows for it. */
    edit: string;
    edited: unknown;
  }

  /** Deep link, change, Back, Forward, hand edit, Back: each time the screen shows what its address names. */
  async function followsItsAddress(c: Case): Promise<void> {
    const settle = { timeout: 60_000, interval: 250 };
    await goTo(page, c.link);
    await expect.poll(c.shown, settle).toEqual(c.linked);
    const linkHash = hashOf();

    await c.change();
    await expect.poll(c.shown, settle).toEqual(c.changed);
    const changedHash = hashOf();
    expect(changedHash).not.toBe(linkHash);

    await page.goBack();
    await expect.poll(hashOf).toBe(linkHash);
    await expect.poll(c.shown, settle).toEqual(c.linked);

    await page.goForward();
    await expect.poll(hashOf).toBe(changedHash);
    await expect.poll(c.shown, settle).toEqual(c.changed);

    await goTo(page, c.edit);
    await expect.poll(c.shown, settle).toEqual(c.edited);
    await screenshot(page, `url-${c.name}`);

    await page.goBack();
    await expect.poll(hashOf).toBe(changedHash);
    await expect.poll(c.shown, settle).toEqual(c.changed);
  }

  const ttLink = (query: string) => `#/time-travel/${encodeURIComponent(longStream)}?${query}`;
  /** The version the slider and the state panel show, once the replay answered it. */
  const ttShown = async () => {
    const state = page.getByTestId('tt-state');
    if ((await state.count()) === 0 || (await state.getAttribute('aria-busy')) === 'true') return 'replaying';
    return { slider: await page.getByTestId('tt-version').evaluate((node) => node.firstChild?.textContent), state: await state.getAttribute('data-version') };
  };
  const at = (version: number) => ({ slider: `v${version}`, state: String(version) });

  it("time travel: Back, Forward and a typed version move the screen to the address's version (issue 21)", async () => {
    expect(longLast).toBeGreaterThan(2801);
    // The issue's own steps: a version typed by hand over a deep link, then Back.
    await goTo(page, ttLink('version=2800'));
    await expect.poll(ttShown, { timeout: 60_000 }).toEqual(at(2800));
    await goTo(page, ttLink('version=2801'));
    await expect.poll(ttShown, { timeout: 60_000 }).toEqual(at(2801));
    await page.goBack();
    await expect.poll(ttShown, { timeout: 60_000 }).toEqual(at(2800));
    await followsItsAddress({
      name: 'time-travel-version',
      link: ttLink('version=2800'),
      linked: at(2800),
      shown: ttShown,
      change: () => page.getByTestId('tt-prev').click(),
      changed: at(2799),
      edit: ttLink('version=2801'),
      edited: at(2801),
    });
    // No version names the latest one.
    await goTo(page, `#/time-travel/${encodeURIComponent(longStream)}`);
    await expect.poll(ttShown, { timeout: 60_000 }).toEqual(at(longLast));
    await page.goBack();
    await expect.poll(ttShown, { timeout: 60_000 }).toEqual(at(2799));
    expect(pageErrors).toEqual([]);
  });

  it('time travel: a time in the address resolves to its version, in place of the time', async () => {
    const { events } = await call('streams.read', { connectionId: 'local', streamId: longStream, fromVersion: 2000, direction: 'forward', limit: 1 });
    const time = events[0]!.timestamp!;
    await goTo(page, ttLink('version=2500'));
    await expect.poll(ttShown, { timeout: 60_000 }).toEqual(at(2500));
    await goTo(page, ttLink(`time=${encodeURIComponent(time)}`));
    await expect.poll(ttShown, { timeout: 60_000 }).toEqual(at(2000));
    await expect.poll(hashOf).toBe(ttLink('version=2000'));
    await page.goBack();
    await expect.poll(ttShown, { timeout: 60_000 }).toEqual(at(2500));
    await page.goForward();
    await expect.poll(ttShown, { timeout: 60_000 }).toEqual(at(2000));
  });

  it('time travel: the tab and the compared points follow the address', async () => {
    const compared = async () => {
      if ((await page.getByTestId('tt-tab-compare').getAttribute('aria-selected')) !== 'true') return 'history tab';
      const summary = await page
        .getByTestId('tt-compare-summary')
        .textContent()
        .catch(() => undefined);
      const fields = [await page.getByTestId('tt-compare-a').inputValue(), await page.getByTestId('tt-compare-b').inputValue()];
      return { fields, summary: /A = v\d+.*B = v\d+/.exec(summary ?? '')?.[0]?.replace(/ \(.*?\)/g, '') };
    };
    await followsItsAddress({
      name: 'time-travel-compare',
      link: ttLink('version=2800&tab=compare&a=1&b=2800'),
      linked: { fields: ['1', '2800'], summary: 'A = v1, B = v2800' },
      shown: compared,
      change: async () => {
        await page.getByTestId('tt-compare-a').fill('2');
        await page.getByTestId('tt-compare-go').click();
      },
      changed: { fields: ['2', '2800'], summary: 'A = v2, B = v2800' },
      edit: ttLink('version=2800&tab=compare&a=2&b=2801'),
      edited: { fields: ['2', '2801'], summary: 'A = v2, B = v2801' },
    });
    await page.getByTestId('tt-tab-history').click();
    await expect.poll(compared).toBe('history tab');
    await page.goBack();
    await expect.poll(compared).toEqual({ fields: ['2', '2800'], summary: 'A = v2, B = v2800' });
  });

  it('time travel picker: the category', async () => {
    const category = () =>
      page
        .getByTestId('tt-picker-category')
        .inputValue()
        .catch(() => undefined);
    await followsItsAddress({
      name: 'time-travel-picker',
      link: '#/time-travel?category=Order',
      linked: 'Order',
      shown: category,
      change: () =>
        page
          .getByTestId('tt-picker-category')
          .selectOption('Account')
          .then(() => undefined),
      changed: 'Account',
      edit: '#/time-travel?category=Product',
      edited: 'Product',
    });
  });

  it('stream view: the selected event, loaded or not', async () => {
    const stream = `#/stream/${encodeURIComponent(longStream)}`;
    const selected = async () => {
      const details = page.getByTestId('event-details');
      const row = page.locator('[data-testid="stream-event"][aria-selected="true"]');
      return {
        details: (await details.count()) ? await details.getAttribute('data-version') : null,
        row: (await row.count()) ? await row.getAttribute('data-version') : null,
      };
    };
    await followsItsAddress({
      name: 'stream-view',
      link: `${stream}?version=2800`,
      linked: { details: '2800', row: '2800' },
      shown: selected,
      change: () => page.locator('[data-testid="stream-event"][data-version="2805"]').click(),
      changed: { details: '2805', row: '2805' },
      // Far from the loaded events: the timeline is read again around it.
      edit: `${stream}?version=12`,
      edited: { details: '12', row: '12' },
    });
  });

  it('global feed: the filters', async () => {
    const feed = async () => {
      const types = await page.locator('[data-testid="feed-event"]').evaluateAll((nodes) => [...new Set(nodes.map((n) => n.getAttribute('data-type')))]);
      return { typed: await page.getByTestId('feed-filter-types').inputValue(), op: await page.getByTestId('feed-field-op').inputValue(), types };
    };
    await followsItsAddress({
      name: 'feed',
      link: '#/feed?types=OrderShipped&fieldPath=trackingNumber&fieldValue=TRK&fieldOp=contains',
      linked: { typed: 'OrderShipped', op: 'contains', types: ['OrderShipped'] },
      shown: feed,
      // A tracking number is not just "TRK": equals matches nothing.
      change: () =>
        page
          .getByTestId('feed-field-op')
          .selectOption('equals')
          .then(() => undefined),
      changed: { typed: 'OrderShipped', op: 'equals', types: [] },
      edit: '#/feed?types=OrderPlaced',
      edited: { typed: 'OrderPlaced', op: 'equals', types: ['OrderPlaced'] },
    });
  });

  it('stream list: filters and sort', async () => {
    const list = async () => ({
      prefix: await page.getByTestId('streams-filter-prefix').inputValue(),
      sort: await page
        .locator('[aria-sort="descending"], [aria-sort="ascending"]')
        .evaluateAll((nodes) => nodes.map((n) => `${n.textContent?.replace(/\W+$/, '')}:${n.getAttribute('aria-sort')}`)),
      ids: (await page.locator('[data-testid="stream-row"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-stream-id')))).every((id) =>
        id?.startsWith(new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('prefix') ?? ''),
      ),
    });
    await followsItsAddress({
      name: 'streams',
      link: '#/streams?category=Order&prefix=order-1',
      linked: { prefix: 'order-1', sort: ['Stream id:ascending'], ids: true },
      shown: list,
      change: () => page.getByTestId('streams-sort-events').click(),
      changed: { prefix: 'order-1', sort: ['Events:descending'], ids: true },
      edit: '#/streams?category=Order&prefix=order-2&sort=events-desc',
      edited: { prefix: 'order-2', sort: ['Events:descending'], ids: true },
    });
  });

  it('audit log: the filters', async () => {
    const filters = async () => [await page.getByTestId('audit-filter-outcome').inputValue(), await page.getByTestId('audit-filter-runs').inputValue()];
    await followsItsAddress({
      name: 'audit',
      link: '#/audit?outcome=refused',
      linked: ['refused', 'all'],
      shown: filters,
      change: () =>
        page
          .getByTestId('audit-filter-runs')
          .selectOption('dry')
          .then(() => undefined),
      changed: ['refused', 'dry'],
      edit: '#/audit?outcome=ok&runs=real',
      edited: ['ok', 'real'],
    });
  });

  it('charts: range and bucket', async () => {
    const view = async () => ({
      from: await page.getByTestId('charts-from').inputValue(),
      to: await page.getByTestId('charts-to').inputValue(),
      bucket: await page.locator('[data-testid^="charts-bucket-"].segmented__option--on').getAttribute('data-testid'),
    });
    await followsItsAddress({
      name: 'charts',
      link: '#/charts?from=2025-01-01&to=2025-02-01&bucket=hour',
      linked: { from: '2025-01-01', to: '2025-02-01', bucket: 'charts-bucket-hour' },
      shown: view,
      change: () => page.getByTestId('charts-bucket-day').click(),
      changed: { from: '2025-01-01', to: '2025-02-01', bucket: 'charts-bucket-day' },
      edit: '#/charts?from=2025-03-01&to=2025-03-05&bucket=hour',
      edited: { from: '2025-03-01', to: '2025-03-05', bucket: 'charts-bucket-hour' },
    });
  });

  it('checkpoints: the charted checkpoint and its range', async () => {
    await goTo(page, '#/checkpoints');
    await page.getByTestId('checkpoint-row').nth(1).waitFor({ timeout: 30_000 });
    const projectors = await page.locator('[data-testid="checkpoint-row"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-projector')));
    const [first, second] = [projectors[0]!, projectors.find((p) => p !== projectors[0])!];
    const view = async () => ({
      charted: await page
        .locator('[data-testid="checkpoint-row"].checkpoints__charted')
        .getAttribute('data-projector')
        .catch(() => null),
      range: await page
        .locator('[data-testid^="lag-range-"].segmented__option--on')
        .getAttribute('data-testid')
        .catch(() => null),
    });
    const chartOf = async (projector: string) => {
      await page.locator(`[data-testid="checkpoint-row"][data-projector="${projector}"] [data-testid="checkpoint-chart"]`).first().click();
    };
    await chartOf(first);
    await expect.poll(view).toMatchObject({ charted: first });
    const withRange = (range: string) => `${hashOf().replace(/&?range=[^&]*/, '')}&range=${range}`;
    const link = withRange('1h');
    const edit = withRange('6h');
    await followsItsAddress({
      name: 'checkpoints',
      link,
      linked: { charted: first, range: 'lag-range-1h' },
      shown: view,
      change: () => chartOf(second),
      changed: { charted: second, range: 'lag-range-1h' },
      edit,
      edited: { charted: first, range: 'lag-range-6h' },
    });
  });

  it('snapshots: the inspected snapshot and the filters', async () => {
    const { snapshots } = await call('snapshots.list', { connectionId: 'local', limit: 3 });
    const [a, b, c] = snapshots;
    const view = async () => ({
      type: await page.getByTestId('snapshot-filter-type').inputValue(),
      inspected: await page
        .locator('[data-testid="snapshot-inspect"] .panel__title')
        .first()
        .textContent()
        .catch(() => null),
    });
    const titleOf = (s: { streamId: string; version: number }) => `${s.streamId} at version ${s.version}`;
    await followsItsAddress({
      name: 'snapshots',
      link: `#/snapshots?stream=${a!.streamId}&version=${a!.version}`,
      linked: { type: '', inspected: titleOf(a!) },
      shown: view,
      change: () => page.locator(`[data-testid="snapshot-row"][data-stream="${b!.streamId}"][data-version="${b!.version}"]`).click(),
      changed: { type: '', inspected: titleOf(b!) },
      edit: `#/snapshots?streamType=${c!.streamType}&stream=${c!.streamId}&version=${c!.version}`,
      edited: { type: c!.streamType, inspected: titleOf(c!) },
    });
  });

  it('kafka: the topic, partition and starting offset', async () => {
    const view = async () => {
      const browser = page.getByTestId('kafka-topic-browser');
      if ((await browser.count()) === 0) return 'no browser';
      const offsets = await page.locator('[data-testid="kafka-message-row"] td:first-child').allTextContents();
      return {
        partition: await page.getByTestId('kafka-browser-partition').inputValue(),
        from: await page.getByTestId('kafka-browser-from').inputValue(),
        first: offsets[0] ?? null,
      };
    };
    const base = `#/kafka?c=${encodeURIComponent(kafkaId)}&t=${encodeURIComponent(topic)}`;
    await followsItsAddress({
      name: 'kafka-topic',
      link: `${base}&p=0&from=5`,
      linked: { partition: '0', from: '5', first: '5' },
      shown: view,
      change: async () => {
        await page.getByTestId('kafka-browser-from').fill('12');
        await page.getByTestId('kafka-browser-read').click();
      },
      changed: { partition: '0', from: '12', first: '12' },
      edit: `${base}&p=1&from=20`,
      edited: { partition: '1', from: '20', first: '20' },
    });
  });

  it('compliance: the open request', async () => {
    const proposed = await call('compliance.proposeMap', { connectionId: 'local' });
    const { connectionId: _c, confirmedAt: _t, ...map } = proposed;
    await call('compliance.saveMap', { connectionId: 'local', map: { ...map, requireSecondApprover: false } });
    const open = (ticket: string) =>
      call('compliance.createCase', {
        connectionId: 'local',
        subject: { by: 'id', value: `cust-${ticket}` },
        ticket,
        requester: 'Dana',
        reason: 'access request',
      });
    const [one, two, three] = [await open('URL-1'), await open('URL-2'), await open('URL-3')];
    const view = () =>
      page
        .locator('[data-testid="compliance-case-view"] .panel__title')
        .first()
        .textContent()
        .catch(() => null);
    await followsItsAddress({
      name: 'compliance',
      link: `#/compliance?case=${one.id}`,
      linked: 'Request URL-1',
      shown: view,
      change: () => page.locator('[data-testid="compliance-case"]', { hasText: 'URL-2' }).click(),
      changed: 'Request URL-2',
      edit: `#/compliance?case=${three.id}`,
      edited: 'Request URL-3',
    });
    expect(two.id).not.toBe(one.id);
  });

  it('rebuilds: the rebuild shown', async () => {
    const accounts = await call('rebuilds.start', { connectionId: 'local', model: 'accounts_view', definition: { builtin: true } });
    const products = await call('rebuilds.start', { connectionId: 'local', model: 'products_view', definition: { builtin: true } });
    const view = () =>
      page
        .locator('[data-testid="rebuild-detail"] .panel__title')
        .first()
        .textContent()
        .catch(() => null);
    await followsItsAddress({
      name: 'rebuilds',
      link: `#/rebuilds?rebuild=${accounts.rebuildId}`,
      linked: `Rebuild ${accounts.rebuildId} of accounts_view`,
      shown: view,
      change: () => page.getByTestId('rebuild-open-products_view').click(),
      changed: `Rebuild ${products.rebuildId} of products_view`,
      edit: `#/rebuilds?rebuild=${accounts.rebuildId}`,
      edited: `Rebuild ${accounts.rebuildId} of accounts_view`,
    });
  });

  it('had no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
