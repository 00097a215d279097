/**
 * Shared pieces of the end-to-end suite: the real engine and browser-mode host
 * started in the test process on a fresh data directory, and Debian's Chromium
 * driven by playwright-core against the built renderer.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createEngine, type Engine, type EngineOptions } from '../../src-main/engine/engine';
import type { LocalWorkspaceInitializer } from '../../src-main/engine/local-workspace/local-workspace';
import { liveDemoWorkspace, seedLocalWorkspace } from '../../src-main/engine/local-workspace/seed';

/** The live demo with its writer paused, so what a test sees does not move. */
const pausedLiveDemo: LocalWorkspaceInitializer = (endpoint, report, options) => liveDemoWorkspace(endpoint, report, { ...options, paused: true });
import { CLASSIC_EVENTS_DDL } from '../../src-main/stores/postgres/classic-schema';
import { startBrowserHost, type BrowserHost } from '../../src-main/transport/browser-host';
import { engineCaller, type Call } from '../integration/engine-support';
import { createTestDatabase, type TestDatabase } from '../integration/reference/support';
import { failOnOutputMismatch } from '../output-contract';

const REPO = resolve(import.meta.dirname, '../..');
const RENDERER_DIR = join(REPO, 'out/renderer');
const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO, 'test/e2e/screenshots');

export interface RunningApp {
  engine: Engine;
  host: BrowserHost;
  dataDir: string;
  /** What the engine logged, for failure messages. */
  log: string[];
  /** Drops the host (and every open WebSocket) while the engine keeps running. */
  stopHost(): Promise<void>;
  /** Brings the host back on the same port and token, as after a restart of `serve`. */
  restartHost(): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Seed the Local workspace with the demo data (~50k events) before the page opens. */
  seeded?: boolean;
  /** Prepares the Local workspace instead of the seed (e.g. the seed plus a live demo); started before the page opens. */
  initializeLocalWorkspace?: LocalWorkspaceInitializer;
  /** Engine options beyond the harness's own (e.g. a shorter lag sampling interval). */
  engine?: Partial<EngineOptions>;
  /** With `seeded`: start the live demo too, paused (one stale snapshot, the lagging projector; no writer). */
  live?: boolean;
}

/** The engine and the browser-mode host on 127.0.0.1, with a data directory of their own. */
export async function startApp(options: StartOptions = {}): Promise<RunningApp> {
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    throw new Error(
      `The renderer is not built (no ${join(RENDERER_DIR, 'index.html')}). Run \`ELECTRON_SKIP_BINARY_DOWNLOAD=1 npx electron-vite build\` first.`,
    );
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'chronoscope-e2e-'));
  const log: string[] = [];
  const engine = createEngine({
    dataDir,
    mode: 'browser',
    user: 'e2e-operator',
    startLocalWorkspace: true,
    ...(options.seeded ? { initializeLocalWorkspace: options.live ? pausedLiveDemo : seedLocalWorkspace } : {}),
    ...(options.initializeLocalWorkspace ? { initializeLocalWorkspace: options.initializeLocalWorkspace } : {}),
    log: (line) => log.push(line),
    onOutputMismatch: failOnOutputMismatch,
    ...options.engine,
  });
  if (options.seeded || options.initializeLocalWorkspace) await engine.localWorkspace.start();
  const serve = (port?: number, token?: string) =>
    startBrowserHost({
      dispatcher: engine.dispatcher,
      rendererDir: RENDERER_DIR,
      downloadsDir: engine.exportsDir,
      log: (line) => log.push(line),
      ...(port ? { port } : {}),
      ...(token ? { token } : {}),
    });
  let live: BrowserHost | undefined = await serve();
  const first = live;
  return {
    engine,
    host: first,
    dataDir,
    log,
    async stopHost() {
      await live?.close();
      live = undefined;
    },
    async restartHost() {
      live ??= await serve(first.port, first.token);
    },
    async close() {
      await live?.close();
      await engine.dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (\`apt-get install -y chromium\`).`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface OpenedPage {
  page: Page;
  /** Uncaught exceptions and console errors (CSP violations land here too). */
  errors: string[];
}

export async function openApp(browser: Browser, url: string): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  await page.goto(url);
  return { page, errors };
}

/** The app with a browser page on it, as most screen tests start. */
export interface AppPage extends OpenedPage {
  app: RunningApp;
  browser: Browser;
}

export interface AppPageOptions extends StartOptions {
  /** Prepares the started app before the page opens (profiles to add, data to write), so the page loads what it made. */
  beforePage?: (app: RunningApp, call: Call) => Promise<void>;
}

/** Starts the app and opens a page on it; whatever fails on the way closes what was started. */
export async function openAppPage(options: AppPageOptions = {}): Promise<AppPage> {
  const app = await startApp(options);
  let browser: Browser | undefined;
  try {
    await options.beforePage?.(
      app,
      engineCaller(() => app.engine),
    );
    browser = await launchBrowser();
    return { app, browser, ...(await openApp(browser, app.host.url)) };
  } catch (error) {
    await closeAppPage(app, browser);
    throw error;
  }
}

export async function closeAppPage(app: RunningApp | undefined, browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await app?.close();
}

/** Moves the app to a route (`#/...`) in place, as a click on a link would: no reload, the session stays. */
export async function goTo(page: Page, hash: string): Promise<void> {
  await page.evaluate((target) => {
    window.location.hash = target;
  }, hash);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

export interface PostgresTarget {
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
}

/** The real PostgreSQL of `scripts/services`, from CHRONO_TEST_PG_URL. */
export function testPostgres(): PostgresTarget {
  const raw = process.env.CHRONO_TEST_PG_URL;
  if (!raw) throw new Error('CHRONO_TEST_PG_URL is not set: start the services (`scripts/services start`) and run `eval "$(scripts/services env)"` first.');
  const url = new URL(raw);
  return {
    host: url.hostname,
    port: url.port || '5432',
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/** A scratch database on the test PostgreSQL (`drop()` it after) with a classic events table: account-1's three Deposited events. */
export async function createClassicStore(prefix: string): Promise<TestDatabase> {
  const db = await createTestDatabase(prefix);
  try {
    await db.pool.query(CLASSIC_EVENTS_DDL);
    for (let v = 1; v <= 3; v++) {
      await db.pool.query(
        `INSERT INTO events (event_id, aggregate_id, aggregate_type, event_type, event_version, event_data) VALUES (gen_random_uuid(), 'account-1', 'account', 'Deposited', $1, '{}')`,
        [v],
      );
    }
    return db;
  } catch (error) {
    await db.drop();
    throw error;
  }
}
