/** The health of the link between this window and the Chronoscope host. */
export type LinkState =
  | { status: 'connecting'; attempt: number }
  | { status: 'connected'; generation: number }
  /** The host cannot be reached (stopped, restarting, network down): retried with backoff. */
  | { status: 'reconnecting'; attempt: number; retryAt: number; everConnected: boolean }
  /**
   * The host is up but refuses this tab's token: it restarted with a new one, or the page was opened
   * without it. Retrying cannot help until the operator opens the new URL, so nothing is retried
   * until they ask (`checking` while that one try runs).
   */
  | { status: 'refused'; everConnected: boolean; checking: boolean };

export interface LinkMonitor {
  get(): LinkState;
  subscribe(listener: () => void): () => void;
  /** Skip the backoff wait (or, once refused, try once more) now. */
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
