import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createEngine, type Engine } from '../engine/engine';
import type { ChooseSaveFile } from '../engine/exports/handlers';
import { liveDemoWorkspace } from '../engine/local-workspace/seed';
import type { ElectronModule } from './electron-types';
import { registerIpcHost } from './ipc-host';
import { safeStorageCipher } from './safe-storage-cipher';

export interface DesktopOptions {
  /** Folder of the built preload and renderer (out/ in a build). */
  outDir: string;
  /** Vite dev server URL while developing. */
  devServerUrl?: string;
  dataDir?: string;
  /** Tests turn this off to skip starting the embedded database. */
  startLocalWorkspace?: boolean;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The system's save dialog, in the documents folder, for one kind of file: the path the user chose, or undefined. */
export function saveFileChooser({ app, BrowserWindow, dialog }: ElectronModule): ChooseSaveFile {
  return async (suggestedName, filter) => {
    const options = {
      title: `Save ${suggestedName}`,
      defaultPath: join(app.getPath('documents'), suggestedName),
      filters: [filter],
      properties: ['createDirectory', 'showOverwriteConfirmation'],
    };
    // Attached to the focused window (a sheet on macOS) when there is one.
    const show = dialog.showSaveDialog as (...args: unknown[]) => Promise<{ canceled: boolean; filePath?: string }>;
    const parent = BrowserWindow.getFocusedWindow();
    const result = parent ? await show(parent, options) : await show(options);
    return result.canceled || !result.filePath ? undefined : result.filePath;
  };
}

/** The system's folder dialog for the user definitions folder: the only way to set it in the desktop app. */
export function definitionsFolderChooser({ BrowserWindow, dialog }: ElectronModule) {
  return async (): Promise<string | undefined> => {
    const options = { title: 'Definitions folder', buttonLabel: 'Use this folder', properties: ['openDirectory', 'createDirectory'] };
    const show = dialog.showOpenDialog as (...args: unknown[]) => Promise<{ canceled: boolean; filePaths: string[] }>;
    const parent = BrowserWindow.getFocusedWindow();
    const result = parent ? await show(parent, options) : await show(options);
    return result.canceled ? undefined : result.filePaths[0];
  };
}

/**
 * The desktop shell: window, IPC host, safeStorage. Everything else is the
 * engine, which also runs in browser mode. Kept small on purpose.
 */
export async function startDesktop(electron: ElectronModule, options: DesktopOptions): Promise<{ engine: Engine; openWindow: () => Promise<void> }> {
  const { app, BrowserWindow, ipcMain, safeStorage, session } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    throw new Error('Chronoscope is already running.');
  }
  await app.whenReady();

  const { cipher, note } = safeStorageCipher(safeStorage);
  const engine = createEngine({
    dataDir: options.dataDir ?? app.getPath('userData'),
    mode: 'desktop',
    watchDrift: true,
    ...(cipher ? { cipher } : {}),
    ...(note ? { cipherNote: note } : {}),
    startLocalWorkspace: options.startLocalWorkspace ?? true,
    initializeLocalWorkspace: liveDemoWorkspace,
    chooseSaveFile: saveFileChooser(electron),
    chooseDefinitionsFolder: definitionsFolderChooser(electron),
  });

  const rendererIndex = join(options.outDir, 'renderer', 'index.html');
  const rendererUrl = options.devServerUrl ?? pathToFileURL(rendererIndex).href;
  const isTrustedUrl = (url: string) =>
    url.split(/[?#]/)[0] === rendererUrl.split(/[?#]/)[0] || (options.devServerUrl !== undefined && url.startsWith(options.devServerUrl));

  registerIpcHost(ipcMain, engine.dispatcher, isTrustedUrl);

  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  // No camera, notifications, geolocation...: an operations console needs none.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));

  async function openWindow(): Promise<void> {
    const window = new BrowserWindow({
      width: 1400,
      height: 900,
      show: false,
      title: 'Chronoscope',
      webPreferences: {
        preload: join(options.outDir, 'preload', 'index.cjs'),
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        spellcheck: false,
      },
    });
    window.webContents.on('will-navigate', ((event: { preventDefault(): void }, url: string) => {
      if (!isTrustedUrl(url)) event.preventDefault();
    }) as never);
    window.webContents.on('will-attach-webview', ((event: { preventDefault(): void }) => event.preventDefault()) as never);
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    window.once('ready-to-show', () => window.show());
    if (options.devServerUrl) await window.loadURL(options.devServerUrl);
    else await window.loadFile(rendererIndex);
  }

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => void engine.dispose());
  await openWindow();
  return { engine, openWindow };
}
