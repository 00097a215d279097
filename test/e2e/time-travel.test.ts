import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResultOf } from '../../src-shared/operations';
import { WINDOW_SIZE, windowStart } from '../../src-renderer/src/features/time-travel/event-window';
import { formatTimeValue, parseTimeInput } from '../../src-renderer/src/ui/time';
import { engineCaller } from '../integration/engine-support';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

describe('time travel through an account stream', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let streamId: string;
  let lastVersion: number;
  let history: ResultOf<'timeTravel.fieldHistory'>;

  const call = engineCaller(() => app.engine);

  beforeAll(async () => {
    // The live demo, paused: it leaves one account's latest snapshot 1,000 cents off.
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ seeded: true, live: true }));
    // The busiest of the Account streams the picker lists.
    const { streams } = await call('streams.list', { connectionId: 'local', category: 'Account', limit: 25 });
    const busiest = [...streams].sort((a, b) => b.eventCount - a.eventCount)[0];
    if (!busiest) throw new Error('the demo data has no Account streams');
    streamId = busiest.streamId;
    lastVersion = busiest.lastVersion;
    history = await call('timeTravel.fieldHistory', { connectionId: 'local', streamId, path: 'balanceCents', definition: 'auto' });
  }, 240_000);

  afterAll(() => closeAppPage(app, browser));

  const state = {
    version: () => page.getByTestId('tt-state').getAttribute('data-version'),
    busy: () => page.getByTestId('tt-state').getAttribute('aria-busy'),
    balance: () => page.locator('[data-testid="tt-state-tree"] [data-path="balanceCents"] .json-tree__number').textContent(),
  };

  it("offers the categories of the store in the picker, a definition's first, with a real example id", async () => {
    await page.getByTestId('nav-time-travel').click();
    await page.getByTestId('tt-picker-category').waitFor({ timeout: 30_000 });
    await expect.poll(() => page.getByTestId('tt-picker-category').inputValue(), { timeout: 30_000 }).toBe('Account');
    expect(await page.locator('[data-testid="tt-picker-list"] .panel__title').textContent()).toBe('Account streams');
    const first = await page.getByTestId('tt-pick-stream').first().getAttribute('data-stream-id');
    const prefix = /^[^-]+-/.exec(first ?? '')?.[0];
    expect(await page.getByTestId('tt-stream-input').getAttribute('placeholder')).toBe(`e.g. ${prefix}…`);
    const options = await page.locator('[data-testid="tt-picker-category"] option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['All streams', 'Account', 'Order']));
    await page.getByTestId('tt-picker-category').selectOption('Order');
    await expect.poll(() => page.locator('[data-testid="tt-picker-list"] .panel__title').textContent()).toBe('Order streams');
    await expect.poll(() => page.getByTestId('tt-pick-stream').first().getAttribute('data-stream-id'), { timeout: 30_000 }).toMatch(/^order-/);
    expect(page.url()).toContain('category=Order');
    await page.getByTestId('tt-picker-category').selectOption('Account');
  });

  it('opens an account stream from the picker and shows its latest state', async () => {
    expect(lastVersion).toBeGreaterThan(3);
    const link = page.locator(`[data-testid="tt-pick-stream"][data-stream-id="${streamId}"]`);
    await link.waitFor({ timeout: 30_000 });
    await link.click();
    await page.getByTestId('time-travel-screen').waitFor();
    expect(await page.getByTestId('tt-stream-id').textContent()).toBe(streamId);
    await expect.poll(state.version, { timeout: 30_000 }).toBe(String(lastVersion));
    // The list is a window around the selected (latest) version.
    const from = windowStart(1, lastVersion);
    await expect.poll(() => page.getByTestId('tt-event').count()).toBe(Math.min(lastVersion, from + WINDOW_SIZE - 1) - from + 1);
    expect(await page.locator(`[data-testid="tt-event"][data-version="${lastVersion}"]`).count()).toBe(1);
    expect(await page.getByTestId('tt-replay-note').textContent()).toMatch(
      /^(From snapshot v\d+ \((matches a replay, checked by .+|not verified)\)|From the start), replayed \d+ events?$/,
    );
  });

  it('slides to a past version and shows the balance the replay computes for it', async () => {
    // A version whose event moved the balance, so its line is highlighted too.
    const moved = history.changes.map((c) => c.event.version).filter((v) => v < lastVersion);
    const target = moved[Math.floor(moved.length / 2)] ?? Math.ceil(lastVersion / 2);
    await page.getByTestId('tt-range').fill(String(target));
    await expect.poll(state.version, { timeout: 30_000 }).toBe(String(target));
    await expect.poll(state.busy).toBeNull();
    expect(page.url()).toContain(`#/time-travel/${encodeURIComponent(streamId)}?version=${target}`);

    const expected = await call('timeTravel.state', { connectionId: 'local', streamId, target: { version: target }, definition: 'auto', useSnapshot: true });
    const balance = (expected.state as { balanceCents: number }).balanceCents;
    expect(await state.balance()).toBe(String(balance));
    // The event list follows the slider, and the field the event changed is marked.
    expect(await page.locator('[data-testid="tt-event"][aria-selected="true"]').getAttribute('data-version')).toBe(String(target));
    await expect.poll(() => page.locator('[data-testid="tt-state-tree"] [data-path="balanceCents"]').getAttribute('data-mark')).toBe('changed');

    // Clicking an event moves the slider.
    await page.locator('[data-testid="tt-event"][data-version="2"]').click();
    await expect.poll(() => page.getByTestId('tt-range').inputValue()).toBe('2');
    await expect.poll(state.version, { timeout: 30_000 }).toBe('2');
    await page.getByTestId('tt-range').fill(String(target));
    await expect.poll(state.version, { timeout: 30_000 }).toBe(String(target));
  });

  it('goes to the state at a typed time (24-hour, display zone), not the previous answer', async () => {
    const current = Number(await state.version());
    // Just after an event well before the selected one (the next whole second), typed as the tables show times.
    const { events } = await call('streams.read', { connectionId: 'local', streamId, fromVersion: 2, direction: 'forward', limit: 1 });
    const earlier = events[0];
    if (!earlier?.timestamp) throw new Error('the stream has no timestamped second event');
    const typed = formatTimeValue(new Date(Math.floor(Date.parse(earlier.timestamp) / 1000) * 1000 + 1000).toISOString());
    const expected = await call('timeTravel.state', {
      connectionId: 'local',
      streamId,
      target: { time: parseTimeInput(typed)! },
      definition: 'auto',
      useSnapshot: true,
    });
    expect(expected.version).toBeGreaterThanOrEqual(2);
    expect(expected.version).not.toBe(current);

    await page.getByTestId('tt-time').fill(typed);
    await page.getByTestId('tt-time-go').click();
    await expect.poll(state.version, { timeout: 30_000 }).toBe(String(expected.version));
    await expect.poll(() => page.getByTestId('tt-range').inputValue()).toBe(String(expected.version));
    await expect.poll(state.busy).toBeNull();
    await screenshot(page, 'time-travel-at-time');

    // A time that is not one is marked, and nothing moves.
    await page.getByTestId('tt-time').fill('2025-02-31 25:00');
    await page.getByTestId('tt-time-go').click();
    await page.getByTestId('tt-time-invalid').waitFor();
    expect(await state.version()).toBe(String(expected.version));
  });

  it('shows the field history of balanceCents', async () => {
    await page.getByTestId('tt-tab-history').click();
    await page.getByTestId('tt-history-path').fill('balanceCents');
    await page.getByTestId('tt-history-go').click();
    const rows = page.getByTestId('tt-history-row');
    await rows.first().waitFor({ timeout: 30_000 });
    expect(history.changes.length).toBeGreaterThan(0);
    expect(await rows.count()).toBe(history.changes.length);
    const first = history.changes[0];
    expect(await rows.first().getAttribute('data-version')).toBe(String(first?.event.version));
    expect(await rows.first().getByTestId('tt-history-after').textContent()).toBe(JSON.stringify(first?.after));
    await screenshot(page, 'time-travel');
  });

  it('compares two versions and lists balanceCents in the diff', async () => {
    const changed = history.changes.find((c) => c.after !== 0);
    if (!changed) throw new Error('the balance never moved');
    await page.getByTestId('tt-tab-compare').click();
    await page.getByTestId('tt-compare-a').fill('1');
    await page.getByTestId('tt-compare-b').fill(String(changed.event.version));
    await page.getByTestId('tt-compare-go').click();
    const row = page.locator('[data-testid="tt-diff-row"][data-path="balanceCents"]');
    await row.waitFor({ timeout: 30_000 });
    expect(await row.getAttribute('data-kind')).toBe('changed');
    expect(await row.locator('.tt-after .tt-value').textContent()).toBe(JSON.stringify(changed.after));
    // The account definition declares balanceCents as money in the state's currency.
    const currency = (
      await call('timeTravel.state', { connectionId: 'local', streamId, target: { version: changed.event.version }, definition: 'auto', useSnapshot: true })
    ).state as { currency: string };
    const euros = ((changed.after as number) / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    expect(await row.locator('.tt-after [data-testid="tt-diff-money"]').textContent()).toBe(`${euros} ${currency.currency}`);
    expect(await page.locator('[data-testid="tt-state-tree"] [data-path="balanceCents"] [data-testid="tt-money"]').textContent()).toMatch(
      /^-?[\d,]+\.\d{2} [A-Z]{3}$/,
    );
    await screenshot(page, 'time-travel-compare');

    // A point outside the stream is marked on its field, and the old result does not stay under the new inputs.
    await page.getByTestId('tt-compare-b').fill(String(lastVersion + 50));
    await expect.poll(() => page.getByTestId('tt-compare-b').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('tt-compare-b-problem').textContent()).toBe(`B: The stream ends at version ${lastVersion}.`);
    expect(await page.getByTestId('tt-diff-row').count()).toBe(0);
    await page.getByTestId('tt-compare-go').click();
    expect(await page.getByTestId('tt-diff-row').count()).toBe(0);
    await page.getByTestId('tt-compare-a').fill('yesterday');
    await expect.poll(() => page.getByTestId('tt-compare-a').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('tt-compare-a-problem').textContent()).toContain('Not a version or a time');
    await screenshot(page, 'time-travel-compare-invalid');
    await page.getByTestId('tt-compare-a').fill('1');
    await page.getByTestId('tt-compare-b').fill(String(changed.event.version));
    await page.getByTestId('tt-compare-go').click();
    await row.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('tt-compare-a').getAttribute('aria-invalid')).toBe('false');
  });

  it('verifies the snapshot', async () => {
    await page.getByTestId('tt-verify').click();
    const result = page.getByTestId('tt-verify-result');
    await result.waitFor({ timeout: 30_000 });
    // Short streams have no stored snapshot: the host says so (not_found) and the screen explains it.
    const expected = await call('timeTravel.verifySnapshot', { connectionId: 'local', streamId, definition: 'auto' }).then(
      (r) => String(r.ok),
      (error: { code?: string }) => (error.code === 'not_found' ? 'none' : `error ${error.code}`),
    );
    expect(await result.getAttribute('data-ok')).toBe(expected);
  });

  it("warns that the demo's stale snapshot was skipped, and replays from the start without snapshots on demand", async () => {
    const { staleSnapshotStream } = await call('demo.status', {});
    if (!staleSnapshotStream) throw new Error('the live demo left no stale snapshot');
    const { snapshots } = await call('snapshots.list', { connectionId: 'local', streamPrefix: staleSnapshotStream, limit: 100 });
    const stale = Math.max(...snapshots.filter((s) => s.streamId === staleSnapshotStream).map((s) => s.version));
    const truth = await call('timeTravel.state', {
      connectionId: 'local',
      streamId: staleSnapshotStream,
      target: { version: stale },
      definition: 'auto',
      useSnapshot: false,
    });
    await goTo(page, `#/time-travel/${encodeURIComponent(staleSnapshotStream)}?version=${stale}`);
    const warning = page.getByTestId('tt-snapshot-warning');
    await warning.waitFor({ timeout: 60_000 });
    expect(await warning.textContent()).toContain(`The stored snapshot at v${stale} differs from a replay of the events`);
    expect(await page.getByTestId('tt-replay-note').textContent()).toBe(`From the start, replayed ${stale.toLocaleString('en-US')} events`);
    expect(await state.balance()).toBe(String((truth.state as { balanceCents: number }).balanceCents));
    await screenshot(page, 'time-travel-stale-snapshot');

    // One snapshot before it is good: used, and said to match a replay; the user may still ignore it.
    const good = Math.max(...snapshots.filter((s) => s.streamId === staleSnapshotStream && s.version < stale).map((s) => s.version));
    await goTo(page, '#/time-travel'); // through the picker: the stream's screen opens afresh at the version the address names
    await page.getByTestId('tt-picker-category').waitFor({ timeout: 30_000 });
    await goTo(page, `#/time-travel/${encodeURIComponent(staleSnapshotStream)}?version=${good}`);
    await expect
      .poll(() => page.getByTestId('tt-replay-note').textContent(), { timeout: 60_000 })
      .toBe(`From snapshot v${good} (matches a replay, checked by a quick check), replayed 0 events`);
    await page.getByTestId('tt-ignore-snapshots').click();
    await expect
      .poll(() => page.getByTestId('tt-replay-note').textContent(), { timeout: 60_000 })
      .toBe(`From the start (snapshots ignored), replayed ${good.toLocaleString('en-US')} events`);
  });

  it('shows a legacy event as stored beside the upcast payload its handler received', async () => {
    // A customer registered under schema v1 (one "name"), which the customer definition upcasts to v2 (first and last name).
    const legacy = await call('feed.read', {
      connectionId: 'local',
      eventTypes: ['CustomerRegistered'],
      field: { in: 'metadata', path: ['schemaVersion'], op: 'equals', value: '1' },
      limit: 1,
    });
    const event = legacy.events[0];
    if (!event) throw new Error('the demo data has no schema-v1 CustomerRegistered event');
    await goTo(page, `#/time-travel/${encodeURIComponent(event.streamId)}?version=${event.version}`);
    await page.getByTestId('tt-payload-upcast').waitFor({ timeout: 30_000 });
    const raw = (await page.getByTestId('tt-payload-raw').textContent()) ?? '';
    const upcast = (await page.getByTestId('tt-payload-upcast').textContent()) ?? '';
    expect(raw).toContain('"name"');
    expect(raw).not.toContain('"firstName"');
    expect(upcast).toContain('"firstName"');
    expect(upcast).toContain('"lastName"');
    await screenshot(page, 'time-travel-upcast');
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
