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
    await expect
      .poll(() => page.getByTestId('tt-replay-note').textContent(), { timeout: 60_000 })
      .toMatch(new RegExp(`^From snapshot v${snapshot.version}\\b`));
    const taken = page.getByTestId('tt-snapshot-taken');
    await taken.waitFor({ timeout: 30_000 });
    expect(await taken.locator('time').getAttribute('datetime')).toBe(new Date(snapshot.takenAt!).toISOString());
    expect(await taken.textContent()).toMatch(/^Taken \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    await screenshot(page, 'finish-time-travel-snapshot-taken');

    // A layout without the time: said so, not left out.
    const pool = new pg.Pool({ ...app.engine.localWorkspace.endpoint!, max: 1 });
    try {
      await pool.query('ALTER TABLE snapshots RENAME COLUMN taken_at TO saved_when');
      await goTo(page, `#/time-travel/${encodeURIComponent(snapshot.streamId)}`);
      await expect.poll(() => taken.textContent(), { timeout: 60_000 }).toBe('Taken at a time the store does not record');
      await screenshot(page, 'finish-time-travel-snapshot-time-not-recorded');
    } finally {
      await pool.query('ALTER TABLE snapshots RENAME COLUMN saved_when TO taken_at').catch(() => undefined);
      await pool.end();
    }
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it("shows the store's own figures and where each user starts; the stream list's count is exact", async () => {
    const pool = new pg.Pool({ ...app.engine.localWorkspace.endpoint!, max: 1 });
    let truth: { events: number; streams: number; head: string };
    try {
      const { rows } = await pool.query<{ events: number; streams: number; head: string }>(
        'SELECT count(*)::int AS events, count(DISTINCT aggregate_id)::int AS streams, max(global_position)::text AS head FROM events',
      );
      truth = rows[0]!;
    } finally {
      await pool.end();
    }
    await goTo(page, '#/overview');
    const figures = page.getByTestId('overview-store-figures');
    await figures.waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('overview-store-events').textContent()).toBe(truth.events.toLocaleString('en-US'));
    expect(await page.getByTestId('overview-store-streams').textContent()).toBe(truth.streams.toLocaleString('en-US'));
    expect(await page.getByTestId('overview-store-head').textContent()).toBe(truth.head);
    expect(await page.getByTestId('overview-store-rate').textContent()).toMatch(/^[\d,.]+ events\/min over the last 10 min$/);
    const start = page.getByTestId('overview-start');
    expect(await start.locator('a').evaluateAll((links) => links.map((a) => [a.textContent, a.getAttribute('href')]))).toEqual([
      ['Browse a stream', '#/streams'],
      ['Time travel', '#/time-travel'],
      ['Checkpoints', '#/checkpoints'],
      ['Kafka lag', '#/kafka'],
      ['Compliance request', '#/compliance'],
    ]);
    await screenshot(page, 'finish-overview-store');

    await start.getByRole('link', { name: 'Browse a stream' }).click();
    await page.getByTestId('streams-screen').waitFor({ timeout: 30_000 });
    // More streams than a page: the loaded ones "of" the exact total, not "200+".
    await expect
      .poll(() => page.locator('[data-testid="streams-screen"] .panel__title').first().textContent(), { timeout: 30_000 })
      .toMatch(new RegExp(`^Streams \\([\\d,]+ of ${truth.streams.toLocaleString('en-US')}\\)`));
    await screenshot(page, 'finish-streams-exact-count');
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('shows a settings change once in the audit log, with its outcome, while the log keeps the intent', async () => {
    await goTo(page, '#/settings');
    await page.getByTestId('settings-theme-dark').click();
    await expect.poll(async () => (await call('settings.get', {})).settings.theme, { timeout: 15_000 }).toBe('dark');
    await goTo(page, '#/audit?operation=settings.update');
    const rows = page.locator('[data-testid="audit-row"][data-operation="settings.update"]');
    await rows.first().waitFor({ timeout: 30_000 });
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('ok');
    // On disk, the write-ahead intent is still there, answered by the outcome shown.
    const pending = await call('audit.list', { operation: 'settings.update', outcome: 'pending' });
    const shown = await call('audit.list', { operation: 'settings.update' });
    expect(shown.records).toHaveLength(1);
    expect(pending.records.map((r) => r.seq)).toEqual([shown.records[0]!.intentSeq]);
    await screenshot(page, 'finish-audit-settings-once');
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('says a store refusal as a sentence, starting with a capital', async () => {
    await expect(call('streams.list', { connectionId: 'local', after: 'not a cursor!' })).rejects.toThrow(/^Invalid stream cursor/);
  });
});
