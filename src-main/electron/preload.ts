// Runs sandboxed in the renderer before the page: exposes the typed bridge only,
// never ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron';
import { createBridge } from '../../src-shared/client';
import type { ServerMessage } from '../../src-shared/wire';
import { IPC_CALL, IPC_MESSAGE } from './electron-types';

const bridge = createBridge({
  send: (message) => ipcRenderer.send(IPC_CALL, message),
  onMessage: (listener) => {
    const handler = (_event: unknown, message: ServerMessage) => listener(message);
    ipcRenderer.on(IPC_MESSAGE, handler);
    return () => ipcRenderer.removeListener(IPC_MESSAGE, handler);
  },
});

contextBridge.exposeInMainWorld('chronoscope', { start: bridge.start });
