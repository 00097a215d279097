import { createBridge, createClient, type ChronoscopeBridge, type ChronoscopeClient } from '../../../src-shared/client';
import { SESSION_CHECK_PATH } from '../../../src-shared/wire';
import { alwaysConnected, type LinkMonitor } from './link-state';
import { isTokenRefused } from './session-check';
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
  // The token goes only to this page's own host; without it, the cookie speaks for the tab.
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  const socket = connectWebSocket({
    url: `${scheme}://${window.location.host}/ws${query}`,
    isTokenRefused: () => isTokenRefused(`${window.location.origin}${SESSION_CHECK_PATH}${query}`),
  });
  return { client: createClient(createBridge(socket.transport)), link: socket.link };
}
