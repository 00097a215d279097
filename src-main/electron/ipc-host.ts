import type { Dispatcher, Session } from '../engine/dispatch/dispatcher';
import { IPC_CALL, IPC_MESSAGE, type ElectronModule } from './electron-types';

interface IpcEvent {
  sender: { id: number; send(channel: string, ...args: unknown[]): void; isDestroyed(): boolean; once(event: 'destroyed', listener: () => void): unknown };
  senderFrame?: { url: string } | null;
}

/**
 * The Electron host of the contract: one dispatcher session per window. Only
 * frames showing our own renderer may call; the event object never reaches a handler.
 */
export function registerIpcHost(
  ipcMain: ElectronModule['ipcMain'],
  dispatcher: Pick<Dispatcher, 'openSession'>,
  isTrustedUrl: (url: string) => boolean,
): () => void {
  const sessions = new Map<number, Session>();
  ipcMain.on(IPC_CALL, (event: unknown, message: unknown) => {
    const { sender, senderFrame } = event as IpcEvent;
    if (!senderFrame || !isTrustedUrl(senderFrame.url)) return;
    let session = sessions.get(sender.id);
    if (!session) {
      const created = dispatcher.openSession((reply) => {
        if (!sender.isDestroyed()) sender.send(IPC_MESSAGE, reply);
      });
      session = created;
      sessions.set(sender.id, created);
      sender.once('destroyed', () => {
        created.close();
        sessions.delete(sender.id);
      });
    }
    session.receive(message);
  });
  return () => {
    ipcMain.removeAllListeners(IPC_CALL);
    for (const session of sessions.values()) session.close();
    sessions.clear();
  };
}
