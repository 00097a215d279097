import type * as Electron from 'electron';

/**
 * The slice of the `electron` module the shell uses. `startDesktop` takes it as
 * a parameter so unit tests can pass a stand-in: the Electron binary cannot be
 * downloaded on our build machines.
 */
export interface ElectronModule {
  app: Pick<Electron.App, 'whenReady' | 'on' | 'quit' | 'getPath' | 'getVersion' | 'requestSingleInstanceLock'>;
  BrowserWindow: (new (options: Electron.BrowserWindowConstructorOptions) => DesktopWindow) & { getFocusedWindow(): unknown };
  ipcMain: Pick<Electron.IpcMain, 'on' | 'removeAllListeners'>;
  safeStorage: Pick<Electron.SafeStorage, 'isEncryptionAvailable' | 'encryptString' | 'decryptString'>;
  session: {
    defaultSession: {
      webRequest: Pick<Electron.WebRequest, 'onHeadersReceived'>;
      setPermissionRequestHandler: Electron.Session['setPermissionRequestHandler'];
    };
  };
  shell: Pick<Electron.Shell, 'openExternal'>;
  dialog: Pick<Electron.Dialog, 'showSaveDialog' | 'showOpenDialog'>;
}

export interface DesktopWindow {
  loadFile(path: string): Promise<void>;
  loadURL(url: string): Promise<void>;
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
  isDestroyed(): boolean;
  webContents: {
    id: number;
    on(event: 'will-navigate' | 'will-attach-webview' | 'destroyed', listener: (...args: never[]) => void): unknown;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
    send(channel: string, ...args: unknown[]): void;
    isDestroyed(): boolean;
  };
}

/** IPC channel names shared by main and preload. */
export const IPC_CALL = 'chronoscope:call';
export const IPC_MESSAGE = 'chronoscope:message';
