import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineCaller } from '../integration/engine-support';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

// Issue 23, the rest of items 12 and 16, on the seeded demo store.
describe('the store, finished: snapshot times and the Overview', () => {
  let app: RunningApp, browser: Browser, page: Page, pageErrors: string[];
  const call = engineCaller(() => app.engine);

  beforeAll(async () => {
    ({ app, browser, page, errors: pageErrors } = await openAppPage({ seeded: true }));
  }, 240_000);
  afterAll(() => closeAppPage(app, browser));

  it('says when the snapshot a state starts from was taken, or that the store does not record it', async () => {
    const { snapshots } = await call('snapshots.list', { connectionId: 'local', limit: 50 });
    const snapshot = snapshots.find((s) => s.takenAt !== null);
    if (!snapshot) throw new Error('the seed left no snapshot with a time');
    await goTo(page, `#/time-travel/${encodeURIComponent(snapshot.streamId)}?version=${snapshot.version}`);
    await expect.poll(() => page.getByTestId('tt-replay-note').textContent(), { timeout: 60_000 }).toMatch(new RegExp(`^From snapshot v${snapshot.version}\\b`));
    const taken = page.getByTestId('tt-snapshot-taken');
    await taken.waitFor({ timeout: 30_000 });
    expect(await taken.locator('time').getAttribute('datetime')).toBe(new Date(snapshot.takenAt!).toISOString());
    expect(await taken.textContent()).toMatch(/^taken \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    await screenshot(page, 'finish-time-travel-snapshot-taken');

    // A layout without the time: said so, not left out.
    const pool = new pg.Pool({ ...app.engine.localWorkspace.endpoint!, max: 1 });
    try {
      await pool.query('ALTER TABLE snapshots RENAME COLUMN taken_at TO saved_when');
      await goTo(page, `#/time-travel/${encodeURIComponent(snapshot.streamId)}`);
      await expect.poll(() => taken.textContent(), { timeout: 60_000 }).toBe('taken at a time the store does not record');
      await screenshot(page, 'finish-time-travel-snapshot-time-not-recorded');
    } finally {
      await pool.query('ALTER TABLE snapshots RENAME COLUMN saved_when TO taken_at').catch(() => undefined);
      await pool.end();
    }
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
