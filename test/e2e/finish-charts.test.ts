import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAGGING_PROJECTOR } from '../../src-main/reference/demo/live-demo';
import { ROUND_STEPS_MS } from '../../src-renderer/src/ui/chart-ticks';
import { seriesColors } from '../../src-renderer/src/ui/series-colors';
import { engineCaller } from '../integration/engine-support';
import { smallLiveDemo } from '../support/small-live-demo';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

/** The live demo on a small seed, writing, with orders_view trailing and the engine sampling lag often. */
const liveDemo = smallLiveDemo({ events: 12_000, commandsPerSecond: 4, lagBehindMs: 15_000 });

/** "1 min 30 s" → 90000. */
function durationMs(label: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
  return [...label.matchAll(/(\d+) (ms|s|min|h|d)\b/g)].reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0);
}

describe('charts, time travel and feed: the finish (issue 23)', () => {
  let app: RunningApp, browser: Browser, page: Page, pageErrors: string[];
  const call = engineCaller(() => app.engine);

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ initializeLocalWorkspace: liveDemo, engine: { lagSamplingIntervalMs: 500 } }));
  }, 240_000);
  afterAll(() => closeAppPage(app, browser));

  it('draws the lag over the whole chosen range with round, distinct duration ticks', async () => {
    await goTo(page, '#/checkpoints');
    const lagging = page.locator(`[data-testid="checkpoint-row"][data-projector="${LAGGING_PROJECTOR}"]`);
    await lagging.waitFor({ timeout: 60_000 });
    await lagging.getByTestId('checkpoint-chart').click();
    await page.getByTestId('lag-range-15m').click();
    const plot = page.getByTestId('lag-chart-plot');
    await expect.poll(async () => Number((await plot.getAttribute('data-points').catch(() => '0')) ?? 0), { timeout: 60_000 }).toBeGreaterThanOrEqual(3);
    // The axis is the chosen 15 minutes ending now, not the few seconds sampled so far.
    const [from, to] = (await plot.getAttribute('data-domain'))!.split(',').map(Number);
    expect(to! - from!).toBe(15 * 60_000);
    expect(Math.abs(to! - Date.now())).toBeLessThan(60_000);
    const xTicks = await plot.locator('.recharts-xAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents();
    expect(xTicks.length).toBeGreaterThanOrEqual(3);
    for (const tick of xTicks) expect(tick).toMatch(/^\d{2}:\d{2}:00$/);
    expect(new Set(xTicks).size).toBe(xTicks.length);
    expect(await plot.locator('.recharts-label').allTextContents()).toEqual([expect.stringMatching(/^UTC/)]);

    // The lag-in-time axis: 0 and round multiples of one step, never two labels alike.
    await expect
      .poll(
        async () =>
          (await plot.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents()).filter((t) => /\d (s|min|h|d)$/.test(t))
            .length,
        { timeout: 30_000 },
      )
      .toBeGreaterThanOrEqual(2);
    const durations = (await plot.locator('.recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value').allTextContents()).filter((t) =>
      /\d (s|min|h|d)$/.test(t),
    );
    expect(new Set(durations).size).toBe(durations.length);
    const values = durations.map(durationMs);
    expect(values[0]).toBe(0);
    const step = values[1]! - values[0]!;
    expect(ROUND_STEPS_MS).toContain(step);
    values.forEach((value, i) => expect(value).toBe(i * step));
    await screenshot(page, 'finish-lag-chart-15m');
  }, 180_000);

  it('keeps one colour per event type whatever the range holds', async () => {
    await goTo(page, '#/charts');
    await page.getByTestId('charts-fit').click();
    const chart = page.getByTestId('charts-histogram-chart');
    await chart.waitFor({ timeout: 60_000 });
    const colorsOf = async () => JSON.parse((await chart.getAttribute('data-colors')) ?? '{}') as Record<string, string>;
    await expect.poll(async () => Object.keys(await colorsOf()).length, { timeout: 30_000 }).toBeGreaterThan(2);
    const wide = await colorsOf();
    // The colour is the type's own (its name's hash), not its rank in this range.
    expect(wide).toEqual(Object.fromEntries(seriesColors(Object.keys(wide), 'other')));
    const drawn = Object.values(wide);
    expect(new Set(drawn).size).toBe(drawn.length);
    const fills = new Set(await chart.locator('rect.chart-bar').evaluateAll((rects) => rects.map((r) => r.getAttribute('fill'))));
    for (const color of drawn) expect(fills).toContain(color);
    await screenshot(page, 'finish-charts-colours-whole-store');

    // Today only (fewer types, in another order): every type still shown keeps its colour.
    await page.getByRole('button', { name: 'Last 24 h' }).click();
    await expect
      .poll(() => page.getByTestId('charts-histogram').locator('.panel__title').first().textContent(), { timeout: 30_000 })
      .toMatch(/^Events per hour \(/);
    await chart.waitFor({ timeout: 30_000 });
    const narrow = await colorsOf();
    const shared = Object.keys(narrow).filter((type) => type in wide && type !== 'other');
    expect(shared.length).toBeGreaterThan(0);
    for (const type of shared) expect(narrow[type]).toBe(wide[type]);
    await screenshot(page, 'finish-charts-colours-last-24h');
  }, 120_000);

  it("suggests the Order state's own fields, shows the whole time placeholder and a snapshot's time", async () => {
    const { streams } = await call('streams.list', { connectionId: 'local', category: 'Order', limit: 50 });
    const busiest = [...streams].sort((a, b) => b.eventCount - a.eventCount)[0]!;
    await goTo(page, `#/time-travel/${encodeURIComponent(busiest.streamId)}`);
    await expect.poll(() => page.getByTestId('tt-state').getAttribute('data-version'), { timeout: 60_000 }).toBe(String(busiest.lastVersion));
    const state = (
      await call('timeTravel.state', {
        connectionId: 'local',
        streamId: busiest.streamId,
        target: { version: busiest.lastVersion },
        definition: 'auto',
        useSnapshot: true,
      })
    ).state as Record<string, unknown>;

    await page.getByTestId('tt-tab-history').click();
    const input = page.getByTestId('tt-history-path');
    expect(await input.inputValue()).toBe('');
    const suggested = await page.locator('[data-testid="tt-history-paths"] option').evaluateAll((options) => options.map((o) => o.getAttribute('value')));
    expect(suggested).not.toContain('balanceCents');
    expect(suggested).toEqual(expect.arrayContaining(Object.keys(state)));
    expect(await input.getAttribute('placeholder')).toMatch(new RegExp(`^e\\.g\\. (${Object.keys(state).join('|')})$`));

    // The placeholder of "State at time" is not cut: the input is at least as wide as its text.
    const time = page.getByTestId('tt-time');
    const fits = await time.evaluate((el: HTMLInputElement) => {
      const style = getComputedStyle(el);
      const probe = document.createElement('span');
      probe.style.font = style.font;
      probe.style.whiteSpace = 'pre';
      probe.textContent = el.placeholder;
      document.body.append(probe);
      const text = probe.getBoundingClientRect().width;
      probe.remove();
      return el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) >= text;
    });
    expect(fits).toBe(true);
    expect(await time.getAttribute('placeholder')).toBe('YYYY-MM-DD HH:mm:ss');

    await input.fill(Object.keys(state)[0]!);
    await page.getByTestId('tt-history-go').click();
    await page.getByTestId('tt-history-row').first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'finish-time-travel-order');
  }, 120_000);

  it('says when the snapshot a state starts from was taken', async () => {
    // A stream the demo left a snapshot of (it snapshots long streams every 100 events).
    const { snapshots } = await call('snapshots.list', { connectionId: 'local', limit: 1 });
    const {
      events: [last],
    } = await call('streams.read', { connectionId: 'local', streamId: snapshots[0]!.streamId, direction: 'backward', limit: 1 });
    const busiest = { streamId: snapshots[0]!.streamId, lastVersion: last!.version };
    await goTo(page, `#/time-travel/${encodeURIComponent(busiest.streamId)}`);
    await expect.poll(() => page.getByTestId('tt-state').getAttribute('data-version'), { timeout: 60_000 }).toBe(String(busiest.lastVersion));
    const note = await page.getByTestId('tt-replay-note').textContent();
    expect(note).toMatch(/^From snapshot v\d+/);
    const version = Number(/^From snapshot v(\d+)/.exec(note!)![1]);
    const { events } = await call('streams.read', { connectionId: 'local', streamId: busiest.streamId, fromVersion: version, direction: 'forward', limit: 1 });
    const shown = page.getByTestId('tt-snapshot-time');
    await shown.waitFor({ timeout: 30_000 });
    expect(await shown.locator('time').getAttribute('datetime')).toBe(events[0]!.timestamp);
    expect(await shown.textContent()).toMatch(new RegExp(`^Snapshot v${version} is the state at \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} UTC`));
    await screenshot(page, 'finish-time-travel-snapshot-time');
  }, 120_000);

  it('jumps to the newest matching event and shows it; an invalid date gets one message', async () => {
    await goTo(page, '#/feed');
    await page.getByTestId('feed-event').first().waitFor({ timeout: 60_000 });
    await page.getByTestId('feed-jump-latest').click();
    await expect.poll(() => page.getByTestId('feed-filter-seek').inputValue(), { timeout: 30_000 }).toMatch(/^\d+$/);
    const seek = Number(await page.getByTestId('feed-filter-seek').inputValue());
    // The newest event at the jump is the last of the 500-position window; the list shows it.
    const newest = seek + 499;
    const row = page.locator(`[data-testid="feed-event"][data-position="${newest}"]`);
    await row.waitFor({ timeout: 30_000 });
    const visible = async () => {
      const table = await page.getByTestId('feed-table').boundingBox();
      const box = await row.boundingBox();
      return table !== null && box !== null && box.y >= table.y - 1 && box.y + box.height <= table.y + table.height + 1;
    };
    await expect.poll(visible, { timeout: 15_000 }).toBe(true);
    await screenshot(page, 'finish-feed-jump-latest');

    await page.getByTestId('feed-filter-from').fill('2025-02-31 25:00');
    const field = page.getByTestId('feed-filter-from').locator('xpath=..');
    await expect.poll(() => field.getByTestId('field-error').count()).toBe(1);
    expect(await field.locator('.field__hint').count()).toBe(0);
    expect(await field.getByTestId('field-error').textContent()).toMatch(/^Type YYYY-MM-DD HH:mm:ss, 24-hour, \S+$/);
    await screenshot(page, 'finish-feed-invalid-date');
    await page.getByTestId('feed-filter-from').fill('');
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
