import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineCaller } from '../integration/engine-support';
import { closeAppPage, goTo, openAppPage, screenshot, type RunningApp } from './harness';

/** The balance in euros; `extra` is spread into every state (to see a saved change arrive). */
const euros = (extra = '{}') => `
definition = {
  name: 'balance-in-euros',
  appliesTo: { categories: ['Account'] },
  init: () => ({ euros: 0 }),
  any(state, event) {
    const euros = typeof event.data.balanceCents === 'number' ? event.data.balanceCents / 100 : state.euros;
    return Object.assign({ euros: euros }, ${extra});
  },
};
`;

describe('user projection definitions in the time travel screen', () => {
  let app: RunningApp;
  let browser: Browser;
  let page: Page;
  let pageErrors: string[];
  let folder: string;
  let streamId: string;
  let balanceCents: number;

  const call = engineCaller(() => app.engine);
  const used = () => page.getByTestId('tt-definition-used').textContent();
  const leaf = (path: string) => page.locator(`[data-testid="tt-state-tree"] [data-path="${path}"]`);

  beforeAll(async () => {
    ({
      app,
      browser,
      page,
      errors: pageErrors,
    } = await openAppPage({
      seeded: true,
      beforePage: async (started, engineCall) => {
        folder = join(started.dataDir, 'my-projections');
        await mkdir(folder);
        await writeFile(join(folder, 'euros.js'), euros());
        await writeFile(join(folder, 'broken.js'), "definition = {\n  name: 'broken',\n  init: () => ({}),,\n};\n");
        const { streams } = await engineCall('streams.list', { connectionId: 'local', category: 'Account', limit: 5 });
        streamId = streams[0]!.streamId;
        const latest = await engineCall('timeTravel.state', {
          connectionId: 'local',
          streamId,
          target: { version: streams[0]!.lastVersion },
          definition: 'account',
        });
        balanceCents = (latest.state as { balanceCents: number }).balanceCents;
      },
    }));
  }, 240_000);

  afterAll(() => closeAppPage(app, browser));

  it('opens a stream with the built-in definition', async () => {
    await page.getByTestId('nav-time-travel').waitFor();
    await goTo(page, `#/time-travel/${encodeURIComponent(streamId)}`);
    await page.getByTestId('time-travel-screen').waitFor();
    await expect.poll(used, { timeout: 30_000 }).toBe('definition: account');
  });

  it("lists the folder's files with size and hash, runs nothing until confirmed, then shows each file loaded or with its error line", async () => {
    await page.getByTestId('tt-definitions-folder').click();
    await page.getByTestId('tt-folder-path').fill(folder);
    await page.getByTestId('tt-folder-reason').fill('e2e: euros view');
    await page.getByTestId('tt-folder-set').click();
    const listed = (name: string) => page.locator(`[data-testid="tt-folder-listing"] [data-testid="tt-listed-file"][data-name="${name}"]`);
    await listed('euros.js').waitFor({ timeout: 30_000 });
    const eurosHash = createHash('sha256')
      .update(await readFile(join(folder, 'euros.js')))
      .digest('hex');
    expect(await listed('euros.js').getByTestId('tt-listed-file-hash').textContent()).toBe(eurosHash.slice(0, 12));
    expect(await listed('euros.js').textContent()).toContain(`${(await stat(join(folder, 'euros.js'))).size} B`);
    expect(await listed('broken.js').count()).toBe(1);
    // Only listed: the folder is not set, no file ran, "automatic" still uses the built-in.
    expect((await call('timeTravel.definitions', {})).folder).toBeNull();
    expect(await page.getByTestId('tt-user-definitions').count()).toBe(0);
    expect(await used()).toBe('definition: account');
    await screenshot(page, 'time-travel-definitions-folder-listing');

    await page.getByTestId('tt-folder-confirm').click();
    const row = (name: string) => page.locator(`[data-testid="tt-user-definition"][data-name="${name}"]`);
    await row('user:euros').waitFor({ timeout: 30_000 });
    await page.getByTestId('tt-folder-listing').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await row('user:euros').getAttribute('data-status')).toBe('loaded');
    expect(await row('user:broken').getAttribute('data-status')).toBe('error');
    expect(await row('user:broken').textContent()).toContain('line 3');
    expect(await row('user:broken').getByTestId('tt-user-definition-error').textContent()).toContain('SyntaxError');
    await screenshot(page, 'time-travel-definitions-folder');
    await page.getByTestId('tt-folder-close').click();
    // It declares the Account category: "automatic" now picks it over the built-in.
    await expect.poll(used, { timeout: 30_000 }).toBe('definition: user:euros');
  });

  it('lists user definitions in the select, and replays with the one picked', async () => {
    const select = page.getByTestId('tt-definition');
    expect(await select.locator('optgroup[label="Yours"] option').allTextContents()).toEqual(['user:broken (error)', 'user:euros']);
    await select.selectOption('account');
    await expect.poll(used, { timeout: 30_000 }).toBe('definition: account');
    await select.selectOption('user:euros');
    await expect.poll(used, { timeout: 30_000 }).toBe('definition: user:euros');
    await expect.poll(() => leaf('euros').locator('.json-tree__number').textContent(), { timeout: 30_000 }).toBe(String(balanceCents / 100));
  });

  it('holds a saved file as awaiting confirmation, and replays with it once confirmed', async () => {
    await writeFile(join(folder, 'euros.js'), euros("{ currency: 'EUR' }"));
    await page.getByTestId('tt-definitions-folder').click();
    const awaiting = page.getByTestId('tt-folder-awaiting');
    await awaiting.waitFor({ timeout: 30_000 });
    expect(await awaiting.locator('[data-testid="tt-listed-file"][data-name="euros.js"]').textContent()).toContain('changed');
    expect(await page.locator('[data-testid="tt-user-definition"][data-name="user:euros"]').getAttribute('data-status')).toBe('unconfirmed');
    // The changed text has not run: no state with its currency.
    expect(await leaf('currency').count()).toBe(0);
    await screenshot(page, 'time-travel-definitions-awaiting');
    await page.getByTestId('tt-folder-confirm-changes').click();
    await awaiting.waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByTestId('tt-folder-close').click();
    await page.getByTestId('tt-definition').selectOption('user:euros');
    await expect.poll(() => leaf('currency').count(), { timeout: 30_000 }).toBe(1);
    expect(await page.getByTestId('tt-definition').inputValue()).toBe('user:euros');
    await screenshot(page, 'time-travel-user-definition');
  });

  it('shows no out-of-date state or badge under a replay error', async () => {
    await page.getByTestId('tt-state').waitFor();
    // A definition that throws on the first event: the replay fails, and the state of user:euros must not stay under the error.
    await writeFile(join(folder, 'thrower.js'), "definition = {\n  name: 'thrower',\n  init: () => ({}),\n  any() {\n    throw new Error('boom');\n  },\n};\n");
    await page.locator('[data-testid="tt-definition"] option[value="user:thrower"]').waitFor({ state: 'attached', timeout: 30_000 });
    // A new file waits for confirmation before it can run.
    await page.getByTestId('tt-definitions-folder').click();
    await page.getByTestId('tt-folder-awaiting').waitFor({ timeout: 30_000 });
    await page.getByTestId('tt-folder-confirm-changes').click();
    await page.getByTestId('tt-folder-awaiting').waitFor({ state: 'detached', timeout: 30_000 });
    await page.getByTestId('tt-folder-close').click();
    await page.getByTestId('tt-definition').selectOption('user:thrower');
    const replayError = page.locator('[data-testid="tt-state-panel"] [data-testid="tt-error"]');
    await replayError.waitFor({ timeout: 30_000 });
    expect(await replayError.textContent()).toContain('boom');
    expect(await page.getByTestId('tt-state').count()).toBe(0);
    expect(await page.getByTestId('tt-definition-used').count()).toBe(0);
    await screenshot(page, 'time-travel-replay-error');
    await page.getByTestId('tt-definition').selectOption('user:euros');
    await expect.poll(used, { timeout: 30_000 }).toBe('definition: user:euros');
    expect(await replayError.count()).toBe(0);
  });

  it('recorded the folder change in the audit log and raised no page errors', async () => {
    const { records } = await call('audit.list', { operation: 'timeTravel.setDefinitionsFolder' });
    expect(records[0]).toMatchObject({ reason: 'e2e: euros view', outcome: 'ok' });
    expect(pageErrors).toEqual([]);
  });
});
