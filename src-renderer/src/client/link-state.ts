/** The health of the link between this window and the Chronoscope host. */
export type LinkState =
  | { status: 'connecting'; attempt: number }
  | { status: 'connected'; generation: number }
  | { status: 'reconnecting'; attempt: number; retryAt: number; everConnected: boolean };

export interface LinkMonitor {
  get(): LinkState;
  subscribe(listener: () => void): () => void;
  /** Skip the backoff wait and try again now. */
  retryNow(): void;
}

/** Electron's IPC cannot drop: the link is always up. */
export const alwaysConnected: LinkMonitor = {
  get: () => ({ status: 'connected', generation: 1 }),
  subscribe: () => () => undefined,
  retryNow: () => undefined,
};

/** A tiny observable value for useSyncExternalStore. */
export function createLinkStore(initial: LinkState) {
  let state = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set(next: LinkState) {
      state = next;
      for (const listener of listeners) listener();
    },
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
