import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, saveFileChooser, startDesktop } from '../../src-main/electron/desktop';
import { IPC_CALL, IPC_MESSAGE, type ElectronModule } from '../../src-main/electron/electron-types';
import type { Engine } from '../../src-main/engine/engine';

type Listener = (...args: never[]) => unknown;

/** A stand-in for the `electron` module that records what the shell asks of it. */
function fakeElectron(options: {
  encryption: boolean;
  saveDialog?: { canceled: boolean; filePath?: string };
  openDialog?: { canceled: boolean; filePaths: string[] };
}) {
  const dialogCalls: unknown[][] = [];
  const windows: FakeWindow[] = [];
  const ipcListeners = new Map<string, Listener>();
  let headersHook:
    ((details: { responseHeaders?: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void) | undefined;
  let permissionHook: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;

  class FakeWindow {
    loaded = '';
    readonly listeners = new Map<string, Listener>();
    openHandler: ((d: { url: string }) => { action: 'deny' }) | undefined;
    readonly sent: unknown[] = [];
    readonly webContents = {
      id: 7,
      on: (event: string, listener: Listener) => this.listeners.set(event, listener),
      setWindowOpenHandler: (handler: (d: { url: string }) => { action: 'deny' }) => (this.openHandler = handler),
      send: (_channel: string, message: unknown) => this.sent.push(message),
      isDestroyed: () => false,
    };
    constructor(readonly options: { webPreferences: Record<string, unknown> }) {
      windows.push(this);
    }
    static getFocusedWindow() {
      return windows[0] ?? null;
    }
    async loadFile(path: string) {
      this.loaded = path;
    }
    async loadURL(url: string) {
      this.loaded = url;
    }
    once() {}
    show() {}
    isDestroyed() {
      return false;
    }
  }

  const electron = {
    app: {
      whenReady: async () => undefined,
      on: () => undefined,
      quit: () => undefined,
      getPath: (name: string) => (name === 'documents' ? '/home/ann/Documents' : '/nonexistent'),
      getVersion: () => '0.0.0',
      requestSingleInstanceLock: () => true,
    },
    BrowserWindow: FakeWindow,
    ipcMain: {
      on: (channel: string, listener: Listener) => ipcListeners.set(channel, listener),
      removeAllListeners: () => undefined,
    },
    safeStorage: {
      isEncryptionAvailable: () => options.encryption,
      encryptString: (plain: string) => Buffer.from(`enc:${plain}`),
      decryptString: (buffer: Buffer) => buffer.toString().slice(4),
    },
    session: {
      defaultSession: {
        webRequest: { onHeadersReceived: (hook: typeof headersHook) => (headersHook = hook) },
        setPermissionRequestHandler: (hook: typeof permissionHook) => (permissionHook = hook),
      },
    },
    shell: { openExternal: async () => undefined },
    dialog: {
      showSaveDialog: async (...args: unknown[]) => {
        dialogCalls.push(args);
        return options.saveDialog ?? { canceled: true };
      },
      showOpenDialog: async (...args: unknown[]) => {
        dialogCalls.push(args);
        return options.openDialog ?? { canceled: true, filePaths: [] };
      },
    },
  };
  return { electron: electron as unknown as ElectronModule, windows, ipcListeners, dialogCalls, headers: () => headersHook, permissions: () => permissionHook };
}

describe('save dialog (with a stand-in for electron)', () => {
  it('offers the documents folder and the format, and returns the chosen path', async () => {
    const fake = fakeElectron({ encryption: true, saveDialog: { canceled: false, filePath: '/home/ann/out/stream.csv' } });
    expect(await saveFileChooser(fake.electron)('stream-a.csv', { name: 'CSV', extensions: ['csv'] })).toBe('/home/ann/out/stream.csv');
    const [options] = fake.dialogCalls[0] as [{ defaultPath: string; filters: { extensions: string[] }[] }];
    expect(options.defaultPath).toBe('/home/ann/Documents/stream-a.csv');
    expect(options.filters[0]!.extensions).toEqual(['csv']);
  });

  it('says "no file" when the user cancels', async () => {
    const fake = fakeElectron({ encryption: true, saveDialog: { canceled: true, filePath: '' } });
    expect(await saveFileChooser(fake.electron)('feed.ndjson', { name: 'NDJSON', extensions: ['ndjson'] })).toBeUndefined();
  });
});

describe('desktop shell (with a stand-in for electron)', () => {
  let engine: Engine | undefined;
  afterEach(async () => engine?.dispose());

  it('opens a locked-down window and serves the contract over IPC', async () => {
    const fake = fakeElectron({ encryption: true });
    const outDir = '/app/out';
    const started = await startDesktop(fake.electron, { outDir, dataDir: await mkdtemp(join(tmpdir(), 'chrono-desktop-')), startLocalWorkspace: false });
    engine = started.engine;

    const [window] = fake.windows;
    expect(window?.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    });
    expect(window?.options.webPreferences.preload).toBe(join(outDir, 'preload', 'index.cjs'));
    expect(window?.loaded).toBe(join(outDir, 'renderer', 'index.html'));
    expect(window?.openHandler?.({ url: 'https://evil.example' })).toEqual({ action: 'deny' });

    let prevented = false;
    (window?.listeners.get('will-navigate') as (e: { preventDefault(): void }, url: string) => void)(
      { preventDefault: () => (prevented = true) },
      'https://evil.example',
    );
    expect(prevented).toBe(true);

    const response = await new Promise<{ responseHeaders: Record<string, string[]> }>((resolve) => fake.headers()?.({ responseHeaders: {} }, resolve));
    expect(response.responseHeaders['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY]);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    const permission = await new Promise<boolean>((resolve) => fake.permissions()?.({}, 'notifications', resolve));
    expect(permission).toBe(false);

    // A call from our own page is answered; one from a foreign frame is ignored.
    const replies: unknown[] = [];
    const sender = {
      id: 1,
      send: (channel: string, message: unknown) => channel === IPC_MESSAGE && replies.push(message),
      isDestroyed: () => false,
      once: () => undefined,
    };
    const call = fake.ipcListeners.get(IPC_CALL) as (event: unknown, message: unknown) => void;
    call({ sender, senderFrame: { url: 'https://evil.example/' } }, { t: 'call', id: 'x', op: 'app.info', input: {} });
    call({ sender, senderFrame: { url: `file://${join(outDir, 'renderer', 'index.html')}` } }, { t: 'call', id: 'y', op: 'app.info', input: {} });
    await expect.poll(() => replies.length).toBe(1);
    expect(replies[0]).toMatchObject({
      t: 'result',
      id: 'y',
      ok: true,
      data: { name: 'Chronoscope', mode: 'desktop', secretStorage: { kind: 'safeStorage' } },
    });
  });

  it('takes the definitions folder from the OS dialog in the main process, never from a path the window sends', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'chrono-desktop-'));
    const picked = join(dataDir, 'picked-definitions');
    await mkdir(picked);
    const fake = fakeElectron({ encryption: true, openDialog: { canceled: false, filePaths: [picked] } });
    const started = await startDesktop(fake.electron, { outDir: '/app/out', dataDir, startLocalWorkspace: false });
    engine = started.engine;
    const run = (input: Record<string, unknown>) =>
      started.engine.dispatcher.run('timeTravel.setDefinitionsFolder', input, {
        operationId: 'f',
        signal: new AbortController().signal,
        emit: () => undefined,
        progress: () => undefined,
      });

    await expect(run({ path: '/tmp/attacker-chosen' })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('system dialog') });
    expect(fake.dialogCalls).toHaveLength(0);
    expect((await engine.handlers['timeTravel.definitions']({}, undefined as never)).folder).toBeNull();

    await expect(run({ listingHash: 'a'.repeat(64) })).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringContaining('system dialog') });
    expect(fake.dialogCalls).toHaveLength(0);
    // The user picked the folder in the OS dialog: its files as they are then are confirmed at once.
    expect(await run({ reason: 'my views' })).toMatchObject({
      confirmed: true,
      folder: { path: picked, state: 'watching' },
      listing: { path: picked, files: [] },
    });
    const [, dialogOptions] = fake.dialogCalls[0] as [unknown, { properties: string[] }];
    expect(dialogOptions.properties).toContain('openDirectory');
  });

  it('leaves the definitions folder alone when the user cancels the dialog', async () => {
    const fake = fakeElectron({ encryption: true, openDialog: { canceled: true, filePaths: [] } });
    const started = await startDesktop(fake.electron, {
      outDir: '/app/out',
      dataDir: await mkdtemp(join(tmpdir(), 'chrono-desktop-')),
      startLocalWorkspace: false,
    });
    engine = started.engine;
    await expect(
      started.engine.dispatcher.run(
        'timeTravel.setDefinitionsFolder',
        {},
        { operationId: 'f', signal: new AbortController().signal, emit: () => undefined, progress: () => undefined },
      ),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect((await engine.handlers['timeTravel.definitions']({}, undefined as never)).folder).toBeNull();
  });

  it('says so when the OS offers no encryption, instead of weakening it', async () => {
    const fake = fakeElectron({ encryption: false });
    const started = await startDesktop(fake.electron, {
      outDir: '/app/out',
      dataDir: await mkdtemp(join(tmpdir(), 'chrono-desktop-')),
      startLocalWorkspace: false,
    });
    engine = started.engine;
    const info = await engine.handlers['app.info']({}, undefined as never);
    expect(info.secretStorage.kind).toBe('memory');
    expect(info.secretStorage.note).toMatch(/safeStorage unavailable/);
  });
});
