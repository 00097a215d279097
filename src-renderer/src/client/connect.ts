import { createBridge, createClient, type ChronoscopeBridge, type ChronoscopeClient } from '../../../src-shared/client';
import { alwaysConnected, type LinkMonitor } from './link-state';
import { takeSessionToken } from './session-token';
import { connectWebSocket } from './websocket-transport';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in browser mode. */
    chronoscope?: ChronoscopeBridge;
  }
}

export interface HostConnection {
  client: ChronoscopeClient;
  link: LinkMonitor;
}

/** The desktop preload's bridge when there is one, else a WebSocket to the browser-mode host. */
export function connectToHost(): HostConnection {
  if (window.chronoscope) return { client: createClient(window.chronoscope), link: alwaysConnected };
  const token = takeSessionToken();
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  const socket = connectWebSocket({ url: `${scheme}://${window.location.host}/ws${query}` });
  return { client: createClient(createBridge(socket.transport)), link: socket.link };
}
