import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';

/**
 * The one place addresses are parsed and built. Hash routing (`#/<route>[/<id>][?query]`)
 * works from file:// in Electron and needs no router dependency.
 */
/** Every route; app/features.ts gives each one its screen. */
export const ROUTES = ['overview', 'connections', 'streams', 'stream', 'feed', 'charts', 'audit', 'time-travel', 'settings'] as const;
export type Route = (typeof ROUTES)[number];

/** Query values as the address carries them; empty values are left out. */
export type Query = Readonly<Record<string, string>>;

export interface Address {
  route: Route;
  /** The route's subject, e.g. a stream id (`#/stream/<id>`). */
  id?: string;
  query: Query;
}

export const DEFAULT_ROUTE: Route = 'overview';

function isRoute(name: string): name is Route {
  return (ROUTES as readonly string[]).includes(name);
}

/** Any hash to an address: unknown routes fall back to the overview, a malformed id or query part is dropped. */
export function parseHash(hash: string): Address {
  const body = hash.replace(/^#\/?/, '');
  const queryStart = body.indexOf('?');
  const path = queryStart < 0 ? body : body.slice(0, queryStart);
  const search = queryStart < 0 ? '' : body.slice(queryStart + 1);
  const slash = path.indexOf('/');
  const name = slash < 0 ? path : path.slice(0, slash);
  if (!isRoute(name)) return { route: DEFAULT_ROUTE, query: {} };
  const rawId = slash < 0 ? '' : path.slice(slash + 1);
  let id: string | undefined;
  try {
    id = decodeURIComponent(rawId) || undefined;
  } catch {
    id = undefined;
  }
  const query: Record<string, string> = {};
  try {
    for (const [key, value] of new URLSearchParams(search)) if (value !== '') query[key] = value;
  } catch {
    // A query that cannot be decoded names no filter.
  }
  return id === undefined ? { route: name, query } : { route: name, id, query };
}

export type QueryInput = Readonly<Record<string, string | number | undefined>>;

/** An address to its hash; query keys with empty or undefined values are left out, the rest sorted so one address has one hash. */
export function buildHash(route: Route, id?: string, query: QueryInput = {}): string {
  const params = new URLSearchParams();
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const search = params.toString();
  return `#/${route}${id ? `/${encodeURIComponent(id)}` : ''}${search ? `?${search}` : ''}`;
}

export function hrefOf(route: Route): string {
  return buildHash(route);
}

/** A whole, non-negative number from the query, else undefined. */
export function versionParam(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : undefined;
}

/** Opens an address as a new history entry. */
export function navigate(hash: string): void {
  window.location.hash = hash;
}

/** Rewrites the address without a history entry (and without a hashchange). */
export function replaceAddress(hash: string): void {
  if (window.location.hash !== hash) window.history.replaceState(window.history.state, '', hash);
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

const currentHash = () => window.location.hash;

/** The current address; re-renders when it changes. */
export function useAddress(): Address {
  const hash = useSyncExternalStore(subscribe, currentHash);
  // Parsing is cheap; the hash string keeps the snapshot stable.
  return parseHash(hash);
}

let navigations = 0;
let countingNavigations = false;

/**
 * How many times the address changed by navigation (links, back, typing): a screen keyed
 * by it starts afresh on each one, but not when it rewrites its own address (`replaceAddress`).
 */
export function useNavigationCount(): number {
  if (!countingNavigations) {
    countingNavigations = true;
    window.addEventListener('hashchange', () => {
      navigations += 1;
    });
  }
  return useSyncExternalStore(subscribe, () => navigations);
}

export function useRoute(): Route {
  return useAddress().route;
}

/**
 * A screen's filters kept in the address: read from the query when the screen opens
 * (or the address is changed by hand), written back on every change without a history
 * entry, so going back to the screen, reloading or sharing the address keeps them.
 */
export function useQueryState<T>(fromQuery: (query: Query) => T, toQuery: (value: T) => QueryInput): [T, (next: T) => void] {
  const [value, setValue] = useState<T>(() => fromQuery(parseHash(window.location.hash).query));
  const written = useRef<string>(window.location.hash);
  const route = useRef<Route>(parseHash(window.location.hash).route);
  const toQueryRef = useRef(toQuery);
  toQueryRef.current = toQuery;
  const fromQueryRef = useRef(fromQuery);
  fromQueryRef.current = fromQuery;

  // An address typed or opened from elsewhere for this same screen replaces the filters.
  useEffect(
    () =>
      subscribe(() => {
        const address = parseHash(window.location.hash);
        // Leaving the screen is not a change of its filters.
        if (window.location.hash === written.current || address.route !== route.current) return;
        written.current = window.location.hash;
        setValue(fromQueryRef.current(address.query));
      }),
    [],
  );

  const set = useCallback((next: T) => {
    setValue(next);
    const address = parseHash(window.location.hash);
    const hash = buildHash(address.route, address.id, { ...address.query, ...blankKeysOf(toQueryRef.current(next)) });
    written.current = hash;
    replaceAddress(hash);
  }, []);
  return [value, set];
}

/** Keys this state owns stay in the merge even when blank, so clearing a filter removes it from the address. */
function blankKeysOf(query: QueryInput): QueryInput {
  return Object.fromEntries(Object.entries(query).map(([key, value]) => [key, value === undefined ? '' : value]));
}
