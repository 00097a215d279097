import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smallLiveDemo } from '../support/small-live-demo';
import { closeAppPage, openAppPage, screenshot, type RunningApp } from './harness';

describe('the live demo switch on the Overview', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ initializeLocalWorkspace: smallLiveDemo() }));
  }, 120_000);

  afterAll(() => closeAppPage(app, browser));

  const eventsShown = async () => Number(/^(\d+) events/.exec((await page.getByTestId('live-demo-events').textContent()) ?? '')?.[1] ?? NaN);

  it('says the demo runs, counts its events and names what it keeps wrong on purpose', async () => {
    await page.getByTestId('live-demo').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('live-demo-state').getAttribute('data-paused')).toBe('false');
    expect(await page.getByTestId('live-demo-state').textContent()).toContain('Live demo: generating a few events per second');
    expect(await page.getByTestId('live-demo-switch').textContent()).toBe('Pause');
    await expect.poll(eventsShown, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.getByTestId('live-demo').textContent()).toContain('orders_view');
    expect(await page.getByTestId('live-demo').textContent()).toContain(app.engine.localWorkspace.activity!.status().staleSnapshotStream!);
    expect(await page.getByTestId('live-demo-drift').textContent()).toContain('accounts_view');
    await screenshot(page, 'live-demo-running');
  });

  it('pauses the writer and resumes it, audited', async () => {
    await page.getByTestId('live-demo-switch').click();
    await expect.poll(() => page.getByTestId('live-demo-state').getAttribute('data-paused')).toBe('true');
    expect(app.engine.localWorkspace.activity!.status().paused).toBe(true);
    expect(await page.getByTestId('live-demo-switch').textContent()).toBe('Resume');
    await screenshot(page, 'live-demo-paused');
    const { records } = await app.engine.audit.list({ operation: 'demo.setPaused', limit: 5 });
    expect(records[0]).toMatchObject({ target: 'local-workspace:live-demo', outcome: 'ok' });

    const before = app.engine.localWorkspace.activity!.status().events;
    await page.getByTestId('live-demo-switch').click();
    await expect.poll(() => page.getByTestId('live-demo-state').getAttribute('data-paused')).toBe('false');
    await expect.poll(eventsShown, { timeout: 30_000 }).toBeGreaterThan(before);
    expect(pageErrors).toEqual([]);
  });
});
