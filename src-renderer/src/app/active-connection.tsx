import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { ConnectionView } from '../../../src-shared/schemas/connections';
import { useOperation } from '../client/operation-hooks';

const STORAGE_KEY = 'chronoscope.activeConnection';
const LOCAL_WORKSPACE_ID = 'local';

/** Profiles the browse, charts and time-travel screens can read: event stores. Kafka clusters belong to the Kafka screens. */
export function isEventStore(profile: ConnectionView): boolean {
  return profile.kind !== 'kafka';
}

interface ActiveConnection {
  /** The event store the console works against; the Local workspace until another is chosen. Never a Kafka cluster. */
  active: ConnectionView | undefined;
  setActiveId(id: string): void;
}

const ActiveContext = createContext<ActiveConnection>({ active: undefined, setActiveId: () => undefined });

export function ActiveConnectionProvider({ children }: { children: ReactNode }) {
  const [chosenId, setChosenId] = useState<string>(() => readStoredId() ?? LOCAL_WORKSPACE_ID);
  const { data: profiles } = useOperation('connections.list', {});
  // A removed profile (or one that is not an event store, chosen by an older version) falls back to the Local workspace.
  const stores = profiles?.filter(isEventStore);
  const active = stores?.find((p) => p.id === chosenId) ?? stores?.find((p) => p.id === LOCAL_WORKSPACE_ID) ?? stores?.[0];
  const setActiveId = useCallback((id: string) => {
    setChosenId(id);
    writeStoredId(id);
  }, []);
  const value = useMemo(() => ({ active, setActiveId }), [active, setActiveId]);
  return <ActiveContext.Provider value={value}>{children}</ActiveContext.Provider>;
}

export function useActiveConnection(): ActiveConnection {
  return useContext(ActiveContext);
}

function readStoredId(): string | undefined {
  try {
    return window.localStorage.getItem(STORAGE_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function writeStoredId(id: string): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, id);
  } catch {
    // storage disabled: the choice lasts until reload
  }
}
