/**
 * A tab left open while the real browser-mode server (`node out/main/serve.js`)
 * is stopped and started again: with a new token the tab stops retrying and says
 * the server restarted and to open the new URL; with a kept token (a token file
 * or CHRONOSCOPE_TOKEN) it reconnects by itself.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from './harness';
import { freePort, serveRefusal, startServe, type ServeProcess } from './serve-process';

/**
 * The longest backoff (10 s) plus its jitter, and the restarted server's first seconds: its event loop
 * is busy for a while as the Local workspace starts (measured 14 s on a fresh data directory).
 */
const RECONNECT_TIMEOUT = 60_000;
const LOAD_TIMEOUT = 90_000;

let browser: Browser;
let dataDir: string;
let port: number;
let running: ServeProcess[] = [];
let contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'chronoscope-restart-'));
  port = await freePort();
});
afterEach(async () => {
  for (const context of contexts) await context.close();
  contexts = [];
  for (const serve of running) await serve.stop();
  running = [];
  await rm(dataDir, { recursive: true, force: true });
});

async function serve(extraArgs: string[] = [], env: Record<string, string> = {}): Promise<ServeProcess> {
  const started = await startServe(['--port', String(port), '--data-dir', dataDir, '--no-demo', ...extraArgs], env);
  running.push(started);
  return started;
}

async function stop(server: ServeProcess): Promise<void> {
  await server.stop();
  running = running.filter((s) => s !== server);
}

/** Opens the app and waits until the host has answered it over the WebSocket. */
async function openConnected(url: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  contexts.push(context);
  const page = await context.newPage();
  const answered = new Promise<void>((done) => page.on('websocket', (socket) => socket.once('framereceived', () => done())));
  await page.goto(url, { timeout: LOAD_TIMEOUT });
  await page.getByTestId('nav-overview').waitFor({ timeout: LOAD_TIMEOUT });
  await answered;
  expect(await page.getByTestId('link-banner').count()).toBe(0);
  return page;
}

/** Stops the server under an open tab and checks the tab says it cannot reach it and keeps trying. */
async function stopUnderTab(server: ServeProcess, page: Page): Promise<void> {
  await stop(server);
  const banner = page.getByTestId('link-banner');
  await banner.waitFor({ timeout: 30_000 });
  expect(await banner.getAttribute('data-state')).toBe('reconnecting');
  expect(await banner.textContent()).toMatch(/^Disconnected from Chronoscope\..*not reachable.*Reconnecting/);
}

/** The token only ever appears on the `Open:` line. */
function expectTokenOnlyOnOpenLine(output: string, token: string): void {
  const lines = output.split('\n').filter((line) => line.includes(token));
  expect(lines).toEqual([`Open: http://127.0.0.1:${port}/?token=${token}`]);
}

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

describe('a tab open across a restart of the browser-mode server', { timeout: 300_000 }, () => {
  it('with a new token: stops retrying, says the server restarted and to open the new URL, and retries once asked', async () => {
    const first = await serve();
    const page = await openConnected(first.url);
    let sockets = 0;
    page.on('websocket', () => (sockets += 1));

    await stopUnderTab(first, page);
    await screenshot(page, 'server-restart-unreachable');

    const second = await serve();
    expect(tokenOf(second.url)).not.toBe(tokenOf(first.url));
    expectTokenOnlyOnOpenLine(second.output(), tokenOf(second.url));
    const banner = page.locator('[data-testid="link-banner"][data-state="refused"]');
    await banner.waitFor({ timeout: RECONNECT_TIMEOUT });
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain('The Chronoscope server restarted.');
    expect(text).toContain('reconnecting has stopped');
    expect(text).toContain('Open the new URL printed in the server’s terminal');
    expect(text).not.toMatch(/attempt/i);
    await screenshot(page, 'server-restart-token-refused');

    // Stopped: no more sockets tried while nobody asks.
    const triedBefore = sockets;
    await page.waitForTimeout(12_000);
    expect(sockets).toBe(triedBefore);
    expect(await banner.getAttribute('data-state')).toBe('refused');

    // Retrying before doing anything finds the same refusal, without a counter.
    await banner.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => sockets).toBe(triedBefore + 1);
    await page.locator('[data-testid="link-banner"][data-state="refused"] button:has-text("Retry"):not([disabled])').waitFor({ timeout: 10_000 });

    // The operator opens the new URL in another tab (renewing the cookie); the old tab's Retry then gets back in.
    const newTab = await page.context().newPage();
    await newTab.goto(second.url, { timeout: LOAD_TIMEOUT });
    await newTab.getByTestId('nav-overview').waitFor({ timeout: LOAD_TIMEOUT });
    await banner.getByRole('button', { name: 'Retry' }).click();
    await page.getByTestId('link-banner').waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('with a token file: made with mode 0600, kept across the restart, and the tab reconnects by itself; the cookie still works', async () => {
    const tokenFile = join(dataDir, 'token');
    const first = await serve(['--token-file', tokenFile]);
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    const token = (await readFile(tokenFile, 'utf8')).trim();
    expect(tokenOf(first.url)).toBe(token);
    expectTokenOnlyOnOpenLine(first.output(), token);
    expect(first.output()).toContain(`Token: made and kept in ${tokenFile}`);
    const page = await openConnected(first.url);

    await stopUnderTab(first, page);
    const second = await serve(['--token-file', tokenFile]);
    expect(tokenOf(second.url)).toBe(token);
    expect(second.output()).toContain(`Token: kept in ${tokenFile}`);
    await page.getByTestId('link-banner').waitFor({ state: 'detached', timeout: RECONNECT_TIMEOUT });
    await screenshot(page, 'server-restart-token-file-reconnected');

    // The cookie named for the port, kept 12 hours, lets a reload (its address no longer has the token) through.
    const cookie = (await page.context().cookies()).find((c) => c.name === `chronoscope_token_${port}`);
    expect(cookie?.value).toBe(token);
    expect(cookie!.expires * 1000 - Date.now()).toBeGreaterThan(12 * 60 * 60 * 1000 - 5 * 60 * 1000);
    expect(new URL(page.url()).searchParams.get('token')).toBeNull();
    const reloaded = await page.reload({ timeout: LOAD_TIMEOUT });
    expect(reloaded?.status()).toBe(200);
    await page.getByTestId('nav-overview').waitFor({ timeout: LOAD_TIMEOUT });
    await expect.poll(() => page.getByTestId('link-banner').count(), { timeout: 15_000 }).toBe(0);
  });

  it('with CHRONOSCOPE_TOKEN: kept across the restart, and the tab reconnects by itself', async () => {
    const token = randomBytes(32).toString('hex');
    const first = await serve([], { CHRONOSCOPE_TOKEN: token });
    expect(tokenOf(first.url)).toBe(token);
    expectTokenOnlyOnOpenLine(first.output(), token);
    const page = await openConnected(first.url);

    await stopUnderTab(first, page);
    await serve([], { CHRONOSCOPE_TOKEN: token });
    await page.getByTestId('link-banner').waitFor({ state: 'detached', timeout: RECONNECT_TIMEOUT });
  });

  it('--persist-token keeps the token in the data directory, mode 0600', async () => {
    const first = await serve(['--persist-token']);
    const file = join(dataDir, 'browser-token');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(tokenOf(first.url)).toBe((await readFile(file, 'utf8')).trim());
    await stop(first);
    const second = await serve(['--persist-token']);
    expect(tokenOf(second.url)).toBe(tokenOf(first.url));
  });
});

describe('serve refuses a token that others could read or guess', () => {
  it('a weak CHRONOSCOPE_TOKEN: exits 2 without starting and without printing it', async () => {
    const weak = 'chronoscope-chronoscope-chronoscope';
    const refused = await serveRefusal(['--port', String(port), '--data-dir', dataDir, '--no-demo'], { CHRONOSCOPE_TOKEN: weak });
    expect(refused.code).toBe(2);
    expect(refused.output).toContain('CHRONOSCOPE_TOKEN is refused');
    expect(refused.output).not.toContain(weak);
    expect(refused.output).not.toContain('Open:');
  });

  it('a token file with mode 0644: exits 2 saying how to fix it', async () => {
    const tokenFile = join(dataDir, 'token');
    await writeFile(tokenFile, randomBytes(32).toString('hex'), { mode: 0o644 });
    const refused = await serveRefusal(['--port', String(port), '--data-dir', dataDir, '--no-demo', '--token-file', tokenFile]);
    expect(refused.code).toBe(2);
    expect(refused.output).toContain(`chmod 600 ${tokenFile}`);
    expect(refused.output).not.toContain('Open:');
  });
});
