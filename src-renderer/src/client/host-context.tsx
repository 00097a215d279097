import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { ChronoscopeClient } from '../../../src-shared/client';
import type { HostConnection } from './connect';
import type { LinkMonitor, LinkState } from './link-state';

const HostContext = createContext<HostConnection | null>(null);

export function HostProvider({ connection, children }: { connection: HostConnection; children: ReactNode }) {
  return <HostContext.Provider value={connection}>{children}</HostContext.Provider>;
}

function useHost(): HostConnection {
  const host = useContext(HostContext);
  if (!host) throw new Error('HostProvider is missing above this component.');
  return host;
}

export function useClient(): ChronoscopeClient {
  return useHost().client;
}

export function useLink(): LinkMonitor {
  return useHost().link;
}

export function useLinkState(): LinkState {
  const link = useLink();
  return useSyncExternalStore(link.subscribe, link.get);
}
