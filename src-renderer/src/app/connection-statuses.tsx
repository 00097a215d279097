import { createContext, useContext, useMemo, type ReactNode } from 'react';
import type { ChronoError } from '../../../src-shared/errors';
import type { ConnectionStatus } from '../../../src-shared/schemas/connections';
import { useStream } from '../client/stream-hooks';

const STATUS_INTERVAL_MS = 5000;

interface Statuses {
  byId: ReadonlyMap<string, ConnectionStatus>;
  error: ChronoError | undefined;
}

const StatusContext = createContext<Statuses>({ byId: new Map(), error: undefined });

/** The one `connections.status` subscription of the app; screens read it from context. */
export function ConnectionStatusProvider({ children }: { children: ReactNode }) {
  const { latest, error } = useStream('connections.status', { intervalMs: STATUS_INTERVAL_MS });
  const value = useMemo<Statuses>(() => ({ byId: new Map((latest ?? []).map((s) => [s.id, s])), error }), [latest, error]);
  return <StatusContext.Provider value={value}>{children}</StatusContext.Provider>;
}

export function useConnectionStatus(id: string): ConnectionStatus | undefined {
  return useContext(StatusContext).byId.get(id);
}
